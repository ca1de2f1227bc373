#include "apm.h"

#include "alloc.h"

size_t apm_size(uint32_t contexts)
{
    return (size_t)contexts * 33 * sizeof(uint16_t);
}

int apm_init(apm *a, uint32_t contexts)
{
    a->contexts = contexts;
    a->t = mdc_table_alloc(apm_size(contexts), 1);
    return a->t ? 0 : -1;
}

void apm_free(apm *a)
{
    if (a->t)
        mdc_table_free(a->t, apm_size(a->contexts));
    a->t = NULL;
}

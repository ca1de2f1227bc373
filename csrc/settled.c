#include "settled.h"

#include <string.h>

int settled_init(settled_path *s)
{
    memset(s, 0, sizeof(*s));
    return apm_init(&s->map, SETTLED_CONTEXTS);
}

void settled_free(settled_path *s)
{
    apm_free(&s->map);
}

size_t settled_size(void)
{
    return apm_size(SETTLED_CONTEXTS);
}

#include "mixer.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#define MIX_BOOST (4 << 16) /* 16.16 */
#define MIX_HALF 1024
#define MIX_START 8192 /* 1/8 */

int mixer_init(mixer *m, uint32_t sets, int32_t lr)
{
    memset(m, 0, sizeof(*m));
    m->sets = sets;
    m->lr = lr;
    /* page-aligned (alloc.h), so that each set is one 64-byte line */
    m->w = mdc_table_alloc((size_t)sets * MIX_LANES * sizeof(int32_t), 1);
    if (!m->w)
        return -1;
    for (uint32_t set = 0; set < sets; set++) {
        int32_t *w = m->w + (size_t)set * MIX_LANES;
        for (int i = 0; i < MIX_LANES; i++)
            w[i] = i < 8 ? MIX_START : 0;
        w[MIX_RATE] = mixer_rate(m, 0);
    }
    return 0;
}

void mixer_free(mixer *m)
{
    mdc_table_free(m->w, (size_t)m->sets * MIX_LANES * sizeof(int32_t));
    m->w = NULL;
}

int32_t mixer_rate(const mixer *m, uint32_t n)
{
    /* MIX_BOOST * MIX_HALF = 2^28: in 32 bits, and 0 once n >= 2^28 */
    uint32_t boost = n >= (1u << 28) ? 0 : (uint32_t)MIX_BOOST * MIX_HALF / (MIX_HALF + n);
    return m->lr + (int32_t)boost;
}

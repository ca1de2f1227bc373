#include "mixer.h"

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
    m->w = malloc((size_t)sets * MIX_LANES * sizeof(int32_t));
    m->seen = calloc(sets, sizeof(uint32_t));
    m->rate = malloc((size_t)sets * sizeof(int32_t));
    if (!m->w || !m->seen || !m->rate)
        return -1;
    for (uint32_t i = 0; i < sets * MIX_LANES; i++)
        m->w[i] = i % MIX_LANES < 8 ? MIX_START : 0;
    for (uint32_t i = 0; i < sets; i++)
        m->rate[i] = mixer_rate(m, 0);
    return 0;
}

void mixer_free(mixer *m)
{
    free(m->w);
    free(m->seen);
    free(m->rate);
    m->w = NULL;
    m->seen = NULL;
    m->rate = NULL;
}

int32_t mixer_rate(const mixer *m, uint32_t n)
{
    /* MIX_BOOST * MIX_HALF = 2^28: in 32 bits, and 0 once n >= 2^28 */
    uint32_t boost = n >= (1u << 28) ? 0 : (uint32_t)MIX_BOOST * MIX_HALF / (MIX_HALF + n);
    return m->lr + (int32_t)boost;
}

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
    m->w = malloc((size_t)sets * MIX_INPUTS * sizeof(int32_t));
    m->seen = calloc(sets, sizeof(uint32_t));
    if (!m->w || !m->seen)
        return -1;
    for (uint32_t i = 0; i < sets * MIX_INPUTS; i++)
        m->w[i] = i % MIX_INPUTS < 8 ? MIX_START : 0;
    return 0;
}

void mixer_free(mixer *m)
{
    free(m->w);
    free(m->seen);
    m->w = NULL;
    m->seen = NULL;
}

uint32_t mixer_p(mixer *m, int level, uint32_t set, const int32_t *x)
{
    MDC_ASSERT(set < m->sets);
    const int32_t *w = m->w + (size_t)set * MIX_INPUTS;
    int64_t dot = 0;
    for (int i = 0; i < MIX_INPUTS; i++) {
        m->x[level][i] = x[i];
        dot += (int64_t)x[i] * w[i];
    }
    m->set[level] = set;
    /* dot / 65536, rounded toward minus infinity without shifting a
     * negative number (implementation-defined in C). */
    int64_t s = dot >= 0 ? dot / 65536 : -((-dot + 65535) / 65536);
    s = s > STRETCH_MAX ? STRETCH_MAX : s < -STRETCH_MAX ? -STRETCH_MAX : s;
    uint32_t p = clamp_p(squash((int32_t)s));
    m->p[level] = p;
    return p;
}

MDC_VECTOR_CLONES
void mixer_update(mixer *m, int level, int bit)
{
    int64_t err = (bit ? 65535 : 0) - (int64_t)m->p[level];
    uint32_t set = m->set[level];
    int32_t *w = m->w + (size_t)set * MIX_INPUTS;
    uint32_t n = m->seen[set];
    /* the rate, 16.16: at most 4.5 * 2^16 < 2^19 */
    int64_t lr = m->lr + (int64_t)MIX_BOOST * MIX_HALF / (MIX_HALF + n);
    m->seen[set] = n + (n < 0xFFFFFFFFu);
    /* step = err * lr / 2^16 < 2^19, so x * step < 2^30 stays in 32 bits and
     * the loop vectorises. */
    int32_t step = (int32_t)(err * lr / 65536);
    const int32_t *x = m->x[level];
    for (int i = 0; i < MIX_INPUTS; i++)
        w[i] += x[i] * step / 65536;
}

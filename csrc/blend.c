#include "blend.h"

static inline void add(mdc_dist *dist, int byte, uint32_t mass)
{
    uint32_t p = dist->p[byte] += mass;
    dist->total += mass;
    dist->max = p > dist->max ? p : dist->max;
}

void blend_add_slot(mdc_dist *dist, const ctx_slot *s, uint32_t weight, const uint8_t *spread)
{
    /* r: the mass of one count, weight * 2^24 / total, as 16.16. */
    uint64_t r = ((uint64_t)weight << MDC_DIST_BITS) / s->total;
    for (int i = 0; i < s->nsym; i++) {
        uint32_t mass = (uint32_t)((s->cnt[i] * r) >> 16);
        if (spread && s->sym[i] == 0) {
            for (int b = 0; b < BLEND_SPREAD; b++)
                add(dist, spread[b], mass / BLEND_SPREAD);
        } else {
            add(dist, s->sym[i], mass);
        }
    }
}

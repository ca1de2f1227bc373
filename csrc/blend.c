#include "blend.h"

void blend_add_slot(mdc_dist *dist, const ctx_slot *s, uint32_t weight, const uint8_t *spread)
{
    /* r: the mass of one count, weight * 2^31 / total, as 16.16. */
    uint64_t r = ((uint64_t)weight << (MDC_DIST_BITS + DIST_FRAC)) / s->total;
    for (int i = 0; i < s->nsym; i++) {
        int64_t mass = (int64_t)((s->cnt[i] * r) >> 16);
        if (spread && s->sym[i] == 0) {
            for (int b = 0; b < BLEND_SPREAD; b++)
                dist_add(dist, spread[b], mass / BLEND_SPREAD);
        } else {
            dist_add(dist, s->sym[i], mass);
        }
    }
}

#include "blend.h"

void blend_add_slot(uint32_t *dist, const ctx_slot *s, uint32_t weight, const uint8_t *spread)
{
    /* r: the mass of one count, weight * 2^24 / total, as 16.16. */
    uint64_t r = ((uint64_t)weight << MDC_DIST_BITS) / s->total;
    for (int i = 0; i < s->nsym; i++) {
        uint32_t add = (uint32_t)((s->cnt[i] * r) >> 16);
        if (spread && s->sym[i] == 0) {
            for (int b = 0; b < BLEND_SPREAD; b++)
                dist[spread[b]] += add / BLEND_SPREAD;
        } else {
            dist[s->sym[i]] += add;
        }
    }
}

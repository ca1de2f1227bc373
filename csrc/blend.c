#include "blend.h"

static void scale_down(uint32_t *dist, uint32_t weight)
{
    for (int c = 0; c < 256; c++)
        dist[c] -= (uint32_t)(((uint64_t)dist[c] * weight) >> 16);
}

void blend_onehot(uint32_t *dist, int byte, uint32_t weight)
{
    scale_down(dist, weight);
    dist[byte] += weight << (MDC_DIST_BITS - 16);
}

void blend_slot(uint32_t *dist, const ctx_slot *s, uint32_t weight, const uint8_t *spread)
{
    /* r: the mass of one count, weight * DIST_ONE / total, as 16.16. */
    uint64_t r = ((uint64_t)weight << MDC_DIST_BITS) / s->total;
    scale_down(dist, weight);
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

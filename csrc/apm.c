#include "apm.h"

#include <stdlib.h>
#include <string.h>

#define APM_RATE 6

int apm_init(apm *a, uint32_t contexts)
{
    a->contexts = contexts;
    a->t = malloc((size_t)contexts * 33 * sizeof(uint16_t));
    if (!a->t)
        return -1;
    uint16_t identity[33];
    for (int j = 0; j < 33; j++)
        identity[j] = (uint16_t)squash((j - 16) * 128);
    for (uint32_t c = 0; c < contexts; c++)
        memcpy(a->t + (size_t)c * 33, identity, sizeof(identity));
    return 0;
}

void apm_free(apm *a)
{
    free(a->t);
    a->t = NULL;
}

uint32_t apm_p(apm *a, const stretch_table *st, int level, uint32_t p, uint32_t ctx)
{
    uint32_t x = (uint32_t)(stretch(st, p) + 2048); /* 1..4095 */
    MDC_ASSERT(ctx < a->contexts && x >= 1 && x <= 4095);
    uint32_t idx = ctx * 33 + (x >> 7), w = x & 127;
    a->idx[level] = idx;
    a->w[level] = w;
    return (a->t[idx] * (128 - w) + a->t[idx + 1] * w) >> 7;
}

static inline void pull(uint16_t *knot, int32_t target, uint32_t share)
{
    *knot = (uint16_t)(*knot + (target - (int32_t)*knot) * (int32_t)share / (128 << APM_RATE));
}

void apm_update(apm *a, int level, int bit)
{
    int32_t target = bit ? 65535 : 0;
    pull(&a->t[a->idx[level]], target, 128 - a->w[level]);
    pull(&a->t[a->idx[level] + 1], target, a->w[level]);
}

#include "apm.h"

#include "alloc.h"

#define APM_RATE 6

size_t apm_size(uint32_t contexts)
{
    return (size_t)contexts * 33 * sizeof(uint16_t);
}

int apm_init(apm *a, uint32_t contexts)
{
    a->contexts = contexts;
    a->t = mdc_table_alloc(apm_size(contexts));
    return a->t ? 0 : -1;
}

void apm_free(apm *a)
{
    if (a->t)
        mdc_table_free(a->t, apm_size(a->contexts));
    a->t = NULL;
}

/* The knot at `idx` (of knot number j = idx % 33). */
static inline uint32_t knot(const apm *a, uint32_t idx, uint32_t j)
{
    return (uint16_t)(a->t[idx] + squash_knot[j]);
}

uint32_t apm_p(apm *a, const stretch_table *st, int level, uint32_t p, uint32_t ctx)
{
    uint32_t x = (uint32_t)(stretch(st, p) + 2048); /* 1..4095 */
    MDC_ASSERT(ctx < a->contexts && x >= 1 && x <= 4095);
    uint32_t j = x >> 7, idx = ctx * 33 + j, w = x & 127;
    a->idx[level] = idx;
    a->j[level] = j;
    a->w[level] = w;
    return (knot(a, idx, j) * (128 - w) + knot(a, idx + 1, j + 1) * w) >> 7;
}

static inline void pull(apm *a, uint32_t idx, uint32_t j, int32_t target, uint32_t share)
{
    int32_t k = (int32_t)knot(a, idx, j);
    k += (target - k) * (int32_t)share / (128 << APM_RATE);
    a->t[idx] = (uint16_t)((uint32_t)k - squash_knot[j]);
}

void apm_update(apm *a, int level, int bit)
{
    int32_t target = bit ? 65535 : 0;
    uint32_t idx = a->idx[level], j = a->j[level];
    pull(a, idx, j, target, 128 - a->w[level]);
    pull(a, idx + 1, j + 1, target, a->w[level]);
}

/*
 * apm — an adaptive probability map: the final secondary estimation
 * (stage 7).
 *
 * Refines a 16-bit probability under a context: each context holds 33
 * knots over the stretch domain, starting as the identity; the output
 * interpolates the two knots around stretch(p), and once the bit is known
 * both move toward it, each by its share, at rate 2^-APM_RATE.
 *
 * A knot is stored less the identity's (squash_knot), modulo 2^16, which is
 * exact both ways: zeroed memory is a fresh map, so a map of any size
 * starts as untouched zero pages with no initialising pass.
 *
 * Memory: contexts * 33 uint16. A knot is a 16-bit probability that each
 * update moves part of the way to 0 or 65535, never past: no count, so
 * nothing to bound however long the stream.
 */
#ifndef MDC_APM_H
#define MDC_APM_H

#include "squash.h"

typedef struct {
    uint16_t *t;      /* contexts * 33 knots, less the identity's */
    uint32_t contexts;
    uint32_t idx[8];  /* per level: the lower knot used */
    uint32_t j[8];    /* and its number in the row (idx % 33) */
    uint32_t w[8];    /* and the upper knot's weight (0..127) */
} apm;

int apm_init(apm *a, uint32_t contexts);
size_t apm_size(uint32_t contexts);
void apm_free(apm *a);

/* Ask for the knots of contexts ctx and ctx + 1 (132 bytes). */
static MDC_INLINE void apm_prefetch(const apm *a, uint32_t ctx)
{
    const char *row = (const char *)(a->t + (size_t)ctx * 33);
    MDC_PREFETCH(row);
    MDC_PREFETCH(row + 64);
    MDC_PREFETCH(row + 128);
}

#define APM_RATE 6

/* The knot at `idx` (of knot number j = idx % 33). */
static inline uint32_t apm_knot(const apm *a, uint32_t idx, uint32_t j)
{
    return (uint16_t)(a->t[idx] + squash_knot[j]);
}

/* The refined P(1) of `p` (16-bit) in context `ctx`, for the node at
 * `level`; remembers the knots for apm_update. Inline, like the rest of
 * the per-node path, so that it takes the engine's vector width. */
static MDC_INLINE uint32_t apm_p(apm *a, const stretch_table *st, int level, uint32_t p, uint32_t ctx)
{
    uint32_t x = (uint32_t)(stretch(st, p) + 2048); /* 1..4095 */
    MDC_ASSERT(ctx < a->contexts && x >= 1 && x <= 4095);
    uint32_t j = x >> 7, idx = ctx * 33 + j, w = x & 127;
    a->idx[level] = idx;
    a->j[level] = j;
    a->w[level] = w;
    return (apm_knot(a, idx, j) * (128 - w) + apm_knot(a, idx + 1, j + 1) * w) >> 7;
}

/* Move a knot toward `target` by its share (of 128) of the rate. */
static MDC_INLINE void apm_pull(apm *a, uint32_t idx, uint32_t j, int32_t target, uint32_t share)
{
    int32_t k = (int32_t)apm_knot(a, idx, j);
    k += (target - k) * (int32_t)share / (128 << APM_RATE);
    a->t[idx] = (uint16_t)((uint32_t)k - squash_knot[j]);
}

/* Learn the bit coded at `level` (after apm_p at that level). */
static MDC_INLINE void apm_update(apm *a, int level, int bit)
{
    int32_t target = bit ? 65535 : 0;
    uint32_t idx = a->idx[level], j = a->j[level];
    apm_pull(a, idx, j, target, 128 - a->w[level]);
    apm_pull(a, idx + 1, j + 1, target, a->w[level]);
}

#endif

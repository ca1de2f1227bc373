/*
 * blend — mixing a stage's prediction into the running distribution.
 *
 * Each post-PPM stage predicts a distribution q with a confidence; the blend
 * is linear, p <- (1 - w) p + w q, with w = min(scale * confidence, cap).
 * dist holds 256 weights summing to about MDC_DIST_ONE, each >= 1; w is a
 * 16-bit fraction below 1, so (1 - w) p keeps every weight >= 1 and the sum
 * is kept to within rounding.
 */
#ifndef MDC_BLEND_H
#define MDC_BLEND_H

#include "ctxtab.h"

#define BLEND_SPREAD 11

/* min(conf * scale_pct / 100, cap), all 16-bit fractions. */
static inline uint32_t blend_weight(uint32_t conf, uint32_t scale_pct, uint32_t cap)
{
    uint64_t w = (uint64_t)conf * scale_pct / 100;
    return w < cap ? (uint32_t)w : cap;
}

/* q = onehot(byte). */
void blend_onehot(uint32_t *dist, int byte, uint32_t weight);

/* q = count / total over a slot's symbols. With `spread` non-NULL, the mass
 * of symbol 0 goes in equal parts to the BLEND_SPREAD bytes it lists. */
void blend_slot(uint32_t *dist, const ctx_slot *s, uint32_t weight, const uint8_t *spread);

#endif

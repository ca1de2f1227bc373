/*
 * blend — mixing the stages' predictions into one distribution.
 *
 * Each post-PPM stage i (match, word, highctx, in that order) predicts a
 * distribution q_i with a confidence, and the paper blends them in turn:
 * p <- (1 - w_i) p + w_i q_i, w_i = min(scale_i * confidence_i, cap_i).
 * Unrolled, that is
 *     p = prod_i (1 - w_i) * ppm  +  sum_i w_i prod_{j > i} (1 - w_j) * q_i,
 * so the engine computes the weights first, lets PPM spread only the mass
 * prod (1 - w_i) (no pass to scale it down) and adds each sparse q_i with
 * its effective weight, as entries of the distribution (dist.h). Weights are
 * 16-bit fractions; a distribution sums to about 2^(MDC_DIST_BITS +
 * DIST_FRAC) = 2^31, so a weight w adds w * 2^15 of mass. Each stage's
 * scale and cap are its header's (MATCH_BLEND_*, WORD_BLEND_*,
 * HIGHCTX_BLEND_*).
 */
#ifndef MDC_BLEND_H
#define MDC_BLEND_H

#include "ctxtab.h"
#include "dist.h"

#define BLEND_SPREAD 11
/* A stage whose confidence is below this (16-bit: 0.01) abstains. */
#define BLEND_MIN_CONF 655

/* min(conf * scale_pct / 100, cap), all 16-bit fractions. */
static inline uint32_t blend_weight(uint32_t conf, uint32_t scale_pct, uint32_t cap)
{
    uint64_t w = (uint64_t)conf * scale_pct / 100;
    return w < cap ? (uint32_t)w : cap;
}

/* a * (1 - b), 16-bit fractions. */
static inline uint32_t blend_keep(uint32_t a, uint32_t b)
{
    return (uint32_t)(((uint64_t)a * (MDC_P_ONE - b)) >> 16);
}

/* dist += w * onehot(byte). */
static inline void blend_add_onehot(mdc_dist *dist, int byte, uint32_t weight)
{
    dist_add(dist, byte, (int64_t)weight << (MDC_DIST_BITS - 16 + DIST_FRAC));
}

/* dist += w * count / total over a slot's symbols. With `spread` non-NULL,
 * the mass of symbol 0 goes in equal parts to the BLEND_SPREAD bytes it
 * lists. */
void blend_add_slot(mdc_dist *dist, const ctx_slot *s, uint32_t weight, const uint8_t *spread);

#endif

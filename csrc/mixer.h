/*
 * mixer — gated logistic mixing at each tree node (stage 6, and the lean
 * model's mixer).
 *
 * Combines up to MIX_SEEN stretched probabilities x_i (units of 1/256,
 * within +-2047) with one weight vector of several, chosen by a small
 * context:
 *   s = sum_i w_i x_i,   p = squash(s),   weights 16.16 fixed point;
 * once the bit y is known, w_i += lr * x_i * (y - p), a step down the
 * gradient of the coding cost (lr 16.16, y - p 16-bit). The rate is lr plus a boost
 * of MIX_BOOST * MIX_HALF / (MIX_HALF + n) after n updates of the set, so a
 * new set learns fast; it is refreshed every MIX_RATE_EVERY updates, which
 * keeps a division out of the per-bit path. Weights start at 1/8 on the
 * first 8 lanes and 0 on the rest: a model puts the inputs it trusts from
 * the start there (the full model: its probabilities; the lean model: its
 * binary models, the bias and the match's bit).
 *
 * Why it is fast: the inputs are padded with zeros to MIX_LANES, so a set
 * is one 64-byte line and both loops are whole vectors of 32-bit lanes. The
 * line also holds the set's update count and rate (MIX_SEEN, MIX_RATE),
 * where the inputs are zero: the dot product adds nothing for them, and
 * the update, which runs over whole vectors too, puts them back after. So
 * an update touches only the line its mix read. Weights stay within
 * +-MIX_WMAX (+-8), so every product x_i w_i and x_i * step is below 2^30
 * in magnitude and no lane needs 64 bits. Terms are rounded to nearest by
 * adding 2^30 (making them non-negative) before the shift, so no negative
 * number is ever shifted.
 *
 * The functions are inline so that they take the vector width of the
 * engine's cloned coding loops.
 *
 * Memory: sets * MIX_LANES 32-bit words.
 */
#ifndef MDC_MIXER_H
#define MDC_MIXER_H

#include "squash.h"

#define MIX_LANES 16
#define MIX_WMAX ((1 << 19) - 1)
#define MIX_RATE_EVERY 16
#define MIX_SEEN 14 /* lane of the set's updates so far (saturating at MIX_SEEN_MAX) */
#define MIX_RATE 15 /* lane of its current rate, 16.16 (< 2^19) */
_Static_assert(MIX_SEEN < MIX_RATE && MIX_RATE < MIX_LANES, "the counters sit past the inputs");
/* Where the count stops: past 2^28 updates the rate is lr alone
 * (mixer_rate), so it makes no difference; 2^30 - 1 leaves the update's
 * loop room to add its 2^14 to the lane without overflow, and, not being
 * a multiple of MIX_RATE_EVERY, no rate to recompute at every update. */
#define MIX_SEEN_MAX ((1 << 30) - 1)

typedef struct {
    int32_t *w;                  /* sets * MIX_LANES: weights 16.16, then the counters */
    uint32_t sets;
    int32_t lr;                  /* base learning rate, 16.16 */
    uint32_t set[8];             /* per level: the weight set used */
    uint32_t p[8];               /* and its output */
} mixer;

int mixer_init(mixer *m, uint32_t sets, int32_t lr);
void mixer_free(mixer *m);
/* The rate of a set after n updates, 16.16. */
int32_t mixer_rate(const mixer *m, uint32_t n);

/* Ask for the weights of `set` (one line) ahead of mixer_mix. */
static MDC_INLINE void mixer_prefetch(const mixer *m, uint32_t set)
{
    MDC_PREFETCH(m->w + (size_t)set * MIX_LANES);
}

/* Mix the MIX_LANES inputs `x` (zero in the counters' lanes and where a
 * model is not in use) with weight set `set` for the node at `level`:
 * returns the stretched output (1/256, within +-2047) and keeps its 16-bit
 * squash for the update. */
static MDC_INLINE int32_t mixer_mix(mixer *m, const stretch_table *st, int level, uint32_t set,
                                    const int32_t *x)
{
    MDC_ASSERT(set < m->sets);
    const int32_t *w = m->w + (size_t)set * MIX_LANES;
    int32_t dot = 0; /* units of 2^-16 of a stretch unit */
    for (int i = 0; i < MIX_LANES; i++)
        dot += (int32_t)(((uint32_t)(x[i] * w[i]) + (1u << 30) + (1u << 7)) >> 8) - (1 << 22);
    /* |dot| < 16 * 2^22: rounded back to stretch units the same way */
    int32_t s = (int32_t)(((uint32_t)dot + (1u << 30) + (1u << 7)) >> 8) - (1 << 22);
    s = s > STRETCH_MAX ? STRETCH_MAX : s < -STRETCH_MAX ? -STRETCH_MAX : s;
    m->set[level] = set;
    m->p[level] = squash_t(st, s);
    return s;
}

/* The same sum built input by input, for a caller that computes its inputs
 * one at a time (lean.h): a vector load of inputs just stored one by one
 * waits for the stores to retire (no store forwarding). mixer_weights gives the set's weights, mixer_term each
 * nonzero input's term (a zero input's is exactly 0, so it may be left
 * out), mixer_end the output from their sum: the same rounding, the same
 * bits as mixer_mix. */
static MDC_INLINE const int32_t *mixer_weights(const mixer *m, uint32_t set)
{
    MDC_ASSERT(set < m->sets);
    return m->w + (size_t)set * MIX_LANES;
}

static MDC_INLINE int32_t mixer_term(int32_t x, int32_t w)
{
    return (int32_t)(((uint32_t)(x * w) + (1u << 30) + (1u << 7)) >> 8) - (1 << 22);
}

static MDC_INLINE int32_t mixer_end(mixer *m, const stretch_table *st, int level, uint32_t set,
                                    int32_t dot)
{
    int32_t s = (int32_t)(((uint32_t)dot + (1u << 30) + (1u << 7)) >> 8) - (1 << 22);
    s = s > STRETCH_MAX ? STRETCH_MAX : s < -STRETCH_MAX ? -STRETCH_MAX : s;
    m->set[level] = set;
    m->p[level] = squash_t(st, s);
    return s;
}

/* An update may run over the first MIX_HALF_LANES lanes alone where every
 * input past them is zero: a zero input's weight does not move. */
#define MIX_HALF_LANES 8
_Static_assert(MIX_HALF_LANES <= MIX_SEEN, "the counters sit past the half line");

/* Learn the bit coded at `level`; `x` are the inputs that level mixed, of
 * which `lanes` (MIX_LANES or MIX_HALF_LANES, a constant) are looked at. */
static MDC_INLINE void mixer_update_lanes(mixer *m, int level, int bit,
                                          const int32_t *restrict x, int lanes)
{
    uint32_t set = m->set[level];
    int32_t *restrict w = m->w + (size_t)set * MIX_LANES;
    int32_t n = w[MIX_SEEN];
    int32_t rate = n % MIX_RATE_EVERY == 0 ? mixer_rate(m, (uint32_t)n) : w[MIX_RATE];
    int32_t err = (bit ? 65535 : 0) - (int32_t)m->p[level]; /* |err| < 2^16 */
    /* |step| < 2^16 * 4.5 < 2^19 / 1.7, so |x * step| < 2^30 */
    int32_t step = (int32_t)((int64_t)err * rate / 65536);
    /* Every lane, in whole vectors: the counters' inputs are zero, but the
     * clamp would cap the count, so both are stored after the loop. */
    for (int i = 0; i < lanes; i++) {
        uint32_t biased = (uint32_t)(x[i] * step) + (1u << 30) + (1u << 15);
        int32_t v = w[i] + (int32_t)(biased >> 16) - (1 << 14);
        v = v > MIX_WMAX ? MIX_WMAX : v;
        w[i] = v < -MIX_WMAX ? -MIX_WMAX : v;
    }
    w[MIX_SEEN] = n + (n < MIX_SEEN_MAX);
    w[MIX_RATE] = rate;
}

static MDC_INLINE void mixer_update(mixer *m, int level, int bit, const int32_t *restrict x)
{
    mixer_update_lanes(m, level, bit, x, MIX_LANES);
}

#endif

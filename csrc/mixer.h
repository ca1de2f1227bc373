/*
 * mixer — gated logistic mixing at each tree node (stage 6).
 *
 * Combines MIX_INPUTS stretched probabilities x_i (units of 1/256, within
 * +-2047) with one weight vector of several, chosen by a small context:
 *   p = squash(sum_i w_i x_i),   weights 16.16 fixed point;
 * once the bit y is known, w_i += lr * x_i * (y - p), a step down the
 * gradient of the coding cost (lr 16.16, y - p 16-bit). The rate is lr plus a boost
 * of MIX_BOOST * MIX_HALF / (MIX_HALF + n) after n updates of the set, so a
 * new set learns fast. Weights start at 1/8 on the first 8 inputs, 0 on
 * the rest (bias, match).
 *
 * Memory: sets * (MIX_INPUTS + 1) 32-bit words, plus the last inputs of
 * each level.
 */
#ifndef MDC_MIXER_H
#define MDC_MIXER_H

#include "squash.h"

#define MIX_INPUTS 10

typedef struct {
    int32_t *w;                  /* sets * MIX_INPUTS */
    uint32_t *seen;              /* per set: updates so far */
    uint32_t sets;
    int32_t lr;                  /* learning rate, 16.16 */
    int32_t x[8][MIX_INPUTS];    /* per level: the inputs */
    uint32_t set[8];             /* the weight set used */
    uint32_t p[8];               /* the output */
} mixer;

int mixer_init(mixer *m, uint32_t sets, int32_t lr);
void mixer_free(mixer *m);
/* Mix `x` with weight set `set` for the node at `level`; 16-bit P(1). */
uint32_t mixer_p(mixer *m, int level, uint32_t set, const int32_t *x);
void mixer_update(mixer *m, int level, int bit);

#endif

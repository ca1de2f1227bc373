/*
 * squash — the logistic function and its inverse, in fixed point.
 *
 * Stretch domain: x = ln(p / (1 - p)) in units of 1/256, within +-2047
 * (|x| < 8). Probability domain: 16 bits. squash interpolates linearly
 * between 33 knots at x = -8, -7.5, ..., 8; stretch inverts it through a
 * 4096-entry table (by p >> 4) built from squash alone, so both are exact
 * integer functions, the same on every machine. The coding path reads both
 * from tables (stretch_table).
 */
#ifndef MDC_SQUASH_H
#define MDC_SQUASH_H

#include "common.h"

#define STRETCH_MAX 2047

/* squash at its knots, x = (i - 16) * 128: round(65536 / (1 + exp(-(i - 16) / 2))). */
static const uint16_t squash_knot[33] = {
    22, 36, 60, 98, 162, 267, 439, 720, 1179, 1921, 3108, 4971, 7812, 11955, 17625, 24743,
    32768, 40793, 47911, 53581, 57724, 60565, 62428, 63615, 64357, 64816, 65097, 65269,
    65374, 65438, 65476, 65500, 65514};

/* 16-bit probability of stretch value x. */
static inline uint32_t squash(int32_t x)
{
    x = x > STRETCH_MAX ? STRETCH_MAX : x < -STRETCH_MAX ? -STRETCH_MAX : x;
    int32_t i = (x + 2048) >> 7, w = (x + 2048) & 127;
    return (uint32_t)((squash_knot[i] * (128 - w) + squash_knot[i + 1] * w) >> 7);
}

/* Both functions as tables, for the per-node path (12 KiB, stays in L1). */
typedef struct {
    int16_t t[4096];       /* stretch of the centre of each p >> 4 */
    uint16_t squash[4096]; /* squash(x) at x + 2048, x = -2048..2047 */
} stretch_table;

static inline void stretch_init(stretch_table *s)
{
    int32_t x = -STRETCH_MAX;
    for (uint32_t i = 0; i < 4096; i++) {
        while (x < STRETCH_MAX && squash(x) < i * 16 + 8)
            x++;
        s->t[i] = (int16_t)x;
    }
    for (int32_t i = 0; i < 4096; i++)
        s->squash[i] = (uint16_t)squash(i - 2048);
}

/* squash(x) by table, for x already within +-STRETCH_MAX: 22..65514, so
 * never a probability the coder must clamp. */
static inline uint32_t squash_t(const stretch_table *s, int32_t x)
{
    MDC_ASSERT(x >= -STRETCH_MAX && x <= STRETCH_MAX);
    return s->squash[x + 2048];
}

static inline int32_t stretch(const stretch_table *s, uint32_t p16)
{
    return s->t[p16 >> 4];
}

static inline uint32_t clamp_p(uint32_t p)
{
    return p < 1 ? 1 : p > 65535 ? 65535 : p;
}

#endif

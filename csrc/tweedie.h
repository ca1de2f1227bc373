/*
 * tweedie — the micro-diffusion calibrator (stage 5).
 *
 * The blended distribution is read as a binary tree, most significant bit
 * first; a node's P(right) is the mass of its right half over its mass.
 * TWD_STEPS times in turn, each node's P(right) p is corrected by the
 * Tweedie term of its calibration bucket: delta = hits/n - sum(p)/n, shrunk
 * by min(1, SNR/4) with SNR = delta^2 n / (sum of squared errors / n), and
 * zero until the bucket has seen more than 10 real observations; then
 * p <- clamp(p + delta). A bucket is picked by
 *   (step, bit context, PPM order group, shape, confidence bin, p bin):
 *   bit context  27: level 0: 1, level 1: 2, level 2: 4, levels 3-7: the
 *                node index hashed into 4 groups each;
 *   order group   3: PPM order {-1,0,1}, {2,3}, {4};
 *   shape         4: largest byte probability < 0.05, < 0.15, < 0.40, else;
 *   confidence    8: floor(log4(PPM confidence)), 0 below 4;
 *   p bin        20: evenly spaced in logit over [-8, 8].
 * Buckets start with 32 pseudo-observations at their bin centre (delta 0).
 *
 * Correcting a node rescales its two subtrees and keeps every subtree's
 * total, so a node's corrected p is its P(right) for the next step, and a
 * byte is coded with the 8 nodes on its path alone: the decoder learns the
 * path bit by bit. Change from the paper's program: the shape bin is taken
 * once per byte from the blended distribution, not recomputed after each
 * step (that would need all 255 nodes corrected, every step, every byte).
 *
 * A bucket's shrunk correction is kept with it and refreshed as it learns:
 * after each of its first 64 real observations, then after every 8th (the
 * late changes are small; this spares most of the divisions).
 *
 * Scales: p, delta are 16-bit (65536 = 1); the sum of hit - p is in the
 * same unit, squared errors in units of 2^-32. Memory: steps*27*3*4*8*20
 * buckets of 24 bytes (1.2 MiB a step, 3.6 MiB for the paper's 3),
 * their corrections as int16 (0.1 MiB a step), and a 4 KiB bin table.
 */
#ifndef MDC_TWEEDIE_H
#define MDC_TWEEDIE_H

#include "common.h"

#define TWD_STEPS 3
#define TWD_BITCTX 27
#define TWD_ORDERS 3
#define TWD_SHAPES 4
#define TWD_CONFS 8
#define TWD_PBINS 20
#define TWD_STEP_BUCKETS (TWD_BITCTX * TWD_ORDERS * TWD_SHAPES * TWD_CONFS * TWD_PBINS)

/* A bucket's sums include its pseudo-observations, but are stored less the
 * prior's share (tweedie.c), so that a zeroed bucket is a fresh one: the
 * table needs no initialising pass, and a short input touches only the
 * pages of the buckets it uses. */
/* Bounds (docs/TESTING.md, "Limits"): a bucket is halved before its count
 * reaches 2^30 (TWD_HALVE_COUNT), so |diff| < 2^30 * 2^16 and the true sum
 * of squares < 2^30 * 2^32, both far inside 64 bits. `real` saturates at
 * UINT32_MAX, which takes 2^32 - 1 real observations of one bucket (a
 * stream of more than 4 GiB: a byte is one observation of a bucket per
 * step at most); its correction is then no longer refreshed ((real & 7)
 * stays 7) and keeps its last value. That is kept as it is, since
 * refreshing on would change the coded bytes of such streams. */
typedef struct {
    int64_t diff;          /* sum of (65536 * went_right - p); the prior's is 0 */
    uint64_t sum_sq_extra; /* sum of (65536 * went_right - p)^2, less the prior's
                              (modulo 2^64, by design: halving can take it below) */
    uint32_t count_extra;  /* observations, less the prior's pseudo ones: < TWD_HALVE_COUNT */
    uint32_t real;         /* real observations, saturating at UINT32_MAX */
} twd_bucket;

typedef struct {
    twd_bucket *table;           /* steps * TWD_STEP_BUCKETS */
    int16_t *delta;              /* the corrections alone, for a table that
                                    stays in cache (101 KiB a step) */
    uint8_t pbin[4096];          /* p bin by p >> 4 */
    int steps;                   /* correction steps per node, 1..TWD_STEPS */
    uint32_t bitctx_stride;      /* buckets per bit context: steps * the rest */
    uint32_t byte_ctx;           /* bucket offset of (order, shape, conf) at bitctx 0 */
    uint32_t used[8][TWD_STEPS]; /* this byte's buckets, per level and step */
    uint32_t pred[8][TWD_STEPS]; /* and the p each was given */
} tweedie_model;

/* Buckets in a calibrator of `steps` steps. */
static MDC_INLINE size_t tweedie_buckets(int steps)
{
    return (size_t)steps * TWD_STEP_BUCKETS;
}

/* `steps`: how many of the TWD_STEPS correction steps each node takes
 * (1..TWD_STEPS); only their buckets are allocated. */
int tweedie_init(tweedie_model *t, int steps);
void tweedie_free(tweedie_model *t);
/* Bytes a model of `steps` steps allocates. */
size_t tweedie_size(int steps);

/* Per byte: the context shared by its 8 nodes. `max` is the largest weight
 * of the blended distribution, `total` their sum. */
void tweedie_begin(tweedie_model *t, int ppm_order, uint32_t ppm_confidence, uint64_t max,
                   uint64_t total);
/* The per-node calls below are inline, like the rest of the per-node path;
 * the rare parts of an update, tweedie_halve and tweedie_refresh, are calls. */

/* A node's steps' buckets are this far apart (tweedie.c orders the index). */
#define TWD_STEP_STRIDE ((uint32_t)TWD_PBINS)
/* A bucket's pseudo-observations (see twd_bucket); it is halved when its
 * count, theirs included, reaches 2^30, i.e. its count less theirs
 * reaches TWD_HALVE_COUNT. */
#define TWD_PRIOR 32
#define TWD_HALVE_COUNT ((1u << 30) - TWD_PRIOR)

/* The bit context of a node (heap index) at `level`: the node itself in
 * the top 3 levels, then 4 groups of it per level. */
static MDC_INLINE int tweedie_bit_context(int level, int node)
{
    int at = node - (1 << level); /* index of the node within its level */
    if (level < 3)
        return (1 << level) - 1 + at;
    return 7 + (level - 3) * 4 + (int)(((uint32_t)at * 0x9E3779B1u) >> 30);
}

/* Calibrate node `node` (heap index 1..255) at `level` (0..7): returns the
 * corrected 16-bit P(right), clamped to [1, 65535]. */
static MDC_INLINE uint32_t tweedie_node(tweedie_model *t, int level, int node, uint32_t p)
{
    uint32_t base = t->byte_ctx + (uint32_t)tweedie_bit_context(level, node) * t->bitctx_stride;
    for (int step = 0; step < t->steps; step++) {
        uint32_t idx = base + step * TWD_STEP_STRIDE + t->pbin[p >> 4];
        MDC_ASSERT(idx < tweedie_buckets(t->steps));
        t->used[level][step] = idx;
        t->pred[level][step] = p;
        int32_t q = (int32_t)p + t->delta[idx];
        p = q < 1 ? 1 : q > 65535 ? 65535 : (uint32_t)q;
    }
    return p;
}

/* Halve bucket `idx`'s sums, its prior's included (at TWD_HALVE_COUNT). */
void tweedie_halve(tweedie_model *t, uint32_t idx);
/* Recompute bucket `idx`'s correction: after each of its first 64 real
 * observations, then after every 8th (the late changes are small). */
void tweedie_refresh(tweedie_model *t, uint32_t idx);

/* The node at `level` went right (1) or left (0). */
static MDC_INLINE void tweedie_update(tweedie_model *t, int level, int bit)
{
    int64_t y = bit ? MDC_P_ONE : 0;
    for (int step = 0; step < t->steps; step++) {
        uint32_t idx = t->used[level][step];
        twd_bucket *b = &t->table[idx];
        int64_t e = y - (int64_t)t->pred[level][step];
        b->diff += e;
        b->sum_sq_extra += (uint64_t)(e * e);
        b->count_extra++;
        if (b->real < UINT32_MAX)
            b->real++;
        if (b->count_extra >= TWD_HALVE_COUNT)
            tweedie_halve(t, idx);
        if (b->real <= 64 || (b->real & 7) == 0)
            tweedie_refresh(t, idx);
    }
}

/* Diagnostics, off the coding path: per step and confidence bin, the mean
 * |delta| applied (16-bit, weighted by real observations) and the number of
 * real observations. */
void tweedie_stats(const tweedie_model *t, double mean_abs_delta[TWD_STEPS][TWD_CONFS],
                   double observations[TWD_STEPS][TWD_CONFS]);

#endif

/*
 * dist — the blended byte distribution, read one tree node at a time.
 *
 * Coding a byte needs only the masses of the 8 nodes on its path through
 * the binary tree (most significant bit first), never all 256 weights. So
 * the distribution is kept in two parts whose node masses are cheap:
 *
 *   dense   r1 * t1(node) + r0 * t0(node) + each * unseen(node) + floor(node)
 *           t1, t0: sum trees of PPM's order-1 row and order-0 counts (the
 *           counts of the node's bytes, one read), unseen: how many of its
 *           bytes order 0 never saw, floor: 1 per byte (DIST_FLOOR), so
 *           that every byte, and every node, has a non-zero mass;
 *   sparse  entries (byte, weight) the other orders and stages add, and the
 *           corrections that make PPM's exclusions exact: an entry may be
 *           negative, a byte's total never is.
 *
 * Everything is linear in the bytes, so a node's mass is the sum of its two
 * halves exactly, and the walk needs one half per level: the dense part
 * from the trees, the sparse part from the entries that fall in it. The
 * entries are kept by byte (`weight`, zero for a byte without one), and
 * dist_finish sums them per high nibble, so a half of the upper four
 * levels adds 8, 4, 2 or 1 nibble sums and a half of the lower four as
 * many bytes' weights: 30 additions a byte, however many entries there are.
 *
 * Scale: masses are integers in units of 2^-DIST_FRAC of the scale of
 * 2^MDC_DIST_BITS (common.h), so a whole distribution is about 2^31 and a
 * node mass fits 32 bits; sums are kept in 64 bits because the dense terms
 * are corrected by entries only after they are summed. r1 and r0 are masses
 * per count, `each` the mass of one unseen byte, all in those units.
 */
#ifndef MDC_DIST_H
#define MDC_DIST_H

#include "common.h"

#define DIST_FRAC 7
#define DIST_FLOOR (1u << DIST_FRAC)

typedef struct {
    const uint32_t *t1, *t0; /* heap sum trees: [1] all, [256 + c] byte c */
    const uint16_t *seen0;   /* heap tree of bytes order 0 has seen */
    uint64_t r1, r0, each;   /* masses per order-1 count, order-0 count, unseen byte */
    int n;                   /* entries */
    uint8_t byte[256];       /* the bytes with an entry, in the order they came */
    uint8_t has[256];        /* whether a byte has an entry */
    int64_t weight[256];     /* each byte's entry, 0 without one */
    int64_t nibble[16];      /* the entries' sums per high nibble (dist_finish) */
    uint64_t total, max;     /* set by dist_finish */
} mdc_dist;

/* Start an empty distribution, once per engine (each dist_begin then
 * clears the last byte's entries). */
void dist_init(mdc_dist *d);

/* Start a byte's distribution with its dense part and no entries (the
 * last byte's entries are cleared here: the walk read them until now). */
static inline void dist_begin(mdc_dist *d, const uint32_t *t1, const uint32_t *t0,
                              const uint16_t *seen0, uint64_t r1, uint64_t r0, uint64_t each)
{
    for (int i = 0; i < d->n; i++) {
        d->weight[d->byte[i]] = 0;
        d->has[d->byte[i]] = 0;
    }
    d->t1 = t1;
    d->t0 = t0;
    d->seen0 = seen0;
    d->r1 = r1;
    d->r0 = r0;
    d->each = each;
    d->n = 0;
}

/* Add the first entry of `byte`, which has none yet. */
static inline void dist_append(mdc_dist *d, int byte, int64_t weight)
{
    MDC_ASSERT(d->n < 256 && !d->has[byte]);
    d->byte[d->n++] = (uint8_t)byte;
    d->has[byte] = 1;
    d->weight[byte] = weight;
}

/* Add `weight` to `byte`'s entry. */
static inline void dist_add(mdc_dist *d, int byte, int64_t weight)
{
    if (d->has[byte])
        d->weight[byte] += weight;
    else
        dist_append(d, byte, weight);
}

/* The dense part of heap node `node` (1..511) at `level` (0..8). */
static inline uint64_t dist_dense(const mdc_dist *d, int node, int level)
{
    uint32_t len = 256u >> level;
    return d->r1 * d->t1[node] + d->r0 * d->t0[node] + d->each * (len - d->seen0[node]) +
           (uint64_t)len * DIST_FLOOR;
}

/* The mass of the left half of `node` at `level`: its bytes are the
 * `len` from `first`, whole nibbles in the upper four levels. */
static inline uint64_t dist_left(const mdc_dist *d, int node, int level)
{
    int len = 128 >> level, first = (2 * node << (7 - level)) - 256;
    int64_t sparse = 0;
    if (level < 4)
        for (int i = 0; i < len / 16; i++)
            sparse += d->nibble[first / 16 + i];
    else
        for (int i = 0; i < len; i++)
            sparse += d->weight[first + i];
    return (uint64_t)((int64_t)dist_dense(d, 2 * node, level + 1) + sparse);
}

/* Once every stage has added its part: the total mass and the largest
 * byte's (that of a byte with an entry, or order 0's most frequent or an
 * unseen byte otherwise: the calibrator's shape bin needs only its size).
 * `o0_max` is order 0's largest count. Sums the entries per high nibble
 * for the walk. */
void dist_finish(mdc_dist *d, uint32_t o0_max);

/* After dist_finish: the total mass, and the largest byte's. */
static inline uint64_t dist_total(const mdc_dist *d)
{
    return d->total;
}

static inline uint64_t dist_max(const mdc_dist *d)
{
    return d->max;
}

#endif

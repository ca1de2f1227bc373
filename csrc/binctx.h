/*
 * binctx — direct binary context models (stage 6's inputs; the lean
 * model's and the structure models' too).
 *
 * For a byte context, one adaptive probability per node of the byte's
 * binary tree, kept per nibble as in lpaq: the context's hash picks a slot
 * of 16 uint16 (32 bytes) for the 15 nodes of the high nibble, and the hash
 * extended by that nibble picks another for the 15 nodes of the low one.
 * Entry 0 of a slot holds a 16-bit tag; a slot is looked for in a pair (one
 * cache line) and, when absent, takes the place of the pair's less
 * experienced slot.
 *
 * Entry: a 12-bit probability of a 1 above a 4-bit count n; each bit moves
 * the probability by 1 / (n + 1.5) of the error and counts up to the
 * model's limit (at most 15), so a new context learns fast and an old one
 * settles at a rate of 1 / (limit + 1.5). Both are stored XOR 0x8000, so
 * zeroed memory reads as p = 1/2, n = 0, and tables start as untouched
 * zero pages.
 */
#ifndef MDC_BINCTX_H
#define MDC_BINCTX_H

#include "common.h"

typedef struct {
    uint16_t *t;       /* 16 * slots entries */
    size_t pairs;      /* slot pairs: < 2^26 at the largest budget (mdc_reduce) */
    uint64_t hash;     /* this byte's context */
    uint64_t low[2];   /* the low nibble's two possible contexts (binctx_prefetch_low) */
    uint16_t *nib[2];  /* this byte's slots: high nibble, low nibble */
    uint16_t *at[8];   /* per level: the entry read, for the update */
    uint32_t limit;    /* the count's ceiling, 1..15 */
} binctx;

/* The count's ceiling: a model of limit BINCTX_MAX_LIMIT settles at a rate
 * of 1/16.5; one of BINCTX_FAST_LIMIT at 1/5.5, which tracks what followed
 * its context lately (the models' users say where that pays). */
#define BINCTX_MAX_LIMIT 15
#define BINCTX_FAST_LIMIT 4
/* The table of an order-1 model: 256 contexts x (1 + 16) nibble slots of
 * 32 bytes, x2 for the pairs' slack, so that it is never crowded. */
#define BINCTX_O1_BYTES (256u * 17u * 64u)

int binctx_init(binctx *b, size_t bytes, uint32_t limit, int huge_pages);
void binctx_free(binctx *b);
size_t binctx_size(size_t bytes);

/* The hash of the low nibble's slot, once the high nibble is known. */
static inline uint64_t binctx_low_hash(uint64_t hash, int high_nibble)
{
    return mdc_mix64(hash + 0x100 + (uint64_t)high_nibble);
}

static MDC_INLINE void binctx_prefetch(const binctx *b, uint64_t hash)
{
    MDC_PREFETCH(b->t + mdc_reduce(hash, b->pairs) * 32);
}

/* Start a byte in context `hash`: selects the high nibble's slot. */
void binctx_begin(binctx *b, uint64_t hash);
/* Once 3 bits are known (`node` is the heap index at level 3): hashes the
 * two contexts the low nibble may have and asks for their slots. */
static inline void binctx_prefetch_low(binctx *b, int node)
{
    for (int j = 0; j < 2; j++) {
        b->low[j] = binctx_low_hash(b->hash, ((node << 1) | j) & 15);
        binctx_prefetch(b, b->low[j]);
    }
}

/* Select the low nibble's slot (at level 4, after binctx_prefetch_low:
 * the high nibble's last bit picks one of its two hashes). */
void binctx_low(binctx *b, int high_nibble);

/* A node's (heap index 1..255 at `level`) slot entry, 1..15. */
static inline uint16_t *binctx_entry(const binctx *b, int level, int node)
{
    /* Within its nibble a node is numbered as in a heap of 15: a leading 1,
     * then the nibble's bits known so far. */
    int lead = 1 << (level & 3);
    return &b->nib[level >> 2][lead | (node & (lead - 1))];
}

/* 16-bit P(1) at a node; remembers the entry for binctx_update. */
static MDC_INLINE uint32_t binctx_p(binctx *b, int level, int node)
{
    uint16_t *e = binctx_entry(b, level, node);
    b->at[level] = e;
    return ((uint32_t)(*e ^ 0x8000u) & 0xFFF0u) | 8u;
}

/* Learn the bit coded at `level` (after binctx_p at that level). */
static MDC_INLINE void binctx_update(binctx *b, int level, int bit)
{
    /* round(65536 / (n + 1.5)), n = 0..15 */
    static const uint16_t rate[16] = {43691, 26214, 18725, 14564, 11916, 10082, 8738, 7710,
                                      6899,  6242,  5699,  5243,  4855,  4520,  4228, 3972};
    uint16_t *slot_entry = b->at[level];
    uint32_t e = *slot_entry ^ 0x8000u;
    uint32_t n = e & 15;
    int32_t p = (int32_t)(e >> 4);
    /* p moves toward the bit by |error| * rate / 2^16, rounded toward p.
     * Since rate < 2^16, a step is less than the error, so p stays in
     * 1..4094: it starts at 2048 and never reaches the bit. */
    if (bit)
        p += (int32_t)(((uint32_t)(4095 - p) * rate[n]) >> 16);
    else
        p -= (int32_t)(((uint32_t)p * rate[n]) >> 16);
    MDC_ASSERT(p >= 1 && p <= 4094);
    n += n < b->limit;
    *slot_entry = (uint16_t)(((uint32_t)p << 4 | n) ^ 0x8000u);
}


#endif

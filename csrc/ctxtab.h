/*
 * ctxtab — a fixed-size hash table of context slots, with replacement.
 *
 * Used by the PPM model (orders 2-4), the high-order context model (orders
 * 5-8) and the word model (trie prefixes and bigrams). A slot is one 64-byte
 * cache line holding the counts of up to CTX_SLOT_SYMS distinct next bytes
 * of one context. Slots live in buckets of CTX_BUCKET slots; a context may
 * sit in any slot of the bucket its hash selects, and a new context evicts
 * the slot with the lowest total count (the least evidence lost).
 *
 * Memory: the bytes given to ctxtab_init, rounded down to whole buckets; it
 * never grows. Counts are 8-bit: when one would pass 255 all the
 * slot's counts are halved, which also lets old statistics fade.
 */
#ifndef MDC_CTXTAB_H
#define MDC_CTXTAB_H

#include "common.h"

#define CTX_SLOT_SYMS 28
#define CTX_BUCKET 4

typedef struct {
    uint32_t check;             /* hash tag, 0 = empty */
    uint16_t total;             /* sum of cnt[0..nsym): at most 255 * CTX_SLOT_SYMS */
    uint8_t nsym;               /* distinct symbols held: 0..CTX_SLOT_SYMS */
    uint8_t spare;
    uint8_t sym[CTX_SLOT_SYMS];
    uint8_t cnt[CTX_SLOT_SYMS]; /* 1..255 */
} ctx_slot;

typedef struct {
    ctx_slot *slots;
    size_t buckets; /* < 2^24 at the largest budget: mdc_reduce needs < 2^32 */
} ctxtab;

/* A model's context hashes, orders `lo` to `hi` in steps of `step`, for
 * the last history asked about: a model's prefetch computes them as soon as
 * the history is known, and its predict, asking again for the same
 * history, finds them ready. Zeroed, it holds nothing. */
#define CTX_HASH_ORDERS 9 /* orders 0..8 */

typedef struct {
    uint64_t hist;
    int valid;
    uint64_t of[CTX_HASH_ORDERS];
} ctx_hashes;

static inline const uint64_t *ctx_hashes_of(ctx_hashes *h, uint64_t hist, int lo, int hi,
                                            int step, uint64_t salt)
{
    MDC_ASSERT(lo >= 1 && hi < CTX_HASH_ORDERS && step >= 1);
    if (!h->valid || h->hist != hist) {
        for (int k = lo; k <= hi; k += step)
            h->of[k] = mdc_ctx_hash(hist, 0, k, salt);
        h->hist = hist;
        h->valid = 1;
    }
    return h->of;
}

static inline ctx_slot *ctxtab_bucket(const ctxtab *t, uint64_t hash)
{
    return t->slots + mdc_reduce(hash, t->buckets) * CTX_BUCKET;
}

/* Ask for the bucket of `hash` to be in cache by the time it is looked up. */
static MDC_INLINE void ctxtab_prefetch(const ctxtab *t, uint64_t hash)
{
    const ctx_slot *b = ctxtab_bucket(t, hash);
    _Static_assert(CTX_BUCKET == 4, "one prefetch per slot of the bucket");
    MDC_PREFETCH(b);
    MDC_PREFETCH(b + 1);
    MDC_PREFETCH(b + 2);
    MDC_PREFETCH(b + 3);
}

/* Allocates about `bytes` (at least one bucket). Returns 0, or -1 on OOM. */
int ctxtab_init(ctxtab *t, size_t bytes, int huge_pages);
void ctxtab_free(ctxtab *t);
/* Bytes ctxtab_init(bytes) allocates. */
size_t ctxtab_size(size_t bytes);

/* The slot of context `hash`, or NULL when it is not held. */
ctx_slot *ctxtab_find(const ctxtab *t, uint64_t hash);
/* The slot of context `hash`, claimed (empty) if it is not held. */
ctx_slot *ctxtab_get(ctxtab *t, uint64_t hash);

/* Count one occurrence of `sym`. A new symbol in a full slot replaces the
 * symbol with the smallest count. */
void ctxslot_add(ctx_slot *s, int sym);
/* The count of `sym` (0 if absent). */
int ctxslot_count(const ctx_slot *s, int sym);

#endif

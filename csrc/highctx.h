/*
 * highctx — the high-order context model, orders 5-8 (stage 4).
 *
 * Hashed contexts of the last 5, 6, 7 and 8 bytes, in their own ctxtab, count
 * the bytes that followed. The highest order whose context has at least 4
 * observations predicts count / total, with 16-bit confidence
 *   max(0, (n - 4) / (n + 8)) * (0.4 + 0.1 * (order - 5)).
 * Its blend weight (blend.h) is set by HIGHCTX_BLEND_SCALE and
 * HIGHCTX_BLEND_CAP; below BLEND_MIN_CONF it abstains.
 *
 * Change from the paper's program: with the node mixer on (our stage 6,
 * whose binary context models include orders 5 and 8, next to the match
 * model), every order of 5-8 largely repeats what the mixer already knows,
 * and each costs a table look-up that misses the cache. So there the model
 * keeps orders 5 and 7 (HIGHCTX_MIXED_MAX_ORDER, HIGHCTX_MIXED_STEP): half
 * the look-ups, and smaller output than all four orders on small and large
 * inputs alike, where order 5 alone loses on large ones. Without the mixer
 * (the paper's pipeline) it uses orders 5-8.
 */
#ifndef MDC_HIGHCTX_H
#define MDC_HIGHCTX_H

#include "blend.h"
#include "ctxtab.h"

/* The blend weight: min(HIGHCTX_BLEND_SCALE % of the confidence, HIGHCTX_BLEND_CAP). */
#define HIGHCTX_BLEND_SCALE 200
#define HIGHCTX_BLEND_CAP 39322 /* 0.60 */

#define HIGHCTX_MIN_ORDER 5
#define HIGHCTX_MAX_ORDER 8
/* Next to the mixer: orders 5 and 7. */
#define HIGHCTX_MIXED_MAX_ORDER 7
#define HIGHCTX_MIXED_STEP 2
_Static_assert(HIGHCTX_MAX_ORDER < CTX_HASH_ORDERS, "ctx_hashes holds every order");

typedef struct {
    ctxtab tab;
    int min_order;                         /* 5 */
    int max_order;                         /* 8, or 7 when the mixer is on */
    int step;                              /* orders min_order, +step, .. max_order */
    ctx_slot *slot[HIGHCTX_MAX_ORDER + 1]; /* this byte's contexts */
    ctx_hashes hashes;                     /* this byte's contexts' hashes (highctx_prefetch's) */
    const ctx_slot *pred;                  /* the one that predicts, or NULL */
    uint32_t confidence;                   /* 16-bit */
} highctx_model;

/* Orders HIGHCTX_MIN_ORDER, + step, ... up to max_order: 8 and 1 for the
 * paper's model, 7 and 2 next to the mixer. */
int highctx_init(highctx_model *m, size_t table_bytes, int max_order, int step,
                 int huge_pages);
void highctx_free(highctx_model *m);
size_t highctx_size(size_t table_bytes); /* what init allocates */

void highctx_prefetch(highctx_model *m, uint64_t hist, int avail);
/* Sets m->pred and m->confidence (0 when no context predicts). */
void highctx_predict(highctx_model *m, uint64_t hist, int avail);
void highctx_update(highctx_model *m, int byte);

/* Its blend weight, 16-bit: 0 when it abstains. */
static inline uint32_t highctx_weight(const highctx_model *m)
{
    /* no prediction has confidence 0, below BLEND_MIN_CONF */
    return m->confidence >= BLEND_MIN_CONF
               ? blend_weight(m->confidence, HIGHCTX_BLEND_SCALE, HIGHCTX_BLEND_CAP)
               : 0;
}

/* dist += weight * count / total over the predicting context's bytes. */
static inline void highctx_blend(const highctx_model *m, uint32_t weight, mdc_dist *dist)
{
    blend_add_slot(dist, m->pred, weight, NULL);
}

#endif

/*
 * ppm — the PPM model, orders 0-4 (stage 1).
 *
 * Orders 0 and 1 are direct rows of counts kept as sum trees (2 KiB a row,
 * 257 rows); orders 2-4 share one ctxtab. Prediction walks from the highest
 * order present down to order 0 with exclusion (a byte given mass at a higher
 * order gets none below; order 0 excludes only the bytes of orders 2-4,
 * see ppm.c) and Method-C escapes (escape = distinct / (seen +
 * distinct), counted over the bytes not excluded); what is left after order
 * 0 is spread evenly over the bytes never seen.
 *
 * The distribution is handed over as dist.h describes: orders 1 and 0 as
 * their sum trees with a mass per count, the bytes of orders 2-4 as
 * entries, and corrections (entries) that take the excluded bytes' counts
 * back out of the lower orders' trees. The masses are those above without
 * rounding each byte's share; a byte gets at least DIST_FLOOR.
 *
 * Besides the distribution it reports the order of the highest context that
 * predicted (-1 if none) and a confidence: that context's count plus the
 * Jeffreys prior of 0.5 per byte value, i.e. 128 + n.
 *
 * Work per byte: the sparse orders 2-4 and a few sums; no pass over all 256
 * bytes. The sums that exclusion needs come from the rows' totals less the
 * bytes excluded above. Learning a byte adds 1 along its path in the two
 * sum trees (and in order 0's tree of seen bytes when it is new).
 *
 * Call order per byte: ppm_prefetch (as early as the context is known),
 * ppm_predict, then ppm_update with the true byte.
 *
 * Bounds (docs/TESTING.md, "Limits"): every count is halved before it
 * passes 65535 (orders 0-1) or 255 (orders 2-4, ctxtab.h), however long
 * the stream, so the sums and masses below have fixed ceilings.
 */
#ifndef MDC_PPM_H
#define MDC_PPM_H

#include "ctxtab.h"
#include "dist.h"

#define PPM_MAX_ORDER 4
_Static_assert(PPM_MAX_ORDER < CTX_HASH_ORDERS, "ctx_hashes holds every order");

typedef struct {
    uint32_t tree[512];         /* heap sum tree: [256 + c] the count of byte c
                                   (0..65535, halved when one would overflow),
                                   [1] the total (< 256 * 65536 = 2^24) */
    uint32_t distinct;          /* bytes with a non-zero count: 0..256 */
} ppm_row;

typedef struct {
    ppm_row o0;
    uint16_t o0_seen[512];      /* heap tree: how many bytes of a node order 0 has
                                   seen (0..256) */
    uint32_t o0_max;            /* order 0's largest count (0..65535) */
    ppm_row *o1;                /* [previous byte] */
    ctxtab tab;                 /* orders 2..4 */
    ctx_slot *slot[PPM_MAX_ORDER + 1]; /* this byte's contexts (orders 2..4) */
    ctx_hashes hashes;          /* this byte's contexts' hashes (ppm_prefetch's) */
    int order;                  /* highest order that predicted, -1 if none */
    uint32_t confidence;        /* 128 + count of that context (< 2^24 + 128); 0 if none */
} ppm_model;

/* Order 1's rows, which ppm_init allocates besides its hashed table. */
#define PPM_O1_BYTES (256 * sizeof(ppm_row))

int ppm_init(ppm_model *m, size_t table_bytes, int huge_pages);
void ppm_free(ppm_model *m);
/* The memory ppm_init allocates for the hashed table of orders 2-4
 * (`table_bytes` rounded down to whole buckets); order 1's rows
 * (PPM_O1_BYTES) come on top, and the model itself is the caller's. */
size_t ppm_table_size(size_t table_bytes);

void ppm_prefetch(ppm_model *m, uint64_t hist, int avail);
/* Start dist with PPM's share `mass` (at most 2^MDC_DIST_BITS; dist.h's
 * units are 2^DIST_FRAC finer). `hist` holds the last bytes (most recent
 * lowest), `avail` how many exist (up to 8). */
void ppm_predict(ppm_model *m, uint64_t hist, int avail, uint32_t mass, mdc_dist *dist);
void ppm_update(ppm_model *m, uint64_t hist, int avail, int byte);

/* After ppm_predict: the highest order that predicted (-1 if none), and
 * its confidence (128 + that context's count, 0 if none). */
static inline int ppm_order(const ppm_model *m)
{
    return m->order;
}

static inline uint32_t ppm_confidence(const ppm_model *m)
{
    return m->confidence;
}

/* Order 0's largest count, which bounds the mass of a byte without an
 * entry (dist_finish). */
static inline uint32_t ppm_o0_max(const ppm_model *m)
{
    return m->o0_max;
}

#endif

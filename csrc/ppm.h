/*
 * ppm — the PPM model, orders 0-4 (stage 1).
 *
 * Orders 0 and 1 are direct rows of 16-bit counts (0.5 KiB and 130 KiB);
 * orders 2-4 share one ctxtab. Prediction walks from the highest order
 * present down to order 0 with exclusion (a byte given mass at a higher
 * order gets none below) and Method-C escapes (escape = distinct / (seen +
 * distinct), counted over the bytes not excluded); what is left after order
 * 0 is spread evenly over the bytes never seen.
 *
 * Besides the distribution it reports the order of the highest context that
 * predicted (-1 if none) and a confidence: that context's count plus the
 * Jeffreys prior of 0.5 per byte value, i.e. 128 + n.
 *
 * Work per byte: the sparse orders 2-4, then two passes over the 256 bytes
 * (order 1; order 0 together with the bytes never seen), written without
 * branches for the vectoriser. The sums that exclusion needs come from the
 * rows' totals less the few bytes the higher orders excluded.
 *
 * Call order per byte: ppm_prefetch (as early as the context is known),
 * ppm_predict, then ppm_update with the true byte.
 */
#ifndef MDC_PPM_H
#define MDC_PPM_H

#include "ctxtab.h"

#define PPM_MAX_ORDER 4

typedef struct {
    uint16_t counts[256];       /* 1..65535 each, halved when one would overflow */
    uint32_t total;             /* sum of counts */
    uint32_t distinct;          /* non-zero counts */
} ppm_row;

typedef struct {
    ppm_row o0;
    ppm_row *o1;                /* [previous byte] */
    ctxtab tab;                 /* orders 2..4 */
    ctx_slot *slot[PPM_MAX_ORDER + 1]; /* this byte's contexts (orders 2..4) */
    int order;                  /* highest order that predicted, -1 if none */
    uint32_t confidence;        /* 128 + count of that context; 0 if none */
} ppm_model;

int ppm_init(ppm_model *m, size_t table_bytes);
void ppm_free(ppm_model *m);
size_t ppm_size(size_t table_bytes);

void ppm_prefetch(const ppm_model *m, uint64_t hist, int avail);
/* Fill dist with weights summing to about `mass` (at most 2^24), each >= 1. `hist` holds the last bytes (most recent lowest), `avail` how many
 * exist (up to 8). */
void ppm_predict(ppm_model *m, uint64_t hist, int avail, uint32_t mass, mdc_dist *dist);
void ppm_update(ppm_model *m, uint64_t hist, int avail, int byte);

#endif

/*
 * ppm — the PPM model, orders 0-4 (stage 1).
 *
 * Orders 0 and 1 are direct count arrays (1 KiB and 192 KiB); orders 2-4
 * share one ctxtab. Prediction walks from the highest order present down to
 * order 0 with exclusion (a byte given mass at a higher order gets none
 * below) and Method-C escapes (escape = distinct / (seen + distinct),
 * counted over the bytes not excluded); what is left after order 0 is spread
 * evenly over the bytes never seen.
 *
 * Besides the distribution it reports the order of the highest context that
 * predicted (-1 if none) and a confidence: that context's count plus the
 * Jeffreys prior of 0.5 per byte value, i.e. 128 + n.
 *
 * Call order per byte: ppm_predict, then ppm_update with the true byte.
 */
#ifndef MDC_PPM_H
#define MDC_PPM_H

#include "ctxtab.h"

#define PPM_MAX_ORDER 4

typedef struct {
    uint32_t o0[256];
    uint32_t o0_total;
    uint16_t (*o1)[256];        /* [previous byte][byte] */
    uint32_t *o1_total;         /* [previous byte] */
    ctxtab tab;                 /* orders 2..4 */
    ctx_slot *slot[PPM_MAX_ORDER + 1]; /* this byte's contexts (orders 2..4) */
    int order;                  /* highest order that predicted, -1 if none */
    uint32_t confidence;        /* 128 + count of that context; 0 if none */
} ppm_model;

int ppm_init(ppm_model *m, size_t table_bytes);
void ppm_free(ppm_model *m);
size_t ppm_size(size_t table_bytes);

/* Fill dist[256] (weights summing to about MDC_DIST_ONE, each >= 1).
 * `hist` holds the last bytes (most recent lowest), `avail` how many exist. */
void ppm_predict(ppm_model *m, uint64_t hist, int avail, uint32_t *dist);
void ppm_update(ppm_model *m, uint64_t hist, int avail, int byte);

#endif

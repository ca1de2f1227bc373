/*
 * highctx — the high-order context model, orders 5-8 (stage 4).
 *
 * Hashed contexts of the last 5, 6, 7 and 8 bytes, in their own ctxtab, count
 * the bytes that followed. The highest order whose context has at least 4
 * observations predicts count / total, with 16-bit confidence
 *   max(0, (n - 4) / (n + 8)) * (0.4 + 0.1 * (order - 5)).
 * Blend weight w = min(2 conf, 0.6).
 */
#ifndef MDC_HIGHCTX_H
#define MDC_HIGHCTX_H

#include "ctxtab.h"

#define HIGHCTX_MIN_ORDER 5
#define HIGHCTX_MAX_ORDER 8

typedef struct {
    ctxtab tab;
    ctx_slot *slot[HIGHCTX_MAX_ORDER + 1]; /* this byte's contexts */
    const ctx_slot *pred;                  /* the one that predicts, or NULL */
    uint32_t confidence;                   /* 16-bit */
} highctx_model;

int highctx_init(highctx_model *m, size_t table_bytes);
void highctx_free(highctx_model *m);
size_t highctx_size(size_t table_bytes);

void highctx_prefetch(const highctx_model *m, uint64_t hist, int avail);
void highctx_predict(highctx_model *m, uint64_t hist, int avail);
void highctx_update(highctx_model *m, int byte);

#endif

/*
 * apm — an adaptive probability map: the final secondary estimation
 * (stage 7).
 *
 * Refines a 16-bit probability under a context: each context holds 33
 * knots over the stretch domain, starting as the identity; the output
 * interpolates the two knots around stretch(p), and once the bit is known
 * both move toward it, each by its share, at rate 2^-APM_RATE.
 *
 * A knot is stored less the identity's (squash_knot), modulo 2^16, which is
 * exact both ways: zeroed memory is a fresh map, so a map of any size
 * starts as untouched zero pages with no initialising pass.
 *
 * Memory: contexts * 33 uint16.
 */
#ifndef MDC_APM_H
#define MDC_APM_H

#include "squash.h"

typedef struct {
    uint16_t *t;      /* contexts * 33 knots, less the identity's */
    uint32_t contexts;
    uint32_t idx[8];  /* per level: the lower knot used */
    uint32_t j[8];    /* and its number in the row (idx % 33) */
    uint32_t w[8];    /* and the upper knot's weight (0..127) */
} apm;

int apm_init(apm *a, uint32_t contexts);
size_t apm_size(uint32_t contexts);
void apm_free(apm *a);
uint32_t apm_p(apm *a, const stretch_table *st, int level, uint32_t p, uint32_t ctx);
void apm_update(apm *a, int level, int bit);

/* Ask for the knots of contexts ctx and ctx + 1 (132 bytes). */
static inline void apm_prefetch(const apm *a, uint32_t ctx)
{
#if defined(__GNUC__) || defined(__clang__)
    const char *row = (const char *)(a->t + (size_t)ctx * 33);
    __builtin_prefetch(row);
    __builtin_prefetch(row + 64);
    __builtin_prefetch(row + 128);
#else
    (void)a;
    (void)ctx;
#endif
}

#endif

/*
 * apm — an adaptive probability map: the final secondary estimation
 * (stage 7).
 *
 * Refines a 16-bit probability under a small context: each context holds 33
 * knots over the stretch domain, starting as the identity; the output
 * interpolates the two knots around stretch(p), and once the bit is known
 * both move toward it, each by its share, at rate 2^-APM_RATE.
 *
 * Memory: contexts * 33 uint16.
 */
#ifndef MDC_APM_H
#define MDC_APM_H

#include "squash.h"

typedef struct {
    uint16_t *t;      /* contexts * 33 knots */
    uint32_t contexts;
    uint32_t idx[8];  /* per level: the lower knot used */
    uint32_t w[8];    /* and the upper knot's weight (0..127) */
} apm;

int apm_init(apm *a, uint32_t contexts);
void apm_free(apm *a);
uint32_t apm_p(apm *a, const stretch_table *st, int level, uint32_t p, uint32_t ctx);
void apm_update(apm *a, int level, int bit);

#endif

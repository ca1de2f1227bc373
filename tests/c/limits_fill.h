/*
 * limits_fill — for the limit harnesses (limits_components.c, limits_engine.c):
 * PPM's order-0/1 rows started at their count limit.
 */
#ifndef LIMITS_FILL_H
#define LIMITS_FILL_H

#include "ppm.h"

/* Every count of a row at `count`, its sums and order 0's seen tree (if
 * given) to match. */
static void fill_row(ppm_row *row, uint16_t *seen, uint32_t count)
{
    for (int c = 0; c < 256; c++)
        row->tree[256 + c] = count;
    for (int k = 255; k >= 1; k--)
        row->tree[k] = row->tree[2 * k] + row->tree[2 * k + 1];
    row->distinct = 256;
    if (seen)
        for (int k = 511; k >= 1; k--)
            seen[k] = k >= 256 ? 1 : (uint16_t)(seen[2 * k] + seen[2 * k + 1]);
}

#endif

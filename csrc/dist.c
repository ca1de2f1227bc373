#include "dist.h"

#include <string.h>

void dist_init(mdc_dist *d)
{
    memset(d, 0, sizeof(*d));
}

void dist_finish(mdc_dist *d, uint32_t o0_max)
{
    int64_t sparse = 0;
    /* Bytes without entries have order 0's mass or an unseen byte's: bounded
     * by these two. */
    uint64_t max = d->r0 * o0_max + DIST_FLOOR;
    max = d->each + DIST_FLOOR > max ? d->each + DIST_FLOOR : max;
    for (int h = 0; h < 16; h++)
        d->nibble[h] = 0;
    for (int i = 0; i < d->n; i++) {
        int byte = d->byte[i];
        int64_t w = d->weight[byte];
        uint64_t p = (uint64_t)(w + (int64_t)dist_dense(d, 256 + byte, 8));
        max = p > max ? p : max;
        sparse += w;
        d->nibble[byte >> 4] += w;
    }
    d->total = (uint64_t)((int64_t)dist_dense(d, 1, 0) + sparse);
    d->max = max;
}

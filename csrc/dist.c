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
    for (int i = 0; i < d->n; i++) {
        int leaf = (int)d->leaf[i];
        uint64_t p = (uint64_t)(d->w[i] + (int64_t)dist_dense(d, leaf, 8));
        max = p > max ? p : max;
        sparse += d->w[i];
        d->at[leaf - 256] = 0;
    }
    for (int i = d->n; i % DIST_LANES; i++)
        d->leaf[i] = d->w[i] = 0;
    d->total = (uint64_t)((int64_t)dist_dense(d, 1, 0) + sparse);
    d->max = max;
}

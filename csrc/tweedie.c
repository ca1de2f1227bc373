#include "tweedie.h"

#include "alloc.h"

/* Bounds of the 20 logit bins: round(65536 / (1 + exp(8 - 0.8 i))), i = 1..19. */
static const uint32_t pbin_upper[TWD_PBINS - 1] = {
    49, 109, 241, 535, 1179, 2567, 5451, 11009, 20318, 32768,
    45218, 54527, 60085, 62969, 64357, 65001, 65295, 65427, 65487};
/* Their centres: round(65536 / (1 + exp(8 - 0.8 (i + 0.5)))), i = 0..19. */
static const uint32_t pbin_centre[TWD_PBINS] = {
    33, 73, 162, 360, 795, 1743, 3757, 7812, 15170, 26300,
    39236, 50366, 57724, 61779, 63793, 64741, 65176, 65374, 65463, 65503};

#define MIN_REAL 10

/* A bucket starts with TWD_PRIOR pseudo-observations at its bin's centre
 * c: their errors sum to 0 and their squares to TWD_PRIOR c (1 - c), a
 * Bernoulli(c) variance. The table keeps only what real observations add
 * to that. */
static inline uint64_t prior_sum_sq(uint32_t idx)
{
    uint64_t c = pbin_centre[idx % TWD_PBINS]; /* the index ends with the p bin */
    return TWD_PRIOR * c * (MDC_P_ONE - c);
}

/* Index = (((((bitctx * ORDERS + order) * SHAPES + shape) * CONFS + conf)
 *           * steps + step) * PBINS + pbin: a node's steps sit together,
 * so they share cache lines (TWD_STEP_STRIDE apart). */

size_t tweedie_size(int steps)
{
    return tweedie_buckets(steps) * (sizeof(twd_bucket) + sizeof(int16_t));
}

int tweedie_init(tweedie_model *t, int steps)
{
    MDC_ASSERT(steps >= 1 && steps <= TWD_STEPS);
    t->steps = steps;
    t->bitctx_stride = (uint32_t)(TWD_STEP_BUCKETS / TWD_BITCTX) * (uint32_t)steps;
    t->table = mdc_table_alloc(tweedie_buckets(steps) * sizeof(twd_bucket), 1);
    t->delta = mdc_table_alloc(tweedie_buckets(steps) * sizeof(int16_t), 1);
    if (!t->table || !t->delta) {
        tweedie_free(t);
        return -1;
    }
    /* The bin of p is that of p rounded down to a multiple of 16: bounds move
     * by less than 16 / 65536, and a look-up replaces a search. */
    for (uint32_t i = 0, bin = 0; i < 4096; i++) {
        while (bin < TWD_PBINS - 1 && i * 16 >= pbin_upper[bin])
            bin++;
        t->pbin[i] = (uint8_t)bin;
    }
    return 0;
}

void tweedie_free(tweedie_model *t)
{
    mdc_table_free(t->table, tweedie_buckets(t->steps) * sizeof(twd_bucket));
    mdc_table_free(t->delta, tweedie_buckets(t->steps) * sizeof(int16_t));
    t->table = NULL;
    t->delta = NULL;
}

static inline int order_group(int order)
{
    return order <= 1 ? 0 : order <= 3 ? 1 : 2;
}

static inline int conf_bin(uint32_t confidence)
{
    if (confidence < 4)
        return 0;
    int bin = mdc_ilog2(confidence) / 2; /* floor(log4) */
    return bin < TWD_CONFS ? bin : TWD_CONFS - 1;
}

static inline int shape_bin(uint64_t max, uint64_t total)
{
    uint64_t m = max, n = total;
    if (m * 20 < n)
        return 0;
    if (m * 100 < n * 15)
        return 1;
    if (m * 5 < n * 2)
        return 2;
    return 3;
}

void tweedie_begin(tweedie_model *t, int ppm_order, uint32_t ppm_confidence, uint64_t max,
                   uint64_t total)
{
    t->byte_ctx = (((uint32_t)order_group(ppm_order) * TWD_SHAPES + shape_bin(max, total)) *
                       TWD_CONFS + conf_bin(ppm_confidence)) * (uint32_t)t->steps * TWD_PBINS;
}

/* The bucket's Tweedie correction, diff / n, shrunk by min(1, SNR / 4);
 * SNR = delta^2 n / (sum_sq / n) = diff^2 / sum_sq. Zero until the bucket
 * has more than MIN_REAL real observations. 16-bit, signed. */
static int32_t correction(const twd_bucket *b, uint32_t idx)
{
    if (b->real <= MIN_REAL)
        return 0;
    uint32_t count = b->count_extra + TWD_PRIOR;
    int64_t delta = b->diff / (int64_t)count; /* truncates toward zero */
    if (delta == 0)
        return 0;
    uint64_t v = (b->sum_sq_extra + prior_sum_sq(idx)) / count;
    uint64_t num = (uint64_t)(delta * delta) * count; /* < 2^32 * 2^30 */
    uint64_t den = 4 * v;
    if (num >= den)
        return (int32_t)delta;
    return (int32_t)(delta * (int64_t)((num << 16) / den) / 65536);
}

void tweedie_halve(tweedie_model *t, uint32_t idx)
{
    twd_bucket *b = &t->table[idx];
    uint64_t prior = prior_sum_sq(idx);
    b->diff /= 2;
    b->sum_sq_extra = ((b->sum_sq_extra + prior) >> 1) - prior;
    b->count_extra = ((b->count_extra + TWD_PRIOR) >> 1) - TWD_PRIOR;
}

void tweedie_refresh(tweedie_model *t, uint32_t idx)
{
    int32_t d = correction(&t->table[idx], idx); /* kept within int16: a shift of 1/2 at most */
    t->delta[idx] = (int16_t)(d < -32768 ? -32768 : d > 32767 ? 32767 : d);
}

void tweedie_stats(const tweedie_model *t, double mean_abs_delta[TWD_STEPS][TWD_CONFS],
                   double observations[TWD_STEPS][TWD_CONFS])
{
    for (int s = 0; s < TWD_STEPS; s++)
        for (int c = 0; c < TWD_CONFS; c++)
            mean_abs_delta[s][c] = observations[s][c] = 0.0;
    for (size_t i = 0; i < tweedie_buckets(t->steps); i++) {
        const twd_bucket *b = &t->table[i];
        if (!b->real)
            continue;
        int step = (int)(i / TWD_PBINS % (size_t)t->steps);
        int conf = (int)(i / (TWD_PBINS * (size_t)t->steps) % TWD_CONFS);
        int32_t d = t->delta[i];
        mean_abs_delta[step][conf] += (double)(d < 0 ? -d : d) * b->real;
        observations[step][conf] += b->real;
    }
    for (int s = 0; s < TWD_STEPS; s++)
        for (int c = 0; c < TWD_CONFS; c++)
            if (observations[s][c] > 0)
                mean_abs_delta[s][c] /= observations[s][c] * 65536.0;
}

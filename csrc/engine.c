/*
 * engine.c — wires the stages of Midicoth into a byte coder.
 *
 * What one byte goes through, in order:
 *
 *   1. ppm.c      PPM, orders 0-4, with exclusion and Method-C escapes,
 *                 gives a 256-way distribution, the order that predicted
 *                 and a confidence (128 + that context's count).
 *   2. match.c    the match model predicts one byte; blend.h mixes it in:
 *                 p <- (1-w) p + w onehot, w = min(0.85 conf, 0.95).
 *   3. word.c     the trie word model (in a word: continuations of the
 *                 prefix; between words: the bigram), w = min(0.35 conf, 0.45).
 *   4. highctx.c  hashed contexts of orders 5-8, w = min(2 conf, 0.6).
 *   5. tweedie.c  the micro-diffusion calibrator: the distribution is read as
 *                 a binary tree, MSB first; each node's P(right) on the
 *                 byte's path is corrected in 3 Tweedie steps.
 *   6. coder.h    a binary arithmetic coder codes the 8 decisions.
 *
 * Then every stage learns the true byte, in the same order. The decoder runs
 * the identical model and learns the path bit by bit, which is why only the
 * 8 nodes on the path are ever calibrated: a correction rescales a node's
 * subtrees and leaves the nodes above it unchanged.
 *
 * Fixed-point scales: the distribution is 256 uint32 weights summing to
 * about 2^24, each >= 1 (mdc_dist, common.h); confidences, blend weights and binary
 * probabilities are 16-bit fractions (65536 = 1); a coded P(right) is
 * clamped to [1, 65535]. No floating point is on the coding path, so the
 * output is the same for every compiler, flag and CPU.
 *
 * Memory: the budget (a power of two, MiB) less the fixed tables (the
 * calibrator's 4.7 MiB, PPM orders 0-1) is shared out in powers of two:
 * 8/26 each to the PPM and high-order context tables, 4/26 to the match
 * history, 1/26 to each of the five match tables and 1/26 to the word model.
 * Tables of stages switched off are not allocated. Nothing is allocated
 * after mdc_engine_new.
 */
#include "midicoth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blend.h"
#include "coder.h"
#include "highctx.h"
#include "match.h"
#include "ppm.h"
#include "tweedie.h"
#include "word.h"

/* Blend scales (percent of confidence) and caps (16-bit). */
#define MATCH_SCALE 85
#define MATCH_CAP 62259   /* 0.95 */
#define WORD_SCALE 35
#define WORD_CAP 29491    /* 0.45 */
#define HIGHCTX_SCALE 200
#define HIGHCTX_CAP 39322 /* 0.60 */
#define MIN_CONF 655      /* 0.01: below it a stage abstains */

/* The lookahead a decoded byte may need: 8 decisions, each shifting in at
 * most 4 bytes. */
#define DECODE_LOOKAHEAD (8 * CODER_MAX_BYTES_PER_BIT)

struct mdc_engine {
    unsigned memory_mib, stages;
    uint64_t hist, hist_hi; /* the last 16 bytes, most recent lowest */
    uint64_t nbytes;        /* bytes modelled */

    ppm_model ppm;
    match_model match;
    word_model word;
    highctx_model highctx;
    tweedie_model tweedie;

    mdc_dist dist;

    coder_state coder;
    int segment_open;       /* encoder: bits coded since the last flush */
    int started;            /* decoder: coder primed for this segment */
    uint64_t remaining;     /* decoder: bytes of the segment still to come */
    uint64_t overrun;       /* decoder: zero bytes read past the segment's end */

    float *cost;            /* -log2(p / 65536) for p = 0..65535, when measuring */
    double ideal_bits;
};

typedef struct {
    size_t ppm, highctx, word;
    int ring_bits, match_bits;
} layout;

static size_t pow2_floor(size_t x)
{
    size_t p = 1;
    while (p <= x / 2)
        p *= 2;
    return p;
}

static layout layout_for(unsigned memory_mib)
{
    size_t budget = (size_t)memory_mib << 20;
    size_t fixed = tweedie_size() + ppm_size(0) + sizeof(mdc_engine);
    size_t part = (budget - fixed) / 26;
    layout l;
    l.ppm = pow2_floor(part * 8);
    l.highctx = pow2_floor(part * 8);
    l.word = pow2_floor(part);
    l.ring_bits = mdc_ilog2(pow2_floor(part * 4));
    l.match_bits = mdc_ilog2(pow2_floor(part) / sizeof(uint32_t));
    return l;
}

int mdc_params_valid(unsigned memory_mib, unsigned stages)
{
    return memory_mib >= MDC_MIN_MEMORY_MIB && memory_mib <= MDC_MAX_MEMORY_MIB &&
           (memory_mib & (memory_mib - 1)) == 0 && (stages & ~MDC_ALL_STAGES) == 0;
}

size_t mdc_engine_bytes(unsigned memory_mib)
{
    layout l = layout_for(memory_mib);
    return sizeof(mdc_engine) + tweedie_size() + ppm_size(l.ppm) + highctx_size(l.highctx) +
           word_size(l.word) + match_size(l.ring_bits, l.match_bits);
}

void mdc_engine_free(mdc_engine *e)
{
    if (!e)
        return;
    ppm_free(&e->ppm);
    match_free(&e->match);
    word_free(&e->word);
    highctx_free(&e->highctx);
    tweedie_free(&e->tweedie);
    free(e->cost);
    free(e);
}

mdc_engine *mdc_engine_new(unsigned memory_mib, unsigned stages)
{
    if (!mdc_params_valid(memory_mib, stages))
        return NULL;
    mdc_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->memory_mib = memory_mib;
    e->stages = stages;
    coder_reset(&e->coder);
    layout l = layout_for(memory_mib);
    int fail = ppm_init(&e->ppm, l.ppm) != 0;
    if (stages & MDC_STAGE_MATCH)
        fail |= match_init(&e->match, l.ring_bits, l.match_bits) != 0;
    if (stages & MDC_STAGE_WORD)
        fail |= word_init(&e->word, l.word) != 0;
    if (stages & MDC_STAGE_HIGHCTX)
        fail |= highctx_init(&e->highctx, l.highctx) != 0;
    if (stages & MDC_STAGE_TWEEDIE)
        fail |= tweedie_init(&e->tweedie) != 0;
    if (fail) {
        mdc_engine_free(e);
        return NULL;
    }
    return e;
}

/* Stages 1-4 and the calibrator's per-byte context: fills dist and cum.
 * The weights come first, so that PPM spreads only the mass they leave it
 * (blend.h). */
static void predict(mdc_engine *e)
{
    int avail = e->nbytes < 8 ? (int)e->nbytes : 8;
    mdc_dist *dist = &e->dist;
    uint32_t w_match = 0, w_word = 0, w_high = 0;

    if (e->stages & MDC_STAGE_MATCH) {
        match_predict(&e->match, e->hist, e->hist_hi);
        if (e->match.predicted >= 0)
            w_match = blend_weight(e->match.confidence, MATCH_SCALE, MATCH_CAP);
    }
    if (e->stages & MDC_STAGE_WORD) {
        word_predict(&e->word);
        if (e->word.pred && e->word.confidence >= MIN_CONF)
            w_word = blend_weight(e->word.confidence, WORD_SCALE, WORD_CAP);
    }
    if (e->stages & MDC_STAGE_HIGHCTX) {
        highctx_predict(&e->highctx, e->hist, avail);
        if (e->highctx.pred && e->highctx.confidence >= MIN_CONF)
            w_high = blend_weight(e->highctx.confidence, HIGHCTX_SCALE, HIGHCTX_CAP);
    }

    /* The PPM share: (1 - w_match)(1 - w_word)(1 - w_high). */
    uint32_t keep = blend_keep(blend_keep(MDC_P_ONE - w_match, w_word), w_high);
    ppm_predict(&e->ppm, e->hist, avail, keep << (MDC_DIST_BITS - 16), dist);
    if (w_match)
        blend_add_onehot(dist, e->match.predicted, blend_keep(blend_keep(w_match, w_word), w_high));
    if (w_word)
        word_blend(&e->word, blend_keep(w_word, w_high), dist);
    if (w_high)
        blend_add_slot(dist, e->highctx.pred, w_high, NULL);

    if (e->stages & MDC_STAGE_TWEEDIE)
        tweedie_begin(&e->tweedie, e->ppm.order, e->ppm.confidence, dist->max, dist->total);
}

/* Walking the tree: the node being coded, its level and its mass. */
typedef struct {
    int level, node, lo; /* node: heap index; lo: its first byte */
    uint32_t mass, left; /* the node's mass and its left half's */
} tree_walk;

/* The coded P(right) of the walk's node. Its left half's mass is summed
 * here (a loop the compiler vectorises), so a byte costs 255 additions
 * rather than a prefix sum of the whole distribution. */
static inline uint32_t node_p(mdc_engine *e, tree_walk *w)
{
    int half = 128 >> w->level;
    const uint32_t *d = e->dist.p + w->lo;
    uint32_t left = 0;
    for (int i = 0; i < half; i++)
        left += d[i];
    w->left = left;
    uint32_t p = (uint32_t)(((uint64_t)(w->mass - left) << 16) / w->mass);
    p = p < 1 ? 1 : p > 65535 ? 65535 : p;
    if (e->stages & MDC_STAGE_TWEEDIE)
        p = tweedie_node(&e->tweedie, w->level, w->node, p);
    return p;
}

static inline void node_next(tree_walk *w, int bit)
{
    int half = 128 >> w->level;
    w->mass = bit ? w->mass - w->left : w->left;
    w->lo += bit ? half : 0;
    w->node = 2 * w->node + bit;
    w->level++;
}

static inline void account(mdc_engine *e, int bit, uint32_t p)
{
    if (e->cost)
        e->ideal_bits += e->cost[bit ? p : 65536 - p];
}

/* Every stage learns the byte. The next byte's contexts are known first
 * thing, so their table lines are requested before the updates, which then
 * hide the memory latency. */
static void update(mdc_engine *e, int c)
{
    int avail = e->nbytes < 8 ? (int)e->nbytes : 8;
    uint64_t hist = e->hist, hist_hi = e->hist_hi;
    int next_avail = avail < 8 ? avail + 1 : 8;

    e->hist_hi = (hist_hi << 8) | (hist >> 56);
    e->hist = (hist << 8) | (uint64_t)c;
    e->nbytes++;
    ppm_prefetch(&e->ppm, e->hist, next_avail);
    if (e->stages & MDC_STAGE_HIGHCTX)
        highctx_prefetch(&e->highctx, e->hist, next_avail);
    if (e->stages & MDC_STAGE_MATCH)
        match_prefetch(&e->match, e->hist, e->hist_hi);

    if (e->stages & MDC_STAGE_TWEEDIE)
        for (int level = 0; level < 8; level++)
            tweedie_update(&e->tweedie, level, (c >> (7 - level)) & 1);
    ppm_update(&e->ppm, hist, avail, c);
    if (e->stages & MDC_STAGE_MATCH)
        match_update(&e->match, hist, hist_hi, c);
    if (e->stages & MDC_STAGE_WORD) {
        word_update(&e->word, c);
        word_prefetch(&e->word);
    }
    if (e->stages & MDC_STAGE_HIGHCTX)
        highctx_update(&e->highctx, c);
}

MDC_VECTOR_CLONES
size_t mdc_encode(mdc_engine *e, const uint8_t *in, size_t in_len, size_t *consumed,
                  uint8_t *out, size_t out_cap)
{
    size_t i = 0, n = 0;
    while (i < in_len && out_cap - n >= MDC_MAX_BYTES_PER_BYTE) {
        int c = in[i++];
        predict(e);
        tree_walk w = {0, 1, 0, e->dist.total, 0};
        for (int level = 0; level < 8; level++) {
            int bit = (c >> (7 - level)) & 1;
            uint32_t p = node_p(e, &w);
            account(e, bit, p);
            n += (size_t)coder_encode(&e->coder, bit, p, out + n);
            node_next(&w, bit);
        }
        update(e, c);
    }
    if (i)
        e->segment_open = 1;
    *consumed = i;
    return n;
}

size_t mdc_encode_end(mdc_engine *e, uint8_t *out)
{
    size_t n = e->segment_open ? (size_t)coder_flush(&e->coder, out) : 0;
    coder_reset(&e->coder);
    e->segment_open = 0;
    return n;
}

void mdc_decode_start(mdc_engine *e, uint64_t size)
{
    coder_reset(&e->coder);
    e->started = 0;
    e->remaining = size;
    e->overrun = 0;
}

uint64_t mdc_decode_remaining(const mdc_engine *e)
{
    return e->remaining;
}

MDC_VECTOR_CLONES
size_t mdc_decode(mdc_engine *e, const uint8_t *in, size_t in_len, int final, size_t *consumed,
                  uint8_t *out, size_t out_cap)
{
    coder_input src = {in, in_len, 0};
    size_t n = 0;
    if (e->remaining && out_cap && !e->started && (final || in_len >= 4)) {
        coder_start(&e->coder, &src);
        e->started = 1;
    }
    while (e->started && n < out_cap && e->remaining) {
        if (!final && in_len - src.pos < DECODE_LOOKAHEAD)
            break;
        predict(e);
        tree_walk w = {0, 1, 0, e->dist.total, 0};
        for (int level = 0; level < 8; level++) {
            uint32_t p = node_p(e, &w);
            int bit = coder_decode(&e->coder, p, &src);
            account(e, bit, p);
            node_next(&w, bit);
        }
        int c = w.node - 256;
        update(e, c);
        out[n++] = (uint8_t)c;
        e->remaining--;
    }
    if (src.pos > in_len) {
        e->overrun += src.pos - in_len;
        src.pos = in_len;
    }
    *consumed = src.pos;
    return n;
}

int mdc_decode_end(mdc_engine *e, size_t unread)
{
    /* The encoder wrote 1..4 flush bytes where the decoder reads 4, so up to
     * 3 zero bytes past the end are expected, and no coded byte is left. */
    int ok = e->remaining == 0 && unread == 0 && e->overrun <= 3;
    mdc_decode_start(e, 0);
    return ok ? 0 : -1;
}

int mdc_measure(mdc_engine *e)
{
    if (e->cost)
        return 0;
    e->cost = malloc(65537 * sizeof(float));
    if (!e->cost)
        return -1;
    e->cost[0] = 16.0f;
    for (int p = 1; p <= 65536; p++)
        e->cost[p] = (float)-log2(p / 65536.0);
    return 0;
}

void mdc_get_stats(const mdc_engine *e, mdc_stats *s)
{
    memset(s, 0, sizeof(*s));
    s->bytes = e->nbytes;
    s->ideal_bits = e->ideal_bits;
    if (e->stages & MDC_STAGE_TWEEDIE)
        tweedie_stats(&e->tweedie, s->tweedie_mean_abs_delta, s->tweedie_observations);
}

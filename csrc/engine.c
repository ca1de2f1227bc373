/*
 * engine.c — wires the stages of Midicoth into a byte coder.
 *
 * What one byte goes through, in order:
 *
 *   1. ppm.c      PPM, orders 0-4, with exclusion and Method-C escapes,
 *                 gives the distribution (read node by node, dist.h), the
 *                 order that predicted and a confidence (128 + that
 *                 context's count).
 *   2. match.c    the match model predicts one byte; blend.h mixes it in:
 *                 p <- (1-w) p + w onehot, w from its confidence
 *                 (MATCH_BLEND_SCALE, MATCH_BLEND_CAP in match.h).
 *   3. word.c     the trie word model (in a word: continuations of the
 *                 prefix; between words: the bigram), blended the same
 *                 way (WORD_BLEND_* in word.h).
 *   4. highctx.c  hashed contexts of orders 5-8 (5 and 7 when the mixer is
 *                 on), blended too (HIGHCTX_BLEND_* in highctx.h).
 *   5. tweedie.c  the micro-diffusion calibrator: the distribution is read as
 *                 a binary tree, MSB first; each node's P(right) on the
 *                 byte's path is corrected in TWD_STEPS Tweedie steps
 *                 (TWEEDIE_MIXED_STEPS when the mixer follows).
 *   6. mixer.c    (ours) at each node, two logistic mixers, their weights
 *                 chosen by the level with PPM's order and confidence, and
 *                 by the node with whether that confidence is high (each
 *                 also by the match state and the previous byte's class,
 *                 mdc_byte_class), combine the calibrated P(right), the
 *                 blend's own, the binary context models of binctx.c
 *                 (orders 1, 2, 3, 5 and 8, and the current word) and the
 *                 match model's next bit (matchbit.h); their outputs are
 *                 averaged in the stretch domain. In a segment with a mode
 *                 (midicoth.h, chosen per block by analyse.c), up to four
 *                 structure models join them (structure.c: binary context
 *                 models on the rows of record.h, or on bytes that skip).
 *   7. apm.c      (ours) an adaptive probability map by node and the
 *                 previous byte refines that: p <- (p + apm(p)) / 2.
 *                 A settled node (the blend and the order-2 binary context
 *                 model both all but certain: settled.h) skips 5-7 for a
 *                 map of the blend alone.
 *   8. coder.h    a binary arithmetic coder codes the 8 decisions.
 *
 * With MDC_STAGE_LEAN (levels 1-3) none of 1 and 3-7 runs: lean.h predicts
 * the 8 decisions directly from binary context models, the match model's
 * next bit and the structure models through one mixer, for the coder
 * (lean_byte, lean_node and lean_learn below wire it).
 *
 * Then every stage learns the true byte. The decoder runs the identical
 * model and learns the path bit by bit, which is why only the 8 nodes on
 * the path are ever calibrated: a correction rescales a node's subtrees and
 * leaves the nodes above it unchanged.
 *
 * Fixed-point scales: the distribution sums to about 2^31, each byte's mass
 * at least 2^7 (dist.h); confidences, blend weights and binary
 * probabilities are 16-bit fractions (65536 = 1); stretched probabilities
 * are in 1/256 (squash.h); a coded P(right) is clamped to [1, 65535]. No
 * floating point is on the coding path, so the output is the same for
 * every compiler, flag and CPU.
 *
 * This file holds the wiring: the parameters and their rules, the layout
 * of the memory budget, the per-byte flow, the coding loops and the public
 * API (midicoth.h). Each stage is used through its own functions.
 *
 * Memory: the budget (a power of two, MiB) less the fixed part (FIXED_BYTES:
 * the calibrator, PPM orders 0-1, the final and settled maps, the mixers)
 * is shared out in 64ths: 14 to the PPM tables, 4 to the high-order
 * contexts (two orders need no more), 2 to the word model, 6 to each of
 * the five hashed binary context models, and, rounded down to powers of
 * two, 8 to the match history and 1 to each of its five tables. What is
 * left (a 64th at least) goes to the structure models, so that the tables
 * above keep the sizes they had before there were any. Tables of stages
 * switched off are not allocated. Nothing is allocated after
 * mdc_engine_create.
 */
#include "midicoth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "apm.h"
#include "binctx.h"
#include "blend.h"
#include "coder.h"
#include "highctx.h"
#include "lean.h"
#include "match.h"
#include "matchbit.h"
#include "mixer.h"
#include "ppm.h"
#include "settled.h"
#include "structure.h"
#include "tweedie.h"
#include "word.h"

/* Stage 6: the binary context models (orders 1, 2, 3, 5, 8, the word) and
 * the mixers' learning rate. The mixers' inputs: 0 the calibrated P, 1 the
 * blend's, from BINCTX_IN the binary context models, then the bias, the
 * match's next bit and, from STRUCT_IN, the structure models. */
#define BINCTX_MODELS 6
#define BINCTX_IN 2
#define BIAS_IN 8
#define MATCH_IN 9
#define STRUCT_IN 10
_Static_assert(BINCTX_IN + BINCTX_MODELS == BIAS_IN && MATCH_IN < STRUCT_IN &&
                   STRUCT_IN + STRUCT_MODELS <= MIX_SEEN,
               "the inputs fit the mixers' lines");
#define MIX_LR (1 << 15) /* 0.5, 16.16 */

/* Each binary context model's count limit (binctx.h): the order-1 model
 * settles fast, the others slowly. A fast order-1 model tracks what
 * followed this byte lately, which the slow higher orders and PPM's counts
 * do not: binary data and tables gain much from it, text loses a little.
 * A faster one still gains more on binary data and costs text more, and
 * so do faster higher orders. */
static const uint32_t binctx_limit[BINCTX_MODELS] = {
    BINCTX_FAST_LIMIT, BINCTX_MAX_LIMIT, BINCTX_MAX_LIMIT,
    BINCTX_MAX_LIMIT,  BINCTX_MAX_LIMIT, BINCTX_MAX_LIMIT};
/* The order-2 model is the settled path's agreeing model (settled.h). */
#define SETTLED_AGREE_MODEL 1

/* The mixers' weight sets. Both are chosen by the match state and the
 * previous byte's class (mdc_byte_class); the level mixer's also by PPM's
 * order (-1..4) and confidence bucket (conf_bucket), the node mixer's also
 * by whether that confidence is at least NODE_SURE_CONF (a count of 896 or
 * more). How far to trust each input depends on how much PPM has seen of
 * its context, and on where in a word or line the byte is; each of these
 * choices makes every file of the usual corpora smaller, and finer ones
 * (more confidence buckets or byte classes, PPM's order for the node
 * mixer, whether a word is under way) gained less (CHANGELOG.md, 0.5.0). */
#define PPM_ORDERS (PPM_MAX_ORDER + 2)
#define CONF_BUCKETS 4
#define BYTE_CLASSES MDC_BYTE_CLASSES
#define LEVEL_CHOICES (PPM_ORDERS * CONF_BUCKETS * BYTE_CLASSES)
#define LEVEL_SETS (8 * MATCH_STATES * LEVEL_CHOICES)
#define NODE_SURE_CONF 1024
#define NODE_CHOICES (2 * BYTE_CLASSES)
#define NODE_SETS (256 * MATCH_STATES * NODE_CHOICES)

/* The final map's context: the node and the previous byte, i.e. the
 * order-1 context the mixers' result is off in. */
#define FINAL_APM_CONTEXTS (256 * 256)

/* With the mixer on, the calibrator takes one step instead of the paper's
 * TWD_STEPS: the mixer and the map after it learn what the later steps
 * corrected, at a small cost in size for two thirds of the calibrator's
 * work. */
#define TWEEDIE_MIXED_STEPS 1

/* The lookahead a decoded byte may need: 8 decisions, each shifting in at
 * most 4 bytes. */
#define DECODE_LOOKAHEAD (8 * CODER_MAX_BYTES_PER_BIT)

struct mdc_engine {
    unsigned stages;
    uint64_t hist, hist_hi; /* the last 16 bytes, most recent lowest */
    uint64_t nbytes;        /* bytes modelled, saturating at UINT64_MAX */

    ppm_model ppm;
    match_model match;
    word_model word;
    highctx_model highctx;
    tweedie_model tweedie;
    stretch_table stretch;
    binctx binctx[BINCTX_MODELS];
    uint64_t binctx_next[BINCTX_MODELS]; /* their contexts for the next byte */
    structure_model structure;           /* the structure models (both models') */
    mixer mix_level, mix_node;
    int32_t mix_x[8][MIX_LANES];         /* per level: the mixers' inputs, zero past the used */
    matchbit mbit;                       /* the match's next bit, the mixers' input */
    apm final_apm;                       /* by node and the previous byte */
    settled_path settled;                /* the settled nodes' short path */
    uint32_t match_state;                /* this byte's (match.h), 0 without the stage */
    uint32_t level_sel, node_sel;        /* this byte's part of the mixers' set choice */

    mdc_dist dist;
    lean_model lean;                     /* MDC_STAGE_LEAN's model (instead of all above but
                                            match, the structure models and the final map) */

    coder_state coder;
    int segment_open;       /* encoder: bits coded since the last flush */
    int started;            /* decoder: coder primed for this segment */
    uint64_t remaining;     /* decoder: bytes of the segment still to come (counts down
                               to 0, where decoding stops) */
    uint64_t overrun;       /* decoder: zero bytes read past the segment's end; past 3
                               the segment is damaged and decoding stops, so it stays
                               at most 4 + DECODE_LOOKAHEAD (the coder's start, one byte) */
    int damaged;            /* decoder: read past what any encoder writes */

    float *cost;            /* -log2(p / 65536) for p = 0..65535, when measuring */
    double ideal_bits;      /* diagnostics: a sum of 2^35 costs (4 GiB) is off by
                               a few parts in a million at most */
};

/* LEAN_FIXED_BYTES counts 64 KiB for it. */
_Static_assert(sizeof(struct mdc_engine) <= 65536, "the engine's own state fits its share");

/* --- parameters and memory ---------------------------------------------------------- */

/* The messages name the limits. */
_Static_assert(MDC_MIN_MEMORY_MIB == 16 && MDC_MAX_MEMORY_MIB == 4096 && MDC_MAX_PERIOD == 32766,
               "mdc_error_message states these limits");

const char *mdc_error_message(int code)
{
    switch (code) {
    case MDC_OK:
        return "no error";
    case MDC_ERR_BUDGET:
        return "memory budget is not a power of two from 16 to 4096 MiB";
    case MDC_ERR_STAGES:
        return "stage set is not a subset of the full model's stages, nor the lean model with "
               "at most match and APM";
    case MDC_ERR_MODE:
        return "block mode has unknown bits";
    case MDC_ERR_PERIOD:
        return "record period is more than 32766, or given without record mode";
    case MDC_ERR_MODE_STAGES:
        return "record and sparse modes need the mixer or the lean model";
    case MDC_ERR_ADDRESS_SPACE:
        return "memory budget is beyond this platform's address space";
    case MDC_ERR_OUT_OF_MEMORY:
        return "out of memory";
    case MDC_ERR_TRUNCATED:
        return "damaged data: the coded segment ends too early";
    case MDC_ERR_DAMAGED:
        return "damaged data: the coded segment does not match its contents";
    default:
        return "unknown error code";
    }
}

int mdc_check_params(unsigned memory_mib, unsigned stages)
{
    /* the lean model takes the match model and the final map, nothing else */
    const unsigned lean_with = MDC_STAGE_LEAN | MDC_STAGE_MATCH | MDC_STAGE_APM;
    if (memory_mib < MDC_MIN_MEMORY_MIB || memory_mib > MDC_MAX_MEMORY_MIB ||
        (memory_mib & (memory_mib - 1)) != 0)
        return MDC_ERR_BUDGET;
    if ((stages & ~MDC_KNOWN_STAGES) != 0 ||
        (stages & MDC_STAGE_LEAN && (stages & ~lean_with) != 0))
        return MDC_ERR_STAGES;
    return MDC_OK;
}

int mdc_check_mode(unsigned mode, unsigned period, unsigned stages)
{
    if (mode & ~MDC_MODE_ALL)
        return MDC_ERR_MODE;
    if (period > MDC_MAX_PERIOD || (period && !(mode & MDC_MODE_RECORD)))
        return MDC_ERR_PERIOD;
    if (mode & (MDC_MODE_RECORD | MDC_MODE_SPARSE) && !(stages & (MDC_STAGE_MIX | MDC_STAGE_LEAN)))
        return MDC_ERR_MODE_STAGES;
    return MDC_OK;
}

typedef struct {
    uint64_t ppm, highctx, word, binctx, structs;
    int ring_bits, match_bits;
} layout;

/* The fixed part of the budget: the engine, the calibrator at its largest
 * (TWD_STEPS), PPM orders 0-1, the order-1 binary context model, the mixers
 * and the two maps. It is a constant, not their sizeof sum, because every
 * table's size follows from it: a sum of struct sizes would differ between
 * platforms (pointer width, alignment of 64-bit fields), and so would the
 * tables, the hashes' reductions and the coded bytes. It is that sum on a
 * 64-bit build as it was when the constant was set, so at least the sum on
 * any platform since; it stays, since changing it would change the coded
 * bytes. */
#define FIXED_BYTES 10893960u

static uint64_t pow2_floor(uint64_t x)
{
    uint64_t p = 1;
    while (p <= x / 2)
        p *= 2;
    return p;
}

/* In 64 bits whatever size_t is: a budget too large for this platform's
 * address space is refused by mdc_engine_create, not wrapped around. */
static layout layout_for(unsigned memory_mib)
{
    uint64_t part = (((uint64_t)memory_mib << 20) - FIXED_BYTES) / 64;
    layout l;
    l.ppm = part * 14;
    l.highctx = part * 4;
    l.word = part * 2;
    l.binctx = part * 6;
    l.ring_bits = mdc_ilog2(pow2_floor(part * 8));
    l.match_bits = mdc_ilog2(pow2_floor(part) / sizeof(uint32_t));
    /* The structure models take what the rest leaves (at least a 64th,
     * more where the match tables round down), less their record ring, so
     * that the tables above keep their sizes and a segment of mode 0 codes
     * as model 5 did (midicoth.h). */
    uint64_t used = FIXED_BYTES + l.ppm + l.highctx + l.word + (BINCTX_MODELS - 1) * l.binctx +
                    match_size(l.ring_bits, l.match_bits) + record_size();
    l.structs = ((uint64_t)memory_mib << 20) - used;
    return l;
}

/* The lean model's layout (MDC_STAGE_LEAN). Its fixed part, a constant
 * for the reason FIXED_BYTES is: the final map (when on: 33 knots of 16
 * bits a context, apm.h), the order-1 model, the mixer (a line of 64 bytes
 * a set), and 64 KiB for the engine's own state. The rest is shared out in
 * 64ths: rounded down to powers of two, 4 to the match history and 1 to
 * each of its five tables; 8 to the four structure models; what is left,
 * evenly to the four hashed binary context models (the order-1 model is in
 * the fixed part). */
#define LEAN_FIXED_BYTES(apm_on)                                                         \
    (((apm_on) ? FINAL_APM_CONTEXTS * 33u * 2u : 0u) + LEAN_O1_BYTES + LEAN_SETS * 64u + \
     65536u)

static layout lean_layout_for(unsigned memory_mib, unsigned stages)
{
    uint64_t budget = (uint64_t)memory_mib << 20;
    uint64_t part = (budget - LEAN_FIXED_BYTES(stages & MDC_STAGE_APM)) / 64;
    layout l = {0, 0, 0, 0, 0, 0, 0};
    l.ring_bits = mdc_ilog2(pow2_floor(part * 4));
    l.match_bits = mdc_ilog2(pow2_floor(part) / sizeof(uint32_t));
    l.structs = part * 8;
    uint64_t used = LEAN_FIXED_BYTES(stages & MDC_STAGE_APM) + l.structs + record_size() +
                    (stages & MDC_STAGE_MATCH ? match_size(l.ring_bits, l.match_bits) : 0);
    l.binctx = (budget - used) / (LEAN_MODELS - 1);
    return l;
}

/* Whether this platform can address the budget at all (32-bit builds: up
 * to 2048 MiB). */
static int budget_fits(unsigned memory_mib)
{
    return ((uint64_t)memory_mib << 20) <= (uint64_t)SIZE_MAX;
}

size_t mdc_engine_bytes(unsigned memory_mib)
{
    if (!budget_fits(memory_mib))
        return SIZE_MAX;
    layout l = layout_for(memory_mib);
    return FIXED_BYTES + ppm_table_size(l.ppm) + highctx_size(l.highctx) + word_size(l.word) +
           match_size(l.ring_bits, l.match_bits) + (BINCTX_MODELS - 1) * binctx_size(l.binctx) +
           structure_size(l.structs);
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
    for (int k = 0; k < BINCTX_MODELS; k++)
        binctx_free(&e->binctx[k]);
    structure_free(&e->structure);
    mixer_free(&e->mix_level);
    mixer_free(&e->mix_node);
    settled_free(&e->settled);
    lean_free(&e->lean);
    apm_free(&e->final_apm);
    free(e->cost);
    free(e);
}

/* The context of binary context model k: orders 1, 2, 3, 5 and 8, and the
 * current word (word_context). In a block of binary structure the word's
 * model takes a structure context instead (structure_word_context). */
static uint64_t binctx_hash(const mdc_engine *e, int k)
{
    static const int order[BINCTX_MODELS - 1] = {1, 2, 3, 5, 8};
    if (k < BINCTX_MODELS - 1)
        return mdc_ctx_hash(e->hist, 0, order[k], 0xB1C0 + (uint64_t)k);
    if (structure_binary(&e->structure))
        return structure_word_context(&e->structure, e->hist);
    return mdc_mix64(word_context(&e->word) + 0xB1CF);
}

/* The lean model's next contexts (after a byte, or a new mode). */
static MDC_INLINE void lean_contexts(mdc_engine *e)
{
    int structure = structure_binary(&e->structure);
    lean_next(&e->lean, e->hist, structure,
              structure ? structure_word_context(&e->structure, e->hist) : 0);
}

int mdc_set_mode(mdc_engine *e, unsigned mode, unsigned period)
{
    int rc = mdc_check_mode(mode, period, e->stages);
    if (rc != MDC_OK)
        return rc;
    if (e->stages & MDC_STAGE_MIX) {
        structure_set_mode(&e->structure, mode, period, e->hist);
        for (int level = 0; level < 8; level++)
            for (int k = structure_count(&e->structure); k < STRUCT_MODELS; k++)
                e->mix_x[level][STRUCT_IN + k] = 0;
        e->binctx_next[BINCTX_MODELS - 1] = binctx_hash(e, BINCTX_MODELS - 1);
    }
    if (e->stages & MDC_STAGE_LEAN) {
        structure_set_mode(&e->structure, mode, period, e->hist);
        lean_structs(&e->lean, structure_count(&e->structure));
        lean_contexts(e); /* the word's model's, as the mode has it */
    }
    return MDC_OK;
}

/* Huge pages (alloc.h) pay from one input byte per 4 KiB page of budget:
 * each byte touches about twenty table lines at random, so by then nearly
 * every small page would be faulted in anyway, and huge pages save those
 * faults and the TLB misses of every later touch. Below it (a few KiB at
 * a large budget) most 2 MiB pages would be faulted in for a few lines
 * each. */
#define HUGE_PAGE_BUDGET_PER_BYTE 4096u
/* Up to this budget the tables take huge pages whatever the input: a few
 * hundred bytes touch most of their 4 KiB pages already, and faulting the
 * whole budget in 2 MiB at a time is the cheaper way there. */
#define HUGE_PAGE_SMALL_BUDGET_MIB 32u

/* The full model's tables (the PPM pipeline). Returns nonzero if one
 * cannot be had. */
static int full_engine_init(mdc_engine *e, unsigned memory_mib, int huge)
{
    unsigned stages = e->stages;
    layout l = layout_for(memory_mib);
    int fail = ppm_init(&e->ppm, l.ppm, huge) != 0;
    if (stages & MDC_STAGE_MATCH)
        fail |= match_init(&e->match, l.ring_bits, l.match_bits, huge) != 0;
    if (stages & MDC_STAGE_WORD)
        fail |= word_init(&e->word, l.word, huge) != 0;
    if (stages & MDC_STAGE_HIGHCTX)
        fail |= highctx_init(&e->highctx, l.highctx,
                             stages & MDC_STAGE_MIX ? HIGHCTX_MIXED_MAX_ORDER : HIGHCTX_MAX_ORDER,
                             stages & MDC_STAGE_MIX ? HIGHCTX_MIXED_STEP : 1, huge) != 0;
    if (stages & MDC_STAGE_TWEEDIE)
        fail |= tweedie_init(&e->tweedie,
                             stages & MDC_STAGE_MIX ? TWEEDIE_MIXED_STEPS : TWD_STEPS) != 0;
    if (stages & MDC_STAGE_MIX) {
        for (int k = 0; k < BINCTX_MODELS; k++)
            fail |= binctx_init(&e->binctx[k], k == 0 ? BINCTX_O1_BYTES : l.binctx,
                                binctx_limit[k], huge) != 0;
        fail |= mixer_init(&e->mix_level, LEVEL_SETS, MIX_LR) != 0;
        fail |= mixer_init(&e->mix_node, NODE_SETS, MIX_LR) != 0;
        fail |= settled_init(&e->settled) != 0;
        fail |= structure_init(&e->structure, l.structs, huge) != 0;
        matchbit_init(&e->mbit);
    }
    if (stages & MDC_STAGE_APM)
        fail |= apm_init(&e->final_apm, FINAL_APM_CONTEXTS) != 0;
    stretch_init(&e->stretch);
    dist_init(&e->dist);
    for (int k = 0; k < BINCTX_MODELS; k++)
        e->binctx_next[k] = binctx_hash(e, k);
    return fail;
}

/* The lean model's tables (MDC_STAGE_LEAN): no PPM, no distribution. */
static int lean_engine_init(mdc_engine *e, unsigned memory_mib, int huge)
{
    layout l = lean_layout_for(memory_mib, e->stages);
    int fail = 0;
    if (e->stages & MDC_STAGE_MATCH)
        fail |= match_init(&e->match, l.ring_bits, l.match_bits, huge) != 0;
    fail |= lean_init(&e->lean, l.binctx, huge) != 0;
    fail |= structure_init(&e->structure, l.structs, huge) != 0;
    if (e->stages & MDC_STAGE_APM)
        fail |= apm_init(&e->final_apm, FINAL_APM_CONTEXTS) != 0;
    stretch_init(&e->stretch);
    if (!fail)
        lean_contexts(e);
    return fail;
}

int mdc_engine_create(mdc_engine **out, unsigned memory_mib, unsigned stages,
                      uint64_t expected_bytes)
{
    *out = NULL;
    int rc = mdc_check_params(memory_mib, stages);
    if (rc != MDC_OK)
        return rc;
    if (!budget_fits(memory_mib))
        return MDC_ERR_ADDRESS_SPACE;
    uint64_t budget = (uint64_t)memory_mib << 20;
    int huge = memory_mib <= HUGE_PAGE_SMALL_BUDGET_MIB || expected_bytes == MDC_SIZE_UNKNOWN ||
               expected_bytes >= budget / HUGE_PAGE_BUDGET_PER_BYTE;
    mdc_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return MDC_ERR_OUT_OF_MEMORY;
    e->stages = stages;
    coder_reset(&e->coder);
    int fail = stages & MDC_STAGE_LEAN ? lean_engine_init(e, memory_mib, huge)
                                       : full_engine_init(e, memory_mib, huge);
    if (fail) {
        mdc_engine_free(e);
        return MDC_ERR_OUT_OF_MEMORY;
    }
    *out = e;
    return MDC_OK;
}

/* --- the full model, per byte and per node ------------------------------------------ */

/* PPM's confidence (128 + the context's count, 0 if none) in 4 buckets:
 * a count under 128 (or none), under 384, under 896, more. */
static MDC_INLINE uint32_t conf_bucket(uint32_t confidence)
{
    if (confidence < 256)
        return 0;
    uint32_t b = (uint32_t)mdc_ilog2(confidence) - 7;
    return b < CONF_BUCKETS - 1 ? b : CONF_BUCKETS - 1;
}

/* The weight sets the mixers use at a level and at a node (heap index) in
 * this byte: level_sel and node_sel hold its part of the choice. */
static MDC_INLINE uint32_t level_set(const mdc_engine *e, uint32_t level)
{
    return (level * MATCH_STATES + e->match_state) * LEVEL_CHOICES + e->level_sel;
}

static MDC_INLINE uint32_t node_set(const mdc_engine *e, uint32_t node)
{
    return (node * MATCH_STATES + e->match_state) * NODE_CHOICES + e->node_sel;
}

/* Stages 1-4 and the per-byte context of stages 5-7: fills dist. The
 * weights come first, so that PPM spreads only the mass they leave it
 * (blend.h). */
static void predict(mdc_engine *e)
{
    int avail = e->nbytes < 8 ? (int)e->nbytes : 8;
    mdc_dist *dist = &e->dist;
    uint32_t w_match = 0, w_word = 0, w_high = 0;

    if (e->stages & MDC_STAGE_MIX) {
        for (int k = 0; k < BINCTX_MODELS; k++)
            binctx_begin(&e->binctx[k], e->binctx_next[k]);
        structure_begin(&e->structure, structure_count(&e->structure));
    }

    e->match_state = 0;
    if (e->stages & MDC_STAGE_MATCH) {
        match_predict(&e->match);
        int predicted = match_predicted(&e->match);
        w_match = match_weight(&e->match);
        e->match_state = match_state(&e->match);
        matchbit_begin(&e->mbit, predicted, predicted >= 0 ? match_entry(&e->match) : -1);
    }
    if (e->stages & MDC_STAGE_WORD) {
        word_predict(&e->word);
        w_word = word_weight(&e->word);
    }
    if (e->stages & MDC_STAGE_HIGHCTX) {
        highctx_predict(&e->highctx, e->hist, avail);
        w_high = highctx_weight(&e->highctx);
    }

    /* The PPM share: (1 - w_match)(1 - w_word)(1 - w_high). */
    uint32_t keep = blend_keep(blend_keep(MDC_P_ONE - w_match, w_word), w_high);
    ppm_predict(&e->ppm, e->hist, avail, keep << (MDC_DIST_BITS - 16), dist);
    if (w_match)
        match_blend(&e->match, blend_keep(blend_keep(w_match, w_word), w_high), dist);
    if (w_word)
        word_blend(&e->word, blend_keep(w_word, w_high), dist);
    if (w_high)
        highctx_blend(&e->highctx, w_high, dist);

    dist_finish(dist, ppm_o0_max(&e->ppm));
    int order = ppm_order(&e->ppm);
    uint32_t confidence = ppm_confidence(&e->ppm);
    uint32_t cls = mdc_byte_class((uint32_t)(e->hist & 255));
    e->level_sel = ((uint32_t)(order + 1) * CONF_BUCKETS + conf_bucket(confidence)) * BYTE_CLASSES +
                   cls;
    e->node_sel = (uint32_t)(confidence >= NODE_SURE_CONF) * BYTE_CLASSES + cls;
    /* The mixers' weights miss the cache: this byte's level sets are asked
     * for now, each node's children's sets one level ahead (mix_node). */
    if (e->stages & MDC_STAGE_MIX)
        for (uint32_t level = 0; level < 8; level++)
            mixer_prefetch(&e->mix_level, level_set(e, level));
    if (e->stages & MDC_STAGE_TWEEDIE)
        tweedie_begin(&e->tweedie, order, confidence, dist_max(dist), dist_total(dist));
}

/* Walking the tree: the node being coded, its level and its mass. */
typedef struct {
    int level, node;     /* node: heap index */
    uint64_t mass, left; /* the node's mass and its left half's (dist.h's units) */
} tree_walk;

/* Stage 6's inputs at a node, and its output: the two mixers' outputs
 * averaged in the stretch domain. */
static MDC_INLINE uint32_t mix_node(mdc_engine *e, const tree_walk *w, uint32_t calibrated,
                                    uint32_t blend, int structs)
{
    const stretch_table *st = &e->stretch;
    int32_t *x = e->mix_x[w->level];
    x[0] = stretch(st, calibrated);
    x[1] = stretch(st, blend);
    for (int k = 0; k < BINCTX_MODELS; k++)
        x[BINCTX_IN + k] = stretch(st, binctx_p(&e->binctx[k], w->level, w->node));
    x[BIAS_IN] = 256;
    /* the structure models in use (mdc_set_mode zeroes the others' inputs) */
    for (int k = 0; k < structs; k++)
        x[STRUCT_IN + k] = stretch(st, structure_p(&e->structure, k, w->level, w->node));
    x[MATCH_IN] = matchbit_input(&e->mbit, st, w->level, w->node);
    int32_t by_level = mixer_mix(&e->mix_level, st, w->level, level_set(e, (uint32_t)w->level), x);
    int32_t by_node = mixer_mix(&e->mix_node, st, w->level, node_set(e, (uint32_t)w->node), x);
    if (w->level < 7) {
        mixer_prefetch(&e->mix_node, node_set(e, 2 * (uint32_t)w->node));
        mixer_prefetch(&e->mix_node, node_set(e, 2 * (uint32_t)w->node + 1));
    }
    return squash_t(st, (by_level + by_node) / 2);
}

/* Stage 7, the final map, at the node (heap index) at `level`: p <- (p +
 * apm(p)) / 2, by node and previous byte. The map misses the cache: the
 * children's knots are asked for a level ahead. */
static MDC_INLINE uint32_t final_map(mdc_engine *e, int level, int node, uint32_t p)
{
    uint32_t ctx = (uint32_t)(e->hist & 255) << 8 | (uint32_t)node;
    if (level < 7)
        apm_prefetch(&e->final_apm, ctx + (uint32_t)node);
    uint32_t refined = apm_p(&e->final_apm, &e->stretch, level, p, ctx);
    return clamp_p((p + refined + 1) / 2);
}

/* The coded P(right) of the walk's node: the blend's own from its two
 * halves' masses (dist.h), then stages 5-7, or the short path if the node
 * is settled. */
static MDC_INLINE uint32_t node_p(mdc_engine *e, tree_walk *w, int structs)
{
    uint64_t left = dist_left(&e->dist, w->node, w->level);
    w->left = left;
    MDC_ASSERT(left > 0 && left < w->mass);
    uint32_t blend = clamp_p((uint32_t)(((w->mass - left) << 16) / w->mass));
    uint32_t p = blend;
    if (e->stages & MDC_STAGE_MIX) {
        if (w->level == 3) {
            for (int k = 0; k < BINCTX_MODELS; k++)
                binctx_prefetch_low(&e->binctx[k], w->node);
            structure_prefetch_low(&e->structure, w->node, structs);
        }
        if (w->level == 4) {
            for (int k = 0; k < BINCTX_MODELS; k++)
                binctx_low(&e->binctx[k], w->node & 15);
            structure_low(&e->structure, w->node, structs);
        }
        if (settled_test(&e->settled, &e->binctx[SETTLED_AGREE_MODEL], w->level, w->node, blend))
            return settled_p(&e->settled, &e->stretch, w->level, w->node, e->match_state, blend);
    }
    if (e->stages & MDC_STAGE_TWEEDIE)
        p = tweedie_node(&e->tweedie, w->level, w->node, p);
    if (e->stages & MDC_STAGE_MIX)
        p = mix_node(e, w, p, blend, structs);
    if (e->stages & MDC_STAGE_APM)
        p = final_map(e, w->level, w->node, p);
    return p;
}

static MDC_INLINE void node_next(tree_walk *w, int bit)
{
    w->mass = bit ? w->mass - w->left : w->left;
    w->node = 2 * w->node + bit;
    w->level++;
}

static inline void account(mdc_engine *e, int bit, uint32_t p)
{
    if (e->cost)
        e->ideal_bits += e->cost[bit ? p : 65536 - p];
}

/* Byte c joins the history, and the count of bytes (both models). */
static MDC_INLINE void shift_in(mdc_engine *e, int c)
{
    e->hist_hi = (e->hist_hi << 8) | (e->hist >> 56);
    e->hist = (e->hist << 8) | (uint64_t)c;
    e->nbytes += e->nbytes != UINT64_MAX; /* saturates (it only gives avail) */
}

/* Every stage learns the byte. The next byte's contexts are known first
 * thing, so their table lines are requested before the updates, which then
 * hide the memory latency. */
static MDC_INLINE void update(mdc_engine *e, int c, int structs)
{
    int avail = e->nbytes < 8 ? (int)e->nbytes : 8;
    uint64_t hist = e->hist;
    int next_avail = avail < 8 ? avail + 1 : 8;

    shift_in(e, c);
    ppm_prefetch(&e->ppm, e->hist, next_avail);
    if (e->stages & MDC_STAGE_MIX)
        for (int k = 0; k < BINCTX_MODELS - 1; k++) {
            e->binctx_next[k] = binctx_hash(e, k);
            binctx_prefetch(&e->binctx[k], e->binctx_next[k]);
        }
    if (e->stages & MDC_STAGE_HIGHCTX)
        highctx_prefetch(&e->highctx, e->hist, next_avail);
    if (e->stages & MDC_STAGE_MATCH) {
        match_update(&e->match, c); /* first: it still needs this byte's entries */
        match_next(&e->match, e->hist, e->hist_hi);
    }

    for (int level = 0; level < 8; level++) {
        int bit = (c >> (7 - level)) & 1;
        if (settled_update(&e->settled, &e->binctx[SETTLED_AGREE_MODEL], level, bit))
            continue;
        if (e->stages & MDC_STAGE_APM)
            apm_update(&e->final_apm, level, bit);
        if (e->stages & MDC_STAGE_TWEEDIE)
            tweedie_update(&e->tweedie, level, bit);
        if (e->stages & MDC_STAGE_MIX) {
            mixer_update(&e->mix_level, level, bit, e->mix_x[level]);
            mixer_update(&e->mix_node, level, bit, e->mix_x[level]);
            for (int k = 0; k < BINCTX_MODELS; k++)
                binctx_update(&e->binctx[k], level, bit);
            structure_update(&e->structure, level, bit, structs);
            matchbit_update(&e->mbit, level, bit);
        }
    }
    ppm_update(&e->ppm, hist, avail, c);
    if (e->stages & MDC_STAGE_WORD) {
        word_update(&e->word, c);
        word_prefetch(&e->word);
    }
    if (e->stages & MDC_STAGE_MIX) {
        structure_next(&e->structure, c, e->hist);
        e->binctx_next[BINCTX_MODELS - 1] = binctx_hash(e, BINCTX_MODELS - 1);
        binctx_prefetch(&e->binctx[BINCTX_MODELS - 1], e->binctx_next[BINCTX_MODELS - 1]);
    }
    if (e->stages & MDC_STAGE_HIGHCTX)
        highctx_update(&e->highctx, c);
}

/* --- the lean model, per byte and per node ------------------------------------------ */

/* The lean model's byte (MDC_STAGE_LEAN): its start, a node's coded
 * P(1), and the learning of the byte. */
static MDC_INLINE void lean_byte(mdc_engine *e, int structs)
{
    structure_begin(&e->structure, structs);
    int predicted = -1, entry = -1;
    uint32_t state = 0;
    if (e->stages & MDC_STAGE_MATCH) {
        match_predict(&e->match);
        predicted = match_predicted(&e->match);
        if (predicted >= 0) {
            entry = match_entry(&e->match);
            state = match_state(&e->match);
        }
    }
    lean_begin(&e->lean, predicted, entry, state, (uint32_t)(e->hist & 255));
}

static MDC_INLINE uint32_t lean_node(mdc_engine *e, int level, int node, int structs)
{
    uint32_t p = lean_p(&e->lean, &e->stretch, level, node, &e->structure, structs);
    return e->stages & MDC_STAGE_APM ? final_map(e, level, node, p) : p;
}

static MDC_INLINE void lean_learn(mdc_engine *e, int c, int structs)
{
    shift_in(e, c);
    if (e->stages & MDC_STAGE_MATCH) {
        match_update(&e->match, c);
        match_next(&e->match, e->hist, e->hist_hi);
    }
    /* the next byte's contexts first: their lines come in during the
     * updates (which use this byte's entries, kept apart) */
    structure_next(&e->structure, c, e->hist);
    lean_word(&e->lean, (uint32_t)c);
    lean_contexts(e);
    for (int level = 0; level < 8; level++) {
        int bit = (c >> (7 - level)) & 1;
        if (e->stages & MDC_STAGE_APM)
            apm_update(&e->final_apm, level, bit);
        lean_update(&e->lean, level, bit, &e->structure, structs);
    }
}

/* --- the coding loops --------------------------------------------------------------- */

/* The coding loops take `structs`, the structure models in use, as an
 * argument: each loop is compiled twice, once with the constant 0, which
 * takes the structure models' loops out of the per-node path in mode 0. */
static MDC_INLINE size_t encode_bytes(mdc_engine *e, const uint8_t *in, size_t in_len,
                                      size_t *consumed, uint8_t *out, size_t out_cap, int structs)
{
    size_t i = 0, n = 0;
    while (i < in_len && out_cap - n >= MDC_MAX_BYTES_PER_BYTE) {
        int c = in[i++];
        predict(e);
        tree_walk w = {0, 1, dist_total(&e->dist), 0};
        for (int level = 0; level < 8; level++) {
            int bit = (c >> (7 - level)) & 1;
            uint32_t p = node_p(e, &w, structs);
            account(e, bit, p);
            n += (size_t)coder_encode(&e->coder, bit, p, out + n);
            node_next(&w, bit);
        }
        update(e, c, structs);
    }
    *consumed = i;
    return n;
}

/* encode_bytes for the lean model. */
static MDC_INLINE size_t encode_lean(mdc_engine *e, const uint8_t *in, size_t in_len,
                                     size_t *consumed, uint8_t *out, size_t out_cap, int structs)
{
    size_t i = 0, n = 0;
    while (i < in_len && out_cap - n >= MDC_MAX_BYTES_PER_BYTE) {
        int c = in[i++];
        lean_byte(e, structs);
        for (int level = 0, node = 1; level < 8; level++) {
            int bit = (c >> (7 - level)) & 1;
            uint32_t p = lean_node(e, level, node, structs);
            account(e, bit, p);
            n += (size_t)coder_encode(&e->coder, bit, p, out + n);
            node = 2 * node + bit;
        }
        lean_learn(e, c, structs);
    }
    *consumed = i;
    return n;
}

/* Each model's coding loops are functions of their own, each cloned for
 * the vector width, so that neither model's code shapes how the other's is
 * compiled (inlined into one function, they slowed each other). */
MDC_VECTOR_CLONES MDC_NOINLINE static size_t encode_full(mdc_engine *e, const uint8_t *in,
                                                         size_t in_len, size_t *consumed,
                                                         uint8_t *out, size_t out_cap)
{
    int structs = structure_count(&e->structure);
    return structs ? encode_bytes(e, in, in_len, consumed, out, out_cap, structs)
                   : encode_bytes(e, in, in_len, consumed, out, out_cap, 0);
}

MDC_VECTOR_CLONES MDC_NOINLINE static size_t encode_lean_model(mdc_engine *e, const uint8_t *in,
                                                               size_t in_len, size_t *consumed,
                                                               uint8_t *out, size_t out_cap)
{
    int structs = structure_count(&e->structure);
    return structs ? encode_lean(e, in, in_len, consumed, out, out_cap, structs)
                   : encode_lean(e, in, in_len, consumed, out, out_cap, 0);
}

size_t mdc_encode(mdc_engine *e, const uint8_t *in, size_t in_len, size_t *consumed,
                  uint8_t *out, size_t out_cap)
{
    size_t n = e->stages & MDC_STAGE_LEAN
                   ? encode_lean_model(e, in, in_len, consumed, out, out_cap)
                   : encode_full(e, in, in_len, consumed, out, out_cap);
    if (*consumed)
        e->segment_open = 1;
    return n;
}

MDC_VECTOR_CLONES MDC_NOINLINE static void learn_lean(mdc_engine *e, const uint8_t *in,
                                                      size_t in_len)
{
    int structs = structure_count(&e->structure);
    for (size_t i = 0; i < in_len; i++) {
        int c = in[i];
        lean_byte(e, structs);
        for (int level = 0, node = 1; level < 8; level++) {
            int bit = (c >> (7 - level)) & 1;
            account(e, bit, lean_node(e, level, node, structs));
            node = 2 * node + bit;
        }
        lean_learn(e, c, structs);
    }
}

MDC_VECTOR_CLONES MDC_NOINLINE static void learn_full(mdc_engine *e, const uint8_t *in,
                                                      size_t in_len)
{
    int structs = structure_count(&e->structure);
    for (size_t i = 0; i < in_len; i++) {
        int c = in[i];
        predict(e);
        tree_walk w = {0, 1, dist_total(&e->dist), 0};
        for (int level = 0; level < 8; level++) {
            int bit = (c >> (7 - level)) & 1;
            account(e, bit, node_p(e, &w, structs));
            node_next(&w, bit);
        }
        update(e, c, structs);
    }
}

void mdc_learn(mdc_engine *e, const uint8_t *in, size_t in_len)
{
    if (e->stages & MDC_STAGE_LEAN)
        learn_lean(e, in, in_len);
    else
        learn_full(e, in, in_len);
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
    e->damaged = 0;
}

uint64_t mdc_decode_remaining(const mdc_engine *e)
{
    return e->remaining;
}

int mdc_decode_damaged(const mdc_engine *e)
{
    return e->damaged;
}

/* Whether a decoding loop takes one more byte: not damaged, room in `out`,
 * bytes of the segment left, and, unless `final`, the lookahead a byte
 * may need. */
static MDC_INLINE int decode_goes_on(const mdc_engine *e, const coder_input *src, int final,
                                     size_t n, size_t out_cap)
{
    return !e->damaged && n < out_cap && e->remaining &&
           (final || src->len - src->pos >= DECODE_LOOKAHEAD);
}

/* After a decoded byte. An encoder's flush leaves at most 3 bytes for the
 * decoder to imagine; needing more means the coded bytes are not what was
 * written, and decoding the rest would only waste time. */
static MDC_INLINE void decode_check_overrun(mdc_engine *e, const coder_input *src)
{
    if (src->pos > src->len && e->overrun + (src->pos - src->len) > 3)
        e->damaged = 1;
}

/* Decodes up to out_cap bytes from `src` (see encode_bytes for `structs`). */
static MDC_INLINE size_t decode_bytes(mdc_engine *e, coder_input *src, int final, uint8_t *out,
                                      size_t out_cap, int structs)
{
    size_t n = 0;
    while (decode_goes_on(e, src, final, n, out_cap)) {
        predict(e);
        tree_walk w = {0, 1, dist_total(&e->dist), 0};
        for (int level = 0; level < 8; level++) {
            uint32_t p = node_p(e, &w, structs);
            int bit = coder_decode(&e->coder, p, src);
            account(e, bit, p);
            node_next(&w, bit);
        }
        int c = w.node - 256;
        update(e, c, structs);
        out[n++] = (uint8_t)c;
        e->remaining--;
        decode_check_overrun(e, src);
    }
    return n;
}

/* decode_bytes for the lean model. */
static MDC_INLINE size_t decode_lean(mdc_engine *e, coder_input *src, int final, uint8_t *out,
                                     size_t out_cap, int structs)
{
    size_t n = 0;
    while (decode_goes_on(e, src, final, n, out_cap)) {
        lean_byte(e, structs);
        int node = 1;
        for (int level = 0; level < 8; level++) {
            uint32_t p = lean_node(e, level, node, structs);
            int bit = coder_decode(&e->coder, p, src);
            account(e, bit, p);
            node = 2 * node + bit;
        }
        int c = node - 256;
        lean_learn(e, c, structs);
        out[n++] = (uint8_t)c;
        e->remaining--;
        decode_check_overrun(e, src);
    }
    return n;
}

MDC_VECTOR_CLONES MDC_NOINLINE static size_t decode_full(mdc_engine *e, coder_input *src,
                                                         int final, uint8_t *out, size_t out_cap)
{
    int structs = structure_count(&e->structure);
    return structs ? decode_bytes(e, src, final, out, out_cap, structs)
                   : decode_bytes(e, src, final, out, out_cap, 0);
}

MDC_VECTOR_CLONES MDC_NOINLINE static size_t decode_lean_model(mdc_engine *e, coder_input *src,
                                                               int final, uint8_t *out,
                                                               size_t out_cap)
{
    int structs = structure_count(&e->structure);
    return structs ? decode_lean(e, src, final, out, out_cap, structs)
                   : decode_lean(e, src, final, out, out_cap, 0);
}

size_t mdc_decode(mdc_engine *e, const uint8_t *in, size_t in_len, int final, size_t *consumed,
                  uint8_t *out, size_t out_cap)
{
    coder_input src = {in, in_len, 0};
    size_t n = 0;
    if (e->remaining && out_cap && !e->started && (final || in_len >= 4)) {
        coder_start(&e->coder, &src);
        e->started = 1;
    }
    if (e->started)
        n = e->stages & MDC_STAGE_LEAN ? decode_lean_model(e, &src, final, out, out_cap)
                                       : decode_full(e, &src, final, out, out_cap);
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
    int rc = e->damaged ? MDC_ERR_TRUNCATED
             : e->remaining == 0 && unread == 0 && e->overrun <= 3 ? MDC_OK
                                                                   : MDC_ERR_DAMAGED;
    mdc_decode_start(e, 0);
    return rc;
}

/* --- diagnostics -------------------------------------------------------------------- */

int mdc_measure(mdc_engine *e)
{
    if (e->cost)
        return MDC_OK;
    e->cost = malloc(65537 * sizeof(float));
    if (!e->cost)
        return MDC_ERR_OUT_OF_MEMORY;
    e->cost[0] = 16.0f;
    for (int p = 1; p <= 65536; p++)
        e->cost[p] = (float)-log2(p / 65536.0);
    return MDC_OK;
}

void mdc_get_stats(const mdc_engine *e, mdc_stats *s)
{
    memset(s, 0, sizeof(*s));
    s->bytes = e->nbytes;
    s->ideal_bits = e->ideal_bits;
    s->settled_nodes = settled_count(&e->settled);
    if (e->stages & MDC_STAGE_TWEEDIE)
        tweedie_stats(&e->tweedie, s->tweedie_mean_abs_delta, s->tweedie_observations);
}

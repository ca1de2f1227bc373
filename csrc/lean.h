/*
 * lean — the fast model (stage MDC_STAGE_LEAN, compression levels 1-3).
 *
 * No byte distribution at all: PPM, the blends and the calibrator are off,
 * and each of a byte's 8 binary decisions (MSB first, the node a heap
 * index 1..255) is predicted directly, as lpaq does, by one logistic
 * mixer (mixer.h) over:
 *   - LEAN_MODELS binary context models (binctx.h): orders 1, 2, 3 and 6,
 *     and the current word (letters, case folded; between words, the last
 *     word with the byte after it), inputs 0-4;
 *   - a bias (LEAN_BIAS);
 *   - the match model's next bit (LEAN_MATCH_IN, matchbit.h), as engine.c's
 *     node mixers take it;
 *   - the structure models of the segment's mode (structure.h, the
 *     engine's, from LEAN_STRUCT_IN).
 * Its weight set is chosen by the node, the match state and the previous
 * byte's class (LEAN_SETS lines of 64 bytes: 512 KiB).
 *
 * The word's model follows the engine's choice (lean_next's `alt`): in a
 * block of binary structure it takes a structure context instead
 * (structure_word_context).
 *
 * Scales: probabilities 16-bit (65536 = 1), stretched ones in 1/256
 * (squash.h), mixer weights 16.16 (mixer.h). No floating point.
 *
 * Memory: the order-1 model LEAN_O1_BYTES, each other model `bytes`
 * (lean_init), and the mixer.
 */
#ifndef MDC_LEAN_H
#define MDC_LEAN_H

#include "binctx.h"
#include "match.h"
#include "matchbit.h"
#include "mixer.h"
#include "squash.h"
#include "structure.h"

#define LEAN_MODELS 5
#define LEAN_O1_BYTES BINCTX_O1_BYTES /* the order-1 model's table */
#define LEAN_CLASSES MDC_BYTE_CLASSES
#define LEAN_SETS (256u * MATCH_STATES * LEAN_CLASSES)
/* The mixer's inputs: the models from 0, then the bias, the match and
 * the structure models; a byte without structure models mixes half a
 * line (mixer.h). */
#define LEAN_BIAS 6
#define LEAN_MATCH_IN 7
#define LEAN_STRUCT_IN 8
#define LEAN_LANES(structs) ((structs) ? MIX_LANES : MIX_HALF_LANES)
_Static_assert(LEAN_MODELS <= LEAN_BIAS && LEAN_STRUCT_IN + STRUCT_MODELS <= MIX_SEEN,
               "the inputs fit");

typedef struct {
    binctx ctx[LEAN_MODELS];
    uint64_t next[LEAN_MODELS];          /* their contexts for the next byte */
    uint64_t word, last_word;            /* hashes: the word under way (0: none), the last one */
    mixer mix;
    int32_t x[8][MIX_LANES];             /* per level: the mixer's inputs, zero past the used */
    matchbit mbit;                       /* the match's next bit */
    uint32_t sel;                        /* this byte's part of the mixer's set choice */
} lean_model;

int lean_init(lean_model *l, size_t bytes, int huge_pages);
void lean_free(lean_model *l);
/* The number of structure models in use from the next byte on (a new
 * mode): the inputs of the others are zero. */
void lean_structs(lean_model *l, int structs);

static MDC_INLINE uint32_t lean_set(const lean_model *l, int node)
{
    return (uint32_t)node * (MATCH_STATES * LEAN_CLASSES) + l->sel;
}

/* Start a byte: the models' slots, the match's prediction (`predicted`,
 * -1 if none; its `entry` and `state`, match.h), the set choice. `last`
 * is the previous byte (0 at the start). */
static MDC_INLINE void lean_begin(lean_model *l, int predicted, int entry, uint32_t state,
                                  uint32_t last)
{
    for (int k = 0; k < LEAN_MODELS; k++)
        binctx_begin(&l->ctx[k], l->next[k]);
    matchbit_begin(&l->mbit, predicted, entry);
    l->sel = state * LEAN_CLASSES + mdc_byte_class(last);
    for (int node = 1; node < 4; node++)
        mixer_prefetch(&l->mix, lean_set(l, node));
}


/* The mixed P(1) (16-bit) of the node (heap index) at `level`, given the
 * `structs` structure models in use of `sm` (begun for this byte by the
 * engine). */
static MDC_INLINE uint32_t lean_p(lean_model *l, const stretch_table *st, int level, int node,
                                  structure_model *sm, int structs)
{
    if (level == 3) {
        for (int k = 0; k < LEAN_MODELS; k++)
            binctx_prefetch_low(&l->ctx[k], node);
        structure_prefetch_low(sm, node, structs);
    } else if (level == 4) {
        for (int k = 0; k < LEAN_MODELS; k++)
            binctx_low(&l->ctx[k], node & 15);
        structure_low(sm, node, structs);
    }
    int32_t *x = l->x[level];
    uint32_t set = lean_set(l, node);
    const int32_t *w = mixer_weights(&l->mix, set);
    int32_t dot = mixer_term(256, w[LEAN_BIAS]); /* units of 2^-16 of a stretch unit */
    x[LEAN_BIAS] = 256;
    for (int k = 0; k < LEAN_MODELS; k++) {
        x[k] = stretch(st, binctx_p(&l->ctx[k], level, node));
        dot += mixer_term(x[k], w[k]);
    }
    for (int k = 0; k < structs; k++) {
        x[LEAN_STRUCT_IN + k] = stretch(st, structure_p(sm, k, level, node));
        dot += mixer_term(x[LEAN_STRUCT_IN + k], w[LEAN_STRUCT_IN + k]);
    }
    int32_t xm = matchbit_input(&l->mbit, st, level, node);
    x[LEAN_MATCH_IN] = xm;
    if (xm) /* a zero input's term is exactly 0 (mixer_term): left out */
        dot += mixer_term(xm, w[LEAN_MATCH_IN]);
    mixer_end(&l->mix, st, level, set, dot);
    return l->mix.p[level];
}

/* Learn the bit coded at `level` (after lean_p there). */
static MDC_INLINE void lean_update(lean_model *l, int level, int bit, structure_model *sm,
                                   int structs)
{
    mixer_update_lanes(&l->mix, level, bit, l->x[level], LEAN_LANES(structs));
    for (int k = 0; k < LEAN_MODELS; k++)
        binctx_update(&l->ctx[k], level, bit);
    structure_update(sm, level, bit, structs);
    matchbit_update(&l->mbit, level, bit);
}

/* After byte c: follow the word. */
void lean_word(lean_model *l, uint32_t c);
/* The next byte's contexts (`hist`: the last 8 bytes, most recent
 * lowest), with their lines asked for. With `structure` set the word's
 * model takes the context `alt` instead (structure_word_context). Depends
 * on nothing else, so it may be called again when a new mode changes
 * `structure`. */
void lean_next(lean_model *l, uint64_t hist, int structure, uint64_t alt);

#endif

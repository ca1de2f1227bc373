#include "lean.h"

#include <string.h>

/* The order-1 model settles fast, the others slowly (binctx.h), as
 * engine.c's binary context models do, for the reason given there. */
static const uint32_t lean_limit[LEAN_MODELS] = {BINCTX_FAST_LIMIT, BINCTX_MAX_LIMIT,
                                                 BINCTX_MAX_LIMIT, BINCTX_MAX_LIMIT,
                                                 BINCTX_MAX_LIMIT};
/* The orders of models 0-3 (model 4 is the word's). */
static const int lean_order[LEAN_MODELS - 1] = {1, 2, 3, 6};

#define LEAN_LR (1 << 15) /* the mixer's base rate, 0.5 (16.16) */

int lean_init(lean_model *l, size_t bytes, int huge_pages)
{
    int fail = 0;
    for (int k = 0; k < LEAN_MODELS; k++)
        fail |= binctx_init(&l->ctx[k], k == 0 ? LEAN_O1_BYTES : bytes, lean_limit[k],
                            huge_pages) != 0;
    fail |= mixer_init(&l->mix, LEAN_SETS, LEAN_LR) != 0;
    matchbit_init(&l->mbit);
    l->word = l->last_word = 0;
    lean_next(l, 0, 0, 0);
    return fail ? -1 : 0;
}

void lean_free(lean_model *l)
{
    for (int k = 0; k < LEAN_MODELS; k++)
        binctx_free(&l->ctx[k]);
    mixer_free(&l->mix);
}

void lean_structs(lean_model *l, int structs)
{
    for (int level = 0; level < 8; level++)
        for (int k = structs; k < STRUCT_MODELS; k++)
            l->x[level][LEAN_STRUCT_IN + k] = 0;
}

void lean_word(lean_model *l, uint32_t c)
{
    /* The word: letters, case folded; any other byte ends it. */
    if ((c | 32) >= 'a' && (c | 32) <= 'z') {
        l->word = mdc_mix64(l->word + (c | 32) + 0x5744);
    } else if (l->word) {
        l->last_word = l->word;
        l->word = 0;
    }
}

void lean_next(lean_model *l, uint64_t hist, int structure, uint64_t alt)
{
    uint32_t c = (uint32_t)(hist & 255);
    for (int k = 0; k < LEAN_MODELS - 1; k++)
        l->next[k] = mdc_ctx_hash(hist, 0, lean_order[k], 0x1EA0 + (uint64_t)k);
    if (structure)
        l->next[LEAN_MODELS - 1] = alt;
    else if (l->word)
        l->next[LEAN_MODELS - 1] = mdc_mix64(l->word + 0x1EA7);
    else /* between words: the last word and the byte since */
        l->next[LEAN_MODELS - 1] = mdc_mix64(l->last_word * 0x9E3779B97F4A7C15ull + c + 0x1EA8);
    for (int k = 0; k < LEAN_MODELS; k++)
        binctx_prefetch(&l->ctx[k], l->next[k]);
}

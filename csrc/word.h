/*
 * word — the trie word model (stage 3).
 *
 * A word is a run of [A-Za-z0-9'-]. The trie is kept as a ctxtab keyed by a
 * hash of each word prefix: the slot of a prefix counts the characters that
 * followed it, and counts the word ending there under the pseudo-symbol 0
 * (NUL is never a word character). The slot of the whole word is thus also
 * its word count. Bigram slots, keyed by a hash of the previous word, count
 * the first byte of the word after it. Words of two or more characters are
 * added when they end; words longer than WORD_MAX_LEN are neither
 * predicted past that length nor learnt.
 *
 * Bounds (docs/TESTING.md, "Limits"): a word's length counts up to
 * WORD_MAX_LEN + 1 and stays there, however long the run of word
 * characters (2 GiB of hex or DNA is one word). Every length past
 * WORD_MAX_LEN acts alike (no prediction, no learning, the last word is
 * the prefix of WORD_MAX_LEN), so the stop changes no coded bit; a count
 * that went on would overflow after 2^31 characters.
 *
 * Inside a word (prefix length >= 1, with continuations known) it predicts
 * continuation c with count(c) / T and spreads the word-end mass count(0) / T
 * over 11 boundary characters, with confidence
 *   min(len / 3, 1) * min(continuations / 2, 1) * hit rate.
 * Between words it predicts from the bigram slot, with confidence
 *   min(total / 5, 1) * 0.3 * hit rate.
 * The hit rate counts predictions that gave the true byte more than 0.05 and
 * decays like the match model's. Its blend weight (blend.h) is set by
 * WORD_BLEND_SCALE and WORD_BLEND_CAP; below BLEND_MIN_CONF it abstains.
 * All confidences are 16-bit.
 */
#ifndef MDC_WORD_H
#define MDC_WORD_H

#include "blend.h"
#include "ctxtab.h"
#include "dist.h"

#define WORD_MAX_LEN 64
/* The blend weight: min(WORD_BLEND_SCALE % of the confidence, WORD_BLEND_CAP). */
#define WORD_BLEND_SCALE 35
#define WORD_BLEND_CAP 29491 /* 0.45 */

typedef struct {
    ctxtab tab;
    uint64_t prefix[WORD_MAX_LEN + 1]; /* hash of each prefix of the current word */
    uint8_t chars[WORD_MAX_LEN];       /* the current word */
    int len;                           /* characters of the current word, 0 ..
                                          WORD_MAX_LEN + 1: it stops there, which
                                          stands for every longer word (see above) */
    int in_word;
    uint64_t last_word;                /* hash of the previous word */
    int has_last;
    uint32_t hits, attempts;           /* x 256; hits <= attempts <= 500 * 256 */
    const ctx_slot *pred;              /* this byte's source slot, NULL if none */
    int pred_in_word;                  /* pred is a prefix slot (else a bigram) */
    uint32_t confidence;               /* 16-bit */
} word_model;

int word_init(word_model *w, size_t table_bytes, int huge_pages);
void word_free(word_model *w);
size_t word_size(size_t table_bytes); /* what init allocates */

/* Sets w->pred and w->confidence (0 when it has nothing to say). */
void word_predict(word_model *w);
/* Its blend weight, 16-bit: 0 when it abstains. */
static inline uint32_t word_weight(const word_model *w)
{
    /* no prediction has confidence 0, below BLEND_MIN_CONF */
    return w->confidence >= BLEND_MIN_CONF
               ? blend_weight(w->confidence, WORD_BLEND_SCALE, WORD_BLEND_CAP)
               : 0;
}
/* dist += weight * q (blend.h). */
void word_blend(const word_model *w, uint32_t weight, mdc_dist *dist);
/* Ask for the slot the next word_predict reads. */
void word_prefetch(const word_model *w);
void word_update(word_model *w, int byte);

/* The word under way as another model's context: the hash of its prefix
 * so far (of WORD_MAX_LEN characters at most), and whether a word is under
 * way. Between words the prefix is the empty one (0 before the first
 * word), so the bytes between words share one context. */
static inline uint64_t word_context(const word_model *w)
{
    return w->prefix[w->len < WORD_MAX_LEN ? w->len : WORD_MAX_LEN] + (uint64_t)w->in_word * 0x9E37;
}

#endif

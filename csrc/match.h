/*
 * match — the match model (stage 2).
 *
 * For each context length L in {16, 12, 8, 6, 4} a table maps a hash of the
 * last L bytes to the position that followed their latest occurrence. With
 * no match active, the longest length whose candidate really matches (the
 * bytes are compared in the history ring, so a hash collision never starts
 * a match) starts one; an active match is followed while it predicts right
 * and dropped at its first miss.
 *
 * It predicts one byte with a 16-bit confidence made of a hit rate that
 * decays (x 0.99 once past 500 observations) and the current streak:
 *   new match:    min(rate * L / 6, rate * 0.9)
 *   continuing:   min(rate * (0.65 + 0.04 * streak), 0.96)
 * Its blend weight (blend.h) is set by MATCH_BLEND_SCALE and MATCH_BLEND_CAP.
 * The mixers also take its next bit while its byte agrees with the path
 * (matchbit.h).
 *
 * Memory: a history ring of 2^ring_bits bytes and five tables of
 * 2^table_bits uint32 positions (the ring and tables come from alloc.h).
 *
 * Bounds (docs/TESTING.md, "Limits"). The tables keep positions modulo
 * 2^32, by design: a position is only ever used as the distance
 * (uint32_t)pos - stored, which is exact for any candidate the ring still
 * holds (at most 2^28 bytes back, ring_bits <= 28 at the largest budget);
 * a candidate farther back than the ring holds is ignored, and one that
 * only looks near because its position wrapped is checked byte by byte in
 * the ring like any other, so it cannot start a false match. A stored 0
 * means "empty", so the one entry written at a position that is a
 * multiple of 2^32 is lost. `pos` and `read` are 64-bit (2^64 bytes is
 * out of reach; their ring indices are masked). The hit rate decays, so
 * total stays at most 500 * 256 and hits <= total. `streak` counts right
 * predictions of one match and wraps to 0 after 2^32 of them (a match
 * 4 GiB long): defined, the same on both sides, and kept, since
 * saturating it would change the coded bytes of such streams; the match
 * then goes on with the confidence of a new one, which grows back within
 * a few dozen bytes (as do its state and entry, below).
 */
#ifndef MDC_MATCH_H
#define MDC_MATCH_H

#include "blend.h"
#include "common.h"

#define MATCH_LENGTHS 5
/* The blend weight: min(MATCH_BLEND_SCALE % of the confidence, MATCH_BLEND_CAP). */
#define MATCH_BLEND_SCALE 85
#define MATCH_BLEND_CAP 62259 /* 0.95 */

typedef struct {
    uint8_t *ring;
    uint32_t ring_mask;
    uint32_t *table[MATCH_LENGTHS];
    uint32_t slot[MATCH_LENGTHS]; /* this byte's entry in each table */
    int ring_bits, table_bits;
    uint64_t pos;        /* bytes seen (the tables hold it modulo 2^32) */
    uint64_t read;       /* position of the predicted byte, when active:
                            pos - read <= ring_mask - 16 */
    int active;
    uint32_t streak;     /* right predictions of the active match (wraps at 2^32) */
    uint32_t hits, total; /* hit rate, both x 256: hits <= total <= 500 * 256 */
    int predicted;       /* this byte's prediction, -1 if none */
    uint32_t confidence; /* 16-bit */
} match_model;

int match_init(match_model *m, int ring_bits, int table_bits, int huge_pages);
void match_free(match_model *m);
size_t match_size(int ring_bits, int table_bits);

/* Per byte: match_next once its context is known (the last bytes, most
 * recent lowest: `hist` the last 8, `hist_hi` the 8 before), then
 * match_predict, then match_update with the byte. */

/* Finds the table entries of the byte whose context is (hist, hist_hi) and
 * asks for their cache lines. match_init does it for the first byte. */
void match_next(match_model *m, uint64_t hist, uint64_t hist_hi);
/* Sets m->predicted and m->confidence. */
void match_predict(match_model *m);
void match_update(match_model *m, int byte);

/* This byte's prediction (after match_predict): the byte, -1 if none. */
static inline int match_predicted(const match_model *m)
{
    return m->predicted;
}

/* Its blend weight, 16-bit (0 without a prediction: its confidence is 0). */
static inline uint32_t match_weight(const match_model *m)
{
    return blend_weight(m->confidence, MATCH_BLEND_SCALE, MATCH_BLEND_CAP);
}

/* dist += weight * onehot(the predicted byte), with a prediction. */
static inline void match_blend(const match_model *m, uint32_t weight, mdc_dist *dist)
{
    blend_add_onehot(dist, m->predicted, weight);
}

/* What the mixers make of a prediction (after match_predict). Its state
 * chooses weight sets: 0 none, 1-3 a streak under 8, under 32, longer. */
#define MATCH_STATES 4
static inline uint32_t match_state(const match_model *m)
{
    return m->predicted < 0 ? 0 : m->streak < 8 ? 1 : m->streak < 32 ? 2 : 3;
}

/* Its entry among MATCH_ENTRIES learned probabilities that its bits are
 * right (matchbit.h): the streak (0..15) by the confidence's quarter. */
#define MATCH_ENTRIES 64
static inline int match_entry(const match_model *m)
{
    return (int)(m->streak < 15 ? m->streak : 15) * 4 + (int)(m->confidence >> 14);
}

#endif

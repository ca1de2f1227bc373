/*
 * matchbit — the match model's next bit, as an input of a mixer.
 *
 * While the byte the match model predicts (match.h) agrees with the bits of
 * the byte coded so far, its next bit is a guess a mixer weighs like any
 * model's: the input is +stretch(q) for a predicted 1, -stretch(q) for a
 * predicted 0, where q is a learned probability that the match's bit is
 * right. q is kept per entry (match_entry: the match's streak by its
 * confidence's quarter), starts at MATCHBIT_START and moves 1/64 of the way
 * to whether the bit was right. Once the prediction has left the byte's
 * path, the input is 0 and nothing is learned.
 *
 * Both models take it: engine.c's two node mixers (their input MATCH_IN) and
 * lean.h's mixer (LEAN_MATCH_IN), each with a matchbit of its own.
 *
 * Scales: q is 16-bit (65536 = 1), the input a stretched probability in
 * 1/256 (squash.h). A q moves part of the way to 0 or 65535, never past:
 * nothing to bound however long the stream.
 */
#ifndef MDC_MATCHBIT_H
#define MDC_MATCHBIT_H

#include "match.h"
#include "squash.h"

#define MATCHBIT_START 49152 /* 3/4 */

typedef struct {
    uint16_t right[MATCH_ENTRIES]; /* q per entry, 16-bit */
    int predicted;                 /* this byte's predicted byte, -1 if none */
    int entry;                     /* and its entry */
    uint8_t on[8];                 /* per level: the input was given, so it learns */
} matchbit;

void matchbit_init(matchbit *m);

/* Start a byte: the match's prediction (-1 if none) and its entry. */
static MDC_INLINE void matchbit_begin(matchbit *m, int predicted, int entry)
{
    m->predicted = predicted;
    m->entry = entry;
}

/* The input at the node (heap index) at `level`: +-stretch(q) while the
 * predicted byte is on the path to the node, else 0. */
static MDC_INLINE int32_t matchbit_input(matchbit *m, const stretch_table *st, int level, int node)
{
    m->on[level] = 0;
    if (m->predicted < 0 || ((m->predicted | 256) >> (8 - level)) != node)
        return 0;
    int32_t sure = stretch(st, m->right[m->entry]);
    m->on[level] = 1;
    return (m->predicted >> (7 - level)) & 1 ? sure : -sure;
}

/* Learn the bit coded at `level` (after matchbit_input there). */
static MDC_INLINE void matchbit_update(matchbit *m, int level, int bit)
{
    if (m->on[level]) {
        uint16_t *q = &m->right[m->entry];
        int right = ((m->predicted >> (7 - level)) & 1) == bit;
        *q = (uint16_t)(*q + ((right ? 65535 : 0) - (int32_t)*q) / 64);
    }
}

#endif

/*
 * record — where the byte being coded sits in two dimensions.
 *
 * Data that repeats with a period (the rows of a table or an image, the
 * records of a binary file) or line by line (columnar or sorted text) is
 * predicted best by the bytes one row up, not by the last few bytes. This
 * component keeps the recent bytes and the current line's and previous
 * line's starts, and tells the structure models (structure.h), for the
 * next byte:
 *   - with a period P (a block's record mode): the column (position mod P)
 *     and the bytes one and two rows up (P and 2P back) and beside them;
 *   - by lines (no period): the column since the last newline and the
 *     previous line's byte at that column (a sentinel past its end).
 * It holds no model of its own: structure.c hashes these into contexts of
 * binary context models (binctx.h) for the mixers. It follows every byte
 * whatever the block's mode, so that a block that turns record mode on
 * sees the rows that came before it.
 *
 * Memory: a ring of RECORD_RING bytes (alloc.h). A period is at most
 * MDC_MAX_PERIOD, so two rows up and one to the right stay in the ring.
 *
 * Bounds (docs/TESTING.md, "Limits"): positions are 64-bit (2^64 bytes is
 * out of reach) and are used only as differences, each at most pos; the
 * ring index is masked. The column stays below the period, or, by lines,
 * stops at 0xFFFF: in a longer line the byte above is more than a ring
 * back, so record_up gives RECORD_NONE there whatever the column says.
 */
#ifndef MDC_RECORD_H
#define MDC_RECORD_H

#include "common.h"
#include "midicoth.h"

#define RECORD_RING (1u << 16)
_Static_assert(2 * MDC_MAX_PERIOD + 2 <= RECORD_RING, "two rows up and one right stay in the ring");
/* What `record_above` and `record_up` give where there is no such byte:
 * outside 0..255, so it hashes apart from every real byte. */
#define RECORD_NONE 256u

typedef struct {
    uint8_t *ring;            /* byte at position i is ring[i % RECORD_RING] */
    uint64_t pos;             /* bytes seen */
    uint64_t line_start;      /* position of the current line's first byte */
    uint64_t prev_start;      /* and of the previous line's */
    uint32_t period;          /* 0: by lines */
    uint32_t column;          /* of the next byte: pos mod period, or since the
                                 newline (at most 0xFFFF) */
} record_model;

int record_init(record_model *r);
void record_free(record_model *r);
size_t record_size(void);
/* Use period `period` (0: lines) from the next byte on. */
void record_set_period(record_model *r, uint32_t period);

/* The byte `back` positions before the next one (1 = the last byte), or
 * RECORD_NONE before the start or past the ring. */
static inline uint32_t record_back(const record_model *r, uint64_t back)
{
    return back == 0 || back > r->pos || back >= RECORD_RING
               ? RECORD_NONE
               : r->ring[(r->pos - back) & (RECORD_RING - 1)];
}

/* The byte `rows` rows above the next one, `dx` columns to its right. With
 * a period: period * rows - dx back. By lines (rows = 1 only): the previous
 * line's byte at column + dx, if that line reaches it (its newline counts). */
static inline uint32_t record_up(const record_model *r, uint32_t rows, int dx)
{
    if (r->period) {
        int64_t back = (int64_t)r->period * rows - dx;
        return back > 0 ? record_back(r, (uint64_t)back) : RECORD_NONE;
    }
    int64_t at = (int64_t)r->column + dx;
    uint64_t prev_len = r->line_start - r->prev_start;
    if (rows != 1 || at < 0 || (uint64_t)at >= prev_len)
        return RECORD_NONE;
    return record_back(r, r->pos - r->prev_start - (uint64_t)at);
}

/* The period (0: by lines), the next byte's column, and its position
 * (bytes seen). */
static inline uint32_t record_period(const record_model *r)
{
    return r->period;
}

static inline uint32_t record_column(const record_model *r)
{
    return r->column;
}

static inline uint64_t record_position(const record_model *r)
{
    return r->pos;
}

static inline void record_update(record_model *r, int byte)
{
    r->ring[r->pos & (RECORD_RING - 1)] = (uint8_t)byte;
    r->pos++;
    if (byte == '\n') {
        r->prev_start = r->line_start;
        r->line_start = r->pos;
    }
    if (r->period)
        r->column = r->column + 1 == r->period ? 0 : r->column + 1;
    else
        r->column = (uint32_t)(r->pos - r->line_start < 0xFFFF ? r->pos - r->line_start : 0xFFFF);
}

#endif

/*
 * structure — the structure models: binary context models on rows and on
 * bytes that skip, which a segment's mode (midicoth.h) turns on.
 *
 * Up to STRUCT_MODELS binary context models (binctx.h) join a model's mixer
 * as inputs. Their contexts, for the next byte, by the mode:
 *   record: the byte above with the last byte; the column with the byte
 *           above; the three bytes above (left, above, right); above and
 *           two rows above (the rows come from record.h: a period, or lines);
 *   sparse: the byte 2 back; bytes 2-3 back; byte 4 back with the position
 *           modulo 4 (in x86 code: the last byte with the one 3 back, an
 *           opcode and its operand's start); bytes 4 and 8 back;
 *   both:   the first two of each.
 * In mode 0 none is in use, and the models' callers pass the count they
 * use as a constant 0 where they can (engine.c's coding loops), which takes
 * the structure models out of the per-node path.
 *
 * It also keeps the share of text bytes lately, and says when the data is
 * binary with structure (structure_binary): then the word's slot of a
 * model's binary context models takes a structure context instead
 * (structure_word_context).
 *
 * The record rows follow every byte whatever the mode, so that a segment
 * that turns record mode on sees the rows that came before it.
 *
 * Scales: the text share is a 16-bit fraction (65536 = 1). Memory: the
 * record ring (record.h) and the four models' tables (structure_init's
 * `bytes`, evenly).
 */
#ifndef MDC_STRUCTURE_H
#define MDC_STRUCTURE_H

#include "binctx.h"
#include "record.h"

#define STRUCT_MODELS 4
#define STRUCT_LIMIT BINCTX_MAX_LIMIT /* each model's count limit */
/* Below this share of text bytes lately, sparse data is binary. */
#define TEXT_SHARE_BINARY 32768

typedef struct {
    record_model record;
    binctx bin[STRUCT_MODELS];
    uint64_t next[STRUCT_MODELS]; /* their contexts for the next byte */
    int n;                        /* models in use: 0..STRUCT_MODELS */
    unsigned mode;                /* this segment's (its period is the record's) */
    uint32_t text_share;          /* recent text bytes' share, 16-bit: 0..65536 */
} structure_model;

int structure_init(structure_model *s, size_t bytes, int huge_pages);
void structure_free(structure_model *s);
/* Bytes structure_init(bytes) allocates: the ring and the tables. */
size_t structure_size(size_t bytes);

/* The mode and period of the segment about to start (valid for them:
 * mdc_check_mode), with `hist` the last 8 bytes (most recent lowest). */
void structure_set_mode(structure_model *s, unsigned mode, unsigned period, uint64_t hist);
/* After byte c, with `hist` ending in it: the rows and the text share
 * follow, and the models in use get their contexts for the next byte. */
void structure_next(structure_model *s, int c, uint64_t hist);

/* The models in use (set per segment). */
static inline int structure_count(const structure_model *s)
{
    return s->n;
}

/* Whether the data is binary with structure (a record period, machine
 * code, or sparse fields with few text bytes lately), where words mean
 * little. */
static inline int structure_binary(const structure_model *s)
{
    return record_period(&s->record) || (s->mode & MDC_MODE_X86) ||
           (s->mode & MDC_MODE_SPARSE && s->text_share < TEXT_SHARE_BINARY);
}

/* In such data, the context that takes the word's place: the byte above
 * with the last byte and the byte above-left where there are rows, else
 * the bytes 3 and 4 back. */
uint64_t structure_word_context(const structure_model *s, uint64_t hist);

/* Per byte and node, for the `structs` models in use (a constant where
 * the caller can): start the byte; at level 3 (`node` its heap index) ask
 * for the low nibble's slots; at level 4 select them; the P(1) of model k
 * at a node; learn the bit coded at `level`. */
static MDC_INLINE void structure_begin(structure_model *s, int structs)
{
    for (int k = 0; k < structs; k++)
        binctx_begin(&s->bin[k], s->next[k]);
}

static MDC_INLINE void structure_prefetch_low(structure_model *s, int node, int structs)
{
    for (int k = 0; k < structs; k++)
        binctx_prefetch_low(&s->bin[k], node);
}

static MDC_INLINE void structure_low(structure_model *s, int node, int structs)
{
    for (int k = 0; k < structs; k++)
        binctx_low(&s->bin[k], node & 15);
}

static MDC_INLINE uint32_t structure_p(structure_model *s, int k, int level, int node)
{
    return binctx_p(&s->bin[k], level, node);
}

static MDC_INLINE void structure_update(structure_model *s, int level, int bit, int structs)
{
    for (int k = 0; k < structs; k++)
        binctx_update(&s->bin[k], level, bit);
}

#endif

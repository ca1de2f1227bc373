#include "structure.h"

#include <string.h>

int structure_init(structure_model *s, size_t bytes, int huge_pages)
{
    memset(s, 0, sizeof(*s));
    int fail = record_init(&s->record) != 0;
    for (int k = 0; k < STRUCT_MODELS; k++)
        fail |= binctx_init(&s->bin[k], bytes / STRUCT_MODELS, STRUCT_LIMIT, huge_pages) != 0;
    return fail ? -1 : 0;
}

void structure_free(structure_model *s)
{
    record_free(&s->record);
    for (int k = 0; k < STRUCT_MODELS; k++)
        binctx_free(&s->bin[k]);
}

size_t structure_size(size_t bytes)
{
    return record_size() + STRUCT_MODELS * binctx_size(bytes / STRUCT_MODELS);
}

/* Hash of up to four small values (bytes or RECORD_NONE, a column) as a
 * structure model's context; `kind` separates the contexts. */
static inline uint64_t struct_ctx(uint64_t kind, uint64_t a, uint64_t b, uint64_t c)
{
    return mdc_mix64(((kind * 0x10000 + c) * 0x200 + b) * 0x200 + a + 0x5EC0000000000000ull);
}

uint64_t structure_word_context(const structure_model *s, uint64_t hist)
{
    const record_model *r = &s->record;
    return record_period(r) ? struct_ctx(11, record_up(r, 1, 0), hist & 255, record_up(r, 1, -1))
                            : struct_ctx(11, hist >> 16 & 255, hist >> 24 & 255, 0);
}

/* The models' contexts for the next byte, by the mode (structure.h), and
 * their lines asked for. `hist` holds the last 8 bytes, most recent
 * lowest. */
static void contexts(structure_model *s, uint64_t hist)
{
    const record_model *r = &s->record;
    uint64_t h = hist;
    uint64_t ctx[2 * STRUCT_MODELS];
    int n = 0;
    if (s->mode & MDC_MODE_RECORD) {
        uint32_t above = record_up(r, 1, 0);
        ctx[n++] = struct_ctx(1, above, h & 255, 0);
        ctx[n++] = struct_ctx(4, above, 0, record_column(r));
        ctx[n++] = struct_ctx(2, record_up(r, 1, -1), above, record_up(r, 1, 1));
        ctx[n++] = struct_ctx(3, above, record_up(r, 2, 0), 0);
    }
    if (s->mode & MDC_MODE_SPARSE) {
        ctx[n++] = struct_ctx(5, h >> 8 & 255, 0, 0);
        ctx[n++] = struct_ctx(6, h >> 8 & 0xFFFF, 0, 0);
        /* in code, the last byte with the one 3 back (an opcode and its
         * operand's start) in place of the byte 4 back */
        if (s->mode & MDC_MODE_X86)
            ctx[n++] = struct_ctx(9, h & 255, h >> 16 & 255, 0);
        else /* with the position in a 32-bit field (from the stream's start) */
            ctx[n++] = struct_ctx(7, h >> 24 & 255, 0, 1 + (record_position(r) & 3));
        ctx[n++] = struct_ctx(8, h >> 24 & 255, h >> 56, 0);
    }
    if (n > STRUCT_MODELS) { /* both: the first two of each */
        ctx[2] = ctx[4];
        ctx[3] = ctx[5];
        n = STRUCT_MODELS;
    }
    s->n = n;
    for (int k = 0; k < n; k++) {
        s->next[k] = ctx[k];
        binctx_prefetch(&s->bin[k], ctx[k]);
    }
}

void structure_set_mode(structure_model *s, unsigned mode, unsigned period, uint64_t hist)
{
    s->mode = mode;
    record_set_period(&s->record, period);
    contexts(s, hist);
}

void structure_next(structure_model *s, int c, uint64_t hist)
{
    record_update(&s->record, c);
    /* a moving share of text bytes over about the last 256: each byte
     * moves it 1/256 of the way to 65536 (text) or 0, and past neither:
     * share + 256 - share / 256 <= 65536 for every share <= 65536 */
    s->text_share += 256u * mdc_is_text(c) - (s->text_share >> 8);
    if (s->mode & (MDC_MODE_RECORD | MDC_MODE_SPARSE))
        contexts(s, hist);
}

/*
 * analyse — a cheap look at a block that chooses its mode (midicoth.h).
 *
 * Each structure model costs time on every byte it runs and gains only
 * where the data has its kind of structure, so a block gets a mode only
 * when its statistics say so. The counts, all integers (the choice is the
 * same on every machine):
 *   - the share of text bytes (tab, newline, CR, space .. '~');
 *   - E8/E9 opcodes, and those followed by a small 32-bit target;
 *   - how often a byte equals the last byte, the byte 2, 4 or 8 back, the
 *     byte one record period back, and the byte above it in the previous
 *     line;
 *   - the record period: of the distances at which equal byte pairs (not
 *     runs) recur most often, the one where single bytes agree most.
 * The rules, in order: noise (no neighbour agrees more often than chance)
 * gets nothing; code gets x86 with sparse contexts; text with lines gets
 * record mode by lines if its lines line up; other data (and text without
 * lines) gets record mode if the period agrees clearly more often than the
 * last byte, else, if binary, sparse mode if 2, 4 or 8 back agree nearly
 * as often as the last byte. docs/MODEL.md ("Block modes") gives the
 * thresholds.
 */
#include <stdlib.h>

#include "common.h"
#include "midicoth.h"

#define CANDIDATES 8      /* distances looked at closely */
#define MIN_BLOCK 512     /* smaller blocks keep mode 0 */
/* The most bytes of a block looked at: a longer one is judged by its
 * start (the container's blocks are at most 64 MiB). It bounds every
 * count below, so that positions fit find_period's 32-bit table and the
 * products of the rules fit 64 bits whatever size_t is. A test may build
 * with a smaller one. */
#ifndef ANALYSE_MAX_BYTES
#define ANALYSE_MAX_BYTES (1u << 30)
#endif

/* Every count is at most the bytes looked at (ANALYSE_MAX_BYTES). */
typedef struct {
    uint64_t text;          /* bytes of text: tab, newline, CR, space .. '~' */
    uint64_t e8, e8_small;  /* E8/E9 opcodes; those followed by a small displacement */
    uint32_t period;        /* best record period found, 0 if none */
    uint64_t same_period;   /* bytes equal to the byte one period back */
    uint64_t same_last;     /* bytes equal to the last byte */
    uint64_t same_sparse;   /* the most bytes equal to the byte 2, 4 or 8 back */
    uint64_t same_line;     /* bytes equal to the byte above in the previous line */
    uint64_t line_bytes;    /* bytes that have a byte above in the previous line */
} block_stats;

static uint64_t same_at(const uint8_t *in, size_t n, size_t d)
{
    uint64_t same = 0;
    for (size_t i = d; i < n; i++)
        same += in[i] == in[i - d];
    return same;
}

/* The period: among the distances at which byte pairs recur most often,
 * the one where single bytes agree most. Returns MDC_ERR_OUT_OF_MEMORY if
 * its two tables (about 384 KiB) cannot be had, else MDC_OK. */
static int find_period(const uint8_t *in, size_t n, block_stats *s)
{
    /* last: 1 + the position of each pair's last occurrence (exact, n <=
     * ANALYSE_MAX_BYTES); count: pairs a distance apart, at most n */
    uint32_t *last = calloc(65536, sizeof(uint32_t));
    uint32_t *count = calloc(MDC_MAX_PERIOD + 1, sizeof(uint32_t));
    if (!last || !count) {
        free(last);
        free(count);
        return MDC_ERR_OUT_OF_MEMORY;
    }
    for (size_t i = 1; i < n; i++) {
        uint32_t pair = (uint32_t)in[i - 1] << 8 | in[i];
        /* runs of one byte say nothing about rows */
        if (in[i] != in[i - 1] && last[pair]) {
            size_t d = i - (last[pair] - 1);
            if (d <= MDC_MAX_PERIOD)
                count[d]++;
        }
        last[pair] = (uint32_t)i + 1;
    }
    uint32_t cand[CANDIDATES] = {0};
    for (uint32_t d = 2; d <= MDC_MAX_PERIOD && d < n / 4; d++) {
        if (!count[d])
            continue;
        int k = CANDIDATES;
        while (k > 0 && (cand[k - 1] == 0 || count[d] > count[cand[k - 1]]))
            k--;
        if (k < CANDIDATES) {
            for (int j = CANDIDATES - 1; j > k; j--)
                cand[j] = cand[j - 1];
            cand[k] = d;
        }
    }
    for (int k = 0; k < CANDIDATES && cand[k]; k++) {
        uint64_t same = same_at(in, n, cand[k]);
        /* a multiple of the period agrees about as well: keep the shortest */
        if (same * 64 > s->same_period * 65 ||
            (s->period && s->period % cand[k] == 0 && same * 64 > s->same_period * 62)) {
            s->period = cand[k];
            s->same_period = same;
        }
    }
    free(last);
    free(count);
    return MDC_OK;
}

static void line_stats(const uint8_t *in, size_t n, block_stats *s)
{
    size_t line = 0, prev = 0, have_prev = 0;
    for (size_t i = 0; i < n; i++) {
        size_t col = i - line;
        if (have_prev && prev + col < line) {
            s->line_bytes++;
            s->same_line += in[i] == in[prev + col];
        }
        if (in[i] == '\n') {
            prev = line;
            line = i + 1;
            have_prev = 1;
        }
    }
}

static void byte_stats(const uint8_t *in, size_t n, block_stats *s)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        s->text += mdc_is_text(c);
        if ((c & 0xFE) == 0xE8 && i + 4 < n) {
            s->e8++;
            s->e8_small += in[i + 4] == 0 || in[i + 4] == 0xFF;
        }
    }
    s->same_last = same_at(in, n, 1);
}

/* The best agreement at 2, 4 or 8 back (not needed for text with lines). */
static void sparse_stats(const uint8_t *in, size_t n, block_stats *s)
{
    for (size_t d = 2; d <= 8; d *= 2) {
        uint64_t same = same_at(in, n, d);
        s->same_sparse = same > s->same_sparse ? same : s->same_sparse;
    }
}

int mdc_analyse(const uint8_t *in, size_t len, unsigned stages, unsigned allowed,
                unsigned *mode, unsigned *period)
{
    block_stats s = {0};
    *mode = 0;
    *period = 0;
    if (len < MIN_BLOCK)
        return MDC_OK;
    if (len > ANALYSE_MAX_BYTES)
        len = ANALYSE_MAX_BYTES;
    byte_stats(in, len, &s);
    int text = s.text * 10 >= (uint64_t)len * 9;
    if (text)
        line_stats(in, len, &s);
    int lines = s.line_bytes * 3 > len; /* a third of the bytes have a byte above */
    /* text without lines may still be records (a database of text fields) */
    if (!text || !lines) {
        sparse_stats(in, len, &s);
        int rc = find_period(in, len, &s);
        if (rc != MDC_OK)
            return rc;
    }
    /* bytes that agree with no neighbour more often than chance are
     * compressed or random: no structure model can help */
    int noise = s.same_last * 128 < len && s.same_sparse * 128 < len && s.same_period * 128 < len;
    /* a period the byte one row up agrees at clearly more often than the
     * last byte; one of 8 bytes or fewer (sparse contexts see those
     * fields too) only when it agrees far more often (records of two
     * 32-bit numbers, where the byte 4 back is the other number's) */
    int rows = s.period > 8 ? s.same_period * 20 > s.same_last * 21
                            : s.period > 4 && s.same_period > s.same_last * 8;
    /* code: its operands are fields, so sparse contexts come along */
    int code = s.e8 * 256 > len && s.e8_small * 2 > s.e8;
    unsigned m = 0, p = 0;
    if (noise) {
        /* mode 0 */
    } else if (code)
        m = MDC_MODE_X86 | MDC_MODE_SPARSE;
    else if (text && lines) {
        if (s.same_line * 5 > s.line_bytes)
            m = MDC_MODE_RECORD; /* by lines */
    } else if (allowed & MDC_MODE_RECORD && rows) {
        m = MDC_MODE_RECORD;
        p = s.period;
    } else if (allowed & MDC_MODE_SPARSE && !text && s.same_sparse * 10 > s.same_last * 9)
        m = MDC_MODE_SPARSE;
    m &= allowed;
    if (mdc_check_mode(m, m & MDC_MODE_RECORD ? p : 0, stages) != MDC_OK)
        m &= MDC_MODE_X86;
    *mode = m;
    *period = m & MDC_MODE_RECORD ? p : 0;
    return MDC_OK;
}

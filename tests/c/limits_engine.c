/*
 * limits_engine — the whole engine with its counters and positions started
 * next to their limits: encoder and decoder get the same state, as if
 * 2^32 (or 2^64) bytes had come before, or as if a match, the calibrator's
 * buckets, the mixers' update counts and PPM's counts had run for that
 * long; then segments of a few thousand bytes, in every mode, must round
 * trip exactly. Meant to be built with -fsanitize=address,undefined
 * -fno-sanitize-recover=all and -DMDC_DEBUG (tests/test_limits.py does).
 *
 * It includes engine.c (and is linked with the other sources of the core)
 * to reach struct mdc_engine: no test hook in the library.
 *
 *   limits_engine          prints one line per case; exits 0
 */
#include "engine.c"

#include <stdio.h>

#include "harness.h"
#include "limits_fill.h"

#define CHECK HARNESS_CHECK
#define MEMORY 16u

/* A few thousand bytes of everything: text lines, records of a period,
 * a long repeat (one match), a run, one long word, numbers. */
static size_t make_input(uint8_t *buf, size_t max, uint64_t *rng)
{
    static const char *words[] = {"the ", "limit ", "of ", "a ", "counter ", "is ",
                                  "its ", "bound ", "and ", "position "};
    size_t n = 0;
    while (n < max / 5) { /* text lines */
        const char *w = words[harness_below(rng, 10)];
        size_t len = strlen(w);
        if (n + len + 1 > max)
            break;
        memcpy(buf + n, w, len);
        n += len;
        if (harness_below(rng, 8) == 0)
            buf[n++] = '\n';
    }
    for (uint32_t i = 0; n + 12 <= 2 * max / 5; i++) { /* records of 12 bytes */
        memcpy(buf + n, &i, 4);
        memcpy(buf + n + 4, "rec:", 4);
        buf[n + 8] = (uint8_t)(i % 5);
        buf[n + 9] = buf[n + 10] = 0;
        buf[n + 11] = 0xE8; /* an x86 CALL now and then */
        n += 12;
    }
    size_t from = n / 3; /* a repeat of what came before */
    while (n < 3 * max / 5)
        buf[n++] = buf[from++];
    while (n < 7 * max / 10) /* a run */
        buf[n++] = 'x';
    while (n < 9 * max / 10) /* one long word */
        buf[n++] = (uint8_t)"ACGT"[harness_below(rng, 4)];
    while (n < max)
        buf[n++] = (uint8_t)('0' + harness_below(rng, 10));
    return n;
}

/* Encode `len` bytes as one segment of `enc` in `mode`, decode it with
 * `dec`, and check that every byte comes back. */
static void round_trip(mdc_engine *enc, mdc_engine *dec, const uint8_t *data, size_t len,
                       unsigned mode, unsigned period, uint64_t *rng)
{
    CHECK(mdc_set_mode(enc, mode, period) == 0 && mdc_set_mode(dec, mode, period) == 0,
          "a valid mode");
    size_t coded_len;
    uint8_t *coded = harness_encode(enc, data, len, 1 + harness_below(rng, 3000), &coded_len);
    harness_decoded r = harness_decode(dec, coded, coded_len, len, 1 + harness_below(rng, 500),
                                       1 + harness_below(rng, 2000), data, len);
    CHECK(r.matches && r.end_ok && !r.damaged, "the segment round trips");
    free(coded);
}

/* Both engines' positions as if `before` bytes had come before (with the
 * last line ending where they end). */
static void set_positions(mdc_engine *e, uint64_t before)
{
    e->nbytes = before;
    e->match.pos = before;
    e->structure.record.pos = e->structure.record.line_start =
        e->structure.record.prev_start = before;
}

static const unsigned modes[][2] = {
    {0, 0}, {MDC_MODE_RECORD, 0}, {MDC_MODE_RECORD, 12}, {MDC_MODE_SPARSE, 0},
    {MDC_MODE_SPARSE | MDC_MODE_X86, 0}, {MDC_MODE_ALL, 12}, {MDC_MODE_RECORD, MDC_MAX_PERIOD},
};
#define MODES (sizeof modes / sizeof modes[0])

/* Segments in every mode valid for `stages`, from positions `before`. */
static void positions_case(unsigned stages, uint64_t before, uint64_t *rng)
{
    mdc_engine *enc = harness_engine(MEMORY, stages);
    mdc_engine *dec = harness_engine(MEMORY, stages);
    set_positions(enc, before);
    set_positions(dec, before);
    uint8_t buf[3000];
    uint64_t coded = 0;
    for (size_t k = 0; k < MODES; k++) {
        unsigned mode = modes[k][0], period = modes[k][1];
        if (mdc_check_mode(mode, period, stages) != MDC_OK)
            continue;
        size_t len = make_input(buf, sizeof buf, rng);
        round_trip(enc, dec, buf, len, mode, period, rng);
        coded += len;
    }
    uint64_t after = before + coded; /* modulo 2^64, as the positions count */
    mdc_stats s;
    mdc_get_stats(enc, &s);
    CHECK(s.bytes == (after > before ? after : UINT64_MAX) && dec->nbytes == enc->nbytes,
          "nbytes counts on, and saturates at UINT64_MAX");
    if (stages & MDC_STAGE_MATCH)
        CHECK(enc->match.pos == after && dec->match.pos == after, "match positions count on");
    if (stages & MDC_STAGE_MIX)
        CHECK(enc->structure.record.pos == after && dec->structure.record.pos == after,
              "record positions count on");
    mdc_engine_free(enc);
    mdc_engine_free(dec);
}


/* The model's counters at their limits, the same on both sides. */
static void set_counters(mdc_engine *e)
{
    if (e->stages & MDC_STAGE_MATCH && e->match.active)
        e->match.streak = UINT32_MAX - 40; /* wraps within the next segment */
    if (e->stages & MDC_STAGE_TWEEDIE)
        for (size_t i = 0; i < tweedie_buckets(e->tweedie.steps); i++) {
            twd_bucket *b = &e->tweedie.table[i];
            if (b->real) { /* a used bucket: at halving and at saturation */
                b->count_extra = TWD_HALVE_COUNT - 2;
                b->real = UINT32_MAX - 2;
            }
        }
    if (e->stages & MDC_STAGE_MIX) {
        mixer *mixers[2] = {&e->mix_level, &e->mix_node};
        for (int k = 0; k < 2; k++)
            for (uint32_t set = 0; set < mixers[k]->sets; set++) {
                int32_t *w = mixers[k]->w + (size_t)set * MIX_LANES;
                w[MIX_SEEN] = MIX_SEEN_MAX - 2 - (int32_t)(set % 3);
                w[MIX_RATE] = mixer_rate(mixers[k], (uint32_t)w[MIX_SEEN] & ~15u);
            }
    }
    fill_row(&e->ppm.o0, e->ppm.o0_seen, 65533);
    e->ppm.o0_max = 65533;
    for (int r = 0; r < 256; r++)
        fill_row(&e->ppm.o1[r], NULL, 65535 - (uint32_t)r % 4);
}

/* A segment to warm up (a match under way at its end), the counters set,
 * then segments in every mode. */
static void counters_case(unsigned stages, uint64_t *rng)
{
    mdc_engine *enc = harness_engine(MEMORY, stages);
    mdc_engine *dec = harness_engine(MEMORY, stages);
    uint8_t warm[4000], buf[3000];
    size_t len = make_input(warm, 3000, rng);
    memcpy(warm + len, warm, 1000); /* ends inside a repeat */
    round_trip(enc, dec, warm, len + 1000, 0, 0, rng);
    int active = enc->match.active;
    set_counters(enc);
    set_counters(dec);
    for (size_t k = 0; k < MODES; k++) {
        unsigned mode = modes[k][0], period = modes[k][1];
        if (mdc_check_mode(mode, period, stages) != MDC_OK)
            continue;
        if (k == 0) { /* the repeat goes on: the streak wraps */
            memcpy(buf, warm + 1000, 2000);
            round_trip(enc, dec, buf, 2000, mode, period, rng);
            CHECK(!(stages & MDC_STAGE_MATCH) || !active || enc->match.streak < 2000,
                  "the streak wrapped (or its match ended)");
            continue;
        }
        len = make_input(buf, sizeof buf, rng);
        round_trip(enc, dec, buf, len, mode, period, rng);
    }
    if (stages & MDC_STAGE_TWEEDIE) {
        size_t saturated = 0;
        for (size_t i = 0; i < tweedie_buckets(enc->tweedie.steps); i++)
            saturated += enc->tweedie.table[i].real == UINT32_MAX;
        CHECK(saturated > 0, "calibrator buckets reached saturation");
    }
    mdc_engine_free(enc);
    mdc_engine_free(dec);
}

int main(void)
{
    uint64_t rng = 0x6C696D697473ull;
    static const unsigned stage_sets[] = {MDC_ALL_STAGES, MDC_PAPER_STAGES,
                                          MDC_STAGE_MATCH | MDC_STAGE_WORD, 0};
    static const uint64_t starts[] = {((uint64_t)1 << 31) - 5000, ((uint64_t)1 << 32) - 5000,
                                      ((uint64_t)1 << 33) - 5000, UINT64_MAX - 5000};
    for (size_t s = 0; s < sizeof stage_sets / sizeof stage_sets[0]; s++) {
        for (size_t p = 0; p < sizeof starts / sizeof starts[0]; p++)
            positions_case(stage_sets[s], starts[p], &rng);
        counters_case(stage_sets[s], &rng);
        printf("stages %2u: positions from 2^31, 2^32, 2^33 and 2^64 less 5000, and the "
               "counters at their limits, round trip in every mode\n",
               stage_sets[s]);
    }
    /* One word much longer than WORD_MAX_LEN, in pieces, as a stream of
     * DNA would be (2^31 letters of it overflowed the old count). */
    mdc_engine *enc = harness_engine(MEMORY, MDC_ALL_STAGES);
    mdc_engine *dec = harness_engine(MEMORY, MDC_ALL_STAGES);
    static uint8_t dna[20000];
    for (int seg = 0; seg < 3; seg++) {
        for (size_t i = 0; i < sizeof dna; i++)
            dna[i] = (uint8_t)"ACGT"[harness_below(&rng, 4)];
        round_trip(enc, dec, dna, sizeof dna, 0, 0, &rng);
        CHECK(enc->word.len == WORD_MAX_LEN + 1 && dec->word.len == WORD_MAX_LEN + 1,
              "the word's length stops at WORD_MAX_LEN + 1");
    }
    mdc_engine_free(enc);
    mdc_engine_free(dec);
    printf("a word of 60,000 letters: its length stops at %d\n", WORD_MAX_LEN + 1);
    printf("limits_engine: all checks held\n");
    return 0;
}

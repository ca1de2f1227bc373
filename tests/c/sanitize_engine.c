/*
 * sanitize_engine — checks that the core neither loses a byte nor touches
 * memory it does not own, on valid and on damaged segments; meant to be
 * built with -fsanitize=address,undefined (tests/test_sanitizers.py does).
 *
 *   sanitize_engine [SCALE [SEED]]
 *
 * Part 1, round trips: inputs of many shapes (empty, one byte, all 256
 * values, runs, random, text-like, records, mixtures) under many stage sets
 * and two budgets, coded in pieces of varied sizes and decoded with varied
 * hand-over and output sizes; solid engines code several segments in a row,
 * each in a mode drawn at random (record by a period or by lines, sparse,
 * x86, mixtures), and now and then one is taken as a stored block
 * (mdc_learn on the decoder's side). Every decoded byte must equal the
 * input and every segment must pass the coder's end check. The analyser
 * must choose a valid mode for every input, and the x86 transform must
 * undo itself at every length.
 *
 * Part 2, damaged segments (the decoder must survive anything): for valid
 * segments, every truncation, bit flips (all of them for short segments),
 * random overwrites, appended bytes, garbage of every length up to a bound,
 * and declared sizes that lie (smaller, larger, absurd). Each must end
 * without a sanitizer report, within the contract of midicoth.h, and
 * quickly (a lie about the size stops at the end of the coded bytes).
 *
 * Part 0, the error codes: each cause of a refusal gets its own code, with
 * no engine made, and every code its own message.
 *
 * SCALE (default 1) multiplies the number of cases. Prints the counts;
 * exits 0 when every check held (a broken check aborts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define MEMORY 16u

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

typedef struct {
    uint64_t round_trips, segments, bytes;
    uint64_t damaged_cases, refused, accepted_exact, accepted_other, stopped_early;
} counts;

static counts total;

/* --- inputs ------------------------------------------------------------------------ */

static size_t make_input(int shape, uint8_t *buf, size_t max)
{
    static const char *words[] = {"the ", "of ", "model ", "byte ", "context ", "tree ",
                                  "node ", "calibrate ", "Tweedie ", "and ", "to ", "a "};
    size_t n = 0;
    switch (shape) {
    case 0: /* empty */
        return 0;
    case 1: /* one byte */
        buf[0] = (uint8_t)harness_rand(&rng_state);
        return 1;
    case 2: /* all 256 values, a few times */
        for (n = 0; n < 256 * 3 && n < max; n++)
            buf[n] = (uint8_t)n;
        return n;
    case 3: /* a long run */
        n = 1000 + harness_below(&rng_state, max - 1000);
        memset(buf, (int)harness_below(&rng_state, 256), n);
        return n;
    case 4: /* random */
        n = harness_below(&rng_state, max);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)harness_rand(&rng_state);
        return n;
    case 5: /* text-like */
        while (n + 16 < max) {
            const char *w = words[harness_below(&rng_state, 12)];
            size_t len = strlen(w);
            memcpy(buf + n, w, len);
            n += len;
            if (harness_below(&rng_state, 9) == 0)
                buf[n++] = '\n';
        }
        return n;
    case 6: /* binary records with counters */
        for (uint32_t i = 0; n + 8 <= max; i++) {
            memcpy(buf + n, &i, 4);
            buf[n + 4] = 1;
            buf[n + 5] = 0;
            buf[n + 6] = buf[n + 7] = (uint8_t)(i % 7);
            n += 8;
        }
        return n;
    default: /* a mixture: text, random, a run (if there is room), text again */
        n = make_input(5, buf, max / 4);
        n += make_input(4, buf + n, max / 4);
        n += make_input(max / 4 > 1001 ? 3 : 4, buf + n, max / 4);
        return n + make_input(5, buf + n, max - n);
    }
}

/* --- part 0 ------------------------------------------------------------------------ */

static void expect_create(unsigned memory, unsigned stages, int code)
{
    mdc_engine *e = (mdc_engine *)&rng_state; /* anything but NULL */
    HARNESS_CHECK(mdc_check_params(memory, stages) == code, "mdc_check_params's code");
    HARNESS_CHECK(mdc_engine_create(&e, memory, stages, MDC_SIZE_UNKNOWN) == code && e == NULL,
                  "mdc_engine_create's code, and no engine");
}

static void part0(void)
{
    expect_create(MDC_MIN_MEMORY_MIB / 2, MDC_ALL_STAGES, MDC_ERR_BUDGET);
    expect_create(MDC_MAX_MEMORY_MIB * 2, MDC_ALL_STAGES, MDC_ERR_BUDGET);
    expect_create(MDC_MIN_MEMORY_MIB + 1, 0, MDC_ERR_BUDGET);
    expect_create(0, MDC_KNOWN_STAGES + 1, MDC_ERR_BUDGET); /* the budget is checked first */
    expect_create(MDC_MIN_MEMORY_MIB, MDC_KNOWN_STAGES + 1, MDC_ERR_STAGES);
    expect_create(MDC_MIN_MEMORY_MIB, MDC_STAGE_LEAN | MDC_STAGE_MIX, MDC_ERR_STAGES);
    expect_create(MDC_MIN_MEMORY_MIB, MDC_STAGE_LEAN | MDC_STAGE_WORD, MDC_ERR_STAGES);
    HARNESS_CHECK(mdc_check_params(MDC_MAX_MEMORY_MIB, MDC_STAGE_LEAN | MDC_STAGE_MATCH) == MDC_OK,
                  "valid parameters");
    HARNESS_CHECK(mdc_check_mode(MDC_MODE_ALL + 1, 0, MDC_ALL_STAGES) == MDC_ERR_MODE &&
                      mdc_check_mode(MDC_MODE_RECORD, MDC_MAX_PERIOD + 1, MDC_ALL_STAGES) ==
                          MDC_ERR_PERIOD &&
                      mdc_check_mode(MDC_MODE_SPARSE, 5, MDC_ALL_STAGES) == MDC_ERR_PERIOD &&
                      mdc_check_mode(MDC_MODE_RECORD, 0, MDC_PAPER_STAGES) == MDC_ERR_MODE_STAGES &&
                      mdc_check_mode(MDC_MODE_X86, 0, 0) == MDC_OK &&
                      mdc_check_mode(MDC_MODE_ALL, MDC_MAX_PERIOD, MDC_STAGE_LEAN) == MDC_OK,
                  "mdc_check_mode's codes");
    mdc_engine *e = harness_engine(MEMORY, MDC_PAPER_STAGES);
    HARNESS_CHECK(mdc_set_mode(e, MDC_MODE_SPARSE, 0) == MDC_ERR_MODE_STAGES, "mdc_set_mode's code");
    mdc_engine_free(e);
    static const int codes[] = {MDC_OK,
                                MDC_ERR_BUDGET,
                                MDC_ERR_STAGES,
                                MDC_ERR_MODE,
                                MDC_ERR_PERIOD,
                                MDC_ERR_MODE_STAGES,
                                MDC_ERR_ADDRESS_SPACE,
                                MDC_ERR_OUT_OF_MEMORY,
                                MDC_ERR_TRUNCATED,
                                MDC_ERR_DAMAGED,
                                1};
    size_t n = sizeof codes / sizeof *codes;
    for (size_t i = 0; i < n; i++) {
        const char *m = mdc_error_message(codes[i]);
        HARNESS_CHECK(m != NULL && m[0] != 0 && strchr(m, '\n') == NULL, "a one-line message");
        for (size_t j = 0; j < i; j++)
            HARNESS_CHECK(strcmp(m, mdc_error_message(codes[j])) != 0, "a message per code");
    }
    printf("error codes: each cause its own code and message\n");
}

/* --- part 1 ------------------------------------------------------------------------ */

static void round_trip(const uint8_t *data, size_t len, unsigned memory, unsigned stages,
                       int segments)
{
    mdc_engine *enc = harness_engine(memory, stages), *dec = harness_engine(memory, stages);
    /* A solid stream: the same engine codes `segments` cuts of the input. */
    size_t cut_at[8] = {0};
    for (int s = 1; s < segments; s++)
        cut_at[s] = harness_below(&rng_state, len + 1);
    cut_at[segments] = len;
    for (int s = 1; s < segments; s++) /* sort */
        for (int t = s; t > 0 && cut_at[t] < cut_at[t - 1]; t--) {
            size_t x = cut_at[t];
            cut_at[t] = cut_at[t - 1];
            cut_at[t - 1] = x;
        }
    for (int s = 0; s < segments; s++) {
        const uint8_t *part = data + cut_at[s];
        size_t part_len = cut_at[s + 1] - cut_at[s], coded_len;
        /* a random mode: record by lines or by a period (up to the largest), sparse, x86 */
        unsigned mode = (unsigned)harness_below(&rng_state, MDC_MODE_ALL + 1), period = 0;
        if (mode & MDC_MODE_RECORD && harness_below(&rng_state, 2))
            period = 1 + (unsigned)(harness_below(&rng_state, 4) ? harness_below(&rng_state, 300)
                                                                 : MDC_MAX_PERIOD - 1);
        if (mdc_check_mode(mode, period, stages) != MDC_OK)
            mode = period = 0;
        HARNESS_CHECK(mdc_set_mode(enc, mode, period) == 0 && mdc_set_mode(dec, mode, period) == 0,
                      "a valid mode is taken");
        HARNESS_CHECK(mdc_set_mode(enc, MDC_MODE_ALL + 1, 0) != 0 &&
                          mdc_set_mode(enc, MDC_MODE_RECORD, MDC_MAX_PERIOD + 1) != 0 &&
                          mdc_set_mode(enc, MDC_MODE_SPARSE, 5) != 0,
                      "an invalid mode is refused");
        static const size_t steps[] = {1, 2, 7, 64, 1000, 1 << 20};
        uint8_t *coded = harness_encode(enc, part, part_len, steps[harness_below(&rng_state, 6)],
                                        &coded_len);
        if (harness_below(&rng_state, 4) == 0) {
            mdc_learn(dec, part, part_len); /* as for a stored block */
        } else {
            size_t hand = 1 + harness_below(&rng_state, 100);
            size_t cap = 1 + harness_below(&rng_state, 5000);
            harness_decoded r = harness_decode(dec, coded, coded_len, part_len, hand, cap, part,
                                               part_len);
            HARNESS_CHECK(r.matches && r.end_ok && !r.damaged, "round trip");
        }
        free(coded);
        total.segments++;
    }
    mdc_engine_free(enc);
    mdc_engine_free(dec);
    total.round_trips++;
    total.bytes += len;
}

/* The analyser reads only the block and chooses a valid mode; the x86
 * transform is undone exactly, at every length (a target cut by the end). */
static void check_analyse_and_x86(const uint8_t *data, size_t len, unsigned stages)
{
    unsigned mode = 99, period = 99;
    uint8_t *block = malloc(len ? len : 1), *copy = malloc(len ? len : 1);
    HARNESS_CHECK(block && copy, "out of memory");
    memcpy(block, data, len);
    HARNESS_CHECK(mdc_analyse(block, len, stages, MDC_MODE_ALL, &mode, &period) == 0 &&
                      mdc_check_mode(mode, period, stages) == MDC_OK,
                  "the analyser chooses a valid mode");
    const size_t lengths[] = {0, 1, 4, 5, 6, 9, len / 2, len};
    for (size_t k = 0; k < sizeof lengths / sizeof *lengths; k++) {
        size_t n = lengths[k] <= len ? lengths[k] : len;
        for (size_t i = 0; i < n; i++) /* calls with small targets, and noise */
            block[i] = i % 5 == 0 ? 0xE8 : i % 5 == 4 ? (uint8_t)(data[i] & 1 ? 0xFF : 0) : data[i];
        memcpy(copy, block, n);
        mdc_x86_encode(block, n);
        mdc_x86_decode(block, n);
        HARNESS_CHECK(memcmp(block, copy, n) == 0, "x86 transform round trip");
    }
    free(block);
    free(copy);
}

static void part1(int scale)
{
    static const unsigned stage_sets[] = {0, 1, 2, 4, 8, 16, 32, 15, 48, 63, 31, 62};
    size_t max = 6000;
    uint8_t *buf = malloc(max);
    HARNESS_CHECK(buf != NULL, "out of memory");
    for (int rep = 0; rep < scale; rep++)
        for (int shape = 0; shape < 8; shape++)
            for (size_t k = 0; k < sizeof stage_sets / sizeof *stage_sets; k++) {
                /* most sets once; all stages also with two more segments and 32 MiB */
                size_t len = make_input(shape, buf, max);
                check_analyse_and_x86(buf, len, stage_sets[k]);
                round_trip(buf, len, MEMORY, stage_sets[k], 1);
                if (stage_sets[k] == MDC_ALL_STAGES) {
                    round_trip(buf, len, MEMORY, MDC_ALL_STAGES, 3);
                    round_trip(buf, len, 32, MDC_ALL_STAGES, 2);
                }
            }
    free(buf);
}

/* --- part 2 ------------------------------------------------------------------------ */

/* Decoders kept across damaged cases, one per stage set: making a 16 MiB
 * engine costs milliseconds under AddressSanitizer. A reused decoder starts
 * each case from whatever its model learned before, as the next segment of a
 * solid stream does, so the data are not compared; every 16th case gets a
 * fresh engine and is compared with the original. */
static mdc_engine *reused[64];

static void try_damaged(const uint8_t *seg, size_t len, uint64_t size, unsigned stages,
                        const uint8_t *expect, size_t expect_len)
{
    int fresh = total.damaged_cases % 16 == 0;
    mdc_engine *d = fresh ? harness_engine(MEMORY, stages) : reused[stages];
    if (!d)
        d = reused[stages] = harness_engine(MEMORY, stages);
    size_t hand = harness_below(&rng_state, 2) ? len + 1 : 1 + harness_below(&rng_state, 40);
    harness_decoded r = harness_decode(d, seg, len, size, hand, 1 + harness_below(&rng_state, 4096),
                                       fresh ? expect : NULL, expect_len);
    if (fresh)
        mdc_engine_free(d);
    total.damaged_cases++;
    if (!r.end_ok)
        total.refused++;
    else if (fresh && expect && r.matches)
        total.accepted_exact++;
    else
        total.accepted_other++; /* the container's CRC-32 is what catches these */
    if (r.damaged && r.produced < size)
        total.stopped_early++;
}

static void part2(int scale)
{
    static const unsigned stage_sets[] = {63, 15, 0, 48};
    size_t max = 3000;
    uint8_t *buf = malloc(max);
    HARNESS_CHECK(buf != NULL, "out of memory");
    for (int rep = 0; rep < scale; rep++)
        for (int shape = 1; shape < 8; shape++) {
            unsigned stages = stage_sets[(rep + shape) % 4];
            size_t len = make_input(shape, buf, shape == 3 ? 1200 : 250 + 250 * (size_t)rep % 2500);
            mdc_engine *enc = harness_engine(MEMORY, stages);
            size_t clen;
            uint8_t *coded = harness_encode(enc, buf, len, 4096, &clen);
            mdc_engine_free(enc);
            uint8_t *copy = malloc(clen + 64);
            HARNESS_CHECK(copy != NULL, "out of memory");
            /* every truncation */
            for (size_t n = 0; n < clen; n++)
                try_damaged(coded, n, len, stages, buf, len);
            /* bit flips: all for short segments (longer ones with a larger SCALE), else a sample */
            size_t bits = clen * 8, flips = bits <= 800 * (size_t)scale ? bits : 300 * (size_t)scale;
            for (size_t i = 0; i < flips; i++) {
                size_t bit = flips == bits ? i : harness_below(&rng_state, bits);
                memcpy(copy, coded, clen);
                copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                try_damaged(copy, clen, len, stages, buf, len);
            }
            /* random overwrites */
            for (int i = 0; i < 60; i++) {
                memcpy(copy, coded, clen);
                for (int k = 1 + (int)harness_below(&rng_state, 8); k > 0; k--)
                    copy[harness_below(&rng_state, clen)] = (uint8_t)harness_rand(&rng_state);
                try_damaged(copy, clen, len, stages, buf, len);
            }
            /* appended bytes */
            for (size_t extra = 1; extra <= 64; extra *= 2) {
                memcpy(copy, coded, clen);
                for (size_t k = 0; k < extra; k++)
                    copy[clen + k] = (uint8_t)harness_rand(&rng_state);
                try_damaged(copy, clen + extra, len, stages, buf, len);
            }
            /* sizes that lie */
            uint64_t lies[] = {0, 1, len / 2, len - 1, len + 1, len + 100, 2 * (uint64_t)len,
                               (uint64_t)1 << 26, (uint64_t)1 << 40, UINT64_MAX};
            for (size_t i = 0; i < sizeof lies / sizeof *lies; i++)
                if (lies[i] != len)
                    try_damaged(coded, clen, lies[i], stages, buf, len);
            free(copy);
            free(coded);
        }
    /* garbage of every length up to 300, declaring a few sizes */
    for (int rep = 0; rep < scale; rep++)
        for (size_t n = 0; n <= 300; n++) {
            for (size_t i = 0; i < n; i++)
                buf[i] = (uint8_t)harness_rand(&rng_state);
            static const uint64_t sizes[] = {1, 100, 5000, (uint64_t)1 << 32};
            try_damaged(buf, n, sizes[n % 4], stage_sets[n % 4], NULL, 0);
        }
    free(buf);
    for (size_t k = 0; k < sizeof reused / sizeof *reused; k++)
        mdc_engine_free(reused[k]);
}

int main(int argc, char **argv)
{
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    if (argc > 2)
        rng_state ^= (uint64_t)strtoull(argv[2], NULL, 10) * 0x9E3779B97F4A7C15ull;
    if (scale < 1)
        scale = 1;
    part0();
    clock_t start = clock();
    part1(scale);
    clock_t mid = clock();
    part2(scale);
    clock_t end = clock();
    printf("round trips: %llu (%llu segments, %llu bytes) in %.1f s\n",
           (unsigned long long)total.round_trips, (unsigned long long)total.segments,
           (unsigned long long)total.bytes, (double)(mid - start) / CLOCKS_PER_SEC);
    printf("damaged segments: %llu in %.1f s: refused by the coder's end check %llu, "
           "accepted with the exact data %llu, accepted otherwise (left to the CRC) %llu; "
           "stopped early on lying sizes %llu\n",
           (unsigned long long)total.damaged_cases, (double)(end - mid) / CLOCKS_PER_SEC,
           (unsigned long long)total.refused, (unsigned long long)total.accepted_exact,
           (unsigned long long)total.accepted_other, (unsigned long long)total.stopped_early);
    return 0;
}

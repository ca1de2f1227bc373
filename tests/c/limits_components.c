/*
 * limits_components — every counter, length and position of the core's
 * components started next to its limit, then run for a few hundred to a
 * few thousand bytes; meant to be built with -fsanitize=address,undefined
 * -fno-sanitize-recover=all and -DMDC_DEBUG (tests/test_limits.py does),
 * so that an overflow, a shift out of range or an index out of bounds
 * aborts. Each check also asserts the bound the component's header states
 * (docs/TESTING.md, "Limits", lists them) and that outputs stay in range.
 *
 * Built from the core's sources with x86.c included here instead of
 * linked (its per-target step is static), and with -DANALYSE_MAX_BYTES
 * set small, so that the analyser's cap is reached with a small block.
 *
 *   limits_components      prints one line per component; exits 0
 *
 * No gigabytes are coded: a component's state is set as it would be after
 * 2^31 or 2^32 bytes (or at the wrap of a 64-bit position, out of reach in
 * practice), which is all that its arithmetic sees of those bytes.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apm.h"
#include "binctx.h"
#include "ctxtab.h"
#include "harness.h"
#include "limits_fill.h"
#include "match.h"
#include "midicoth.h"
#include "mixer.h"
#include "ppm.h"
#include "record.h"
#include "tweedie.h"
#include "word.h"

#include "x86.c"

#ifndef ANALYSE_MAX_BYTES
#error "build with -DANALYSE_MAX_BYTES=<small>, as tests/test_limits.py does"
#endif

#define CHECK HARNESS_CHECK
#define NEAR_2_32 ((uint64_t)1 << 32)

/* --- word: the current word's length ---------------------------------------------- */

/* Feed `n` bytes of `text` (repeated) to a word model, predicting before
 * each byte as the engine does; the length must stay within its bound. */
static void word_feed(word_model *w, const char *text, size_t n)
{
    size_t len = strlen(text);
    for (size_t i = 0; i < n; i++) {
        word_predict(w);
        CHECK(w->confidence <= 65536, "word confidence is a 16-bit fraction");
        word_prefetch(w);
        word_update(w, (uint8_t)text[i % len]);
        CHECK(w->len >= 0 && w->len <= WORD_MAX_LEN + 1, "word length within 0..WORD_MAX_LEN+1");
        CHECK(w->hits <= w->attempts && w->attempts <= 500 * 256, "word hit rate bounded");
    }
}

static void check_word(void)
{
    /* Two models learn the same text; then one reads a word of 70 letters,
     * the other one of 200,000 (the old count overflowed after 2^31 of
     * them); then both read the same text again. Every length past
     * WORD_MAX_LEN acts alike, so the two must end in the same state. */
    word_model a, b;
    CHECK(word_init(&a, 1 << 16, 0) == 0 && word_init(&b, 1 << 16, 0) == 0, "word tables");
    const char *text = "the word model counts the words of the text, and the text has words.\n";
    word_feed(&a, text, 5000);
    word_feed(&b, text, 5000);
    const char *dna = "ACGTTGCAAGCTTCGA";
    word_feed(&a, dna, 70);
    word_feed(&b, dna, 200000);
    CHECK(a.len == WORD_MAX_LEN + 1 && b.len == WORD_MAX_LEN + 1, "a long word stops counting");
    word_feed(&a, text, 3000);
    word_feed(&b, text, 3000);
    CHECK(a.len == b.len && a.in_word == b.in_word && a.last_word == b.last_word &&
              a.hits == b.hits && a.attempts == b.attempts && a.confidence == b.confidence &&
              memcmp(a.prefix, b.prefix, sizeof a.prefix) == 0,
          "a word of any length past WORD_MAX_LEN codes alike");
    CHECK(memcmp(a.tab.slots, b.tab.slots, a.tab.buckets * CTX_BUCKET * sizeof(ctx_slot)) == 0,
          "and learns alike");

    /* From the bound itself: the state a word of 2^31 letters leaves. */
    word_feed(&a, dna, 100);
    a.len = WORD_MAX_LEN + 1;
    word_feed(&a, dna, 1000);
    word_feed(&a, text, 1000);
    word_free(&a);
    word_free(&b);
    printf("word: length stops at %d; a 200,000-letter word codes as a 70-letter one\n",
           WORD_MAX_LEN + 1);
}

/* --- match: positions modulo 2^32, the streak, the hit rate ---------------------- */

/* Run a match model over `n` bytes of a pattern of period `period`, from
 * whatever state it is in; returns how many bytes it predicted right. */
static uint64_t match_run(match_model *m, uint64_t *rng, size_t n, size_t period)
{
    uint8_t pattern[257];
    for (size_t i = 0; i < period; i++)
        pattern[i] = (uint8_t)harness_rand(rng);
    uint64_t hist = 0, hist_hi = 0, right = 0;
    for (size_t i = 0; i < n; i++) {
        int c = pattern[i % period];
        match_predict(m);
        CHECK(m->predicted >= -1 && m->predicted <= 255, "match predicts a byte or none");
        CHECK(m->confidence <= 62915, "match confidence at most 0.96");
        CHECK(!m->active || (m->pos - m->read >= 1 && m->pos - m->read <= m->ring_mask - 16),
              "an active match reads within the ring");
        right += m->predicted == c;
        match_update(m, c);
        hist_hi = (hist_hi << 8) | (hist >> 56);
        hist = (hist << 8) | (uint64_t)c;
        match_next(m, hist, hist_hi);
        CHECK(m->hits <= m->total && m->total <= 500 * 256, "match hit rate bounded");
    }
    return right;
}

static void check_match(void)
{
    uint64_t rng = 0x6D61746368ull;
    static const uint64_t starts[] = {NEAR_2_32 - 700, 2 * NEAR_2_32 - 700, UINT64_MAX - 700};
    for (int s = 0; s < 3; s++) {
        match_model m;
        CHECK(match_init(&m, 16, 10, 0) == 0, "match tables");
        /* As if 2^32 - 700 bytes (or more) came before, all forgotten. */
        m.pos = starts[s];
        uint64_t right = match_run(&m, &rng, 3000, 97);
        CHECK(m.pos == starts[s] + 3000, "positions count on (wrapping only at 2^64)");
        /* Past the first period and the match's start, every byte is right,
         * across 2^32 (s = 0, 1) and the 64-bit wrap (s = 2) alike. */
        CHECK(right >= 3000 - 97 - 16 - 8, "matches found across the 2^32 boundary");
        match_free(&m);
    }

    /* The streak at its wrap: an active match, 2^32 - 20 right bytes old. */
    match_model m;
    CHECK(match_init(&m, 16, 10, 0) == 0, "match tables");
    m.pos = NEAR_2_32 - 5000;
    uint64_t seed = rng;
    match_run(&m, &rng, 530, 53);
    CHECK(m.active, "a match is active");
    m.streak = UINT32_MAX - 20;
    rng = seed; /* the same pattern, from its start again: the match goes on */
    uint64_t right = match_run(&m, &rng, 530, 53);
    CHECK(m.active && m.streak < 530 && right == 530, "the streak wraps and the match goes on");
    match_free(&m);
    printf("match: positions past 2^32 and 2^64 find their matches; streak wraps at 2^32\n");
}

/* --- record: positions, line starts, columns ------------------------------------- */

static void record_feed(record_model *r, const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; i++)
        record_update(r, data[i]);
}

/* Everything record.h tells the engine about the next byte. */
static void record_view(const record_model *r, uint32_t out[8])
{
    out[0] = r->column;
    out[1] = record_up(r, 1, 0);
    out[2] = record_up(r, 1, -1);
    out[3] = record_up(r, 1, 1);
    out[4] = record_up(r, 2, 0);
    out[5] = record_back(r, 1);
    out[6] = record_back(r, RECORD_RING - 1);
    out[7] = (uint32_t)(r->pos & 3);
    for (int k = 1; k < 7; k++)
        CHECK(out[k] <= RECORD_NONE, "a byte or RECORD_NONE");
    CHECK(r->period ? r->column < r->period : r->column <= 0xFFFF, "column bounded");
}

static void check_record(void)
{
    /* Text lines, a line longer than 0xFFFF, records of a period. */
    size_t n = 3 * RECORD_RING + 200000;
    uint8_t *data = malloc(n);
    CHECK(data != NULL, "memory");
    uint64_t rng = 0x7265636F7264ull;
    for (size_t i = 0; i < n; i++) {
        if (i >= RECORD_RING && i < 2 * RECORD_RING + 10000)
            data[i] = (uint8_t)('a' + harness_below(&rng, 4)); /* one line of 75,536 bytes */
        else
            data[i] = harness_below(&rng, 40) == 0 ? '\n' : (uint8_t)(' ' + harness_below(&rng, 90));
    }
    /* Model a starts at 0; b as if 2^32 - 100,000 bytes (a multiple of 4)
     * came before, ending with a newline. Once both have seen a ring's
     * worth, they must tell the engine the same things, across 2^32. */
    static const uint64_t starts[] = {NEAR_2_32 - 100000, UINT64_MAX - 99999};
    for (int s = 0; s < 2; s++) {
        record_model a, b;
        CHECK(record_init(&a) == 0 && record_init(&b) == 0, "record rings");
        b.pos = b.line_start = b.prev_start = starts[s];
        record_feed(&a, data, RECORD_RING);
        record_feed(&b, data, RECORD_RING);
        for (size_t i = RECORD_RING; i < n; i++) {
            if (i == 2 * RECORD_RING + 50000) { /* records of a period from here */
                record_set_period(&a, 4099);
                record_set_period(&b, 4099);
            }
            uint32_t va[8], vb[8];
            record_view(&a, va);
            record_view(&b, vb);
            /* a period's column is the position modulo the period: it
             * differs by the start's offset, so only lines compare it */
            int first = a.period ? 1 : 0;
            /* at the 64-bit wrap b sees "before the start" for a ring */
            if (s == 0 || b.pos >= RECORD_RING)
                CHECK(memcmp(va + first, vb + first, (8 - (size_t)first) * sizeof va[0]) == 0,
                      "positions past 2^32 tell the same as from 0");
            record_update(&a, data[i]);
            record_update(&b, data[i]);
        }
        CHECK(s == 1 || b.pos > NEAR_2_32, "b crossed 2^32");
        record_free(&a);
        record_free(&b);
    }
    free(data);
    printf("record: lines, a line past 0xFFFF and periods agree across 2^32 and 2^64\n");
}

/* --- tweedie: bucket counts at halving and at saturation ------------------------- */

static void check_tweedie(void)
{
    for (int sign = -1; sign <= 1; sign += 2) {
        tweedie_model t;
        CHECK(tweedie_init(&t, TWD_STEPS) == 0, "tweedie tables");
        /* Every bucket a few observations from being halved and from
         * saturating `real`, with the largest sums its count allows (all
         * errors 65535 one way). */
        for (size_t i = 0; i < tweedie_buckets(TWD_STEPS); i++) {
            twd_bucket *b = &t.table[i];
            b->count_extra = TWD_HALVE_COUNT - 3;
            b->real = UINT32_MAX - 5;
            uint64_t count = (uint64_t)b->count_extra + TWD_PRIOR;
            b->diff = sign * (int64_t)count * 65535;
            b->sum_sq_extra = count * 65535u * 65535u; /* the prior's share ignored: larger */
            tweedie_refresh(&t, (uint32_t)i);
        }
        uint64_t rng = 0x7477656564ull + (uint64_t)sign;
        int refreshed_after = 0;
        for (int byte = 0; byte < 400; byte++) {
            int order = (int)harness_below(&rng, 7) - 1;
            tweedie_begin(&t, order, (uint32_t)harness_rand(&rng), 1 + harness_below(&rng, 1000),
                          1000 + harness_below(&rng, 1000));
            for (int level = 0, node = 1; level < 8; level++) {
                uint32_t p = 1 + (uint32_t)harness_below(&rng, 65535);
                uint32_t q = tweedie_node(&t, level, node, p);
                CHECK(q >= 1 && q <= 65535, "calibrated p in [1, 65535]");
                int bit = (int)harness_below(&rng, 2);
                tweedie_update(&t, level, bit);
                node = 2 * node + bit;
            }
        }
        for (size_t i = 0; i < tweedie_buckets(TWD_STEPS); i++) {
            const twd_bucket *b = &t.table[i];
            CHECK(b->count_extra < TWD_HALVE_COUNT, "halved before 2^30");
            CHECK(b->real >= UINT32_MAX - 5, "real saturates, never wraps");
            refreshed_after += b->real == UINT32_MAX;
        }
        CHECK(refreshed_after > 0, "some buckets reached saturation");
        double delta[TWD_STEPS][TWD_CONFS], obs[TWD_STEPS][TWD_CONFS];
        tweedie_stats(&t, delta, obs);
        tweedie_free(&t);
    }
    printf("tweedie: buckets at 2^30 halve, real saturates at 2^32 - 1, sums stay in 64 bits\n");
}

/* --- mixer: the update count, weights and inputs at their extremes -------------- */

static void check_mixer(void)
{
    stretch_table st;
    stretch_init(&st);
    mixer m;
    CHECK(mixer_init(&m, 8, 1 << 15) == 0, "mixer weights");
    for (uint32_t set = 0; set < 8; set++) {
        int32_t *w = m.w + (size_t)set * MIX_LANES;
        for (int i = 0; i < MIX_SEEN; i++)
            w[i] = (set & 1) ? MIX_WMAX : (i & 1 ? MIX_WMAX : -MIX_WMAX);
        w[MIX_SEEN] = MIX_SEEN_MAX - 3;
        w[MIX_RATE] = mixer_rate(&m, (uint32_t)(MIX_SEEN_MAX - 3) & ~15u);
    }
    uint64_t rng = 0x6D6978ull;
    int32_t x[8][MIX_LANES];
    for (int round = 0; round < 500; round++) {
        for (int level = 0; level < 8; level++) {
            for (int i = 0; i < MIX_LANES; i++) /* inputs 0..13 in use, the counters' lanes 0 */
                x[level][i] = i >= MIX_SEEN ? 0 : harness_below(&rng, 2) ? STRETCH_MAX : -STRETCH_MAX;
            int32_t s = mixer_mix(&m, &st, level, (uint32_t)harness_below(&rng, 8), x[level]);
            CHECK(s >= -STRETCH_MAX && s <= STRETCH_MAX, "mixer output within the stretch range");
        }
        for (int level = 0; level < 8; level++)
            mixer_update(&m, level, (int)harness_below(&rng, 2), x[level]);
    }
    for (uint32_t set = 0; set < 8; set++) {
        const int32_t *w = m.w + (size_t)set * MIX_LANES;
        for (int i = 0; i < MIX_SEEN; i++)
            CHECK(w[i] >= -MIX_WMAX && w[i] <= MIX_WMAX, "weights within +-MIX_WMAX");
        CHECK(w[MIX_SEEN] == MIX_SEEN_MAX, "the update count saturates at MIX_SEEN_MAX");
        CHECK(w[MIX_RATE] == m.lr, "past 2^28 updates the rate is lr alone");
    }
    mixer_free(&m);
    printf("mixer: update count saturates at 2^30 - 1; extreme weights and inputs stay in range\n");
}

/* --- binctx and apm: probabilities at their ends --------------------------------- */

/* A slot's 15 node entries at count 15 with p at one end or the other. */
static void set_extremes(uint16_t *slot, uint64_t *rng)
{
    for (int i = 1; i < 16; i++)
        slot[i] = (uint16_t)(((harness_below(rng, 2) ? 4094u : 1u) << 4 | 15u) ^ 0x8000u);
}

static void check_binctx_apm(void)
{
    binctx b;
    CHECK(binctx_init(&b, 1 << 12, BINCTX_MAX_LIMIT, 0) == 0, "binctx table");
    uint64_t rng = 0x62696Eull;
    for (int byte = 0; byte < 2000; byte++) {
        uint64_t h = harness_below(&rng, 64) * 0x9E3779B97F4A7C15ull;
        binctx_begin(&b, h);
        set_extremes(b.nib[0], &rng);
        int c = harness_below(&rng, 2) ? 0xFF : (int)harness_below(&rng, 256);
        for (int level = 0, node = 1; level < 8; level++) {
            if (level == 3)
                binctx_prefetch_low(&b, node);
            if (level == 4) {
                binctx_low(&b, node & 15);
                set_extremes(b.nib[1], &rng);
            }
            uint32_t p = binctx_p(&b, level, node);
            CHECK(p >= 8 && p <= 65528, "binctx p within (0, 1)");
            int bit = (c >> (7 - level)) & 1;
            binctx_update(&b, level, bit);
            uint32_t e = *b.at[level] ^ 0x8000u;
            CHECK((e & 15) <= BINCTX_MAX_LIMIT && (e >> 4) >= 1 && (e >> 4) <= 4094,
                  "binctx count and p bounded");
            node = 2 * node + bit;
        }
    }
    binctx_free(&b);

    stretch_table st;
    stretch_init(&st);
    apm a;
    CHECK(apm_init(&a, 4) == 0, "apm table");
    for (uint32_t i = 0; i < 4 * 33; i++) /* knots at 0 and 65535 */
        a.t[i] = (uint16_t)((i & 1 ? 65535u : 0u) - squash_knot[i % 33]);
    for (int round = 0; round < 3000; round++) {
        int level = round & 7;
        uint32_t p = apm_p(&a, &st, level, 1 + (uint32_t)harness_below(&rng, 65535),
                           (uint32_t)harness_below(&rng, 4));
        CHECK(p <= 65535, "apm p is 16-bit");
        apm_update(&a, level, (int)harness_below(&rng, 2));
    }
    apm_free(&a);
    printf("binctx, apm: counts at their limit, probabilities at their ends stay in range\n");
}

/* --- ppm and ctxtab: counts at 65535 and 255, full slots ------------------------- */


static void check_ppm(void)
{
    ppm_model m;
    CHECK(ppm_init(&m, 1 << 16, 0) == 0, "ppm tables");
    fill_row(&m.o0, m.o0_seen, 65534);
    m.o0_max = 65534;
    for (int r = 0; r < 256; r++)
        fill_row(&m.o1[r], NULL, 65535 - (uint32_t)r % 3);
    mdc_dist dist;
    dist_init(&dist);
    uint64_t rng = 0x70706Dull, hist = 0;
    for (int byte = 0; byte < 3000; byte++) {
        int avail = byte < 8 ? byte : 8;
        ppm_prefetch(&m, hist, avail);
        ppm_predict(&m, hist, avail, 1u << MDC_DIST_BITS, &dist);
        dist_finish(&dist, m.o0_max);
        CHECK(dist.total > 0 && dist.total < ((uint64_t)1 << 33), "distribution total in range");
        CHECK(m.confidence <= 128 + 256u * 65535u, "ppm confidence bounded");
        /* walk a random path: every node splits its mass in two halves > 0 */
        int c = byte & 1 ? (int)(byte % 9) * 9 : (int)harness_below(&rng, 256);
        uint64_t mass = dist.total;
        for (int level = 0, node = 1; level < 8; level++) {
            uint64_t left = dist_left(&dist, node, level);
            CHECK(left > 0 && left < mass, "each half of a node has mass");
            int bit = (c >> (7 - level)) & 1;
            mass = bit ? mass - left : left;
            node = 2 * node + bit;
        }
        /* Each context of orders 2-4 full before it learns: 28 symbols at
         * 255, the most a slot holds (c is one of them half the time). */
        for (int k = 2; k <= PPM_MAX_ORDER; k++) {
            ctx_slot *s = m.slot[k];
            if (!s || s->nsym == CTX_SLOT_SYMS)
                continue;
            s->nsym = CTX_SLOT_SYMS;
            for (int j = 0; j < CTX_SLOT_SYMS; j++) {
                s->sym[j] = (uint8_t)(j * 9);
                s->cnt[j] = 255;
            }
            s->total = 255 * CTX_SLOT_SYMS;
        }
        ppm_update(&m, hist, avail, c);
        hist = (hist << 8) | (uint64_t)c;
        CHECK(m.o0.tree[1] < (1u << 24) && m.o0_max <= 65535 && m.o0.distinct <= 256,
              "order 0 bounded");
        for (int k = 2; k <= PPM_MAX_ORDER; k++)
            if (m.slot[k])
                CHECK(m.slot[k]->nsym <= CTX_SLOT_SYMS &&
                          m.slot[k]->total <= 255 * CTX_SLOT_SYMS,
                      "slot counts bounded");
    }
    for (int c = 0; c < 256; c++)
        CHECK(m.o0.tree[256 + c] <= 65535, "order-0 counts halve before 65536");
    ppm_free(&m);
    printf("ppm: rows at 65535 halve, full slots at 255 halve; the distribution stays in range\n");
}

/* --- analyse: the cap on the bytes looked at ------------------------------------- */

static void check_analyse(void)
{
    /* Text whose lines line up (record mode by lines), then noise: the
     * analyser looks at the first ANALYSE_MAX_BYTES only, so the noise
     * after them changes nothing. */
    size_t n = 4 * (size_t)ANALYSE_MAX_BYTES;
    uint8_t *buf = malloc(n);
    CHECK(buf != NULL, "memory");
    uint64_t rng = 0x616E616Cull;
    static const char line[] = "name=bob   value=0000\n";
    for (size_t i = 0; i < ANALYSE_MAX_BYTES; i++)
        buf[i] = (uint8_t)line[i % (sizeof line - 1)];
    for (size_t i = ANALYSE_MAX_BYTES; i < n; i++)
        buf[i] = (uint8_t)harness_rand(&rng);
    unsigned mode_all, period_all, mode_head, period_head, mode_tail, period_tail;
    CHECK(mdc_analyse(buf, n, MDC_ALL_STAGES, MDC_MODE_ALL, &mode_all, &period_all) == 0 &&
              mdc_analyse(buf, ANALYSE_MAX_BYTES, MDC_ALL_STAGES, MDC_MODE_ALL, &mode_head,
                          &period_head) == 0 &&
              mdc_analyse(buf + ANALYSE_MAX_BYTES, n - ANALYSE_MAX_BYTES, MDC_ALL_STAGES,
                          MDC_MODE_ALL, &mode_tail, &period_tail) == 0,
          "the analyser runs");
    CHECK(mode_head == MDC_MODE_RECORD && period_head == 0, "lines that line up: record by lines");
    CHECK(mode_tail == 0, "noise: mode 0");
    CHECK(mode_all == mode_head && period_all == period_head, "a long block is judged by its start");
    free(buf);
    printf("analyse: a block is looked at up to ANALYSE_MAX_BYTES (%u here)\n",
           (unsigned)ANALYSE_MAX_BYTES);
}

/* --- x86: positions past 2^32 ---------------------------------------------------- */

static void check_x86(void)
{
    uint64_t rng = 0x783836ull;
    /* The position of a target is kept modulo 2^32 (a block of 4 GiB or
     * more): it must still undo, and only the position modulo 2^25 may
     * matter, which 2^32 preserves. */
    for (uint64_t i = NEAR_2_32 - 40; i < NEAR_2_32 + 40; i++) {
        uint32_t at = (uint32_t)(i + 5); /* as transform() truncates it */
        for (int k = 0; k < 50; k++) {
            uint32_t v = (uint32_t)harness_below(&rng, 1u << 24);
            if (harness_below(&rng, 2))
                v |= 0xFF000000u; /* a small negative target */
            uint32_t absolute = target(v, at, 1u);
            CHECK((absolute >> 24) == 0 || (absolute >> 24) == 0xFF, "a small target stays small");
            CHECK(target(absolute, at, 0xFFFFFFFFu) == v, "and undoes");
            CHECK(target(v, (uint32_t)(i + 5 + ((uint64_t)1 << 25)), 1u) == absolute,
                  "only the position modulo 2^25 matters");
        }
    }
    /* The whole transform on blocks full of E8/E9 still undoes. */
    for (size_t len = 0; len < 600; len += 7) {
        uint8_t buf[600], copy[600];
        for (size_t i = 0; i < len; i++)
            buf[i] = harness_below(&rng, 3) == 0 ? (uint8_t)(0xE8 + harness_below(&rng, 2))
                     : harness_below(&rng, 2)    ? (uint8_t)(harness_below(&rng, 2) ? 0 : 0xFF)
                                                 : (uint8_t)harness_rand(&rng);
        memcpy(copy, buf, len);
        mdc_x86_encode(buf, len);
        mdc_x86_decode(buf, len);
        CHECK(memcmp(buf, copy, len) == 0, "the x86 transform undoes");
    }
    printf("x86: targets at positions past 2^32 undo (positions count modulo 2^25)\n");
}

int main(void)
{
    check_word();
    check_match();
    check_record();
    check_tweedie();
    check_mixer();
    check_binctx_apm();
    check_ppm();
    check_analyse();
    check_x86();
    printf("limits_components: all checks held\n");
    return 0;
}

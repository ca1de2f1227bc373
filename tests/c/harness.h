/*
 * harness.h — helpers shared by the C test harnesses (sanitize_engine.c,
 * fuzz_decode.c, fuzz_roundtrip.c): a tiny deterministic PRNG, and the two
 * loops that drive the core the way a container does, checking the
 * contract of midicoth.h on every call.
 *
 * Every buffer handed to the core is malloc'd at exactly the size the core
 * is told, so that under AddressSanitizer a write or read one byte past
 * what the contract allows is reported at once. A broken contract aborts
 * (so libFuzzer and the sanitizer runs both count it as a crash).
 */
#ifndef MDC_TEST_HARNESS_H
#define MDC_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midicoth.h"

#define HARNESS_CHECK(cond, what)                                                  \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, what); \
            abort();                                                               \
        }                                                                          \
    } while (0)

/* xorshift64*: the same sequence everywhere. */
static inline uint64_t harness_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

static inline size_t harness_below(uint64_t *s, size_t n)
{
    return n ? (size_t)(harness_rand(s) % n) : 0;
}

/* A new engine of valid parameters (aborts if the core refuses it). */
static inline mdc_engine *harness_engine(unsigned memory, unsigned stages)
{
    mdc_engine *e = NULL;
    int rc = mdc_engine_create(&e, memory, stages, MDC_SIZE_UNKNOWN);
    if (rc != MDC_OK)
        fprintf(stderr, "engine %u MiB, stages %u: %s\n", memory, stages, mdc_error_message(rc));
    HARNESS_CHECK(rc == MDC_OK && e != NULL, "an engine of valid parameters");
    return e;
}

/* Encode `len` bytes as one segment of engine `e`, `step` input bytes per
 * call, into exactly sized buffers; returns the malloc'd coded bytes and
 * their count in *out_len. */
static inline uint8_t *harness_encode(mdc_engine *e, const uint8_t *in, size_t len, size_t step,
                                      size_t *out_len)
{
    size_t cap = len * MDC_MAX_BYTES_PER_BYTE + MDC_MAX_FLUSH_BYTES;
    uint8_t *coded = malloc(cap ? cap : 1);
    size_t n = 0, pos = 0;
    HARNESS_CHECK(coded != NULL, "out of memory");
    if (step == 0)
        step = 1;
    while (pos < len) {
        size_t take = len - pos < step ? len - pos : step;
        size_t room = take * MDC_MAX_BYTES_PER_BYTE, consumed = 0;
        uint8_t *piece = malloc(room);
        HARNESS_CHECK(piece != NULL, "out of memory");
        size_t made = mdc_encode(e, in + pos, take, &consumed, piece, room);
        HARNESS_CHECK(consumed == take, "encode takes all input when out has room");
        HARNESS_CHECK(made <= room, "encode writes within out_cap");
        memcpy(coded + n, piece, made);
        free(piece);
        n += made;
        pos += consumed;
    }
    uint8_t *tail = malloc(MDC_MAX_FLUSH_BYTES);
    HARNESS_CHECK(tail != NULL, "out of memory");
    size_t end = mdc_encode_end(e, tail);
    HARNESS_CHECK(end <= MDC_MAX_FLUSH_BYTES && (len == 0) == (end == 0), "flush size");
    memcpy(coded + n, tail, end);
    free(tail);
    *out_len = n + end;
    HARNESS_CHECK(*out_len <= cap, "coded size within the MAX_EXPANSION bound");
    return coded;
}

typedef struct {
    uint64_t produced;  /* bytes decoded */
    int matches;        /* 1 if they equal `expect` so far (and in length) */
    int end_ok;         /* mdc_decode_end's verdict: 1 accepted */
    int damaged;        /* mdc_decode_damaged at the end */
} harness_decoded;

/* Decode a segment that claims `size` bytes from `len` coded bytes, handing
 * them over `step` at a time and asking at most `cap` bytes per call.
 * Output is compared with `expect` (may be NULL) on the fly, not kept, so a
 * lying `size` costs no memory. Checks that every call keeps the contract
 * and that a final call always makes progress unless the data are damaged. */
static inline harness_decoded harness_decode(mdc_engine *d, const uint8_t *seg, size_t len,
                                             uint64_t size, size_t step, size_t cap,
                                             const uint8_t *expect, size_t expect_len)
{
    harness_decoded r = {0, 1, 0, 0};
    size_t given = 0, pos = 0;
    if (step == 0)
        step = 1;
    if (cap == 0)
        cap = 1;
    mdc_decode_start(d, size);
    HARNESS_CHECK(mdc_decode_remaining(d) == size, "remaining after start");
    while (mdc_decode_remaining(d)) {
        given = len - given < step ? len : given + step;
        int final = given == len;
        uint64_t left = mdc_decode_remaining(d);
        size_t room = left < cap ? (size_t)left : cap;
        uint8_t *in = malloc(given - pos ? given - pos : 1);
        uint8_t *out = malloc(room);
        HARNESS_CHECK(in != NULL && out != NULL, "out of memory");
        memcpy(in, seg + pos, given - pos);
        size_t consumed = 0;
        size_t got = mdc_decode(d, in, given - pos, final, &consumed, out, room);
        HARNESS_CHECK(got <= room, "decode writes within out_cap");
        HARNESS_CHECK(consumed <= given - pos, "decode consumes only what it was given");
        HARNESS_CHECK(mdc_decode_remaining(d) == left - got, "remaining counts down");
        if (expect) {
            if (r.produced + got > expect_len || memcmp(out, expect + r.produced, got) != 0)
                r.matches = 0;
        }
        free(in);
        free(out);
        r.produced += got;
        pos += consumed;
        if (mdc_decode_damaged(d)) {
            break;
        }
        if (final)
            HARNESS_CHECK(got > 0, "a final call makes progress unless damaged");
    }
    r.damaged = mdc_decode_damaged(d);
    if (r.damaged) {
        uint8_t probe[8];
        size_t consumed = 0;
        HARNESS_CHECK(mdc_decode(d, seg, 0, 1, &consumed, probe, sizeof probe) == 0,
                      "a damaged segment yields no more bytes");
    }
    if (expect && r.produced != expect_len)
        r.matches = 0;
    int end = mdc_decode_end(d, len - pos);
    r.end_ok = end == MDC_OK;
    HARNESS_CHECK(end == MDC_OK || end == MDC_ERR_TRUNCATED || end == MDC_ERR_DAMAGED,
                  "the end check's verdict is one of its codes");
    HARNESS_CHECK(!r.damaged || end == MDC_ERR_TRUNCATED,
                  "a damaged segment fails its end check as truncated");
    HARNESS_CHECK(mdc_decode_remaining(d) == 0, "end closes the segment");
    return r;
}

#endif

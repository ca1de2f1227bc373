/*
 * coder — a binary arithmetic coder (the last stage).
 *
 * Codes one bit at a time with a 16-bit probability of a 1 (1..65535), in a
 * 32-bit range [x1, x2] that is never allowed to carry: whenever the top
 * bytes of x1 and x2 agree, that byte is final and is shifted out. Each bit
 * costs within a tiny fraction of -log2 of its probability; the measured
 * loss against the ideal code length is in bench/ and the tests.
 *
 * A segment ends with coder_flush, which writes the fewest bytes (1..4) that
 * pin a value inside the range; the decoder reads zeros past the segment's
 * end, so those bytes suffice. Reading and writing go through a caller's
 * buffer; the caller guarantees room (CODER_MAX_BYTES_PER_BIT per bit).
 *
 * It counts nothing: a segment of any length is coded in the same 32-bit
 * range, so its state has no bound to reach.
 */
#ifndef MDC_CODER_H
#define MDC_CODER_H

#include "common.h"

#define CODER_MAX_BYTES_PER_BIT 4

typedef struct {
    uint32_t x1, x2; /* the range, inclusive */
    uint32_t x;      /* decoder: the code value read so far */
} coder_state;

static inline void coder_reset(coder_state *c)
{
    c->x1 = 0;
    c->x2 = 0xFFFFFFFFu;
    c->x = 0;
}

/* The split point: P(1) = p1 / 65536 of the range goes to [x1, mid]. */
static inline uint32_t coder_mid(const coder_state *c, uint32_t p1)
{
    uint32_t range = c->x2 - c->x1;
    return c->x1 + (range >> 16) * p1 + (((range & 0xFFFF) * p1) >> 16);
}

/* Encode `bit` with P(1) = p1 / 65536; returns bytes written at out. */
static inline int coder_encode(coder_state *c, int bit, uint32_t p1, uint8_t *out)
{
    MDC_ASSERT(p1 >= 1 && p1 <= 65535 && c->x1 <= c->x2);
    uint32_t mid = coder_mid(c, p1);
    int n = 0;
    if (bit)
        c->x2 = mid;
    else
        c->x1 = mid + 1;
    while (((c->x1 ^ c->x2) & 0xFF000000u) == 0) {
        out[n++] = (uint8_t)(c->x2 >> 24);
        c->x1 <<= 8;
        c->x2 = (c->x2 << 8) | 0xFF;
    }
    return n;
}

/* Bytes that end the segment; returns how many (1..4) were written. */
static inline int coder_flush(const coder_state *c, uint8_t *out)
{
    /* The shortest prefix of x2 whose zero-padded value is >= x1. */
    for (int len = 1; len <= 4; len++) {
        uint32_t keep = len == 4 ? 0xFFFFFFFFu : ~(0xFFFFFFFFu >> (8 * len));
        if ((c->x2 & keep) >= c->x1) {
            for (int i = 0; i < len; i++)
                out[i] = (uint8_t)(c->x2 >> (24 - 8 * i));
            return len;
        }
    }
    return 0; /* unreachable: x2 >= x1 */
}

/* Decoder: reads the next byte, or 0 past the end of the segment. */
typedef struct {
    const uint8_t *in;
    size_t len;
    size_t pos; /* may pass len: bytes past the end read as 0 (by 36 at most:
                   engine.c stops a segment read more than 3 bytes past its end,
                   checking after each byte, which reads 32 at most) */
} coder_input;

static inline uint32_t coder_next(coder_input *in)
{
    uint32_t b = in->pos < in->len ? in->in[in->pos] : 0;
    in->pos++;
    return b;
}

static inline void coder_start(coder_state *c, coder_input *in)
{
    coder_reset(c);
    for (int i = 0; i < 4; i++)
        c->x = (c->x << 8) | coder_next(in);
}

static inline int coder_decode(coder_state *c, uint32_t p1, coder_input *in)
{
    MDC_ASSERT(p1 >= 1 && p1 <= 65535 && c->x1 <= c->x2);
    uint32_t mid = coder_mid(c, p1);
    int bit = c->x <= mid;
    if (bit)
        c->x2 = mid;
    else
        c->x1 = mid + 1;
    while (((c->x1 ^ c->x2) & 0xFF000000u) == 0) {
        c->x1 <<= 8;
        c->x2 = (c->x2 << 8) | 0xFF;
        c->x = (c->x << 8) | coder_next(in);
    }
    return bit;
}

#endif

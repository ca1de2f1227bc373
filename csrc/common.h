/*
 * common.h — definitions shared by every component of the core.
 *
 * Fixed-point scales used throughout (no floating point reaches the coder):
 *   - A byte distribution is built on a scale of 2^MDC_DIST_BITS (PPM's
 *     share, the blend weights' mass) and held in units 2^DIST_FRAC finer,
 *     so that it sums to about 2^31; it is read node by node (dist.h). Every
 *     byte keeps a non-zero mass, so every node of the binary tree has a
 *     well-defined P(right).
 *   - A binary probability or a blend weight is a 16-bit fraction: 65536 =
 *     MDC_P_ONE = 1. Coded probabilities are clamped to [1, 65535].
 */
#ifndef MDC_COMMON_H
#define MDC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define MDC_DIST_BITS 24
#define MDC_P_ONE 65536u

/* One switch turns on internal asserts: build with -DMDC_DEBUG. */
#ifdef MDC_DEBUG
#include <assert.h>
#define MDC_ASSERT(x) assert(x)
#else
#define MDC_ASSERT(x) ((void)0)
#endif

/* A 64-bit mixer (the finaliser of splitmix64): every input bit affects every
 * output bit, so tables may index with the top bits and check with the low. */
static inline uint64_t mdc_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

/* Hash of the last `len` bytes (1..16) of the history. `hist` holds the last
 * 8 bytes (most recent in the low byte), `hist_hi` the 8 before them. `salt`
 * separates tables and roles that share a hash space. */
static inline uint64_t mdc_ctx_hash(uint64_t hist, uint64_t hist_hi, int len, uint64_t salt)
{
    uint64_t lo = len >= 8 ? hist : (hist & ((1ull << (8 * len)) - 1));
    uint64_t h = mdc_mix64(lo + salt * 0x9E3779B97F4A7C15ull + (uint64_t)len);
    if (len > 8) {
        int hl = len - 8;
        uint64_t hi = hl >= 8 ? hist_hi : (hist_hi & ((1ull << (8 * hl)) - 1));
        h = mdc_mix64(h ^ (hi + 0x632BE59BD9B4E019ull));
    }
    return h;
}

/* A hash's top 32 bits mapped evenly onto [0, n), n < 2^32: tables need
 * not be powers of two. The low 32 bits stay free for tags. */
static inline size_t mdc_reduce(uint64_t hash, size_t n)
{
    return (size_t)(((hash >> 32) * (uint64_t)n) >> 32);
}

/* 1 for a byte of text: tab, newline, CR, space .. '~' (the analyser's
 * text share and the engine's recent one count the same bytes). */
static inline int mdc_is_text(int c)
{
    return (c >= 32 && c < 127) || c == '\n' || c == '\r' || c == '\t';
}

/* A byte's class, which picks the mixers' weight sets (engine.c, lean.h):
 * lower case, upper case, space, digit, end of line, zero, 128 and up,
 * anything else. */
#define MDC_BYTE_CLASSES 8
static inline uint32_t mdc_byte_class(uint32_t c)
{
    if (c >= 'a' && c <= 'z')
        return 0;
    if (c >= 'A' && c <= 'Z')
        return 1;
    if (c == ' ')
        return 2;
    if (c >= '0' && c <= '9')
        return 3;
    if (c == '\n' || c == '\r')
        return 4;
    return c == 0 ? 5 : c >= 128 ? 6 : 7;
}

/* floor(log2(x)) for x > 0, portable and exact. */
static inline int mdc_ilog2(uint64_t x)
{
    int r = 0;
    while (x >>= 1)
        r++;
    return r;
}

#endif

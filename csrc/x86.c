/*
 * x86 — the CALL/JMP transform of blocks of x86 code (MDC_MODE_X86).
 *
 * A CALL (E8) or JMP (E9) is followed by a 32-bit little-endian target
 * relative to the next instruction, so one function called from many
 * places is many different numbers. Made absolute (the position added),
 * they are the same bytes each time, which the context models learn.
 *
 * Only targets within +-2^24 (top byte 00 or FF) change, and they map to
 * targets of the same kind: the sum is taken modulo 2^25 and sign-extended
 * from bit 24. That is a bijection of the 2^25 such values for any
 * position, so the decoder recognises exactly the targets the encoder
 * changed and subtracts. Every E8/E9 with four bytes after it is followed
 * by a skip of those four bytes, changed or not, and the opcode bytes never
 * change, so both sides step through the block alike. Positions count from
 * the block's start (modulo 2^32, by design: only their value modulo 2^25
 * is added), so each block is its own, and a block of any length undoes.
 */
#include "midicoth.h"

static uint32_t load32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A small target `v` (top byte 00 or FF) after the opcode whose next
 * instruction is at `at`, made absolute (`sign` 1) or relative again
 * (`sign` 2^32 - 1). Only `at` modulo 2^25 matters, so a position kept
 * modulo 2^32 (a block of 4 GiB or more) changes nothing. */
static uint32_t target(uint32_t v, uint32_t at, uint32_t sign)
{
    v = (v + sign * at) & 0x01FFFFFFu;
    /* sign-extend from bit 24: the top byte becomes 00 or FF again */
    return (v ^ 0x01000000u) - 0x01000000u;
}

/* `sign` +1 encodes, -1 (as 2^32 - 1) decodes. */
static void transform(uint8_t *buf, size_t len, uint32_t sign)
{
    if (len < 5)
        return;
    for (size_t i = 0; i + 4 < len; i++) {
        if ((buf[i] & 0xFE) != 0xE8)
            continue;
        uint8_t top = buf[i + 4];
        if (top == 0x00 || top == 0xFF) /* i + 5 <= len: no size_t overflow */
            store32(buf + i + 1, target(load32(buf + i + 1), (uint32_t)(i + 5), sign));
        i += 4;
    }
}

void mdc_x86_encode(uint8_t *buf, size_t len)
{
    transform(buf, len, 1u);
}

void mdc_x86_decode(uint8_t *buf, size_t len)
{
    transform(buf, len, 0xFFFFFFFFu);
}

#include "binctx.h"

#include <string.h>

#include "alloc.h"

#define PAIR_BYTES 64

static size_t pairs_for(size_t bytes)
{
    return bytes >= PAIR_BYTES ? bytes / PAIR_BYTES : 1;
}

size_t binctx_size(size_t bytes)
{
    return pairs_for(bytes) * PAIR_BYTES;
}

int binctx_init(binctx *b, size_t bytes, uint32_t limit, int huge_pages)
{
    MDC_ASSERT(limit >= 1 && limit <= BINCTX_MAX_LIMIT);
    b->limit = limit;
    b->pairs = pairs_for(bytes);
    b->t = mdc_table_alloc(b->pairs * PAIR_BYTES, huge_pages);
    b->nib[0] = b->nib[1] = b->t;
    b->hash = 0;
    return b->t ? 0 : -1;
}

void binctx_free(binctx *b)
{
    if (b->t)
        mdc_table_free(b->t, b->pairs * PAIR_BYTES);
    b->t = NULL;
}

/* `keep`: a slot in use for this byte, never the victim. */
static uint16_t *find(binctx *b, uint64_t hash, const uint16_t *keep)
{
    uint16_t *pair = b->t + mdc_reduce(hash, b->pairs) * 32;
    uint16_t tag = (uint16_t)((hash & 0xFFFF) | 1);
    if (pair[0] == tag)
        return pair;
    if (pair[16] == tag)
        return pair + 16;
    /* Replace the slot whose first node has seen less (its count, entry 1). */
    uint16_t *victim = ((pair[1] ^ 0x8000u) & 15) <= ((pair[17] ^ 0x8000u) & 15) ? pair : pair + 16;
    if (victim == keep)
        victim = victim == pair ? pair + 16 : pair;
    memset(victim, 0, 32);
    victim[0] = tag;
    return victim;
}

void binctx_begin(binctx *b, uint64_t hash)
{
    b->hash = hash;
    b->nib[0] = find(b, hash, NULL);
    b->nib[1] = NULL;
}

void binctx_low(binctx *b, int high_nibble)
{
    b->nib[1] = find(b, b->low[high_nibble & 1], b->nib[0]);
}

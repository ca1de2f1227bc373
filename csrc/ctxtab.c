#include "ctxtab.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(ctx_slot) == 64, "a context slot is one cache line");

static int bucket_bits_for(size_t bytes)
{
    size_t buckets = bytes / (sizeof(ctx_slot) * CTX_BUCKET);
    int bits = 0;
    while (bits < 40 && ((size_t)2 << bits) <= buckets)
        bits++;
    return bits;
}

size_t ctxtab_size(size_t bytes)
{
    return ((size_t)1 << bucket_bits_for(bytes)) * CTX_BUCKET * sizeof(ctx_slot);
}

int ctxtab_init(ctxtab *t, size_t bytes)
{
    t->bucket_bits = bucket_bits_for(bytes);
    /* calloc: pages the model never touches are never made resident. */
    t->slots = calloc((size_t)CTX_BUCKET << t->bucket_bits, sizeof(ctx_slot));
    return t->slots ? 0 : -1;
}

void ctxtab_free(ctxtab *t)
{
    free(t->slots);
    t->slots = NULL;
}

static inline ctx_slot *bucket_of(const ctxtab *t, uint64_t hash)
{
    size_t b = t->bucket_bits ? (size_t)(hash >> (64 - t->bucket_bits)) : 0;
    return t->slots + b * CTX_BUCKET;
}

static inline uint32_t tag_of(uint64_t hash)
{
    return (uint32_t)hash | 1u;
}

ctx_slot *ctxtab_find(const ctxtab *t, uint64_t hash)
{
    ctx_slot *b = bucket_of(t, hash);
    uint32_t tag = tag_of(hash);
    for (int i = 0; i < CTX_BUCKET; i++)
        if (b[i].check == tag)
            return &b[i];
    return NULL;
}

ctx_slot *ctxtab_get(ctxtab *t, uint64_t hash)
{
    ctx_slot *b = bucket_of(t, hash);
    uint32_t tag = tag_of(hash);
    ctx_slot *victim = &b[0];
    for (int i = 0; i < CTX_BUCKET; i++) {
        if (b[i].check == tag)
            return &b[i];
        if (b[i].total < victim->total)
            victim = &b[i];
    }
    memset(victim, 0, sizeof(*victim));
    victim->check = tag;
    return victim;
}

int ctxslot_count(const ctx_slot *s, int sym)
{
    for (int i = 0; i < s->nsym; i++)
        if (s->sym[i] == sym)
            return s->cnt[i];
    return 0;
}

static void halve(ctx_slot *s)
{
    unsigned total = 0;
    for (int i = 0; i < s->nsym; i++) {
        s->cnt[i] = (uint8_t)((s->cnt[i] + 1) >> 1);
        total += s->cnt[i];
    }
    s->total = (uint16_t)total;
}

void ctxslot_add(ctx_slot *s, int sym)
{
    int i;
    for (i = 0; i < s->nsym; i++)
        if (s->sym[i] == sym)
            break;
    if (i == s->nsym) {
        if (s->nsym < CTX_SLOT_SYMS) {
            s->nsym++;
        } else {
            /* Full: the rarest symbol gives up its place. */
            int low = 0;
            for (int j = 1; j < CTX_SLOT_SYMS; j++)
                if (s->cnt[j] < s->cnt[low])
                    low = j;
            i = low;
            s->total = (uint16_t)(s->total - s->cnt[i]);
        }
        s->sym[i] = (uint8_t)sym;
        s->cnt[i] = 0;
    } else if (s->cnt[i] == 255) {
        halve(s);
    }
    s->cnt[i]++;
    s->total++;
}

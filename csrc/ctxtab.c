#include "ctxtab.h"

#include <string.h>

#include "alloc.h"

_Static_assert(sizeof(ctx_slot) == 8 + 2 * CTX_SLOT_SYMS, "a context slot is packed");

#define BUCKET_BYTES (sizeof(ctx_slot) * CTX_BUCKET)

static size_t buckets_for(size_t bytes)
{
    size_t n = bytes / BUCKET_BYTES;
    return n ? n : 1;
}

size_t ctxtab_size(size_t bytes)
{
    return buckets_for(bytes) * BUCKET_BYTES;
}

int ctxtab_init(ctxtab *t, size_t bytes, int huge_pages)
{
    t->buckets = buckets_for(bytes);
    t->slots = mdc_table_alloc(t->buckets * BUCKET_BYTES, huge_pages);
    return t->slots ? 0 : -1;
}

void ctxtab_free(ctxtab *t)
{
    if (t->slots)
        mdc_table_free(t->slots, t->buckets * BUCKET_BYTES);
    t->slots = NULL;
}

static inline uint32_t tag_of(uint64_t hash)
{
    return (uint32_t)hash | 1u;
}

ctx_slot *ctxtab_find(const ctxtab *t, uint64_t hash)
{
    ctx_slot *b = ctxtab_bucket(t, hash);
    uint32_t tag = tag_of(hash);
    for (int i = 0; i < CTX_BUCKET; i++)
        if (b[i].check == tag)
            return &b[i];
    return NULL;
}

ctx_slot *ctxtab_get(ctxtab *t, uint64_t hash)
{
    ctx_slot *b = ctxtab_bucket(t, hash);
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
    MDC_ASSERT(s->nsym <= CTX_SLOT_SYMS && s->total <= 255u * CTX_SLOT_SYMS);
}

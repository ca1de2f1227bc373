#include "word.h"

#include "blend.h"

#include <stdlib.h>
#include <string.h>

#define WORD_END 0 /* pseudo-symbol: the word ended here */

static const uint8_t boundary[BLEND_SPREAD] = {' ', '\n', '\r', ',', '.', ';', ':', '!', '?', ')', ']'};

static inline int is_word_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '\'' || c == '-';
}

static inline int is_boundary(int c)
{
    return memchr(boundary, c, sizeof(boundary)) != NULL;
}

size_t word_size(size_t table_bytes)
{
    return ctxtab_size(table_bytes);
}

int word_init(word_model *w, size_t table_bytes, int huge_pages)
{
    memset(w, 0, sizeof(*w));
    w->hits = 1 * 256;
    w->attempts = 2 * 256;
    return ctxtab_init(&w->tab, table_bytes, huge_pages);
}

void word_free(word_model *w)
{
    ctxtab_free(&w->tab);
}

static inline uint64_t extend(uint64_t h, int c)
{
    return mdc_mix64(h + (uint64_t)c + 0x5744u);
}

static inline uint64_t bigram_key(uint64_t word)
{
    return mdc_mix64(word ^ 0x42494752414Dull);
}

void word_predict(word_model *w)
{
    w->pred = NULL;
    w->confidence = 0;
    uint32_t rate = (uint32_t)(((uint64_t)w->hits << 16) / w->attempts);
    if (w->in_word) {
        if (w->len > WORD_MAX_LEN)
            return;
        const ctx_slot *s = ctxtab_find(&w->tab, w->prefix[w->len]);
        if (!s)
            return;
        int conts = 0;
        for (int i = 0; i < s->nsym; i++)
            conts += s->sym[i] != WORD_END;
        if (conts == 0)
            return;
        uint64_t conf = rate;
        if (w->len < 3)
            conf = conf * (uint64_t)w->len / 3;
        if (conts < 2)
            conf /= 2;
        w->pred = s;
        w->pred_in_word = 1;
        w->confidence = (uint32_t)conf;
    } else if (w->has_last) {
        const ctx_slot *s = ctxtab_find(&w->tab, bigram_key(w->last_word));
        if (!s || s->total == 0)
            return;
        uint64_t conf = (uint64_t)rate * 3 / 10;
        if (s->total < 5)
            conf = conf * s->total / 5;
        w->pred = s;
        w->pred_in_word = 0;
        w->confidence = (uint32_t)conf;
    }
}

void word_blend(const word_model *w, uint32_t weight, mdc_dist *dist)
{
    blend_add_slot(dist, w->pred, weight, w->pred_in_word ? boundary : NULL);
}

void word_prefetch(const word_model *w)
{
    if (w->in_word && w->len <= WORD_MAX_LEN)
        ctxtab_prefetch(&w->tab, w->prefix[w->len]);
    else if (w->has_last)
        ctxtab_prefetch(&w->tab, bigram_key(w->last_word));
}

/* Did the prediction give `byte` more than 0.05? */
static int was_hit(const word_model *w, int byte)
{
    const ctx_slot *s = w->pred;
    uint64_t count = (uint64_t)ctxslot_count(s, byte);
    if (!w->pred_in_word)
        return count * 20 > s->total;
    /* q = (11 count + [boundary] end) / (11 total) */
    count *= 11;
    if (is_boundary(byte))
        count += (uint64_t)ctxslot_count(s, WORD_END);
    return count * 20 > (uint64_t)s->total * 11;
}

/* The current word ended: each prefix learns the character that followed
 * it, the whole word learns that it ended. */
static void add_word(word_model *w)
{
    for (int i = 1; i < w->len; i++)
        ctxslot_add(ctxtab_get(&w->tab, w->prefix[i]), w->chars[i]);
    ctxslot_add(ctxtab_get(&w->tab, w->prefix[w->len]), WORD_END);
}

void word_update(word_model *w, int byte)
{
    /* predictions above BLEND_MIN_CONF count */
    if (w->pred && w->confidence > BLEND_MIN_CONF) {
        w->attempts += 256;
        if (was_hit(w, byte))
            w->hits += 256;
        if (w->attempts > 500 * 256) { /* back to at most 500 * 256 */
            w->hits -= w->hits / 100;
            w->attempts -= w->attempts / 100;
        }
    }
    if (is_word_char(byte)) {
        if (!w->in_word) {
            w->in_word = 1;
            w->len = 0;
            w->prefix[0] = 0x574F5244ull; /* the empty prefix */
            if (w->has_last)
                ctxslot_add(ctxtab_get(&w->tab, bigram_key(w->last_word)), byte);
        }
        if (w->len < WORD_MAX_LEN) {
            w->chars[w->len] = (uint8_t)byte;
            w->prefix[w->len + 1] = extend(w->prefix[w->len], byte);
        }
        /* Past WORD_MAX_LEN a word is neither predicted nor learnt, whatever
         * its length: the count stops at WORD_MAX_LEN + 1 (word.h). */
        if (w->len <= WORD_MAX_LEN)
            w->len++;
    } else if (w->in_word) {
        if (w->len >= 2 && w->len <= WORD_MAX_LEN)
            add_word(w);
        w->last_word = w->prefix[w->len < WORD_MAX_LEN ? w->len : WORD_MAX_LEN];
        w->has_last = 1;
        w->in_word = 0;
        w->len = 0;
    }
}

#include "match.h"

#include <string.h>

#include "alloc.h"

static const int match_len[MATCH_LENGTHS] = {4, 6, 8, 12, 16};

size_t match_size(int ring_bits, int table_bits)
{
    return ((size_t)1 << ring_bits) + MATCH_LENGTHS * ((size_t)4 << table_bits);
}

int match_init(match_model *m, int ring_bits, int table_bits, int huge_pages)
{
    memset(m, 0, sizeof(*m));
    m->ring = mdc_table_alloc((size_t)1 << ring_bits, huge_pages);
    m->ring_mask = (uint32_t)(((uint64_t)1 << ring_bits) - 1);
    m->ring_bits = ring_bits;
    m->table_bits = table_bits;
    int ok = m->ring != NULL;
    for (int i = 0; i < MATCH_LENGTHS; i++) {
        m->table[i] = mdc_table_alloc((size_t)4 << table_bits, huge_pages);
        ok = ok && m->table[i];
    }
    m->hits = 1 * 256;
    m->total = 2 * 256;
    m->predicted = -1;
    if (!ok) {
        match_free(m);
        return -1;
    }
    match_next(m, 0, 0);
    return 0;
}

void match_free(match_model *m)
{
    mdc_table_free(m->ring, (size_t)1 << m->ring_bits);
    m->ring = NULL;
    for (int i = 0; i < MATCH_LENGTHS; i++) {
        mdc_table_free(m->table[i], (size_t)4 << m->table_bits);
        m->table[i] = NULL;
    }
}

static inline uint32_t slot_of(const match_model *m, uint64_t hist, uint64_t hist_hi, int i)
{
    return (uint32_t)(mdc_ctx_hash(hist, hist_hi, match_len[i], 0x4D41u) >> (64 - m->table_bits));
}

/* Do the L bytes before position `cand` equal the last L bytes seen? */
static int context_matches(const match_model *m, uint64_t cand, int len)
{
    for (int j = 1; j <= len; j++)
        if (m->ring[(cand - j) & m->ring_mask] != m->ring[(m->pos - j) & m->ring_mask])
            return 0;
    return 1;
}

void match_next(match_model *m, uint64_t hist, uint64_t hist_hi)
{
    for (int i = 0; i < MATCH_LENGTHS; i++) {
        m->slot[i] = slot_of(m, hist, hist_hi, i);
        MDC_PREFETCH(&m->table[i][m->slot[i]]);
    }
}

void match_predict(match_model *m)
{
    uint32_t rate = (uint32_t)(((uint64_t)m->hits << 16) / m->total);
    m->predicted = -1;
    m->confidence = 0;
    if (m->active) {
        uint32_t conf = (uint32_t)((uint64_t)rate * (65 + 4 * (uint64_t)m->streak) / 100);
        m->predicted = m->ring[m->read & m->ring_mask];
        m->confidence = conf < 62915 ? conf : 62915; /* 0.96 */
        return;
    }
    for (int i = MATCH_LENGTHS - 1; i >= 0; i--) {
        int len = match_len[i];
        if (m->pos < (uint64_t)len)
            continue;
        uint32_t stored = m->table[i][m->slot[i]];
        if (stored == 0)
            continue;
        /* modulo 2^32 (match.h): exact for any position the ring holds */
        uint32_t dist = (uint32_t)m->pos - stored;
        if (dist == 0 || dist > m->ring_mask - 16 || dist > m->pos)
            continue;
        uint64_t cand = m->pos - dist;
        if (!context_matches(m, cand, len))
            continue;
        uint32_t conf = rate * (uint32_t)len / 6;
        uint32_t cap = (uint32_t)((uint64_t)rate * 9 / 10);
        m->active = 1;
        m->read = cand;
        m->streak = 0;
        m->predicted = m->ring[cand & m->ring_mask];
        m->confidence = conf < cap ? conf : cap;
        return;
    }
}

void match_update(match_model *m, int byte)
{
    if (m->active) {
        m->total += 256;
        if (m->predicted == byte) {
            m->hits += 256;
            m->streak++; /* wraps after 2^32 (match.h) */
            m->read++;
        } else {
            m->active = 0;
            m->streak = 0;
        }
        if (m->total > 500 * 256) {
            m->hits -= m->hits / 100;
            m->total -= m->total / 100;
        }
    }
    /* The last L bytes are followed by position pos, kept modulo 2^32 (0
     * stays "empty": no context ends before position 4, and past 2^32 the
     * entry of a position that is a multiple of 2^32 is simply lost). */
    for (int i = 0; i < MATCH_LENGTHS; i++)
        if (m->pos >= (uint64_t)match_len[i])
            m->table[i][m->slot[i]] = (uint32_t)m->pos;
    m->ring[m->pos & m->ring_mask] = (uint8_t)byte;
    m->pos++;
}

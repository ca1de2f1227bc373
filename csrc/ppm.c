#include "ppm.h"

#include <stdlib.h>
#include <string.h>

#define O1_BYTES (256 * 256 * sizeof(uint16_t) + 256 * sizeof(uint32_t))

size_t ppm_size(size_t table_bytes)
{
    return sizeof(ppm_model) + O1_BYTES + ctxtab_size(table_bytes);
}

int ppm_init(ppm_model *m, size_t table_bytes)
{
    memset(m, 0, sizeof(*m));
    m->o1 = calloc(256, sizeof(*m->o1));
    m->o1_total = calloc(256, sizeof(uint32_t));
    if (!m->o1 || !m->o1_total || ctxtab_init(&m->tab, table_bytes) != 0) {
        ppm_free(m);
        return -1;
    }
    return 0;
}

void ppm_free(ppm_model *m)
{
    free(m->o1);
    free(m->o1_total);
    m->o1 = NULL;
    m->o1_total = NULL;
    ctxtab_free(&m->tab);
}

static inline uint64_t order_hash(uint64_t hist, int order)
{
    return mdc_ctx_hash(hist, 0, order, 0x505050u);
}

/* Give `mass` * count / (n + d) to each byte of a context not yet excluded,
 * where n and d are the count and the number of those bytes; return the
 * escape mass d / (n + d). r is that ratio as a 16.16 multiplier of counts,
 * so one division serves the whole context. */
static uint32_t spread_slot(const ctx_slot *s, uint8_t *excluded, uint32_t mass, uint32_t *dist)
{
    uint32_t n = 0, d = 0;
    for (int i = 0; i < s->nsym; i++)
        if (!excluded[s->sym[i]]) {
            n += s->cnt[i];
            d++;
        }
    if (d == 0)
        return mass;
    uint64_t r = ((uint64_t)mass << 16) / (n + d);
    for (int i = 0; i < s->nsym; i++) {
        int c = s->sym[i];
        if (!excluded[c]) {
            uint32_t p = (uint32_t)((s->cnt[i] * r) >> 16);
            dist[c] = p ? p : 1;
            excluded[c] = 1;
        }
    }
    return (uint32_t)((d * r) >> 16);
}

/* The same for a direct array of 256 counts (of any width). */
#define SPREAD_ARRAY(counts, excluded, mass, dist)                             \
    do {                                                                       \
        uint64_t n_ = 0;                                                       \
        uint32_t d_ = 0;                                                       \
        for (int c_ = 0; c_ < 256; c_++)                                       \
            if ((counts)[c_] && !(excluded)[c_]) {                             \
                n_ += (counts)[c_];                                            \
                d_++;                                                          \
            }                                                                  \
        if (d_) {                                                              \
            uint64_t r_ = ((uint64_t)(mass) << 16) / (n_ + d_);                \
            for (int c_ = 0; c_ < 256; c_++)                                   \
                if ((counts)[c_] && !(excluded)[c_]) {                         \
                    uint32_t p_ = (uint32_t)(((uint64_t)(counts)[c_] * r_) >> 16); \
                    (dist)[c_] = p_ ? p_ : 1;                                  \
                    (excluded)[c_] = 1;                                        \
                }                                                              \
            (mass) = (uint32_t)((d_ * r_) >> 16);                              \
        }                                                                      \
    } while (0)

void ppm_predict(ppm_model *m, uint64_t hist, int avail, uint32_t *dist)
{
    uint8_t excluded[256];
    uint32_t mass = MDC_DIST_ONE;

    memset(excluded, 0, sizeof(excluded));
    memset(dist, 0, 256 * sizeof(uint32_t));
    m->order = -1;
    m->confidence = 0;

    for (int k = PPM_MAX_ORDER; k >= 2; k--) {
        m->slot[k] = NULL;
        if (avail < k)
            continue;
        /* Claimed now so that the update needs no second look-up. */
        ctx_slot *s = ctxtab_get(&m->tab, order_hash(hist, k));
        m->slot[k] = s;
        if (s->total == 0)
            continue;
        if (m->order < 0) {
            m->order = k;
            m->confidence = 128 + s->total;
        }
        mass = spread_slot(s, excluded, mass, dist);
    }
    if (avail >= 1) {
        int prev = (int)(hist & 0xff);
        if (m->o1_total[prev]) {
            if (m->order < 0) {
                m->order = 1;
                m->confidence = 128 + m->o1_total[prev];
            }
            SPREAD_ARRAY(m->o1[prev], excluded, mass, dist);
        }
    }
    if (m->o0_total) {
        if (m->order < 0) {
            m->order = 0;
            m->confidence = 128 + m->o0_total;
        }
        SPREAD_ARRAY(m->o0, excluded, mass, dist);
    }

    /* Order -1: what is left goes evenly to the bytes never seen. */
    uint32_t unseen = 0;
    for (int c = 0; c < 256; c++)
        unseen += !excluded[c];
    if (unseen) {
        uint32_t each = mass / unseen;
        if (each == 0)
            each = 1;
        for (int c = 0; c < 256; c++)
            if (!excluded[c])
                dist[c] = each;
    }
}

void ppm_update(ppm_model *m, uint64_t hist, int avail, int byte)
{
    for (int k = 2; k <= PPM_MAX_ORDER; k++)
        if (avail >= k && m->slot[k])
            ctxslot_add(m->slot[k], byte);
    if (avail >= 1) {
        int prev = (int)(hist & 0xff);
        uint16_t *row = m->o1[prev];
        if (row[byte] == 0xFFFF) {
            uint32_t total = 0;
            for (int c = 0; c < 256; c++) {
                row[c] = (uint16_t)((row[c] + 1) >> 1);
                total += row[c];
            }
            m->o1_total[prev] = total;
        }
        row[byte]++;
        m->o1_total[prev]++;
    }
    if (m->o0_total >= (1u << 24)) {
        /* Keeps n + d far from overflowing the 16.16 arithmetic above. */
        uint32_t total = 0;
        for (int c = 0; c < 256; c++) {
            m->o0[c] = (m->o0[c] + 1) >> 1;
            total += m->o0[c];
        }
        m->o0_total = total;
    }
    m->o0[byte]++;
    m->o0_total++;
}

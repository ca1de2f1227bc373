#include "ppm.h"

#include <stdlib.h>
#include <string.h>

size_t ppm_size(size_t table_bytes)
{
    return sizeof(ppm_model) + 256 * sizeof(ppm_row) + ctxtab_size(table_bytes);
}

int ppm_init(ppm_model *m, size_t table_bytes)
{
    memset(m, 0, sizeof(*m));
    m->o1 = calloc(256, sizeof(ppm_row));
    if (!m->o1 || ctxtab_init(&m->tab, table_bytes) != 0) {
        ppm_free(m);
        return -1;
    }
    return 0;
}

void ppm_free(ppm_model *m)
{
    free(m->o1);
    m->o1 = NULL;
    ctxtab_free(&m->tab);
}

static inline uint64_t order_hash(uint64_t hist, int order)
{
    return mdc_ctx_hash(hist, 0, order, 0x505050u);
}

void ppm_prefetch(const ppm_model *m, uint64_t hist, int avail)
{
    for (int k = 2; k <= PPM_MAX_ORDER && k <= avail; k++)
        ctxtab_prefetch(&m->tab, order_hash(hist, k));
}

/* A context gives `mass` * count / (n + d) to each byte not yet excluded,
 * n and d being the count and number of those bytes, and passes on the
 * escape mass d / (n + d). The ratio is a multiplier r = mass * 2^7 /
 * (n + d) of counts: since n + d >= 2, r < 2^31, and count * r <= n * r
 * <= mass * 2^7 <= 2^31 fits 32 bits. One division serves the context. */
#define R_SHIFT 7

/* Orders 2-4: a slot's bytes not yet excluded get their share and are
 * added to the excluded list. */
static uint32_t spread_slot(const ctx_slot *s, uint8_t *excluded, uint8_t *list, int *nlist,
                            uint32_t mass, uint32_t *dist)
{
    uint32_t n = 0, d = 0;
    for (int i = 0; i < s->nsym; i++) {
        uint32_t open = (uint32_t)(excluded[s->sym[i]] == 0);
        n += s->cnt[i] * open;
        d += open;
    }
    if (d == 0)
        return mass;
    uint32_t r = (uint32_t)(((uint64_t)mass << R_SHIFT) / (n + d));
    int listed = *nlist;
    for (int i = 0; i < s->nsym; i++) {
        int c = s->sym[i];
        uint32_t open = 0u - (uint32_t)(excluded[c] == 0);
        uint32_t p = (s->cnt[i] * r) >> R_SHIFT;
        p += (p == 0);
        dist[c] = (p & open) | (dist[c] & ~open);
        excluded[c] = 1;
        list[listed] = (uint8_t)c;
        listed += (int)(open & 1);
    }
    *nlist = listed;
    return (uint32_t)(((uint64_t)d * r) >> R_SHIFT);
}

/* Count and number of a row's bytes that are not on the excluded list. */
static void open_sums(const ppm_row *row, const uint8_t *list, int nlist, uint32_t *n,
                      uint32_t *d)
{
    *n = row->total;
    *d = row->distinct;
    for (int i = 0; i < nlist; i++) {
        uint32_t cnt = row->counts[list[i]];
        *n -= cnt;
        *d -= (uint32_t)(cnt != 0);
    }
}

MDC_VECTOR_CLONES
void ppm_predict(ppm_model *m, uint64_t hist, int avail, uint32_t mass, mdc_dist *out)
{
    uint32_t *dist = out->p;
    uint8_t excluded[256], list[256];
    int nlist = 0;

    memset(excluded, 0, sizeof(excluded));
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
        mass = spread_slot(s, excluded, list, &nlist, mass, dist);
    }

    const ppm_row *o1 = avail >= 1 ? &m->o1[hist & 0xff] : NULL;
    const uint16_t *c0 = m->o0.counts;
    uint32_t n0, d0, nexcl = (uint32_t)nlist;
    open_sums(&m->o0, list, nlist, &n0, &d0);
    if (o1 && o1->total && m->order < 0) {
        m->order = 1;
        m->confidence = 128 + o1->total;
    }
    if (m->o0.total && m->order < 0) {
        m->order = 0;
        m->confidence = 128 + m->o0.total;
    }

    /* Order 1; the order-0 sums lose the bytes it excludes. */
    uint32_t n1 = 0, d1 = 0;
    if (o1)
        open_sums(o1, list, nlist, &n1, &d1);
    if (d1) {
        const uint16_t *c1 = o1->counts;
        uint32_t r = (uint32_t)(((uint64_t)mass << R_SHIFT) / (n1 + d1));
        uint32_t n_out = 0, d_out = 0; /* order-0 sums of the bytes taken here */
        for (int c = 0; c < 256; c++) {
            /* take: all ones if order 1 gives this byte its share */
            uint32_t take = (0u - (uint32_t)(c1[c] != 0)) & (0u - (uint32_t)(excluded[c] == 0));
            uint32_t p = (c1[c] * r) >> R_SHIFT;
            p += (p == 0);
            dist[c] = (p & take) | (dist[c] & ~take);
            excluded[c] |= (uint8_t)(take & 1);
            n_out += c0[c] & take;
            d_out += (uint32_t)(c0[c] != 0) & take;
        }
        n0 -= n_out;
        d0 -= d_out;
        mass = (uint32_t)(((uint64_t)d1 * r) >> R_SHIFT);
        nexcl += d1;
    }

    /* Order 0, and order -1: what is left goes evenly to the bytes never
     * seen. */
    uint32_t r = 0;
    if (d0) {
        r = (uint32_t)(((uint64_t)mass << R_SHIFT) / (n0 + d0));
        mass = (uint32_t)(((uint64_t)d0 * r) >> R_SHIFT);
    }
    MDC_ASSERT(nexcl + d0 <= 256);
    uint32_t unseen = 256 - nexcl - d0;
    uint32_t each = unseen ? mass / unseen : 0;
    each += (each == 0);
    uint32_t max = 0, total = 0;
    for (int c = 0; c < 256; c++) {
        uint32_t p = (c0[c] * r) >> R_SHIFT;
        p += (p == 0);
        uint32_t seen = 0u - (uint32_t)(c0[c] != 0);
        uint32_t open = 0u - (uint32_t)(excluded[c] == 0);
        p = (p & seen) | (each & ~seen);
        p = (p & open) | (dist[c] & ~open);
        dist[c] = p;
        max = p > max ? p : max;
        total += p;
    }
    out->max = max;
    out->total = total;
}

static void count(ppm_row *row, int byte)
{
    if (row->counts[byte] == 0xFFFF) {
        uint32_t total = 0;
        for (int c = 0; c < 256; c++) {
            row->counts[c] = (uint16_t)((row->counts[c] + 1) >> 1);
            total += row->counts[c];
        }
        row->total = total;
    }
    row->distinct += row->counts[byte] == 0;
    row->counts[byte]++;
    row->total++;
}

void ppm_update(ppm_model *m, uint64_t hist, int avail, int byte)
{
    for (int k = 2; k <= PPM_MAX_ORDER; k++)
        if (avail >= k && m->slot[k])
            ctxslot_add(m->slot[k], byte);
    if (avail >= 1)
        count(&m->o1[hist & 0xff], byte);
    count(&m->o0, byte);
}

#include "ppm.h"

#include <string.h>

#include "alloc.h"

/* The context hashes of orders 2..4 of `hist`. */
static inline const uint64_t *order_hashes(ppm_model *m, uint64_t hist)
{
    return ctx_hashes_of(&m->hashes, hist, 2, PPM_MAX_ORDER, 1, 0x505050u);
}

size_t ppm_table_size(size_t table_bytes)
{
    return ctxtab_size(table_bytes);
}

int ppm_init(ppm_model *m, size_t table_bytes, int huge_pages)
{
    memset(m, 0, sizeof(*m));
    m->o1 = mdc_table_alloc(PPM_O1_BYTES, 1);
    if (!m->o1 || ctxtab_init(&m->tab, table_bytes, huge_pages) != 0) {
        ppm_free(m);
        return -1;
    }
    return 0;
}

void ppm_free(ppm_model *m)
{
    mdc_table_free(m->o1, PPM_O1_BYTES);
    m->o1 = NULL;
    ctxtab_free(&m->tab);
}

void ppm_prefetch(ppm_model *m, uint64_t hist, int avail)
{
    const uint64_t *hash = order_hashes(m, hist);
    for (int k = 2; k <= PPM_MAX_ORDER && k <= avail; k++)
        ctxtab_prefetch(&m->tab, hash[k]);
}

/* A context gives `mass` * count / (n + d) to each byte not yet excluded,
 * n and d being the count and number of those bytes, and passes on the
 * escape mass d / (n + d). The ratio is a multiplier r = mass * 2^7 /
 * (n + d) of counts, in the distribution's units (dist.h): since n + d >= 2,
 * r < 2^31. One division serves the context. */
#define R_SHIFT 7
_Static_assert(R_SHIFT == DIST_FRAC, "a count times r is a mass in dist.h's units");

/* Orders 2-4: a slot's bytes not yet excluded get their share, are listed
 * with it and excluded. Returns the escape mass. The highest order found
 * meets no exclusion: its sums are the slot's own total and nsym. */
static uint32_t spread_slot(const ctx_slot *s, uint8_t *excluded, uint8_t *list, uint64_t *share,
                            int *nlist, uint32_t mass)
{
    uint32_t n = s->total, d = s->nsym;
    int listed = *nlist;
    if (listed) {
        n = d = 0;
        for (int i = 0; i < s->nsym; i++) {
            uint32_t open = (uint32_t)(excluded[s->sym[i]] == 0);
            n += s->cnt[i] * open;
            d += open;
        }
        if (d == 0)
            return mass;
    }
    uint32_t r = (uint32_t)(((uint64_t)mass << R_SHIFT) / (n + d));
    for (int i = 0; i < s->nsym; i++) {
        int c = s->sym[i];
        list[listed] = (uint8_t)c;
        share[listed] = (uint64_t)s->cnt[i] * r;
        listed += excluded[c] == 0;
        excluded[c] = 1;
    }
    *nlist = listed;
    return (uint32_t)(((uint64_t)d * r) >> R_SHIFT);
}

void ppm_predict(ppm_model *m, uint64_t hist, int avail, uint32_t mass, mdc_dist *dist)
{
    uint8_t excluded[256], list[256];
    uint64_t share[256];
    int nlist = 0;

    const uint64_t *hash = order_hashes(m, hist);
    memset(excluded, 0, sizeof(excluded));
    m->order = -1;
    m->confidence = 0;

    for (int k = PPM_MAX_ORDER; k >= 2; k--) {
        m->slot[k] = NULL;
        if (avail < k)
            continue;
        /* Claimed now so that the update needs no second look-up. */
        ctx_slot *s = ctxtab_get(&m->tab, hash[k]);
        m->slot[k] = s;
        if (s->total == 0)
            continue;
        if (m->order < 0) {
            m->order = k;
            m->confidence = 128 + s->total;
        }
        mass = spread_slot(s, excluded, list, share, &nlist, mass);
    }

    const ppm_row *o0 = &m->o0, *o1 = avail >= 1 ? &m->o1[hist & 0xff] : NULL;
    if (o1 && o1->tree[1] && m->order < 0) {
        m->order = 1;
        m->confidence = 128 + o1->tree[1];
    }
    if (o0->tree[1] && m->order < 0) {
        m->order = 0;
        m->confidence = 128 + o0->tree[1];
    }

    /* Orders 1 and 0, over the bytes not excluded above: the rows' totals
     * less the listed bytes' counts, read once for the corrections too. */
    uint32_t n1 = 0, d1 = 0, n0 = o0->tree[1], d0 = o0->distinct;
    const uint32_t *t1 = o1 ? o1->tree : o0->tree; /* r1 = 0 without order 1 */
    uint32_t cnt1[256], cnt0[256];
    if (o1) {
        n1 = o1->tree[1];
        d1 = o1->distinct;
    }
    for (int i = 0; i < nlist; i++) {
        int c = list[i];
        cnt1[i] = t1[256 + c];
        cnt0[i] = o0->tree[256 + c];
        n1 -= cnt1[i];
        d1 -= (uint32_t)(cnt1[i] != 0);
        n0 -= cnt0[i];
        d0 -= (uint32_t)(cnt0[i] != 0);
    }
    uint64_t r1 = 0, r0 = 0;
    if (o1 && d1) {
        r1 = ((uint64_t)mass << R_SHIFT) / (n1 + d1);
        mass = (uint32_t)((d1 * r1) >> R_SHIFT);
    }

    /* Change from the paper's program: order 0 does not exclude the bytes
     * order 1 saw, so that order 0 is one tree for every context and no byte
     * needs a correction entry; the output is smaller too, on nearly every
     * file and on none much larger. */
    if (d0) {
        r0 = ((uint64_t)mass << R_SHIFT) / (n0 + d0);
        mass = (uint32_t)((d0 * r0) >> R_SHIFT);
    }

    /* Order -1: what is left goes evenly to the bytes order 0 never saw. */
    uint32_t unseen = 256 - o0->distinct;
    MDC_ASSERT(o0->distinct <= 256);

    /* The trees give every byte r1 * its order-1 count + r0 * its order-0
     * count; the entries of orders 2-4 take that back from the bytes they
     * excluded. The listed bytes are distinct and come first. */
    dist_begin(dist, t1, o0->tree, m->o0_seen, r1, r0,
               unseen ? ((uint64_t)mass << R_SHIFT) / unseen : 0);
    for (int i = 0; i < nlist; i++)
        /* each product < 2^30 * 2^24: no term overflows */
        dist_append(dist, list[i], (int64_t)share[i] - (int64_t)(r1 * cnt1[i]) -
                                       (int64_t)(r0 * cnt0[i]));
}

/* One more `byte` in `row`, along its path in the sum tree; `seen` (order
 * 0's) learns new bytes. Counts stop at 65535: all are halved first,
 * rounding up, so a seen byte stays seen. Returns 1 if it halved them. */
static int count(ppm_row *row, uint16_t *seen, int byte)
{
    uint32_t *t = row->tree;
    int halve = t[256 + byte] == 0xFFFF;
    if (halve) {
        for (int c = 0; c < 256; c++)
            t[256 + c] = (t[256 + c] + 1) >> 1;
        for (int k = 255; k >= 1; k--)
            t[k] = t[2 * k] + t[2 * k + 1];
    }
    if (t[256 + byte] == 0) {
        row->distinct++;
        for (int k = 256 + byte; seen && k; k >>= 1)
            seen[k]++;
    }
    for (int k = 256 + byte; k; k >>= 1)
        t[k]++;
    return halve;
}

void ppm_update(ppm_model *m, uint64_t hist, int avail, int byte)
{
    for (int k = 2; k <= PPM_MAX_ORDER; k++)
        if (avail >= k && m->slot[k])
            ctxslot_add(m->slot[k], byte);
    if (avail >= 1)
        count(&m->o1[hist & 0xff], NULL, byte);
    if (count(&m->o0, m->o0_seen, byte))
        m->o0_max = (m->o0_max + 1) >> 1; /* halving keeps the largest the largest */
    if (m->o0.tree[256 + byte] > m->o0_max)
        m->o0_max = m->o0.tree[256 + byte];
}

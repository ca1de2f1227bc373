#include "highctx.h"

#include <string.h>

static inline uint64_t order_hash(uint64_t hist, int order)
{
    return mdc_ctx_hash(hist, 0, order, 0x4843u);
}

/* The context hashes of `hist` for the model's orders (a pure function of
 * it): highctx_prefetch computes them and highctx_predict finds them ready. */
static void hash_orders(highctx_model *m, uint64_t hist)
{
    m->hashed = hist;
    for (int k = m->min_order; k <= m->max_order; k += m->step)
        m->hash[k] = order_hash(hist, k);
}

size_t highctx_size(size_t table_bytes)
{
    return ctxtab_size(table_bytes);
}

int highctx_init(highctx_model *m, size_t table_bytes, int max_order, int step)
{
    memset(m, 0, sizeof(*m));
    m->min_order = HIGHCTX_MIN_ORDER;
    m->max_order = max_order;
    m->step = step;
    hash_orders(m, 0);
    return ctxtab_init(&m->tab, table_bytes);
}

void highctx_free(highctx_model *m)
{
    ctxtab_free(&m->tab);
}

void highctx_prefetch(highctx_model *m, uint64_t hist, int avail)
{
    hash_orders(m, hist);
    for (int k = m->min_order; k <= m->max_order && k <= avail; k += m->step)
        ctxtab_prefetch(&m->tab, m->hash[k]);
}

void highctx_predict(highctx_model *m, uint64_t hist, int avail)
{
    m->pred = NULL;
    m->confidence = 0;
    if (hist != m->hashed)
        hash_orders(m, hist);
    for (int k = m->max_order; k >= m->min_order; k -= m->step) {
        m->slot[k] = NULL;
        if (avail < k)
            continue;
        ctx_slot *s = ctxtab_get(&m->tab, m->hash[k]);
        m->slot[k] = s;
        if (m->pred || s->total < 4)
            continue;
        uint64_t n = s->total;
        uint64_t conf = ((n - 4) << 16) / (n + 8) * (uint64_t)(4 + (k - HIGHCTX_MIN_ORDER)) / 10;
        m->pred = s;
        m->confidence = (uint32_t)conf;
    }
}

void highctx_update(highctx_model *m, int byte)
{
    for (int k = m->min_order; k <= m->max_order; k += m->step)
        if (m->slot[k])
            ctxslot_add(m->slot[k], byte);
}

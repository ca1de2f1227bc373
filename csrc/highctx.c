#include "highctx.h"

#include <string.h>

/* The context hashes of the model's orders of `hist`. */
static inline const uint64_t *order_hashes(highctx_model *m, uint64_t hist)
{
    return ctx_hashes_of(&m->hashes, hist, m->min_order, m->max_order, m->step, 0x4843u);
}

size_t highctx_size(size_t table_bytes)
{
    return ctxtab_size(table_bytes);
}

int highctx_init(highctx_model *m, size_t table_bytes, int max_order, int step, int huge_pages)
{
    memset(m, 0, sizeof(*m));
    m->min_order = HIGHCTX_MIN_ORDER;
    m->max_order = max_order;
    m->step = step;
    return ctxtab_init(&m->tab, table_bytes, huge_pages);
}

void highctx_free(highctx_model *m)
{
    ctxtab_free(&m->tab);
}

void highctx_prefetch(highctx_model *m, uint64_t hist, int avail)
{
    const uint64_t *hash = order_hashes(m, hist);
    for (int k = m->min_order; k <= m->max_order && k <= avail; k += m->step)
        ctxtab_prefetch(&m->tab, hash[k]);
}

void highctx_predict(highctx_model *m, uint64_t hist, int avail)
{
    m->pred = NULL;
    m->confidence = 0;
    const uint64_t *hash = order_hashes(m, hist);
    for (int k = m->max_order; k >= m->min_order; k -= m->step) {
        m->slot[k] = NULL;
        if (avail < k)
            continue;
        ctx_slot *s = ctxtab_get(&m->tab, hash[k]);
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

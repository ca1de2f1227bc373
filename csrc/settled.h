/*
 * settled — the short path of a settled node (the full model, with the
 * mixer on).
 *
 * A node is settled when the blend (stages 1-4) gives its less likely half
 * under SETTLED_BLEND and an agreeing model, a binary context model the
 * engine chooses, gives that half under SETTLED_AGREE as well. A settled
 * node skips the calibrator, the other binary context models, the mixers
 * and the final map: its P(right) is a map (apm.h) of the blend's alone, by
 * node and match state, and only that map and the agreeing model learn its
 * bit.
 *
 * Why: in the high bits of ASCII text, the rest of a word whose contexts
 * allow one continuation, or a table's repeated fields, the full path can
 * gain almost nothing, and such nodes are a large share of most inputs.
 * The agreement is what makes the shortcut cheap in size:
 * on the blend alone, even a much lower threshold costs more than the
 * shortcut saves elsewhere.
 *
 * Scales: P and the thresholds are 16-bit fractions (65536 = 1); the
 * agreeing model's P never goes below about 264 (binctx.h), so
 * SETTLED_AGREE sits a little above its floor.
 *
 * Memory: the map, 256 nodes x MATCH_STATES contexts (apm_size).
 */
#ifndef MDC_SETTLED_H
#define MDC_SETTLED_H

#include "apm.h"
#include "binctx.h"
#include "match.h"

#define SETTLED_BLEND 256
#define SETTLED_AGREE 1024
#define SETTLED_CONTEXTS (256 * MATCH_STATES)

typedef struct {
    apm map;        /* by node and match state */
    uint8_t on[8];  /* per level: the node took the short path */
    uint64_t nodes; /* nodes that took it (8 a byte at most: wraps after 2^61
                       bytes, out of reach; diagnostics) */
} settled_path;

int settled_init(settled_path *s);
void settled_free(settled_path *s);
/* Bytes settled_init allocates. */
size_t settled_size(void);

/* Whether the node (heap index) at `level` is settled, given the blend's
 * P(right) and the agreeing model `agree` (read only if the blend is
 * sure enough); remembered for settled_update. */
static MDC_INLINE int settled_test(settled_path *s, binctx *agree, int level, int node,
                                   uint32_t blend)
{
    int right = blend >= 32768;
    s->on[level] = 0;
    if ((right ? MDC_P_ONE - blend : blend) >= SETTLED_BLEND)
        return 0;
    uint32_t p = binctx_p(agree, level, node);
    if ((right ? MDC_P_ONE - p : p) >= SETTLED_AGREE)
        return 0;
    s->on[level] = 1;
    return 1;
}

/* A settled node's coded P(right), in match state `match_state`. */
static MDC_INLINE uint32_t settled_p(settled_path *s, const stretch_table *st, int level,
                                     int node, uint32_t match_state, uint32_t blend)
{
    return clamp_p(apm_p(&s->map, st, level, blend, (uint32_t)node * MATCH_STATES + match_state));
}

/* If the node at `level` took the short path, its map and `agree` learn
 * the bit and it returns 1; else 0, and the full path learns it. */
static MDC_INLINE int settled_update(settled_path *s, binctx *agree, int level, int bit)
{
    if (!s->on[level])
        return 0;
    s->nodes++;
    apm_update(&s->map, level, bit);
    binctx_update(agree, level, bit);
    return 1;
}

/* Nodes that took the short path so far. */
static inline uint64_t settled_count(const settled_path *s)
{
    return s->nodes;
}

#endif

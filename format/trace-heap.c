/* trace-heap.c — the heap snapshot's rules (FORMAT.md §4.4): the block a
 * value points into, what a snapshot to write must satisfy, and the decoder
 * of a snapshot chunk's payload, which trusts nothing in it.
 *
 * SPDX-License-Identifier: MIT
 */
#include "trace-heap.h"
#include "trace-private.h"

#include <stdlib.h>

uint32_t trace_heap_find(const uint64_t *addr, const uint64_t *size, uint32_t nblocks, uint64_t value)
{
    /* The last block that starts at or before value: the only candidate,
     * as blocks do not overlap. */
    uint32_t lo = 0, hi = nblocks;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (addr[mid] <= value)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return UINT32_MAX;
    return trace_heap_points_into(addr[lo - 1], size[lo - 1], value) ? lo - 1 : UINT32_MAX;
}

/* Whether blocks i-1 and i are in order and apart (i > 0). */
static bool blocks_ordered(uint64_t prev_addr, uint64_t prev_size, uint64_t addr)
{
    return addr > prev_addr && addr - prev_addr >= prev_size;
}

const char *trace_heap_check(const trace_heap_graph *s)
{
    if (s->label_len > TRACE_HEAP_LABEL_MAX)
        return "label too long";
    if (s->nranges > TRACE_HEAP_RANGES_MAX || s->nblocks > TRACE_HEAP_BLOCKS_MAX || s->nroots > TRACE_HEAP_ROOTS_MAX ||
        s->nedges > TRACE_HEAP_EDGES_MAX)
        return "a count exceeds its limit";
    for (uint32_t i = 0; i < s->nranges; i++) {
        const trace_heap_range *g = &s->ranges[i];
        if (g->kind < TRACE_ROOT_MODULE || g->kind > TRACE_ROOT_MAPPED || g->start % 8 || g->start + g->size < g->start)
            return "bad range";
    }
    for (uint32_t i = 0; i < s->nblocks; i++) {
        if (s->addr[i] + s->size[i] < s->addr[i])
            return "block overflows";
        if (i && !blocks_ordered(s->addr[i - 1], s->size[i - 1], s->addr[i]))
            return "blocks out of order or overlapping";
    }
    for (uint32_t i = 0; i < s->nroots; i++) {
        const trace_heap_root *r = &s->roots[i];
        if (r->range >= s->nranges || r->to >= s->nblocks)
            return "root names no range or block";
        const trace_heap_range *g = &s->ranges[r->range];
        if (r->address % 8 || r->address < g->start || (r->address - g->start) / 8 >= g->size / 8)
            return "root outside its range";
        if (i && (r->range < s->roots[i - 1].range ||
                  (r->range == s->roots[i - 1].range && r->address <= s->roots[i - 1].address)))
            return "roots out of order";
        if (!trace_heap_points_into(s->addr[r->to], s->size[r->to], r->value))
            return "root does not point into its block";
    }
    for (uint32_t i = 0; i < s->nedges; i++) {
        const trace_heap_edge *d = &s->edges[i];
        if (d->from >= s->nblocks || d->to >= s->nblocks)
            return "edge names no block";
        if (d->word >= trace_heap_words(s->addr[d->from], s->size[d->from]))
            return "edge outside its block";
        if (i && (d->from < s->edges[i - 1].from || (d->from == s->edges[i - 1].from && d->word <= s->edges[i - 1].word)))
            return "edges out of order";
        if (!trace_heap_points_into(s->addr[d->to], s->size[d->to], d->value))
            return "edge does not point into its block";
    }
    return NULL;
}

void trace_heap_snapshot_free(trace_heap_graph *s)
{
    if (!s)
        return;
    free(s->addr);
    free(s->size);
    free(s->ranges);
    free(s->roots);
    free(s->edges);
    free(s);
}

#define FAIL(msg)        \
    do {                 \
        *what = msg;     \
        *at = p;         \
        return false;    \
    } while (0)
#define GET(v, msg)                          \
    do {                                     \
        if (!trace_get_varint(&p, e, &(v)))  \
            FAIL(msg);                       \
    } while (0)

/* The n varints of one record. */
static bool get_fields(const uint8_t **p, const uint8_t *e, uint64_t *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!trace_get_varint(p, e, &v[i]))
            return false;
    return true;
}

/* A word index of a root or edge record: strictly increasing within its
 * range or block (FORMAT.md §4.4). */
static bool step_word(bool same, uint64_t coded, uint64_t prev, uint64_t *word)
{
    if (!same) {
        *word = coded;
        return true;
    }
    *word = prev + 1 + coded;
    return *word > prev;
}

/* The target block and value of a root or edge: target is zigzag of a
 * block index minus `base`. */
static bool take_target(const trace_heap_graph *s, uint64_t base, uint64_t z, uint64_t offset, uint32_t *to,
                        uint64_t *value)
{
    uint64_t t = base + (uint64_t)trace_unzigzag(z);
    if (t >= s->nblocks)
        return false;
    uint64_t sz = s->size[t];
    if (sz ? offset >= sz : offset != 0)
        return false;
    *to = (uint32_t)t;
    *value = s->addr[t] + offset;
    return true;
}

bool trace_heap_decode(const uint8_t *p, const uint8_t *e, trace_heap_graph *s, const uint8_t **at,
                       const char **what)
{
    uint64_t thread, flags, len, nranges, nblocks, nroots, nedges, unreadable;
    GET(thread, "malformed snapshot header");
    GET(flags, "malformed snapshot header");
    GET(len, "malformed snapshot header");
    if (len > TRACE_HEAP_LABEL_MAX || len > (uint64_t)(e - p))
        FAIL("snapshot label length out of range");
    memcpy(s->label, p, len);
    s->label[len] = '\0';
    s->label_len = (uint32_t)len;
    p += len;
    GET(nranges, "malformed snapshot header");
    GET(nblocks, "malformed snapshot header");
    GET(nroots, "malformed snapshot header");
    GET(nedges, "malformed snapshot header");
    GET(unreadable, "malformed snapshot header");
    if (thread > UINT32_MAX || nranges > TRACE_HEAP_RANGES_MAX || nblocks > TRACE_HEAP_BLOCKS_MAX ||
        nroots > TRACE_HEAP_ROOTS_MAX || nedges > TRACE_HEAP_EDGES_MAX)
        FAIL("snapshot count exceeds its limit");
    /* Each record takes at least one byte a field: no allocation beyond
     * what the payload can hold. */
    if (5 * nranges + 2 * nblocks + 4 * nroots + 4 * nedges > (uint64_t)(e - p))
        FAIL("snapshot counts exceed the payload");
    s->thread = (uint32_t)thread;
    s->flags = (uint32_t)flags;
    s->unreadable = unreadable;
    s->nranges = (uint32_t)nranges;
    s->nblocks = (uint32_t)nblocks;
    s->nroots = (uint32_t)nroots;
    s->nedges = (uint32_t)nedges;
    s->addr = malloc((nblocks ? nblocks : 1) * sizeof *s->addr);
    s->size = malloc((nblocks ? nblocks : 1) * sizeof *s->size);
    s->ranges = malloc((nranges ? nranges : 1) * sizeof *s->ranges);
    s->roots = malloc((nroots ? nroots : 1) * sizeof *s->roots);
    s->edges = malloc((nedges ? nedges : 1) * sizeof *s->edges);
    if (!s->addr || !s->size || !s->ranges || !s->roots || !s->edges)
        FAIL(NULL); /* out of memory: the caller tells */

    for (uint32_t i = 0; i < s->nranges; i++) {
        uint64_t v[5];
        if (!get_fields(&p, e, v, 5))
            FAIL("malformed range");
        uint64_t kind = v[0], th = v[1], bias = v[2], start = v[3], size = v[4];
        if (kind < TRACE_ROOT_MODULE || kind > TRACE_ROOT_MAPPED)
            FAIL("unknown range kind");
        if (th > UINT32_MAX || start % 8 || start + size < start)
            FAIL("range out of bounds");
        s->ranges[i] = (trace_heap_range){ (uint32_t)kind, (uint32_t)th, bias, start, size };
    }
    uint64_t end = 0;
    for (uint32_t i = 0; i < s->nblocks; i++) {
        uint64_t gap, size;
        GET(gap, "malformed block");
        GET(size, "malformed block");
        uint64_t a = end + gap;
        if (a < end || a + size < a)
            FAIL("block address overflows");
        if (i && !blocks_ordered(s->addr[i - 1], s->size[i - 1], a))
            FAIL("blocks out of order");
        s->addr[i] = a;
        s->size[i] = size;
        end = a + size;
    }
    uint64_t range = 0, word = 0, target = 0;
    for (uint32_t i = 0; i < s->nroots; i++) {
        uint64_t v[4];
        if (!get_fields(&p, e, v, 4))
            FAIL("malformed root");
        uint64_t step = v[0], w = v[1], z = v[2], off = v[3];
        if (step >= s->nranges || range + step >= s->nranges)
            FAIL("root names no range");
        range += step;
        if (!step_word(i && step == 0, w, word, &word))
            FAIL("root words out of order");
        const trace_heap_range *g = &s->ranges[range];
        if (word >= g->size / 8)
            FAIL("root word outside its range");
        trace_heap_root *r = &s->roots[i];
        if (!take_target(s, target, z, off, &r->to, &r->value))
            FAIL("root points into no block");
        target = r->to;
        r->kind = g->kind;
        r->range = (uint32_t)range;
        r->address = g->start + 8 * word;
        r->module_or_thread = g->kind == TRACE_ROOT_MODULE || g->kind == TRACE_ROOT_MAPPED ? (uint32_t)range : g->thread;
        r->offset_or_address = g->kind == TRACE_ROOT_MODULE ? r->address - g->bias : r->address;
    }
    uint64_t from = 0;
    word = 0;
    for (uint32_t i = 0; i < s->nedges; i++) {
        uint64_t v[4];
        if (!get_fields(&p, e, v, 4))
            FAIL("malformed edge");
        uint64_t step = v[0], w = v[1], z = v[2], off = v[3];
        if (step >= s->nblocks || from + step >= s->nblocks)
            FAIL("edge names no block");
        from += step;
        if (!step_word(i && step == 0, w, word, &word))
            FAIL("edge words out of order");
        if (word >= trace_heap_words(s->addr[from], s->size[from]) || word > UINT32_MAX)
            FAIL("edge word outside its block");
        trace_heap_edge *d = &s->edges[i];
        d->from = (uint32_t)from;
        d->word = (uint32_t)word;
        if (!take_target(s, from, z, off, &d->to, &d->value))
            FAIL("edge points into no block");
    }
    if (p != e)
        FAIL("trailing bytes after the last edge");
    return true;
}

/* trace-summary.c — an events chunk's summary: its segments, its coding
 * and its checks (FORMAT.md §4.1.3), for the writer and the reader.
 *
 * SPDX-License-Identifier: MIT
 */
#include "trace-summary.h"
#include "trace-private.h"

#include <string.h>

/* Where the writer cuts a chunk's granules into segments: a first
 * picture drawn from the summaries (the viewer's, `export`'s) shows each
 * segment as the range of its thread's heap over its time, so the cuts go
 * where they narrow that most. Starting from one segment, each cut splits
 * the segment of the longest time (of two granules or more): at its
 * longest pause between two granules when that is a quarter of its time or
 * more (a thread that waited: its heap stands still there, and the pause
 * then lies between two segments), else at the granule nearest the middle
 * of its time. */
static void cut_points(const trace_summary_granule *g, uint32_t ngran, uint32_t nseg, uint32_t *cut)
{
    uint32_t n = 1;
    cut[0] = 0;
    cut[1] = ngran; /* segment k: granules [cut[k], cut[k + 1]) */
    while (n < nseg) {
        uint32_t best = UINT32_MAX;
        uint64_t span = 0;
        for (uint32_t k = 0; k < n; k++) {
            uint64_t t = g[cut[k + 1] - 1].last_ts - g[cut[k]].first_ts;
            if (cut[k + 1] - cut[k] >= 2 && (best == UINT32_MAX || t > span)) {
                best = k;
                span = t;
            }
        }
        if (best == UINT32_MAX)
            break;
        uint32_t lo = cut[best], hi = cut[best + 1], at = lo + 1;
        uint64_t pause = 0, mid = g[lo].first_ts + span / 2, near = UINT64_MAX;
        uint32_t at_mid = lo + 1;
        for (uint32_t i = lo + 1; i < hi; i++) {
            uint64_t p = g[i].first_ts - g[i - 1].last_ts;
            if (p > pause) {
                pause = p;
                at = i;
            }
            uint64_t d = g[i].first_ts > mid ? g[i].first_ts - mid : mid - g[i].first_ts;
            if (d < near) {
                near = d;
                at_mid = i;
            }
        }
        if (pause < span / 4)
            at = at_mid;
        memmove(&cut[best + 2], &cut[best + 1], (size_t)(n - best) * sizeof *cut);
        cut[best + 1] = at;
        n++;
    }
    for (uint32_t k = n; k < nseg; k++)
        cut[k + 1] = ngran;
}

void trace_summary_segments(trace_chunk_summary *s, const trace_summary_granule *g, uint32_t ngran,
                            uint32_t count)
{
    uint32_t nseg = ngran < TRACE_SUMMARY_SEGMENTS ? ngran : TRACE_SUMMARY_SEGMENTS;
    uint32_t cut[TRACE_SUMMARY_SEGMENTS + 1];
    cut_points(g, ngran, nseg, cut);
    s->nsegments = nseg;
    for (uint32_t k = 0; k < nseg; k++) {
        uint32_t lo = cut[k], hi = cut[k + 1];
        trace_segment_summary *o = &s->seg[k];
        o->first_ts = g[lo].first_ts;
        o->last_ts = g[hi - 1].last_ts;
        uint32_t end = hi == ngran ? count : g[hi].first;
        o->events = end - g[lo].first;
        o->heap_end = g[hi - 1].heap_end;
        o->res_end = g[hi - 1].res_end;
        o->heap_min = o->heap_max = g[lo].heap_min;
        o->res_min = o->res_max = g[lo].res_min;
        for (uint32_t i = lo; i < hi; i++) {
            o->heap_min = g[i].heap_min < o->heap_min ? g[i].heap_min : o->heap_min;
            o->heap_max = g[i].heap_max > o->heap_max ? g[i].heap_max : o->heap_max;
            o->res_min = g[i].res_min < o->res_min ? g[i].res_min : o->res_min;
            o->res_max = g[i].res_max > o->res_max ? g[i].res_max : o->res_max;
        }
    }
}

/* The event kinds a summary may count (those of the table). */
#define SUMMARY_KIND(sym, id, name, fields) | 1u << id
static const uint32_t summary_kinds = 0u TRACE_EVENT_KINDS(SUMMARY_KIND, );
#undef SUMMARY_KIND
#define SUMMARY_KIND_MAX_(sym, id, name, fields) +(id >= 16)
_Static_assert((0u TRACE_EVENT_KINDS(SUMMARY_KIND_MAX_, )) == 0u, "kind_counts has 16 entries");
#undef SUMMARY_KIND_MAX_

/* The three values of a running delta in a segment: its end from the
 * value it starts with, and how far its lowest and highest lie beyond. */
static uint8_t *put_range(uint8_t *o, int64_t start, int64_t end, int64_t min, int64_t max)
{
    o += trace_put_varint(o, trace_zigzag((int64_t)((uint64_t)end - (uint64_t)start)));
    o += trace_put_varint(o, (uint64_t)(start < end ? start : end) - (uint64_t)min);
    o += trace_put_varint(o, (uint64_t)max - (uint64_t)(start > end ? start : end));
    return o;
}

size_t trace_summary_encode(const trace_chunk_summary *s, uint64_t first, uint8_t *out)
{
    uint8_t *o = out;
    o += trace_put_varint(o, s->heap_known ? 1u : 0u);
    uint32_t mask = 0;
    for (uint32_t k = 0; k < 16; k++)
        if (s->kind_counts[k])
            mask |= 1u << k;
    o += trace_put_varint(o, mask);
    for (uint32_t k = 0; k < 16; k++)
        if (s->kind_counts[k])
            o += trace_put_varint(o, s->kind_counts[k]);
    o += trace_put_varint(o, s->alloc_bytes);
    o += trace_put_varint(o, s->released_bytes);
    o += trace_put_varint(o, s->unknown_releases);
    o += trace_put_varint(o, s->nsegments);
    uint64_t prev = first;
    int64_t heap = 0, res = 0;
    for (uint32_t i = 0; i < s->nsegments; i++) {
        const trace_segment_summary *g = &s->seg[i];
        o += trace_put_varint(o, g->events);
        o += trace_put_varint(o, g->first_ts - prev);
        o += trace_put_varint(o, g->last_ts - g->first_ts);
        o = put_range(o, heap, g->heap_end, g->heap_min, g->heap_max);
        o = put_range(o, res, g->res_end, g->res_min, g->res_max);
        prev = g->last_ts;
        heap = g->heap_end;
        res = g->res_end;
    }
    return (size_t)(o - out);
}

/* A segment's end, lowest and highest from the value it starts with; false
 * when one of them would pass the range of int64_t. */
static bool get_range(const uint8_t **p, const uint8_t *e, int64_t start, int64_t *end, int64_t *min,
                      int64_t *max)
{
    uint64_t z, below, above;
    if (!trace_get_varint(p, e, &z) || !trace_get_varint(p, e, &below) || !trace_get_varint(p, e, &above))
        return false;
    if (below > INT64_MAX || above > INT64_MAX)
        return false;
    if (__builtin_add_overflow(start, trace_unzigzag(z), end))
        return false;
    int64_t lo = start < *end ? start : *end, hi = start > *end ? start : *end;
    return !__builtin_sub_overflow(lo, (int64_t)below, min) && !__builtin_add_overflow(hi, (int64_t)above, max);
}

bool trace_summary_decode(const uint8_t *p, size_t len, uint64_t first, uint64_t last, uint32_t count,
                          uint64_t unit, trace_chunk_summary *out, const char **why)
{
    const uint8_t *e = p + len;
    memset(out, 0, sizeof *out);
    *why = "summary is cut short";
    uint64_t flags, mask, v;
    if (!trace_get_varint(&p, e, &flags) || !trace_get_varint(&p, e, &mask))
        return false;
    if (mask & ~(uint64_t)summary_kinds)
        return *why = "summary counts an unknown event kind", false;
    uint64_t total = 0;
    for (uint32_t k = 0; k < 16; k++) {
        if (!(mask >> k & 1))
            continue;
        if (!trace_get_varint(&p, e, &v))
            return false;
        if (v == 0 || v > count)
            return *why = "summary's kind counts are out of range", false;
        out->kind_counts[k] = (uint32_t)v;
        total += v;
    }
    if (total != count)
        return *why = "summary's kind counts do not add up to the chunk's count", false;
    uint64_t unknown, nseg;
    if (!trace_get_varint(&p, e, &out->alloc_bytes) || !trace_get_varint(&p, e, &out->released_bytes) ||
        !trace_get_varint(&p, e, &unknown) || !trace_get_varint(&p, e, &nseg))
        return false;
    out->heap_known = flags & 1;
    uint64_t releases = (uint64_t)out->kind_counts[TRACE_ALLOC] + out->kind_counts[TRACE_FREE] +
                        out->kind_counts[TRACE_REALLOC];
    if (unknown > releases || (out->heap_known && unknown))
        return *why = "summary's unknown releases are out of range", false;
    out->unknown_releases = (uint32_t)unknown;
    if (!out->kind_counts[TRACE_ALLOC] && !out->kind_counts[TRACE_REALLOC] && out->alloc_bytes)
        return *why = "summary has allocated bytes without an allocation", false;
    if (nseg < 1 || nseg > TRACE_SUMMARY_SEGMENTS)
        return *why = "summary's segment count is out of range", false;
    out->nsegments = (uint32_t)nseg;
    uint64_t prev = first, events = 0;
    int64_t heap = 0, res = 0;
    for (uint32_t i = 0; i < nseg; i++) {
        trace_segment_summary *g = &out->seg[i];
        uint64_t n, gap, span;
        if (!trace_get_varint(&p, e, &n) || !trace_get_varint(&p, e, &gap) || !trace_get_varint(&p, e, &span))
            return false;
        if (n == 0 || n > count - events)
            return *why = "summary's segments do not add up to the chunk's count", false;
        events += n;
        g->events = (uint32_t)n;
        if (gap > last - prev || span > last - prev - gap)
            return *why = "summary's segment times are outside the chunk's", false;
        g->first_ts = prev + gap;
        g->last_ts = g->first_ts + span;
        if ((i == 0 && g->first_ts != first) || (i + 1 == nseg && g->last_ts != last))
            return *why = "summary's segment times are outside the chunk's", false;
        prev = g->last_ts;
        if (!get_range(&p, e, heap, &g->heap_end, &g->heap_min, &g->heap_max) ||
            !get_range(&p, e, res, &g->res_end, &g->res_min, &g->res_max))
            return *why = "summary's heap or resource values are out of range", false;
        heap = g->heap_end;
        res = g->res_end;
        g->first_ts *= unit;
        g->last_ts *= unit;
    }
    if (events != count)
        return *why = "summary's segments do not add up to the chunk's count", false;
    /* Every event adds its allocation and takes its known release. */
    if ((uint64_t)heap != out->alloc_bytes - out->released_bytes)
        return *why = "summary's heap differs from its allocated less released bytes", false;
    if (res != (int64_t)out->kind_counts[TRACE_RES_OPEN] - (int64_t)out->kind_counts[TRACE_RES_CLOSE])
        return *why = "summary's resources differ from its opens less closes", false;
    out->present = true;
    return true;
}

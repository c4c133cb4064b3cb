/* timeline-exact.c — the decoded window behind "zoomed in, the exact steps".
 *
 * A free event does not say how many bytes it released; the build kept that
 * number for every free and realloc in one varint stream, in the analysis'
 * global order, with the stream offset and the heap at every base bucket
 * boundary. To replay buckets [b0, b1] we take their events through the
 * analysis' own merged cursor (merge.h), so in the analysis' order, and
 * apply each allocation, free and realloc to the heap entering b0. The replay checks
 * itself: it must land on the heap and stream offset recorded at the end of
 * b1, or the window is refused and the caller draws buckets.
 *
 * SPDX-License-Identifier: MIT
 */
#include "timeline-private.h"
#include "merge.h"
#include "trace-index.h"

#include <stdlib.h>
#include <string.h>

#define RAW_BUDGET (64u * 1024u * 1024u) /* decompressed bytes decoded at once */

uint64_t timeline_decodes(const timeline *tl) { return tl->win.decodes; }

void tl_window_clear(tl_window *w)
{
    free(w->ts);
    free(w->heap);
    free(w->alloc);
    free(w->ev_ts);
    free(w->ev_lane);
    memset(w, 0, sizeof *w);
}

static bool push_step(tl_window *w, uint64_t ts, uint64_t heap, uint64_t alloc)
{
    if (w->n == w->cap) {
        uint32_t nc = w->cap ? w->cap * 2 : 4096;
        uint64_t *a = realloc(w->ts, (size_t)nc * sizeof *a);
        if (!a)
            return false;
        w->ts = a;
        uint64_t *b = realloc(w->heap, (size_t)nc * sizeof *b);
        if (!b)
            return false;
        w->heap = b;
        uint64_t *c = realloc(w->alloc, (size_t)nc * sizeof *c);
        if (!c)
            return false;
        w->alloc = c;
        w->cap = nc;
    }
    w->ts[w->n] = ts;
    w->alloc[w->n] = alloc;
    w->heap[w->n++] = heap;
    return true;
}

static bool push_event(tl_window *w, uint64_t ts, uint8_t lane)
{
    if (w->nev == w->ev_cap) {
        uint32_t nc = w->ev_cap ? w->ev_cap * 2 : 4096;
        uint64_t *a = realloc(w->ev_ts, (size_t)nc * sizeof *a);
        if (!a)
            return false;
        w->ev_ts = a;
        uint8_t *b = realloc(w->ev_lane, nc);
        if (!b)
            return false;
        w->ev_lane = b;
        w->ev_cap = nc;
    }
    w->ev_ts[w->nev] = ts;
    w->ev_lane[w->nev++] = lane;
    return true;
}

/* The lane of thread tid, as the build gave it (timeline.c lane_of): the
 * last lane holds the threads past TIMELINE_MAX_THREADS - 1. */
static uint8_t lane_of_tid(const timeline *tl, uint32_t tid)
{
    for (uint32_t i = 0; i < tl->nlanes; i++)
        if (tl->lane_tid[i] == tid)
            return (uint8_t)i;
    return (uint8_t)(tl->nlanes ? tl->nlanes - 1 : 0);
}

/* Whether replaying base buckets [b0, b1] stays within the chunks' budget:
 * what the window may cost is the chunks that meet it. */
static bool replay_fits(const timeline *tl, uint32_t b0, uint32_t b1)
{
    uint64_t ws = tl_bucket_start(tl, b0);
    uint64_t we = b1 + 1 < tl->nb ? tl_bucket_start(tl, b1 + 1) - 1 : UINT64_MAX;
    uint32_t nc = 0;
    uint64_t raw = 0;
    for (uint32_t i = 0; i < tl->nchunks && tl->chunks[i].first_ts <= we; i++) {
        if (tl->chunks[i].last_ts < ws)
            continue;
        raw += tl->chunks[i].raw_size;
        if (++nc > TL_EXACT_MAX_CHUNKS || raw > RAW_BUDGET)
            return false;
    }
    return true;
}

/* Replays base buckets [b0, b1] into tl->win. */
static bool replay(timeline *tl, uint32_t b0, uint32_t b1)
{
    tl_window *w = &tl->win;
    uint64_t ws = tl_bucket_start(tl, b0);
    uint64_t we = b1 + 1 < tl->nb ? tl_bucket_start(tl, b1 + 1) - 1 : UINT64_MAX;
    if (!replay_fits(tl, b0, b1))
        return false;
    w->decodes++;
    ls_merge *m = ls_index_cursor(tl->a->index, ws, we);
    if (!m)
        return false;
    w->n = w->nev = 0;
    w->begin = ws;
    w->end = we;
    w->enter = b0 ? tl->last[b0 - 1] : 0;
    uint64_t heap = w->enter, pos = tl->stream_off[b0];
    bool ok = false;
    trace_event ev;
    trace_status st;
    while ((st = ls_merge_next(m, &ev)) == TRACE_OK) {
        if (w->nev >= TIMELINE_EXACT_MAX_EVENTS || !push_event(w, ev.ts, lane_of_tid(tl, ev.thread)))
            goto out;
        if (ev.kind != TRACE_ALLOC && ev.kind != TRACE_FREE && ev.kind != TRACE_REALLOC)
            continue;
        uint64_t released = 0;
        if (ev.kind != TRACE_ALLOC && !tl_stream_read(tl, &pos, &released))
            goto out;
        heap += (ev.kind == TRACE_FREE ? 0 : ev.size) - released;
        if (w->n >= TIMELINE_EXACT_MAX_EVENTS || !push_step(w, ev.ts, heap, ev.kind == TRACE_FREE ? 0 : ev.size))
            goto out;
    }
    uint64_t want_pos = b1 + 1 < tl->nb ? tl->stream_off[b1 + 1] : tl->stream_len;
    ok = st == TRACE_END && heap == tl->last[b1] && pos == want_pos;
out:
    ls_merge_free(m);
    return ok;
}

bool tl_window_ensure(timeline *tl, uint64_t t0, uint64_t t1)
{
    if (!tl->a->events || t1 < tl->t0 || t0 > tl->t1)
        return false;
    uint32_t b0 = tl_bucket(tl, t0), b1 = tl_bucket(tl, t1);
    tl_window *w = &tl->win;
    uint64_t ws = tl_bucket_start(tl, b0);
    uint64_t need_end = b1 + 1 < tl->nb ? tl_bucket_start(tl, b1 + 1) - 1 : UINT64_MAX;
    if (w->valid && w->begin <= ws && w->end >= need_end)
        return true;
    if (w->failed && w->begin == ws && w->end == need_end)
        return false;
    /* A view with more than a quarter of the window's events: the window
     * could not reach half the view's width past it on each side, and a pan
     * by a few pixels would decode it again. Such a view draws from the
     * buckets. */
    if (tl->ev_prefix[b1 + 1] - tl->ev_prefix[b0] > TIMELINE_EXACT_MAX_EVENTS / 4)
        return false;
    for (uint32_t b = b0; b <= b1; b++)
        if (tl->inexact[b])
            return false;
    /* Widen by up to the view's width on each side so that panning reuses
     * it: bucket by bucket, each side as far as it stays exact and the
     * window within its budget. An inexact bucket beside the view stops
     * that side only (it used to drop the whole margin, and every frame of
     * a pan then decoded its view again). */
    uint32_t span = b1 - b0 + 1, e0 = b0, e1 = b1;
    const uint64_t budget = TIMELINE_EXACT_MAX_EVENTS / 2;
    for (uint32_t k = 0; k < span; k++) {
        bool grew = false;
        if (e0 > 0 && !tl->inexact[e0 - 1] && tl->ev_prefix[e1 + 1] - tl->ev_prefix[e0 - 1] <= budget) {
            e0--;
            grew = true;
        }
        if (e1 + 1 < tl->nb && !tl->inexact[e1 + 1] && tl->ev_prefix[e1 + 2] - tl->ev_prefix[e0] <= budget) {
            e1++;
            grew = true;
        }
        if (!grew)
            break;
    }
    /* Over the chunks' budget (many small chunks): the margin halved until
     * it fits, rather than dropped, so a pan still finds it decoded. */
    while ((e0 != b0 || e1 != b1) && !replay_fits(tl, e0, e1)) {
        e0 = b0 - (b0 - e0) / 2;
        e1 = b1 + (e1 - b1) / 2;
    }
    w->valid = replay(tl, e0, e1);
    if (!w->valid && (e0 != b0 || e1 != b1)) /* the margin failed to replay: the view alone */
        w->valid = replay(tl, b0, b1);
    w->failed = !w->valid;
    if (w->failed) { /* remember the refusal for this view only */
        w->begin = ws;
        w->end = need_end;
    }
    return w->valid;
}

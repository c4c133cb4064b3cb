/* timeline-exact.c — the decoded window behind "zoomed in, the exact steps".
 *
 * A free event does not say how many bytes it released; the build kept that
 * number for every free and realloc in one varint stream, in the analysis'
 * global order, with the stream offset and the heap at every base bucket
 * boundary. To replay buckets [b0, b1] we decode the events chunks that
 * overlap them, merge them exactly as the analysis does (timestamp, then
 * releases first, then chunk order; one cursor per chunk) and apply each
 * allocation, free and realloc to the heap entering b0. The replay checks
 * itself: it must land on the heap and stream offset recorded at the end of
 * b1, or the window is refused and the caller draws buckets.
 *
 * SPDX-License-Identifier: MIT
 */
#include "timeline-private.h"

#include <stdlib.h>
#include <string.h>

#define RAW_BUDGET (64u * 1024u * 1024u) /* decompressed bytes decoded at once */

typedef struct xcursor {
    trace_chunk *chunk;
    trace_event ev;
    uint32_t order;
    bool live;
} xcursor;

void tl_window_clear(tl_window *w)
{
    free(w->ts);
    free(w->heap);
    memset(w, 0, sizeof *w);
}

static bool is_release(uint32_t kind) { return kind == TRACE_FREE || kind == TRACE_RES_CLOSE; }

/* The analysis' merge order (analysis.c cursor_less). */
static bool before(const xcursor *p, const xcursor *q)
{
    if (p->ev.ts != q->ev.ts)
        return p->ev.ts < q->ev.ts;
    bool pr = is_release(p->ev.kind), qr = is_release(q->ev.kind);
    if (pr != qr)
        return pr;
    return p->order < q->order;
}

static bool push_step(tl_window *w, uint64_t ts, uint64_t heap)
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
        w->cap = nc;
    }
    w->ts[w->n] = ts;
    w->heap[w->n++] = heap;
    return true;
}

/* Replays base buckets [b0, b1] into tl->win. */
static bool replay(timeline *tl, uint32_t b0, uint32_t b1)
{
    tl_window *w = &tl->win;
    uint64_t ws = tl_bucket_start(tl, b0);
    uint64_t we = b1 + 1 < tl->nb ? tl_bucket_start(tl, b1 + 1) - 1 : UINT64_MAX;
    xcursor cur[TL_EXACT_MAX_CHUNKS];
    uint32_t nc = 0;
    uint64_t raw = 0;
    bool ok = false;
    for (uint32_t i = 0; i < tl->nchunks && tl->chunks[i].first_ts <= we; i++) {
        const trace_chunk_info *ci = &tl->chunks[i];
        if (ci->last_ts < ws)
            continue;
        raw += ci->raw_size;
        if (nc == TL_EXACT_MAX_CHUNKS || raw > RAW_BUDGET)
            goto out;
        cur[nc] = (xcursor){ .chunk = trace_chunk_new(), .order = i };
        if (!cur[nc].chunk)
            goto out;
        nc++;
        if (trace_chunk_load(cur[nc - 1].chunk, tl->reader, ci) != TRACE_OK)
            goto out;
        trace_status st = trace_chunk_next(cur[nc - 1].chunk, &cur[nc - 1].ev);
        if (st != TRACE_OK && st != TRACE_END)
            goto out;
        cur[nc - 1].live = st == TRACE_OK;
    }
    w->n = 0;
    w->begin = ws;
    w->end = we;
    w->enter = b0 ? tl->last[b0 - 1] : 0;
    uint64_t heap = w->enter, pos = tl->stream_off[b0];
    for (;;) {
        xcursor *top = NULL;
        for (uint32_t i = 0; i < nc; i++)
            if (cur[i].live && (!top || before(&cur[i], top)))
                top = &cur[i];
        if (!top || top->ev.ts > we)
            break;
        const trace_event *ev = &top->ev;
        if (ev->ts >= ws && (ev->kind == TRACE_ALLOC || ev->kind == TRACE_FREE || ev->kind == TRACE_REALLOC)) {
            uint64_t released = 0;
            if (ev->kind != TRACE_ALLOC && !tl_stream_read(tl, &pos, &released))
                goto out;
            heap += (ev->kind == TRACE_FREE ? 0 : ev->size) - released;
            if (w->n >= TIMELINE_EXACT_MAX_EVENTS || !push_step(w, ev->ts, heap))
                goto out;
        }
        trace_status st = trace_chunk_next(top->chunk, &top->ev);
        if (st != TRACE_OK && st != TRACE_END)
            goto out;
        top->live = st == TRACE_OK;
    }
    uint64_t want_pos = b1 + 1 < tl->nb ? tl->stream_off[b1 + 1] : tl->stream_len;
    ok = heap == tl->last[b1] && pos == want_pos;
out:
    for (uint32_t i = 0; i < nc; i++)
        trace_chunk_free(cur[i].chunk);
    return ok;
}

bool tl_window_ensure(timeline *tl, uint64_t t0, uint64_t t1)
{
    if (!tl->reader || !tl->a->events || t1 < tl->t0 || t0 > tl->t1)
        return false;
    uint32_t b0 = tl_bucket(tl, t0), b1 = tl_bucket(tl, t1);
    tl_window *w = &tl->win;
    uint64_t ws = tl_bucket_start(tl, b0);
    uint64_t need_end = b1 + 1 < tl->nb ? tl_bucket_start(tl, b1 + 1) - 1 : UINT64_MAX;
    if (w->valid && w->begin <= ws && w->end >= need_end)
        return true;
    if (w->failed && w->begin == ws && w->end == need_end)
        return false;
    if (tl->ev_prefix[b1 + 1] - tl->ev_prefix[b0] > TIMELINE_EXACT_MAX_EVENTS / 2)
        return false;
    for (uint32_t b = b0; b <= b1; b++)
        if (tl->inexact[b])
            return false;
    /* Widen by the view's width on each side so that panning reuses it. */
    uint32_t span = b1 - b0 + 1;
    uint32_t e0 = b0 > span ? b0 - span : 0;
    uint32_t e1 = tl->nb - 1 - b1 > span ? b1 + span : tl->nb - 1;
    bool wide_ok = tl->ev_prefix[e1 + 1] - tl->ev_prefix[e0] <= TIMELINE_EXACT_MAX_EVENTS / 2;
    for (uint32_t b = e0; wide_ok && b <= e1; b++)
        wide_ok = !tl->inexact[b];
    if (!wide_ok) {
        e0 = b0;
        e1 = b1;
    }
    w->valid = replay(tl, e0, e1);
    w->failed = !w->valid;
    if (w->failed) { /* remember the refusal for this view only */
        w->begin = ws;
        w->end = need_end;
    }
    return w->valid;
}

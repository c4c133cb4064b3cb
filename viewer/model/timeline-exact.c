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

void tl_window_clear(tl_window *w)
{
    free(w->ts);
    free(w->heap);
    memset(w, 0, sizeof *w);
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
    /* What the window may cost: the chunks that meet it. */
    uint32_t nc = 0;
    uint64_t raw = 0;
    for (uint32_t i = 0; i < tl->nchunks && tl->chunks[i].first_ts <= we; i++) {
        if (tl->chunks[i].last_ts < ws)
            continue;
        raw += tl->chunks[i].raw_size;
        if (++nc > TL_EXACT_MAX_CHUNKS || raw > RAW_BUDGET)
            return false;
    }
    ls_merge *m = ls_index_cursor(tl->a->index, ws, we);
    if (!m)
        return false;
    w->n = 0;
    w->begin = ws;
    w->end = we;
    w->enter = b0 ? tl->last[b0 - 1] : 0;
    uint64_t heap = w->enter, pos = tl->stream_off[b0];
    bool ok = false;
    trace_event ev;
    trace_status st;
    while ((st = ls_merge_next(m, &ev)) == TRACE_OK) {
        if (ev.kind != TRACE_ALLOC && ev.kind != TRACE_FREE && ev.kind != TRACE_REALLOC)
            continue;
        uint64_t released = 0;
        if (ev.kind != TRACE_ALLOC && !tl_stream_read(tl, &pos, &released))
            goto out;
        heap += (ev.kind == TRACE_FREE ? 0 : ev.size) - released;
        if (w->n >= TIMELINE_EXACT_MAX_EVENTS || !push_step(w, ev.ts, heap))
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

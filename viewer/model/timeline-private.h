/* timeline-private.h — the timeline's insides, shared by timeline.c (the
 * build), timeline-query.c (range queries) and timeline-exact.c (the decoded
 * window for exact steps). Not part of the model's API.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TIMELINE_PRIVATE_H
#define LEAKSCOPE_TIMELINE_PRIVATE_H

#include "timeline.h"
#include "trace-index.h"
#include "trace-types.h"

#define TL_LEVELS_MAX 20u
#define TL_SIDE_BUCKETS 4096u      /* resources and threads: coarser buckets */
#define TL_EXACT_MAX_CHUNKS 64u    /* chunks one replay of the exact view may decode */

/* One level of the heap's min/max pyramid. */
typedef struct tl_level {
    uint64_t *min, *max;
    uint32_t n;
} tl_level;

/* The decoded window: every heap step in [begin, end]. */
typedef struct tl_window {
    bool valid, failed;        /* failed: this window could not be replayed */
    uint64_t begin, end;       /* whole base buckets */
    uint64_t enter;            /* heap entering `begin` */
    uint64_t *ts, *heap;       /* step i: at ts[i] the heap became heap[i] */
    uint64_t *alloc;           /* ... and allocated alloc[i] bytes there (0: a free) */
    uint32_t n, cap;
    /* Every event of the window, for the thread lanes: time and lane. */
    uint64_t *ev_ts;
    uint8_t *ev_lane;
    uint32_t nev, ev_cap;
    uint64_t decodes;          /* replays so far (timeline_decodes) */
} tl_window;

/* Whether the decoded window covers [t0, t1) exactly (timeline-exact.c). */
static inline bool tl_window_covers(const tl_window *w, uint64_t t0, uint64_t t1)
{
    return w->valid && w->begin <= t0 && t1 > t0 && t1 - 1 <= w->end;
}

struct timeline {
    ls_analysis *a;
    ls_growth *growth;         /* timeline_open_growth's; NULL otherwise */
    char *path;
    uint64_t t0, t1;           /* first and last event */
    uint64_t w;                /* base bucket width, ns (>= 1) */
    uint32_t nb;               /* base buckets (power of two) */

    tl_level lv[TL_LEVELS_MAX];
    uint32_t nlv;
    uint64_t *last;            /* heap at the end of each base bucket (checkpoints) */
    uint64_t *ev_prefix;       /* events before bucket b: ev_prefix[b]; nb + 1 */
    uint64_t *alloc_prefix;    /* allocations before bucket b; nb + 1 */
    uint64_t *bytes_prefix;    /* allocated bytes before bucket b; nb + 1 */
    uint64_t *stream_off;      /* byte offset into `stream` at each bucket's start */
    uint8_t *inexact;          /* per bucket: an allocation over a live address */

    uint8_t *stream;           /* varint per free/realloc: bytes it released */
    uint64_t stream_len, stream_cap;

    uint32_t side_shift;       /* side bucket = base bucket >> side_shift */
    uint32_t nside;
    uint32_t nkinds;
    uint32_t kinds[TIMELINE_MAX_KINDS];
    uint32_t *res_min[TIMELINE_MAX_KINDS], *res_max[TIMELINE_MAX_KINDS];
    uint32_t nlanes;
    uint32_t lane_tid[TIMELINE_MAX_THREADS];
    uint64_t *lane_prefix[TIMELINE_MAX_THREADS]; /* nside + 1 each */

    timeline_lifetime *life;   /* in order of begin */
    uint64_t nlife, life_cap, life_dropped;

    uint64_t *span_reach;      /* per span: the latest end of it and the spans before it */

    trace_chunk_info *chunks;  /* events chunks, by first timestamp, then offset */
    uint32_t nchunks;

    tl_window win;

    /* Drawn from the chunk summaries (timeline_open_sketch): the heap per
     * bucket is a range that holds it, no exact steps, no lifetimes. */
    bool sketch;
    uint32_t sketch_exact;     /* base buckets [0, sketch_exact) hold the events' heap (timeline_sketch_refine) */
    uint32_t sketch_missing;   /* bit k: the trace holds events of kind k the sketch does not show */
};

/* Base bucket of time t (clamped to the trace). */
static inline uint32_t tl_bucket(const timeline *tl, uint64_t t)
{
    if (t <= tl->t0)
        return 0;
    uint64_t b = (t - tl->t0) / tl->w;
    return b >= tl->nb ? tl->nb - 1 : (uint32_t)b;
}

/* Start time of base bucket b. */
static inline uint64_t tl_bucket_start(const timeline *tl, uint32_t b)
{
    return tl->t0 + (uint64_t)b * tl->w;
}

/* Edge i of [t0, t1) cut into n columns (i in 0..n). */
static inline uint64_t tl_edge(uint64_t t0, uint64_t t1, uint32_t n, uint32_t i)
{
    return t0 + (uint64_t)((unsigned __int128)(t1 - t0) * i / n);
}

/* The build's steps shared by timeline.c (from the events) and
 * timeline-sketch.c (from the chunk summaries). */
/* The time range and the events chunks by first timestamp, from the index. */
bool tl_take_chunks(timeline *tl, const ls_index *idx);
/* Base resolution for `events` events: about 64 events per bucket,
 * 2^10..2^19 buckets; the levels, checkpoints and side buckets allocated
 * (zeroed). */
bool tl_alloc_base(timeline *tl, uint64_t events);
/* Levels 1.. of the heap's pyramid from level 0. */
void tl_build_pyramid(timeline *tl);
/* *out = n + 1 prefix sums of counts[0..n). */
bool tl_prefix(uint64_t **out, const uint64_t *counts, uint32_t n);

/* Decodes the varint at *pos of the stream; false past the end or if bad. */
bool tl_stream_read(const timeline *tl, uint64_t *pos, uint64_t *v);

/* Makes tl->win cover [t0, t1] if the events there allow; true when it does. */
bool tl_window_ensure(timeline *tl, uint64_t t0, uint64_t t1);
void tl_window_clear(tl_window *w);

#endif

/* merge.c — the merged cursor of merge.h.
 *
 * One stream per thread: its chunks in file order, one of them decoded at a
 * time. A binary heap holds one entry per stream with the key of its next
 * event, (timestamp, tie). A stream whose next chunk is not decoded yet sits
 * in the heap with that chunk's first timestamp and the lowest tie, so it
 * reaches the top no later than its first event could; only then is the
 * chunk decoded and the entry given its event's real key.
 *
 * SPDX-License-Identifier: MIT
 */
#include "merge.h"

#include <stdlib.h>
#include <string.h>

/* The tie between equal timestamps (merge.h): a stream not yet decoded,
 * then releases, then everything else; within each, by thread id. */
#define TIE_UNDECODED ((uint64_t)0 << 32)
#define TIE_RELEASE   ((uint64_t)1 << 32)
#define TIE_OTHER     ((uint64_t)2 << 32)

typedef struct stream {
    uint32_t tid;
    uint32_t next, end;       /* its chunks: m->chunks[next..end) are still to come */
    trace_chunk *chunk;       /* the chunk being read; NULL between chunks */
    const trace_chunk_info *ci; /* that chunk's info */
    uint32_t decoded;         /* events of that chunk decoded so far */
    uint64_t floor;           /* the last timestamp yielded: a thread's time never goes back */
    trace_event ev;           /* the next event, while chunk is set */
} stream;

typedef struct entry {
    uint64_t ts, tie;
    stream *s;
} entry;

struct ls_merge {
    trace_reader *r;
    bool owns_reader;
    uint64_t from, to;
    trace_chunk_info *chunks;  /* by thread, then file offset */
    stream *streams;
    entry *heap;
    uint32_t nheap;
    /* The smallest key below the top (its children's): while the top's new
     * key stays below it, the top stays where it is, with one compare and
     * no sift. Keys are unique (the tie holds the thread id), so this is
     * exactly when a sift would not move it. */
    entry second;
    trace_chunk **spare;       /* decoded-chunk buffers to reuse */
    uint32_t nspare;
    stream *advance;           /* the stream whose event was yielded last */
    stream *failed;            /* the stream whose chunk failed last */
    const trace_chunk_info *failed_ci;
    uint32_t failed_decoded;
};

static int by_thread_then_offset(const void *x, const void *y)
{
    const trace_chunk_info *p = x, *q = y;
    if (p->thread != q->thread)
        return p->thread < q->thread ? -1 : 1;
    return p->offset < q->offset ? -1 : p->offset > q->offset;
}

static bool releases(uint32_t kind) { return kind == TRACE_FREE || kind == TRACE_RES_CLOSE; }

static bool entry_less(const entry *p, const entry *q)
{
    return p->ts != q->ts ? p->ts < q->ts : p->tie < q->tie;
}

static void sift_down(ls_merge *m, uint32_t i)
{
    entry e = m->heap[i];
    uint32_t n = m->nheap;
    for (;;) {
        uint32_t l = 2 * i + 1, best = i;
        const entry *b = &e;
        if (l < n && entry_less(&m->heap[l], b))
            b = &m->heap[best = l];
        if (l + 1 < n && entry_less(&m->heap[l + 1], b))
            best = l + 1;
        if (best == i)
            break;
        m->heap[i] = m->heap[best];
        i = best;
    }
    m->heap[i] = e;
}

/* After the top changed: the smallest of its children's keys, or a key
 * no event has when it has none. */
static void find_second(ls_merge *m)
{
    m->second = (entry){ UINT64_MAX, UINT64_MAX, NULL };
    if (m->nheap > 1)
        m->second = m->heap[1];
    if (m->nheap > 2 && entry_less(&m->heap[2], &m->second))
        m->second = m->heap[2];
}

/* The top's stream has a new key (or none, when `gone`). */
static void fix_top(ls_merge *m, bool gone)
{
    if (gone) {
        m->heap[0] = m->heap[--m->nheap];
        if (!m->nheap)
            return;
    } else if (entry_less(&m->heap[0], &m->second)) {
        return; /* still the smallest: the second best is unchanged too */
    }
    sift_down(m, 0);
    find_second(m);
}

static void release_chunk(ls_merge *m, stream *s)
{
    if (s->chunk)
        m->spare[m->nspare++] = s->chunk; /* spare has room for one per stream */
    s->chunk = NULL;
    s->ci = NULL;
}

/* The key of the top's stream after its chunk ended (or failed): its next
 * chunk, not yet decoded, or no entry at all. */
static void next_chunk_key(ls_merge *m)
{
    entry *top = &m->heap[0];
    stream *s = top->s;
    release_chunk(m, s);
    if (s->next == s->end) {
        fix_top(m, true);
        return;
    }
    uint64_t first = m->chunks[s->next].first_ts;
    top->ts = first > s->floor ? first : s->floor;
    top->tie = TIE_UNDECODED | s->tid;
    fix_top(m, false);
}

/* The key of the top's stream from its decoded event. */
static void event_key(ls_merge *m)
{
    entry *top = &m->heap[0];
    stream *s = top->s;
    if (s->ev.ts < s->floor)
        s->ev.ts = s->floor;
    top->ts = s->ev.ts;
    top->tie = (releases(s->ev.kind) ? TIE_RELEASE : TIE_OTHER) | s->tid;
    fix_top(m, false);
}

/* Reads the top's stream's next event within the range into s->ev; on a
 * chunk's end, moves on to the stream's next chunk. */
static trace_status step(ls_merge *m)
{
    stream *s = m->heap[0].s;
    trace_status st;
    while ((st = trace_chunk_next(s->chunk, &s->ev)) == TRACE_OK && s->ev.ts < m->from)
        s->decoded++;
    if (st == TRACE_OK) {
        event_key(m);
        return TRACE_OK;
    }
    if (st == TRACE_END) {
        next_chunk_key(m);
        return TRACE_OK;
    }
    m->failed = s;
    m->failed_ci = s->ci;
    m->failed_decoded = s->decoded;
    return st;
}

ls_merge *ls_merge_new(trace_reader *r, const trace_chunk_info *chunks, uint32_t n, uint64_t from, uint64_t to)
{
    ls_merge *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->r = r;
    m->from = from;
    m->to = to;
    uint32_t kept = 0, nstreams = 0;
    m->chunks = malloc((n ? n : 1) * sizeof *m->chunks);
    if (!m->chunks)
        goto fail;
    for (uint32_t i = 0; i < n; i++)
        if (chunks[i].kind == TRACE_CHUNK_EVENTS && chunks[i].last_ts >= from && chunks[i].first_ts <= to)
            m->chunks[kept++] = chunks[i];
    if (kept)
        qsort(m->chunks, kept, sizeof *m->chunks, by_thread_then_offset);
    for (uint32_t i = 0; i < kept; i++)
        nstreams += !i || m->chunks[i].thread != m->chunks[i - 1].thread;
    m->streams = calloc(nstreams ? nstreams : 1, sizeof *m->streams);
    m->heap = malloc((nstreams ? nstreams : 1) * sizeof *m->heap);
    m->spare = malloc((nstreams ? nstreams : 1) * sizeof *m->spare);
    if (!m->streams || !m->heap || !m->spare)
        goto fail;
    for (uint32_t i = 0; i < kept;) {
        stream *s = &m->streams[m->nheap];
        s->tid = m->chunks[i].thread;
        s->next = i;
        while (i < kept && m->chunks[i].thread == s->tid)
            i++;
        s->end = i;
        m->heap[m->nheap++] = (entry){ m->chunks[s->next].first_ts, TIE_UNDECODED | s->tid, s };
    }
    for (uint32_t i = m->nheap / 2; i-- > 0;)
        sift_down(m, i);
    find_second(m);
    return m;
fail:
    ls_merge_free(m);
    return NULL;
}

trace_status ls_merge_next(ls_merge *m, trace_event *ev)
{
    trace_status st;
    if (m->advance) { /* the event yielded last was the top's: step past it */
        m->advance = NULL;
        if ((st = step(m)) != TRACE_OK)
            return st;
    }
    if (m->failed) { /* the chunk that failed last is given up */
        m->failed = NULL;
        m->failed_ci = NULL;
        next_chunk_key(m);
    }
    while (m->nheap) {
        stream *s = m->heap[0].s;
        if (m->heap[0].ts > m->to)
            break;
        if (s->chunk) {
            s->floor = s->ev.ts;
            s->decoded++;
            *ev = s->ev;
            m->advance = s;
            return TRACE_OK;
        }
        /* Its turn may have come: decode the stream's next chunk. */
        if (m->nspare) {
            s->chunk = m->spare[--m->nspare];
        } else if (!(s->chunk = trace_chunk_new())) {
            return TRACE_ERR_NOMEM;
        }
        s->ci = &m->chunks[s->next++];
        s->decoded = 0;
        if ((st = trace_chunk_load(s->chunk, m->r, s->ci)) != TRACE_OK) {
            m->failed = s;
            m->failed_ci = s->ci;
            m->failed_decoded = 0;
            return st;
        }
        if ((st = step(m)) != TRACE_OK)
            return st;
    }
    return TRACE_END;
}

const trace_chunk_info *ls_merge_failed_chunk(const ls_merge *m, uint32_t *decoded)
{
    if (!m->failed)
        return NULL;
    if (decoded)
        *decoded = m->failed_decoded;
    return m->failed_ci;
}

trace_reader *ls_merge_reader(const ls_merge *m) { return m->r; }
void ls_merge_own_reader(ls_merge *m) { m->owns_reader = true; }

void ls_merge_free(ls_merge *m)
{
    if (!m)
        return;
    if (m->owns_reader)
        trace_reader_close(m->r);
    for (uint32_t i = 0; i < m->nheap; i++)
        trace_chunk_free(m->heap[i].s->chunk);
    for (uint32_t i = 0; i < m->nspare; i++)
        trace_chunk_free(m->spare[i]);
    free(m->spare);
    free(m->heap);
    free(m->streams);
    free(m->chunks);
    free(m);
}

/* merge.c — the merged cursor of merge.h.
 *
 * One stream per thread: its chunks in file order, one of them decoded at a
 * time. A binary heap holds one entry per stream with the key of its next
 * event, (timestamp, tie). A stream whose next chunk is not decoded yet sits
 * in the heap with that chunk's first timestamp and the lowest tie, so it
 * reaches the top no later than its first event could; only then is the
 * chunk decoded and the entry given its event's real key.
 *
 * Decoding ahead (ls_merge_decode_ahead): a worker thread with a reader of
 * its own decodes the chunks in the order the merge will most likely want
 * them (by first timestamp, then thread), each into a slot of events, a few
 * slots ahead; the merge takes a chunk from its slot when it is there, and
 * decodes it itself when the guess was wrong (the worker then skips it). The
 * same decoder either way, so the events and their order are the same: only
 * which thread ran the decoder differs. On two cores the decoding (about
 * three fifths of a whole-trace analysis) runs beside the analysis.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE /* qsort_r */
#include "merge.h"
#include "trace-reader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The tie between equal timestamps (merge.h): a stream not yet decoded,
 * then releases, then everything else; within each, by thread id. */
#define TIE_UNDECODED ((uint64_t)0 << 32)
#define TIE_RELEASE   ((uint64_t)1 << 32)
#define TIE_OTHER     ((uint64_t)2 << 32)

/* An event chunk's event as the worker keeps it (event chunks carry no
 * dictionary data: no bytes, no frames), in 48 bytes rather than 64: the
 * slots are most of report's memory (a chunk of 65,536 events each). No
 * kind has both addr2 (realloc's) and value (the others'), so one word
 * holds either; ids fit 32 bits. An event that does not fit (a hostile
 * file's id) has its chunk decoded by the merge, as one with data. */
typedef struct ahead_event {
    uint64_t ts, addr, size;
    uint64_t other;           /* addr2 for a realloc, else value */
    uint32_t stack, str;
    uint32_t kind;
} ahead_event;
_Static_assert(sizeof(ahead_event) == 48, "an event decoded ahead takes 48 bytes");

enum { SLOT_FREE, SLOT_BUSY, SLOT_DONE };

/* A chunk decoded ahead. */
typedef struct slot {
    int state;                /* SLOT_* (m->lock) */
    uint32_t pos;             /* its place in m->order */
    ahead_event *evs;
    uint32_t n, cap;
    bool redo;                /* not kept (an event with data, or one that does not fit): the merge decodes it */
    trace_status end;         /* TRACE_END, or the error that stopped the decoding */
    trace_error err;          /* that error's description */
    uint64_t lost_refs;       /* references to ids lost with damage, in this chunk */
} slot;

/* Slots: one for each stream's chunk being read (up to 12 streams; with
 * more, the rest decode their own) and three ahead. */
#define AHEAD_STREAMS_MAX 12
#define AHEAD_SLOTS_AHEAD 3
#define AHEAD_MAX_EVENTS (2u * 65536u)

typedef struct stream {
    uint32_t tid;
    uint32_t next, end;       /* its chunks: m->chunks[next..end) are still to come */
    trace_chunk *chunk;       /* the chunk being read (decoded here); NULL between chunks */
    slot *ahead;              /* or the chunk being read, decoded ahead */
    uint32_t at;              /* the next of its events */
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
    uint32_t nchunks_kept;
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
    trace_error err;           /* the last failure's description */
    uint64_t lost_refs;        /* of the chunks decoded ahead and taken */

    /* Decoding ahead (NULL worker: off). */
    bool worker_on;
    pthread_t worker;
    pthread_mutex_t lock;
    pthread_cond_t cond;       /* a slot changed state, or the worker moved on */
    trace_reader *wr;          /* the worker's reader and chunk */
    trace_chunk *wc;
    uint32_t *order;           /* chunk indices in the order they are likely wanted */
    uint32_t *pos_of;          /* chunk index -> its place in order */
    bool *skip;                /* by place: taken by the merge itself, not to decode */
    uint32_t wpos;             /* the place the worker is at (m->lock) */
    bool stop;                 /* the worker is to return (m->lock) */
    slot *slots;
    uint32_t nslots, nstreams;
};

static int by_thread_then_offset(const void *x, const void *y)
{
    const trace_chunk_info *p = x, *q = y;
    if (p->thread != q->thread)
        return p->thread < q->thread ? -1 : 1;
    return p->offset < q->offset ? -1 : p->offset > q->offset;
}

static void release_slot(ls_merge *m, stream *s);

static bool releases(uint32_t kind) { return kind == TRACE_FREE || kind == TRACE_RES_CLOSE; }

/* (ts, tie) as one number: a compare without a branch between its halves. */
static inline unsigned __int128 entry_key(const entry *p) { return (unsigned __int128)p->ts << 64 | p->tie; }

static inline bool entry_less(const entry *p, const entry *q) { return entry_key(p) < entry_key(q); }

static void sift_down(ls_merge *m, uint32_t i)
{
    entry e = m->heap[i];
    unsigned __int128 key = entry_key(&e);
    uint32_t n = m->nheap;
    for (;;) {
        uint32_t l = 2 * i + 1;
        if (l >= n)
            break;
        unsigned __int128 kl = entry_key(&m->heap[l]);
        if (l + 1 < n) {
            unsigned __int128 kr = entry_key(&m->heap[l + 1]);
            if (kr < kl) {
                kl = kr;
                l++;
            }
        }
        if (key < kl)
            break;
        m->heap[i] = m->heap[l];
        i = l;
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
static inline __attribute__((always_inline)) void fix_top(ls_merge *m, bool gone)
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
    release_slot(m, s);
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
static inline __attribute__((always_inline)) void event_key(ls_merge *m)
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
/* The stream's next event from its chunk decoded ahead, as trace_chunk_next
 * would give it. */
static inline __attribute__((always_inline)) trace_status ahead_next(stream *s, trace_event *ev)
{
    slot *sl = s->ahead;
    if (s->at == sl->n)
        return sl->end;
    const ahead_event *a = &sl->evs[s->at++];
    /* Every scalar field; the rest (dictionary data) is zero in any event
     * chunk's event, as trace_chunk_next leaves it and as s->ev starts. */
    ev->kind = a->kind;
    ev->thread = s->tid;
    ev->ts = a->ts;
    ev->addr = a->addr;
    ev->addr2 = a->kind == TRACE_REALLOC ? a->other : 0;
    ev->size = a->size;
    ev->value = a->kind == TRACE_REALLOC ? 0 : a->other;
    ev->stack = a->stack;
    ev->str = a->str;
    return TRACE_OK;
}

static inline __attribute__((always_inline)) trace_status stream_next(stream *s, trace_event *ev)
{
    return s->ahead ? ahead_next(s, ev) : trace_chunk_next(s->chunk, ev);
}

static void release_slot(ls_merge *m, stream *s)
{
    if (!s->ahead)
        return;
    pthread_mutex_lock(&m->lock);
    s->ahead->state = SLOT_FREE;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    s->ahead = NULL;
}

static inline __attribute__((always_inline)) trace_status step(ls_merge *m)
{
    stream *s = m->heap[0].s;
    trace_status st;
    while ((st = stream_next(s, &s->ev)) == TRACE_OK && s->ev.ts < m->from)
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
    m->err = s->ahead ? s->ahead->err : *trace_reader_error(m->r);
    return st;
}

/* ---- decoding ahead ---- */

/* Decodes the chunk at place `pos` into `sl` (the worker's reader). */
static void decode_into(ls_merge *m, slot *sl, uint32_t pos)
{
    const trace_chunk_info *ci = &m->chunks[m->order[pos]];
    uint64_t lost0 = trace_reader_lost_id_refs(m->wr);
    sl->n = 0;
    sl->redo = false;
    trace_status st = trace_chunk_load(m->wc, m->wr, ci);
    trace_event ev;
    while (st == TRACE_OK && (st = trace_chunk_next(m->wc, &ev)) == TRACE_OK) {
        if (ev.data || ev.data2 || ev.frames || (ev.kind == TRACE_REALLOC ? ev.value : ev.addr2) ||
            ev.stack > UINT32_MAX || ev.str > UINT32_MAX) {
            sl->redo = true;
            break;
        }
        if (sl->n == sl->cap) {
            /* Grown as events come, not to the count the header claims, and
             * no further than twice the writer's chunk: a chunk beyond
             * that (another writer's, or a hostile file) is the merge's to
             * decode, one event at a time. */
            uint32_t cap = sl->cap ? sl->cap * 2 : 4096;
            ahead_event *e = cap <= AHEAD_MAX_EVENTS ? realloc(sl->evs, (size_t)cap * sizeof *e) : NULL;
            if (!e) {
                sl->redo = true;
                break;
            }
            sl->evs = e;
            sl->cap = cap;
        }
        sl->evs[sl->n++] = (ahead_event){ ev.ts, ev.addr, ev.size, ev.kind == TRACE_REALLOC ? ev.addr2 : ev.value,
                                          (uint32_t)ev.stack, (uint32_t)ev.str, ev.kind };
    }
    sl->end = st;
    if (st != TRACE_OK && st != TRACE_END)
        sl->err = *trace_reader_error(m->wr);
    sl->lost_refs = trace_reader_lost_id_refs(m->wr) - lost0;
}

static void *worker_main(void *arg)
{
    ls_merge *m = arg;
    pthread_mutex_lock(&m->lock);
    for (;;) {
        while (m->wpos < m->nchunks_kept && m->skip[m->wpos])
            m->wpos++;
        if (m->stop || m->wpos == m->nchunks_kept)
            break;
        slot *sl = NULL;
        for (uint32_t i = 0; i < m->nslots && !sl; i++)
            if (m->slots[i].state == SLOT_FREE)
                sl = &m->slots[i];
        if (!sl) {
            pthread_cond_wait(&m->cond, &m->lock);
            continue;
        }
        uint32_t pos = m->wpos;
        sl->state = SLOT_BUSY;
        sl->pos = pos;
        pthread_mutex_unlock(&m->lock);
        decode_into(m, sl, pos);
        pthread_mutex_lock(&m->lock);
        sl->state = SLOT_DONE;
        m->wpos = pos + 1;
        pthread_cond_broadcast(&m->cond);
    }
    m->wpos = m->nchunks_kept; /* nothing more will be decoded ahead */
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

/* The stream's next chunk from its slot: true when s->ahead is set (the
 * caller steps to its first event); false when the merge is to decode it
 * itself (the worker will not). Waits while the worker is decoding it, or
 * is on its way to it with a slot free. */
static bool take_ahead(ls_merge *m, stream *s)
{
    uint32_t idx = s->next, pos = m->pos_of[idx];
    slot *found = NULL;
    pthread_mutex_lock(&m->lock);
    for (;;) {
        for (uint32_t i = 0; i < m->nslots && !found; i++)
            if (m->slots[i].state != SLOT_FREE && m->slots[i].pos == pos)
                found = &m->slots[i];
        if (found) {
            if (found->state == SLOT_DONE)
                break;
        } else {
            bool room = false;
            for (uint32_t i = 0; i < m->nslots; i++)
                room |= m->slots[i].state == SLOT_FREE;
            if (m->wpos > pos || !room) { /* passed it, or every slot holds a later guess */
                m->skip[pos] = true;
                pthread_mutex_unlock(&m->lock);
                return false;
            }
        }
        pthread_cond_wait(&m->cond, &m->lock);
    }
    pthread_mutex_unlock(&m->lock);
    if (found->redo) {
        pthread_mutex_lock(&m->lock);
        found->state = SLOT_FREE;
        pthread_cond_broadcast(&m->cond);
        pthread_mutex_unlock(&m->lock);
        return false;
    }
    s->ahead = found;
    s->at = 0;
    s->ci = &m->chunks[s->next++];
    s->decoded = 0;
    m->lost_refs += found->lost_refs;
    return true;
}

static int by_first_ts(const void *x, const void *y, void *arg)
{
    const trace_chunk_info *c = arg;
    const trace_chunk_info *p = &c[*(const uint32_t *)x], *q = &c[*(const uint32_t *)y];
    if (p->first_ts != q->first_ts)
        return p->first_ts < q->first_ts ? -1 : 1;
    return p->thread < q->thread ? -1 : p->thread > q->thread;
}

bool ls_merge_decode_ahead(ls_merge *m)
{
    /* LEAKSCOPE_JOBS=1: everything on the thread that reads (to compare, or
     * on a machine shared with other work). */
    const char *jobs = getenv("LEAKSCOPE_JOBS");
    if (m->worker_on || m->nchunks_kept < 2 || sysconf(_SC_NPROCESSORS_ONLN) < 2 || (jobs && !strcmp(jobs, "1")))
        return false;
    uint32_t n = m->nchunks_kept;
    m->order = malloc(n * sizeof *m->order);
    m->pos_of = malloc(n * sizeof *m->pos_of);
    m->skip = calloc(n, sizeof *m->skip);
    m->wc = trace_chunk_new();
    m->nslots = (m->nstreams < AHEAD_STREAMS_MAX ? m->nstreams : AHEAD_STREAMS_MAX) + AHEAD_SLOTS_AHEAD;
    m->slots = calloc(m->nslots, sizeof *m->slots);
    if (!m->order || !m->pos_of || !m->skip || !m->wc || !m->slots || trace_reader_dup(m->r, &m->wr) != TRACE_OK)
        return false; /* the merge decodes everything itself; ls_merge_free frees what was made */
    for (uint32_t i = 0; i < n; i++)
        m->order[i] = i;
    qsort_r(m->order, n, sizeof *m->order, by_first_ts, m->chunks);
    for (uint32_t i = 0; i < n; i++)
        m->pos_of[m->order[i]] = i;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    if (pthread_create(&m->worker, NULL, worker_main, m) != 0) {
        pthread_mutex_destroy(&m->lock);
        pthread_cond_destroy(&m->cond);
        return false;
    }
    m->worker_on = true;
    return true;
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
    m->nchunks_kept = kept;
    for (uint32_t i = 0; i < kept; i++)
        nstreams += !i || m->chunks[i].thread != m->chunks[i - 1].thread;
    m->nstreams = nstreams;
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
    const trace_event *e;
    trace_status st = ls_merge_next_ref(m, &e);
    if (st == TRACE_OK)
        *ev = *e;
    return st;
}

trace_status ls_merge_next_ref(ls_merge *m, const trace_event **ev)
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
        if (s->chunk || s->ahead) {
            s->floor = s->ev.ts;
            s->decoded++;
            *ev = &s->ev;
            m->advance = s;
            return TRACE_OK;
        }
        /* Its turn may have come: its next chunk, decoded ahead or here. */
        if (m->worker_on && take_ahead(m, s)) {
            if ((st = step(m)) != TRACE_OK)
                return st;
            continue;
        }
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
            m->err = *trace_reader_error(m->r);
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
const trace_error *ls_merge_error(const ls_merge *m) { return &m->err; }
uint64_t ls_merge_lost_id_refs(const ls_merge *m) { return trace_reader_lost_id_refs(m->r) + m->lost_refs; }
void ls_merge_own_reader(ls_merge *m) { m->owns_reader = true; }

void ls_merge_free(ls_merge *m)
{
    if (!m)
        return;
    if (m->worker_on) {
        pthread_mutex_lock(&m->lock);
        m->stop = true;
        pthread_cond_broadcast(&m->cond);
        pthread_mutex_unlock(&m->lock);
        pthread_join(m->worker, NULL);
        pthread_mutex_destroy(&m->lock);
        pthread_cond_destroy(&m->cond);
    }
    for (uint32_t i = 0; m->slots && i < m->nslots; i++)
        free(m->slots[i].evs);
    free(m->slots);
    trace_chunk_free(m->wc);
    trace_reader_close(m->wr);
    free(m->order);
    free(m->pos_of);
    free(m->skip);
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

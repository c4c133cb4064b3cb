/* summary-check.c — checks a recorded trace's chunk summaries (FORMAT.md
 * §4.1.3) against the analysis, for tests/check-summaries.py.
 *
 * usage: summary-check TRACE known|unknown
 *
 * Every events chunk must have a summary. Each event the analysis sees is
 * put to its chunk (a thread's events come in file order: the k-th of a
 * thread is in the chunk of that thread whose counts cover k), and with it
 * each change the analysis makes to the heap (ls_observer.block, called
 * before the event's own callback). Per chunk: the kind counts and
 * allocated bytes equal its events'; with heap_known, every segment's
 * running heap (end, lowest, highest) equals the analysis's changes, and
 * so do the resource counts where the analysis pairs every open and close
 * of the chunk. "unknown": no chunk may say heap_known (the heap scan was
 * off). Prints "chunks=N known=K events=E known_events=KE" (the events of
 * the chunks that know their heap) and exits 0, or names the first
 * difference and exits 1.
 *
 * SPDX-License-Identifier: MIT
 */
#include "analysis.h"
#include "trace-index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct chunk_sum {
    uint32_t kinds[16];
    uint64_t alloc_bytes;
    uint32_t events, seg, in_seg;
    int64_t heap, min, max;
    bool bad;
} chunk_sum;

typedef struct state {
    const ls_index *idx;
    chunk_sum *cs;
    /* per thread (a small table: few threads): its chunks in file order */
    struct thread_chunks {
        uint32_t tid, n, at;
        uint32_t *chunk;
        uint64_t before; /* events of the chunks before chunk[at] */
        uint64_t seen;
    } *th;
    uint32_t nth;
    int failures;
} state;

static struct thread_chunks *thread_of(state *S, uint32_t tid)
{
    for (uint32_t i = 0; i < S->nth; i++)
        if (S->th[i].tid == tid)
            return &S->th[i];
    return NULL;
}

/* The chunk the thread's next event is in. */
static uint32_t current_chunk(state *S, uint32_t tid)
{
    struct thread_chunks *t = thread_of(S, tid);
    while (t->at + 1 < t->n && t->seen >= t->before + S->idx->chunks[t->chunk[t->at]].count) {
        t->before += S->idx->chunks[t->chunk[t->at]].count;
        t->at++;
    }
    return t->chunk[t->at];
}

static void on_block(void *user, const ls_analysis *a, const trace_event *ev, uint32_t stack, int64_t bytes)
{
    (void)a;
    (void)stack;
    state *S = user;
    chunk_sum *c = &S->cs[current_chunk(S, ev->thread)];
    c->heap += bytes;
    c->min = c->heap < c->min ? c->heap : c->min;
    c->max = c->heap > c->max ? c->heap : c->max;
}

static bool on_event(void *user, const ls_analysis *a, const trace_event *ev)
{
    (void)a;
    state *S = user;
    uint32_t i = current_chunk(S, ev->thread);
    thread_of(S, ev->thread)->seen++;
    chunk_sum *c = &S->cs[i];
    const trace_chunk_summary *s = &S->idx->summaries[i];
    c->kinds[ev->kind & 15]++;
    if (ev->kind == TRACE_ALLOC || ev->kind == TRACE_REALLOC)
        c->alloc_bytes += ev->size;
    c->events++;
    if (s->heap_known && c->seg < s->nsegments && ++c->in_seg == s->seg[c->seg].events) {
        const trace_segment_summary *g = &s->seg[c->seg];
        if (g->heap_end != c->heap || g->heap_min != c->min || g->heap_max != c->max) {
            if (!c->bad && S->failures++ < 5)
                fprintf(stderr,
                        "chunk at offset %llu, segment %u: its summary says heap end %lld min %lld max %lld, the "
                        "analysis %lld %lld %lld\n",
                        (unsigned long long)S->idx->chunks[i].offset, c->seg, (long long)g->heap_end,
                        (long long)g->heap_min, (long long)g->heap_max, (long long)c->heap, (long long)c->min,
                        (long long)c->max);
            c->bad = true;
        }
        c->seg++;
        c->in_seg = 0;
        c->min = c->max = c->heap;
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[2], "known") && strcmp(argv[2], "unknown"))) {
        fprintf(stderr, "usage: summary-check TRACE known|unknown\n");
        return 2;
    }
    bool expect_unknown = !strcmp(argv[2], "unknown");
    ls_index *idx;
    trace_error err;
    if (ls_index_open(argv[1], &idx, &err) != TRACE_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 1;
    }
    state S = { .idx = idx };
    if (!idx->summaries) {
        fprintf(stderr, "%s: no chunk has a summary\n", argv[1]);
        return 1;
    }
    S.cs = calloc(idx->nchunks ? idx->nchunks : 1, sizeof *S.cs);
    S.th = calloc(idx->nchunks ? idx->nchunks : 1, sizeof *S.th);
    uint32_t *order = calloc(idx->nchunks ? idx->nchunks : 1, sizeof *order);
    if (!S.cs || !S.th || !order)
        return 1;
    for (uint32_t i = 0; i < idx->nchunks; i++) {
        if (!idx->summaries[i].present) {
            fprintf(stderr, "chunk at offset %llu has no summary\n", (unsigned long long)idx->chunks[i].offset);
            return 1;
        }
        struct thread_chunks *t = thread_of(&S, idx->chunks[i].thread);
        if (!t) {
            t = &S.th[S.nth++];
            t->tid = idx->chunks[i].thread;
            t->chunk = order + i; /* filled below */
        }
        t->n++;
    }
    /* Each thread's chunks, in file order, in one array. */
    uint32_t at = 0;
    for (uint32_t k = 0; k < S.nth; k++) {
        S.th[k].chunk = order + at;
        uint32_t m = 0;
        for (uint32_t i = 0; i < idx->nchunks; i++)
            if (idx->chunks[i].thread == S.th[k].tid)
                S.th[k].chunk[m++] = i;
        at += m;
    }
    ls_observer obs = { .event = on_event, .block = on_block, .user = &S };
    ls_analysis *a;
    if (ls_analysis_run(idx, &obs, &a, &err) != TRACE_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 1;
    }
    uint32_t known = 0;
    uint64_t alloc = 0, events = 0, known_events = 0;
    int64_t heap = 0;
    bool all_known = true;
    for (uint32_t i = 0; i < idx->nchunks; i++) {
        const trace_chunk_summary *s = &idx->summaries[i];
        chunk_sum *c = &S.cs[i];
        known += s->heap_known;
        events += idx->chunks[i].count;
        known_events += s->heap_known ? idx->chunks[i].count : 0;
        all_known &= s->heap_known;
        alloc += s->alloc_bytes;
        heap += s->seg[s->nsegments - 1].heap_end;
        if (memcmp(c->kinds, s->kind_counts, sizeof c->kinds) || c->alloc_bytes != s->alloc_bytes ||
            c->events != idx->chunks[i].count) {
            fprintf(stderr, "chunk at offset %llu: its summary's counts or allocated bytes (%llu) differ from its events' (%llu)\n",
                    (unsigned long long)idx->chunks[i].offset, (unsigned long long)s->alloc_bytes,
                    (unsigned long long)c->alloc_bytes);
            S.failures++;
        }
        if (expect_unknown && s->heap_known) {
            fprintf(stderr, "chunk at offset %llu says its heap is known\n", (unsigned long long)idx->chunks[i].offset);
            S.failures++;
        }
    }
    if (alloc != a->allocated_bytes) {
        fprintf(stderr, "the summaries' allocated bytes %llu, the analysis's %llu\n", (unsigned long long)alloc,
                (unsigned long long)a->allocated_bytes);
        S.failures++;
    }
    if (all_known && (uint64_t)heap != a->heap_bytes) {
        fprintf(stderr, "the summaries' heap at the end %lld, the analysis's %llu\n", (long long)heap,
                (unsigned long long)a->heap_bytes);
        S.failures++;
    }
    printf("chunks=%u known=%u events=%llu known_events=%llu\n", idx->nchunks, known, (unsigned long long)events,
           (unsigned long long)known_events);
    ls_analysis_free(a);
    ls_index_unref(idx);
    free(S.cs);
    free(S.th);
    free(order);
    return S.failures ? 1 : 0;
}

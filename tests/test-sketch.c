/* test-sketch.c — the sketch timeline (timeline_open_sketch, from the chunk
 * summaries) against the timeline read from every event of the same trace.
 *
 * usage: test-sketch [--none|--maybe] [--refine] [--tight PERCENT] TRACE...
 *   each TRACE must have a sketch (--none: must have none; --maybe: may
 *   have none when a chunk's writer did not know a release) and, column by
 *   column at several widths, the sketch's heap range must hold the exact
 *   one; the totals the summaries know must be the analysis's; with
 *   --tight, the sketch's ranges may be at most PERCENT of the peak wider
 *   than the exact ones, on average over the columns of a 1920-pixel view;
 *   with --refine, a sketch refined while the events are read
 *   (timeline_partial_fn) must be the events' heap where it was refined.
 *   The sketch from the chunk headers alone (ls_index_open_headers) must
 *   be the verified index's.
 *
 * SPDX-License-Identifier: MIT
 */
#include "analysis.h"
#include "timeline.h"
#include "trace-index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                                                          \
    do {                                                                                                          \
        if (!(cond)) {                                                                                            \
            fprintf(stderr, "test-sketch: %s: ", path);                                                           \
            fprintf(stderr, __VA_ARGS__);                                                                         \
            fputc('\n', stderr);                                                                                  \
            failures++;                                                                                           \
        }                                                                                                         \
    } while (0)

static void compare_columns(const char *path, timeline *sk, timeline *ex, uint32_t n, double tight)
{
    uint64_t t0 = timeline_begin(ex), t1 = timeline_end(ex) + 1;
    uint64_t *smin = calloc(n, 8), *smax = calloc(n, 8), *emin = calloc(n, 8), *emax = calloc(n, 8);
    if (!smin || !smax || !emin || !emax) {
        fprintf(stderr, "test-sketch: out of memory\n");
        exit(1);
    }
    timeline_heap_range(sk, t0, t1, n, smin, smax);
    timeline_heap_range(ex, t0, t1, n, emin, emax);
    uint32_t bad = 0, first = 0;
    double extra = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (smin[i] > emin[i] || smax[i] < emax[i]) {
            if (!bad++)
                first = i;
        }
        extra += (double)(smax[i] - smin[i]) - (double)(emax[i] - emin[i]);
    }
    CHECK(!bad, "%u of %u columns: the sketch's range does not hold the heap (first: column %u, sketch [%llu, %llu], "
          "heap [%llu, %llu])", bad, n, first, (unsigned long long)smin[first], (unsigned long long)smax[first],
          (unsigned long long)emin[first], (unsigned long long)emax[first]);
    if (tight > 0) {
        double peak = (double)timeline_analysis(ex)->peak_heap_bytes;
        double pct = peak > 0 ? 100.0 * extra / n / peak : 0;
        printf("%s: %u columns, the sketch's ranges %.2f%% of the peak wider on average\n", path, n, pct);
        CHECK(pct <= tight, "the sketch's ranges are %.2f%% of the peak wider than the heap's on average (at most %.2f)",
              pct, tight);
    }
    free(smin);
    free(smax);
    free(emin);
    free(emax);
}

typedef struct refining {
    timeline *sketch;
    uint32_t done, calls;
} refining;

static void on_partial(void *user, const timeline *building, uint32_t done)
{
    refining *r = user;
    timeline_refinement *tr = timeline_refinement_take(building, r->done, done);
    if (tr) {
        r->done = timeline_refinement_end(tr);
        timeline_sketch_refine(r->sketch, tr);
        timeline_refinement_free(tr);
    }
    r->calls++;
}

/* A sketch refined as the events are read: where it was refined it is the
 * events' heap, column for column; after that it still holds it. */
static void check_refined(const char *path, ls_index *idx, timeline *ex)
{
    refining r = { .sketch = timeline_open_sketch(idx) };
    timeline *tl = NULL;
    trace_error err;
    CHECK(r.sketch && timeline_open_index(idx, NULL, on_partial, &r, false, &tl, &err) == TRACE_OK, "refining read");
    if (!tl || !r.sketch) {
        timeline_free(tl);
        timeline_free(r.sketch);
        return;
    }
    uint64_t until = timeline_sketch_exact_until(r.sketch), t0 = timeline_begin(ex), t1 = timeline_end(ex) + 1;
    CHECK(r.calls > 0 && until > t0, "never refined (%u calls)", r.calls);
    enum { N = 1000 };
    uint64_t smin[N], smax[N], emin[N], emax[N];
    timeline_heap_range(r.sketch, t0, t1, N, smin, smax);
    timeline_heap_range(ex, t0, t1, N, emin, emax);
    uint32_t same = 0, differ = 0, outside = 0;
    for (uint32_t i = 0; i < N; i++) {
        uint64_t c1 = t0 + (t1 - t0) * (i + 1) / N; /* the column's end */
        if (c1 + (t1 - t0) / N < until) { /* well inside the refined part */
            if (smin[i] == emin[i] && smax[i] == emax[i])
                same++;
            else
                differ++;
        } else if (smin[i] > emin[i] || smax[i] < emax[i]) {
            outside++;
        }
    }
    printf("%s: refined %u times up to %.1f%% of the trace: %u columns the events' heap, %u not\n", path, r.calls,
           100.0 * (double)(until - t0) / (double)(t1 - t0), same, differ);
    CHECK(same > 0 && !differ, "%u refined columns differ from the events' heap (%u equal)", differ, same);
    CHECK(!outside, "%u columns after the refined part do not hold the heap", outside);
    timeline_free(tl);
    timeline_free(r.sketch);
}

static void check_trace(const char *path, bool none, bool maybe, double tight, bool refine)
{
    ls_index *idx = NULL;
    trace_error err;
    if (ls_index_open(path, &idx, &err) != TRACE_OK) {
        fprintf(stderr, "test-sketch: %s: %s\n", path, err.message);
        failures++;
        return;
    }
    timeline *sk = timeline_open_sketch(idx);
    if (!sk && maybe && idx->summaries) {
        uint32_t unknown = 0;
        for (uint32_t i = 0; i < idx->nchunks; i++)
            unknown += idx->summaries[i].present && !idx->summaries[i].heap_known;
        if (unknown) { /* the writer did not know a release's size: no sketch, rightly */
            printf("%s: no sketch: %u of %u chunks' writer did not know every release's size\n", path, unknown,
                   idx->nchunks);
            ls_index_unref(idx);
            return;
        }
    }
    if (none) {
        CHECK(!sk, "has a sketch, expected none");
        ls_index *quick = NULL;
        timeline *qs = ls_index_open_headers(path, &quick, &err) == TRACE_OK ? timeline_open_sketch(quick) : NULL;
        CHECK(!qs, "has a sketch from its headers alone, expected none");
        timeline_free(qs);
        ls_index_unref(quick);
        timeline_free(sk);
        ls_index_unref(idx);
        return;
    }
    timeline *ex = NULL;
    trace_status st = timeline_open_index(idx, NULL, NULL, NULL, false, &ex, &err);
    if (refine && st == TRACE_OK)
        check_refined(path, idx, ex);
    ls_index_unref(idx);
    CHECK(sk, "no sketch");
    CHECK(st == TRACE_OK, "the timeline: %s", err.message);
    if (!sk || st != TRACE_OK) {
        timeline_free(sk);
        timeline_free(ex);
        return;
    }
    const ls_analysis *s = timeline_analysis(sk), *e = timeline_analysis(ex);
    CHECK(timeline_is_sketch(sk) && !timeline_is_sketch(ex) && s->sketch && !e->sketch, "sketch flags");
    CHECK(s->events == e->events, "events %llu, the analysis %llu", (unsigned long long)s->events,
          (unsigned long long)e->events);
    CHECK(s->allocations == e->allocations && s->reallocs == e->reallocs && s->frees == e->frees,
          "allocations %llu reallocs %llu frees %llu, the analysis %llu %llu %llu", (unsigned long long)s->allocations,
          (unsigned long long)s->reallocs, (unsigned long long)s->frees, (unsigned long long)e->allocations,
          (unsigned long long)e->reallocs, (unsigned long long)e->frees);
    CHECK(s->allocated_bytes == e->allocated_bytes && s->freed_bytes == e->freed_bytes,
          "allocated %llu freed %llu bytes, the analysis %llu %llu", (unsigned long long)s->allocated_bytes,
          (unsigned long long)s->freed_bytes, (unsigned long long)e->allocated_bytes,
          (unsigned long long)e->freed_bytes);
    CHECK(s->heap_bytes == e->heap_bytes, "heap at the end %llu, the analysis %llu", (unsigned long long)s->heap_bytes,
          (unsigned long long)e->heap_bytes);
    CHECK(s->peak_heap_bytes >= e->peak_heap_bytes, "peak %llu under the analysis's %llu",
          (unsigned long long)s->peak_heap_bytes, (unsigned long long)e->peak_heap_bytes);
    CHECK(s->nthreads == e->nthreads, "threads %u, the analysis %u", s->nthreads, e->nthreads);
    CHECK(timeline_begin(sk) == timeline_begin(ex) && timeline_end(sk) == timeline_end(ex), "time range");
    CHECK(timeline_thread_lanes(sk) == timeline_thread_lanes(ex), "lanes %u, the timeline %u",
          timeline_thread_lanes(sk), timeline_thread_lanes(ex));
    bool only_heap = !e->nres_kinds && !e->nopen_failures && !e->ngc && !e->nmarks && !e->nspans;
    CHECK(timeline_sketch_complete(sk) == only_heap, "complete %d, the trace's other events say %d",
          timeline_sketch_complete(sk), only_heap);
    if (timeline_sketch_complete(sk))
        for (uint32_t i = 0; i < e->nthreads; i++)
            CHECK(!strcmp(ls_analysis_thread_name(s, e->threads[i].tid), ls_analysis_thread_name(e, e->threads[i].tid)),
                  "thread %u is named '%s', the analysis says '%s'", e->threads[i].tid,
                  ls_analysis_thread_name(s, e->threads[i].tid), ls_analysis_thread_name(e, e->threads[i].tid));
    /* From the chunk headers alone (ls_index_open_headers, the viewer's
     * first look): the same picture. */
    ls_index *quick = NULL;
    CHECK(ls_index_open_headers(path, &quick, &err) == TRACE_OK, "the headers alone: %s", err.message);
    timeline *qs = quick ? timeline_open_sketch(quick) : NULL;
    CHECK(qs, "no sketch from the headers alone");
    if (qs) {
        enum { QN = 1000 };
        static uint64_t a1[QN], b1[QN], a2[QN], b2[QN];
        uint64_t t0 = timeline_begin(sk), t1 = timeline_end(sk) + 1;
        timeline_heap_range(sk, t0, t1, QN, a1, b1);
        timeline_heap_range(qs, t0, t1, QN, a2, b2);
        CHECK(!memcmp(a1, a2, sizeof a1) && !memcmp(b1, b2, sizeof b1) &&
                  timeline_analysis(qs)->events == s->events && timeline_analysis(qs)->heap_bytes == s->heap_bytes,
              "the sketch from the headers alone differs from the verified index's");
    }
    timeline_free(qs);
    ls_index_unref(quick);
    static const uint32_t widths[] = { 1, 7, 100, 1000, 1920, 4096 };
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
        compare_columns(path, sk, ex, widths[w], widths[w] == 1920 ? tight : 0);
    /* a range inside the trace too: its middle third */
    uint64_t b = timeline_begin(ex), len = timeline_end(ex) - b;
    if (len > 3) {
        uint64_t *smin = calloc(500, 8), *smax = calloc(500, 8), *emin = calloc(500, 8), *emax = calloc(500, 8);
        if (smin && smax && emin && emax) {
            timeline_heap_range(sk, b + len / 3, b + 2 * len / 3, 500, smin, smax);
            timeline_heap_range(ex, b + len / 3, b + 2 * len / 3, 500, emin, emax);
            uint32_t bad = 0;
            for (uint32_t i = 0; i < 500; i++)
                bad += smin[i] > emin[i] || smax[i] < emax[i];
            CHECK(!bad, "the middle third: %u of 500 columns do not hold the heap", bad);
        }
        free(smin);
        free(smax);
        free(emin);
        free(emax);
    }
    timeline_free(sk);
    timeline_free(ex);
}

int main(int argc, char **argv)
{
    bool none = false, refine = false, maybe = false;
    double tight = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--none"))
            none = true;
        else if (!strcmp(argv[i], "--maybe"))
            maybe = true;
        else if (!strcmp(argv[i], "--refine"))
            refine = true;
        else if (!strcmp(argv[i], "--tight") && i + 1 < argc)
            tight = atof(argv[++i]);
        else
            break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: test-sketch [--none|--maybe] [--refine] [--tight PERCENT] TRACE...\n");
        return 2;
    }
    for (; i < argc; i++)
        check_trace(argv[i], none, maybe, tight, refine);
    if (!failures)
        printf("test-sketch: ok\n");
    return failures ? 1 : 0;
}

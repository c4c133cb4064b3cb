/* fuzz-sketch.c — the sketch (model/timeline-sketch.c) on arbitrary bytes:
 * the index opened, the timeline drawn from the chunk summaries (hostile
 * ones: the reader checks their rules, not their heap, which only the
 * events could tell), its queries at several widths, and a second sketch
 * refined while the whole timeline is read; and the sketch of the chunk
 * headers alone (ls_index_open_headers). Nothing may crash, hang or run
 * out of memory; what lying summaries draw is not checked.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "fuzz.h"
#include "timeline.h"
#include "trace-index.h"

#include <stdlib.h>
#include <unistd.h>

static void query(timeline *tl)
{
    enum { N = 97 };
    uint64_t mn[N], mx[N];
    double c[N], b[N], *lanes = malloc(sizeof(double) * N * (timeline_thread_lanes(tl) + 1));
    if (!lanes)
        abort();
    uint64_t t0 = timeline_begin(tl), t1 = timeline_end(tl) + 1;
    static const uint32_t widths[] = { 1, 7, N };
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
        timeline_heap_range(tl, t0, t1, widths[w], mn, mx);
        timeline_alloc_range(tl, t0, t1, widths[w], c, b);
        timeline_threads_range(tl, t0, t1, widths[w], lanes);
    }
    if (t1 - t0 > 8) /* a narrow view inside */
        timeline_heap_range(tl, t0 + (t1 - t0) / 3, t0 + (t1 - t0) / 3 + 4, 3, mn, mx);
    (void)timeline_sketch_exact_until(tl);
    (void)timeline_sketch_complete(tl);
    free(lanes);
}

static void on_partial(void *user, const timeline *building, uint32_t done)
{
    timeline *sketch = user;
    timeline_refinement *r = timeline_refinement_take(building, 0, done);
    timeline_sketch_refine(sketch, r);
    timeline_refinement_free(r);
}

static void sketch_all(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        abort();
    ls_index *idx = NULL;
    trace_error err;
    trace_status st = ls_index_open(path, &idx, &err);
    FUZZ_CHECK_NOT_NOMEM(st);
    if (st == TRACE_OK) {
        timeline *sk = timeline_open_sketch(idx);
        if (sk) {
            query(sk);
            timeline *tl = NULL;
            st = timeline_open_index(idx, NULL, on_partial, sk, false, &tl, &err);
            FUZZ_CHECK_NOT_NOMEM(st);
            query(sk);
            timeline_free(tl);
            timeline_free(sk);
        }
    }
    ls_index_unref(idx);
    /* the viewer's first look: the headers alone, unverified */
    idx = NULL;
    st = ls_index_open_headers(path, &idx, &err);
    FUZZ_CHECK_NOT_NOMEM(st);
    if (st == TRACE_OK) {
        timeline *sk = timeline_open_sketch(idx);
        if (sk)
            query(sk);
        timeline_free(sk);
    }
    ls_index_unref(idx);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_run_both(data, size, sketch_all);
}

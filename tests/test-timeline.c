/* test-timeline.c — the timeline summary against a brute-force heap: two
 * threads allocate and free at interleaved times; every envelope column must
 * hold exactly the true min and max, and the exact steps of a zoomed-in
 * window must be the true series, event by event.
 *
 * SPDX-License-Identifier: MIT
 */
#include "test-util.h"
#include "timeline.h"
#include "timeline-private.h"
#include "trace-writer.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PER_THREAD 300000u
#define LIVE 256u

typedef struct step {
    uint64_t ts, heap;
    int64_t delta;      /* > 0: an allocation of that many bytes */
    uint32_t thread;    /* 0 or 1 (tid 100 + thread) */
} step;

static step *truth;
static uint32_t ntruth;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Thread t stamps times of t's parity; the truth is the merged heap series. */
static void write_trace(const char *path)
{
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8 };
    snprintf(info.program, sizeof info.program, "/bin/timeline-test");
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    int64_t *delta = calloc(2ull * PER_THREAD, sizeof *delta);
    uint64_t *tsv = calloc(2ull * PER_THREAD, sizeof *tsv);
    for (uint32_t t = 0; t < 2; t++) {
        uint64_t seed = 0x9E3779B97F4A7C15ull + t, live[LIVE] = { 0 }, size[LIVE] = { 0 };
        uint64_t ts = 1000000 + t;
        for (uint32_t i = 0; i < PER_THREAD; i++, ts += 2 + (rnd(&seed) % 4 == 0 ? 1000 : 0)) {
            uint32_t slot = (uint32_t)(rnd(&seed) % LIVE);
            trace_event ev = { .ts = ts };
            tsv[2 * i + t] = ts;
            if (live[slot]) {
                ev.kind = TRACE_FREE;
                ev.addr = live[slot];
                delta[2 * i + t] = -(int64_t)size[slot];
                live[slot] = 0;
            } else {
                ev.kind = TRACE_ALLOC;
                ev.addr = ((uint64_t)(t + 1) << 40) + ((uint64_t)slot << 12);
                ev.size = 1 + rnd(&seed) % 100000;
                live[slot] = ev.addr;
                size[slot] = ev.size;
                delta[2 * i + t] = (int64_t)ev.size;
            }
            if (trace_writer_add_event(w, 100 + t, &ev) != TRACE_OK)
                exit(1);
        }
    }
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
    /* Thread 0 stamps even, thread 1 odd times: the merge is unambiguous. */
    truth = malloc(2ull * PER_THREAD * sizeof *truth);
    uint32_t idx[2] = { 0, 0 };
    uint64_t heap = 0;
    while (idx[0] < PER_THREAD || idx[1] < PER_THREAD) {
        uint32_t t = idx[1] >= PER_THREAD || (idx[0] < PER_THREAD && tsv[2 * idx[0]] < tsv[2 * idx[1] + 1]) ? 0 : 1;
        heap += (uint64_t)delta[2 * idx[t] + t];
        truth[ntruth++] = (step){ tsv[2 * idx[t] + t], heap, delta[2 * idx[t] + t], t };
        idx[t]++;
    }
    free(delta);
    free(tsv);
}

static uint64_t heap_at(uint64_t t) /* heap after every event at or before t */
{
    uint32_t lo = 0, hi = ntruth;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (truth[mid].ts <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? truth[lo - 1].heap : 0;
}

static void check_columns(timeline *tl, uint64_t t0, uint64_t t1, uint32_t n)
{
    uint64_t *mn = malloc(n * sizeof *mn), *mx = malloc(n * sizeof *mx);
    bool exact = timeline_heap_range(tl, t0, t1, n, mn, mx);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = t0 + (uint64_t)((unsigned __int128)(t1 - t0) * i / n);
        uint64_t b = t0 + (uint64_t)((unsigned __int128)(t1 - t0) * (i + 1) / n);
        uint64_t lo = a ? heap_at(a - 1) : 0, hi = lo;
        for (uint32_t k = 0; k < ntruth; k++) {
            if (truth[k].ts < a || truth[k].ts >= b)
                continue;
            lo = truth[k].heap < lo ? truth[k].heap : lo;
            hi = truth[k].heap > hi ? truth[k].heap : hi;
        }
        /* Exact columns match; bucket columns cover a superset of the column. */
        if (exact ? (mn[i] != lo || mx[i] != hi) : (mn[i] > lo || mx[i] < hi))
            bad++;
    }
    CHECK(bad == 0);
    if (bad)
        fprintf(stderr, "  range %llu..%llu n=%u exact=%d: %u bad columns\n", (unsigned long long)t0,
                (unsigned long long)t1, n, exact, bad);
    free(mn);
    free(mx);
}

/* Zoomed in past the base buckets, the allocation counts and the thread
 * lanes are exact per event too: each in its own column. */
static void check_rates(timeline *tl, uint64_t t0, uint64_t t1, uint32_t n)
{
    uint64_t *mn = malloc(n * sizeof *mn), *mx = malloc(n * sizeof *mx);
    double *count = calloc(n, sizeof *count), *bytes = calloc(n, sizeof *bytes), *lane = calloc(n, sizeof *lane);
    double *want_c = calloc(n, sizeof *want_c), *want_b = calloc(n, sizeof *want_b), *want_l = calloc(n, sizeof *want_l);
    if (!timeline_heap_range(tl, t0, t1, n, mn, mx)) { /* the decoded window, as render's heap row asks first */
        CHECK(!"the window was decoded");
        goto out;
    }
    timeline_alloc_range(tl, t0, t1, n, count, bytes);
    uint32_t l1 = timeline_thread_lane_tid(tl, 0) == 101 ? 0 : 1; /* the lane of tid 101 */
    double *lanes = calloc((size_t)timeline_thread_lanes(tl) * n, sizeof *lanes);
    if (!lanes)
        goto out;
    timeline_threads_range(tl, t0, t1, n, lanes);
    memcpy(lane, lanes + (size_t)l1 * n, n * sizeof *lane);
    free(lanes);
    for (uint32_t k = 0; k < ntruth; k++) {
        if (truth[k].ts < t0 || truth[k].ts >= t1)
            continue;
        uint32_t c = (uint32_t)((unsigned __int128)(truth[k].ts - t0) * n / (t1 - t0));
        if (truth[k].delta > 0) {
            want_c[c] += 1;
            want_b[c] += (double)truth[k].delta;
        }
        want_l[c] += truth[k].thread == 1;
    }
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; i++)
        bad += count[i] != want_c[i] || bytes[i] != want_b[i] || lane[i] != want_l[i];
    CHECK_EQ_U64(bad, 0);
out:
    free(mn);
    free(mx);
    free(count);
    free(bytes);
    free(lane);
    free(want_c);
    free(want_b);
    free(want_l);
}

/* A writer on a new file at path (a mkstemp template); NULL if none. */
static trace_writer *temp_trace(char *path)
{
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    close(fd);
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8 };
    trace_writer *w;
    CHECK(trace_writer_create(path, &info, &w) == TRACE_OK);
    return w;
}

/* The decoded window's margin: an inexact bucket (an allocation over a
 * block still live: the replay cannot know what it replaced) just left of
 * the view stops the margin on that side only; the window still reaches
 * past the view on the right, so a pan to the right is not decoded again. */
static void check_margin(void)
{
    char path[] = "/tmp/test-timeline-margin-XXXXXX";
    trace_writer *w = temp_trace(path);
    if (!w)
        return;
    const uint64_t N = 200000, gap = 1000; /* an allocation and a free per step: 200 ms */
    for (uint64_t i = 0; i < N; i++) {
        trace_event a = { .kind = TRACE_ALLOC, .ts = i * gap, .addr = 0x10000 + 64 * (i % 32), .size = 16 };
        trace_writer_add_event(w, 1, &a);
        if (i == N / 2) { /* the same address again, never freed in between */
            trace_event again = { .kind = TRACE_ALLOC, .ts = i * gap + 1, .addr = a.addr, .size = 16 };
            trace_writer_add_event(w, 1, &again);
        }
        trace_event f = { .kind = TRACE_FREE, .ts = i * gap + 500, .addr = a.addr };
        trace_writer_add_event(w, 1, &f);
    }
    CHECK(trace_writer_close(w, 0) == TRACE_OK);
    timeline *tl;
    trace_error err;
    CHECK(timeline_open(path, &tl, &err) == TRACE_OK);
    if (tl) {
        uint32_t bad = tl_bucket(tl, tl->t0 + N / 2 * gap + 1);
        CHECK(tl->inexact[bad]);
        /* A view of two buckets right after the inexact one. */
        uint64_t v0 = tl_bucket_start(tl, bad + 1), v1 = tl_bucket_start(tl, bad + 3) - 1;
        CHECK(tl_window_ensure(tl, v0, v1));
        CHECK(tl->win.begin == v0);       /* not over the inexact bucket */
        CHECK(tl->win.end > v1 + tl->w);  /* but on beyond the view */
        uint64_t begin = tl->win.begin, end = tl->win.end;
        CHECK(tl_window_ensure(tl, v0 + tl->w, v1 + tl->w)); /* a pan right by a bucket */
        CHECK(tl->win.begin == begin && tl->win.end == end); /* the same window, not decoded again */
        timeline_free(tl);
    }
    /* The same view panned as the viewer pans, a few pixels a frame, with
     * every query a frame makes: decoded once, on the first frame. */
    CHECK(timeline_open(path, &tl, &err) == TRACE_OK);
    if (tl) {
        uint32_t bad = tl_bucket(tl, tl->t0 + N / 2 * gap + 1), n = 1920;
        uint64_t v0 = tl_bucket_start(tl, bad + 1), width = 200 * tl->w; /* 200 buckets: a pan crosses some */
        uint64_t *ts = malloc((n + 1) * sizeof *ts), *heap = malloc((n + 1) * sizeof *heap);
        double *count = malloc(n * sizeof *count), *lanes = malloc((size_t)timeline_thread_lanes(tl) * n * sizeof *lanes);
        CHECK_EQ_U64(timeline_decodes(tl), 0);
        for (uint32_t f = 0; ts && heap && count && lanes && f < 60; f++) {
            uint64_t a = v0 + width * 3 * f / n, b = a + width;
            if (timeline_heap_steps(tl, a, b, n, ts, heap) < 0)
                CHECK(timeline_heap_range(tl, a, b, n, ts, heap));
            timeline_alloc_range(tl, a, b, n / 2, count, NULL);
            timeline_threads_range(tl, a, b, n, lanes);
        }
        CHECK_EQ_U64(timeline_decodes(tl), 1);
        free(ts);
        free(heap);
        free(count);
        free(lanes);
        timeline_free(tl);
    }
    unlink(path);
}

/* Many small chunks (a thread's run of 50 events each): the window's margin
 * is over the chunks' budget, so it is halved until it fits, not dropped;
 * a pan by a few pixels a frame still finds the window decoded. */
static void check_small_chunks(void)
{
    char path[] = "/tmp/test-timeline-chunks-XXXXXX";
    trace_writer *w = temp_trace(path);
    if (!w)
        return;
    const uint64_t N = 50000, gap = 1000;
    for (uint64_t i = 0; i < N; i++) { /* 25 steps (50 events) of one thread, then of the other */
        uint32_t tid = 1 + (uint32_t)(i / 25 % 2);
        trace_event a = { .kind = TRACE_ALLOC, .ts = i * gap, .addr = 0x10000 * tid + 64 * (i % 8), .size = 16 };
        trace_event f = { .kind = TRACE_FREE, .ts = i * gap + 500, .addr = a.addr };
        trace_writer_add_event(w, tid, &a);
        trace_writer_add_event(w, tid, &f);
    }
    CHECK(trace_writer_close(w, 0) == TRACE_OK);
    timeline *tl;
    trace_error err;
    CHECK(timeline_open(path, &tl, &err) == TRACE_OK);
    if (tl) {
        CHECK(tl->nchunks > 4 * TL_EXACT_MAX_CHUNKS);
        /* A view of about half the chunks' budget, in the middle. */
        uint64_t per_chunk = 25 * gap, width = per_chunk * TL_EXACT_MAX_CHUNKS / 2, v0 = tl->t0 + N * gap / 2;
        uint32_t n = 1920;
        uint64_t *mn = malloc(n * sizeof *mn), *mx = malloc(n * sizeof *mx);
        for (uint32_t f = 0; mn && mx && f < 60; f++) {
            uint64_t a = v0 + width * 3 * f / n;
            CHECK(timeline_heap_range(tl, a, a + width, n, mn, mx));
        }
        CHECK_EQ_U64(timeline_decodes(tl), 1);
        free(mn);
        free(mx);
        timeline_free(tl);
    }
    unlink(path);
}

int main(void)
{
    char path[] = "/tmp/test-timeline-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    write_trace(path);
    timeline *tl;
    trace_error err;
    CHECK(timeline_open(path, &tl, &err) == TRACE_OK);
    if (!tl) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    CHECK_EQ_U64(timeline_analysis(tl)->events, 2ull * PER_THREAD);
    CHECK_EQ_U64(timeline_begin(tl), truth[0].ts);
    CHECK_EQ_U64(timeline_end(tl), truth[ntruth - 1].ts);
    uint64_t t0 = timeline_begin(tl), t1 = timeline_end(tl) + 1;

    /* Zoomed out: the whole trace on 1000 columns (bucket envelope). */
    check_columns(tl, t0, t1, 1000);
    /* Zoomed in: a few hundred ns to tens of µs, exact per event. */
    uint64_t span[] = { 300, 5000, 40000 };
    for (int s = 0; s < 3; s++) {
        for (uint64_t k = 1; k <= 5; k++) {
            uint64_t a = t0 + (t1 - t0) / 7 * k + s * 997;
            check_columns(tl, a, a + span[s], 400);
            if (span[s] <= 5000)
                check_rates(tl, a, a + span[s], 400);
            uint64_t ts[1024], hp[1024];
            int64_t n = timeline_heap_steps(tl, a, a + span[s], 1024, ts, hp);
            if (span[s] <= 5000) {
                CHECK(n > 0);
                CHECK_EQ_U64(hp[0], heap_at(a - 1));
                uint64_t bad = 0;
                for (int64_t i = 1; i < n; i++)
                    bad += hp[i] != heap_at(ts[i]);
                CHECK_EQ_U64(bad, 0);
            }
        }
    }
    /* Allocation counts add up over the whole trace. */
    double count[10];
    timeline_alloc_range(tl, t0, t1, 10, count, NULL);
    double sum = 0;
    for (int i = 0; i < 10; i++)
        sum += count[i];
    CHECK_EQ_U64((uint64_t)(sum + 0.5), timeline_analysis(tl)->allocations);
    CHECK(timeline_thread_lanes(tl) == 2);
    printf("timeline memory %llu bytes for %u events\n", (unsigned long long)timeline_memory(tl), ntruth);
    timeline_free(tl);
    unlink(path);
    free(truth);
    check_margin();
    check_small_chunks();
    TEST_DONE();
}

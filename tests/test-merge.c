/* test-merge.c — the one order of a trace's events (viewer/model/merge.h),
 * on traces built so that the order is not left to luck: ties at every
 * chunk boundary of a thread, ties across threads, a thread whose clock
 * steps back between chunks, any time range against the whole, and a
 * damaged chunk in the middle.
 *
 * `test-merge CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "analysis.h"
#include "merge.h"
#include "test-util.h"
#include "trace-reader.h"
#include "trace-writer.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/leakscope-test-merge-XXXXXX";

static trace_writer *create(const char *path)
{
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8 };
    snprintf(info.program, sizeof info.program, "/bin/merge-test");
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    return w;
}

static void add(trace_writer *w, uint32_t thread, uint32_t kind, uint64_t ts, uint64_t addr, uint64_t size)
{
    trace_event ev = { .kind = kind, .ts = ts, .addr = addr, .size = size };
    if (trace_writer_add_event(w, thread, &ev) != TRACE_OK)
        exit(1);
}

static void end_chunk(trace_writer *w)
{
    if (trace_writer_flush(w) != TRACE_OK)
        exit(1);
}

static void close_writer(trace_writer *w)
{
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
}

static ls_analysis *load(const char *path)
{
    ls_analysis *a = NULL;
    trace_error err;
    if (ls_analysis_load(path, &a, &err) != TRACE_OK) {
        fprintf(stderr, "%s: %s\n", path, err.message);
        exit(1);
    }
    return a;
}

/* Every events chunk of the file, with the reader's dictionaries loaded. */
static trace_reader *open_chunks(const char *path, trace_chunk_info **out, uint32_t *n)
{
    trace_reader *r;
    trace_error err;
    if (trace_reader_open(path, &r, &err) != TRACE_OK)
        exit(1);
    trace_chunk_info ci, *v = NULL;
    uint32_t k = 0;
    trace_chunk *c = trace_chunk_new();
    while (trace_reader_next_chunk(r, &ci) == TRACE_OK) {
        if (ci.kind == TRACE_CHUNK_DICT) {
            trace_event ev;
            trace_status st = trace_chunk_load(c, r, &ci);
            while (st == TRACE_OK)
                st = trace_chunk_next(c, &ev);
        } else if (ci.kind == TRACE_CHUNK_EVENTS) {
            v = realloc(v, (k + 1) * sizeof *v);
            v[k++] = ci;
        }
    }
    trace_chunk_free(c);
    *out = v;
    *n = k;
    return r;
}

/* One thread; each chunk ends with an allocation and the next begins with
 * its free at the same timestamp. "Releases first at equal timestamps"
 * applied within the thread would take every such free before its
 * allocation: an unmatched free and a leak at each boundary. */
static void case_thread_ties(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/ties.trace", dir);
    trace_writer *w = create(path);
    const uint32_t chunks = 200;
    uint64_t ts = 1000;
    for (uint32_t k = 0; k < chunks; k++) {
        if (k)
            add(w, 7, TRACE_FREE, ts, 0x10000 + 64 * (k - 1), 0);
        for (uint32_t i = 0; i < 10; i++) { /* some churn inside the chunk */
            add(w, 7, TRACE_ALLOC, ++ts, 0x900000 + 32 * i, 24);
            add(w, 7, TRACE_FREE, ts, 0x900000 + 32 * i, 0);
        }
        add(w, 7, TRACE_ALLOC, ++ts, 0x10000 + 64 * k, 100);
        end_chunk(w);
    }
    close_writer(w);
    ls_analysis *a = load(path);
    CHECK_EQ_U64(a->allocations, chunks * 11);
    CHECK_EQ_U64(a->frees, chunks * 11 - 1);
    CHECK_EQ_U64(a->unmatched_frees, 0);
    CHECK_EQ_U64(a->leaked_blocks, 1);
    CHECK_EQ_U64(a->leaked_bytes, 100);
    CHECK_EQ_U64(a->peak_heap_bytes, 100);
    ls_analysis_free(a);

    /* The file holds the ties the case is about. */
    trace_chunk_info *ci;
    uint32_t n;
    trace_reader *r = open_chunks(path, &ci, &n);
    CHECK_EQ_U64(n, chunks);
    uint32_t ties = 0;
    for (uint32_t k = 1; k < n; k++)
        ties += ci[k].first_ts == ci[k - 1].last_ts;
    CHECK_EQ_U64(ties, chunks - 1);
    free(ci);
    trace_reader_close(r);
}

/* Two threads: thread 9 frees X at T, thread 3 allocates X at T (the
 * allocator handed the address on). Across threads the free comes first,
 * whichever chunk the file holds first. Allocations of two threads at one
 * timestamp come in thread order. */
static void case_cross_thread(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/cross.trace", dir);
    trace_writer *w = create(path);
    add(w, 9, TRACE_ALLOC, 100, 0x5000, 10);
    end_chunk(w);
    add(w, 3, TRACE_ALLOC, 200, 0x5000, 20); /* written first, stamped at the free's tick */
    add(w, 3, TRACE_ALLOC, 300, 0x7000, 1);
    end_chunk(w);
    add(w, 9, TRACE_FREE, 200, 0x5000, 0);
    add(w, 9, TRACE_ALLOC, 300, 0x6000, 2);
    end_chunk(w);
    close_writer(w);
    ls_analysis *a = load(path);
    CHECK_EQ_U64(a->unmatched_frees, 0);
    CHECK_EQ_U64(a->leaked_blocks, 3);
    CHECK_EQ_U64(a->leaked_bytes, 23);
    ls_analysis_free(a);

    trace_chunk_info *ci;
    uint32_t n;
    trace_reader *r = open_chunks(path, &ci, &n);
    ls_merge *m = ls_merge_new(r, ci, n, 0, UINT64_MAX);
    static const struct { uint32_t thread, kind; uint64_t ts, addr; } want[] = {
        { 9, TRACE_ALLOC, 100, 0x5000 }, { 9, TRACE_FREE, 200, 0x5000 }, { 3, TRACE_ALLOC, 200, 0x5000 },
        { 3, TRACE_ALLOC, 300, 0x7000 }, { 9, TRACE_ALLOC, 300, 0x6000 },
    };
    trace_event ev;
    uint32_t got = 0;
    while (ls_merge_next(m, &ev) == TRACE_OK) {
        if (got < 5) {
            CHECK_EQ_U64(ev.thread, want[got].thread);
            CHECK_EQ_U64(ev.kind, want[got].kind);
            CHECK_EQ_U64(ev.ts, want[got].ts);
            CHECK_EQ_U64(ev.addr, want[got].addr);
        }
        got++;
    }
    CHECK_EQ_U64(got, 5);
    ls_merge_free(m);
    free(ci);
    trace_reader_close(r);
}

typedef struct rec {
    uint64_t ts, addr;
    uint32_t thread, kind;
} rec;

/* Cases named "-ahead" run the cursor decoding ahead on its worker thread
 * (ls_merge_decode_ahead): the same events, in the same order. */
static bool ahead;

static ls_merge *new_merge(trace_reader *r, const trace_chunk_info *ci, uint32_t n, uint64_t from, uint64_t to)
{
    ls_merge *m = ls_merge_new(r, ci, n, from, to);
    /* False for a range of fewer than two chunks (nothing to decode ahead) */
    if (ahead)
        ls_merge_decode_ahead(m);
    return m;
}

static uint32_t collect(trace_reader *r, const trace_chunk_info *ci, uint32_t n, uint64_t from, uint64_t to,
                        rec *out, uint32_t max)
{
    ls_merge *m = new_merge(r, ci, n, from, to);
    trace_event ev;
    uint32_t k = 0;
    trace_status st;
    while ((st = ls_merge_next(m, &ev)) == TRACE_OK && k < max)
        out[k++] = (rec){ ev.ts, ev.addr, ev.thread, ev.kind };
    CHECK(st == TRACE_END);
    ls_merge_free(m);
    return k;
}

/* Four threads on a coarse clock (many ties within and across threads),
 * one of them stepping back in time between chunks: a thread's events keep
 * their file order, time never goes back on a thread, and any range yields
 * exactly the whole merge's events in that range, in the same order. */
static void case_ranges(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/ranges.trace", dir);
    trace_writer *w = create(path);
    enum { THREADS = 4, PER = 20000 };
    uint64_t seed = 12345, ts[THREADS] = { 0 };
    uint32_t seq[THREADS] = { 0 };
    uint64_t written = 0;
    for (uint32_t round = 0; round < 40; round++) {
        for (uint32_t t = 0; t < THREADS; t++) {
            if (t == 2 && round)
                ts[t] -= 3; /* this thread's next chunk starts before the last one ended */
            for (uint32_t i = 0; i < PER / 40; i++) {
                ts[t] += test_rnd(&seed) % 3; /* a quarter of the gaps are 0 */
                /* The address encodes (thread, sequence): order is checkable. */
                add(w, 100 + t, i % 2 ? TRACE_FREE : TRACE_ALLOC, ts[t], (uint64_t)(t + 1) << 32 | seq[t]++, 8);
                written++;
            }
            end_chunk(w);
        }
    }
    close_writer(w);
    trace_chunk_info *ci;
    uint32_t n;
    trace_reader *r = open_chunks(path, &ci, &n);
    rec *all = malloc(written * sizeof *all), *part = malloc(written * sizeof *part);
    uint32_t nall = collect(r, ci, n, 0, UINT64_MAX, all, (uint32_t)written);
    CHECK_EQ_U64(nall, written);
    uint32_t last_seq[THREADS] = { 0 };
    uint64_t last_ts[THREADS] = { 0 };
    bool in_order = true, monotonic = true;
    for (uint32_t i = 0; i < nall; i++) {
        uint32_t t = all[i].thread - 100, s = (uint32_t)all[i].addr;
        in_order &= (s == 0 && !last_seq[t]) || s == last_seq[t] + 1;
        last_seq[t] = s;
        monotonic &= all[i].ts >= last_ts[t];
        last_ts[t] = all[i].ts;
        if (i) /* across threads: by time, then releases, then thread */
            monotonic &= all[i].ts >= all[i - 1].ts;
    }
    CHECK(in_order);
    CHECK(monotonic);
    uint64_t t_end = all[nall - 1].ts;
    for (uint32_t q = 0; q < 200; q++) {
        uint64_t from = test_rnd(&seed) % (t_end + 2), to = from + test_rnd(&seed) % (t_end / 8 + 1);
        uint32_t k = collect(r, ci, n, from, to, part, (uint32_t)written), j = 0;
        bool same = true;
        for (uint32_t i = 0; i < nall && all[i].ts <= to; i++) {
            if (all[i].ts < from)
                continue;
            same &= j < k && memcmp(&all[i], &part[j], sizeof *part) == 0;
            j++;
        }
        CHECK(same && j == k);
    }
    free(all);
    free(part);
    free(ci);
    trace_reader_close(r);
}

/* A chunk with a damaged payload in the middle: the merge reports it once,
 * says which chunk it was, and goes on with every other chunk. */
static void case_damaged_chunk(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/damaged.trace", dir);
    trace_writer *w = create(path);
    for (uint32_t k = 0; k < 5; k++) {
        for (uint32_t i = 0; i < 100; i++)
            add(w, 1 + k % 2, TRACE_ALLOC, 1000 * k + i, 0x1000 * (k + 1) + 16 * i, 16);
        end_chunk(w);
    }
    close_writer(w);
    trace_chunk_info *ci;
    uint32_t n;
    trace_reader *r = open_chunks(path, &ci, &n);
    CHECK_EQ_U64(n, 5);
    int fd = open(path, O_RDWR);
    uint8_t b;
    off_t at = (off_t)(ci[2].end - 10);
    CHECK(pread(fd, &b, 1, at) == 1);
    b ^= 0x40;
    CHECK(pwrite(fd, &b, 1, at) == 1);
    close(fd);
    ls_merge *m = new_merge(r, ci, n, 0, UINT64_MAX);
    trace_event ev;
    trace_status st;
    uint32_t events = 0, errors = 0;
    while ((st = ls_merge_next(m, &ev)) != TRACE_END) {
        if (st == TRACE_OK) {
            events++;
            CHECK(ev.ts < 2000 || ev.ts >= 3000);
            continue;
        }
        errors++;
        CHECK(st == TRACE_ERR_CHECKSUM);
        uint32_t decoded = 99;
        const trace_chunk_info *bad = ls_merge_failed_chunk(m, &decoded);
        CHECK(bad && bad->offset == ci[2].offset);
        CHECK_EQ_U64(decoded, 0);
        CHECK(ls_merge_error(m)->status == TRACE_ERR_CHECKSUM && strstr(ls_merge_error(m)->message, "checksum"));
    }
    CHECK_EQ_U64(errors, 1);
    CHECK_EQ_U64(events, 400);
    CHECK(ls_merge_failed_chunk(m, NULL) == NULL);
    ls_merge_free(m);
    free(ci);
    trace_reader_close(r);
}

/* Decoding ahead guesses the order chunks are wanted in (by first
 * timestamp); here a thread's chunks start long before they are wanted
 * (each begins with one early event, then jumps past the other thread's
 * whole run), so many guesses are wrong and those chunks are decoded by the
 * merge itself: the events still come out exactly as without decoding
 * ahead. */
static void case_ahead_guesses(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/guesses.trace", dir);
    trace_writer *w = create(path);
    uint64_t written = 0;
    for (uint32_t k = 0; k < 30; k++) {
        add(w, 7, TRACE_ALLOC, 10 * k, 0x100000 + k, 1); /* early */
        for (uint32_t i = 0; i < 50; i++)
            add(w, 7, TRACE_ALLOC, 100000 + 1000 * k + i, 0x200000 + 64 * k + i, 2);
        end_chunk(w);
        for (uint32_t i = 0; i < 50; i++)
            add(w, 8, TRACE_FREE, 20 * k + i, 0x300000 + 64 * k + i, 0);
        end_chunk(w);
        written += 101;
    }
    close_writer(w);
    trace_chunk_info *ci;
    uint32_t n;
    trace_reader *r = open_chunks(path, &ci, &n);
    rec *plain = malloc(written * sizeof *plain), *with = malloc(written * sizeof *with);
    ahead = false;
    uint32_t k1 = collect(r, ci, n, 0, UINT64_MAX, plain, (uint32_t)written);
    ahead = true;
    uint32_t k2 = collect(r, ci, n, 0, UINT64_MAX, with, (uint32_t)written);
    CHECK_EQ_U64(k1, written);
    CHECK_EQ_U64(k2, written);
    CHECK(memcmp(plain, with, written * sizeof *plain) == 0);
    ls_merge *m = ls_merge_new(r, ci, n, 0, UINT64_MAX);
    CHECK(ls_merge_decode_ahead(m) || sysconf(_SC_NPROCESSORS_ONLN) < 2); /* it did decode ahead above */
    ls_merge_free(m);
    free(plain);
    free(with);
    free(ci);
    trace_reader_close(r);
}

static void case_ranges_ahead(void)
{
    ahead = true;
    case_ranges();
}

static void case_damaged_ahead(void)
{
    ahead = true;
    case_damaged_chunk();
}

static const test_case cases[] = {
    { "thread-ties", case_thread_ties },
    { "cross-thread", case_cross_thread },
    { "ranges", case_ranges },
    { "damaged-chunk", case_damaged_chunk },
    { "ranges-ahead", case_ranges_ahead },
    { "damaged-ahead", case_damaged_ahead },
    { "ahead-guesses", case_ahead_guesses },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-merge", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}

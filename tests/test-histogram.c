/* test-histogram.c — the size and lifetime histograms (viewer/model/
 * histogram.h): the bucket edges, every bucket of a synthetic trace whose
 * sizes and lifetimes are known (per stack and in all, reallocs and a
 * block whose free was not recorded included), the most frequent exact
 * sizes, the totals against the analysis, and summing histograms (a call
 * site's stacks, site-diff.h), two runs' buckets side by side and a
 * bucket's words.
 *
 * `test-histogram CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "analysis.h"
#include "histogram.h"
#include "test-trace.h"
#include "site-diff.h"
#include "test-util.h"
#include "trace-writer.h"
#include "units.h"

#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/leakscope-test-histogram-XXXXXX";

/* Bucket edges: [2^k, 2^(k+1)) bytes (0 and 1 in bucket 0), [2^(k-1), 2^k) µs
 * (under 1 µs in bucket 0), inclusive `to`, contiguous, the last to UINT64_MAX. */
static void case_edges(void)
{
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_SIZES, 0), 0);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_SIZES, 1), 0);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_SIZES, 2), 1);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_SIZES, 511), 8);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_SIZES, 512), 9);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_SIZES, 1000), 9);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_SIZES, 1023), 9);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_SIZES, 1024), 10);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_SIZES, UINT64_MAX), 63);
    CHECK_EQ_U64(ls_hist_from(LS_HIST_SIZES, 9), 512);
    CHECK_EQ_U64(ls_hist_to(LS_HIST_SIZES, 9), 1023);
    CHECK_EQ_U64(ls_hist_from(LS_HIST_SIZES, 0), 0);
    CHECK_EQ_U64(ls_hist_to(LS_HIST_SIZES, 0), 1);
    CHECK_EQ_U64(ls_hist_to(LS_HIST_SIZES, 63), UINT64_MAX);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_LIFETIMES, 0), 0);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_LIFETIMES, 999), 0);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_LIFETIMES, 1000), 1);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_LIFETIMES, 1999), 1);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_LIFETIMES, 2000), 2);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_LIFETIMES, 1000000), 10);
    CHECK_EQ_U64(ls_hist_bucket_of(LS_HIST_LIFETIMES, UINT64_MAX), LS_HIST_LIFETIME_BUCKETS - 1);
    CHECK_EQ_U64(ls_hist_to(LS_HIST_LIFETIMES, 0), 999);
    CHECK_EQ_U64(ls_hist_from(LS_HIST_LIFETIMES, 10), 512000);
    CHECK_EQ_U64(ls_hist_to(LS_HIST_LIFETIMES, 10), 1023999);
    CHECK_EQ_U64(ls_hist_to(LS_HIST_LIFETIMES, LS_HIST_LIFETIME_BUCKETS - 1), UINT64_MAX);
    for (int kind = LS_HIST_SIZES; kind <= LS_HIST_LIFETIMES; kind++)
        for (unsigned k = 0; k + 1 < ls_hist_buckets((ls_hist_kind)kind); k++) {
            CHECK_EQ_U64(ls_hist_to((ls_hist_kind)kind, k) + 1, ls_hist_from((ls_hist_kind)kind, k + 1));
            CHECK_EQ_U64(ls_hist_bucket_of((ls_hist_kind)kind, ls_hist_from((ls_hist_kind)kind, k)), k);
            CHECK_EQ_U64(ls_hist_bucket_of((ls_hist_kind)kind, ls_hist_to((ls_hist_kind)kind, k)), k);
        }
}

static uint64_t now = 1000;

static void ev(trace_writer *w, uint32_t kind, uint64_t addr, uint64_t addr2, uint64_t size, uint32_t stack)
{
    trace_event e = { .kind = kind, .ts = now, .addr = addr, .addr2 = addr2, .size = size, .stack = stack };
    if (trace_writer_add_event(w, 1, &e) != TRACE_OK)
        exit(1);
}

/* Stack 1: 3 x 1000 bytes living 500 ns, 2 µs and 5 µs. Stack 2: 2 x 64
 * bytes, one living 1 ms, one never freed. Stack 3: 10 bytes reallocated
 * to 5000 after 1.5 µs (the old block's lifetime ends there), freed 3 µs
 * later. Stack 4: 7 bytes allocated again at its address after 40 µs with
 * no free between (its lifetime ends there), the new block (0 bytes)
 * never freed. */
static ls_analysis *load(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/histogram.trace", dir);
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8, .stack_depth = 8 };
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    for (uint32_t s = 1; s <= 4; s++) {
        uint64_t frame = 0x400000 + 0x10 * s;
        if (trace_writer_add_stack(w, s, &frame, 1) != TRACE_OK)
            exit(1);
    }
    ev(w, TRACE_ALLOC, 0x1000, 0, 1000, 1);
    now += 500;
    ev(w, TRACE_FREE, 0x1000, 0, 0, 0);
    ev(w, TRACE_ALLOC, 0x1000, 0, 1000, 1);
    now += 2000;
    ev(w, TRACE_FREE, 0x1000, 0, 0, 0);
    ev(w, TRACE_ALLOC, 0x1000, 0, 1000, 1);
    now += 5000;
    ev(w, TRACE_FREE, 0x1000, 0, 0, 0);
    ev(w, TRACE_ALLOC, 0x2000, 0, 64, 2);
    ev(w, TRACE_ALLOC, 0x2100, 0, 64, 2);
    now += 1000000;
    ev(w, TRACE_FREE, 0x2000, 0, 0, 0);
    ev(w, TRACE_ALLOC, 0x3000, 0, 10, 3);
    now += 1500;
    ev(w, TRACE_REALLOC, 0x3000, 0x3100, 5000, 3);
    now += 3000;
    ev(w, TRACE_FREE, 0x3100, 0, 0, 0);
    ev(w, TRACE_ALLOC, 0x4000, 0, 7, 4);
    now += 40000;
    ev(w, TRACE_ALLOC, 0x4000, 0, 0, 4);
    return test_close_and_load(w, path);
}

#define BUCKET(h, k, c, b)                                                               \
    do {                                                                                 \
        ls_hist_bucket hb_ = ls_hist_get(h, k);                                          \
        CHECK_EQ_U64(hb_.count, c);                                                      \
        CHECK_EQ_U64(hb_.bytes, b);                                                      \
    } while (0)

static const ls_hist *get(const ls_analysis *a, ls_hist_kind kind, uint32_t stack)
{
    return ls_histograms_get(a->hist, kind, stack);
}

static void case_sizes(void)
{
    ls_analysis *a = load();
    const ls_hist *all = get(a, LS_HIST_SIZES, LS_HIST_ALL);
    BUCKET(all, 0, 1, 0);      /* the 0-byte block */
    BUCKET(all, 2, 1, 7);      /* 4..7 */
    BUCKET(all, 3, 1, 10);     /* 8..15 */
    BUCKET(all, 6, 2, 128);    /* 64..127 */
    BUCKET(all, 9, 3, 3000);   /* 512..1023 */
    BUCKET(all, 12, 1, 5000);  /* 4096..8191: the realloc's new size */
    unsigned lo, hi;
    CHECK(ls_hist_range(all, &lo, &hi) && lo == 0 && hi == 12);
    CHECK_EQ_U64(__builtin_popcountll(all->mask), 6);
    BUCKET(get(a, LS_HIST_SIZES, 1), 9, 3, 3000);
    CHECK_EQ_U64(get(a, LS_HIST_SIZES, 1)->mask, 1u << 9);
    BUCKET(get(a, LS_HIST_SIZES, 3), 3, 1, 10);
    BUCKET(get(a, LS_HIST_SIZES, 3), 12, 1, 5000);
    CHECK_EQ_U64(get(a, LS_HIST_SIZES, 3)->mask, (1u << 3) | (1u << 12));
    CHECK_EQ_U64(get(a, LS_HIST_SIZES, 99)->mask, 0); /* unknown stack: empty */
    /* The most frequent exact sizes: by count, then the smaller size first. */
    const ls_histograms *h = a->hist;
    CHECK_EQ_U64(h->ntop_sizes, 6);
    static const uint64_t want[][2] = { { 1000, 3 }, { 64, 2 }, { 0, 1 }, { 7, 1 }, { 10, 1 }, { 5000, 1 } };
    for (uint32_t i = 0; i < 6 && i < h->ntop_sizes; i++) {
        CHECK_EQ_U64(h->top_sizes[i].size, want[i][0]);
        CHECK_EQ_U64(h->top_sizes[i].count, want[i][1]);
    }
    ls_analysis_free(a);
}

static void case_lifetimes(void)
{
    ls_analysis *a = load();
    const ls_hist *all = get(a, LS_HIST_LIFETIMES, LS_HIST_ALL);
    BUCKET(all, 0, 1, 1000);   /* 500 ns */
    BUCKET(all, 1, 1, 10);     /* 1.5 µs: the realloc's old block */
    BUCKET(all, 2, 2, 6000);   /* 2 µs (1000 bytes) and 3 µs (the realloc's 5000) */
    BUCKET(all, 3, 1, 1000);   /* 5 µs */
    BUCKET(all, 6, 1, 7);      /* 40 µs: [32, 64) µs, ended by the allocation at its address */
    BUCKET(all, 10, 1, 64);    /* 1 ms: [512, 1024) µs */
    CHECK_EQ_U64(__builtin_popcountll(all->mask), 6);
    CHECK_EQ_U64(get(a, LS_HIST_LIFETIMES, 2)->mask, 1u << 10);
    BUCKET(get(a, LS_HIST_LIFETIMES, 3), 1, 1, 10);
    BUCKET(get(a, LS_HIST_LIFETIMES, 3), 2, 1, 5000);
    BUCKET(get(a, LS_HIST_LIFETIMES, 4), 6, 1, 7);
    ls_analysis_free(a);
}

/* Every allocation is in the sizes; every block either in the lifetimes or
 * still live; the whole trace is the sum of its stacks. */
static void case_totals(void)
{
    ls_analysis *a = load();
    ls_hist_bucket sizes = ls_hist_total(get(a, LS_HIST_SIZES, LS_HIST_ALL));
    ls_hist_bucket life = ls_hist_total(get(a, LS_HIST_LIFETIMES, LS_HIST_ALL));
    CHECK_EQ_U64(sizes.count, a->allocations);
    CHECK_EQ_U64(sizes.bytes, a->allocated_bytes);
    CHECK_EQ_U64(life.count + a->leaked_blocks, a->allocations);
    CHECK_EQ_U64(life.bytes + a->leaked_bytes, a->allocated_bytes);
    CHECK_EQ_U64(a->leaked_blocks, 2);
    for (int kind = LS_HIST_SIZES; kind <= LS_HIST_LIFETIMES; kind++) {
        ls_hist_bucket sum = { 0, 0 };
        for (uint32_t s = 0; s < a->nstacks; s++) {
            ls_hist_bucket t = ls_hist_total(get(a, (ls_hist_kind)kind, s));
            sum.count += t.count;
            sum.bytes += t.bytes;
        }
        ls_hist_bucket t = ls_hist_total(get(a, (ls_hist_kind)kind, LS_HIST_ALL));
        CHECK_EQ_U64(sum.count, t.count);
        CHECK_EQ_U64(sum.bytes, t.bytes);
    }
    ls_analysis_free(a);
}

/* ls_hist_add of every stack's sizes is the whole trace's, bucket by
 * bucket; ls_diff_buckets pairs two histograms' buckets; the words. */
static void case_sum(void)
{
    ls_analysis *a = load();
    ls_hist sum = { 0 };
    for (uint32_t s = 0; s < a->nstacks; s++)
        CHECK(ls_hist_add(&sum, get(a, LS_HIST_SIZES, s)));
    const ls_hist *all = get(a, LS_HIST_SIZES, LS_HIST_ALL);
    CHECK_EQ_U64(sum.mask, all->mask);
    for (unsigned k = 0; k < LS_HIST_SIZE_BUCKETS; k++) {
        CHECK_EQ_U64(ls_hist_get(&sum, k).count, ls_hist_get(all, k).count);
        CHECK_EQ_U64(ls_hist_get(&sum, k).bytes, ls_hist_get(all, k).bytes);
    }
    /* twice the whole beside the whole: every bucket of both, changed, doubled */
    CHECK(ls_hist_add(&sum, all));
    ls_diff_bucket b[LS_HIST_SIZE_BUCKETS];
    unsigned n = ls_diff_buckets(all, &sum, b), used = (unsigned)__builtin_popcountll(all->mask);
    CHECK_EQ_U64(n, used);
    for (unsigned i = 0; i < n; i++) {
        CHECK(i == 0 || b[i].k > b[i - 1].k);
        CHECK_EQ_U64(b[i].new_.count, 2 * b[i].base.count);
        CHECK_EQ_U64(b[i].new_.bytes, 2 * b[i].base.bytes);
        CHECK(ls_diff_bucket_changed(&b[i]));
    }
    ls_hist_clear(&sum);
    CHECK_EQ_U64(sum.mask, 0);
    CHECK(sum.b == NULL);
    /* against nothing: the base's buckets all, the other empty */
    n = ls_diff_buckets(all, &sum, b);
    CHECK_EQ_U64(n, used);
    CHECK(n && b[0].new_.count == 0 && b[0].base.count == ls_hist_get(all, b[0].k).count);
    CHECK_EQ_U64(ls_diff_buckets(&sum, &sum, b), 0);
    ls_analysis_free(a);
    char buf[64];
    CHECK(!strcmp(ls_format_hist_span(LS_HIST_SIZES, 6, buf, sizeof buf), "64 B\u2013128 B"));
    CHECK(!strcmp(ls_format_hist_span(LS_HIST_SIZES, 9, buf, sizeof buf), "512 B\u20131.00 KiB"));
    CHECK(!strcmp(ls_format_hist_span(LS_HIST_SIZES, 0, buf, sizeof buf), "0 B\u20132 B"));
    CHECK(!strcmp(ls_format_hist_span(LS_HIST_SIZES, 63, buf, sizeof buf), "8.00 EiB and up"));
    CHECK(!strcmp(ls_format_hist_span(LS_HIST_LIFETIMES, 1, buf, sizeof buf), "1.00 \u00b5s\u20132.00 \u00b5s"));
    if (strcmp(ls_format_hist_span(LS_HIST_SIZES, 63, buf, sizeof buf), "8.00 EiB and up"))
        fprintf(stderr, "the last bucket: %s\n", buf);
}

static const test_case cases[] = {
    { "edges", case_edges },
    { "sizes", case_sizes },
    { "lifetimes", case_lifetimes },
    { "totals", case_totals },
    { "sum", case_sum },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-histogram", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}

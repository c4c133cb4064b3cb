/* range-bench.c — what a selection costs the Flame Graph and Call Tree
 * panels now that a range is read exactly (range.h with its history, no
 * event budget): ls_range_summarize over the whole trace and over its
 * second half, each the median of RUNS runs, with the process's peak
 * resident memory before the first read (the index alone) and after the
 * last, and what the reads kept (live blocks, call sites). One line per
 * figure, `key: value`, for bench/run-range-bench.py.
 *
 * usage: range-bench TRACE [RUNS]
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "bench-time.h"
#include "range.h"
#include "trace-index.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* User and system time of the process so far (the decoding worker's too), s. */
static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static long max_rss_kib(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

/* Reads [t0, t1] `runs` times; the median seconds (*cpu: of CPU), the last
 * summary in *out. */
static double time_range(const ls_index *idx, uint64_t t0, uint64_t t1, int runs, ls_range **out, double *cpu)
{
    double *s = calloc((size_t)runs, sizeof *s), *c = calloc((size_t)runs, sizeof *c);
    *out = NULL;
    for (int i = 0; i < runs; i++) {
        ls_range_free(*out);
        trace_error err;
        double t = bench_now(), u = cpu_s();
        if (ls_range_summarize(idx, t0, t1, &(ls_range_opts){ .history = true }, out, &err) != TRACE_OK) {
            fprintf(stderr, "range-bench: %s\n", err.message);
            exit(1);
        }
        s[i] = bench_now() - t;
        c[i] = cpu_s() - u;
    }
    double m = bench_median(s, runs);
    *cpu = bench_median(c, runs);
    free(s);
    free(c);
    return m;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: range-bench TRACE [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > 1000) {
        fprintf(stderr, "range-bench: RUNS must be 1..1000\n");
        return 2;
    }
    ls_index *idx;
    trace_error err;
    if (ls_index_open(argv[1], &idx, &err) != TRACE_OK) {
        fprintf(stderr, "range-bench: %s\n", err.message);
        return 1;
    }
    long index_kib = max_rss_kib();
    ls_range *r;
    double cpu;
    double whole = time_range(idx, idx->first_ts, idx->last_ts, runs, &r, &cpu);
    long whole_kib = max_rss_kib();
    printf("events: %llu\nstacks: %u\n", (unsigned long long)idx->chunk_events, idx->nstacks ? idx->nstacks - 1 : 0);
    printf("whole range s: %.3f\nwhole range cpu s: %.3f\nwhole range events: %llu\nwhole range sites: %u\n", whole, cpu,
           (unsigned long long)r->events, r->nsites);
    printf("whole range live at end: %llu\nwhole range peak blocks: %llu\nwhole range temporary: %llu\n",
           (unsigned long long)r->live_blocks, (unsigned long long)r->peak_blocks, (unsigned long long)r->temporary);
    ls_range_free(r);
    uint64_t mid = idx->first_ts + (idx->last_ts - idx->first_ts) / 2;
    double half = time_range(idx, mid, idx->last_ts, runs, &r, &cpu);
    printf("second half s: %.3f\nsecond half events: %llu\n", half, (unsigned long long)r->events);
    ls_range_free(r);
    printf("index max rss KiB: %ld\nafter reads max rss KiB: %ld\n", index_kib, whole_kib);
    ls_index_unref(idx);
    return 0;
}

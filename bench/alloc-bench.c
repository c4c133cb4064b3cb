/* alloc-bench.c — the allocation-heavy workload bench/run-bench.py measures.
 *
 *   alloc-bench MODE THREADS EVENTS_PER_THREAD [OUT.trace]
 *
 * Each thread makes EVENTS/2 malloc + free pairs of varying sizes, keeping a
 * window of 64 live blocks (so frees are not just "the last malloc"), through
 * a small call chain (so stacks have a realistic depth). MODE:
 *   plain     just the workload (run it under heaptrack for heaptrack's cost)
 *   api       the workload, recorded with trace_alloc / trace_free
 *   baseline  the workload plus, per event, a clock read and a store into a
 *             thread-local buffer: the floor a recorder cannot go below
 * LEAKSCOPE_STACK_DEPTH selects stacks on (default) or off (0) in api mode.
 * ALLOC_BENCH_SITES=8: each allocation from one of eight call sites picked at
 * random (eight stacks in turn, rarely the same twice running) instead of
 * one call chain.
 * ALLOC_BENCH_LIVE=N (2..65536): sizes and lifetimes at random instead, with
 * N live blocks per thread (run-size-bench.py uses 1000): each step frees
 * the block of a slot drawn at random (so a block lives a number of steps
 * drawn from a geometric law of mean N) and allocates one of a size drawn
 * log-uniformly from 8 to 16383 bytes. The seed is fixed (per thread), so
 * every run makes the same calls.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <leakscope/trace.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PLAIN, API, BASELINE };
static int mode;
static unsigned long long per_thread;

typedef struct rec { unsigned long long ts, a, b; } rec;
static __thread rec base_buf[4096];
static __thread unsigned base_n;

static inline void baseline_event(void *p, size_t n)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    rec *r = &base_buf[base_n++ & 4095];
    r->ts = (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
    r->a = (unsigned long long)(uintptr_t)p;
    r->b = n;
    __asm__ volatile("" ::"r"(r) : "memory");
}

static __attribute__((noinline)) void *bench_alloc(size_t n)
{
    void *p = malloc(n);
    if (mode == API)
        trace_alloc(p, n);
    else if (mode == BASELINE)
        baseline_event(p, n);
    return p;
}

static __attribute__((noinline)) void bench_free(void *p)
{
    if (mode == API)
        trace_free(p);
    else if (mode == BASELINE)
        baseline_event(p, 0);
    free(p);
}

/* Eight call sites, each its own stack (not tail calls). */
#define SITE(k)                                                          \
    static __attribute__((noinline)) void *site##k(size_t n)             \
    {                                                                    \
        void *p = bench_alloc(n + (k));                                  \
        __asm__ volatile("" ::"r"(p) : "memory");                        \
        return p;                                                        \
    }
SITE(0) SITE(1) SITE(2) SITE(3) SITE(4) SITE(5) SITE(6) SITE(7)
#undef SITE
static void *(*const sites[8])(size_t) = { site0, site1, site2, site3, site4, site5, site6, site7 };
static int use_sites;

static __attribute__((noinline)) void *layer3(size_t n, unsigned i) { return bench_alloc(n + (i & 7)); }
static __attribute__((noinline)) void *layer2(size_t n, unsigned i) { return layer3(n, i) ; }
static __attribute__((noinline)) void *layer1(size_t n, unsigned i) { return (i & 1) ? layer2(n, i) : bench_alloc(n); }

static unsigned live_blocks; /* ALLOC_BENCH_LIVE, 0: the 64-slot workload */

/* xorshift64*: the random workload's draws (a fixed seed per thread). */
static inline unsigned long long draw(unsigned long long *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 2685821657736338717ull;
}

static void random_worker(unsigned thread)
{
    void **live = calloc(live_blocks, sizeof *live);
    if (!live)
        abort();
    unsigned long long x = 0x9E3779B97F4A7C15ull * thread;
    for (unsigned long long i = 0; i < per_thread / 2; i++) {
        unsigned long long r = draw(&x);
        unsigned slot = (unsigned)((r >> 32) % live_blocks);
        if (live[slot])
            bench_free(live[slot]);
        unsigned bits = 3 + (unsigned)(r % 11);                   /* 8 .. 16383 bytes */
        size_t n = ((size_t)1 << bits) + (size_t)((r >> 8) & (((size_t)1 << bits) - 1));
        live[slot] = layer1(n, (unsigned)(r >> 24));
    }
    for (unsigned s = 0; s < live_blocks; s++)
        if (live[s])
            bench_free(live[s]);
    free(live);
}

static void *worker(void *arg)
{
    if (live_blocks) {
        random_worker((unsigned)(uintptr_t)arg);
        return NULL;
    }
    unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;
    void *live[64] = { 0 };
    for (unsigned long long i = 0; i < per_thread / 2; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned slot = (seed >> 8) & 63;
        if (live[slot])
            bench_free(live[slot]);
        size_t n = 16 + ((seed >> 16) & 255);
        live[slot] = use_sites ? sites[(seed >> 24) & 7](n) : layer1(n, (unsigned)i);
    }
    for (int s = 0; s < 64; s++)
        if (live[s])
            bench_free(live[s]);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s plain|api|baseline THREADS EVENTS_PER_THREAD [OUT.trace]\n", argv[0]);
        return 2;
    }
    const char *env_sites = getenv("ALLOC_BENCH_SITES");
    use_sites = env_sites && atoi(env_sites) == 8;
    const char *env_live = getenv("ALLOC_BENCH_LIVE");
    if (env_live) {
        long v = strtol(env_live, NULL, 10);
        if (v < 2 || v > 65536) {
            fprintf(stderr, "ALLOC_BENCH_LIVE: 2 to 65536 live blocks\n");
            return 2;
        }
        live_blocks = (unsigned)v;
    }
    mode = !strcmp(argv[1], "api") ? API : !strcmp(argv[1], "baseline") ? BASELINE : PLAIN;
    int threads = atoi(argv[2]);
    per_thread = strtoull(argv[3], NULL, 10);
    if (threads < 1 || threads > 256 || per_thread < 2) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    if (mode == API && trace_begin(argc > 4 ? argv[4] : "alloc-bench.trace") != 0) {
        perror("trace_begin");
        return 1;
    }
    pthread_t th[256];
    for (int t = 0; t < threads; t++)
        pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)(t + 1));
    for (int t = 0; t < threads; t++)
        pthread_join(th[t], NULL);
    if (mode == API)
        trace_end();
    return 0;
}

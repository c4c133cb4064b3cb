/* test-recorder-stress.c — for ThreadSanitizer: worker threads allocate,
 * free, open and close resources, mark and span while another thread calls
 * trace_flush in a loop; then recordings begun and ended in a loop while the
 * workers keep recording (their calls between recordings must be no-ops).
 * Every finished recording must read back.
 *
 * Usage: test-recorder-stress [ROUNDS]
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "test-util.h"
#include <leakscope/trace.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 6

static atomic_bool stop;
static char dir[] = "/tmp/leakscope-test-stress-XXXXXX";

static void *worker(void *arg)
{
    uint64_t t = (uint64_t)(uintptr_t)arg;
    char name[32];
    snprintf(name, sizeof name, "worker-%llu", (unsigned long long)t);
    trace_thread_name(name);
    uint64_t base = (t + 1) << 36, i = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        void *p = (void *)(uintptr_t)(base + (i % 4096) * 32);
        trace_alloc(p, (size_t)(i % 300) + 1);
        if (i % 7 == 0)
            trace_realloc(p, (void *)((uintptr_t)p + 16), 64), p = (void *)((uintptr_t)p + 16);
        trace_free(p);
        if (i % 16 == 0) {
            trace_resource_open("fd", base + i);
            trace_resource_close("fd", base + i);
        }
        if (i % 64 == 0) {
            trace_span_begin("tick");
            trace_mark("m");
            trace_span_end("tick");
        }
        if (i % 1024 == 0) {
            trace_gc_begin("stress");
            trace_gc_end(i);
        }
        i++;
        if (i % 128 == 0)      /* bounded volume: the point is interleaving, not throughput */
            usleep(1000);
    }
    return NULL;
}

static void *flusher(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        trace_flush();
        usleep(200);
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void check_file(const char *path)
{
    double t0 = now_s();
    ls_analysis *a = NULL;
    trace_error err;
    trace_status st = ls_analysis_load(path, &a, &err);
    if (st != TRACE_OK)
        fprintf(stderr, "%s: %s\n", path, err.message);
    CHECK(st == TRACE_OK);
    if (st != TRACE_OK)
        return;
    CHECK(a->complete);
    CHECK(!a->truncated);
    CHECK(a->lost_events == 0);
    fprintf(stderr, "%s: %llu events, read back in %.2f s\n", path, (unsigned long long)a->events, now_s() - t0);
    ls_analysis_free(a);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 8;
    if (!mkdtemp(dir))
        return 1;
    setenv("LEAKSCOPE_STACK_DEPTH", "4", 0);   /* stacks on, under TSan too: see ./run */
    char path[256];

    /* Phase 1: one recording, workers against a flushing thread. */
    snprintf(path, sizeof path, "%s/flush.trace", dir);
    CHECK(trace_begin(path) == 0);
    pthread_t th[WORKERS], fl;
    for (uintptr_t t = 0; t < WORKERS; t++)
        CHECK(pthread_create(&th[t], NULL, worker, (void *)t) == 0);
    CHECK(pthread_create(&fl, NULL, flusher, NULL) == 0);
    usleep(1500 * 1000);
    atomic_store(&stop, true);
    for (int t = 0; t < WORKERS; t++)
        pthread_join(th[t], NULL);
    pthread_join(fl, NULL);
    double t0 = now_s();
    trace_end();
    fprintf(stderr, "phase 1: trace_end took %.2f s\n", now_s() - t0);
    check_file(path);
    unlink(path);

    /* Phase 2: begin/end in a loop while the workers never stop. */
    atomic_store(&stop, false);
    for (uintptr_t t = 0; t < WORKERS; t++)
        CHECK(pthread_create(&th[t], NULL, worker, (void *)t) == 0);
    CHECK(pthread_create(&fl, NULL, flusher, NULL) == 0);
    for (int r = 0; r < rounds; r++) {
        snprintf(path, sizeof path, "%s/round-%d.trace", dir, r);
        CHECK(trace_begin(path) == 0);
        usleep(20 * 1000);
        trace_flush();
        trace_end();
        check_file(path);
        unlink(path);
    }
    atomic_store(&stop, true);
    for (int t = 0; t < WORKERS; t++)
        pthread_join(th[t], NULL);
    pthread_join(fl, NULL);
    rmdir(dir);
    printf("%d begin/end rounds under %d recording threads and a flusher\n", rounds, WORKERS);
    TEST_DONE();
}

/* instrumented.c — a program with known leaks, resources, GC pauses, marks
 * and spans, recorded through the API. check-instrumented.py runs it and
 * compares `leakscope report --json` with what it knows must be there. It
 * prints the source lines of its allocation calls as JSON on stdout.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <leakscope/trace.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int line_a, line_b, line_thread, line_open;

#define TRACKED_ALLOC(var, n, line_var) \
    do {                                \
        var = malloc(n);                \
        line_var = __LINE__; trace_alloc(var, n); \
    } while (0)

static __attribute__((noinline)) void leak_a(void)
{
    for (int i = 0; i < 3; i++) {
        void *p;
        TRACKED_ALLOC(p, 100, line_a);
        (void)p;
    }
}

static __attribute__((noinline)) void leak_b(void)
{
    void *p;
    TRACKED_ALLOC(p, 4096, line_b);
    (void)p;
}

static __attribute__((noinline)) void churn(void)
{
    for (int i = 0; i < 1000; i++) {
        void *p = malloc(64);
        trace_alloc(p, 64);
        trace_free(p);
        free(p);
    }
}

static __attribute__((noinline)) void grow(void)
{
    char *p = malloc(10);
    trace_alloc(p, 10);
    char *q = malloc(20);      /* a realloc that moved, done by hand */
    trace_realloc(p, q, 20);
    free(p);
    trace_free(q);
    free(q);
}

static __attribute__((noinline)) void open_files(void)
{
    for (uint64_t fd = 10; fd <= 12; fd++) {
        line_open = __LINE__; trace_resource_open("fd", fd);
    }
    trace_resource_close("fd", 10);
    trace_resource_close("fd", 11);
    trace_resource_open("socket", 5);
    trace_resource_close("socket", 5);
}

static void pause_ms(int ms)
{
    struct timespec t = { 0, ms * 1000000L };
    nanosleep(&t, NULL);
}

static __attribute__((noinline)) void *helper(void *arg)
{
    (void)arg;
    trace_thread_name("helper");
    void *p;
    TRACKED_ALLOC(p, 50, line_thread);
    (void)p;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT.trace\n", argv[0]);
        return 2;
    }
    if (trace_begin(argv[1]) != 0) {
        perror(argv[1]);
        return 1;
    }
    trace_mark("phase1");
    trace_span_begin("work");
    leak_a();
    leak_b();
    churn();
    grow();
    trace_span_end("work");
    open_files();
    int ms[] = { 1, 2, 5 };
    for (int i = 0; i < 3; i++) {
        trace_gc_begin(i == 2 ? "full" : "minor");
        pause_ms(ms[i]);
        trace_gc_end((size_t)(1000 * (i + 1)));
    }
    trace_mark("phase2");
    trace_span_begin("work");
    pthread_t t;
    pthread_create(&t, NULL, helper, NULL);
    pthread_join(t, NULL);
    trace_span_end("work");
    trace_end();
    printf("{\"leak_a\": %d, \"leak_b\": %d, \"helper\": %d, \"open_files\": %d}\n", line_a, line_b, line_thread,
           line_open);
    return 0;
}

/* res-loop.c — opens and closes /dev/null N times from a few frames deep
 * (a descriptor a loop uses and closes, as a server does per request) and
 * prints what one open and close took on its thread, in CPU time (user and
 * system: what a loaded machine's waits leave out) and wall time, around
 * the loop only. bench/run-res-bench.py runs it plain and recorded.
 *
 * usage: res-loop N
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static __attribute__((noinline)) int open_one(void) { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

static __attribute__((noinline)) void close_one(int fd) { close(fd); }

static __attribute__((noinline)) long run(long n)
{
    long failed = 0;
    for (long i = 0; i < n; i++) {
        int fd = open_one();
        if (fd < 0)
            failed++;
        else
            close_one(fd);
    }
    return failed;
}

/* A few frames under main, as in a real program. */
static __attribute__((noinline)) long nest(int depth, long n) { return depth ? nest(depth - 1, n) + 0 * depth : run(n); }

static double now_ns(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc == 2 ? atol(argv[1]) : 0;
    if (n <= 0) {
        fprintf(stderr, "usage: res-loop N\n");
        return 2;
    }
    double c0 = now_ns(CLOCK_THREAD_CPUTIME_ID), t0 = now_ns(CLOCK_MONOTONIC);
    long failed = nest(6, n);
    double c1 = now_ns(CLOCK_THREAD_CPUTIME_ID), t1 = now_ns(CLOCK_MONOTONIC);
    printf("%.1f %.1f ns per open and close: thread CPU, wall\n", (c1 - c0) / (double)n, (t1 - t0) / (double)n);
    return failed ? 1 : 0;
}

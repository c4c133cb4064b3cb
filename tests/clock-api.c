/* clock-api.c — the trace_* API's timestamps against the program's own
 * CLOCK_MONOTONIC (tests/check-clock.py), in three recordings one after
 * another in one process: one that ends 10 ms after it begins (its clock's
 * rate taken over its own short span), one that lives past its first flush
 * (the rate measured there, and kept), and one that reuses that rate.
 *
 * usage: clock-api DIR   (writes DIR/api-1.trace, api-2, api-3)
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <leakscope/trace.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock-marks.h"

static void recorded_free(void *p)
{
    trace_free(p);
    free(p);
}

static void mark(size_t size)
{
    void *p = malloc(size);
    if (!p)
        abort();
    trace_alloc(p, size);
    clock_mark_release(size, p, recorded_free);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: clock-api DIR\n");
        return 2;
    }
    static const long lives_ms[] = { 10, 150, 150 };
    for (int i = 0; i < 3; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/api-%d.trace", argv[1], i + 1);
        if (trace_begin(path) != 0) {
            perror(path);
            return 1;
        }
        mark(200001 + 10 * (size_t)i);
        clock_mark_sleep_ms(lives_ms[i]);
        mark(200002 + 10 * (size_t)i);
        trace_end();
    }
    return 0;
}

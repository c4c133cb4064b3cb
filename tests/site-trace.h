/* site-trace.h — the heap-by-call-site tests' trace (test-site-series,
 * test-render-sites): sites whose live bytes are known at every time.
 *
 * 0..1000 ms: every 10 ms the leak site allocates 100 bytes; the cache
 * allocates 1000 bytes every 10 ms up to 100 ms, then holds them; the
 * temporary site allocates and frees 5000 bytes at once; at 500 ms a
 * realloc by S_MOVED takes over one cache block (1000 -> 3000 bytes).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_SITE_TRACE_H
#define LEAKSCOPE_SITE_TRACE_H

#include "analysis.h"
#include "trace-writer.h"

#include <stdio.h>
#include <stdlib.h>

#define MS 1000000ull

enum { S_LEAK = 1, S_CACHE, S_TEMP, S_MOVED };

static inline void site_trace_add(trace_writer *w, uint32_t kind, uint64_t ts, uint64_t addr, uint64_t addr2,
                                  uint64_t size, uint32_t stack)
{
    trace_event ev = { .kind = kind, .ts = ts, .addr = addr, .addr2 = addr2, .size = size, .stack = stack };
    if (trace_writer_add_event(w, 1, &ev) != TRACE_OK)
        exit(1);
}

static inline void site_trace_write(const char *path)
{
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8, .stack_depth = 8 };
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    for (uint32_t s = S_LEAK; s <= S_MOVED; s++) {
        uint64_t f = 0x1000 * s;
        if (trace_writer_add_stack(w, s, &f, 1) != TRACE_OK)
            exit(1);
    }
    for (uint64_t k = 0; k <= 100; k++) {
        uint64_t ts = k * 10 * MS;
        site_trace_add(w, TRACE_ALLOC, ts, 0x100000 + k * 0x100, 0, 100, S_LEAK);
        if (k >= 1 && k <= 10)
            site_trace_add(w, TRACE_ALLOC, ts + 1, 0x200000 + k * 0x1000, 0, 1000, S_CACHE);
        site_trace_add(w, TRACE_ALLOC, ts + 2, 0x300000, 0, 5000, S_TEMP);
        site_trace_add(w, TRACE_FREE, ts + 3, 0x300000, 0, 0, 0);
        if (k == 50) {
            site_trace_add(w, TRACE_FREE, ts + 4, 0x200000 + 3 * 0x1000, 0, 0, 0); /* a realloc's first half */
            site_trace_add(w, TRACE_REALLOC, ts + 5, 0, 0x400000, 3000, S_MOVED);
        }
    }
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
}

/* The trace written as dir/name.trace and analysed; any failure ends the test. */
static inline ls_analysis *site_trace_load(const char *dir, const char *name)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s.trace", dir, name);
    site_trace_write(path);
    ls_analysis *a;
    trace_error err;
    if (ls_analysis_load(path, &a, &err) != TRACE_OK)
        exit(1);
    return a;
}

#endif

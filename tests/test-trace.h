/* test-trace.h — the model tests' shared steps: start a trace with a few
 * one-frame stacks, close a trace they wrote with the writer and analyse
 * it. Any failure ends the test.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TEST_TRACE_H
#define LEAKSCOPE_TEST_TRACE_H

#include "analysis.h"
#include "trace-writer.h"

#include <stdio.h>
#include <stdlib.h>

/* A trace at `path` (1 ns ticks) whose stacks 1 .. nstacks are one frame
 * each, stack s at address frame0 + step * s. */
static inline trace_writer *test_create_trace(const char *path, uint32_t nstacks, uint64_t frame0, uint64_t step)
{
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8, .stack_depth = 8 };
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    for (uint32_t s = 1; s <= nstacks; s++) {
        uint64_t frame = frame0 + step * s;
        if (trace_writer_add_stack(w, s, &frame, 1) != TRACE_OK)
            exit(1);
    }
    return w;
}

static inline ls_analysis *test_close_and_load(trace_writer *w, const char *path)
{
    ls_analysis *a;
    trace_error err;
    if (trace_writer_close(w, 0) != TRACE_OK || ls_analysis_load(path, &a, &err) != TRACE_OK) {
        fprintf(stderr, "%s: cannot write or read back the test's trace\n", path);
        exit(1);
    }
    return a;
}

#endif

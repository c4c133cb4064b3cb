/* test-trace.h — the model tests' shared step: close a trace they wrote
 * with the writer and analyse it. Any failure ends the test.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TEST_TRACE_H
#define LEAKSCOPE_TEST_TRACE_H

#include "analysis.h"
#include "trace-writer.h"

#include <stdio.h>
#include <stdlib.h>

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

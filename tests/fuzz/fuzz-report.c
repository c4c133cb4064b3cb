/* fuzz-report.c — the whole report pipeline on arbitrary bytes: the analysis
 * (time-ordered merge, leaks, resources, GC, spans, growth suspects, leak classes) and the text and JSON
 * reports, without symbols; and the range summary (range.h) of all time,
 * which must agree with the analysis (one rule each for temporary
 * allocations and the peak), and of the trace's middle half.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "cli.h"
#include "fuzz.h"

#include <stdlib.h>
#include <unistd.h>

static void report_all(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    if (fd < 0)
        abort();
    ls_analysis *a = NULL;
    ls_growth *g = NULL;
    trace_error err;
    trace_status st = ls_growth_load(path, NULL, &a, &g, &err);
    FUZZ_CHECK_NOT_NOMEM(st);
    ls_leak_classes *lc = NULL;
    if (st == TRACE_OK) {
        st = ls_leak_classes_build(a, NULL, &lc, &err); /* a snapshot's graph, classified */
        FUZZ_CHECK_NOT_NOMEM(st);
    }
    if (st == TRACE_OK) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        if (!out)
            abort();
        cli_report_write(a, g, lc, NULL, out, false);
        cli_report_write(a, g, lc, NULL, out, true);
        fclose(out);
        free(buf);
        ls_range *r;
        st = ls_range_summarize(a->index, 0, UINT64_MAX, &(ls_range_opts){ .history = true }, &r, &err);
        FUZZ_CHECK_NOT_NOMEM(st);
        if (st == TRACE_OK && (r->allocations != a->allocations || r->temporary != a->temporary ||
                               r->temporary_bytes != a->temporary_bytes || r->peak_bytes != a->peak_heap_bytes))
            abort(); /* all time, the whole trace's figures */
        ls_range_free(r);
        uint64_t q = (a->last_ts - a->first_ts) / 4;
        st = ls_range_summarize(a->index, a->first_ts + q, a->last_ts - q, &(ls_range_opts){ .history = true }, &r,
                                &err);
        FUZZ_CHECK_NOT_NOMEM(st);
        ls_range_free(r);
    }
    ls_leak_classes_free(lc);
    ls_growth_free(g);
    ls_analysis_free(a);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_run_both(data, size, report_all);
}

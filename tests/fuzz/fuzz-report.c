/* fuzz-report.c — the whole report pipeline on arbitrary bytes: the analysis
 * (time-ordered merge, leaks, resources, GC, spans, growth suspects, leak classes) and the text and JSON
 * reports, without symbols.
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

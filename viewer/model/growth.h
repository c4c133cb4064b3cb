/* growth.h — growth-trend suspects: per call site, its live bytes and blocks
 * (and the resources it holds open) over the run, and which sites keep
 * growing through it. The only honest answer for a trace cut short (a
 * server killed with SIGKILL): nothing was "left at exit", but a site whose
 * live bytes rise from start to end is where the memory goes. A site that
 * grows and then stays flat (a cache, an LRU, a pool) is no suspect, and
 * neither is a big site that stays constant.
 *
 * Built in the analysis' one pass (ls_observer's block and resource
 * callbacks: the analysis pairs frees with allocations, this file only
 * counts), so it costs no second read of the trace. Plain C, no GLib.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_GROWTH_H
#define LEAKSCOPE_GROWTH_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis.h"
#include "trace-index.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The run is cut into this many equal time buckets; a site's series is its
 * value at the end of each. */
#define LS_GROWTH_BUCKETS 64

/* At most this many values at marks are kept (16 bytes each: 64 MiB):
 * past it the iterations are given up (ls_growth.iterations_followed),
 * the time trend is not. One value per call site per iteration in which it
 * changed, so a label asked for keeps the count down. */
#define LS_GROWTH_LOG_MAX ((size_t)1 << 22)

/* The fewest points a series needs before it is judged (a site first seen
 * in the last eighth of the run is too young to call growing). */
#define LS_GROWTH_MIN_POINTS 8

/* A series' trend: what every growth verdict (over time, over iterations,
 * heap or resources) is decided by, in ls_trend_of. */
typedef struct ls_trend {
    double slope;      /* least squares over the whole series, y per x */
    double late_slope; /* least squares over its later half */
    double r2;         /* how well one line fits the whole series, 0..1 */
    /* 0..1: the later half still grows as fast as the whole (a cache that
     * filled and went flat scores ~0) times how well a line fits (a
     * sawtooth scores low). */
    double confidence;
    bool growing;      /* slope and late slope > 0, the later half ends higher
                          than it began, and confidence >= LS_GROWTH_CONFIDENT */
} ls_trend;

#define LS_GROWTH_CONFIDENT 0.5

/* The trend of n points (x[i], y[i]), x increasing. Fewer than 4 points,
 * or x all equal: all zero, not growing. */
ls_trend ls_trend_of(const double *x, const double *y, uint32_t n);

typedef struct ls_growth_suspect {
    uint32_t stack;        /* the allocating (or opening) stack id */
    uint32_t kind;         /* resources: the kind (string id) first opened there; heap: 0 */
    double per_second;     /* bytes (heap) or open handles (resources) per second: the later half's rate */
    uint64_t live_at_end;  /* heap: bytes live at the end; resources: handles open at the end */
    uint64_t blocks_at_end;/* heap: blocks live at the end; resources: = live_at_end */
    double confidence;     /* ls_trend.confidence */
} ls_growth_suspect;

/* One call site across the iterations the program marked. */
typedef struct ls_iteration_site {
    uint32_t stack;
    double bytes_per_iteration; /* retained: (live at the last mark - live at the first) / (marks - 1) */
    uint64_t first_bytes, last_bytes; /* live at the first and the last mark */
    double confidence;
    bool growing;          /* ls_trend_of over (mark number, live bytes); else bounded */
} ls_iteration_site;

typedef struct ls_growth {
    uint64_t t0, t1;       /* the run the buckets cover (trace timestamps) */
    ls_growth_suspect *heap; uint32_t nheap; /* growing sites, fastest first */
    ls_growth_suspect *res;  uint32_t nres;  /* growing resource sites, fastest first */
    /* Iterations: the marks of one label (the one asked for, or else the
     * label marked most often, at least 3 times). label 0: none. */
    uint32_t iteration_label; /* string id */
    uint32_t iterations;      /* marks with that label */
    bool iterations_followed; /* false: more than LS_GROWTH_LOG_MAX values at marks, no sites */
    /* Sites whose live bytes changed between the first and the last mark
     * or that grow: growing first, then most retained per iteration. */
    ls_iteration_site *iter; uint32_t niter;
} ls_growth;

typedef struct ls_growth_builder ls_growth_builder;

/* A builder for the trace of idx (its time range and dictionaries).
 * iteration_mark: the label of the marks that end an iteration, or NULL to
 * take the label marked most often (at least 3 times); a label that names
 * no mark gives no iterations (the caller says so). NULL on out of memory.
 * ls_growth_observe fills obs's callbacks (event, block, resource) and user
 * with the builder's: run the analysis with it (ls_analysis_run), then
 * ls_growth_finish. */
ls_growth_builder *ls_growth_builder_new(const ls_index *idx, const char *iteration_mark);
void ls_growth_observe(ls_growth_builder *g, ls_observer *obs);

/* The suspects, from the builder after the analysis `a` ran with it. NULL
 * on out of memory or when the builder ran out of memory (or saw no
 * analysis). Frees the builder either way. */
ls_growth *ls_growth_finish(ls_growth_builder *g, const ls_analysis *a);
void ls_growth_builder_free(ls_growth_builder *g); /* without finishing; NULL ok */
void ls_growth_free(ls_growth *g);                 /* NULL ok */

/* Opens `path`, analyses it and finds its suspects in one pass. Status and
 * *err as ls_analysis_load; on success *a and *g are set (free both). */
trace_status ls_growth_load(const char *path, const char *iteration_mark, ls_analysis **a, ls_growth **g,
                            trace_error *err);
/* The same, with *syms (if not NULL) the modules' symbol table, read
 * meanwhile on another thread (ls_symbols_begin); free it with
 * sym_table_free. */
trace_status ls_growth_load_symbols(const char *path, const char *iteration_mark, ls_analysis **a, ls_growth **g,
                                    sym_table **syms, trace_error *err);

#ifdef __cplusplus
}
#endif
#endif

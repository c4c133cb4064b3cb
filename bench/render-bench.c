/* render-bench.c — what the viewer costs on a trace: load time (the one
 * pass that builds the summary), memory (peak RSS and the summary's own
 * bytes, against the decompressed size of the events), and the time of a
 * 1920x1080 frame drawn with cairo's CPU image backend at several zooms,
 * panning across the trace, with how many times a zoom's frames decoded
 * the chunks under the view (the exact window), and the median frame's CPU
 * time beside its wall time (the machine may be shared).
 *
 * usage: render-bench TRACE [FRAMES_PER_ZOOM [ZOOM]]
 * (ZOOM: draw at that zoom only, to profile one)
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "render.h"
#include "timeline.h"
#include "trace-reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The CPU time of this thread: a frame's cost on a shared machine, where
 * the wall time also holds what other processes took. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/* Decompressed bytes of all events chunks (headers only: no decoding). */
static uint64_t decompressed_events(const char *path, uint64_t *file_size)
{
    trace_reader *r;
    if (trace_reader_open(path, &r, NULL) != TRACE_OK)
        return 0;
    uint64_t raw = 0;
    trace_chunk_info ci;
    while (trace_reader_next_chunk(r, &ci) == TRACE_OK)
        if (ci.kind == TRACE_CHUNK_EVENTS)
            raw += ci.raw_size;
    *file_size = trace_reader_file_size(r);
    trace_reader_close(r);
    return raw;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: render-bench TRACE [FRAMES_PER_ZOOM [ZOOM]]\n");
        return 2;
    }
    int frames = argc > 2 ? atoi(argv[2]) : 20;
    if (frames < 2)
        frames = 2;
    double only = argc > 3 ? atof(argv[3]) : 0;
    uint64_t file_size = 0, raw = decompressed_events(argv[1], &file_size);
    double rss0 = peak_rss_mib();
    double t = now();
    timeline *tl;
    trace_error err;
    if (timeline_open(argv[1], &tl, &err) != TRACE_OK) {
        fprintf(stderr, "render-bench: %s: %s\n", argv[1], err.message);
        return 2;
    }
    double load = now() - t;
    const ls_analysis *a = timeline_analysis(tl);
    printf("trace: %llu events, %.1f MiB file, %.1f MiB decompressed events\n", (unsigned long long)a->events,
           file_size / 1048576.0, raw / 1048576.0);
    printf("load: %.2f s (%.0f ns/event)\n", load, load * 1e9 / (double)(a->events ? a->events : 1));
    printf("memory: peak RSS %.1f MiB after load (%.1f MiB before), summary %.1f MiB\n", peak_rss_mib(), rss0,
           timeline_memory(tl) / 1048576.0);

    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1920, 1080);
    cairo_t *cr = cairo_create(s);
    uint64_t b = timeline_begin(tl), e = timeline_end(tl), span = e - b;
    double zooms[] = { 1, 10, 100, 1000, 1e4, 1e5, 1e6 };
    double *ms = malloc(frames * sizeof *ms), *cpu = malloc(frames * sizeof *cpu);
    printf("\n| zoom | view width | first frame ms | median ms | max ms | median CPU ms | decodes |\n|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t z = 0; z < sizeof zooms / sizeof *zooms; z++) {
        uint64_t w = (uint64_t)(span / zooms[z]);
        if (w < 1000)
            break;
        if (only > 0 && zooms[z] != only)
            continue;
        double first = 0;
        uint64_t decodes = timeline_decodes(tl);
        for (int f = 0; f < frames; f++) {
            /* Pan: from a third of the trace to the right, a few pixels a frame. */
            uint64_t t0 = b + span / 3 + (uint64_t)((double)w * f / 200.0);
            render_view_params p;
            render_view_params_init(&p, tl, 1920, 1080);
            p.t0 = zooms[z] == 1 ? b : t0;
            p.t1 = p.t0 + w;
            double f0 = now(), c0 = cpu_now();
            render_view(cr, &p);
            cairo_surface_flush(s);
            ms[f] = (now() - f0) * 1e3;
            cpu[f] = (cpu_now() - c0) * 1e3;
            if (f == 0)
                first = ms[f];
        }
        qsort(ms, frames, sizeof *ms, cmp_double);
        qsort(cpu, frames, sizeof *cpu, cmp_double);
        char wbuf[32];
        double wn = (double)w;
        if (wn >= 1e9)
            snprintf(wbuf, sizeof wbuf, "%.2f s", wn / 1e9);
        else if (wn >= 1e6)
            snprintf(wbuf, sizeof wbuf, "%.2f ms", wn / 1e6);
        else
            snprintf(wbuf, sizeof wbuf, "%.2f us", wn / 1e3);
        printf("| %gx | %s | %.1f | %.1f | %.1f | %.1f | %llu |\n", zooms[z], wbuf, first, ms[frames / 2],
               ms[frames - 1], cpu[frames / 2], (unsigned long long)(timeline_decodes(tl) - decodes));
    }
    printf("\npeak RSS at the end: %.1f MiB\n", peak_rss_mib());
    free(ms);
    free(cpu);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    timeline_free(tl);
    return 0;
}

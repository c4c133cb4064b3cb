/* sketch-bench.c — what the viewer does before its first picture of a
 * trace: its chunk headers walked (ls_index_open_headers: no payload read),
 * the sketch built from the chunk summaries, one 1920x1080 frame of the
 * whole trace drawn from it; then the index opened and verified (every
 * chunk's crc: what the viewer does next), and frames panned and zoomed on
 * the sketch. Prints the times (see BENCHMARKS.md, "the first picture").
 *
 * usage: sketch-bench TRACE [FRAMES]
 *
 * SPDX-License-Identifier: MIT
 */
#include "bench-time.h"
#include "render.h"
#include "timeline.h"
#include "trace-index.h"

#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sketch-bench TRACE [FRAMES]\n");
        return 2;
    }
    int frames = argc > 2 ? atoi(argv[2]) : 20;
    if (frames < 1 || frames > 1000)
        frames = 20;
    double t0 = bench_now();
    ls_index *idx = NULL;
    trace_error err;
    if (ls_index_open_headers(argv[1], &idx, &err) != TRACE_OK) {
        fprintf(stderr, "sketch-bench: %s: %s\n", argv[1], err.message);
        return 1;
    }
    double t1 = bench_now();
    timeline *tl = timeline_open_sketch(idx);
    double t2 = bench_now();
    if (!tl) {
        fprintf(stderr, "sketch-bench: %s: no sketch (chunks without summaries, or damage)\n", argv[1]);
        ls_index_unref(idx);
        return 1;
    }
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1920, 1080);
    cairo_t *cr = cairo_create(s);
    render_view_params p;
    render_view_params_init(&p, tl, 1920, 1080);
    render_view(cr, &p);
    cairo_surface_flush(s);
    double t3 = bench_now();
    printf("events %llu, chunks %u\n", (unsigned long long)idx->chunk_events, idx->nchunks);
    printf("chunk headers %.3f s, sketch %.3f s, first frame %.3f s: first picture %.3f s\n", t1 - t0, t2 - t1,
           t3 - t2, t3 - t0);
    ls_index *full = NULL;
    double t4 = bench_now();
    if (ls_index_open(argv[1], &full, &err) != TRACE_OK) {
        fprintf(stderr, "sketch-bench: %s: %s\n", argv[1], err.message);
        return 1;
    }
    printf("the index verified (every chunk's crc) %.3f s\n", bench_now() - t4);
    ls_index_unref(full);
    printf("sketch memory %.1f MiB\n", timeline_memory(tl) / 1048576.0);
    uint64_t b = timeline_begin(tl), e = timeline_end(tl) + 1;
    printf("zoom\tmedian ms\tmax ms\n");
    for (double zoom = 1; zoom <= 100000; zoom *= 10) {
        double *ms = malloc(sizeof(double) * (size_t)frames), mx = 0;
        uint64_t w = (uint64_t)((double)(e - b) / zoom);
        if (w < 1000)
            w = 1000;
        uint64_t start = b + (e - b) / 2 - w / 2;
        for (int f = 0; f < frames; f++) {
            p.t0 = start + (uint64_t)f * (w / 400);
            p.t1 = p.t0 + w;
            double a = bench_now();
            render_view(cr, &p);
            cairo_surface_flush(s);
            ms[f] = (bench_now() - a) * 1000;
            mx = ms[f] > mx ? ms[f] : mx;
        }
        printf("%gx\t%.1f\t%.1f\n", zoom, bench_median(ms, frames), mx);
        free(ms);
    }
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    timeline_free(tl);
    ls_index_unref(idx);
    return 0;
}

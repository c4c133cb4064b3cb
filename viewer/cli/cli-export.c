/* cli-export.c — `leakscope export --png OUT.png [--size WxH] [--from T --to T]
 * [--tracks LIST] [--theme light|dark] FILE`: the timeline as a PNG, drawn
 * by the same code as the viewer's screen, with no display needed.
 *
 * Exit: 0 written, 1 the output could not be written, 2 bad usage or an
 * unreadable or corrupt trace.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"
#include "render.h"
#include "timeline.h"
#include "trace-index.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_SIDE_MIN 200
#define EXPORT_SIDE_MAX 16384

static const char usage_text[] =
    "usage: leakscope export --png OUT.png [--size WxH] [--from T --to T]\n"
    "                        [--tracks heap,gc,resources,threads,marks] [--theme light|dark] [--exact] FILE\n"
    "T is a time after the trace's start: 1.5s, 200ms, 30us, 100ns, 2min; a plain number is seconds.\n"
    "The whole trace of a recording that holds only allocations and frees is drawn from its chunks'\n"
    "summaries without reading the events (the heap in each column: the range it was in); --exact reads\n"
    "every event, as a range (--from, --to) and any other trace always are.\n";

static bool parse_size(const char *s, int *w, int *h)
{
    char *x;
    errno = 0;
    long a = strtol(s, &x, 10);
    if (x == s || (*x != 'x' && *x != 'X') || errno)
        return false;
    char *end;
    long b = strtol(x + 1, &end, 10);
    if (end == x + 1 || *end || errno)
        return false;
    if (a < EXPORT_SIDE_MIN || a > EXPORT_SIDE_MAX || b < EXPORT_SIDE_MIN || b > EXPORT_SIDE_MAX)
        return false;
    *w = (int)a;
    *h = (int)b;
    return true;
}

static cairo_status_t write_png(void *closure, const unsigned char *data, unsigned int len)
{
    return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

typedef struct export_args {
    const char *out, *file, *from, *to;
    int width, height;
    uint32_t tracks;
    render_theme theme;
    bool exact;
} export_args;

/* Returns CLI_OK, or CLI_BAD_INPUT after printing the one line. */
static int parse_args(int argc, char **argv, export_args *ea)
{
    *ea = (export_args){ .width = 1920, .height = 1080, .tracks = RENDER_TRACK_ALL };
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = !strcmp(arg, "--png") || !strcmp(arg, "--size") || !strcmp(arg, "--from") ||
                     !strcmp(arg, "--to") || !strcmp(arg, "--tracks") || !strcmp(arg, "--theme");
        if (takes && !val) {
            cli_error("export: %s needs a value", arg);
            return CLI_BAD_INPUT;
        }
        if (!strcmp(arg, "--png")) {
            ea->out = val;
        } else if (!strcmp(arg, "--size")) {
            if (!parse_size(val, &ea->width, &ea->height)) {
                cli_error("export: bad --size '%s' (expected WxH, each %d..%d, e.g. 1920x1080)", val,
                          EXPORT_SIDE_MIN, EXPORT_SIDE_MAX);
                return CLI_BAD_INPUT;
            }
        } else if (!strcmp(arg, "--from")) {
            ea->from = val;
        } else if (!strcmp(arg, "--to")) {
            ea->to = val;
        } else if (!strcmp(arg, "--tracks")) {
            const char *bad = NULL;
            ea->tracks = render_tracks_parse(val, &bad);
            if (!ea->tracks) {
                size_t n = strcspn(bad, ",");
                cli_error("export: unknown track '%.*s' in --tracks (known: heap,gc,resources,threads,marks)",
                          (int)n, bad);
                return CLI_BAD_INPUT;
            }
        } else if (!strcmp(arg, "--exact")) {
            ea->exact = true;
            continue;
        } else if (!strcmp(arg, "--theme")) {
            if (strcmp(val, "light") && strcmp(val, "dark")) {
                cli_error("export: unknown --theme '%s' (light or dark)", val);
                return CLI_BAD_INPUT;
            }
            ea->theme = strcmp(val, "dark") ? RENDER_THEME_LIGHT : RENDER_THEME_DARK;
        } else if (arg[0] == '-' && arg[1]) {
            cli_error("export: unknown option '%s' (see leakscope export --help)", arg);
            return CLI_BAD_INPUT;
        } else if (ea->file) {
            cli_error("export: more than one trace file given");
            return CLI_BAD_INPUT;
        } else {
            ea->file = arg;
            continue;
        }
        i++;
    }
    if (!ea->out || !ea->file) {
        cli_error("export: expected --png OUT.png and a trace file (see leakscope export --help)");
        return CLI_BAD_INPUT;
    }
    uint64_t from, to; /* the syntax now, before the trace is read */
    return cli_parse_range("export", ea->from, ea->to, UINT64_MAX, &from, &to) ? CLI_OK : CLI_BAD_INPUT;
}

/* The view's range from --from/--to (relative to the trace's start). */
static int view_range(const export_args *ea, const timeline *tl, render_view_params *p)
{
    uint64_t origin = timeline_begin(tl), from, to;
    if (!cli_parse_range("export", ea->from, ea->to, timeline_end(tl) - origin, &from, &to))
        return CLI_BAD_INPUT;
    if (!ea->to && to <= from)
        to = from + 1000000; /* a trace of one instant: show a millisecond */
    if (UINT64_MAX - origin < to) {
        cli_error("export: --to %s is past what the trace's clock can hold", ea->to);
        return CLI_BAD_INPUT;
    }
    p->t0 = origin + from;
    p->t1 = origin + to;
    return CLI_OK;
}

int cli_export(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage_text, stdout);
        return CLI_OK;
    }
    export_args ea;
    int rc = parse_args(argc, argv, &ea);
    if (rc != CLI_OK)
        return rc;
    timeline *tl = NULL;
    trace_error err;
    ls_index *idx = NULL;
    trace_status st = ls_index_open(ea.file, &idx, &err);
    if (st == TRACE_OK) {
        /* The sketch only where it misses nothing the picture shows: the
         * whole trace, and a trace of allocations and frees alone. */
        if (!ea.exact && !ea.from && !ea.to && (tl = timeline_open_sketch(idx)) && !timeline_sketch_complete(tl)) {
            timeline_free(tl);
            tl = NULL;
        }
        if (!tl)
            st = timeline_open_index(idx, NULL, NULL, NULL, false, &tl, &err);
    }
    ls_index_unref(idx);
    if (st != TRACE_OK) {
        cli_error("%s: %s", ea.file, err.message);
        return CLI_BAD_INPUT;
    }
    cli_warn_damaged(ea.file, timeline_analysis(tl));
    render_view_params p;
    render_view_params_init(&p, tl, ea.width, ea.height);
    p.tracks = ea.tracks;
    p.theme = ea.theme;
    if ((rc = view_range(&ea, tl, &p)) != CLI_OK) {
        timeline_free(tl);
        return rc;
    }
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, ea.width, ea.height);
    cairo_t *cr = cairo_create(s);
    render_view(cr, &p);
    cairo_destroy(cr);
    timeline_free(tl);
    rc = CLI_OK;
    FILE *f = fopen(ea.out, "wb");
    if (!f) {
        cli_error("export: cannot write %s: %s", ea.out, strerror(errno));
        rc = CLI_FAIL;
    } else {
        cairo_status_t wst = cairo_surface_write_to_png_stream(s, write_png, f);
        if (fclose(f) != 0 || wst != CAIRO_STATUS_SUCCESS) {
            cli_error("export: cannot write %s: %s", ea.out,
                      wst != CAIRO_STATUS_SUCCESS ? cairo_status_to_string(wst) : strerror(errno));
            rc = CLI_FAIL;
        }
    }
    cairo_surface_destroy(s);
    return rc;
}

/* cli-flamegraph.c — `leakscope flamegraph [--metric M] [--from T] [--to T]
 * (--folded OUT | --svg OUT | --png OUT) [--width N] [--bottom-up] FILE`:
 * the allocations of the trace, or of a time range of it (range.h, read
 * with its history: every metric exact), as a call tree (calltree.h;
 * top-down, or from the allocating functions with --bottom-up), as
 * collapsed stacks, an interactive SVG or a PNG (render-flame.h), for one
 * metric: allocated (bytes, the default), allocations, temporary, leaked
 * (bytes live at the end), leaked-blocks, peak (bytes live at the heap's
 * peak; in a range, its own peak, older blocks included).
 *
 * Folded (collapsed) stacks, the format flamegraph.pl, inferno and
 * speedscope read: one line per distinct frame path with a nonzero value,
 * frames from the root (the outermost, or with --bottom-up the allocating
 * function) separated by ';', then a space and the value
 * (an integer) of the stacks that end there. Frame names are functions
 * (ls_frame_function: control characters and bytes that are not UTF-8 are
 * written \xNN); a ';' in a name is written \x3b as well, so that it cannot
 * split a frame. A name may hold spaces: readers take the value after the
 * line's last one. Allocations with no call stack are one frame,
 * "(no call stack recorded)".
 *
 * The output is written beside OUT and renamed onto it when whole.
 * Exit: 0 written, 1 the output could not be written, 2 bad usage or an
 * unreadable or corrupt trace.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"
#include "calltree.h"
#include "render-flame.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define FLAME_WIDTH_MIN 200
#define FLAME_WIDTH_MAX 16384
#define FLAME_HEIGHT_MAX 32767 /* cairo's image surfaces stop there */

static const char usage_text[] =
    "usage: leakscope flamegraph [--metric M] [--from T] [--to T] (--folded OUT | --svg OUT | --png OUT)\n"
    "                            [--width N] [--bottom-up] FILE\n"
    "  M: allocated (bytes, the default), allocations, temporary, leaked (bytes live at the end),\n"
    "     leaked-blocks, peak (bytes live at the heap's peak)\n"
    "  --from T, --to T  a time range (after the trace's start: 1.5s, 200ms, 30us, 100ns, 2min): what\n"
    "     it allocated, its temporary allocations, what of it was live at its end, its own peak\n"
    "  --folded  collapsed stacks (flamegraph.pl, inferno, speedscope): frames root first, ';', value\n"
    "  --svg     an interactive SVG (click to zoom, Ctrl+F to search); --png the same picture\n"
    "  --width   pixels across, 200..16384 (default 1200)\n"
    "  --bottom-up  from the allocating functions down to their callers (an icicle of callers)\n";

/* One frame name in a folded line: ';' (and what ls_frame_function let
 * through, which is nothing else unsafe) written \x3b. */
static void folded_name(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == ';')
            fputs("\\x3b", f);
        else
            fputc(*s, f);
    }
}

/* Depth first from the root, children in the tree's order; a line for
 * every node whose self value is not 0. `at` holds the path: the child
 * cursor of each node on it. */
static bool folded_write(const ls_calltree *t, ls_metric m, FILE *f)
{
    const ls_calltree_node *root = &t->nodes[LS_CALLTREE_ROOT];
    if (root->self[m])
        fprintf(f, "(no call stack recorded) %" PRIu64 "\n", root->self[m]);
    uint32_t *path = malloc(((size_t)t->max_depth + 1) * sizeof *path), *at = malloc(((size_t)t->max_depth + 1) * sizeof *at);
    if (!path || !at) {
        free(path);
        free(at);
        return false;
    }
    uint32_t d = 0;
    path[0] = LS_CALLTREE_ROOT;
    at[0] = 0;
    while (!ferror(f)) {
        const ls_calltree_node *n = &t->nodes[path[d]];
        if (at[d] == n->nchild) {
            if (!d)
                break;
            d--;
            continue;
        }
        uint32_t c = t->child[n->child0 + at[d]++];
        if (!t->nodes[c].incl[m])
            continue;
        path[++d] = c;
        at[d] = 0;
        if (!t->nodes[c].self[m])
            continue;
        for (uint32_t k = 1; k <= d; k++) {
            if (k > 1)
                fputc(';', f);
            folded_name(f, ls_calltree_name(t, path[k]));
        }
        fprintf(f, " %" PRIu64 "\n", t->nodes[c].self[m]);
    }
    free(path);
    free(at);
    return !ferror(f);
}

/* The analysis, symbols and call tree of `file`, of the whole trace or
 * (from or to not NULL) of the range --from/--to, then named in *range
 * (may be NULL; "" for the whole trace): CLI_OK, or CLI_BAD_INPUT (after
 * the one line) or CLI_FAIL (out of memory). */
static int tree_of(const char *file, const char *from, const char *to, ls_calltree_dir dir, ls_analysis **a,
                   sym_table **syms, ls_calltree **t, char range[static 64])
{
    range[0] = '\0';
    *syms = NULL;
    *t = NULL;
    if (!(*a = cli_load(file)))
        return CLI_BAD_INPUT;
    ls_stack_use *use = (*a)->stack_use;
    if (from || to) {
        ls_range *r;
        if (!cli_range_load("flamegraph", *a, from, to, &r))
            return CLI_BAD_INPUT;
        char b0[24], b1[24];
        snprintf(range, 64, "%s to %s", ls_format_duration(r->t0 - (*a)->info.start_ts, b0, sizeof b0),
                 ls_format_duration(r->t1 - (*a)->info.start_ts, b1, sizeof b1));
        use = ls_range_stack_use(r, (*a)->nstacks);
        ls_range_free(r);
    }
    *syms = use ? ls_analysis_symbols(*a) : NULL;
    *t = *syms ? ls_calltree_build_use(*a, use, (*a)->nstacks, *syms, dir) : NULL;
    if (use != (*a)->stack_use)
        free(use);
    if (!*t) {
        cli_error("%s: out of memory", file);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static void tree_free(ls_analysis *a, sym_table *syms, ls_calltree *t)
{
    ls_calltree_free(t);
    sym_table_free(syms);
    ls_analysis_free(a);
}

int cli_folded_write(const char *file, ls_metric m, FILE *f)
{
    ls_analysis *a;
    sym_table *syms;
    ls_calltree *t;
    char range[64];
    int rc = tree_of(file, NULL, NULL, LS_CALLTREE_TOP_DOWN, &a, &syms, &t, range);
    if (rc == CLI_OK && !folded_write(t, m, f))
        rc = CLI_FAIL;
    tree_free(a, syms, t);
    return rc;
}

static cairo_status_t write_png(void *closure, const unsigned char *data, unsigned int len)
{
    return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static bool png_write(const render_flame_params *p, FILE *f)
{
    int height = render_flame_height(p);
    if (height > FLAME_HEIGHT_MAX)
        height = FLAME_HEIGHT_MAX; /* the deepest frames are cut off, the rest is right */
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, p->width, height);
    cairo_t *cr = cairo_create(s);
    bool ok = render_flame(cr, p);
    cairo_destroy(cr);
    ok = ok && cairo_surface_write_to_png_stream(s, write_png, f) == CAIRO_STATUS_SUCCESS;
    cairo_surface_destroy(s);
    return ok;
}

bool cli_parse_metric(const char *cmd, const char *val, ls_metric *m)
{
    if (ls_metric_parse(val, m))
        return true;
    cli_error("%s: unknown --metric '%s' (allocated, allocations, temporary, leaked, leaked-blocks or peak)", cmd,
              val);
    return false;
}

typedef enum flame_output { OUT_NONE, OUT_FOLDED, OUT_SVG, OUT_PNG } flame_output;

int cli_flamegraph(int argc, char **argv)
{
    const char *out = NULL, *file = NULL, *from = NULL, *to = NULL;
    flame_output kind = OUT_NONE;
    ls_metric metric = LS_METRIC_ALLOCATED;
    long width = 1200;
    ls_calltree_dir dir = LS_CALLTREE_TOP_DOWN;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage_text, stdout);
            return CLI_OK;
        }
        flame_output k = !strcmp(arg, "--folded") ? OUT_FOLDED : !strcmp(arg, "--svg") ? OUT_SVG
                       : !strcmp(arg, "--png")    ? OUT_PNG
                                                  : OUT_NONE;
        bool takes = k != OUT_NONE || !strcmp(arg, "--metric") || !strcmp(arg, "--width") || !strcmp(arg, "--from") ||
                     !strcmp(arg, "--to");
        if (takes && !val) {
            cli_error("flamegraph: %s needs a value", arg);
            return CLI_BAD_INPUT;
        }
        if (!strcmp(arg, "--bottom-up")) {
            dir = LS_CALLTREE_BOTTOM_UP;
            continue;
        }
        if (k != OUT_NONE) {
            if (kind != OUT_NONE) {
                cli_error("flamegraph: give one of --folded, --svg, --png");
                return CLI_BAD_INPUT;
            }
            kind = k;
            out = val;
        } else if (!strcmp(arg, "--from")) {
            from = val;
        } else if (!strcmp(arg, "--to")) {
            to = val;
        } else if (!strcmp(arg, "--metric")) {
            if (!cli_parse_metric("flamegraph", val, &metric))
                return CLI_BAD_INPUT;
        } else if (!strcmp(arg, "--width")) {
            char *end;
            errno = 0;
            width = strtol(val, &end, 10);
            if (end == val || *end || errno || width < FLAME_WIDTH_MIN || width > FLAME_WIDTH_MAX) {
                cli_error("flamegraph: bad --width '%s' (%d..%d)", val, FLAME_WIDTH_MIN, FLAME_WIDTH_MAX);
                return CLI_BAD_INPUT;
            }
        } else if (arg[0] == '-' && arg[1]) {
            cli_error("flamegraph: unknown option '%s' (see leakscope flamegraph --help)", arg);
            return CLI_BAD_INPUT;
        } else if (file) {
            cli_error("flamegraph: more than one trace file given");
            return CLI_BAD_INPUT;
        } else {
            file = arg;
            continue;
        }
        i++;
    }
    if (kind == OUT_NONE || !file) {
        cli_error("flamegraph: expected --folded, --svg or --png OUT and a trace file (see leakscope flamegraph --help)");
        return CLI_BAD_INPUT;
    }
    uint64_t from_ns, to_ns; /* the syntax now, before the trace is read */
    if ((from || to) && !cli_parse_range("flamegraph", from, to, UINT64_MAX, &from_ns, &to_ns))
        return CLI_BAD_INPUT;
    ls_analysis *a;
    sym_table *syms;
    ls_calltree *t;
    char range[64];
    int rc = tree_of(file, from, to, dir, &a, &syms, &t, range);
    if (rc != CLI_OK) {
        tree_free(a, syms, t);
        return rc;
    }
    cli_output o;
    if (cli_output_open(&o, "flamegraph", out)) {
        const char *slash = strrchr(a->info.program, '/');
        const char *program = a->info.program[0] ? (slash ? slash + 1 : a->info.program) : NULL;
        char *title = range[0] ? malloc(strlen(program ? program : "") + 80) : NULL;
        if (title) /* a range's picture says so */
            sprintf(title, "%s%s%s", program ? program : "", program ? ", " : "", range);
        render_flame_params p = { .tree = t, .metric = metric, .width = (int)width, .title = title ? title : program };
        bool ok = kind == OUT_FOLDED ? folded_write(t, metric, o.f) : kind == OUT_SVG ? render_flame_svg(o.f, &p)
                                                                                     : png_write(&p, o.f);
        rc = cli_output_close(&o, ok ? CLI_OK : CLI_FAIL);
        free(title);
    } else {
        rc = CLI_FAIL;
    }
    tree_free(a, syms, t);
    return rc;
}

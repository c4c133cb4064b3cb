/* cli-convert.c — `leakscope convert --to chrome|csv|folded|pprof -o OUT FILE`:
 * a trace in formats other tools read.
 *
 * chrome: the Trace Event Format JSON that Perfetto's UI and chrome://tracing
 * load, with the series the timeline draws, from the same model: a counter
 * `heap` (args.bytes) and a counter `open resources` (one args key per
 * resource kind), each as the lowest and the highest value of every column
 * of COLUMNS across the trace (so the exact peak is in the file; exact steps
 * when the trace has few enough); GC pauses and spans as complete events,
 * marks as instant events, process and thread names as metadata.
 *
 * csv: one row per event in the one order of the analysis (merge.h), with
 * closes given the kind their resource was opened with.
 *
 * folded: the allocations' call tree as collapsed stacks (cli-flamegraph.c),
 * of --metric (allocated bytes by default).
 *
 * pprof: the heap by call stack as Go's heap profiles have it (cli-pprof.c).
 *
 * Exit: 0 written, 1 the output could not be written, 2 bad usage or an
 * unreadable or corrupt trace.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"
#include "timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COLUMNS 4096u

static const char usage_text[] =
    "usage: leakscope convert --to chrome|csv|folded|pprof [--metric M] -o OUT FILE\n"
    "  chrome  Trace Event Format JSON (Perfetto UI, chrome://tracing): heap and open-resource\n"
    "          counters, GC pauses, spans, marks, thread names\n"
    "  csv     one row per event: time_ns,thread,kind,size,address,old_address,resource_kind,\n"
    "          handle,stack_id,label\n"
    "  folded  collapsed stacks of the allocations (flamegraph.pl, inferno, speedscope); --metric as\n"
    "          for leakscope flamegraph (allocated by default)\n"
    "  pprof   gzip'd profile.proto (go tool pprof, Pyroscope, Parca): allocations and what is\n"
    "          live at the end, per call stack, as Go's heap profiles\n";

/* ---- chrome ---- */

typedef struct chrome {
    FILE *f;
    uint64_t origin;  /* the trace's first event: time 0 in the file */
    uint32_t pid;
    bool first;
} chrome;

static void chrome_sep(chrome *c)
{
    fputs(c->first ? "\n" : ",\n", c->f);
    c->first = false;
}

/* Microseconds since the trace's start, to the nanosecond. */
static void chrome_ts(chrome *c, const char *key, uint64_t ns)
{
    uint64_t d = ns > c->origin ? ns - c->origin : 0;
    fprintf(c->f, "\"%s\":%" PRIu64 ".%03" PRIu64, key, d / 1000, d % 1000);
}

static void chrome_dur(chrome *c, uint64_t ns)
{
    fprintf(c->f, "\"dur\":%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}

static void chrome_name(chrome *c, const ls_analysis *a, uint32_t str, const char *none)
{
    const char *s = str ? ls_analysis_string(a, str) : none;
    cli_json_string(c->f, s, strlen(s));
}

static void chrome_metadata(chrome *c, const ls_analysis *a)
{
    chrome_sep(c);
    fprintf(c->f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":0,\"args\":{\"name\":", c->pid);
    cli_json_string(c->f, a->info.program, strlen(a->info.program));
    fputs("}}", c->f);
    for (uint32_t i = 0; i < a->nthreads; i++) {
        const ls_thread *t = &a->threads[i];
        chrome_sep(c);
        fprintf(c->f, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":", c->pid,
                t->tid);
        if (t->name) {
            chrome_name(c, a, t->name, "");
        } else {
            fprintf(c->f, "\"thread %u\"", t->tid);
        }
        fputs("}}", c->f);
    }
}

/* A counter's value from `ts` on. */
static void counter_begin(chrome *c, const char *name, uint64_t ts)
{
    chrome_sep(c);
    fprintf(c->f, "{\"name\":\"%s\",\"ph\":\"C\",\"pid\":%u,\"tid\":0,", name, c->pid);
    chrome_ts(c, "ts", ts);
    fputs(",\"args\":{", c->f);
}

/* The heap from ts on, unless it is what it was. */
static void heap_value(chrome *c, uint64_t ts, uint64_t bytes, uint64_t *last)
{
    if (bytes == *last)
        return;
    *last = bytes;
    counter_begin(c, "heap", ts);
    fprintf(c->f, "\"bytes\":%" PRIu64 "}}", bytes);
}

static void chrome_heap(chrome *c, timeline *tl)
{
    uint64_t t0 = timeline_begin(tl), t1 = timeline_end(tl) + 1;
    uint64_t *ts = malloc(2 * COLUMNS * sizeof *ts), *v = malloc(2 * COLUMNS * sizeof *v);
    if (!ts || !v) {
        free(ts);
        free(v);
        return;
    }
    int64_t n = timeline_heap_steps(tl, t0, t1 - 1, 2 * COLUMNS, ts, v);
    uint64_t last = UINT64_MAX;
    if (n >= 0) { /* few enough: every step */
        for (int64_t i = 0; i < n; i++)
            heap_value(c, ts[i], v[i], &last);
    } else { /* per column, its lowest value at its start and its highest at its middle */
        uint64_t *lo = ts, *hi = v;
        timeline_heap_range(tl, t0, t1, COLUMNS, lo, hi);
        for (uint32_t i = 0; i < COLUMNS; i++) {
            heap_value(c, t0 + (t1 - t0) * (2 * i) / (2 * COLUMNS), lo[i], &last);
            heap_value(c, t0 + (t1 - t0) * (2 * i + 1) / (2 * COLUMNS), hi[i], &last);
        }
    }
    free(ts);
    free(v);
}

static void chrome_resources(chrome *c, timeline *tl)
{
    const ls_analysis *a = timeline_analysis(tl);
    uint32_t kinds[TIMELINE_MAX_KINDS], nk = timeline_resource_kinds(tl, kinds, TIMELINE_MAX_KINDS);
    if (!nk)
        return;
    uint64_t t0 = timeline_begin(tl), t1 = timeline_end(tl) + 1;
    uint32_t *lo = malloc((size_t)nk * COLUMNS * sizeof *lo), *hi = malloc((size_t)nk * COLUMNS * sizeof *hi);
    uint32_t *end = calloc(nk, sizeof *end), one;
    if (!lo || !hi || !end)
        goto out;
    for (uint32_t k = 0; k < nk; k++) {
        timeline_resource_range(tl, k, t0, t1, COLUMNS, lo + (size_t)k * COLUMNS, hi + (size_t)k * COLUMNS);
        timeline_resource_range(tl, k, t1 - 1, t1, 1, &end[k], &one); /* what is open at the end */
    }
    /* Each column's lowest counts at its start and highest at its middle,
     * then the counts at the end; an event only where a count changed. */
    uint32_t *now = malloc(nk * sizeof *now);
    if (!now)
        goto out;
    for (uint32_t i = 0; i <= 2 * COLUMNS; i++) {
        bool changed = !i || i == 2 * COLUMNS;
        for (uint32_t k = 0; k < nk; k++) {
            uint32_t v = i == 2 * COLUMNS ? end[k] : (i % 2 ? hi : lo)[(size_t)k * COLUMNS + i / 2];
            changed |= v != now[k];
            now[k] = v;
        }
        if (!changed)
            continue;
        counter_begin(c, "open resources", i == 2 * COLUMNS ? t1 - 1 : t0 + (t1 - t0) * i / (2 * COLUMNS));
        for (uint32_t k = 0; k < nk; k++) {
            if (k)
                fputc(',', c->f);
            chrome_name(c, a, kinds[k], "");
            fprintf(c->f, ":%u", now[k]);
        }
        fputs("}}", c->f);
    }
    free(now);
out:
    free(lo);
    free(hi);
    free(end);
}

static void chrome_complete(chrome *c, const char *cat, uint64_t begin, uint64_t end, uint32_t tid)
{
    fprintf(c->f, ",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%u,\"tid\":%u,", cat, c->pid, tid);
    chrome_ts(c, "ts", begin);
    fputc(',', c->f);
    chrome_dur(c, end > begin ? end - begin : 0);
}

static void chrome_events(chrome *c, const ls_analysis *a)
{
    for (uint32_t i = 0; i < a->ngc; i++) {
        const ls_gc_pause *g = &a->gc[i];
        chrome_sep(c);
        fputs("{\"name\":\"GC\"", c->f);
        chrome_complete(c, "gc", g->begin, g->end, g->thread);
        fputs(",\"args\":{\"reason\":", c->f);
        chrome_name(c, a, g->reason, "");
        fprintf(c->f, ",\"heap_after\":%" PRIu64 "}}", g->heap_after);
    }
    for (uint32_t i = 0; i < a->nspans; i++) {
        const ls_span *s = &a->spans[i];
        chrome_sep(c);
        fputs("{\"name\":", c->f);
        chrome_name(c, a, s->label, "span");
        chrome_complete(c, "span", s->begin, s->end ? s->end : a->last_ts, s->thread);
        fputc('}', c->f);
    }
    for (uint32_t i = 0; i < a->nmarks; i++) {
        const ls_mark *m = &a->marks[i];
        chrome_sep(c);
        fputs("{\"name\":", c->f);
        chrome_name(c, a, m->label, "mark");
        fprintf(c->f, ",\"cat\":\"mark\",\"ph\":\"i\",\"s\":\"t\",\"pid\":%u,\"tid\":%u,", c->pid, m->thread);
        chrome_ts(c, "ts", m->ts);
        fputc('}', c->f);
    }
}

static int write_chrome(const char *file, FILE *f)
{
    timeline *tl = NULL;
    trace_error err;
    if (timeline_open(file, &tl, &err) != TRACE_OK) {
        cli_error("%s: %s", file, err.message);
        return CLI_BAD_INPUT;
    }
    const ls_analysis *a = timeline_analysis(tl);
    cli_warn_damaged(file, a);
    chrome c = { f, timeline_begin(tl), a->info.pid, true };
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);
    chrome_metadata(&c, a);
    chrome_heap(&c, tl);
    chrome_resources(&c, tl);
    chrome_events(&c, a);
    fputs("\n]}\n", f);
    timeline_free(tl);
    return CLI_OK;
}

/* ---- csv ---- */

typedef struct csv {
    FILE *f;
    const trace_event *resolved; /* the close the analysis paired last */
    uint32_t resolved_kind;
} csv;

/* One field of untrusted text, quoted as RFC 4180 says when it must be. */
static void csv_text(FILE *f, const char *s)
{
    if (!s[strcspn(s, ",\"\r\n")]) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_resource(void *user, const ls_analysis *a, const trace_event *ev, uint32_t kind, uint32_t stack,
                         int delta)
{
    (void)a;
    (void)stack;
    csv *c = user;
    if (ev->kind == TRACE_RES_CLOSE && delta < 0) {
        c->resolved = ev;
        c->resolved_kind = kind;
    }
}

static bool csv_event(void *user, const ls_analysis *a, const trace_event *ev)
{
    csv *c = user;
    FILE *f = c->f;
    fprintf(f, "%" PRIu64 ",%u,%s,", ev->ts, ev->thread, trace_kind_name(ev->kind));
    bool sized = ev->kind == TRACE_ALLOC || ev->kind == TRACE_REALLOC || ev->kind == TRACE_RES_OPEN ||
                 ev->kind == TRACE_GC_END;
    if (sized)
        fprintf(f, "%" PRIu64, ev->size);
    fputc(',', f);
    if (ev->kind == TRACE_ALLOC || ev->kind == TRACE_FREE)
        fprintf(f, "0x%" PRIx64 ",,", ev->addr);
    else if (ev->kind == TRACE_REALLOC)
        fprintf(f, "0x%" PRIx64 ",0x%" PRIx64 ",", ev->addr2, ev->addr);
    else
        fputs(",,", f);
    if (ev->kind == TRACE_RES_OPEN || ev->kind == TRACE_RES_CLOSE) {
        uint32_t kind = (uint32_t)ev->str;
        if (ev->kind == TRACE_RES_CLOSE && c->resolved == ev)
            kind = c->resolved_kind;
        csv_text(f, ls_analysis_string(a, kind));
        fprintf(f, ",%" PRIu64 ",", ev->value);
    } else {
        fputs(",,", f);
    }
    if (ev->stack)
        fprintf(f, "%" PRIu64, ev->stack);
    fputc(',', f);
    if (ev->kind != TRACE_RES_OPEN && ev->kind != TRACE_RES_CLOSE && ev->str)
        csv_text(f, ls_analysis_string(a, (uint32_t)ev->str));
    else if (ev->kind == TRACE_LOST)
        fprintf(f, "%" PRIu64, ev->value);
    fputc('\n', f);
    c->resolved = NULL;
    return !ferror(f);
}

static int write_csv(const char *file, FILE *f)
{
    fputs("time_ns,thread,kind,size,address,old_address,resource_kind,handle,stack_id,label\n", f);
    csv c = { f, NULL, 0 };
    ls_observer obs = { .event = csv_event, .resource = csv_resource, .user = &c };
    ls_analysis *a = NULL;
    trace_error err;
    trace_status st = ls_analysis_load_observed(file, &obs, &a, &err);
    if (a)
        cli_warn_damaged(file, a);
    ls_analysis_free(a);
    if (st == TRACE_OK)
        return CLI_OK;
    if (ferror(f))
        return CLI_FAIL; /* the caller names the output */
    cli_error("%s: %s", file, err.message);
    return CLI_BAD_INPUT;
}

int cli_convert(int argc, char **argv)
{
    const char *to = NULL, *out = NULL, *file = NULL;
    ls_metric metric = LS_METRIC_ALLOCATED;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage_text, stdout);
            return CLI_OK;
        }
        if (!strcmp(arg, "--to") || !strcmp(arg, "-o")) {
            if (i + 1 >= argc) {
                cli_error("convert: %s needs a value", arg);
                return CLI_BAD_INPUT;
            }
            *(!strcmp(arg, "--to") ? &to : &out) = argv[++i];
        } else if (!strcmp(arg, "--metric")) {
            if (i + 1 >= argc) {
                cli_error("convert: %s needs a value", arg);
                return CLI_BAD_INPUT;
            }
            if (!cli_parse_metric("convert", argv[++i], &metric))
                return CLI_BAD_INPUT;
        } else if (arg[0] == '-' && arg[1]) {
            cli_error("convert: unknown option '%s' (see leakscope convert --help)", arg);
            return CLI_BAD_INPUT;
        } else if (file) {
            cli_error("convert: more than one trace file given");
            return CLI_BAD_INPUT;
        } else {
            file = arg;
        }
    }
    if (!to || !out || !file) {
        cli_error("convert: expected --to FORMAT, -o OUT and a trace file (see leakscope convert --help)");
        return CLI_BAD_INPUT;
    }
    bool is_chrome = !strcmp(to, "chrome"), is_folded = !strcmp(to, "folded"), is_pprof = !strcmp(to, "pprof");
    if (!is_chrome && !is_folded && !is_pprof && strcmp(to, "csv")) {
        cli_error("convert: --to: unknown format '%s' (chrome, csv, folded or pprof)", to);
        return CLI_BAD_INPUT;
    }
    cli_output o; /* written beside OUT and renamed onto it once whole */
    if (!cli_output_open(&o, "convert", out))
        return CLI_FAIL;
    int rc = is_chrome   ? write_chrome(file, o.f)
             : is_folded ? cli_folded_write(file, metric, o.f)
             : is_pprof  ? cli_convert_pprof(file, o.f)
                         : write_csv(file, o.f);
    return cli_output_close(&o, rc);
}

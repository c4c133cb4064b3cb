/* cli-check.c — `leakscope check [thresholds] [--junit FILE] FILE`: gates CI
 * on a trace. Exit 0 when every check passes, 1 when one fails, 2 on bad
 * input (unreadable trace, wrong usage).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "cli.h"
#include "leakclass.h"
#include "sites.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHECKS 32
#define MAX_KIND_LIMITS 16

typedef struct check_result {
    char name[64];     /* JUnit test case name, e.g. "leaked_bytes" */
    char line[512];    /* what the text output says */
    bool passed;
} check_result;

typedef struct kind_limit {
    const char *kind;
    uint64_t max;
} kind_limit;

typedef struct check_args {
    bool have_leaked_bytes, have_leaked_blocks, have_open, have_gc_pause, have_gc_total, have_peak, have_lost;
    bool have_lost_bytes;
    bool default_check;    /* no threshold given: nothing lost (with a heap snapshot), else nothing leaked */
    uint64_t leaked_bytes, leaked_blocks, open, gc_pause, gc_total, peak, lost, lost_bytes;
    kind_limit kinds[MAX_KIND_LIMITS];
    int nkinds;
    bool allow_incomplete;
    const char *junit;
    const char *file;
} check_args;

static const char usage_text[] =
    "usage: leakscope check [thresholds] [--junit FILE] TRACE\n"
    "thresholds (a check fails when the trace is above its limit):\n"
    "  --max-leaked-bytes N      bytes still allocated at the end (K, M, G suffixes)\n"
    "  --max-leaked-blocks N     blocks still allocated at the end\n"
    "  --max-lost-bytes N        bytes no pointer reaches at exit: lost + indirect + cycle, from the\n"
    "                            trace's heap snapshot (fails when the trace has none)\n"
    "  --max-open-resources N    resources of any kind still open at the end\n"
    "  --max-open KIND=N         resources of one kind left open: a family (fd covers fd/socket, ...),\n"
    "                            a whole kind (fd/socket) or a subtype (socket)\n"
    "  --max-gc-pause T          longest GC pause (1.5s, 20ms, 300us)\n"
    "  --max-gc-total T          all GC pauses added up\n"
    "  --max-peak-heap N         peak live heap bytes\n"
    "  --max-lost-events N       events the recorder dropped (default 0)\n"
    "  --allow-incomplete        do not fail a trace that stops early (a crash: no end marker, or\n"
    "                            cut inside a chunk); --allow-truncated is the same\n"
    "a damaged trace (chunks skipped, events lost) always fails\n"
    "  --junit FILE              also write the results as JUnit XML\n"
    "With no threshold given, check means: nothing lost (no lost, indirect or cycle bytes) when the\n"
    "trace has a heap snapshot, else no leaked bytes; no events lost, not truncated.\n"
    "Exit status: 0 all checks pass, 1 a check fails, 2 bad input.\n";

/* What each kind of value must look like, for the one line on a bad one. */
#define NOT_SIZE "is not a size (e.g. 0, 4096, 512K, 64M, 2G)"
#define NOT_COUNT "is not a count (e.g. 0, 25)"
#define NOT_DURATION "is not a duration with a unit (e.g. 20ms, 1.5s, 300us, 2min)"

static int bad_value(const char *opt, const char *val, const char *what)
{
    cli_error("check: --%s: '%s' %s", opt, val, what);
    return CLI_BAD_INPUT;
}

static int parse_args(int argc, char **argv, check_args *ca)
{
    static const struct option opts[] = {
        { "max-leaked-bytes", required_argument, NULL, 'b' },
        { "max-leaked-blocks", required_argument, NULL, 'B' },
        { "max-lost-bytes", required_argument, NULL, 'L' },
        { "max-open-resources", required_argument, NULL, 'o' },
        { "max-open", required_argument, NULL, 'k' },
        { "max-gc-pause", required_argument, NULL, 'g' },
        { "max-gc-total", required_argument, NULL, 'G' },
        { "max-peak-heap", required_argument, NULL, 'p' },
        { "max-lost-events", required_argument, NULL, 'l' },
        { "allow-incomplete", no_argument, NULL, 't' },
        { "allow-truncated", no_argument, NULL, 't' },
        { "junit", required_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, idx = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+", opts, &idx)) != -1) {
        const char *opt = optind > 0 ? argv[optind - 1] : "";
        const char *name = opts[idx].name; /* long options only: idx is set for every match */
        switch (c) {
        case 'b': if (!cli_parse_bytes(optarg, &ca->leaked_bytes)) return bad_value(name, optarg, NOT_SIZE); ca->have_leaked_bytes = true; break;
        case 'L': if (!cli_parse_bytes(optarg, &ca->lost_bytes)) return bad_value(name, optarg, NOT_SIZE); ca->have_lost_bytes = true; break;
        case 'B': if (!cli_parse_count(optarg, &ca->leaked_blocks)) return bad_value(name, optarg, NOT_COUNT); ca->have_leaked_blocks = true; break;
        case 'o': if (!cli_parse_count(optarg, &ca->open)) return bad_value(name, optarg, NOT_COUNT); ca->have_open = true; break;
        case 'g': if (!cli_parse_duration_unit(optarg, &ca->gc_pause)) return bad_value(name, optarg, NOT_DURATION); ca->have_gc_pause = true; break;
        case 'G': if (!cli_parse_duration_unit(optarg, &ca->gc_total)) return bad_value(name, optarg, NOT_DURATION); ca->have_gc_total = true; break;
        case 'p': if (!cli_parse_bytes(optarg, &ca->peak)) return bad_value(name, optarg, NOT_SIZE); ca->have_peak = true; break;
        case 'l': if (!cli_parse_count(optarg, &ca->lost)) return bad_value(name, optarg, NOT_COUNT); ca->have_lost = true; break;
        case 't': ca->allow_incomplete = true; break;
        case 'j': ca->junit = optarg; break;
        case 'k': {
            char *eq = strrchr(optarg, '=');
            if (!eq || eq == optarg)
                return bad_value(name, optarg, "is not KIND=N (e.g. fd=0, socket=2, FILE=0)");
            if (ca->nkinds == MAX_KIND_LIMITS)
                return bad_value(name, optarg, "is one limit too many (at most 16 kinds)");
            *eq = '\0';
            if (!cli_parse_count(eq + 1, &ca->kinds[ca->nkinds].max))
                return bad_value(name, eq + 1, NOT_COUNT);
            ca->kinds[ca->nkinds++].kind = optarg;
            break;
        }
        case 'h': fputs(usage_text, stdout); return -1;
        case ':':
            cli_error("check: option '%s' needs a value", opt);
            return CLI_BAD_INPUT;
        default:
            cli_error("check: unknown option '%s' (see leakscope check --help)", opt);
            return CLI_BAD_INPUT;
        }
    }
    if (optind != argc - 1) {
        cli_error("check: expected one trace file (see leakscope check --help)");
        return CLI_BAD_INPUT;
    }
    ca->file = argv[optind];
    bool any = ca->have_leaked_bytes || ca->have_leaked_blocks || ca->have_open || ca->have_gc_pause ||
               ca->have_gc_total || ca->have_peak || ca->nkinds || ca->have_lost_bytes;
    ca->default_check = !any; /* nothing lost, or leaked: decided once the trace is read */
    if (!ca->have_lost)
        ca->have_lost = true; /* lost events always fail unless allowed by a limit */
    return CLI_OK;
}

static check_result *add_result(check_result *r, int *n, const char *name, bool passed)
{
    if (*n == MAX_CHECKS)
        return NULL;
    check_result *c = &r[(*n)++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    c->passed = passed;
    return c;
}

/* The largest leak's call site (sites.h), for the failure message. */
static void describe_top_leak(const ls_analysis *a, sym_table *syms, char *out, size_t len)
{
    out[0] = '\0';
    if (!a->nleaks)
        return;
    char b[64], site[400];
    snprintf(out, len, "; largest: %s from %s", ls_format_bytes(a->leaks[0].bytes, b, sizeof b),
             ls_site_name(syms, a, a->leaks[0].stack, site, sizeof site));
}

/* The largest group no pointer reaches (lost, indirect, cycle), for the failure message. */
static void describe_top_lost(const ls_analysis *a, const ls_leak_classes *lc, sym_table *syms, char *out, size_t len)
{
    out[0] = '\0';
    const ls_class_group *top = NULL;
    for (uint32_t i = 0; i < lc->ngroups; i++) {
        const ls_class_group *g = &lc->groups[i];
        if (g->cls < LS_NCLASSES && ls_leak_class_unreachable((ls_leak_class)g->cls) && (!top || g->bytes > top->bytes))
            top = g;
    }
    if (!top)
        return;
    char b[64], site[400];
    snprintf(out, len, "; largest: %s %s from %s", ls_format_bytes(top->bytes, b, sizeof b),
             ls_class_group_name(top->cls), ls_site_name(syms, a, top->stack, site, sizeof site));
}

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n')
                fputc('?', f); /* not allowed in XML 1.0 */
            else
                fputc(c, f);
        }
    }
}

static bool write_junit(const char *path, const char *trace, const check_result *r, int n, int failures)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    fprintf(f, "  <testsuite name=\"leakscope\" tests=\"%d\" failures=\"%d\" errors=\"0\">\n", n, failures);
    for (int i = 0; i < n; i++) {
        fputs("    <testcase classname=\"leakscope.", f);
        xml_text(f, trace);
        fputs("\" name=\"", f);
        xml_text(f, r[i].name);
        if (r[i].passed) {
            fputs("\"/>\n", f);
        } else {
            fputs("\">\n      <failure message=\"", f);
            xml_text(f, r[i].line);
            fputs("\"/>\n    </testcase>\n", f);
        }
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    bool ok = !ferror(f);
    return fclose(f) == 0 && ok;
}

int cli_check(int argc, char **argv)
{
    check_args ca;
    memset(&ca, 0, sizeof ca);
    int rc = parse_args(argc, argv, &ca);
    if (rc < 0)
        return CLI_OK;
    if (rc != CLI_OK)
        return rc;
    ls_analysis *a = cli_load(ca.file);
    if (!a)
        return CLI_BAD_INPUT;
    sym_table *syms = ls_analysis_symbols(a);
    ls_leak_classes *lc = NULL;
    trace_error err;
    if (ls_leak_classes_build(a, syms, &lc, &err) != TRACE_OK) {
        cli_error("%s: %s", ca.file, err.message);
        sym_table_free(syms);
        ls_analysis_free(a);
        return CLI_BAD_INPUT;
    }
    /* The default: what CI wants to hear. With a snapshot, memory the
     * program still points to at exit (a global cache, stdio's buffers) is
     * not a leak; without one, everything live at the end is. */
    if (ca.default_check && lc)
        ca.have_lost_bytes = true;
    else if (ca.default_check)
        ca.have_leaked_bytes = true;

    check_result res[MAX_CHECKS];
    int n = 0;
    char b1[64], b2[64], extra[300];
    check_result *c;
#define LIMIT_CHECK(have, name, value, limit, fmt_value, fmt_limit, what, tail)                                  \
    if (have && (c = add_result(res, &n, name, (value) <= (limit))) != NULL)                                   \
        snprintf(c->line, sizeof c->line, "%s: %s %s %s%s", what, fmt_value, (value) <= (limit) ? "<=" : ">",  \
                 fmt_limit, c->passed ? "" : tail);

    describe_top_leak(a, syms, extra, sizeof extra);
    LIMIT_CHECK(ca.have_leaked_bytes, "leaked_bytes", a->leaked_bytes, ca.leaked_bytes,
                ls_format_bytes(a->leaked_bytes, b1, sizeof b1), ls_format_bytes(ca.leaked_bytes, b2, sizeof b2), "leaked bytes", extra);
    if (ca.have_lost_bytes && lc) {
        uint64_t lost = ls_leak_classes_lost_bytes(lc);
        describe_top_lost(a, lc, syms, extra, sizeof extra);
        LIMIT_CHECK(true, "lost_bytes", lost, ca.lost_bytes, ls_format_bytes(lost, b1, sizeof b1),
                    ls_format_bytes(ca.lost_bytes, b2, sizeof b2), lc->uncertain ? "lost bytes (uncertain)" : "lost bytes",
                    extra);
        describe_top_leak(a, syms, extra, sizeof extra);
    } else if (ca.have_lost_bytes && (c = add_result(res, &n, "lost_bytes", false)) != NULL) {
        snprintf(c->line, sizeof c->line, "lost bytes: unknown, the trace has no heap snapshot (%s)",
                 ls_analysis_ending(a) == LS_ENDING_COMPLETE ? "recorded with --no-scan or LEAKSCOPE_SCAN=0"
                                                             : "the program crashed or was killed");
    }
    snprintf(b1, sizeof b1, "%llu", (unsigned long long)a->leaked_blocks);
    snprintf(b2, sizeof b2, "%llu", (unsigned long long)ca.leaked_blocks);
    LIMIT_CHECK(ca.have_leaked_blocks, "leaked_blocks", a->leaked_blocks, ca.leaked_blocks, b1, b2, "leaked blocks", extra);
    snprintf(b1, sizeof b1, "%llu", (unsigned long long)a->resources_open_at_end);
    snprintf(b2, sizeof b2, "%llu", (unsigned long long)ca.open);
    LIMIT_CHECK(ca.have_open, "open_resources", a->resources_open_at_end, ca.open, b1, b2, "resources open at end", "");
    for (int k = 0; k < ca.nkinds; k++) {
        uint64_t open = 0;
        for (uint32_t i = 0; i < a->nres_kinds; i++)
            if (ls_resource_kind_matches(ca.kinds[k].kind, ls_analysis_string(a, a->res_kinds[i].kind)))
                open += a->res_kinds[i].open_at_end;
        char name[64], what[96];
        snprintf(name, sizeof name, "open_%s", ca.kinds[k].kind);
        snprintf(what, sizeof what, "%s open at end", ca.kinds[k].kind);
        snprintf(b1, sizeof b1, "%llu", (unsigned long long)open);
        snprintf(b2, sizeof b2, "%llu", (unsigned long long)ca.kinds[k].max);
        LIMIT_CHECK(true, name, open, ca.kinds[k].max, b1, b2, what, "");
    }
    LIMIT_CHECK(ca.have_gc_pause, "gc_max_pause", a->gc_stats.max_ns, ca.gc_pause,
                ls_format_duration(a->gc_stats.max_ns, b1, sizeof b1), ls_format_duration(ca.gc_pause, b2, sizeof b2),
                "longest GC pause", "");
    LIMIT_CHECK(ca.have_gc_total, "gc_total", a->gc_stats.total_ns, ca.gc_total,
                ls_format_duration(a->gc_stats.total_ns, b1, sizeof b1), ls_format_duration(ca.gc_total, b2, sizeof b2),
                "GC pauses in total", "");
    LIMIT_CHECK(ca.have_peak, "peak_heap", a->peak_heap_bytes, ca.peak, ls_format_bytes(a->peak_heap_bytes, b1, sizeof b1),
                ls_format_bytes(ca.peak, b2, sizeof b2), "peak heap", "");
    snprintf(b1, sizeof b1, "%llu", (unsigned long long)a->lost_events);
    snprintf(b2, sizeof b2, "%llu", (unsigned long long)ca.lost);
    LIMIT_CHECK(ca.have_lost, "lost_events", a->lost_events, ca.lost, b1, b2, "lost events", "");
#undef LIMIT_CHECK
    ls_ending ending = ls_analysis_ending(a);
    if ((c = add_result(res, &n, "complete", ending == LS_ENDING_COMPLETE || ca.allow_incomplete)) != NULL) {
        const char *allowed = ending != LS_ENDING_COMPLETE && ca.allow_incomplete ? " (allowed)" : "";
        if (ending == LS_ENDING_TRUNCATED)
            snprintf(c->line, sizeof c->line,
                     "trace truncated at byte offset %llu: the file stops inside a chunk (the program crashed "
                     "or was killed while writing)%s",
                     (unsigned long long)a->truncated_at, allowed);
        else if (ending == LS_ENDING_INCOMPLETE)
            snprintf(c->line, sizeof c->line,
                     "trace incomplete: no end marker (the program crashed or was killed)%s", allowed);
        else
            snprintf(c->line, sizeof c->line, "trace complete");
    }
    if (ls_analysis_damaged(a) && (c = add_result(res, &n, "damage", false)) != NULL) {
        char first[300] = "";
        if (a->ndamage)
            ls_analysis_damage_text(a, 0, first, sizeof first);
        char lost[64];
        if (a->damage_events_unknown)
            snprintf(lost, sizeof lost, "at least %llu events lost", (unsigned long long)a->damage_events_lost);
        else
            snprintf(lost, sizeof lost, "%llu events lost", (unsigned long long)a->damage_events_lost);
        if (a->ndamage)
            snprintf(c->line, sizeof c->line, "trace damaged: %u place%s skipped, %s; first: %s", a->damage_places,
                     a->damage_places == 1 ? "" : "s", lost, first);
        else
            snprintf(c->line, sizeof c->line, "trace damaged: %llu event fields name dictionary ids lost with damage",
                     (unsigned long long)a->lost_id_refs);
    }

    int failures = 0;
    for (int i = 0; i < n; i++) {
        printf("%s  ", res[i].passed ? "PASS" : "FAIL");
        cli_text_string(stdout, res[i].line);
        putchar('\n');
        failures += !res[i].passed;
    }
    printf("leakscope check: %d passed, %d failed\n", n - failures, failures);
    rc = failures ? CLI_FAIL : CLI_OK;
    if (ca.junit && !write_junit(ca.junit, ca.file, res, n, failures)) {
        cli_error("check: cannot write %s", ca.junit);
        rc = CLI_BAD_INPUT;
    }
    ls_leak_classes_free(lc);
    sym_table_free(syms);
    ls_analysis_free(a);
    return rc;
}

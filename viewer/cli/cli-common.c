/* cli-common.c — helpers shared by the subcommands.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"
#include "sites.h"

#include <stdarg.h>
#include <stdlib.h>
#include <math.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_error(const char *fmt, ...)
{
    /* File names, option values and the reader's messages can hold any
     * byte: escaped as the report escapes untrusted text, so the error stays
     * one line and cannot drive the terminal. */
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fputs("leakscope: ", stderr);
    cli_text_string(stderr, line);
    fputc('\n', stderr);
}

void cli_warn_damaged(const char *path, const ls_analysis *a)
{
    if (!ls_analysis_damaged(a))
        return;
    char first[400] = "";
    if (a->ndamage)
        ls_analysis_damage_text(a, 0, first, sizeof first);
    cli_error("%s: warning: the trace is damaged (%u place%s skipped, %s%llu events lost; first: %s): the output "
              "leaves them out",
              path, a->damage_places, a->damage_places == 1 ? "" : "s", a->damage_events_unknown ? "at least " : "",
              (unsigned long long)a->damage_events_lost, a->ndamage ? first : "dictionary ids lost");
}

ls_analysis *cli_load_with_symbols(const char *path, sym_table **syms)
{
    *syms = NULL;
    ls_index *idx;
    trace_error err;
    if (ls_index_open(path, &idx, &err) != TRACE_OK) {
        cli_error("%s: %s", path, err.message);
        return NULL;
    }
    ls_symbols_job *job = ls_symbols_begin(idx); /* read beside the analysis */
    ls_analysis *a = NULL;
    trace_status st = ls_analysis_run(idx, NULL, &a, &err);
    ls_index_unref(idx); /* the analysis holds its own reference */
    sym_table *t = ls_symbols_end(job);
    if (st != TRACE_OK) {
        cli_error("%s: %s", path, err.message);
        sym_table_free(t);
        return NULL;
    }
    if (!t) {
        cli_error("%s: out of memory", path);
        ls_analysis_free(a);
        return NULL;
    }
    *syms = t;
    return a;
}

ls_analysis *cli_load(const char *path)
{
    ls_analysis *a = NULL;
    trace_error err;
    if (ls_analysis_load(path, &a, &err) != TRACE_OK) {
        cli_error("%s: %s", path, err.message);
        return NULL;
    }
    return a;
}

void cli_json_string(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                fprintf(f, "\\u%04x", c);
            } else if (c >= 0x80) {
                size_t n = ls_utf8_len(s + i, len - i); /* pass valid UTF-8 through; replace anything else */
                if (n) {
                    fwrite(s + i, 1, n, f);
                    i += n - 1;
                } else {
                    fputs("\\ufffd", f);
                }
            } else {
                fputc(c, f);
            }
        }
    }
    fputc('"', f);
}

#define MAX_INLINE 16

void cli_json_stack(FILE *o, const ls_analysis *a, sym_table *syms, uint32_t stack_id)
{
    ls_stack st = ls_analysis_stack(a, stack_id);
    fputc('[', o);
    bool first = true;
    for (uint32_t i = 0; i < st.depth; i++) {
        sym_frame fr[MAX_INLINE];
        int n = syms ? sym_table_resolve(syms, st.frames[i], true, fr, MAX_INLINE) : 0;
        if (n <= 0) {
            fr[0] = (sym_frame){ "??", NULL, 0, "??", st.frames[i], false };
            n = 1;
        }
        for (int k = 0; k < n; k++) {
            fputs(first ? "{" : ",{", o);
            first = false;
            fputs("\"function\":", o);
            cli_json_string(o, fr[k].function, strlen(fr[k].function));
            fputs(",\"file\":", o);
            if (fr[k].file)
                cli_json_string(o, fr[k].file, strlen(fr[k].file));
            else
                fputs("null", o);
            fprintf(o, ",\"line\":%d,\"module\":", fr[k].line);
            cli_json_string(o, fr[k].module, strlen(fr[k].module));
            fprintf(o, ",\"address\":\"0x%llx\",\"inlined\":%s}", (unsigned long long)st.frames[i],
                    fr[k].inlined ? "true" : "false");
        }
    }
    fputc(']', o);
}

void cli_text_string(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
}

int cli_text_width(const char *s)
{
    int w = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        w += c < 0x20 || c == 0x7f ? 4 : (c & 0xc0) != 0x80; /* \xNN; a UTF-8 character counts once */
    }
    return w;
}

void cli_text_padded(FILE *f, const char *s, int width, bool right)
{
    int pad = width - cli_text_width(s);
    if (right)
        fprintf(f, "%*s", pad > 0 ? pad : 0, "");
    cli_text_string(f, s);
    if (!right)
        fprintf(f, "%*s", pad > 0 ? pad : 0, "");
}


/* "1.5s", "200ms", "30us", "100ns", "2min", "3" (seconds) -> ns. */
static bool parse_duration(const char *s, uint64_t *out, bool bare_ok)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v >= 0) || !isfinite(v))
        return false;
    static const struct { const char *unit; double ns; } units[] = {
        { "", 1e9 }, { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 }, { "µs", 1e3 }, { "ns", 1 }, { "min", 60e9 },
    };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (!strcmp(end, units[i].unit) && (bare_ok || *end)) {
            double ns = v * units[i].ns;
            if (ns >= 1.8e19)
                return false;
            *out = (uint64_t)llround(ns);
            return true;
        }
    }
    return false;
}

bool cli_parse_duration(const char *s, uint64_t *out) { return parse_duration(s, out, true); }
bool cli_parse_duration_unit(const char *s, uint64_t *out) { return parse_duration(s, out, false); }

bool cli_parse_range(const char *cmd, const char *from, const char *to, uint64_t end, uint64_t *from_ns,
                     uint64_t *to_ns)
{
    *from_ns = 0;
    *to_ns = end;
    const char *bad = from && !cli_parse_duration(from, from_ns) ? "from" : to && !cli_parse_duration(to, to_ns) ? "to"
                                                                                                              : NULL;
    if (bad) {
        cli_error("%s: --%s: '%s' is not a time (e.g. 1.5s, 200ms, 30us, 100ns)", cmd, bad, *bad == 'f' ? from : to);
        return false;
    }
    if (from && *from_ns > end) {
        char b[64];
        cli_error("%s: --from %s is past the trace's end (%s)", cmd, from, ls_format_duration(end, b, sizeof b));
        return false;
    }
    if (to && *to_ns <= *from_ns) {
        cli_error("%s: --to must be after --from", cmd);
        return false;
    }
    return true;
}

bool cli_range_load(const char *cmd, const ls_analysis *a, const char *from, const char *to, ls_range **out)
{
    *out = NULL;
    uint64_t origin = a->info.start_ts, end = a->last_ts > origin ? a->last_ts - origin : 0, from_ns, to_ns;
    if (!cli_parse_range(cmd, from, to, end, &from_ns, &to_ns))
        return false;
    trace_error err;
    if (ls_range_summarize(a->index, origin + from_ns, origin + (to_ns < end ? to_ns : end),
                           &(ls_range_opts){ .history = true }, out, &err) != TRACE_OK) {
        cli_error("%s: %s", a->path, err.message);
        return false;
    }
    return true;
}

bool cli_parse_count(const char *s, uint64_t *out)
{
    if (!*s || s[strspn(s, "0123456789")])
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno)
        return false;
    *out = v;
    return true;
}

bool cli_parse_positive(const char *s, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v == 0 || v > 1000000)
        return false;
    *out = (unsigned)v;
    return true;
}

/* "1048576", "512K", "64M", "2G" (binary units, an optional "iB"/"B") -> bytes. */
bool cli_parse_bytes(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno)
        return false;
    static const struct { const char *unit; unsigned shift; } units[] = {
        { "", 0 }, { "B", 0 }, { "K", 10 }, { "KiB", 10 }, { "M", 20 }, { "MiB", 20 }, { "G", 30 }, { "GiB", 30 },
    };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (!strcmp(end, units[i].unit)) {
            if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
                return false;
            *out = (uint64_t)v << units[i].shift;
            return true;
        }
    }
    return false;
}

bool cli_output_open(cli_output *o, const char *cmd, const char *path)
{
    *o = (cli_output){ .cmd = cmd, .path = path };
    size_t n = strlen(path) + 16;
    if (!(o->tmp = malloc(n))) {
        cli_error("%s: cannot write %s: out of memory", cmd, path);
        return false;
    }
    snprintf(o->tmp, n, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        cli_error("%s: cannot write %s: %s", cmd, path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
        }
        free(o->tmp);
        o->tmp = NULL;
        return false;
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0644 & ~mask);
    errno = 0;
    return true;
}

int cli_output_close(cli_output *o, int rc)
{
    int saved = errno;
    if (ferror(o->f) && rc == CLI_OK)
        rc = CLI_FAIL;
    if (fclose(o->f) != 0 && rc == CLI_OK) {
        saved = errno;
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && rename(o->tmp, o->path) != 0) {
        saved = errno;
        rc = CLI_FAIL;
    }
    if (rc == CLI_FAIL)
        cli_error("%s: cannot write %s: %s", o->cmd, o->path, strerror(saved ? saved : EIO));
    if (rc != CLI_OK)
        unlink(o->tmp);
    free(o->tmp);
    return rc;
}

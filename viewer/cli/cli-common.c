/* cli-common.c — helpers shared by the subcommands.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <math.h>
#include <errno.h>
#include <string.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("leakscope: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
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

size_t cli_utf8_char(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (!len)
        return 0;
    if (u[0] < 0x80)
        return 1;
    /* RFC 3629's table: the second byte's range depends on the first (no
     * overlong forms, no surrogates, nothing above U+10FFFF). */
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (u[0] >= 0xC2 && u[0] <= 0xDF) {
        n = 2;
    } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
        n = 3;
        lo = u[0] == 0xE0 ? 0xA0 : 0x80;
        hi = u[0] == 0xED ? 0x9F : 0xBF;
    } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
        n = 4;
        lo = u[0] == 0xF0 ? 0x90 : 0x80;
        hi = u[0] == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (len < n || u[1] < lo || u[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if ((u[k] & 0xC0) != 0x80)
            return 0;
    return n;
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
                /* Pass valid UTF-8 through; replace anything else. */
                size_t n = cli_utf8_char(s + i, len - i);
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

/* units.c — see units.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "units.h"
#include "histogram.h"

#include <stdio.h>

/* v in `unit` with three significant digits (two decimals below 10). */
static const char *scaled(double v, const char *unit, char *buf, size_t len)
{
    snprintf(buf, len, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, unit);
    return buf;
}

const char *ls_format_bytes(uint64_t n, char *buf, size_t len)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    if (n < 1024) {
        snprintf(buf, len, "%llu B", (unsigned long long)n);
        return buf;
    }
    double v = (double)n / 1024;
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    return scaled(v, units[u], buf, len);
}

const char *ls_format_count(uint64_t n, char *buf, size_t len)
{
    char digits[24];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n), o = 0;
    for (int i = 0; i < nd && (size_t)o + 2 < len; i++) {
        if (i && (nd - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    if (len)
        buf[o < (int)len ? o : (int)len - 1] = '\0';
    return buf;
}

const char *ls_format_duration(uint64_t ns, char *buf, size_t len)
{
    if (ns < 1000) {
        snprintf(buf, len, "%llu ns", (unsigned long long)ns);
        return buf;
    }
    if (ns < 1000000)
        snprintf(buf, len, "%.2f µs", ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, len, "%.2f ms", ns / 1e6);
    else if (ns < 120ull * 1000000000)
        snprintf(buf, len, "%.2f s", ns / 1e9);
    else
        snprintf(buf, len, "%llu min %.1f s", (unsigned long long)(ns / 60000000000ull),
                 (double)(ns % 60000000000ull) / 1e9);
    return buf;
}

const char *ls_format_hist_edge(int kind, uint64_t v, char *buf, size_t len)
{
    return kind == LS_HIST_SIZES ? ls_format_bytes(v, buf, len) : ls_format_duration(v, buf, len);
}

const char *ls_format_hist_span(int kind, unsigned k, char *buf, size_t len)
{
    char f[32], t[32];
    uint64_t to = ls_hist_to((ls_hist_kind)kind, k);
    ls_format_hist_edge(kind, ls_hist_from((ls_hist_kind)kind, k), f, sizeof f);
    if (to == UINT64_MAX)
        snprintf(buf, len, "%s and up", f);
    else
        snprintf(buf, len, "%s\u2013%s", f, ls_format_hist_edge(kind, to + 1, t, sizeof t));
    return buf;
}

const char *ls_format_signed(int64_t d, int bytes, char *buf, size_t len)
{
    uint64_t mag = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
    char m[48];
    if (bytes)
        ls_format_bytes(mag, m, sizeof m);
    else
        snprintf(m, sizeof m, "%llu", (unsigned long long)mag);
    snprintf(buf, len, "%s%s", d > 0 ? "+" : d < 0 ? "-" : "", m);
    return buf;
}

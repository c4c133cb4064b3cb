/* render-text.c — text through pango (plain text only: trace strings are
 * untrusted) and the human units of labels.
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-private.h"
#include "units.h"

#include <math.h>
#include <stdio.h>

static void text_prepare(render_ctx *rc, text_font f, double max_width, const char *s)
{
    pango_layout_set_font_description(rc->text, rc->fonts[f]);
    pango_layout_set_width(rc->text, max_width > 0 ? (int)(max_width * PANGO_SCALE) : -1);
    pango_layout_set_ellipsize(rc->text, max_width > 0 ? PANGO_ELLIPSIZE_END : PANGO_ELLIPSIZE_NONE);
    pango_layout_set_text(rc->text, s, -1); /* never set_markup: s may come from the trace */
}

void text_size(render_ctx *rc, text_font f, const char *s, double *w, double *h)
{
    text_prepare(rc, f, 0, s);
    int pw, ph;
    pango_layout_get_pixel_size(rc->text, &pw, &ph);
    if (w)
        *w = pw;
    if (h)
        *h = ph;
}

double text_draw(render_ctx *rc, text_font f, const rgba *c, double x, double y, text_align al, double max_width,
                 const char *s)
{
    text_prepare(rc, f, max_width, s);
    int pw, ph;
    pango_layout_get_pixel_size(rc->text, &pw, &ph);
    double left = al == ALIGN_LEFT ? x : al == ALIGN_CENTER ? x - pw / 2.0 : x - pw;
    set_color(rc->cr, c);
    cairo_move_to(rc->cr, round(left), round(y));
    pango_cairo_show_layout(rc->cr, rc->text);
    return pw;
}

void fmt_bytes(double bytes, char *buf, size_t len)
{
    if (bytes < 0 && len > 1) { /* a change can be negative */
        buf[0] = '-';
        ls_format_bytes((uint64_t)llround(-bytes), buf + 1, len - 1);
        return;
    }
    ls_format_bytes((uint64_t)llround(bytes), buf, len);
}

void fmt_count(double n, char *buf, size_t len)
{
    if (fabs(n) < 1000)
        snprintf(buf, len, "%.0f", n);
    else if (fabs(n) < 1e6)
        snprintf(buf, len, "%.1fk", n / 1e3);
    else if (fabs(n) < 1e9)
        snprintf(buf, len, "%.1fM", n / 1e6);
    else
        snprintf(buf, len, "%.1fG", n / 1e9);
}

void fmt_duration(double ns, char *buf, size_t len)
{
    ls_format_duration(ns > 0 ? (uint64_t)llround(ns) : 0, buf, len);
}

/* Decimals needed to show multiples of step in units of u. */
static int decimals_for(uint64_t step, double u)
{
    int d = 0;
    for (double s = (double)step / u; d < 9 && s < 0.999; s *= 10)
        d++;
    return d;
}

void fmt_ruler_time(uint64_t t, uint64_t step, char *buf, size_t len)
{
    if (t == 0) {
        snprintf(buf, len, "0");
        return;
    }
    if (t >= 60000000000ull && step >= 1000000000ull) {
        uint64_t s = t / 1000000000ull;
        snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
        return;
    }
    static const struct { double ns; const char *name; } units[] = {
        { 1e9, "s" }, { 1e6, "ms" }, { 1e3, "µs" }, { 1, "ns" },
    };
    int u = 0;
    while (u < 3 && (double)t < units[u].ns)
        u++;
    snprintf(buf, len, "%.*f %s", decimals_for(step, units[u].ns), (double)t / units[u].ns, units[u].name);
}

value_axis value_axis_make(double max, bool bytes, int max_ticks)
{
    value_axis ax = { .bytes = bytes };
    if (!(max > 0))
        max = 1;
    if (max_ticks < 1)
        max_ticks = 1;
    double base = 1;
    if (bytes) /* steps in the unit the labels will use */
        while (max / base >= 1024 && base < 1125899906842624.0)
            base *= 1024;
    double raw = max / base / max_ticks;
    double mag = pow(10, floor(log10(raw)));
    double step = mag;
    if (raw > 5 * mag)
        step = 10 * mag;
    else if (raw > 2 * mag)
        step = 5 * mag;
    else if (raw > mag)
        step = 2 * mag;
    if (bytes && base == 1 && step < 1)
        step = 1;
    ax.step = step * base;
    ax.top = ceil(max / ax.step - 1e-9) * ax.step;
    if (ax.top <= 0)
        ax.top = ax.step;
    return ax;
}

void render_time_text(uint64_t t, uint64_t step, char *buf, size_t len)
{
    fmt_ruler_time(t, step, buf, len);
}

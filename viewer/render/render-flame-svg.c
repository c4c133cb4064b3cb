/* render-flame-svg.c — the flame graph as a standalone, interactive SVG:
 * the frames of render_flame_layout, each a <g> with its name in a <title>
 * and a data-n attribute, its value in data-v; a small inline script zooms
 * (click), searches (Ctrl+F or the Search button) and shows the frame under
 * the pointer. The script reads names through the DOM and writes them with
 * textContent only, so a name is never markup there either.
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-flame.h"
#include "render-private.h"
#include "sites.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define FONT_PX 12
#define CHAR_PX 7.2 /* average advance of FONT_PX monospace-ish text, as the script assumes */

/* s as XML character data or attribute text: markup characters as
 * entities; control characters and bytes that are not UTF-8 (which XML
 * cannot hold) as U+FFFD. At most max_chars characters (0: all), ending in
 * ".." when cut. */
static void xml_text(FILE *f, const char *s, size_t max_chars)
{
    size_t len = strlen(s), chars = 0, total = 0;
    for (size_t i = 0; i < len; i++)
        total += ((unsigned char)s[i] & 0xC0) != 0x80;
    bool cut = max_chars && total > max_chars;
    for (size_t i = 0; i < len; i++) {
        if (cut && chars + 2 >= max_chars) {
            fputs("..", f);
            return;
        }
        unsigned char c = (unsigned char)s[i];
        chars++;
        switch (c) {
        case '&': fputs("&amp;", f); continue;
        case '<': fputs("&lt;", f); continue;
        case '>': fputs("&gt;", f); continue;
        case '"': fputs("&quot;", f); continue;
        case '\'': fputs("&apos;", f); continue;
        default: break;
        }
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                fputs("\xef\xbf\xbd", f);
            else
                fputc(c, f);
            continue;
        }
        size_t n = ls_utf8_len(s + i, len - i);
        if (n) {
            fwrite(s + i, 1, n, f);
            i += n - 1;
        } else {
            fputs("\xef\xbf\xbd", f);
        }
    }
}

static const char script[] =
    "<script type=\"text/ecmascript\"><![CDATA[\n"
    "'use strict';\n"
    "var frames, details, matched, reset, search, total, W, SIDE, CHAR, zoomed = null, term = null;\n"
    "function init(evt) {\n"
    "  var svg = document.documentElement;\n"
    "  W = +svg.getAttribute('width'); SIDE = +svg.getAttribute('data-side'); CHAR = +svg.getAttribute('data-char');\n"
    "  total = +svg.getAttribute('data-total');\n"
    "  frames = Array.prototype.slice.call(document.getElementById('frames').children);\n"
    "  details = document.getElementById('details'); matched = document.getElementById('matched');\n"
    "  reset = document.getElementById('reset'); search = document.getElementById('search');\n"
    "  frames.forEach(function (g) {\n"
    "    var r = g.querySelector('rect');\n"
    "    g.fx = +g.getAttribute('data-x'); g.fw = +g.getAttribute('data-w'); g.depth = +g.getAttribute('data-d');\n"
    "    g.fill = r.getAttribute('fill');\n"
    "    g.addEventListener('click', function (e) { zoom(g); e.stopPropagation(); });\n"
    "    g.addEventListener('mouseover', function () { details.textContent = g.querySelector('title').textContent; });\n"
    "    g.addEventListener('mouseout', function () { details.textContent = ' '; });\n"
    "  });\n"
    "  reset.addEventListener('click', function () { zoom(null); });\n"
    "  search.addEventListener('click', function () { if (term === null) ask(); else find(null); });\n"
    "  document.addEventListener('keydown', function (e) {\n"
    "    if ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) { e.preventDefault(); ask(); }\n"
    "    else if (e.key === 'Escape') { find(null); zoom(null); }\n"
    "  });\n"
    "}\n"
    "function label(g, w) {\n"
    "  var t = g.querySelector('text'), name = g.getAttribute('data-n'), n = Math.floor((w - 6) / CHAR);\n"
    "  if (n < 3) { t.textContent = ''; return; }\n"
    "  var chars = Array.from(name);\n"
    "  t.textContent = chars.length <= n ? name : chars.slice(0, n - 2).join('') + '..';\n"
    "}\n"
    "function place(g, x, w, show) {\n"
    "  var r = g.querySelector('rect'), t = g.querySelector('text');\n"
    "  g.style.display = show ? '' : 'none';\n"
    "  if (!show) return;\n"
    "  r.setAttribute('x', x); r.setAttribute('width', Math.max(w - 0.5, 0.1)); t.setAttribute('x', x + 3);\n"
    "  label(g, w);\n"
    "}\n"
    "function zoom(z) {\n"
    "  zoomed = z; reset.style.display = z ? '' : 'none';\n"
    "  var eps = 1e-3, x0 = z ? z.fx : SIDE, w0 = z ? z.fw : W - 2 * SIDE, s = (W - 2 * SIDE) / w0;\n"
    "  frames.forEach(function (g) {\n"
    "    var inside = g.fx >= x0 - eps && g.fx + g.fw <= x0 + w0 + eps;\n"
    "    if (z && g.depth < z.depth) {\n"
    "      var under = g.fx <= x0 + eps && g.fx + g.fw >= x0 + w0 - eps;\n"
    "      place(g, SIDE, W - 2 * SIDE, under); g.style.opacity = under ? 0.6 : 1;\n"
    "    } else {\n"
    "      place(g, SIDE + (g.fx - x0) * s, g.fw * s, inside); g.style.opacity = 1;\n"
    "    }\n"
    "  });\n"
    "  if (term !== null) find(term);\n"
    "}\n"
    "function ask() {\n"
    "  var t = prompt('Search frames (regular expression)', term === null ? '' : term);\n"
    "  if (t) find(t);\n"
    "}\n"
    "function find(t) {\n"
    "  var re = null;\n"
    "  if (t !== null) { try { re = new RegExp(t); } catch (e) { details.textContent = 'bad regular expression'; return; } }\n"
    "  term = t; search.textContent = t === null ? 'Search' : 'Reset search';\n"
    "  var hits = [];\n"
    "  frames.forEach(function (g) {\n"
    "    var hit = re !== null && g.depth > 0 && re.test(g.getAttribute('data-n'));\n"
    "    g.querySelector('rect').setAttribute('fill', hit ? 'rgb(230,0,230)' : g.fill);\n"
    "    if (hit) hits.push(g);\n"
    "  });\n"
    "  /* the share of the total: matched frames, each counted once with those nested in it */\n"
    "  hits.sort(function (a, b) { return a.fx - b.fx || a.depth - b.depth; });\n"
    "  var sum = 0, end = -1;\n"
    "  hits.forEach(function (g) {\n"
    "    if (g.fx + g.fw <= end + 1e-3) return;\n"
    "    sum += +g.getAttribute('data-v'); end = g.fx + g.fw;\n"
    "  });\n"
    "  matched.textContent = re === null ? ' ' : 'Matched: ' + (total ? (100 * sum / total).toFixed(2) : '0.00') + '%';\n"
    "}\n"
    "]]></script>\n";

bool render_flame_svg(FILE *f, const render_flame_params *p)
{
    render_flame_frames fl;
    if (!render_flame_layout(p, &fl))
        return false;
    const render_palette *pal = render_palette_of(p->theme);
    int height = fl.height;
    uint64_t total = fl.total;
    char value[64];
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
            "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" onload=\"init(evt)\" data-side=\"%d\" data-char=\"%.1f\" data-total=\"%" PRIu64 "\">\n",
            p->width, height, p->width, height, RENDER_FLAME_SIDE, CHAR_PX, total);
    fprintf(f,
            "<style>text { font-family: Verdana, sans-serif; font-size: %dpx; fill: rgb(%d,%d,%d); }\n"
            "#frames text { fill: #000; pointer-events: none; } #frames g { cursor: pointer; }\n"
            ".button { cursor: pointer; text-decoration: underline; }</style>\n",
            FONT_PX, (int)(pal->text.r * 255), (int)(pal->text.g * 255), (int)(pal->text.b * 255));
    fputs(script, f);
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\"/>\n", p->width, height,
            (int)(pal->bg.r * 255), (int)(pal->bg.g * 255), (int)(pal->bg.b * 255));
    fprintf(f, "<text id=\"title\" x=\"%d\" y=\"22\">Flame graph of %s", RENDER_FLAME_SIDE,
            render_flame_metric_label(p->metric));
    if (p->title) {
        fputs(", ", f);
        xml_text(f, p->title, 0);
    }
    fprintf(f, ": %s in all</text>\n", render_flame_value(p->metric, total, value, sizeof value));
    fprintf(f, "<text id=\"reset\" class=\"button\" x=\"%d\" y=\"22\" style=\"display:none\">Reset zoom</text>\n",
            p->width - 200);
    fprintf(f, "<text id=\"search\" class=\"button\" x=\"%d\" y=\"22\">Search</text>\n", p->width - 100);
    fprintf(f, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n", RENDER_FLAME_SIDE, height - 10);
    fprintf(f, "<text id=\"matched\" x=\"%d\" y=\"%d\"> </text>\n", p->width - 140, height - 10);
    fputs("<g id=\"frames\">\n", f);
    for (uint32_t i = 0; i < fl.n; i++) {
        const render_flame_rect *r = &fl.rect[i];
        const ls_calltree_node *node = &p->tree->nodes[r->node];
        const char *name = r->node == LS_CALLTREE_ROOT ? "all" : ls_calltree_name(p->tree, r->node);
        uint64_t v = node->incl[p->metric];
        double rgb[3], y = render_flame_y(height, r->depth);
        render_flame_color(name, rgb);
        /* the layout's own x and width (to 1e-4 px), for the script's zoom */
        fprintf(f, "<g data-d=\"%u\" data-x=\"%.4f\" data-w=\"%.4f\" data-v=\"%" PRIu64 "\" data-n=\"", r->depth,
                r->x, r->w, v);
        xml_text(f, name, 0);
        fputs("\"><title>", f);
        xml_text(f, name, 0);
        fprintf(f, " (%s, %.2f%%)</title>", render_flame_value(p->metric, v, value, sizeof value),
                total ? 100.0 * (double)v / (double)total : 0.0);
        fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"rgb(%d,%d,%d)\"/>", r->x, y,
                r->w > 1 ? r->w - 0.5 : r->w, RENDER_FLAME_FRAME_H - 1, (int)(rgb[0] * 255),
                (int)(rgb[1] * 255), (int)(rgb[2] * 255));
        fprintf(f, "<text x=\"%.2f\" y=\"%.1f\">", r->x + 3, y + FONT_PX);
        size_t chars = r->w > 6 ? (size_t)((r->w - 6) / CHAR_PX) : 0;
        if (chars >= 3)
            xml_text(f, name, chars);
        fputs("</text></g>\n", f);
    }
    fputs("</g>\n</svg>\n", f);
    render_flame_frames_free(&fl);
    return !ferror(f);
}

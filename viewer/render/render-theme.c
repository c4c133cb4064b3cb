/* render-theme.c — the light and dark palettes. Colors follow one rule:
 * memory is blue, allocation violet, GC amber (long pauses red), threads
 * teal, the program's own marks pink; red always means "look here" (long
 * pauses, resources never closed); a comparison's base run is grey
 * beside this run's colour (at least 3:1 against either background, and
 * 1.5:1 from this run's blue: apart in lightness, not only in hue).
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-private.h"

#define HEX(v, alpha) { ((v) >> 16 & 0xff) / 255.0, ((v) >> 8 & 0xff) / 255.0, ((v) & 0xff) / 255.0, alpha }

static const render_palette light = {
    .bg = HEX(0xffffff, 1), .panel = HEX(0xf4f5f7, 1), .text = HEX(0x1f2328, 1), .text_dim = HEX(0x57606a, 1),
    .grid = HEX(0x000000, 0.07), .axis = HEX(0x8c959f, 1),
    .heap_fill = HEX(0x3b82f6, 0.22), .heap_line = HEX(0x1d4ed8, 1), .alloc = HEX(0x8b5cf6, 0.85),
    .gc = HEX(0xf59e0b, 1), .gc_long = HEX(0xdc2626, 1), .thread = HEX(0x0d9488, 1),
    .mark = HEX(0xdb2777, 1), .span = HEX(0x64748b, 0.35), .never_closed = HEX(0xdc2626, 1),
    .base_run = HEX(0x878e97, 1),
    .hover = HEX(0x111827, 0.6), .selection = HEX(0x3b82f6, 0.12),
    .series = { HEX(0x2563eb, 1), HEX(0x16a34a, 1), HEX(0xea580c, 1), HEX(0x9333ea, 1),
                HEX(0x0891b2, 1), HEX(0xca8a04, 1), HEX(0xdb2777, 1), HEX(0x4b5563, 1) },
};

static const render_palette dark = {
    .bg = HEX(0x16181d, 1), .panel = HEX(0x1e2128, 1), .text = HEX(0xe6e8eb, 1), .text_dim = HEX(0x9aa3ad, 1),
    .grid = HEX(0xffffff, 0.08), .axis = HEX(0x5c6570, 1),
    .heap_fill = HEX(0x60a5fa, 0.28), .heap_line = HEX(0x93c5fd, 1), .alloc = HEX(0xa78bfa, 0.85),
    .gc = HEX(0xfbbf24, 1), .gc_long = HEX(0xf87171, 1), .thread = HEX(0x2dd4bf, 1),
    .mark = HEX(0xf472b6, 1), .span = HEX(0x94a3b8, 0.35), .never_closed = HEX(0xf87171, 1),
    .base_run = HEX(0x6b7280, 1),
    .hover = HEX(0xf9fafb, 0.6), .selection = HEX(0x60a5fa, 0.15),
    .series = { HEX(0x60a5fa, 1), HEX(0x4ade80, 1), HEX(0xfb923c, 1), HEX(0xc084fc, 1),
                HEX(0x22d3ee, 1), HEX(0xfacc15, 1), HEX(0xf472b6, 1), HEX(0x9ca3af, 1) },
};

const render_palette *render_palette_of(render_theme theme)
{
    return theme == RENDER_THEME_DARK ? &dark : &light;
}

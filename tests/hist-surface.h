/* hist-surface.h — a histogram chart drawn offscreen, for the tests that
 * read its pixels (test-render-hist, and test-viewer against the screen).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_HIST_SURFACE_H
#define LEAKSCOPE_HIST_SURFACE_H

#include "render-hist.h"

#include <string.h>

/* p's chart at p's size, as render_hist draws it (destroy it). */
static inline cairo_surface_t *hist_surface(const render_hist_params *p)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, p->width, p->height);
    cairo_t *cr = cairo_create(s);
    render_hist(cr, p);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    return s;
}

/* The colour at (x, y) of s, as 0xRRGGBB. */
static inline uint32_t hist_surface_pixel(cairo_surface_t *s, double x, double y)
{
    uint32_t c;
    memcpy(&c, cairo_image_surface_get_data(s) + (size_t)y * (size_t)cairo_image_surface_get_stride(s) + 4 * (size_t)x,
           4);
    return c & 0xffffff;
}

#endif

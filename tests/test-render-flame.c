/* test-render-flame.c — the viewer's flame graph through the render layer
 * (render-flame.h), on a call tree made by hand whose widths are known:
 * the layout's widths and the hit test against the drawn pixels, a click's
 * zoom (the zoomed frame across the plot, frames outside it gone, its
 * ancestors faded), the search (matching frames in the search colour, the
 * others faded, the share in the details line), the selected function's
 * outline, the hover's text, the icicle's rows from the top, a widget
 * taller than the tree drawing it from its foot, a differential flame
 * graph's red, blue and grey against a base tree.
 *
 * `test-render-flame CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "render-flame.h"
#include "test-util.h"

#include <math.h>

static char dir[] = "/tmp/leakscope-test-render-flame-XXXXXX";

/* root (1000 bytes) -> main (1000, 100 of its own) -> { alloc_big (600) -> malloc (600),
 * helper (300) -> malloc (300) }: node ids in this order, children by name. */
enum { N_ROOT, N_MAIN, N_BIG, N_BIG_MALLOC, N_HELPER, N_HELPER_MALLOC, NNODES };
static char *names[] = { "", "main", "alloc_big", "malloc", "helper" };
static ls_calltree_node nodes[NNODES];
static uint32_t child[NNODES];
static ls_calltree tree = { .dir = LS_CALLTREE_TOP_DOWN, .nodes = nodes, .nnodes = NNODES, .child = child,
                            .names = names, .nnames = 5, .max_depth = 3 };

static void node(uint32_t i, uint32_t name, uint32_t parent, uint32_t depth, uint32_t child0, uint32_t nchild,
                 uint64_t bytes, uint64_t self)
{
    nodes[i] = (ls_calltree_node){ .name = name, .parent = parent, .depth = depth, .child0 = child0, .nchild = nchild };
    nodes[i].incl[LS_METRIC_ALLOCATED] = bytes;
    nodes[i].self[LS_METRIC_ALLOCATED] = self;
    nodes[i].incl[LS_METRIC_ALLOCATIONS] = bytes / 100;
}

static void make_tree(void)
{
    /* child[]: root's [0], main's [1, 2], alloc_big's [3], helper's [4] */
    node(N_ROOT, 0, UINT32_MAX, 0, 0, 1, 1000, 0);
    node(N_MAIN, 1, N_ROOT, 1, 1, 2, 1000, 100);
    node(N_BIG, 2, N_MAIN, 2, 3, 1, 600, 0);
    node(N_BIG_MALLOC, 3, N_BIG, 3, 0, 0, 600, 600);
    node(N_HELPER, 4, N_MAIN, 2, 4, 1, 300, 0);
    node(N_HELPER_MALLOC, 3, N_HELPER, 3, 0, 0, 300, 300);
    child[0] = N_MAIN;
    child[1] = N_BIG;
    child[2] = N_HELPER;
    child[3] = N_BIG_MALLOC;
    child[4] = N_HELPER_MALLOC;
}

#define W 1020 /* a plot of 1000 px: a pixel per byte */

typedef struct picture {
    cairo_surface_t *s;
    render_flame_frames f;
    int h;
} picture;

static void draw(const render_flame_params *p, picture *pic)
{
    CHECK(render_flame_layout(p, &pic->f));
    pic->h = p->height > pic->f.height ? p->height : pic->f.height;
    pic->s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, p->width, pic->h);
    cairo_t *cr = cairo_create(pic->s);
    CHECK(render_flame_drawn(cr, p, &pic->f));
    cairo_destroy(cr);
    cairo_surface_flush(pic->s);
}

static void done(picture *pic)
{
    render_flame_frames_free(&pic->f);
    cairo_surface_destroy(pic->s);
}

static uint32_t px(const picture *pic, double x, double y)
{
    const uint8_t *d = cairo_image_surface_get_data(pic->s);
    uint32_t v;
    memcpy(&v, d + (size_t)y * (size_t)cairo_image_surface_get_stride(pic->s) + 4 * (size_t)x, 4);
    return v & 0xffffff;
}

static const render_flame_rect *rect_of(const picture *pic, uint32_t n)
{
    for (uint32_t i = 0; i < pic->f.n; i++)
        if (pic->f.rect[i].node == n)
            return &pic->f.rect[i];
    return NULL;
}

/* The middle of node n's frame as drawn, in the row the layout gives it. */
static void centre(const render_flame_params *p, const picture *pic, uint32_t n, double *x, double *y)
{
    const render_flame_rect *r = rect_of(pic, n);
    CHECK(r != NULL);
    *x = r ? r->x + r->w / 2 : 0;
    *y = r ? render_flame_row_y(p, &pic->f, r->depth) + RENDER_FLAME_FRAME_H / 2.0 : 0;
}

static uint32_t name_colour(const char *name)
{
    double rgb[3];
    render_flame_color(name, rgb);
    return (uint32_t)lround(rgb[0] * 255) << 16 | (uint32_t)lround(rgb[1] * 255) << 8 | (uint32_t)lround(rgb[2] * 255);
}

static bool near_colour(uint32_t a, uint32_t b)
{
    for (int s = 0; s < 24; s += 8)
        if (abs((int)(a >> s & 0xff) - (int)(b >> s & 0xff)) > 3)
            return false;
    return true;
}

static uint32_t hit(const render_flame_params *p, const picture *pic, double x, double y)
{
    uint32_t n = UINT32_MAX;
    return render_flame_hit(p, &pic->f, x, y, &n) ? n : UINT32_MAX;
}

/* Widths are shares of the root; the hit test finds what is drawn. */
static void case_layout(void)
{
    make_tree();
    render_flame_params p = { .tree = &tree, .metric = LS_METRIC_ALLOCATED, .width = W };
    picture pic;
    draw(&p, &pic);
    CHECK_EQ_U64(pic.f.n, NNODES);
    const render_flame_rect *big = rect_of(&pic, N_BIG), *helper = rect_of(&pic, N_HELPER);
    CHECK(big && fabs(big->w - 600) < 1e-6 && fabs(big->x - RENDER_FLAME_SIDE) < 1e-6);
    CHECK(helper && fabs(helper->w - 300) < 1e-6 && fabs(helper->x - (RENDER_FLAME_SIDE + 600)) < 1e-6);
    /* every frame's centre: its colour, and the hit test names it */
    for (uint32_t n = 1; n < NNODES; n++) {
        double x, y;
        centre(&p, &pic, n, &x, &y);
        CHECK_EQ_U64(hit(&p, &pic, x, y), n);
        /* a pixel left of the label: the frame's fill */
        const render_flame_rect *r = rect_of(&pic, n);
        CHECK(near_colour(px(&pic, r->x + 1, y), name_colour(names[nodes[n].name])));
    }
    /* main's 100 self bytes: nothing above it there, and no frame hit */
    double x, y;
    centre(&p, &pic, N_MAIN, &x, &y);
    CHECK_EQ_U64(hit(&p, &pic, RENDER_FLAME_SIDE + 950, y - RENDER_FLAME_FRAME_H), UINT32_MAX);
    CHECK_EQ_U64(hit(&p, &pic, RENDER_FLAME_SIDE + 950, y), N_MAIN);
    CHECK_EQ_U64(hit(&p, &pic, 2, y), UINT32_MAX); /* the margin */
    /* the root ("all") at the bottom row */
    CHECK(fabs(render_flame_row_y(&p, &pic.f, 0) - (pic.h - RENDER_FLAME_BOTTOM - RENDER_FLAME_FRAME_H)) < 1e-6);
    done(&pic);
    /* a widget taller than the tree: drawn from its foot */
    p.height = pic.f.height + 200;
    draw(&p, &pic);
    CHECK_EQ_U64(pic.h, p.height);
    centre(&p, &pic, N_BIG, &x, &y);
    CHECK(y > 200);
    CHECK_EQ_U64(hit(&p, &pic, x, y), N_BIG);
    CHECK(near_colour(px(&pic, rect_of(&pic, N_BIG)->x + 1, y), name_colour("alloc_big")));
    done(&pic);
    /* icicle: the root on top, below the title */
    p.height = 0;
    p.icicle = true;
    draw(&p, &pic);
    CHECK(fabs(render_flame_row_y(&p, &pic.f, 0) - RENDER_FLAME_TOP) < 1e-6);
    centre(&p, &pic, N_HELPER_MALLOC, &x, &y);
    CHECK(y > render_flame_row_y(&p, &pic.f, 2));
    CHECK_EQ_U64(hit(&p, &pic, x, y), N_HELPER_MALLOC);
    CHECK(near_colour(px(&pic, rect_of(&pic, N_HELPER_MALLOC)->x + 1, y), name_colour("malloc")));
    done(&pic);
}

/* A click zooms: the frame across the plot, its subtree scaled to it,
 * everything beside it gone, its ancestors faded. */
static void case_zoom(void)
{
    make_tree();
    render_flame_params p = { .tree = &tree, .metric = LS_METRIC_ALLOCATED, .width = W, .root = N_HELPER };
    picture pic;
    draw(&p, &pic);
    CHECK(rect_of(&pic, N_BIG) == NULL && rect_of(&pic, N_BIG_MALLOC) == NULL);
    const render_flame_rect *h = rect_of(&pic, N_HELPER), *hm = rect_of(&pic, N_HELPER_MALLOC);
    const render_flame_rect *m = rect_of(&pic, N_MAIN);
    CHECK(h && fabs(h->w - 1000) < 1e-6 && hm && fabs(hm->w - 1000) < 1e-6);
    CHECK(m && fabs(m->w - 1000) < 1e-6 && m->depth == 1);
    double x, y;
    centre(&p, &pic, N_MAIN, &x, &y);
    CHECK_EQ_U64(hit(&p, &pic, RENDER_FLAME_SIDE + 700, y), N_MAIN); /* the way back out */
    uint32_t main_px = px(&pic, m->x + 1, y);
    CHECK(!near_colour(main_px, name_colour("main"))); /* faded */
    centre(&p, &pic, N_HELPER, &x, &y);
    CHECK(near_colour(px(&pic, h->x + 1, y), name_colour("helper")));
    char text[300];
    render_flame_node_text(&p, N_HELPER_MALLOC, text, sizeof text);
    CHECK(strstr(text, "malloc: 300 B, 30.0 % of all, 100.0 % of the zoomed frame") != NULL);
    if (!strstr(text, "30.0 %"))
        fprintf(stderr, "node text: %s\n", text);
    done(&pic);
}

/* The search: matching frames in the search colour, the rest faded, the
 * share (counted once) in the details line; the selection outlined; the
 * hover named. */
static void case_search(void)
{
    make_tree();
    render_flame_params p = { .tree = &tree, .metric = LS_METRIC_ALLOCATED, .width = W, .search = "MALLOC" };
    picture pic;
    draw(&p, &pic);
    double x, y;
    centre(&p, &pic, N_BIG_MALLOC, &x, &y);
    CHECK_EQ_U64(px(&pic, rect_of(&pic, N_BIG_MALLOC)->x + 1, y), 0xe600e6);
    CHECK_EQ_U64(px(&pic, rect_of(&pic, N_HELPER_MALLOC)->x + 1, y), 0xe600e6);
    centre(&p, &pic, N_BIG, &x, &y);
    CHECK(!near_colour(px(&pic, rect_of(&pic, N_BIG)->x + 1, y), name_colour("alloc_big")));
    char text[300];
    render_flame_search_text(&p, text, sizeof text);
    CHECK(strstr(text, "matches 2 frames: 900 B, 90.0 % of all") != NULL);
    if (!strstr(text, "90.0 %"))
        fprintf(stderr, "search text: %s\n", text);
    done(&pic);
    /* zoomed: the share under the zoomed frame only */
    p.root = N_BIG;
    render_flame_search_text(&p, text, sizeof text);
    CHECK(strstr(text, "matches 1 frame: 600 B, 60.0 % of all, 100.0 % of the zoomed frame") != NULL);
    /* the selected function's frames outlined in blue, wherever they are */
    p = (render_flame_params){ .tree = &tree, .metric = LS_METRIC_ALLOCATED, .width = W, .selected_name = 3 };
    draw(&p, &pic);
    for (uint32_t n = N_BIG_MALLOC; n <= N_HELPER_MALLOC; n += N_HELPER_MALLOC - N_BIG_MALLOC) {
        centre(&p, &pic, n, &x, &y);
        const render_flame_rect *r = rect_of(&pic, n);
        uint32_t c = px(&pic, r->x + 1.5, y);
        CHECK((c & 0xff) > 0xa0 && (c >> 16 & 0xff) < 0x60); /* blue */
    }
    centre(&p, &pic, N_BIG, &x, &y);
    CHECK(near_colour(px(&pic, rect_of(&pic, N_BIG)->x + 1.5, y), name_colour("alloc_big")));
    done(&pic);
    /* hover: outlined, and the details line differs from a picture without it */
    p = (render_flame_params){ .tree = &tree, .metric = LS_METRIC_ALLOCATIONS, .width = W, .hover = N_HELPER };
    render_flame_node_text(&p, N_HELPER, text, sizeof text);
    CHECK(!strcmp(text, "helper: 3 allocations, 30.0 % of all"));
    draw(&p, &pic);
    picture plain;
    render_flame_params q = p;
    q.hover = 0;
    draw(&q, &plain);
    int diff = 0;
    for (int yy = pic.h - RENDER_FLAME_BOTTOM; yy < pic.h; yy++)
        for (int xx = 0; xx < W; xx++)
            diff += px(&pic, xx, yy) != px(&plain, xx, yy);
    CHECK(diff > 50); /* the text drawn in the details line */
    done(&plain);
    done(&pic);
}

/* A differential flame graph: helper's malloc grew (base 100 B), alloc_big
 * shrank (base 900 B), main's own the same; a frame new since the base is
 * all red. */
static void case_diff(void)
{
    make_tree();
    static ls_calltree_node bnodes[NNODES];
    static uint32_t bchild[NNODES];
    memcpy(bnodes, nodes, sizeof nodes);
    memcpy(bchild, child, sizeof child);
    ls_calltree base = tree;
    base.nodes = bnodes;
    base.child = bchild;
    bnodes[N_BIG].incl[LS_METRIC_ALLOCATED] = bnodes[N_BIG_MALLOC].incl[LS_METRIC_ALLOCATED] = 900;
    bnodes[N_HELPER].incl[LS_METRIC_ALLOCATED] = bnodes[N_HELPER_MALLOC].incl[LS_METRIC_ALLOCATED] = 100;
    base.nnodes = N_HELPER_MALLOC; /* helper's malloc is new: the base's helper has no child */
    bnodes[N_HELPER].nchild = 0;
    render_flame_params p = { .tree = &tree, .metric = LS_METRIC_ALLOCATED, .width = W, .base = &base };
    picture pic;
    draw(&p, &pic);
    double x, y;
    uint32_t base_of[NNODES];
    for (uint32_t i = 0; i < NNODES; i++)
        base_of[i] = UINT32_MAX;
    render_flame_base_node(&tree, &base, N_ROOT, base_of);
    render_flame_base_node(&tree, &base, N_MAIN, base_of);
    render_flame_base_node(&tree, &base, N_HELPER, base_of);
    CHECK_EQ_U64(render_flame_base_node(&tree, &base, N_BIG, base_of), N_BIG);
    CHECK_EQ_U64(render_flame_base_node(&tree, &base, N_HELPER_MALLOC, base_of), UINT32_MAX);
    /* alloc_big shrank 900 -> 600: blue */
    centre(&p, &pic, N_BIG, &x, &y);
    uint32_t c = px(&pic, rect_of(&pic, N_BIG)->x + 1, y);
    CHECK((c & 0xff) == 0xff && (c >> 16 & 0xff) < 0xc0);
    /* helper grew 100 -> 300: red; its malloc is new: the reddest */
    centre(&p, &pic, N_HELPER, &x, &y);
    uint32_t h = px(&pic, rect_of(&pic, N_HELPER)->x + 1, y);
    CHECK((h >> 16 & 0xff) == 0xff && (h & 0xff) < 0xc0);
    centre(&p, &pic, N_HELPER_MALLOC, &x, &y);
    uint32_t m = px(&pic, rect_of(&pic, N_HELPER_MALLOC)->x + 1, y);
    CHECK((m >> 16 & 0xff) == 0xff && (m & 0xff) < (h & 0xff));
    /* main the same: grey */
    centre(&p, &pic, N_MAIN, &x, &y);
    CHECK(near_colour(px(&pic, rect_of(&pic, N_MAIN)->x + 1, y), 0xd9d9d9));
    done(&pic);
    double rgb[3];
    render_flame_diff_color(0, 10, rgb);
    CHECK(rgb[0] == 1 && rgb[1] < 0.11);
    render_flame_diff_color(10, 0, rgb);
    CHECK(rgb[2] == 1 && rgb[0] < 0.11);
}

static const test_case cases[] = {
    { "diff", case_diff },
    { "layout", case_layout },
    { "zoom", case_zoom },
    { "search", case_search },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-render-flame", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}

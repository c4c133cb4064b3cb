/* test-calltree.c — the call tree (viewer/model/calltree.h) of a synthetic
 * trace whose stacks run through this program's own functions: inclusive
 * and self values top-down and bottom-up, two return addresses in one
 * function meeting in one node, recursion, stacks with no frames, and every
 * metric's total against the analysis.
 *
 * `test-calltree CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "calltree.h"
#include "range.h"
#include "test-trace.h"
#include "test-util.h"
#include "test-self.h"
#include "trace-writer.h"

#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/leakscope-test-calltree-XXXXXX";

/* Functions the stacks go through; noinline so each has its own symbol. */
#define FN(name) void name(void); __attribute__((noinline, used)) void name(void) { __asm__ volatile("nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop"); }
FN(fn_main)
FN(fn_a)
FN(fn_b)
FN(fn_c)
#undef FN

/* An address `off` bytes into f, as a return address into it would be. */
static uint64_t in(void (*f)(void), int off) { return (uint64_t)(uintptr_t)f + (uint64_t)off; }

/* The stacks, innermost first (stack id = index + 1), and what is
 * allocated at each: `count` blocks of `size`, the first `leak` of them
 * never freed, the others freed at once (temporary). */
typedef struct site {
    uint64_t frames[4];
    uint32_t depth;
    uint32_t count, leak;
    uint64_t size;
} site;

enum { S_B1, S_B2, S_C, S_MAIN, S_REC, S_NOSTACK, NSITES };

static site sites[NSITES];

static void make_sites(void)
{
    sites[S_B1] = (site){ { in(fn_b, 8), in(fn_a, 8), in(fn_main, 8) }, 3, 3, 0, 1000 };
    sites[S_B2] = (site){ { in(fn_b, 14), in(fn_a, 8), in(fn_main, 8) }, 3, 1, 1, 500 }; /* b again, another address */
    sites[S_C] = (site){ { in(fn_c, 8), in(fn_a, 12), in(fn_main, 8) }, 3, 2, 1, 300 }; /* a at another address */
    sites[S_MAIN] = (site){ { in(fn_main, 10) }, 1, 1, 1, 50 };
    sites[S_REC] = (site){ { in(fn_b, 8), in(fn_b, 10), in(fn_a, 8), in(fn_main, 8) }, 4, 1, 1, 20 };
    sites[S_NOSTACK] = (site){ { 0 }, 0, 1, 1, 7 };
}

static ls_analysis *load(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/calltree.trace", dir);
    make_sites();
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8, .stack_depth = 64 };
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    test_add_self(w, 1);
    uint64_t ts = 10, addr = 0x10000;
    for (uint32_t i = 0; i < NSITES; i++) {
        const site *s = &sites[i];
        if (s->depth && trace_writer_add_stack(w, i + 1, s->frames, s->depth) != TRACE_OK)
            exit(1);
        for (uint32_t k = 0; k < s->count; k++) {
            addr += 0x1000;
            trace_event ev = { .kind = TRACE_ALLOC, .ts = ts++, .addr = addr, .size = s->size,
                               .stack = s->depth ? i + 1 : 0 };
            trace_event fr = { .kind = TRACE_FREE, .ts = ts++, .addr = addr };
            if (trace_writer_add_event(w, 1, &ev) != TRACE_OK || (k >= s->leak && trace_writer_add_event(w, 1, &fr) != TRACE_OK))
                exit(1);
        }
    }
    return test_close_and_load(w, path);
}

/* The child of node `n` named `name`, or UINT32_MAX. */
static uint32_t child(const ls_calltree *t, uint32_t n, const char *name)
{
    const ls_calltree_node *p = &t->nodes[n];
    for (uint32_t k = 0; k < p->nchild; k++)
        if (!strcmp(ls_calltree_name(t, t->child[p->child0 + k]), name))
            return t->child[p->child0 + k];
    return UINT32_MAX;
}

/* The node at a path of names from the root (NULL-terminated), or UINT32_MAX. */
static uint32_t at(const ls_calltree *t, const char *const *path)
{
    uint32_t n = LS_CALLTREE_ROOT;
    for (; *path && n != UINT32_MAX; path++)
        n = child(t, n, *path);
    return n;
}

#define AT(t, ...) at(t, (const char *const[]){ __VA_ARGS__, NULL })

/* Node n, or an empty node when there is none (a failed CHECK says so). */
static const ls_calltree_node *nd(const ls_calltree *t, uint32_t n)
{
    static const ls_calltree_node none;
    CHECK(n != UINT32_MAX);
    return n == UINT32_MAX ? &none : &t->nodes[n];
}

static uint64_t bytes_of(int s) { return sites[s].count * sites[s].size; }
static uint64_t leaked_of(int s) { return sites[s].leak * sites[s].size; }

static void check_node(const ls_calltree *t, uint32_t n, uint64_t incl, uint64_t self, uint64_t incl_leaked)
{
    CHECK(n != UINT32_MAX);
    if (n == UINT32_MAX)
        return;
    CHECK_EQ_U64(t->nodes[n].incl[LS_METRIC_ALLOCATED], incl);
    CHECK_EQ_U64(t->nodes[n].self[LS_METRIC_ALLOCATED], self);
    CHECK_EQ_U64(t->nodes[n].incl[LS_METRIC_LEAKED], incl_leaked);
}

/* Sums every self value: each stack ends at one node. */
static void check_self_sums(const ls_calltree *t)
{
    for (int m = 0; m < LS_METRIC_COUNT; m++) {
        uint64_t sum = 0;
        for (uint32_t i = 0; i < t->nnodes; i++)
            sum += t->nodes[i].self[m];
        CHECK_EQ_U64(sum, t->nodes[LS_CALLTREE_ROOT].incl[m]);
    }
}

static void case_top_down(void)
{
    ls_analysis *a = load();
    sym_table *syms = ls_analysis_symbols(a);
    ls_calltree *t = ls_calltree_build(a, syms, LS_CALLTREE_TOP_DOWN);
    CHECK(t != NULL);
    uint64_t all = 0, all_leaked = 0;
    for (int s = 0; s < NSITES; s++) {
        all += bytes_of(s);
        all_leaked += leaked_of(s);
    }
    check_node(t, LS_CALLTREE_ROOT, all, bytes_of(S_NOSTACK), all_leaked);
    uint64_t under_a = bytes_of(S_B1) + bytes_of(S_B2) + bytes_of(S_C) + bytes_of(S_REC);
    check_node(t, AT(t, "fn_main"), all - bytes_of(S_NOSTACK), bytes_of(S_MAIN), all_leaked - leaked_of(S_NOSTACK));
    /* fn_a at two addresses, fn_b at two: one node each */
    check_node(t, AT(t, "fn_main", "fn_a"), under_a, 0, leaked_of(S_B2) + leaked_of(S_C) + leaked_of(S_REC));
    check_node(t, AT(t, "fn_main", "fn_a", "fn_b"), bytes_of(S_B1) + bytes_of(S_B2) + bytes_of(S_REC),
               bytes_of(S_B1) + bytes_of(S_B2), leaked_of(S_B2) + leaked_of(S_REC));
    check_node(t, AT(t, "fn_main", "fn_a", "fn_b", "fn_b"), bytes_of(S_REC), bytes_of(S_REC), leaked_of(S_REC));
    check_node(t, AT(t, "fn_main", "fn_a", "fn_c"), bytes_of(S_C), bytes_of(S_C), leaked_of(S_C));
    CHECK_EQ_U64(t->nnodes, 6); /* root, main, a, b, b (recursion), c */
    CHECK_EQ_U64(t->max_depth, 4);
    const ls_calltree_node *na = nd(t, AT(t, "fn_main", "fn_a"));
    CHECK_EQ_U64(na->nchild, 2);
    CHECK(na->nchild && !strcmp(ls_calltree_name(t, t->child[na->child0]), "fn_b")); /* children by name */
    CHECK_EQ_U64(nd(t, AT(t, "fn_main", "fn_a", "fn_c"))->incl[LS_METRIC_ALLOCATIONS], sites[S_C].count);
    CHECK_EQ_U64(nd(t, AT(t, "fn_main", "fn_a", "fn_c"))->incl[LS_METRIC_LEAKED_BLOCKS], sites[S_C].leak);
    check_self_sums(t);
    ls_calltree_free(t);
    sym_table_free(syms);
    ls_analysis_free(a);
}

static void case_bottom_up(void)
{
    ls_analysis *a = load();
    sym_table *syms = ls_analysis_symbols(a);
    ls_calltree *t = ls_calltree_build(a, syms, LS_CALLTREE_BOTTOM_UP);
    CHECK(t != NULL);
    uint64_t b_all = bytes_of(S_B1) + bytes_of(S_B2) + bytes_of(S_REC);
    /* the allocating functions at the top: fn_b, fn_c, fn_main (itself) */
    CHECK_EQ_U64(t->nodes[LS_CALLTREE_ROOT].nchild, 3);
    check_node(t, AT(t, "fn_b"), b_all, 0, leaked_of(S_B2) + leaked_of(S_REC));
    check_node(t, AT(t, "fn_b", "fn_a"), bytes_of(S_B1) + bytes_of(S_B2), 0, leaked_of(S_B2));
    check_node(t, AT(t, "fn_b", "fn_a", "fn_main"), bytes_of(S_B1) + bytes_of(S_B2), bytes_of(S_B1) + bytes_of(S_B2),
               leaked_of(S_B2));
    check_node(t, AT(t, "fn_b", "fn_b", "fn_a", "fn_main"), bytes_of(S_REC), bytes_of(S_REC), leaked_of(S_REC));
    check_node(t, AT(t, "fn_c", "fn_a", "fn_main"), bytes_of(S_C), bytes_of(S_C), leaked_of(S_C));
    check_node(t, AT(t, "fn_main"), bytes_of(S_MAIN), bytes_of(S_MAIN), leaked_of(S_MAIN));
    check_self_sums(t);
    ls_calltree_free(t);
    sym_table_free(syms);
    ls_analysis_free(a);
}

/* Every metric's total is the analysis's. */
static void case_totals(void)
{
    ls_analysis *a = load();
    for (int d = 0; d < 2; d++) {
        ls_calltree *t = ls_calltree_build(a, NULL, (ls_calltree_dir)d); /* no symbols: addresses */
        CHECK(t != NULL);
        const ls_calltree_node *r = &t->nodes[LS_CALLTREE_ROOT];
        CHECK_EQ_U64(r->incl[LS_METRIC_ALLOCATED], a->allocated_bytes);
        CHECK_EQ_U64(r->incl[LS_METRIC_ALLOCATIONS], a->allocations);
        CHECK_EQ_U64(r->incl[LS_METRIC_TEMPORARY], a->temporary);
        CHECK_EQ_U64(r->incl[LS_METRIC_LEAKED], a->leaked_bytes);
        CHECK_EQ_U64(r->incl[LS_METRIC_LEAKED_BLOCKS], a->leaked_blocks);
        CHECK_EQ_U64(r->incl[LS_METRIC_PEAK], a->peak_heap_bytes);
        CHECK(a->temporary > 0 && a->peak_heap_bytes > a->leaked_bytes);
        /* without symbols every address is its own frame, named by it */
        char want[32];
        snprintf(want, sizeof want, "0x%llx", (unsigned long long)sites[S_MAIN].frames[0]);
        bool found = false;
        for (uint32_t i = 0; i < t->nnames; i++)
            found |= !strcmp(t->names[i], want);
        CHECK(found);
        ls_calltree_free(t);
    }
    ls_metric m;
    CHECK(ls_metric_parse("leaked-blocks", &m) && m == LS_METRIC_LEAKED_BLOCKS);
    CHECK(!ls_metric_parse("leaked_blocks", &m));
    for (int k = 0; k < LS_METRIC_COUNT; k++)
        CHECK(ls_metric_parse(ls_metric_name((ls_metric)k), &m) && m == (ls_metric)k);
    ls_analysis_free(a);
}

/* The search: a case-blind substring; nested matches count once. */
static void case_search(void)
{
    ls_analysis *a = load();
    sym_table *syms = ls_analysis_symbols(a);
    ls_calltree *t = ls_calltree_build(a, syms, LS_CALLTREE_TOP_DOWN);
    CHECK(t != NULL);
    uint32_t matched = 0;
    /* fn_b twice on one path (recursion): counted once, at the outer one */
    CHECK_EQ_U64(ls_calltree_match_total(t, LS_CALLTREE_ROOT, LS_METRIC_ALLOCATED, "FN_B", &matched),
                 bytes_of(S_B1) + bytes_of(S_B2) + bytes_of(S_REC));
    CHECK_EQ_U64(matched, 2);
    /* "fn_" matches every frame: the total is main's, never more than the root's */
    CHECK_EQ_U64(ls_calltree_match_total(t, LS_CALLTREE_ROOT, LS_METRIC_ALLOCATED, "fn_", &matched),
                 t->nodes[AT(t, "fn_main")].incl[LS_METRIC_ALLOCATED]);
    CHECK_EQ_U64(matched, 5);
    /* under a zoomed-in root: only its subtree */
    uint32_t c = AT(t, "fn_main", "fn_a", "fn_c");
    CHECK_EQ_U64(ls_calltree_match_total(t, c, LS_METRIC_ALLOCATED, "fn_b", &matched), 0);
    CHECK_EQ_U64(matched, 0);
    CHECK_EQ_U64(ls_calltree_match_total(t, AT(t, "fn_main", "fn_a"), LS_METRIC_ALLOCATIONS, "c", NULL),
                 sites[S_C].count);
    CHECK(!ls_calltree_matches(t, c, ""));
    CHECK(ls_calltree_matches(t, c, "N_c"));
    CHECK_EQ_U64(ls_calltree_match_total(t, LS_CALLTREE_ROOT, LS_METRIC_ALLOCATED, "", &matched), 0);
    CHECK_EQ_U64(ls_calltree_find_name(t, "nothing-called-so"), UINT32_MAX);
    ls_calltree_free(t);
    sym_table_free(syms);
    ls_analysis_free(a);
}

static const ls_calltree_edge *edge(const ls_calltree *t, const ls_calltree_edge *e, uint32_t n, const char *name)
{
    for (uint32_t k = 0; k < n; k++)
        if (!strcmp(t->names[e[k].name], name))
            return &e[k];
    return NULL;
}

#define EDGE_BYTES(t, e, n, name) (edge(t, e, n, name) ? edge(t, e, n, name)->value[LS_METRIC_ALLOCATED] : 0xdead)

/* A function's callers and callees, from either tree. */
static void case_links(void)
{
    ls_analysis *a = load();
    sym_table *syms = ls_analysis_symbols(a);
    for (int d = 0; d < 2; d++) {
        ls_calltree *t = ls_calltree_build(a, syms, (ls_calltree_dir)d);
        CHECK(t != NULL);
        ls_calltree_links l;
        /* fn_a: called by main only; calls b and c */
        CHECK(ls_calltree_links_of(t, ls_calltree_find_name(t, "fn_a"), LS_METRIC_ALLOCATED, &l));
        uint64_t under_a = bytes_of(S_B1) + bytes_of(S_B2) + bytes_of(S_C) + bytes_of(S_REC);
        CHECK_EQ_U64(l.incl[LS_METRIC_ALLOCATED], under_a);
        CHECK_EQ_U64(l.self[LS_METRIC_ALLOCATED], 0);
        CHECK_EQ_U64(l.ncallers, 1);
        CHECK_EQ_U64(EDGE_BYTES(t, l.callers, l.ncallers, "fn_main"), under_a);
        CHECK_EQ_U64(l.ncallees, 2);
        CHECK_EQ_U64(EDGE_BYTES(t, l.callees, l.ncallees, "fn_c"), bytes_of(S_C));
        /* the largest first */
        CHECK(l.ncallees == 2 && !strcmp(t->names[l.callees[0].name], "fn_b"));
        ls_calltree_links_free(&l);
        /* fn_main: no caller (the outermost frame), allocates itself */
        CHECK(ls_calltree_links_of(t, ls_calltree_find_name(t, "fn_main"), LS_METRIC_ALLOCATED, &l));
        CHECK_EQ_U64(l.self[LS_METRIC_ALLOCATED], bytes_of(S_MAIN));
        CHECK_EQ_U64(l.incl[LS_METRIC_ALLOCATED], a->allocated_bytes - bytes_of(S_NOSTACK));
        CHECK_EQ_U64(l.ncallers, 1);
        CHECK_EQ_U64(EDGE_BYTES(t, l.callers, l.ncallers, ""), a->allocated_bytes - bytes_of(S_NOSTACK));
        CHECK_EQ_U64(EDGE_BYTES(t, l.callees, l.ncallees, "fn_a"), under_a);
        CHECK(edge(t, l.callees, l.ncallees, "") == NULL);
        ls_calltree_links_free(&l);
        /* fn_b, recursive: counted once in its total */
        CHECK(ls_calltree_links_of(t, ls_calltree_find_name(t, "fn_b"), LS_METRIC_LEAKED, &l));
        CHECK_EQ_U64(l.incl[LS_METRIC_ALLOCATED], bytes_of(S_B1) + bytes_of(S_B2) + bytes_of(S_REC));
        CHECK_EQ_U64(l.self[LS_METRIC_ALLOCATED], bytes_of(S_B1) + bytes_of(S_B2) + bytes_of(S_REC));
        CHECK_EQ_U64(EDGE_BYTES(t, l.callees, l.ncallees, "fn_b"), d == LS_CALLTREE_TOP_DOWN ? bytes_of(S_REC) : 0xdead);
        ls_calltree_links_free(&l);
        ls_calltree_free(t);
    }
    sym_table_free(syms);
    ls_analysis_free(a);
}

/* The tree of a time range: what the range made and its temporary
 * allocations, through the same names. */
static void case_range(void)
{
    ls_analysis *a = load();
    sym_table *syms = ls_analysis_symbols(a);
    /* the first site's events are at ts 10..15 (3 allocations, each freed):
     * a range from the second site on leaves it out */
    ls_range *r;
    trace_error err;
    CHECK(ls_range_summarize(a->index, 16, a->last_ts, NULL, &r, &err) == TRACE_OK);
    ls_stack_use *use = ls_range_stack_use(r, a->nstacks);
    CHECK(use != NULL);
    ls_calltree *t = ls_calltree_build_use(a, use, a->nstacks, syms, LS_CALLTREE_TOP_DOWN);
    CHECK(t != NULL);
    CHECK_EQ_U64(t->nodes[LS_CALLTREE_ROOT].incl[LS_METRIC_ALLOCATED], a->allocated_bytes - bytes_of(S_B1));
    CHECK_EQ_U64(t->nodes[LS_CALLTREE_ROOT].incl[LS_METRIC_LEAKED], a->leaked_bytes);
    /* each block freed at once is temporary: the range's are all but the first site's 3 */
    CHECK_EQ_U64(t->nodes[LS_CALLTREE_ROOT].incl[LS_METRIC_TEMPORARY], a->temporary - 3);
    check_node(t, AT(t, "fn_main", "fn_a", "fn_b"), bytes_of(S_B2) + bytes_of(S_REC), bytes_of(S_B2),
               leaked_of(S_B2) + leaked_of(S_REC));
    ls_calltree_free(t);
    /* with no use at all: a root alone */
    t = ls_calltree_build_use(a, NULL, 0, syms, LS_CALLTREE_BOTTOM_UP);
    CHECK(t != NULL && t->nnodes == 1 && t->nodes[0].incl[LS_METRIC_ALLOCATED] == 0);
    ls_calltree_free(t);
    free(use);
    ls_range_free(r);
    sym_table_free(syms);
    ls_analysis_free(a);
}

static const test_case cases[] = {
    { "search", case_search },
    { "links", case_links },
    { "range", case_range },
    { "top-down", case_top_down },
    { "bottom-up", case_bottom_up },
    { "totals", case_totals },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-calltree", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}

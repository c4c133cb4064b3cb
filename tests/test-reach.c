/* test-reach.c — the leak classes on constructed heap graphs (viewer/model/
 * reach.h): rings of three, a lost parent with children and a cycle hung
 * from it, interior-only pointers, globals holding a chain, two globals
 * sharing a block, hostile ids, and chains and rings of a million blocks
 * (no recursion).
 *
 * `test-reach CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "reach.h"
#include "test-util.h"

#include <stdlib.h>

static char dir[] = "/tmp/leakscope-test-reach-XXXXXX";

#define MAXB 64
static uint64_t sizes[MAXB];
static ls_graph_edge edges[256];
static ls_graph_root roots[64];
static uint32_t nedges, nroots;

static void reset(void)
{
    for (uint32_t i = 0; i < MAXB; i++)
        sizes[i] = 10 + i; /* every block's size distinct: the sums say which blocks were counted */
    nedges = nroots = 0;
}

static void edge(uint32_t from, uint32_t to, bool interior) { edges[nedges++] = (ls_graph_edge){ from, to, interior }; }
static void root(uint32_t holder, uint32_t to, bool interior) { roots[nroots++] = (ls_graph_root){ holder, to, interior }; }

static ls_reach *classify(uint32_t nblocks, uint32_t nholders)
{
    ls_heap_graph g = { nblocks, sizes, nedges, edges, nroots, roots, nholders };
    ls_reach *r = ls_reach_classify(&g);
    if (!r)
        exit(1);
    return r;
}

#define CLASS(r, v, c) CHECK_EQ_U64((r)->cls[v], c)

static void case_names(void)
{
    CHECK(!strcmp(ls_leak_class_name(LS_CLASS_LOST), "lost"));
    CHECK(!strcmp(ls_leak_class_name(LS_CLASS_INDIRECT), "indirect"));
    CHECK(!strcmp(ls_leak_class_name(LS_CLASS_CYCLE), "cycle"));
    CHECK(!strcmp(ls_leak_class_name(LS_CLASS_POSSIBLE), "possible"));
    CHECK(!strcmp(ls_leak_class_name(LS_CLASS_REACHABLE), "reachable"));
    CHECK(!strcmp(ls_leak_class_name(LS_NCLASSES), ""));
    CHECK(ls_leak_class_unreachable(LS_CLASS_LOST) && ls_leak_class_unreachable(LS_CLASS_INDIRECT) &&
          ls_leak_class_unreachable(LS_CLASS_CYCLE));
    CHECK(!ls_leak_class_unreachable(LS_CLASS_POSSIBLE) && !ls_leak_class_unreachable(LS_CLASS_REACHABLE));
}

/* Two rings of three (0-1-2, 3-4-5, start pointers), ring 0-1-2 with a
 * child 6 and 6's child 7; a pair 8 <-> 9; a block 10 pointing to itself. */
static void case_rings(void)
{
    reset();
    edge(0, 1, false), edge(1, 2, false), edge(2, 0, false);
    edge(3, 4, false), edge(4, 5, true), edge(5, 3, false); /* an interior pointer closes a ring too */
    edge(0, 6, false), edge(6, 7, false);
    edge(8, 9, false), edge(9, 8, false);
    edge(10, 10, false);
    ls_reach *r = classify(11, 1);
    for (uint32_t v = 0; v < 6; v++)
        CLASS(r, v, LS_CLASS_CYCLE);
    CLASS(r, 6, LS_CLASS_INDIRECT);
    CLASS(r, 7, LS_CLASS_INDIRECT);
    CLASS(r, 8, LS_CLASS_CYCLE);
    CLASS(r, 9, LS_CLASS_CYCLE);
    CLASS(r, 10, LS_CLASS_LOST); /* a group of one is no cycle */
    CHECK_EQ_U64(r->ncycles, 3);
    CHECK(r->cycle[0] && r->cycle[0] == r->cycle[1] && r->cycle[1] == r->cycle[2]);
    CHECK(r->cycle[3] && r->cycle[3] == r->cycle[5] && r->cycle[3] != r->cycle[0]);
    CHECK(r->cycle[8] && r->cycle[8] == r->cycle[9] && r->cycle[8] != r->cycle[0] && r->cycle[8] != r->cycle[3]);
    CHECK_EQ_U64(r->cycle[6] + r->cycle[10], 0);
    CHECK_EQ_U64(r->cycle_size[r->cycle[0] - 1], 3);
    CHECK_EQ_U64(r->cycle_size[r->cycle[8] - 1], 2);
    CHECK_EQ_U64(r->blocks[LS_CLASS_CYCLE], 8);
    CHECK_EQ_U64(r->bytes[LS_CLASS_CYCLE], 10 + 11 + 12 + 13 + 14 + 15 + 18 + 19);
    CHECK_EQ_U64(r->bytes[LS_CLASS_INDIRECT], 16 + 17);
    CHECK_EQ_U64(r->bytes[LS_CLASS_LOST], 20);
    CHECK_EQ_U64(r->blocks[LS_CLASS_REACHABLE] + r->blocks[LS_CLASS_POSSIBLE], 0);
    ls_reach_free(r);
}

/* A lost parent 0 with children 1 and 2, 1's child 3, and a pair 4 <-> 5
 * hanging from 0: all but 0 indirect. A lost block 6 alone. Block 7 points
 * to 0 too: then 7 is the lost one and 0 indirect. */
static void case_lost_tree(void)
{
    reset();
    edge(0, 1, false), edge(0, 2, false), edge(1, 3, false), edge(0, 4, false), edge(4, 5, false), edge(5, 4, false);
    ls_reach *r = classify(7, 0);
    CLASS(r, 0, LS_CLASS_LOST);
    for (uint32_t v = 1; v <= 5; v++)
        CLASS(r, v, LS_CLASS_INDIRECT);
    CLASS(r, 6, LS_CLASS_LOST);
    CHECK_EQ_U64(r->ncycles, 0);
    CHECK_EQ_U64(r->blocks[LS_CLASS_LOST], 2);
    CHECK_EQ_U64(r->bytes[LS_CLASS_LOST], 10 + 16);
    CHECK_EQ_U64(r->bytes[LS_CLASS_INDIRECT], 11 + 12 + 13 + 14 + 15);
    ls_reach_free(r);
    edge(7, 0, true);
    r = classify(8, 0);
    CLASS(r, 7, LS_CLASS_LOST);
    CLASS(r, 0, LS_CLASS_INDIRECT);
    CHECK_EQ_U64(r->blocks[LS_CLASS_LOST], 2);
    ls_reach_free(r);
}

/* Interior pointers: a root into 0's interior, 0 to 1's start: both
 * possible; a root to 2's start, 2 into 3's interior, 3 to 4's start: 2
 * reachable, 3 and 4 possible; 5 reached both ways is reachable. */
static void case_interior(void)
{
    reset();
    root(0, 0, true);
    edge(0, 1, false);
    root(0, 2, false);
    edge(2, 3, true), edge(3, 4, false);
    edge(2, 5, false), edge(3, 5, true);
    ls_reach *r = classify(6, 1);
    CLASS(r, 0, LS_CLASS_POSSIBLE);
    CLASS(r, 1, LS_CLASS_POSSIBLE);
    CLASS(r, 2, LS_CLASS_REACHABLE);
    CLASS(r, 3, LS_CLASS_POSSIBLE);
    CLASS(r, 4, LS_CLASS_POSSIBLE);
    CLASS(r, 5, LS_CLASS_REACHABLE);
    CHECK_EQ_U64(r->bytes[LS_CLASS_POSSIBLE], 10 + 11 + 13 + 14);
    CHECK_EQ_U64(r->bytes[LS_CLASS_REACHABLE], 12 + 15);
    CHECK_EQ_U64(r->holder[0], LS_HOLDER_NONE);
    CHECK_EQ_U64(r->holder[5], 0);
    ls_reach_free(r);
}

/* Globals: holder 0 holds a chain 0 -> 1 -> 2; holder 1 (a thread's stack)
 * holds 3; holders 2 and 3 both point to 4, which holds 5; holder 3 also
 * holds 6. Retained: what each alone keeps alive. */
static void case_globals(void)
{
    reset();
    root(0, 0, false);
    edge(0, 1, false), edge(1, 2, false);
    root(1, 3, false);
    root(2, 4, false), root(3, 4, false), root(3, 6, false);
    edge(4, 5, false);
    ls_reach *r = classify(7, 4);
    for (uint32_t v = 0; v < 7; v++)
        CLASS(r, v, LS_CLASS_REACHABLE);
    CHECK_EQ_U64(r->holder[2], 0);
    CHECK_EQ_U64(r->only[2], 0);
    CHECK_EQ_U64(r->holder[3], 1);
    CHECK_EQ_U64(r->holder[4], 2); /* the first root to reach it */
    CHECK_EQ_U64(r->holder[5], 2);
    CHECK_EQ_U64(r->only[4], LS_HOLDER_MANY);
    CHECK_EQ_U64(r->only[5], LS_HOLDER_MANY);
    CHECK_EQ_U64(r->only[6], 3);
    CHECK_EQ_U64(r->retained_bytes[0], 10 + 11 + 12);
    CHECK_EQ_U64(r->retained_blocks[0], 3);
    CHECK_EQ_U64(r->retained_bytes[1], 13);
    CHECK_EQ_U64(r->retained_bytes[2], 0); /* shares 4 and 5 with holder 3 */
    CHECK_EQ_U64(r->retained_bytes[3], 16);
    ls_reach_free(r);
    /* The chain's head also reached from holder 1: the whole chain is shared. */
    root(1, 0, false);
    r = classify(7, 4);
    CHECK_EQ_U64(r->only[2], LS_HOLDER_MANY);
    CHECK_EQ_U64(r->retained_bytes[0], 0);
    CHECK_EQ_U64(r->retained_bytes[1], 13);
    ls_reach_free(r);
}

/* Ids out of range are ignored; no block at all is fine. */
static void case_hostile(void)
{
    reset();
    edge(0, 99, false), edge(99, 0, false), edge(1, 0, false);
    root(7, 1, false); /* no holder 7 */
    root(0, 1000, false);
    ls_reach *r = classify(2, 1);
    CLASS(r, 1, LS_CLASS_LOST);
    CLASS(r, 0, LS_CLASS_INDIRECT);
    ls_reach_free(r);
    reset();
    r = classify(0, 0);
    CHECK_EQ_U64(r->ncycles, 0);
    ls_reach_free(r);
}

/* A million blocks in a chain, then in a ring: no recursion, exact counts. */
static void case_deep(void)
{
    uint32_t n = 1000000;
    uint64_t *size = malloc(n * sizeof *size);
    ls_graph_edge *e = malloc(n * sizeof *e);
    if (!size || !e)
        exit(1);
    for (uint32_t i = 0; i < n; i++) {
        size[i] = 1;
        e[i] = (ls_graph_edge){ i, (i + 1) % n, false };
    }
    ls_heap_graph g = { n, size, n - 1, e, 0, NULL, 0 };
    ls_reach *r = ls_reach_classify(&g);
    CHECK(r && r->blocks[LS_CLASS_LOST] == 1 && r->blocks[LS_CLASS_INDIRECT] == n - 1 && r->cls[0] == LS_CLASS_LOST);
    ls_reach_free(r);
    g.nedges = n; /* closed into a ring */
    r = ls_reach_classify(&g);
    CHECK(r && r->ncycles == 1 && r->cycle_size[0] == n && r->blocks[LS_CLASS_CYCLE] == n);
    ls_reach_free(r);
    ls_graph_root rt = { 0, n / 2, false }; /* held: all reachable, through the whole ring */
    g.roots = &rt;
    g.nroots = 1;
    g.nholders = 1;
    r = ls_reach_classify(&g);
    CHECK(r && r->blocks[LS_CLASS_REACHABLE] == n && r->retained_blocks[0] == n && r->ncycles == 0);
    ls_reach_free(r);
    free(size);
    free(e);
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        { "names", case_names },     { "rings", case_rings },     { "lost-tree", case_lost_tree },
        { "interior", case_interior }, { "globals", case_globals }, { "hostile", case_hostile },
        { "deep", case_deep },
    };
    return test_run_cases("test-reach", cases, sizeof cases / sizeof cases[0], argc, argv, dir);
}

/* test-leakclass.c — a trace's heap snapshot classified (viewer/model/
 * leakclass.h), on a trace written with the writer: the snapshot's blocks
 * joined to the blocks live at the end (a block freed after the snapshot
 * is no leak, though it held another; one made after it is unscanned),
 * groups by stack and class in the report's order, holders named (a global
 * with no symbol, a named thread's stack), what a global alone retains,
 * the sums against the analysis' leaks, an uncertain snapshot, a trace
 * without one.
 *
 * `test-leakclass CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "analysis.h"
#include "leakclass.h"
#include "test-trace.h"
#include "test-util.h"
#include "trace-writer.h"

#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/leakscope-test-leakclass-XXXXXX";

static void ev(trace_writer *w, trace_event e)
{
    if (trace_writer_add_event(w, 7, &e) != TRACE_OK)
        exit(1);
}

/* Blocks: A (stack 1, 64 B) held by a global word; B (stack 2, 32 B) held
 * by nothing; C (stack 3, 16 B) held by thread 7's stack, pointing to D
 * (stack 4, 48 B). After the snapshot C is freed and E (stack 5, 8 B) is
 * made. with_snapshot false: the same events, no snapshot. */
static ls_analysis *load(const char *name, bool with_snapshot, uint32_t flags)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s.trace", dir, name);
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8, .stack_depth = 8,
                             .start_ts = 1000 };
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    for (uint32_t s = 1; s <= 5; s++) {
        uint64_t frame = 0x500000 + 0x10 * s;
        if (trace_writer_add_stack(w, s, &frame, 1) != TRACE_OK)
            exit(1);
    }
    if (trace_writer_add_string(w, 1, "worker7", 7) != TRACE_OK)
        exit(1);
    ev(w, (trace_event){ .kind = TRACE_THREAD_NAME, .ts = 1500, .str = 1 });
    ev(w, (trace_event){ .kind = TRACE_ALLOC, .ts = 2000, .addr = 0x10000, .size = 64, .stack = 1 });
    ev(w, (trace_event){ .kind = TRACE_ALLOC, .ts = 2100, .addr = 0x10040, .size = 32, .stack = 2 });
    ev(w, (trace_event){ .kind = TRACE_ALLOC, .ts = 2200, .addr = 0x20000, .size = 16, .stack = 3 });
    ev(w, (trace_event){ .kind = TRACE_ALLOC, .ts = 2300, .addr = 0x30000, .size = 48, .stack = 4 });
    if (with_snapshot) {
        uint64_t addr[4] = { 0x10000, 0x10040, 0x20000, 0x30000 }, size[4] = { 64, 32, 16, 48 };
        trace_heap_range ranges[2] = {
            { TRACE_ROOT_MODULE, 0, 0x400000, 0x401000, 0x1000 },
            { TRACE_ROOT_STACK, 7, 0, 0x7ff000, 0x100 },
        };
        trace_heap_root roots[2] = {
            { .range = 0, .to = 0, .address = 0x401010, .value = 0x10000 },
            { .range = 1, .to = 2, .address = 0x7ff0f8, .value = 0x20000 },
        };
        trace_heap_edge edges[1] = { { .from = 2, .word = 0, .to = 3, .value = 0x30000 } };
        trace_heap_graph s = { .ts = 3000, .thread = 7, .flags = flags, .label_len = 4, .nblocks = 4, .nranges = 2,
                               .nroots = 2, .nedges = 1, .addr = addr, .size = size, .ranges = ranges,
                               .roots = roots, .edges = edges };
        memcpy(s.label, "exit", 4);
        if (trace_writer_add_heap_snapshot(w, &s) != TRACE_OK)
            exit(1);
    }
    ev(w, (trace_event){ .kind = TRACE_FREE, .ts = 4000, .addr = 0x20000 });
    ev(w, (trace_event){ .kind = TRACE_ALLOC, .ts = 4100, .addr = 0x40000, .size = 8, .stack = 5 });
    return test_close_and_load(w, path);
}

static ls_leak_classes *classify(const ls_analysis *a, sym_table *syms)
{
    ls_leak_classes *c = NULL;
    trace_error err;
    if (ls_leak_classes_build(a, syms, &c, &err) != TRACE_OK) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    return c;
}

static void case_join(void)
{
    ls_analysis *a = load("join", true, 0);
    CHECK_EQ_U64(a->nlive, 4); /* A, B, D, E: kept for the join because the trace has a snapshot */
    sym_table *syms = ls_analysis_symbols(a);
    ls_leak_classes *c = classify(a, syms);
    CHECK(c != NULL);
    if (!c)
        return;
    CHECK(!strcmp(c->label, "exit") && c->ts == 3000 && !c->uncertain);
    CHECK_EQ_U64(c->running_threads, 0); /* the only stack is the asking thread's */
    CHECK_EQ_U64(c->bytes[LS_CLASS_LOST], 32);
    CHECK_EQ_U64(c->blocks[LS_CLASS_LOST], 1);
    CHECK_EQ_U64(c->bytes[LS_CLASS_REACHABLE], 64 + 48); /* D: held through C, which was freed later */
    CHECK_EQ_U64(c->blocks[LS_CLASS_REACHABLE], 2);
    CHECK_EQ_U64(c->bytes[LS_CLASS_UNSCANNED], 8);
    CHECK_EQ_U64(c->bytes[LS_CLASS_INDIRECT] + c->bytes[LS_CLASS_CYCLE] + c->bytes[LS_CLASS_POSSIBLE], 0);
    uint64_t bytes = 0, blocks = 0;
    for (int k = 0; k <= LS_CLASS_UNSCANNED; k++) {
        bytes += c->bytes[k];
        blocks += c->blocks[k];
    }
    CHECK_EQ_U64(bytes, a->leaked_bytes);
    CHECK_EQ_U64(blocks, a->leaked_blocks);
    CHECK_EQ_U64(ls_leak_classes_lost_bytes(c), 32);
    /* Groups: lost, then reachable by bytes, unscanned last. */
    CHECK_EQ_U64(c->ngroups, 4);
    if (c->ngroups == 4) {
        char name[300];
        CHECK(c->groups[0].stack == 2 && c->groups[0].cls == LS_CLASS_LOST && c->groups[0].holder == LS_HOLDER_NONE);
        CHECK(c->groups[1].stack == 1 && c->groups[1].cls == LS_CLASS_REACHABLE && c->groups[1].bytes == 64);
        CHECK(c->groups[2].stack == 4 && c->groups[2].cls == LS_CLASS_REACHABLE && c->groups[2].bytes == 48);
        CHECK(c->groups[3].stack == 5 && c->groups[3].cls == LS_CLASS_UNSCANNED);
        CHECK(c->groups[1].holder < c->nholders &&
              !strcmp(ls_holder_name(a, &c->holders[c->groups[1].holder], name, sizeof name), "data of ??+0x1010"));
        CHECK(c->groups[2].holder < c->nholders &&
              !strcmp(ls_holder_name(a, &c->holders[c->groups[2].holder], name, sizeof name),
                      "stack of thread worker7"));
    }
    CHECK_EQ_U64(c->nholders, 2);
    CHECK_EQ_U64(c->nglobals, 1); /* the global word retains A; the stack is no global */
    if (c->nglobals) {
        const ls_holder *h = &c->holders[c->globals[0]];
        CHECK(h->kind == LS_HOLDER_GLOBAL && h->retained_bytes == 64 && h->retained_blocks == 1 && h->offset == 0x1010);
    }
    CHECK_EQ_U64(c->ncycles, 0);
    CHECK(!strcmp(ls_class_group_name(LS_CLASS_UNSCANNED), "unscanned"));
    CHECK(!strcmp(ls_class_group_name(LS_CLASS_CYCLE), "cycle"));
    ls_leak_classes_free(c);
    c = classify(a, NULL); /* no symbols: the same classes */
    CHECK(c && c->bytes[LS_CLASS_LOST] == 32 && c->bytes[LS_CLASS_REACHABLE] == 112);
    ls_leak_classes_free(c);
    sym_table_free(syms);
    ls_analysis_free(a);
}

static void case_uncertain(void)
{
    ls_analysis *a = load("uncertain", true, TRACE_HEAP_REFS_INCOMPLETE);
    ls_leak_classes *c = classify(a, NULL);
    CHECK(c && c->uncertain && c->flags == TRACE_HEAP_REFS_INCOMPLETE);
    ls_leak_classes_free(c);
    ls_analysis_free(a);
}

static void case_none(void)
{
    ls_analysis *a = load("none", false, 0);
    CHECK(a->live == NULL && a->nlive == 0); /* nothing kept without a snapshot */
    ls_leak_classes *c = classify(a, NULL);
    CHECK(c == NULL);
    CHECK_EQ_U64(a->leaked_bytes, 64 + 32 + 48 + 8);
    ls_analysis_free(a);
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        { "join", case_join },
        { "uncertain", case_uncertain },
        { "none", case_none },
    };
    return test_run_cases("test-leakclass", cases, sizeof cases / sizeof cases[0], argc, argv, dir);
}

/* test-sites.c — call-site names (viewer/model/sites.h) on stacks through
 * this program's own functions: allocator wrappers are folded, the caller
 * tells two sites behind one helper apart, a function that merely starts
 * like an allocator is a site, unknown frames are named by address.
 *
 * `test-sites CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "sites.h"
#include "units.h"
#include "test-trace.h"
#include "test-util.h"
#include "test-self.h"
#include "trace-writer.h"

#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/leakscope-test-sites-XXXXXX";

/* Functions the stacks go through; noinline so each has its own symbol. */
#define FN(name) void name(void); __attribute__((noinline, used)) void name(void) { __asm__ volatile("nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop"); }
FN(xmalloc)
FN(g_strdup)
FN(make_thing)
FN(caller_a)
FN(caller_b)
FN(xmalloc_cache_new)
#undef FN

/* An address inside f, as a return address into it would be. */
static uint64_t in(void (*f)(void)) { return (uint64_t)(uintptr_t)f + 8; }

/* One leak per stack, each a different size so the leaks come out in order. */
static ls_analysis *leaks_of(const uint64_t (*stacks)[4], const uint32_t *depths, uint32_t n)
{
    char path[300];
    snprintf(path, sizeof path, "%s/sites.trace", dir);
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8, .stack_depth = 64 };
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    test_add_self(w, 1);
    for (uint32_t i = 0; i < n; i++) {
        if (trace_writer_add_stack(w, i + 1, stacks[i], depths[i]) != TRACE_OK)
            exit(1);
        trace_event ev = { .kind = TRACE_ALLOC, .ts = 10 + i, .addr = 0x1000 * (i + 1), .size = 1000 - i,
                           .stack = i + 1 };
        if (trace_writer_add_event(w, 1, &ev) != TRACE_OK)
            exit(1);
    }
    return test_close_and_load(w, path);
}

static void expect(sym_table *syms, const ls_analysis *a, uint32_t leak, const char *want_prefix,
                   const char *want_suffix)
{
    char buf[512];
    const char *got = ls_site_name(syms, a, a->leaks[leak].stack, buf, sizeof buf);
    size_t n = strlen(got), m = strlen(want_suffix);
    bool ok = !strncmp(got, want_prefix, strlen(want_prefix)) && n >= m && !strcmp(got + n - m, want_suffix);
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  leak %u: '%s', want '%s...%s'\n", leak, got, want_prefix, want_suffix);
}

static void case_names(void)
{
    static uint64_t stacks[6][4];
    uint32_t depths[6] = { 3, 3, 4, 2, 2, 1 };
    uint64_t s0[] = { in(xmalloc), in(make_thing), in(caller_a) };
    uint64_t s1[] = { in(xmalloc), in(make_thing), in(caller_b) };
    uint64_t s2[] = { in(g_strdup), in(xmalloc), in(caller_a), in(caller_b) }; /* wrappers in a row */
    uint64_t s3[] = { in(xmalloc_cache_new), in(caller_a) };                   /* only starts like xmalloc */
    uint64_t s4[] = { 0x10, in(caller_b) };                                     /* no symbol for the first */
    uint64_t s5[] = { in(xmalloc) };                                            /* nothing but a wrapper */
    memcpy(stacks[0], s0, sizeof s0);
    memcpy(stacks[1], s1, sizeof s1);
    memcpy(stacks[2], s2, sizeof s2);
    memcpy(stacks[3], s3, sizeof s3);
    memcpy(stacks[4], s4, sizeof s4);
    memcpy(stacks[5], s5, sizeof s5);
    ls_analysis *a = leaks_of((const uint64_t(*)[4])stacks, depths, 6);
    CHECK_EQ_U64(a->nleaks, 6);
    sym_table *syms = ls_analysis_symbols(a);
    expect(syms, a, 0, "make_thing (test-sites.c:", ") \xe2\x86\x90 caller_a");
    expect(syms, a, 1, "make_thing (test-sites.c:", ") \xe2\x86\x90 caller_b");
    expect(syms, a, 2, "caller_a (test-sites.c:", ") \xe2\x86\x90 caller_b");
    expect(syms, a, 3, "xmalloc_cache_new (test-sites.c:", ") \xe2\x86\x90 caller_a");
    expect(syms, a, 4, "0x10 \xe2\x86\x90 caller_b", "caller_b");
    expect(syms, a, 5, "xmalloc (test-sites.c:", ")");
    /* Without symbols: the first address. */
    expect(NULL, a, 0, "0x", "");
    char tiny[8];
    CHECK(strlen(ls_site_name(syms, a, a->leaks[0].stack, tiny, sizeof tiny)) == 7);
    /* The site's function, as a call tree names its node: what the viewer
     * highlights when a leak row is selected. */
    static const char *const function[6] = { "make_thing", "make_thing", "caller_a", "xmalloc_cache_new", "0x10",
                                             "xmalloc" };
    for (uint32_t i = 0; i < 6; i++) {
        char buf[256];
        ls_site_function(syms, a, a->leaks[i].stack, buf, sizeof buf);
        CHECK(!strcmp(buf, function[i]));
        if (strcmp(buf, function[i]))
            fprintf(stderr, "  leak %u: site function '%s', want '%s'\n", i, buf, function[i]);
    }
    char none[8] = "x";
    CHECK(!strcmp(ls_site_function(syms, a, 0, none, sizeof none), ""));
    sym_table_free(syms);
    ls_analysis_free(a);
}

static void case_wrappers(void)
{
    static const char *const yes[] = { "malloc", "xmalloc", "g_malloc0", "operator new(unsigned long)",
                                       "operator new[](unsigned long, std::nothrow_t const&)", "_PyObject_Malloc",
                                       "PyMem_RawMalloc", "sqlite3DbMallocRawNN", "strdup", "trace_alloc" };
    static const char *const no[] = { "malloc_consolidate", "xmalloc_cache_new", "main", "g_main_loop_new",
                                      "operator delete(void*)", "new_thing", "" };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        CHECK(ls_is_allocator_wrapper(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        CHECK(!ls_is_allocator_wrapper(no[i]));
}

static void case_utf8(void)
{
    static const struct { const char *s; size_t len; } cases[] = {
        { "a", 1 }, { "\x7f", 1 }, { "\xc3\xa9", 2 }, { "\xe2\x86\x90", 3 }, { "\xed\x9f\xbf", 3 },
        { "\xef\xbf\xbd", 3 }, { "\xf0\x90\x80\x80", 4 }, { "\xf4\x8f\xbf\xbf", 4 },
        { "\x80", 0 }, { "\xc0\xaf", 0 }, { "\xc1\xbf", 0 },           /* stray, overlong */
        { "\xe0\x80\xaf", 0 }, { "\xe0\x9f\xbf", 0 }, { "\xf0\x8f\xbf\xbf", 0 }, /* overlong */
        { "\xed\xa0\x80", 0 }, { "\xed\xbf\xbf", 0 },                /* surrogates */
        { "\xf4\x90\x80\x80", 0 }, { "\xf5\x80\x80\x80", 0 }, { "\xff", 0 }, /* past U+10FFFF */
        { "\xc3", 0 }, { "\xe2\x86", 0 }, { "\xe2\x28\xa1", 0 },     /* cut short, broken */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = ls_utf8_len(cases[i].s, strlen(cases[i].s));
        if (n != cases[i].len)
            fprintf(stderr, "case %zu: %zu, want %zu\n", i, n, cases[i].len);
        CHECK(n == cases[i].len);
    }
}

/* How counts, bytes and durations are written (units.h). */
static void case_units(void)
{
    char b[32];
    CHECK(!strcmp(ls_format_count(0, b, sizeof b), "0"));
    CHECK(!strcmp(ls_format_count(999, b, sizeof b), "999"));
    CHECK(!strcmp(ls_format_count(1000, b, sizeof b), "1,000"));
    CHECK(!strcmp(ls_format_count(1132504, b, sizeof b), "1,132,504"));
    CHECK(!strcmp(ls_format_count(UINT64_MAX, b, sizeof b), "18,446,744,073,709,551,615"));
    CHECK(!strcmp(ls_format_count(1234567, b, 6), "1,23")); /* truncated, terminated */
    CHECK(!strcmp(ls_format_bytes(1023, b, sizeof b), "1023 B"));
    CHECK(!strcmp(ls_format_bytes(1536, b, sizeof b), "1.50 KiB"));
    CHECK(!strcmp(ls_format_bytes(12900000, b, sizeof b), "12.3 MiB"));
    CHECK(!strcmp(ls_format_duration(530500, b, sizeof b), "530.50 \xc2\xb5s"));
    CHECK(!strcmp(ls_format_duration(125000000000ull, b, sizeof b), "2 min 5.0 s"));
}

static const test_case cases[] = {
    { "units", case_units },
    { "names", case_names },
    { "wrappers", case_wrappers },
    { "utf8", case_utf8 },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-sites", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}

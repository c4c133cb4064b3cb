/* test-summary.c — the summary of each events chunk in its header (format
 * 3.1, FORMAT.md §4.1.3) through the writer and the reader: what the reader
 * hands back for every chunk equals what the test computes from the events
 * it wrote and the heap deltas it gave (kind counts, bytes, segments, the
 * running heap and resources), with the deltas known (heap_known) and not;
 * add_event and add_packed write the same summary; a 3.0 file has none.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "test-util.h"
#include "trace-private.h"
#include "trace-reader.h"
#include "trace-summary.h"
#include "trace-writer.h"

#include <string.h>

static char dir[] = "/tmp/leakscope-test-summary-XXXXXX";

#define NTHREADS 2
#define MAXEV 300000

/* What the test wrote, per thread, in order: each event and its delta. */
typedef struct written {
    trace_event ev[MAXEV];
    int64_t delta[MAXEV];
    bool given[MAXEV];
    uint32_t n, next; /* next: the first not yet met in a chunk */
} written;

static written W[NTHREADS];
static const uint32_t tids[NTHREADS] = { 11, 12 };
static uint64_t seed = 0x51ab;

static void open_writer(const char *path, trace_writer **w)
{
    trace_file_info info;
    memset(&info, 0, sizeof info);
    info.pid = 7;
    info.time_unit_ns = 1;
    info.start_ts = 1000;
    snprintf(info.program, sizeof info.program, "/usr/bin/summary");
    CHECK(trace_writer_create(path, &info, w) == TRACE_OK);
    if (!*w)
        exit(1);
    trace_writer_add_string(*w, 1, "fd", 2);
    uint64_t f = 0x401000;
    trace_writer_add_stack(*w, 1, &f, 1);
}

/* Makes the events of both threads: runs of one thread (some longer than a
 * chunk), allocations, frees (their sizes known, or the address never
 * allocated: 0), reallocs, opens and closes, marks, pauses of 250 us.
 * `unknown_every`: every
 * so many allocations and releases, the delta is not known. */
static void make_events(uint32_t unknown_every)
{
    memset(W, 0, sizeof W);
    static uint64_t live[NTHREADS][64], size[NTHREADS][64];
    memset(live, 0, sizeof live);
    uint64_t ts = 5000, addr = 0x10000;
    for (int run = 0; W[0].n + W[1].n < 2 * MAXEV / 3; run++) {
        int t = run % 2;
        uint32_t len = run == 2 ? 70000 : 1 + (uint32_t)(test_rnd(&seed) % 3000);
        written *o = &W[t];
        for (uint32_t k = 0; k < len && o->n < MAXEV; k++) {
            /* now and then a pause of the thread (a granule ends there) */
            trace_event ev = { .ts = ts += test_rnd(&seed) % 50 + (k % 700 == 699 ? 250000 : 0) };
            int64_t d = 0;
            uint64_t r = test_rnd(&seed), *slot = &live[t][r % 64], *sz = &size[t][r % 64];
            unsigned what = (unsigned)(r >> 8) % 100;
            if (what < 3) {
                ev.kind = what ? TRACE_RES_OPEN : TRACE_RES_CLOSE;
                ev.str = 1;
                ev.value = r >> 20 & 7;
                ev.stack = 1;
            } else if (what < 5) {
                ev.kind = TRACE_MARK;
                ev.str = 1;
            } else if (what < 10) {
                ev.kind = TRACE_REALLOC;
                ev.addr = *slot;
                ev.addr2 = addr += 64;
                ev.size = r >> 32 & 0xfff;
                ev.stack = 1;
                d = (int64_t)ev.size - (int64_t)(*slot ? *sz : 0);
                *slot = ev.addr2;
                *sz = ev.size;
            } else if (*slot || what < 12) {
                ev.kind = TRACE_FREE;
                ev.addr = *slot ? *slot : 0x999000; /* never allocated: 0 released */
                d = *slot ? -(int64_t)*sz : 0;
                *slot = 0;
            } else {
                ev.kind = TRACE_ALLOC;
                ev.addr = *slot = addr += 64;
                ev.size = *sz = (r >> 32) % 5000;
                ev.stack = 1;
                d = (int64_t)ev.size;
            }
            o->ev[o->n] = ev;
            bool heap = ev.kind == TRACE_ALLOC || ev.kind == TRACE_FREE || ev.kind == TRACE_REALLOC;
            o->given[o->n] = !(unknown_every && heap && r % unknown_every == 0);
            o->delta[o->n++] = d;
        }
    }
}

/* mode 0: add_event (no delta), 1: add_event_delta, 2: add_packed_deltas,
 * 3: add_packed (no deltas). A delta not given is TRACE_DELTA_UNKNOWN. */
static void write_events(const char *path, int mode)
{
    trace_writer *w;
    open_writer(path, &w);
    static uint64_t words[8 * MAXEV];
    static int64_t deltas[MAXEV];
    static const trace_tick_map ns = { 0, 0, 1ull << 32 };
    uint32_t at[NTHREADS] = { 0 };
    /* The runs again, in the order they were made: by time. */
    while (at[0] < W[0].n || at[1] < W[1].n) {
        int t = at[1] >= W[1].n || (at[0] < W[0].n && W[0].ev[at[0]].ts <= W[1].ev[at[1]].ts) ? 0 : 1;
        written *o = &W[t];
        uint32_t from = at[t];
        int u = 1 - t;
        while (at[t] < o->n && (at[u] >= W[u].n || o->ev[at[t]].ts <= W[u].ev[at[u]].ts))
            at[t]++;
        if (mode < 2) {
            for (uint32_t i = from; i < at[t]; i++) {
                int64_t d = o->given[i] ? o->delta[i] : TRACE_DELTA_UNKNOWN;
                CHECK((mode ? trace_writer_add_event_delta(w, tids[t], &o->ev[i], d)
                            : trace_writer_add_event(w, tids[t], &o->ev[i])) == TRACE_OK);
            }
            continue;
        }
        size_t nw = 0, nrec = 0;
        for (uint32_t i = from; i < at[t]; i++) {
            const trace_event *e = &o->ev[i];
            if (e->kind == TRACE_ALLOC)
                nw += trace_packed_alloc(words + nw, e->ts, e->addr, e->size, (uint32_t)e->stack);
            else if (e->kind == TRACE_FREE)
                nw += trace_packed_free(words + nw, e->ts, e->addr);
            else if (e->kind == TRACE_REALLOC)
                nw += trace_packed_full(words + nw, e->ts, TRACE_REALLOC | TRACE_PACKED_EXT, e->addr, e->addr2,
                                        (uint32_t)e->stack, e->size);
            else if (e->kind == TRACE_RES_OPEN)
                nw += trace_packed_full(words + nw, e->ts, TRACE_RES_OPEN | TRACE_PACKED_EXT, e->str, e->value,
                                        (uint32_t)e->stack, e->size);
            else
                nw += trace_packed_full(words + nw, e->ts, e->kind, e->str, e->value, (uint32_t)e->stack, 0);
            deltas[nrec++] = o->given[i] ? o->delta[i] : TRACE_DELTA_UNKNOWN;
        }
        CHECK((mode == 2 ? trace_writer_add_packed_deltas(w, tids[t], words, nw, &ns, deltas)
                         : trace_writer_add_packed(w, tids[t], words, nw, &ns)) == TRACE_OK);
    }
    CHECK(trace_writer_close(w, 0) == TRACE_OK);
}

/* Every chunk's summary against the events it holds and the deltas given. */
static void check_file(const char *path, bool deltas_given, uint32_t *chunks, uint32_t *known)
{
    for (int t = 0; t < NTHREADS; t++)
        W[t].next = 0;
    trace_reader *r;
    CHECK(trace_reader_open(path, &r, NULL) == TRACE_OK);
    if (!r)
        return;
    CHECK_EQ_U64(trace_reader_info(r)->version_minor, 1);
    trace_chunk *c = trace_chunk_new();
    trace_chunk_info ci;
    *chunks = *known = 0;
    while (trace_reader_next_chunk(r, &ci) == TRACE_OK) {
        trace_chunk_summary s;
        bool has = trace_reader_chunk_summary(r, &s);
        CHECK(has == (ci.kind == TRACE_CHUNK_EVENTS));
        if (ci.kind == TRACE_CHUNK_DICT) { /* its ids, for the events chunks after it */
            trace_event d;
            CHECK(trace_chunk_load(c, r, &ci) == TRACE_OK);
            while (trace_chunk_next(c, &d) == TRACE_OK)
                ;
        }
        if (ci.kind != TRACE_CHUNK_EVENTS)
            continue;
        (*chunks)++;
        *known += s.heap_known;
        int t = ci.thread == tids[0] ? 0 : 1;
        written *o = &W[t];
        /* The writer's segments: min(16, granules) runs of whole granules
         * (of 256 events, or fewer before a pause). */
        uint32_t ngran = (ci.count + TRACE_SUMMARY_GRANULE - 1) / TRACE_SUMMARY_GRANULE;
        CHECK(s.nsegments >= (ngran < 16 ? ngran : 16) && s.nsegments <= 16 && s.nsegments <= ci.count);
        uint32_t kinds[16] = { 0 }, unknown = 0, seg = 0, in_seg = 0;
        uint64_t alloc = 0, released = 0;
        int64_t heap = 0, res = 0, hmin = 0, hmax = 0, rmin = 0, rmax = 0;
        bool all_given = true;
        CHECK(trace_chunk_load(c, r, &ci) == TRACE_OK);
        trace_event ev;
        trace_status st;
        while ((st = trace_chunk_next(c, &ev)) == TRACE_OK) {
            uint32_t i = o->next++;
            CHECK_EQ_U64(ev.kind, o->ev[i].kind);
            kinds[ev.kind & 15]++;
            if (in_seg == 0) {
                CHECK_EQ_U64(ev.ts, s.seg[seg].first_ts);
                CHECK(s.seg[seg].events >= 1);
            }
            bool heap_ev = ev.kind == TRACE_ALLOC || ev.kind == TRACE_FREE || ev.kind == TRACE_REALLOC;
            if (heap_ev) {
                bool k = deltas_given && o->given[i];
                all_given &= deltas_given;
                int64_t d = o->delta[i];
                if (ev.kind != TRACE_FREE)
                    alloc += ev.size;
                if (k) {
                    released += (ev.kind != TRACE_FREE ? ev.size : 0) - (uint64_t)d;
                } else {
                    d = ev.kind == TRACE_FREE ? 0 : (int64_t)ev.size;
                    unknown += deltas_given || ev.kind == TRACE_FREE || (ev.kind == TRACE_REALLOC && ev.addr);
                }
                heap += d;
            }
            if (ev.kind == TRACE_RES_OPEN || ev.kind == TRACE_RES_CLOSE)
                res += ev.kind == TRACE_RES_OPEN ? 1 : -1;
            hmin = heap < hmin ? heap : hmin;
            hmax = heap > hmax ? heap : hmax;
            rmin = res < rmin ? res : rmin;
            rmax = res > rmax ? res : rmax;
            if (++in_seg == s.seg[seg].events) {
                const trace_segment_summary *g = &s.seg[seg];
                CHECK_EQ_U64(ev.ts, g->last_ts);
                CHECK_EQ_U64(g->heap_end, heap);
                CHECK_EQ_U64(g->heap_min, hmin);
                CHECK_EQ_U64(g->heap_max, hmax);
                CHECK_EQ_U64(g->res_end, res);
                CHECK_EQ_U64(g->res_min, rmin);
                CHECK_EQ_U64(g->res_max, rmax);
                seg++;
                in_seg = 0;
                hmin = hmax = heap; /* the next starts with the value this one ends with */
                rmin = rmax = res;
            }
        }
        CHECK(st == TRACE_END);
        if (st != TRACE_END)
            fprintf(stderr, "%s\n", trace_reader_error(r)->message);
        CHECK_EQ_U64(seg, s.nsegments);
        for (int k = 0; k < 16; k++)
            CHECK_EQ_U64(s.kind_counts[k], kinds[k]);
        CHECK_EQ_U64(s.alloc_bytes, alloc);
        CHECK_EQ_U64(s.released_bytes, released);
        CHECK_EQ_U64(s.unknown_releases, unknown);
        CHECK_EQ_U64(s.heap_known, all_given && unknown == 0);
    }
    for (int t = 0; t < NTHREADS; t++)
        CHECK_EQ_U64(W[t].next, W[t].n);
    trace_chunk_free(c);
    trace_reader_close(r);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(*len ? *len : 1);
    if (d && fread(d, 1, *len, f) != *len) {
        free(d);
        d = NULL;
    }
    fclose(f);
    return d;
}

/* The same events through add_event_delta and add_packed_deltas: the same
 * file, every chunk's summary right and its heap known. */
static void case_known(void)
{
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/event.trace", dir);
    snprintf(b, sizeof b, "%s/packed.trace", dir);
    make_events(0);
    write_events(a, 1);
    write_events(b, 2);
    uint32_t chunks, known;
    check_file(a, true, &chunks, &known);
    CHECK(chunks > 10);
    CHECK_EQ_U64(known, chunks);
    check_file(b, true, &chunks, &known);
    CHECK_EQ_U64(known, chunks);
    size_t la, lb;
    uint8_t *da = slurp(a, &la), *db = slurp(b, &lb);
    CHECK(da && db && la == lb && memcmp(da, db, la) == 0);
    free(da);
    free(db);
}

/* Deltas not given (add_event, add_packed), or some unknown: counts and
 * allocated bytes exact, released bytes of what was known, heap not known. */
static void case_unknown(void)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/unknown.trace", dir);
    uint32_t chunks, known;
    make_events(0);
    for (int mode = 0; mode < 4; mode += 3) {
        write_events(p, mode);
        check_file(p, false, &chunks, &known);
        CHECK(chunks > 10);
        CHECK_EQ_U64(known, 0);
    }
    make_events(97);
    for (int mode = 1; mode < 3; mode++) {
        write_events(p, mode);
        check_file(p, true, &chunks, &known);
        CHECK(known < chunks); /* most chunks hold an unknown release */
    }
}

/* A 3.0 file (the corpus's real-writer traces are 2.x, v3-valid 3.0): no
 * summary, and nothing asks for one. */
static void case_old(void)
{
    const char *path = getenv("LEAKSCOPE_TEST_OLD");
    CHECK(path && *path);
    trace_reader *r;
    if (!path || trace_reader_open(path, &r, NULL) != TRACE_OK) {
        CHECK(!"opens");
        return;
    }
    trace_chunk_info ci;
    uint32_t events = 0;
    while (trace_reader_next_chunk(r, &ci) == TRACE_OK) {
        trace_chunk_summary s;
        CHECK(!trace_reader_chunk_summary(r, &s));
        CHECK_EQ_U64(s.nsegments, 0);
        events += ci.kind == TRACE_CHUNK_EVENTS;
    }
    CHECK(events > 0);
    trace_reader_close(r);
}

/* Deltas of 2^46 bytes or more are taken as unknown (nothing added), so
 * the running values never overflow; allocated bytes stay exact. */
static void case_huge(void)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/huge.trace", dir);
    trace_writer *w;
    open_writer(p, &w);
    const uint64_t big = 1ull << 50;
    trace_event ev[] = {
        { .kind = TRACE_ALLOC, .ts = 10, .addr = 0x1000, .size = big, .stack = 1 },
        { .kind = TRACE_ALLOC, .ts = 11, .addr = 0x2000, .size = 100, .stack = 1 },
        { .kind = TRACE_FREE, .ts = 12, .addr = 0x1000 },
        { .kind = TRACE_REALLOC, .ts = 13, .addr = 0x2000, .addr2 = 0x3000, .size = UINT64_MAX, .stack = 1 },
    };
    const int64_t delta[] = { (int64_t)big, 100, -(int64_t)big, INT64_MAX };
    for (int i = 0; i < 4; i++)
        CHECK(trace_writer_add_event_delta(w, 5, &ev[i], delta[i]) == TRACE_OK);
    CHECK(trace_writer_close(w, 0) == TRACE_OK);
    trace_reader *r;
    CHECK(trace_reader_open(p, &r, NULL) == TRACE_OK);
    trace_chunk_info ci;
    uint32_t seen = 0;
    while (r && trace_reader_next_chunk(r, &ci) == TRACE_OK) {
        trace_chunk_summary s;
        if (!trace_reader_chunk_summary(r, &s))
            continue;
        seen++;
        CHECK(!s.heap_known);
        CHECK_EQ_U64(s.unknown_releases, 3);
        CHECK_EQ_U64(s.alloc_bytes, big + 100 + UINT64_MAX);
        CHECK_EQ_U64(s.seg[0].heap_end, 100);
        CHECK_EQ_U64(s.seg[0].heap_max, 100);
        CHECK_EQ_U64(s.released_bytes, big + UINT64_MAX);
    }
    CHECK_EQ_U64(seen, 1);
    trace_reader_close(r);
}

static const test_case cases[] = {
    { "huge", case_huge },
    { "known", case_known },
    { "unknown", case_unknown },
    { "old", case_old },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-summary", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}

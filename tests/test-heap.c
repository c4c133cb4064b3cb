/* test-heap.c — the heap snapshot chunk (FORMAT.md §4.4): written by the
 * writer and read back exactly by the reader and the trace index; the
 * writer refuses a snapshot that breaks the rules; a damaged snapshot chunk
 * is damage that loses no events; a hostile one is refused before anything
 * is allocated for it; in a 2.0 file the kind is unknown.
 *
 * SPDX-License-Identifier: MIT
 */
#include "test-util.h"
#include "trace-index.h"
#include "trace-private.h"
#include "trace-reader.h"
#include "trace-writer.h"

#include <lz4frame.h>
#include <stdbool.h>

static char dir[] = "/tmp/leakscope-test-heap-XXXXXX";

static void path_in_dir(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc((size_t)n + 65536);
    if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
        free(d);
        d = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return d;
}

static void spill(const char *path, const uint8_t *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(d, 1, n, f) == n);
    if (f)
        fclose(f);
}

/* A small snapshot with every kind of record: start and interior
 * pointers, a block pointing to itself, a block of size 0, an unaligned
 * block, module and stack roots. */
typedef struct fixture {
    trace_heap_graph s;
    uint64_t addr[4], size[4];
    trace_heap_range ranges[3];
    trace_heap_root roots[3];
    trace_heap_edge edges[4];
} fixture;

static void make_fixture(fixture *f)
{
    memset(f, 0, sizeof *f);
    const uint64_t addr[4] = { 0x10000, 0x10040, 0x20000, 0x30004 }, size[4] = { 64, 32, 0, 24 };
    memcpy(f->addr, addr, sizeof addr);
    memcpy(f->size, size, sizeof size);
    f->ranges[0] = (trace_heap_range){ TRACE_ROOT_MODULE, 0, 0x400000, 0x401000, 0x1000 };
    f->ranges[1] = (trace_heap_range){ TRACE_ROOT_STACK, 7, 0, 0x7ff000, 0x100 };
    f->ranges[2] = (trace_heap_range){ TRACE_ROOT_TLS, 7, 0, 0x7f0000, 0x40 };
    f->roots[0] = (trace_heap_root){ .range = 0, .to = 0, .address = 0x401010, .value = 0x10000 };
    f->roots[1] = (trace_heap_root){ .range = 0, .to = 1, .address = 0x401018, .value = 0x10048 };
    f->roots[2] = (trace_heap_root){ .range = 1, .to = 2, .address = 0x7ff0f8, .value = 0x20000 };
    f->edges[0] = (trace_heap_edge){ .from = 0, .word = 0, .to = 1, .value = 0x10040 };
    f->edges[1] = (trace_heap_edge){ .from = 0, .word = 3, .to = 0, .value = 0x10008 };
    f->edges[2] = (trace_heap_edge){ .from = 1, .word = 2, .to = 0, .value = 0x10000 };
    f->edges[3] = (trace_heap_edge){ .from = 3, .word = 1, .to = 2, .value = 0x20000 };
    trace_heap_graph *s = &f->s;
    s->ts = 5000;
    s->thread = 7;
    s->flags = 0;
    memcpy(s->label, "exit", 4);
    s->label_len = 4;
    s->nblocks = 4;
    s->nranges = 3;
    s->nroots = 3;
    s->nedges = 4;
    s->unreadable = 16;
    s->addr = f->addr;
    s->size = f->size;
    s->ranges = f->ranges;
    s->roots = f->roots;
    s->edges = f->edges;
}

static void write_trace(const char *path, const trace_heap_graph *s, uint16_t *minor_out)
{
    trace_file_info info;
    memset(&info, 0, sizeof info);
    info.time_unit_ns = 1;
    info.start_ts = 1000;
    snprintf(info.program, sizeof info.program, "/test/heap");
    trace_writer *w;
    CHECK(trace_writer_create(path, &info, &w) == TRACE_OK);
    trace_event ev = { .kind = TRACE_ALLOC, .ts = 2000, .addr = 0x10000, .size = 64 };
    CHECK(trace_writer_add_event(w, 7, &ev) == TRACE_OK);
    CHECK(trace_writer_add_heap_snapshot(w, s) == TRACE_OK);
    ev.ts = 6000;
    ev.addr = 0x50000;
    CHECK(trace_writer_add_event(w, 7, &ev) == TRACE_OK);
    CHECK(trace_writer_close(w, 0) == TRACE_OK);
    if (minor_out)
        *minor_out = TRACE_VERSION_MINOR;
}

static void check_same(const trace_heap_graph *a, const trace_heap_graph *b)
{
    CHECK_EQ_U64(a->ts, b->ts);
    CHECK_EQ_U64(a->thread, b->thread);
    CHECK_EQ_U64(a->flags, b->flags);
    CHECK(a->label_len == b->label_len && memcmp(a->label, b->label, a->label_len) == 0);
    CHECK_EQ_U64(a->unreadable, b->unreadable);
    CHECK_EQ_U64(a->nblocks, b->nblocks);
    CHECK_EQ_U64(a->nranges, b->nranges);
    CHECK_EQ_U64(a->nroots, b->nroots);
    CHECK_EQ_U64(a->nedges, b->nedges);
    if (a->nblocks != b->nblocks || a->nranges != b->nranges || a->nroots != b->nroots || a->nedges != b->nedges)
        return;
    for (uint32_t i = 0; i < a->nblocks; i++)
        CHECK(a->addr[i] == b->addr[i] && a->size[i] == b->size[i]);
    for (uint32_t i = 0; i < a->nranges; i++)
        CHECK(memcmp(&a->ranges[i], &b->ranges[i], sizeof a->ranges[i]) == 0);
    for (uint32_t i = 0; i < a->nroots; i++) {
        const trace_heap_root *x = &a->roots[i], *y = &b->roots[i];
        CHECK(x->range == y->range && x->to == y->to && x->address == y->address && x->value == y->value);
    }
    for (uint32_t i = 0; i < a->nedges; i++) {
        const trace_heap_edge *x = &a->edges[i], *y = &b->edges[i];
        CHECK(x->from == y->from && x->word == y->word && x->to == y->to && x->value == y->value);
    }
}

/* The first heap chunk of the file, read in file order; its info in *ci.
 * Returns the reader (to close) or NULL. */
static trace_reader *find_heap(const char *path, trace_chunk_info *ci, uint32_t *nheap)
{
    trace_reader *r;
    trace_error err;
    if (trace_reader_open(path, &r, &err) != TRACE_OK)
        return NULL;
    trace_chunk_info c;
    *nheap = 0;
    while (trace_reader_next_chunk(r, &c) == TRACE_OK)
        if (c.kind == TRACE_CHUNK_HEAP && (*nheap)++ == 0)
            *ci = c;
    return r;
}

static void case_roundtrip(void)
{
    char path[4096];
    path_in_dir(path, sizeof path, "roundtrip.trace");
    fixture f;
    make_fixture(&f);
    write_trace(path, &f.s, NULL);

    trace_chunk_info ci;
    uint32_t nheap;
    trace_reader *r = find_heap(path, &ci, &nheap);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_EQ_U64(nheap, 1);
    CHECK_EQ_U64(trace_reader_damage_count(r), 0);
    CHECK(trace_reader_complete(r, NULL, NULL));
    CHECK_EQ_U64(trace_reader_info(r)->version_major, TRACE_VERSION_MAJOR);
    CHECK_EQ_U64(trace_reader_info(r)->version_minor, TRACE_VERSION_MINOR);
    CHECK_EQ_U64(ci.thread, 0); /* a 2.0 reader that meets it damaged loses no events */
    CHECK_EQ_U64(ci.count, 3 + 4 + 3 + 4);
    CHECK_EQ_U64(ci.first_ts, 5000);
    trace_heap_graph *s = NULL;
    CHECK(trace_heap_snapshot_load(r, &ci, &s) == TRACE_OK);
    if (s) {
        check_same(&f.s, s);
        CHECK_EQ_U64(s->roots[0].kind, TRACE_ROOT_MODULE);
        CHECK_EQ_U64(s->roots[0].offset_or_address, 0x1010); /* from the module's bias */
        CHECK_EQ_U64(s->roots[2].kind, TRACE_ROOT_STACK);
        CHECK_EQ_U64(s->roots[2].module_or_thread, 7);
        CHECK_EQ_U64(s->roots[2].offset_or_address, 0x7ff0f8);
        CHECK_EQ_U64(trace_heap_find(s->addr, s->size, s->nblocks, 0x1003f), 0);
        CHECK_EQ_U64(trace_heap_find(s->addr, s->size, s->nblocks, 0x10040), 1);
        CHECK_EQ_U64(trace_heap_find(s->addr, s->size, s->nblocks, 0x1005f), 1);
        CHECK_EQ_U64(trace_heap_find(s->addr, s->size, s->nblocks, 0x10060), UINT32_MAX);
        CHECK_EQ_U64(trace_heap_find(s->addr, s->size, s->nblocks, 0x10080), UINT32_MAX); /* one past the end */
        CHECK_EQ_U64(trace_heap_find(s->addr, s->size, s->nblocks, 0x20000), 2);
        CHECK_EQ_U64(trace_heap_find(s->addr, s->size, s->nblocks, 0x20001), UINT32_MAX);
        CHECK_EQ_U64(trace_heap_find(s->addr, s->size, s->nblocks, 0xfff), UINT32_MAX);
    }
    trace_heap_snapshot_free(s);
    /* Not a heap chunk: an error naming it, nothing allocated. */
    trace_chunk_info other = ci;
    other.kind = TRACE_CHUNK_EVENTS;
    CHECK(trace_heap_snapshot_load(r, &other, &s) == TRACE_ERR_ARGS && s == NULL);
    trace_reader_close(r);

    /* The index lists it, decodes it, and its cursors never see it. */
    ls_index *idx;
    trace_error err;
    CHECK(ls_index_open(path, &idx, &err) == TRACE_OK);
    if (!idx)
        return;
    CHECK_EQ_U64(idx->nsnapshots, 1);
    CHECK_EQ_U64(idx->nchunks, 2);
    CHECK_EQ_U64(idx->snapshots[0].first_ts, 5000);
    CHECK(ls_index_snapshot(idx, 0, &s, &err) == TRACE_OK);
    if (s)
        check_same(&f.s, s);
    trace_heap_snapshot_free(s);
    CHECK(ls_index_snapshot(idx, 1, &s, &err) == TRACE_ERR_ARGS && s == NULL);
    ls_merge *m = ls_index_cursor(idx, 0, UINT64_MAX);
    trace_event ev;
    uint64_t n = 0;
    while (m && ls_merge_next(m, &ev) == TRACE_OK)
        n++;
    CHECK_EQ_U64(n, 2);
    ls_merge_free(m);
    ls_index_unref(idx);
}

/* A snapshot that breaks a rule is refused, and the writer goes on. */
static void case_writer_refuses(void)
{
    char path[4096];
    path_in_dir(path, sizeof path, "refused.trace");
    trace_file_info info;
    memset(&info, 0, sizeof info);
    info.time_unit_ns = 1;
    trace_writer *w;
    CHECK(trace_writer_create(path, &info, &w) == TRACE_OK);
    for (int broken = 0; broken < 8; broken++) {
        fixture f;
        make_fixture(&f);
        switch (broken) {
        case 0: f.addr[1] = 0x10020; break;                 /* overlaps block 0 */
        case 1: f.edges[1].word = 8; break;                 /* past block 0's words */
        case 2: f.edges[3].value = 0x20008; break;          /* not into block 2 (size 0) */
        case 3: f.roots[1].address = 0x401010; break;       /* roots out of order */
        case 4: f.roots[2].address = 0x7ff100; break;       /* outside its range */
        case 5: f.ranges[0].start = 0x401004; break;        /* unaligned range */
        case 6: f.edges[2].from = 0; break;                 /* edges out of order */
        case 7: f.s.label_len = TRACE_HEAP_LABEL_MAX + 1; break;
        }
        CHECK(trace_writer_add_heap_snapshot(w, &f.s) == TRACE_ERR_ARGS);
    }
    fixture f;
    make_fixture(&f);
    CHECK(trace_writer_add_heap_snapshot(w, &f.s) == TRACE_OK);
    CHECK(trace_writer_close(w, 0) == TRACE_OK);
    trace_chunk_info ci;
    uint32_t nheap;
    trace_reader *r = find_heap(path, &ci, &nheap);
    CHECK(r && nheap == 1 && trace_reader_damage_count(r) == 0);
    trace_reader_close(r);
}

/* Offsets of the heap chunk in a file of write_trace's: its header's
 * magic, and the payload. */
static size_t heap_chunk_at(const uint8_t *d, size_t len)
{
    size_t at = 8 + trace_get_u32(d + 4);
    while (at + 56 <= len) {
        if (trace_get_u32(d + at + 8) == TRACE_CHUNK_HEAP)
            return at;
        at += 8 + trace_get_u32(d + at + 4) + trace_get_u32(d + at + 8 + 32); /* events headers hold a summary */
    }
    return 0;
}

/* A byte of the snapshot's payload flipped: damage, the snapshot lost, no
 * event lost, the rest read. */
static void case_damaged(void)
{
    char path[4096], out[4096];
    path_in_dir(path, sizeof path, "good.trace");
    path_in_dir(out, sizeof out, "damaged.trace");
    fixture f;
    make_fixture(&f);
    write_trace(path, &f.s, NULL);
    size_t len;
    uint8_t *d = slurp(path, &len);
    CHECK(d != NULL);
    if (!d)
        return;
    size_t at = heap_chunk_at(d, len);
    CHECK(at != 0);
    d[at + 56 + 20] ^= 0x40;
    spill(out, d, len);
    trace_chunk_info ci;
    uint32_t nheap;
    trace_reader *r = find_heap(out, &ci, &nheap);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_U64(nheap, 0);
        CHECK_EQ_U64(trace_reader_damage_count(r), 1);
        const trace_damage *dm = trace_reader_damage(r, 0);
        CHECK(dm && dm->offset == at && dm->kind == TRACE_CHUNK_HEAP && dm->events_known && dm->events_lost == 0);
        CHECK(dm && strstr(dm->problem, "heap snapshot") != NULL);
        uint64_t events;
        CHECK(trace_reader_complete(r, &events, NULL) && events == 2);
        trace_reader_close(r);
    }

    /* The same chunk in a file that says 2.0: an unknown kind there (the
     * file holds allocations only, whose fields 2.0 and 3.0 share). */
    free(d);
    d = slurp(path, &len);
    if (!d)
        return;
    size_t hsize = 8 + trace_get_u32(d + 4);
    trace_put_u16(d + 8 + 8, 2);
    trace_put_u16(d + 8 + 10, 0);
    trace_put_u32(d + hsize - 4, trace_crc32(0, d + 8, hsize - 12));
    spill(out, d, len);
    r = find_heap(out, &ci, &nheap);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_U64(nheap, 0);
        CHECK_EQ_U64(trace_reader_damage_count(r), 1);
        const trace_damage *dm = trace_reader_damage(r, 0);
        CHECK(dm && dm->status == TRACE_ERR_UNKNOWN_KIND && dm->offset == at);
        trace_reader_close(r);
    }
    free(d);
}

/* Replaces the heap chunk's payload with `raw` (a valid crc: written wrong,
 * not damaged) and loads it: the status, with the reader's message in msg. */
static trace_status load_forged(const char *good, const uint8_t *raw, size_t rawlen, uint32_t count, char *msg,
                                size_t msglen)
{
    char out[4096];
    path_in_dir(out, sizeof out, "forged.trace");
    size_t len;
    uint8_t *d = slurp(good, &len);
    if (!d)
        return TRACE_ERR_IO;
    size_t at = heap_chunk_at(d, len), old_end = at + 56 + trace_get_u32(d + at + 8 + 32);
    size_t cap = LZ4F_compressFrameBound(rawlen, NULL);
    uint8_t *comp = malloc(cap);
    size_t comp_len = LZ4F_compressFrame(comp, cap, raw, rawlen, NULL);
    size_t tail = len - old_end;
    uint8_t *n = malloc(at + 56 + comp_len + tail);
    memcpy(n, d, at + 56);
    memcpy(n + at + 56, comp, comp_len);
    memcpy(n + at + 56 + comp_len, d + old_end, tail);
    uint8_t *h = n + at + 8;
    trace_put_u32(h + 24, count);
    trace_put_u32(h + 28, (uint32_t)rawlen);
    trace_put_u32(h + 32, (uint32_t)comp_len);
    trace_put_u32(h + 40, 0);
    trace_put_u32(h + 40, trace_crc32(trace_crc32(0, h, 48), comp, comp_len));
    spill(out, n, at + 56 + comp_len + tail);
    free(comp);
    free(n);
    free(d);
    trace_chunk_info ci;
    uint32_t nheap;
    trace_reader *r = find_heap(out, &ci, &nheap);
    if (!r || nheap != 1 || trace_reader_damage_count(r)) {
        trace_reader_close(r);
        return TRACE_ERR_ARGS;
    }
    trace_heap_graph *s;
    trace_status st = trace_heap_snapshot_load(r, &ci, &s);
    snprintf(msg, msglen, "%s", trace_reader_error(r)->message);
    CHECK(st == TRACE_OK || s == NULL);
    trace_heap_snapshot_free(s);
    trace_reader_close(r);
    return st;
}

static size_t put(uint8_t *p, const uint64_t *v, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        o += trace_put_varint(p + o, v[i]);
    return o;
}

/* Payloads that break a rule, with a valid crc: an error naming the chunk,
 * never an allocation the payload cannot justify. */
static void case_hostile(void)
{
    char good[4096], msg[256];
    path_in_dir(good, sizeof good, "good2.trace");
    fixture f;
    make_fixture(&f);
    write_trace(good, &f.s, NULL);
    uint8_t raw[256];
    /* thread flags label_len label nranges nblocks nroots nedges unreadable */
    struct {
        uint64_t v[24];
        size_t n;
        uint32_t count;
        const char *why;
    } bad[] = {
        { { 7, 0, 0, 0, (1u << 22), 0, 0, 0 }, 8, 1, "counts exceed the payload" },
        { { 7, 0, 0, 0, (1u << 22) + 1, 0, 0, 0 }, 8, 1, "exceeds its limit" },
        { { 7, 0, 300 }, 3, 0, "label length" },
        /* a block past the end of the address space */
        { { 7, 0, 0, 0, 2, 0, 0, 0, 0x1000, 16, UINT64_MAX - 0x1000, 8 }, 12, 2, "overflows" },
        /* a block of size 0 after a block of size 0 at the same place */
        { { 7, 0, 0, 0, 2, 0, 0, 0, 0x1000, 0, 0, 0 }, 12, 2, "blocks out of order" },
        /* an edge pointing one past its target's end */
        { { 7, 0, 0, 0, 2, 0, 1, 0, 0x1000, 16, 0, 16, 1, 0, 0, 16 }, 16, 3, "points into no block" },
        /* an edge word past its block */
        { { 7, 0, 0, 0, 1, 0, 1, 0, 0x1000, 16, 0, 2, 0, 0 }, 14, 2, "outside its block" },
        /* a range of an unknown kind */
        { { 7, 0, 0, 1, 0, 0, 0, 0, 9, 0, 0, 0, 8 }, 13, 1, "unknown range kind" },
        /* a root naming a range that is not there */
        { { 7, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0x2000, 64, 0x1000, 8, 1, 0, 0, 0 }, 19, 3, "names no range" },
        /* the header's count differs */
        { { 7, 0, 0, 0, 1, 0, 0, 0, 0x1000, 8 }, 10, 5, "record count differs" },
        /* trailing bytes */
        { { 7, 0, 0, 0, 1, 0, 0, 0, 0x1000, 8, 0 }, 11, 1, "trailing bytes" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = put(raw, bad[i].v, bad[i].n);
        trace_status st = load_forged(good, raw, n, bad[i].count, msg, sizeof msg);
        CHECK(st == TRACE_ERR_CORRUPT);
        CHECK(strstr(msg, bad[i].why) != NULL && strstr(msg, "chunk at byte offset ") != NULL);
        if (st != TRACE_ERR_CORRUPT || !strstr(msg, bad[i].why))
            fprintf(stderr, "  case %zu: %s: %s\n", i, trace_strerror(st), msg);
    }
    /* And one that follows every rule: read. */
    const uint64_t ok[] = { 7, 0, 0, 1, 2, 1, 1, 0, 1, 9, 0, 0x2000, 64, 0x1000, 16, 0, 8, 0, 1, 2, 0, 0, 1, 2, 0 };
    size_t n = put(raw, ok, sizeof ok / sizeof *ok);
    CHECK(load_forged(good, raw, n, 5, msg, sizeof msg) == TRACE_OK);
}

/* Many blocks and edges, at random: read back exactly. */
static void case_large(void)
{
    char path[4096];
    path_in_dir(path, sizeof path, "large.trace");
    uint32_t nb = 200000, ne = 600000;
    uint64_t *addr = malloc(nb * sizeof *addr), *size = malloc(nb * sizeof *size), seed = 42;
    trace_heap_edge *edges = malloc(ne * sizeof *edges);
    uint64_t at = 0x555555550000;
    for (uint32_t i = 0; i < nb; i++) {
        at += 16 + (test_rnd(&seed) % 4) * 16;
        addr[i] = at;
        size[i] = 8 + test_rnd(&seed) % 120;
        at += size[i];
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < nb && k < ne; i++) {
        uint64_t words = trace_heap_words(addr[i], size[i]);
        for (uint64_t w = 0; w < words && k < ne; w++) {
            if (test_rnd(&seed) % 3)
                continue;
            uint32_t t = (uint32_t)(test_rnd(&seed) % nb);
            edges[k++] = (trace_heap_edge){ .from = i, .word = (uint32_t)w, .to = t,
                                            .value = addr[t] + test_rnd(&seed) % size[t] };
        }
    }
    trace_heap_graph s;
    memset(&s, 0, sizeof s);
    s.ts = 3000;
    s.nblocks = nb;
    s.addr = addr;
    s.size = size;
    s.nedges = k;
    s.edges = edges;
    trace_file_info info;
    memset(&info, 0, sizeof info);
    info.time_unit_ns = 1;
    trace_writer *w;
    CHECK(trace_writer_create(path, &info, &w) == TRACE_OK);
    CHECK(trace_writer_add_heap_snapshot(w, &s) == TRACE_OK);
    CHECK(trace_writer_close(w, 0) == TRACE_OK);
    trace_chunk_info ci;
    uint32_t nheap;
    trace_reader *r = find_heap(path, &ci, &nheap);
    trace_heap_graph *got = NULL;
    CHECK(r && nheap == 1 && trace_heap_snapshot_load(r, &ci, &got) == TRACE_OK);
    if (got)
        check_same(&s, got);
    printf("# %u blocks, %u edges: %u bytes raw, %u compressed\n", nb, k, ci.raw_size, ci.comp_size);
    trace_heap_snapshot_free(got);
    trace_reader_close(r);
    free(addr);
    free(size);
    free(edges);
}

int main(int argc, char **argv)
{
    static const test_case cases[] = {
        { "roundtrip", case_roundtrip },
        { "writer-refuses", case_writer_refuses },
        { "damaged", case_damaged },
        { "hostile", case_hostile },
        { "large", case_large },
    };
    return test_run_cases(argv[0], cases, sizeof cases / sizeof *cases, argc, argv, dir);
}

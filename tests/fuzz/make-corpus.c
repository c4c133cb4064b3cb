/* make-corpus.c — writes the named seed / regression inputs of the fuzz
 * targets (tests/fuzz/corpus/). The outputs are checked in; rerun after a
 * format change:  build/tests/fuzz/make-corpus tests/fuzz/corpus
 *
 * Hand-built chunks carry correct CRC-32s unless the case is about the
 * checksum, so the decoder behind the checksum is what they reach.
 *
 * The real-writer-* files and the damage-* cases cut from them are checked
 * in as the 2.0 writer made them (a 2.0 recording must stay readable); this
 * writer makes them 2.1, which changes their version bytes and header crc
 * only. The heap-* files are 2.1.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "trace-huff.h"
#include "trace-private.h"
#include "trace-summary.h"
#include "trace-writer.h"

#include <lz4frame.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *outdir;

typedef struct buf {
    uint8_t d[1 << 20];
    size_t n;
} buf;

static buf F, P;            /* the file being built; a chunk payload */

static void die(const char *what)
{
    fprintf(stderr, "make-corpus: %s\n", what);
    exit(1);
}

static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n > sizeof b->d)
        die("buffer full");
    memcpy(b->d + b->n, p, n);
    b->n += n;
}
static void put8(buf *b, uint8_t v) { put(b, &v, 1); }
static void putv(buf *b, uint64_t v)
{
    uint8_t t[TRACE_VARINT_MAX];
    put(b, t, trace_put_varint(t, v));
}
static void put32(buf *b, uint32_t v)
{
    uint8_t t[4];
    trace_put_u32(t, v);
    put(b, t, 4);
}

static void save(const char *name, const buf *b, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(b->d, 1, len, f) != len) || fclose(f) != 0)
        die(path);
}

/* The hand-built cases are format 1 (their bytes stay what they were); the
 * v2-* and v3-* cases set these. */
static unsigned hdr_major = 1, hdr_minor = 0;
static uint8_t col_mode[TRACE_COLUMNS]; /* format 2: how ev_payload codes each column */
static trace_huff_enc henc;
static trace_huff_hist hhist;

static uint32_t chunk_seq; /* the next chunk's sequence number */

/* A valid file header (unit 1 ns, start 1000). */
static void file_header(void)
{
    F.n = 0;
    chunk_seq = 0;
    const char prog[] = "/corpus/program";
    uint32_t size = TRACE_FILE_HEADER_FIXED + (uint32_t)strlen(prog) + 4;
    uint8_t h[256] = { 0 };
    memcpy(h, TRACE_FILE_MAGIC, 8);
    trace_put_u16(h + 8, (uint16_t)hdr_major);
    trace_put_u16(h + 10, (uint16_t)hdr_minor);
    trace_put_u32(h + 16, 4242);
    trace_put_u32(h + 20, 1);
    trace_put_u64(h + 24, 1000);
    trace_put_u64(h + 32, 1700000000000000000ull);
    trace_put_u32(h + 40, TRACE_CLOCK_MONOTONIC);
    trace_put_u32(h + 44, 8);
    trace_put_u32(h + 48, 32);
    trace_put_u32(h + 52, (uint32_t)strlen(prog));
    memcpy(h + TRACE_FILE_HEADER_FIXED, prog, strlen(prog));
    trace_put_u32(h + size - 4, trace_crc32(0, h, size - 4));
    put32(&F, TRACE_MAGIC_FILE_HEADER);
    put32(&F, size);
    put(&F, h, size);
}

/* What a hand-built chunk header may lie about. */
typedef struct lie {
    int set_raw, set_comp, set_count, bad_crc;
    uint32_t raw, comp, count;
} lie;

/* Appends a chunk holding payload P (compressed as one LZ4 frame). */
static void chunk(uint32_t kind, uint32_t thread, uint64_t first, uint64_t last, uint32_t count, lie l)
{
    static uint8_t comp[1 << 21];
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.contentSize = P.n;
    size_t n = LZ4F_compressFrame(comp, sizeof comp, P.d, P.n, &prefs);
    if (LZ4F_isError(n))
        die("lz4");
    uint8_t h[TRACE_CHUNK_HEADER_SIZE] = { 0 };
    trace_put_u32(h + 0, kind);
    trace_put_u32(h + 4, thread);
    trace_put_u64(h + 8, first);
    trace_put_u64(h + 16, last);
    trace_put_u32(h + 24, l.set_count ? l.count : count);
    trace_put_u32(h + 28, l.set_raw ? l.raw : (uint32_t)P.n);
    trace_put_u32(h + 32, l.set_comp ? l.comp : (uint32_t)n);
    trace_put_u32(h + 36, chunk_seq++);
    uint32_t crc = trace_crc32(trace_crc32(0, h, sizeof h), comp, n);
    trace_put_u32(h + 40, l.bad_crc ? crc ^ 0x00010000u : crc);
    put32(&F, TRACE_MAGIC_CHUNK_HEADER);
    put32(&F, sizeof h);
    put(&F, h, sizeof h);
    put(&F, comp, n);
    P.n = 0;
}

static const lie TRUTH = { 0 };

static void end_chunk(uint64_t events, uint64_t lost)
{
    P.n = 0;
    putv(&P, events);
    putv(&P, lost);
    chunk(TRACE_CHUNK_END, 0, 0, 0, 0, TRUTH);
}

/* Dictionary: strings 1 "fd", 2 "main-loop"; stack 1 with `depth` frames. */
static void dict(uint32_t depth)
{
    P.n = 0;
    put8(&P, TRACE_STRING_DEF); putv(&P, 1); putv(&P, 2); put(&P, "fd", 2);
    put8(&P, TRACE_STRING_DEF); putv(&P, 2); putv(&P, 9); put(&P, "main-loop", 9);
    put8(&P, TRACE_STACK_DEF); putv(&P, 1); putv(&P, depth);
    uint64_t prev = 0;
    for (uint32_t i = 0; i < depth; i++) {
        uint64_t f = 0x401000 + 0x10 * (uint64_t)(i % 7) + (i % 2 ? 0x7f0000000000ull : 0);
        putv(&P, trace_zigzag((int64_t)(f - prev)));
        prev = f;
    }
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 3, TRUTH);
}

/* Columns of an events payload, filled by the cases, then assembled. */
static buf K, C[TRACE_COLUMNS];

static void ev_reset(void)
{
    K.n = 0;
    for (int i = 0; i < TRACE_COLUMNS; i++)
        C[i].n = 0;
}

/* alloc of `size` at literal address `addr`, stack `stack`, `dt` after the previous event */
static uint64_t lit_prev;
static void ev_alloc(uint64_t dt, uint64_t addr, uint64_t size, uint64_t stack)
{
    put8(&K, TRACE_ALLOC);
    putv(&C[TRACE_COL_TS], dt);
    putv(&C[TRACE_COL_ADDR_NEW], 0);
    putv(&C[TRACE_COL_ADDR_LIT], trace_zigzag((int64_t)(addr - lit_prev)));
    lit_prev = addr;
    putv(&C[TRACE_COL_SIZE], size);
    putv(&C[TRACE_COL_STACK], stack);
}

/* free of the address made live `distance` allocations ago */
static void ev_free_recent(uint64_t dt, uint64_t distance)
{
    put8(&K, TRACE_FREE);
    putv(&C[TRACE_COL_TS], dt);
    putv(&C[TRACE_COL_ADDR_OLD], distance);
}

static void ev_str(uint8_t kind, uint64_t dt, uint64_t str)
{
    put8(&K, kind);
    putv(&C[TRACE_COL_TS], dt);
    putv(&C[TRACE_COL_STR], str);
}

static void ev_open(uint64_t dt, uint64_t kind_str, uint64_t handle, uint64_t stack)
{
    put8(&K, TRACE_RES_OPEN);
    putv(&C[TRACE_COL_TS], dt);
    putv(&C[TRACE_COL_STR], kind_str);
    putv(&C[TRACE_COL_U64], handle);
    putv(&C[TRACE_COL_SIZE], 0);
    putv(&C[TRACE_COL_STACK], stack);
}

/* close of `handle` (kind string `kind_str`); in format 3 at stack `stack` */
static void ev_close(uint64_t dt, uint64_t kind_str, uint64_t handle, uint64_t stack)
{
    put8(&K, TRACE_RES_CLOSE);
    putv(&C[TRACE_COL_TS], dt);
    putv(&C[TRACE_COL_STR], kind_str);
    putv(&C[TRACE_COL_U64], handle);
    if (hdr_major >= 3)
        putv(&C[TRACE_COL_STACK], stack);
}

/* Assembles K and C into P; `n` is the count written in the payload. */
static void ev_payload(uint64_t n)
{
    P.n = 0;
    putv(&P, n);
    put(&P, K.d, K.n);
    for (int i = 0; i < TRACE_COLUMNS; i++) {
        if (hdr_major < 2) {
            putv(&P, C[i].n);
            put(&P, C[i].d, C[i].n);
            continue;
        }
        static uint8_t body[1 << 16];
        size_t bn = 0;
        if (col_mode[i] != TRACE_COLUMN_VARINT) {
            const uint8_t *ctx = col_mode[i] == TRACE_COLUMN_HUFFMAN_BY_KIND ? K.d : NULL;
            bn = trace_huff_encode(&henc, trace_huff_count_all(&hhist, C[i].d, C[i].n, ctx), C[i].d, C[i].n, ctx,
                                   body, sizeof body - 8);
            if (!bn)
                die("huffman");
        }
        putv(&P, (bn ? bn : C[i].n) + 1);
        put8(&P, col_mode[i]);
        if (bn)
            put(&P, body, bn);
        else
            put(&P, C[i].d, C[i].n);
    }
}

/* Format 2 cases: the small valid chunk with its timestamps coded by kind
 * and its sizes with one code; `mutate` then spoils payload byte offsets. */
/* Format `major` (2 or later) with the writer's codings: timestamps coded
 * by kind, sizes with one code, the rest varints. */
static void coded_columns(unsigned major)
{
    hdr_major = major;
    memset(col_mode, TRACE_COLUMN_VARINT, sizeof col_mode);
    col_mode[TRACE_COL_TS] = TRACE_COLUMN_HUFFMAN_BY_KIND;
    col_mode[TRACE_COL_SIZE] = TRACE_COLUMN_HUFFMAN;
}

/* A file header, the dictionary of dict(3) and empty event columns. */
static void small_file_start(void)
{
    file_header();
    dict(3);
    ev_reset();
    lit_prev = 0;
}

static void v2_case(const char *name, void (*mutate)(void))
{
    coded_columns(2);
    small_file_start();
    ev_alloc(0, 0x5000, 100, 1);
    ev_alloc(10, 0x5100, 200, 1);
    ev_free_recent(10, 1);
    ev_open(10, 1, 3, 1);
    ev_str(TRACE_SPAN_BEGIN, 10, 2);
    ev_str(TRACE_MARK, 10, 2);
    ev_str(TRACE_SPAN_END, 10, 2);
    if (mutate)
        mutate();
    else
        ev_payload(7);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2060, 7, TRUTH);
    end_chunk(7, 0);
    save(name, &F, F.n);
    hdr_major = 1;
}

/* Offset in P of column `col`'s mode byte. */
static size_t col_at(int col)
{
    const uint8_t *p = P.d, *e = P.d + P.n;
    uint64_t v = 0;
    trace_get_varint(&p, e, &v);
    p += v;
    for (int i = 0;; i++) {
        trace_get_varint(&p, e, &v);
        if (i == col)
            return (size_t)(p - P.d);
        p += v;
    }
}

/* Offset in P of the size column's code table bitmap; *m gets M. */
static size_t size_bitmap_at(uint64_t *m)
{
    const uint8_t *p = P.d + col_at(TRACE_COL_SIZE) + 1;
    *m = 0;
    trace_get_varint(&p, P.d + P.n, m);
    return (size_t)(p - P.d);
}

static void m_oversubscribed(void)
{
    ev_payload(7);
    uint64_t m;
    size_t at = size_bitmap_at(&m);
    P.d[at + (m + 7) / 8] = 0x11;   /* the first two lengths: 1 and 1, then more */
}
static void m_unknown_mode(void)
{
    ev_payload(7);
    P.d[col_at(TRACE_COL_U64)] = 7;
}
static void m_cut_bits(void)
{
    /* one timestamp fewer than events: the bitstream runs out */
    C[TRACE_COL_TS].n--;
    ev_payload(7);
}
static void m_kind_without_code(void)
{
    ev_payload(7);
    size_t at = col_at(TRACE_COL_TS) + 1;   /* the 32-bit mask of kinds with a code */
    P.d[at] &= (uint8_t)~(1u << TRACE_ALLOC);
}
static void m_no_symbols(void)
{
    ev_payload(7);
    uint64_t m;
    size_t at = size_bitmap_at(&m);
    memset(P.d + at, 0, (size_t)(m + 7) / 8);
}
static void m_rank_outside_class(void)
{
    /* the second allocation claims the address released last from its class */
    C[TRACE_COL_ADDR_NEW].n = 0;
    C[TRACE_COL_ADDR_LIT].n = 0;
    lit_prev = 0;
    putv(&C[TRACE_COL_ADDR_NEW], 0);
    putv(&C[TRACE_COL_ADDR_LIT], trace_zigzag(0x5000));
    putv(&C[TRACE_COL_ADDR_NEW], 1);
    ev_payload(7);
}
static void m_empty_column(void)
{
    memset(col_mode, TRACE_COLUMN_VARINT, sizeof col_mode);
    ev_payload(7);
    size_t at = col_at(TRACE_COL_U64);      /* the u64 column: length 1 -> 0, no mode byte */
    P.d[at - 1] = 0;
    memmove(P.d + at, P.d + at + 1, P.n - at - 1);
    P.n--;
}

/* A small valid events chunk of thread 7 from ts 2000: alloc, alloc, free,
 * open fd, span, mark. Returns the last timestamp. */
static uint64_t valid_events(uint64_t stack)
{
    ev_reset();
    lit_prev = 0;
    ev_alloc(0, 0x5000, 100, stack);
    ev_alloc(10, 0x5100, 200, stack);
    ev_free_recent(10, 1);
    ev_open(10, 1, 3, stack);
    ev_str(TRACE_SPAN_BEGIN, 10, 2);
    ev_str(TRACE_MARK, 10, 2);
    ev_str(TRACE_SPAN_END, 10, 2);
    ev_payload(7);
    return 2000 + 60;
}

static void valid_file(void)
{
    file_header();
    dict(3);
    uint64_t last = valid_events(1);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, last, 7, TRUTH);
}

/* Real traces through the writer API. */
/* The writer of corpus case `name` (its path in path[512]): a file of
 * process `pid` running `program`, ns timestamps from 5000, and what `more`
 * adds to that (may be NULL). */
static trace_writer *corpus_writer(const char *name, uint32_t pid, const char *program,
                                   void (*more)(trace_file_info *), char *path)
{
    snprintf(path, 512, "%s/%s", outdir, name);
    trace_file_info info;
    memset(&info, 0, sizeof info);
    info.pid = pid;
    info.time_unit_ns = 1;
    info.start_ts = 5000;
    snprintf(info.program, sizeof info.program, "%s", program);
    if (more)
        more(&info);
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        die(path);
    return w;
}

static void writer_info(trace_file_info *info)
{
    info->start_realtime_ns = 1700000000000000000ull;
    info->stack_depth = 8;
}

static void writer_trace(const char *name, int threads, int per_thread, int close_it)
{
    char path[512];
    trace_writer *w = corpus_writer(name, 99, "/usr/bin/writer-corpus", writer_info, path);
    static const uint8_t bid[20] = { 0xde, 0xad, 0xbe, 0xef };
    trace_writer_add_module(w, 5000, 0x400000, 0x400000, 0x480000, "/usr/bin/writer-corpus", 22, bid, sizeof bid);
    trace_writer_add_string(w, 1, "fd/file", 7);
    trace_writer_add_string(w, 2, "worker", 6);
    trace_writer_add_string(w, 3, "gc: full", 8);
    trace_writer_add_string(w, 4, "FILE", 4);
    uint64_t frames[3] = { 0x401234, 0x401456, 0x7f0000001000 };
    trace_writer_add_stack(w, 1, frames, 3);
    trace_writer_add_stack(w, 2, frames + 1, 2);
    uint64_t ts = 6000;
    for (int t = 0; t < threads; t++) {
        uint32_t tid = 100 + (uint32_t)t;
        trace_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = TRACE_THREAD_NAME; ev.ts = ts++; ev.str = 2;
        trace_writer_add_event(w, tid, &ev);
        for (int i = 0; i < per_thread; i++) {
            uint64_t p = 0x10000000ull * (uint64_t)(t + 1) + 32 * (uint64_t)i;
            memset(&ev, 0, sizeof ev);
            ev.kind = TRACE_ALLOC; ev.ts = ts++; ev.addr = p; ev.size = 16 + (uint64_t)(i % 50); ev.stack = 1 + (uint64_t)(i % 2);
            trace_writer_add_event(w, tid, &ev);
            if (i % 3) {
                memset(&ev, 0, sizeof ev);
                ev.kind = TRACE_FREE; ev.ts = ts++; ev.addr = p;
                trace_writer_add_event(w, tid, &ev);
            }
            if (i % 10 == 0) {
                memset(&ev, 0, sizeof ev);
                ev.kind = TRACE_REALLOC; ev.ts = ts++; ev.addr = p + 8; ev.addr2 = p + 16; ev.size = 64; ev.stack = 2;
                trace_writer_add_event(w, tid, &ev);
                memset(&ev, 0, sizeof ev);
                ev.kind = TRACE_RES_OPEN; ev.ts = ts++; ev.str = (i % 20) ? 1 : 4; ev.value = (uint64_t)i; ev.stack = 1;
                trace_writer_add_event(w, tid, &ev);
                memset(&ev, 0, sizeof ev);
                ev.kind = TRACE_GC_BEGIN; ev.ts = ts++; ev.str = 3;
                trace_writer_add_event(w, tid, &ev);
                memset(&ev, 0, sizeof ev);
                ev.kind = TRACE_GC_END; ev.ts = ts += 100; ev.size = 4096;
                trace_writer_add_event(w, tid, &ev);
            }
            if (i % 20 == 5) {
                memset(&ev, 0, sizeof ev);
                ev.kind = TRACE_RES_CLOSE; ev.ts = ts++; ev.str = 1; ev.value = (uint64_t)(i - 5);
                trace_writer_add_event(w, tid, &ev);
            }
        }
        memset(&ev, 0, sizeof ev);
        ev.kind = TRACE_LOST; ev.ts = ts++; ev.value = 3;
        trace_writer_add_event(w, tid, &ev);
        trace_writer_flush(w);
    }
    if (close_it) {
        if (trace_writer_close(w, 3) != TRACE_OK)
            die("writer close");
    } else {
        trace_writer_flush(w);
        trace_writer_abandon(w);
    }
}

/* ---- Damage: a real trace mutated the ways disks and copies damage files.
 * The verdicts are in tests/fuzz/verdicts.txt. */

typedef struct chunk_at {
    size_t off, end;
} chunk_at;

/* Reads outdir/name into F and finds its chunks; returns how many. */
static int load_chunks(const char *name, chunk_at *at, int max)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    F.n = fread(F.d, 1, sizeof F.d, f);
    fclose(f);
    size_t pos = 8 + trace_get_u32(F.d + 4);
    int n = 0;
    while (pos + 56 <= F.n && n < max) {
        size_t end = pos + 8 + trace_get_u32(F.d + pos + 4) + trace_get_u32(F.d + pos + 8 + 32);
        at[n++] = (chunk_at){ pos, end };
        pos = end;
    }
    return n;
}

/* Saves F with bytes [from, to) replaced by `with` (len bytes). */
static void save_spliced(const char *name, size_t from, size_t to, const uint8_t *with, size_t len)
{
    static buf out;
    out.n = 0;
    put(&out, F.d, from);
    put(&out, with, len);
    put(&out, F.d + to, F.n - to);
    save(name, &out, out.n);
}

static void damage_cases(void)
{
    chunk_at c[16];
    /* real-writer-3-threads: dict, events x3 (26, 26, 26 + lost), end. */
    int n = load_chunks("real-writer-3-threads", c, 16);
    if (n != 5)
        die("real-writer-3-threads: expected 5 chunks");
    uint8_t saved;
    saved = F.d[c[2].off + 8];
    F.d[c[2].off + 8] ^= 0x40;                   /* kind 1 -> 0x41 */
    save("damage-kind-byte-flipped", &F, F.n);
    F.d[c[2].off + 8] = saved;
    size_t mid = (c[2].off + 56 + c[2].end) / 2;
    F.d[mid] ^= 0x10;
    save("damage-payload-corrupt", &F, F.n);
    F.d[mid] ^= 0x10;
    save_spliced("damage-chunk-repeated", c[2].end, c[2].end, F.d + c[2].off, c[2].end - c[2].off);
    save_spliced("damage-chunk-deleted", c[2].off, c[2].end, NULL, 0);
    {
        /* The first two events chunks swapped: read, nothing lost. */
        static uint8_t swapped[1024];
        size_t a = c[1].end - c[1].off, b = c[2].end - c[2].off;
        if (a + b > sizeof swapped)
            die("damage-chunks-swapped: chunks too large");
        memcpy(swapped, F.d + c[2].off, b);
        memcpy(swapped + b, F.d + c[1].off, a);
        save_spliced("damage-chunks-swapped", c[1].off, c[2].end, swapped, a + b);
    }
    F.d[c[2].off + 8 + 34] ^= 0x7f;              /* comp: far past the end */
    save("damage-header-size-garbled", &F, F.n);
    F.d[c[2].off + 8 + 34] ^= 0x7f;
    F.d[c[2].off + 1] ^= 0xff;                   /* no chunk magic */
    save("damage-magic-overwritten", &F, F.n);
    F.d[c[2].off + 1] ^= 0xff;
    mid = (c[0].off + 56 + c[0].end) / 2;
    F.d[mid] ^= 0x10;
    save("damage-dict-corrupt", &F, F.n);       /* every id lost */
    F.d[mid] ^= 0x10;
    /* Two places: the first and the last events chunk. */
    F.d[c[1].off + 60] ^= 1;
    F.d[c[3].off + 60] ^= 1;
    save("damage-two-chunks", &F, F.n);
    F.d[c[1].off + 60] ^= 1;
    F.d[c[3].off + 60] ^= 1;
    /* Garbage where the END chunk was: damage to the end of the file. */
    static const uint8_t junk[64] = { 'j', 'u', 'n', 'k' };
    save_spliced("damage-garbage-at-end", c[4].off, c[4].end, junk, sizeof junk);
    /* The END chunk gone: incomplete, not damaged. */
    save_spliced("incomplete-no-end-chunk", c[4].off, c[4].end, NULL, 0);
    /* The last events chunk cut short with the END chunk gone: truncated. */
    save_spliced("truncated-last-chunk", (c[3].off + c[3].end) / 2, c[4].end, NULL, 0);

    /* A dictionary chunk lost between two: the next one's ids skip ahead,
     * events naming the lost ids are counted, the rest read as usual. */
    file_header();
    dict(3);                                     /* strings 1, 2; stack 1 */
    P.n = 0;
    put8(&P, TRACE_STRING_DEF); putv(&P, 3); putv(&P, 4); put(&P, "lost", 4);
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 1, (lie){ .bad_crc = 1 });
    P.n = 0;
    put8(&P, TRACE_STRING_DEF); putv(&P, 4); putv(&P, 4); put(&P, "kept", 4);
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 1, TRUTH);
    ev_reset();
    ev_str(TRACE_MARK, 0, 3);                    /* lost */
    ev_str(TRACE_MARK, 1, 4);                    /* kept */
    ev_str(TRACE_MARK, 1, 2);                    /* defined before the damage */
    ev_payload(3);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2002, 3, TRUTH);
    end_chunk(3, 0);
    save("damage-dict-lost-between", &F, F.n);

    /* A dictionary chunk after the events chunk that uses its ids: corrupt
     * for every reader (ids are defined before use, in file order). */
    file_header();
    ev_reset();
    ev_str(TRACE_MARK, 0, 1);
    ev_payload(1);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2000, 1, TRUTH);
    dict(3);
    end_chunk(1, 0);
    save("dict-after-its-use", &F, F.n);
}

/* A trace through the writer with a heap snapshot (format 2.1): two
 * blocks, a global root, an edge; and the same with the snapshot chunk's
 * payload damaged (its crc fails: the snapshot is lost, no event). */
static void heap_traces(void)
{
    char path[512];
    trace_writer *w = corpus_writer("heap-snapshot", 99, "/usr/bin/heap-corpus", NULL, path);
    trace_event ev = { .kind = TRACE_ALLOC, .ts = 6000, .addr = 0x10000, .size = 64 };
    trace_writer_add_event(w, 7, &ev);
    ev.ts = 6010;
    ev.addr = 0x10040;
    ev.size = 32;
    trace_writer_add_event(w, 7, &ev);
    uint64_t addr[2] = { 0x10000, 0x10040 }, size[2] = { 64, 32 };
    trace_heap_range range = { TRACE_ROOT_MODULE, 0, 0x400000, 0x404000, 0x100 };
    trace_heap_root root = { .range = 0, .to = 0, .address = 0x404010, .value = 0x10000 };
    trace_heap_edge edge = { .from = 0, .word = 1, .to = 1, .value = 0x10048 };
    trace_heap_graph g = { .ts = 6020, .thread = 7, .label = "exit", .label_len = 4, .nblocks = 2, .nranges = 1,
                           .nroots = 1, .nedges = 1, .addr = addr, .size = size, .ranges = &range, .roots = &root,
                           .edges = &edge };
    if (trace_writer_add_heap_snapshot(w, &g) != TRACE_OK || trace_writer_close(w, 0) != TRACE_OK)
        die(path);
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    F.n = fread(F.d, 1, sizeof F.d, f);
    fclose(f);
    size_t at = 8 + trace_get_u32(F.d + 4);
    while (at + 56 <= F.n && trace_get_u32(F.d + at + 8) != TRACE_CHUNK_HEAP)
        at += 8 + trace_get_u32(F.d + at + 4) + trace_get_u32(F.d + at + 8 + 32);
    if (at + 56 + 20 > F.n)
        die("no heap chunk");
    F.d[at + 56 + 12] ^= 0x20;
    save("heap-snapshot-damaged", &F, F.n);
}

/* Format 3: closes carry a stack (FORMAT.md §6). A valid file with coded
 * columns (the golden: dump prints each close's stack id), a close naming
 * a stack never defined (corrupt, as an open's would be), one naming a
 * stack lost with a damaged dictionary chunk (read as 0 and counted); and
 * a 2.1 file with a chunk of a kind 2.1 does not have, crc valid: damage
 * for a 3.0 reader too, which knows 2.1 in full (§4). */
static void v3_cases(void)
{
    coded_columns(3);
    for (int undefined = 0; undefined < 2; undefined++) {
        small_file_start();
        ev_alloc(0, 0x5000, 100, 1);
        ev_open(10, 1, 3, 1);
        ev_open(10, 1, 4, 1);
        ev_close(10, 1, 3, undefined ? 5 : 1);
        ev_close(10, 1, 4, 0);
        ev_str(TRACE_MARK, 10, 2);
        ev_payload(6);
        chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2050, 6, TRUTH);
        end_chunk(6, 0);
        save(undefined ? "v3-close-stack-id-undefined" : "v3-valid-close-stacks", &F, F.n);
    }

    memset(col_mode, TRACE_COLUMN_VARINT, sizeof col_mode);
    file_header();
    dict(3);                                     /* strings 1, 2; stack 1 */
    P.n = 0;
    put8(&P, TRACE_STACK_DEF); putv(&P, 2); putv(&P, 1); putv(&P, trace_zigzag(0x401000));
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 1, (lie){ .bad_crc = 1 });
    P.n = 0;
    put8(&P, TRACE_STACK_DEF); putv(&P, 3); putv(&P, 1); putv(&P, trace_zigzag(0x402000));
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 1, TRUTH);
    ev_reset();
    ev_open(0, 1, 3, 1);
    ev_close(1, 1, 3, 2);                        /* lost */
    ev_open(1, 1, 4, 3);
    ev_close(1, 1, 4, 3);                        /* kept */
    ev_payload(4);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2003, 4, TRUTH);
    end_chunk(4, 0);
    save("v3-close-stack-id-lost", &F, F.n);

    hdr_major = 2;
    hdr_minor = 1;
    valid_file();
    P.n = 0;
    put(&P, "future", 6);
    chunk(9, 0, 0, 0, 1, TRUTH);
    end_chunk(7, 0);
    save("v2.1-unknown-chunk-kind", &F, F.n);
    hdr_major = 1;
    hdr_minor = 0;
}

/* ---- Format 3.1: the events chunk header's summary (FORMAT.md §4.1.3).
 * summary-valid is the writer's (one thread, 700 events: three segments,
 * heap known); each other case changes its events chunk's summary and
 * gives the header a valid crc, so that the summary's rules are what the
 * reader meets: a summary that breaks a header's rule makes the header
 * damage (§7.1), one that the events contradict makes the chunk corrupt. */

static void summary_valid(void)
{
    char path[512];
    trace_writer *w = corpus_writer("summary-valid", 31, "/usr/bin/summary-corpus", NULL, path);
    trace_writer_add_string(w, 1, "fd", 2);
    uint64_t frames[1] = { 0x401234 };
    trace_writer_add_stack(w, 1, frames, 1);
    uint64_t ts = 6000;
    for (int i = 0; i < 700; i++) {
        trace_event ev;
        memset(&ev, 0, sizeof ev);
        ev.ts = ts += 3;
        int64_t delta = 0;
        uint64_t p = 0x20000000ull + 64 * (uint64_t)(i / 2);
        if (i % 50 == 7) {
            ev.kind = i % 100 == 7 ? TRACE_RES_OPEN : TRACE_RES_CLOSE;
            ev.str = 1;
            ev.value = 3;
            ev.stack = 1;
        } else if (i % 2 == 0 || i % 9 == 0) {
            ev.kind = TRACE_ALLOC;
            ev.addr = p + (uint64_t)(i % 2) * 32;
            ev.size = 24 + (uint64_t)(i % 7);
            ev.stack = 1;
            delta = (int64_t)ev.size;
        } else {
            ev.kind = TRACE_FREE; /* the block allocated just before */
            ev.addr = p;
            delta = -(int64_t)(24 + (uint64_t)((i - 1) % 7));
        }
        if (trace_writer_add_event_delta(w, 1, &ev, delta) != TRACE_OK)
            die("summary-valid");
    }
    if (trace_writer_close(w, 0) != TRACE_OK)
        die("writer close");
}

/* summary-valid with its events chunk's summary changed by `mutate`,
 * which recodes it at out and returns its length. */
static void summary_case(const char *name, size_t (*mutate)(trace_chunk_summary *s, uint8_t *out))
{
    chunk_at c[8];
    int n = load_chunks("summary-valid", c, 8), i = 0;
    while (i < n && trace_get_u32(F.d + c[i].off + 8) != TRACE_CHUNK_EVENTS)
        i++;
    if (i == n)
        die("summary-valid has no events chunk");
    const uint8_t *h = F.d + c[i].off + 8;
    uint32_t hsize = trace_get_u32(F.d + c[i].off + 4), comp = trace_get_u32(h + 32);
    trace_chunk_summary s;
    const char *why;
    if (!trace_summary_decode(h + 52, trace_get_u32(h + 48), trace_get_u64(h + 8), trace_get_u64(h + 16),
                              trace_get_u32(h + 24), 1, &s, &why))
        die(why);
    static uint8_t frame[8 + TRACE_CHUNK_HEADER_MAX];
    uint8_t *nh = frame + 8;
    memcpy(nh, h, TRACE_CHUNK_HEADER_SIZE);
    size_t len = mutate(&s, nh + 52);
    trace_put_u32(nh + 48, (uint32_t)len);
    trace_put_u32(frame, TRACE_MAGIC_CHUNK_HEADER);
    trace_put_u32(frame + 4, (uint32_t)(52 + len));
    trace_put_u32(nh + 40, 0);
    uint32_t crc = trace_crc32(trace_crc32(0, nh, 52 + len), h + hsize, comp);
    trace_put_u32(nh + 40, crc);
    save_spliced(name, c[i].off, c[i].off + 8 + hsize, frame, 8 + 52 + len);
}

static uint64_t chunk_first(const trace_chunk_summary *s) { return s->seg[0].first_ts; }
static size_t sm_nseg0(trace_chunk_summary *s, uint8_t *out)
{
    s->nsegments = 0;
    return trace_summary_encode(s, chunk_first(s), out);
}
static size_t sm_nseg17(trace_chunk_summary *s, uint8_t *out)
{
    uint32_t nseg = s->nsegments;
    s->nsegments = 0;
    size_t at = trace_summary_encode(s, chunk_first(s), out) - 1; /* where the segment count is */
    s->nsegments = nseg;
    size_t len = trace_summary_encode(s, chunk_first(s), out);
    out[at] = 17;
    return len;
}
static size_t sm_events(trace_chunk_summary *s, uint8_t *out)
{
    s->seg[0].events++;
    return trace_summary_encode(s, chunk_first(s), out);
}
static size_t sm_time_outside(trace_chunk_summary *s, uint8_t *out)
{
    s->seg[s->nsegments - 1].last_ts += 5;
    return trace_summary_encode(s, chunk_first(s), out);
}
static size_t sm_min_above_end(trace_chunk_summary *s, uint8_t *out)
{
    s->seg[1].heap_min = s->seg[1].heap_end + 1;
    return trace_summary_encode(s, chunk_first(s), out);
}
static size_t sm_heap_overflow(trace_chunk_summary *s, uint8_t *out)
{
    s->seg[0].heap_end = s->seg[0].heap_max = INT64_MAX;
    s->seg[1].heap_end = s->seg[1].heap_min = INT64_MIN; /* coded as INT64_MAX + 1 */
    return trace_summary_encode(s, chunk_first(s), out);
}
static size_t sm_kinds(trace_chunk_summary *s, uint8_t *out)
{
    s->kind_counts[TRACE_ALLOC]++; /* the header's rules still hold */
    s->kind_counts[TRACE_FREE]--;
    return trace_summary_encode(s, chunk_first(s), out);
}
static size_t sm_alloc_bytes(trace_chunk_summary *s, uint8_t *out)
{
    s->alloc_bytes += 8;
    s->released_bytes += 8;
    return trace_summary_encode(s, chunk_first(s), out);
}
static size_t sm_segment_time(trace_chunk_summary *s, uint8_t *out)
{
    s->seg[0].last_ts -= 1; /* inside the chunk, but not its segment's last event's time */
    return trace_summary_encode(s, chunk_first(s), out);
}

static void summary_cases(void)
{
    summary_valid();
    summary_case("summary-nsegments-0", sm_nseg0);
    summary_case("summary-nsegments-17", sm_nseg17);
    summary_case("summary-events-not-summing", sm_events);
    summary_case("summary-time-outside", sm_time_outside);
    summary_case("summary-min-above-end", sm_min_above_end);
    summary_case("summary-heap-overflow", sm_heap_overflow);
    summary_case("summary-disagrees-kinds", sm_kinds);
    summary_case("summary-disagrees-alloc-bytes", sm_alloc_bytes);
    summary_case("summary-disagrees-segment-time", sm_segment_time);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make-corpus DIR\n");
        return 2;
    }
    outdir = argv[1];

    /* Real traces written by the writer. */
    writer_trace("real-writer-1-thread", 1, 40, 1);
    writer_trace("real-writer-3-threads", 3, 25, 1);
    writer_trace("real-writer-not-closed", 2, 10, 0);
    heap_traces();

    /* Empty and short files. */
    F.n = 0;
    save("empty", &F, 0);
    file_header();
    save("header-truncated", &F, 40);
    save("header-only", &F, F.n);
    size_t hn = F.n;
    F.d[hn - 1] ^= 0xff;
    save("header-bad-checksum", &F, hn);

    /* A valid file, then cuts of it. */
    valid_file();
    end_chunk(7, 0);
    save("valid-small", &F, F.n);
    save("truncated-chunk", &F, F.n - 20);
    save("truncated-chunk-header", &F, hn + 30);
    save("truncated-inside-frame-prefix", &F, hn + 5);

    /* Checksums: wrong; right over a payload whose content is wrong. */
    file_header();
    dict(3);
    valid_events(1);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2060, 7, (lie){ .bad_crc = 1 });
    save("bad-checksum", &F, F.n);

    file_header();
    dict(3);
    valid_events(1);
    C[TRACE_COL_SIZE].n--;          /* a column one byte short: valid crc, bad content */
    ev_payload(7);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2060, 7, TRUTH);
    save("valid-checksum-short-column", &F, F.n);

    file_header();
    dict(3);
    valid_events(1);
    put8(&C[TRACE_COL_U64], 5);     /* a byte left over after the last event */
    ev_payload(7);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2060, 7, TRUTH);
    save("valid-checksum-leftover-column", &F, F.n);

    file_header();
    dict(3);
    valid_events(1);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2050, 7, TRUTH);   /* events run past the header's last ts */
    save("valid-checksum-ts-past-last", &F, F.n);

    file_header();
    dict(3);
    ev_reset();
    lit_prev = 0;
    ev_alloc(0, 0x5000, 1, 1);
    ev_free_recent(1, 2);           /* only one address in the window */
    ev_payload(2);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2001, 2, TRUTH);
    save("valid-checksum-addr-distance-outside-window", &F, F.n);

    file_header();
    dict(3);
    ev_reset();
    put8(&K, TRACE_FREE);
    put(&C[TRACE_COL_TS], "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11);  /* 11-byte varint */
    putv(&C[TRACE_COL_ADDR_OLD], 0);
    putv(&C[TRACE_COL_ADDR_LIT], 0);
    ev_payload(1);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2000, 1, TRUTH);
    save("valid-checksum-overlong-varint", &F, F.n);

    file_header();
    dict(3);
    P.n = 0;
    put(&P, "not an lz4 frame at all", 23);
    {
        /* a payload that is not LZ4: build the chunk by hand around raw bytes */
        uint8_t h[TRACE_CHUNK_HEADER_SIZE] = { 0 };
        trace_put_u32(h, TRACE_CHUNK_EVENTS);
        trace_put_u64(h + 8, 2000);
        trace_put_u64(h + 16, 2000);
        trace_put_u32(h + 24, 1);
        trace_put_u32(h + 28, 100);
        trace_put_u32(h + 32, (uint32_t)P.n);
        trace_put_u32(h + 36, chunk_seq++);
        trace_put_u32(h + 40, trace_crc32(trace_crc32(0, h, sizeof h), P.d, P.n));
        put32(&F, TRACE_MAGIC_CHUNK_HEADER);
        put32(&F, sizeof h);
        put(&F, h, sizeof h);
        put(&F, P.d, P.n);
        P.n = 0;
    }
    save("valid-checksum-not-lz4", &F, F.n);

    /* Huge declared lengths. */
    valid_file();
    P.n = 0;
    putv(&P, 1);
    chunk(TRACE_CHUNK_EVENTS, 7, 3000, 3000, 1, (lie){ .set_raw = 1, .raw = 0xFFFFFFFFu });
    save("huge-raw-size", &F, F.n);

    valid_file();
    P.n = 0;
    putv(&P, 1);
    chunk(TRACE_CHUNK_EVENTS, 7, 3000, 3000, 1, (lie){ .set_raw = 1, .raw = TRACE_CHUNK_RAW_MAX });
    save("huge-raw-size-64MiB-small-payload", &F, F.n);

    valid_file();
    P.n = 0;
    putv(&P, 0);
    chunk(TRACE_CHUNK_EVENTS, 7, 3000, 3000, 0, (lie){ .set_comp = 1, .comp = 0xFFFFFFF0u });
    save("huge-comp-size", &F, F.n);

    valid_file();
    put32(&F, 0x184D2A5Fu);          /* a foreign skippable frame claiming 4 GiB */
    put32(&F, 0xFFFFFFFFu);
    save("huge-skippable-frame", &F, F.n);

    file_header();
    F.d[4] = 0xff; F.d[5] = 0xff; F.d[6] = 0xff; F.d[7] = 0x7f;   /* header size 2 GiB */
    save("huge-file-header-size", &F, F.n);

    file_header();
    P.n = 0;
    put8(&P, TRACE_STRING_DEF); putv(&P, 1); putv(&P, 0xFFFFFFFFFFull);  /* string of 1 TB */
    put(&P, "abc", 3);
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 1, TRUTH);
    save("huge-string-length", &F, F.n);

    file_header();
    P.n = 0;
    put8(&P, TRACE_STACK_DEF); putv(&P, 1); putv(&P, 1u << 30);   /* a billion frames */
    putv(&P, 2);
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 1, TRUTH);
    save("huge-stack-depth", &F, F.n);

    /* Unknown kinds. */
    valid_file();
    P.n = 0;
    put(&P, "future", 6);
    chunk(9, 0, 0, 0, 1, TRUTH);     /* skipped and counted */
    end_chunk(7, 0);
    save("unknown-chunk-kind", &F, F.n);

    file_header();
    dict(3);
    ev_reset();
    put8(&K, 31);
    putv(&C[TRACE_COL_TS], 0);
    ev_payload(1);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2000, 1, TRUTH);
    save("unknown-event-kind", &F, F.n);

    file_header();
    P.n = 0;
    put8(&P, 40); putv(&P, 1);
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 1, TRUTH);
    save("unknown-dict-kind", &F, F.n);

    /* Counts that lie. */
    file_header();
    dict(3);
    valid_events(1);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2060, 20, TRUTH);   /* header 20, payload 7 (20 <= raw) */
    save("lying-count-header", &F, F.n);

    file_header();
    dict(3);
    valid_events(1);
    ev_payload(3);                   /* payload says 3 events, 7 kinds follow */
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2060, 3, TRUTH);
    save("lying-count-payload", &F, F.n);

    file_header();
    dict(3);
    {
        /* a dictionary that claims more records than it holds, one that claims fewer */
        file_header();
        P.n = 0;
        put8(&P, TRACE_STRING_DEF); putv(&P, 1); putv(&P, 2); put(&P, "fd", 2);
        chunk(TRACE_CHUNK_DICT, 0, 0, 0, 4, TRUTH);      /* claims 4, holds 1 */
        P.n = 0;
        put8(&P, TRACE_STRING_DEF); putv(&P, 2); putv(&P, 1); put(&P, "x", 1);
        put8(&P, TRACE_STRING_DEF); putv(&P, 3); putv(&P, 1); put(&P, "y", 1);
        chunk(TRACE_CHUNK_DICT, 0, 0, 0, 1, TRUTH);   /* claims 1, holds 2 */
    }
    save("lying-count-dict", &F, F.n);

    valid_file();
    P.n = 0;
    putv(&P, 1000000);
    putv(&P, 5);
    chunk(TRACE_CHUNK_END, 0, 0, 0, 0, TRUTH);    /* end says a million events, there were 7 */
    save("lying-count-end", &F, F.n);

    /* Dictionary ids out of range. */
    file_header();
    dict(3);
    valid_events(5);                 /* stack 5: only 1 defined */
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2060, 7, TRUTH);
    save("dict-stack-id-undefined", &F, F.n);

    file_header();
    dict(3);
    ev_reset();
    ev_str(TRACE_MARK, 0, 0xFFFFFFFFFFFFull);
    ev_payload(1);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2000, 1, TRUTH);
    save("dict-string-id-undefined", &F, F.n);

    file_header();
    P.n = 0;
    put8(&P, TRACE_STRING_DEF); putv(&P, 3); putv(&P, 1); put(&P, "z", 1);   /* 3 before 1 */
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 1, TRUTH);
    save("dict-string-id-gap", &F, F.n);

    file_header();
    P.n = 0;
    put8(&P, TRACE_STRING_DEF); putv(&P, 0); putv(&P, 1); put(&P, "z", 1);
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 1, TRUTH);
    save("dict-string-id-zero", &F, F.n);

    file_header();
    P.n = 0;
    put8(&P, TRACE_STACK_DEF); putv(&P, 1); putv(&P, 0);       /* empty stack, then twice */
    put8(&P, TRACE_STACK_DEF); putv(&P, 1); putv(&P, 0);
    put8(&P, TRACE_STRING_DEF); putv(&P, 1); putv(&P, 0);      /* empty string */
    put8(&P, TRACE_STRING_DEF); putv(&P, 2); putv(&P, 1); put(&P, "\x1b", 1);
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 4, TRUTH);
    valid_events(1);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2060, 7, TRUTH);
    end_chunk(7, 0);
    save("dict-repeated-and-empty", &F, F.n);

    /* Deep stacks: the limit, and one past it. */
    file_header();
    dict(TRACE_STACK_DEPTH_MAX);
    valid_events(1);
    chunk(TRACE_CHUNK_EVENTS, 7, 2000, 2060, 7, TRUTH);
    end_chunk(7, 0);
    save("deep-stack-1024", &F, F.n);

    file_header();
    dict(TRACE_STACK_DEPTH_MAX + 1);
    save("deep-stack-1025", &F, F.n);

    /* Module with a range that wraps around, a build id too long. */
    file_header();
    P.n = 0;
    put8(&P, TRACE_MODULE_DEF);
    putv(&P, 1); putv(&P, 0); putv(&P, 0xFFFFFFFFFFFFF000ull); putv(&P, 0x10000); putv(&P, 1); put(&P, "m", 1);
    putv(&P, 0);
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 1, TRUTH);
    save("module-range-wraps", &F, F.n);

    file_header();
    P.n = 0;
    put8(&P, TRACE_MODULE_DEF);
    putv(&P, 1); putv(&P, 0); putv(&P, 0x1000); putv(&P, 0x1000); putv(&P, 1); put(&P, "m", 1);
    putv(&P, 65);
    for (int i = 0; i < 65; i++)
        put8(&P, (uint8_t)i);
    chunk(TRACE_CHUNK_DICT, 0, 0, 0, 1, TRUTH);
    save("module-build-id-too-long", &F, F.n);

    /* Chunks in a strange order: events on two threads with overlapping
     * times, a realloc of an unknown block, a free of nothing, closes of
     * handles never opened, GC end without begin, spans never ended. */
    file_header();
    dict(2);
    for (uint32_t t = 0; t < 2; t++) {
        ev_reset();
        lit_prev = 0;
        put8(&K, TRACE_REALLOC);
        putv(&C[TRACE_COL_TS], 0);
        putv(&C[TRACE_COL_ADDR_OLD], 0);
        putv(&C[TRACE_COL_ADDR_LIT], trace_zigzag(0x9999));
        putv(&C[TRACE_COL_ADDR_NEW], 0);
        putv(&C[TRACE_COL_ADDR_LIT], trace_zigzag(0x10));
        putv(&C[TRACE_COL_SIZE], 0xFFFFFFFFFFFFFFFFull);
        putv(&C[TRACE_COL_STACK], 1);
        put8(&K, TRACE_FREE);
        putv(&C[TRACE_COL_TS], 0);
        putv(&C[TRACE_COL_ADDR_OLD], 0);
        putv(&C[TRACE_COL_ADDR_LIT], trace_zigzag(-5));
        put8(&K, TRACE_RES_CLOSE);
        putv(&C[TRACE_COL_TS], 1);
        putv(&C[TRACE_COL_STR], 1);
        putv(&C[TRACE_COL_U64], 77);
        put8(&K, TRACE_GC_END);
        putv(&C[TRACE_COL_TS], 1);
        putv(&C[TRACE_COL_SIZE], 5);
        ev_str(TRACE_SPAN_BEGIN, 0, 2);
        ev_str(TRACE_SPAN_END, 0, 1);
        ev_str(TRACE_GC_BEGIN, 0, 0);
        ev_alloc(0, 0x9999 + 0x10 * t, 0xFFFFFFFFFFFFFFFFull, 1);   /* sizes that overflow a sum */
        ev_payload(8);
        chunk(TRACE_CHUNK_EVENTS, 7 + t, 2000 - t, 2002 - t, 8, TRUTH);
    }
    save("odd-events-two-threads", &F, F.n);

    /* Format 2: entropy-coded columns and size-class address ranks. */
    v2_case("v2-valid-coded-columns", NULL);
    v2_case("v2-code-oversubscribed", m_oversubscribed);
    v2_case("v2-code-no-symbols", m_no_symbols);
    v2_case("v2-unknown-column-coding", m_unknown_mode);
    v2_case("v2-bitstream-runs-out", m_cut_bits);
    v2_case("v2-kind-without-code", m_kind_without_code);
    v2_case("v2-address-rank-outside-class", m_rank_outside_class);
    v2_case("v2-column-without-coding-byte", m_empty_column);
    v3_cases();
    summary_cases();

    damage_cases();
    return 0;
}

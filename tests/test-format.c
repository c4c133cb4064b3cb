/* test-format.c — the .trace writer and reader: a round trip of every record
 * kind with edge values, chunk splitting, unknown chunks, and the reader on a
 * trace truncated at every byte and with every byte corrupted.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "test-util.h"
#include "trace-huff.h"
#include "trace-private.h"
#include "trace-reader.h"
#include "trace-writer.h"

#include <fcntl.h>
#include <lz4frame.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 3
#define MAXEV 200000

typedef struct expected {
    trace_event ev[MAXEV];
    uint32_t n;
} expected;

static expected want[NTHREADS];
static const uint32_t tids[NTHREADS] = { 1, 4000000000u, 77 };

static char dir[] = "/tmp/leakscope-test-format-XXXXXX";

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static void add(trace_writer *w, int t, trace_event ev)
{
    CHECK(trace_writer_add_event(w, tids[t], &ev) == TRACE_OK);
    /* The writer forces timestamps monotonic within a thread's chunk. */
    if (want[t].n && ev.ts < want[t].ev[want[t].n - 1].ts)
        ev.ts = want[t].ev[want[t].n - 1].ts;
    ev.thread = tids[t];
    want[t].ev[want[t].n++] = ev;
}

static void write_sample(const char *path, bool big)
{
    trace_file_info info;
    memset(&info, 0, sizeof info);
    info.pid = 4242;
    info.time_unit_ns = 1;
    info.start_ts = 1000;
    info.start_realtime_ns = 1700000000000000000ull;
    info.stack_depth = 64;
    snprintf(info.program, sizeof info.program, "/usr/bin/sample \"quoted\"\n");
    trace_writer *w;
    CHECK(trace_writer_create(path, &info, &w) == TRACE_OK);
    if (!w)
        exit(1);
    memset(want, 0, sizeof want);

    /* Dictionaries. */
    CHECK(trace_writer_add_string(w, 1, "fd", 2) == TRACE_OK);
    CHECK(trace_writer_add_string(w, 2, "", 0) == TRACE_OK);
    CHECK(trace_writer_add_string(w, 3, "bin\0ary\xff", 8) == TRACE_OK);
    CHECK(trace_writer_add_string(w, 5, "skip", 4) == TRACE_ERR_ARGS); /* out of order */
    uint64_t frames[1024];
    for (int i = 0; i < 1024; i++)
        frames[i] = i % 2 ? UINT64_MAX - (uint64_t)i : (uint64_t)i * 0x1000;
    CHECK(trace_writer_add_stack(w, 1, frames, 3) == TRACE_OK);
    CHECK(trace_writer_add_stack(w, 2, frames, 1024) == TRACE_OK);
    CHECK(trace_writer_add_stack(w, 3, frames, 0) == TRACE_OK);
    uint8_t id[20];
    for (int i = 0; i < 20; i++)
        id[i] = (uint8_t)(i * 13);
    CHECK(trace_writer_add_module(w, 1500, 0x555500000000ull, 0x555500001000ull, 0x555500009000ull, "/bin/x", 6,
                                  id, 20) == TRACE_OK);
    CHECK(trace_writer_add_event(w, 1, &(trace_event){ .kind = TRACE_ALLOC, .stack = 9 }) == TRACE_ERR_ARGS);
    CHECK(trace_writer_add_event(w, 1, &(trace_event){ .kind = 31 }) == TRACE_ERR_ARGS);

    /* Every event kind with edge values, threads interleaved. */
    add(w, 0, (trace_event){ .kind = TRACE_ALLOC, .ts = 1000, .addr = 0, .size = 0, .stack = 0 });
    add(w, 0, (trace_event){ .kind = TRACE_ALLOC, .ts = 1000, .addr = UINT64_MAX, .size = UINT64_MAX, .stack = 2 });
    add(w, 0, (trace_event){ .kind = TRACE_FREE, .ts = 1001, .addr = 0x7fffdeadbeefull });
    add(w, 0, (trace_event){ .kind = TRACE_FREE, .ts = 999, .addr = 0 }); /* back in time: clamped */
    add(w, 1, (trace_event){ .kind = TRACE_REALLOC, .ts = 5, .addr = 1, .addr2 = UINT64_MAX - 1, .size = 1, .stack = 1 });
    /* old 0 ("already freed") after addresses entered the windows */
    add(w, 1, (trace_event){ .kind = TRACE_REALLOC, .ts = 5, .addr = 0, .addr2 = 0x1000, .size = 2, .stack = 1 });
    add(w, 1, (trace_event){ .kind = TRACE_FREE, .ts = 5, .addr = 0x1000 });
    add(w, 1, (trace_event){ .kind = TRACE_ALLOC, .ts = 5, .addr = 0x1000, .size = 3, .stack = 1 });
    add(w, 1, (trace_event){ .kind = TRACE_FREE, .ts = 5, .addr = UINT64_MAX - 1 });
    add(w, 1, (trace_event){ .kind = TRACE_RES_OPEN, .ts = 6, .str = 1, .value = UINT64_MAX, .size = 4096, .stack = 3 });
    add(w, 1, (trace_event){ .kind = TRACE_RES_CLOSE, .ts = 7, .str = 1, .value = UINT64_MAX, .stack = 2 });
    add(w, 2, (trace_event){ .kind = TRACE_GC_BEGIN, .ts = 100, .str = 0 });
    add(w, 2, (trace_event){ .kind = TRACE_GC_END, .ts = 1ull << 62, .size = SIZE_MAX });
    add(w, 2, (trace_event){ .kind = TRACE_MARK, .ts = (1ull << 62) + 1, .str = 3 });
    add(w, 2, (trace_event){ .kind = TRACE_SPAN_BEGIN, .ts = (1ull << 62) + 1, .str = 2 });
    add(w, 2, (trace_event){ .kind = TRACE_SPAN_END, .ts = (1ull << 62) + 2, .str = 2 });
    add(w, 2, (trace_event){ .kind = TRACE_THREAD_NAME, .ts = (1ull << 62) + 2, .str = 1 });
    add(w, 2, (trace_event){ .kind = TRACE_LOST, .ts = UINT64_MAX, .value = 123456789 });
    if (big) {
        /* More than one chunk's worth on one thread. */
        for (uint32_t i = 0; i < TRACE_WRITER_CHUNK_EVENTS + 1000; i++)
            add(w, 1, (trace_event){ .kind = i % 2 ? TRACE_FREE : TRACE_ALLOC, .ts = 10 + i / 3,
                                     .addr = 0x7f0000000000ull + (i / 2) * 64, .size = i % 2 ? 0 : i, .stack = i % 2 ? 0 : 1 });
    }
    CHECK(trace_writer_close(w, 42) == TRACE_OK);
}

static uint32_t read_damage; /* damage entries of the last read_all */

/* Reads every record of `path`; returns the final status. Fills per-thread
 * event lists into got[] when given. */
static trace_status read_all(const char *path, expected *got, uint64_t *events, bool *complete, uint32_t *skipped)
{
    trace_reader *r;
    trace_error err;
    *events = 0;
    *complete = false;
    trace_status st = trace_reader_open(path, &r, &err);
    if (st != TRACE_OK) {
        CHECK(err.message[0] != '\0');
        return st;
    }
    trace_chunk *c = trace_chunk_new();
    trace_chunk_info ci;
    while ((st = trace_reader_next_chunk(r, &ci)) == TRACE_OK) {
        if (ci.kind == TRACE_CHUNK_END)
            continue;
        st = trace_chunk_load(c, r, &ci);
        trace_event ev;
        while (st == TRACE_OK && (st = trace_chunk_next(c, &ev)) == TRACE_OK) {
            if (ci.kind != TRACE_CHUNK_EVENTS)
                continue;
            (*events)++;
            if (got) {
                for (int t = 0; t < NTHREADS; t++)
                    if (tids[t] == ev.thread && got[t].n < MAXEV)
                        got[t].ev[got[t].n++] = ev;
            }
        }
        if (st != TRACE_END)
            break;
    }
    if (st != TRACE_END && st != TRACE_OK)
        CHECK(trace_reader_error(r)->message[0] != '\0');
    *complete = trace_reader_complete(r, NULL, NULL);
    if (skipped)
        *skipped = trace_reader_skipped(r);
    read_damage = trace_reader_damage_count(r);
    trace_chunk_free(c);
    trace_reader_close(r);
    return st;
}

static expected got[NTHREADS];

static void test_roundtrip(void)
{
    char path[256];
    path_of(path, sizeof path, "roundtrip.trace");
    write_sample(path, true);

    trace_reader *r;
    trace_error err;
    CHECK(trace_reader_open(path, &r, &err) == TRACE_OK);
    const trace_file_info *fi = trace_reader_info(r);
    CHECK_EQ_U64(fi->pid, 4242);
    CHECK_EQ_U64(fi->start_ts, 1000);
    CHECK_EQ_U64(fi->start_realtime_ns, 1700000000000000000ull);
    CHECK_EQ_U64(fi->stack_depth, 64);
    CHECK(strcmp(fi->program, "/usr/bin/sample \"quoted\"\n") == 0);

    /* Dictionary records come first, in one chunk, as written. */
    trace_chunk_info ci;
    CHECK(trace_reader_next_chunk(r, &ci) == TRACE_OK);
    CHECK_EQ_U64(ci.kind, TRACE_CHUNK_DICT);
    CHECK_EQ_U64(ci.count, 7);
    trace_chunk *c = trace_chunk_new();
    CHECK(trace_chunk_load(c, r, &ci) == TRACE_OK);
    trace_event ev;
    CHECK(trace_chunk_next(c, &ev) == TRACE_OK && ev.kind == TRACE_STRING_DEF && ev.value == 1 && ev.data_len == 2 &&
          memcmp(ev.data, "fd", 2) == 0);
    CHECK(trace_chunk_next(c, &ev) == TRACE_OK && ev.kind == TRACE_STRING_DEF && ev.value == 2 && ev.data_len == 0);
    CHECK(trace_chunk_next(c, &ev) == TRACE_OK && ev.value == 3 && ev.data_len == 8 &&
          memcmp(ev.data, "bin\0ary\xff", 8) == 0);
    CHECK(trace_chunk_next(c, &ev) == TRACE_OK && ev.kind == TRACE_STACK_DEF && ev.value == 1 && ev.depth == 3 &&
          ev.frames[0] == 0 && ev.frames[1] == UINT64_MAX - 1 && ev.frames[2] == 0x2000);
    CHECK(trace_chunk_next(c, &ev) == TRACE_OK && ev.kind == TRACE_STACK_DEF && ev.value == 2 && ev.depth == 1024 &&
          ev.frames[1023] == UINT64_MAX - 1023);
    CHECK(trace_chunk_next(c, &ev) == TRACE_OK && ev.kind == TRACE_STACK_DEF && ev.value == 3 && ev.depth == 0);
    CHECK(trace_chunk_next(c, &ev) == TRACE_OK && ev.kind == TRACE_MODULE_DEF && ev.ts == 1500 &&
          ev.addr == 0x555500000000ull && ev.addr2 == 0x555500001000ull && ev.size == 0x555500009000ull &&
          ev.data_len == 6 && memcmp(ev.data, "/bin/x", 6) == 0 && ev.data2_len == 20 &&
          ((const uint8_t *)ev.data2)[19] == (uint8_t)(19 * 13));
    CHECK(trace_chunk_next(c, &ev) == TRACE_END);
    CHECK_EQ_U64(trace_reader_strings_defined(r), 3);
    CHECK_EQ_U64(trace_reader_stacks_defined(r), 3);
    trace_chunk_free(c);
    trace_reader_close(r);

    memset(got, 0, sizeof got);
    uint64_t events;
    bool complete;
    uint32_t skipped;
    CHECK(read_all(path, got, &events, &complete, &skipped) == TRACE_END);
    CHECK(complete);
    CHECK_EQ_U64(skipped, 0);
    for (int t = 0; t < NTHREADS; t++) {
        CHECK_EQ_U64(got[t].n, want[t].n);
        for (uint32_t i = 0; i < want[t].n && i < got[t].n; i++) {
            const trace_event *a = &want[t].ev[i], *b = &got[t].ev[i];
            bool same = a->kind == b->kind && a->ts == b->ts && a->thread == b->thread && a->addr == b->addr &&
                        a->addr2 == b->addr2 && a->size == b->size && a->value == b->value && a->stack == b->stack &&
                        a->str == b->str;
            if (!same)
                fprintf(stderr, "thread %d event %u differs: kind %u/%u ts %llu/%llu\n", t, i, a->kind, b->kind,
                        (unsigned long long)a->ts, (unsigned long long)b->ts);
            CHECK(same);
        }
    }
    trace_reader_open(path, &r, &err);
    uint64_t end_events, lost;
    while (trace_reader_next_chunk(r, &ci) == TRACE_OK)
        ;
    CHECK(trace_reader_complete(r, &end_events, &lost));
    CHECK_EQ_U64(end_events, events);
    CHECK_EQ_U64(lost, 42);
    trace_reader_close(r);
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, data, len) == (ssize_t)len);
    close(fd);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(*len + 64);
    CHECK(fread(d, 1, *len, f) == *len);
    fclose(f);
    return d;
}

static void test_unknown_chunks(void)
{
    char path[256], out[256];
    path_of(path, sizeof path, "small.trace");
    path_of(out, sizeof out, "unknown.trace");
    write_sample(path, false);
    size_t len;
    uint8_t *d = slurp(path, &len);
    uint8_t *n = malloc(len + 128);
    /* A foreign skippable frame and a chunk of kind 99, both appended: the
     * reader skips the frame; the chunk is damage unless its checksum
     * verifies and the file header's minor version is newer than the
     * reader's (FORMAT.md §4). */
    size_t hsize = 8 + (size_t)trace_get_u32(d + 4);
    uint32_t last_seq = 0;
    for (size_t at = hsize; at + 56 <= len; at += 8 + trace_get_u32(d + at + 4) + trace_get_u32(d + at + 8 + 32))
        last_seq = trace_get_u32(d + at + 8 + 36);
    for (int round = 0; round < 3; round++) {
        memcpy(n, d, len);
        size_t p = len;
        const uint8_t foreign[] = { 0x51, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 'j', 'u', 'n', 'k' };
        memcpy(n + p, foreign, sizeof foreign);
        p += sizeof foreign;
        uint8_t chunk[8 + 48 + 5] = { 0x5B, 0x2A, 0x4D, 0x18, 48, 0, 0, 0, 99 };
        chunk[8 + 32] = 5; /* comp_size */
        chunk[8 + 28] = 5; /* raw_size */
        trace_put_u32(chunk + 8 + 36, last_seq + 1);
        if (round > 0) /* a valid checksum */
            trace_put_u32(chunk + 8 + 40, trace_crc32(0, chunk + 8, 48 + 5));
        if (round == 2) { /* a file of a newer minor version */
            trace_put_u16(n + 8 + 10, TRACE_VERSION_MINOR + 1);
            trace_put_u32(n + hsize - 4, trace_crc32(0, n + 8, hsize - 12));
        }
        memcpy(n + p, chunk, sizeof chunk);
        p += sizeof chunk;
        write_file(out, n, p);
        uint64_t events;
        bool complete;
        uint32_t skipped;
        CHECK(read_all(out, NULL, &events, &complete, &skipped) == TRACE_END);
        CHECK_EQ_U64(skipped, round == 2 ? 2 : 1);
        CHECK_EQ_U64(read_damage, round == 2 ? 0 : 1);
        CHECK(complete);
        CHECK_EQ_U64(events, 18);
    }

    /* A foreign file and an empty file: NOT_TRACE at offset 0. */
    write_file(out, (const uint8_t *)"#!/bin/sh\necho hello, this is not a trace file at all\n", 54);
    trace_reader *r;
    trace_error err;
    CHECK(trace_reader_open(out, &r, &err) == TRACE_ERR_NOT_TRACE);
    CHECK(strstr(err.message, "byte offset 0") != NULL);
    write_file(out, (const uint8_t *)"", 0);
    CHECK(trace_reader_open(out, &r, &err) == TRACE_ERR_NOT_TRACE);

    /* A future major version is refused, not misread. */
    memcpy(n, d, len);
    n[16] = TRACE_VERSION_MAJOR + 1;
    write_file(out, n, len);
    CHECK(trace_reader_open(out, &r, &err) == TRACE_ERR_VERSION);
    free(d);
    free(n);
}

static void test_truncation_and_corruption(void)
{
    char path[256], out[256];
    path_of(path, sizeof path, "small.trace");
    path_of(out, sizeof out, "cut.trace");
    write_sample(path, false);
    size_t len;
    uint8_t *d = slurp(path, &len);
    uint64_t full_events;
    bool complete;
    CHECK(read_all(path, NULL, &full_events, &complete, NULL) == TRACE_END);
    CHECK(complete);

    unsigned truncated = 0, clean = 0;
    for (size_t cut = 0; cut < len; cut++) {
        write_file(out, d, cut);
        uint64_t events;
        trace_status st = read_all(out, NULL, &events, &complete, NULL);
        CHECK(!complete || cut >= len - 1); /* the END chunk is last */
        CHECK(events <= full_events);
        if (st == TRACE_ERR_TRUNCATED)
            truncated++;
        else if (st == TRACE_END)
            clean++; /* the cut fell on a chunk boundary */
        else
            CHECK(st == TRACE_ERR_NOT_TRACE && cut < 72);
    }
    CHECK(truncated > len / 2);
    CHECK(clean >= 2);
    printf("ok - truncated at each of %zu bytes: %u truncated, %u on a chunk boundary\n", len, truncated, clean);

    unsigned detected = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            d[i] ^= (uint8_t)(1u << bit);
            write_file(out, d, len);
            uint64_t events;
            trace_status st = read_all(out, NULL, &events, &complete, NULL);
            if (st != TRACE_END || events != full_events || !complete || read_damage)
                detected++;
            d[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* Every flip lands in a checksummed header or payload, or in a magic or
     * size field that the reader checks. */
    CHECK(detected == len * 3);
    printf("ok - %u of %zu bit flips detected\n", detected, len * 3);
    free(d);
}

static trace_writer *new_writer(char *path, size_t size, const char *name, uint32_t unit, uint64_t start)
{
    path_of(path, size, name);
    trace_file_info info;
    memset(&info, 0, sizeof info);
    info.time_unit_ns = unit;
    info.start_ts = start;
    trace_writer *w = NULL;
    CHECK(trace_writer_create(path, &info, &w) == TRACE_OK);
    return w;
}

/* A coarser time unit: timestamps are floored to it and read back in ns
 * (a power of two, which the writer divides by with a shift, and not). */
static void test_time_unit(uint32_t unit)
{
    char path[256];
    trace_writer *w = new_writer(path, sizeof path, "unit.trace", unit, 5000999);
    const uint64_t ts[] = { 5001000, 5001999, 5002000, 7000500, 7000400 };
    for (int i = 0; i < 5; i++)
        CHECK(trace_writer_add_event(w, 9, &(trace_event){ .kind = TRACE_MARK, .ts = ts[i] }) == TRACE_OK);
    CHECK(trace_writer_close(w, 0) == TRACE_OK);
    trace_reader *r;
    trace_error err;
    CHECK(trace_reader_open(path, &r, &err) == TRACE_OK);
    if (!r)
        return;
    CHECK_EQ_U64(trace_reader_info(r)->start_ts, 5000999 / unit * unit);
    CHECK_EQ_U64(trace_reader_info(r)->time_unit_ns, unit);
    trace_chunk *c = trace_chunk_new();
    trace_chunk_info ci;
    /* floored; the last is earlier than the one before it: held there */
    uint64_t want_ts[5];
    for (int i = 0; i < 5; i++)
        want_ts[i] = (i == 4 ? ts[3] : ts[i]) / unit * unit;
    int n = 0;
    while (trace_reader_next_chunk(r, &ci) == TRACE_OK) {
        if (ci.kind != TRACE_CHUNK_EVENTS)
            continue;
        CHECK_EQ_U64(ci.first_ts, want_ts[0]);
        CHECK_EQ_U64(ci.last_ts, want_ts[4]);
        trace_event ev;
        CHECK(trace_chunk_load(c, r, &ci) == TRACE_OK);
        while (trace_chunk_next(c, &ev) == TRACE_OK && n < 5)
            CHECK_EQ_U64(ev.ts, want_ts[n++]);
    }
    CHECK_EQ_U64(n, 5);
    trace_chunk_free(c);
    trace_reader_close(r);
}

/* The entropy coder on its own: values of every size, one symbol, skewed
 * counts that need the length limit, by-context codes. */
static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) { return test_rnd(&rng_state); }

static trace_huff_enc henc;
static trace_huff_hist hhist;
static trace_huff_dec hdec;

static void huff_case(const uint64_t *v, size_t n, const uint8_t *ctx, bool expect_coded)
{
    static uint8_t in[1 << 22], out[1 << 22];
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += trace_put_varint(in + len, v[i]);
    size_t body = trace_huff_encode(&henc, trace_huff_count_all(&hhist, in, len, ctx), in, len, ctx, out, len);
    CHECK(expect_coded ? body > 0 : true);
    if (!body)
        return;
    const char *what = NULL;
    CHECK(trace_huff_dec_init(&hdec, out, body, ctx != NULL, &what));
    bool same = true;
    for (size_t i = 0; i < n && same; i++) {
        uint64_t x = ~v[i];
        same = trace_huff_dec_next(&hdec, ctx ? ctx[i] : 0, &x) && x == v[i];
        if (!same)
            fprintf(stderr, "value %zu of %zu: %llu read as %llu\n", i, n, (unsigned long long)v[i], (unsigned long long)x);
    }
    CHECK(same);
    CHECK(trace_huff_dec_done(&hdec));
    /* Too small a limit: not coded. */
    CHECK(trace_huff_encode(&henc, trace_huff_count_all(&hhist, in, len, ctx), in, len, ctx, out, body) == 0);
}

static void test_huff(void)
{
    enum { N = 200000 };
    static uint64_t v[N];
    static uint8_t ctx[N];
    /* every bit length, with the edges */
    for (size_t i = 0; i < N; i++) {
        unsigned bits = (unsigned)(rnd() % 65);
        v[i] = bits == 64 ? rnd() | 1ull << 63 : bits ? (rnd() & ((1ull << bits) - 1)) | 1ull << (bits - 1) : 0;
    }
    v[0] = UINT64_MAX;
    v[1] = 255;
    v[2] = 256;
    huff_case(v, N, NULL, false);
    /* one symbol */
    for (size_t i = 0; i < N; i++)
        v[i] = 7;
    huff_case(v, N, NULL, true);
    huff_case(v, 1, NULL, false);
    /* Fibonacci-like counts: an unlimited code would be ~40 bits deep */
    size_t n = 0;
    uint64_t a = 1, b = 1;
    for (unsigned s = 0; s < 26 && n < N; s++) {
        for (uint64_t k = 0; k < a && n < N; k++)
            v[n++] = s;
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    for (size_t i = n; i-- > 1;) { /* shuffle */
        size_t j = (size_t)(rnd() % (i + 1));
        uint64_t t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
    huff_case(v, n, NULL, true);
    /* skewed small values, by context (the timestamp column's case) */
    for (size_t i = 0; i < N; i++) {
        ctx[i] = (uint8_t)(1 + rnd() % 5);
        v[i] = ctx[i] * 10 + (rnd() % 4 == 0 ? rnd() % 5000 : 0);
    }
    huff_case(v, N, ctx, true);
    huff_case(v, N, NULL, true);
    trace_huff_dec_free(&hdec);
}

/* A reference decoder of one canonical code, a bit at a time (as puff.c
 * decodes deflate): the code of each length starts where the shorter ones
 * end, within a length by symbol; codes go MSB first into an LSB-first
 * stream; a token of a bit length L is followed by its L - 3 low bits. */
typedef struct ref_code {
    unsigned count[TRACE_HUFF_MAXLEN + 1];
    uint16_t sorted[TRACE_HUFF_SYMBOLS]; /* by length, then symbol */
    uint8_t len[TRACE_HUFF_SYMBOLS];
} ref_code;

typedef struct ref_bits {
    const uint8_t *p;
    size_t nbits, at;
} ref_bits;

static bool ref_bit(ref_bits *b, unsigned *bit)
{
    if (b->at >= b->nbits)
        return false;
    *bit = b->p[b->at / 8] >> (b->at % 8) & 1;
    b->at++;
    return true;
}

static bool ref_next(const ref_code *rc, ref_bits *b, uint64_t *v)
{
    unsigned code = 0, first = 0, index = 0, bit;
    for (unsigned l = 1; l <= TRACE_HUFF_MAXLEN; l++) {
        if (!ref_bit(b, &bit))
            return false;
        code |= bit;
        if (code - first < rc->count[l]) {
            unsigned t = rc->sorted[index + code - first];
            if (t < TRACE_HUFF_EXACT) {
                *v = t;
                return true;
            }
            unsigned L = trace_huff_token_length(t);
            uint64_t x = 0;
            for (unsigned i = 0; i < L - 3; i++) {
                if (!ref_bit(b, &bit))
                    return false;
                x |= (uint64_t)bit << i;
            }
            *v = 1ull << (L - 1) | (uint64_t)((t - TRACE_HUFF_EXACT) % 4) << (L - 3) | x;
            return true;
        }
        index += rc->count[l];
        first = (first + rc->count[l]) << 1;
        code <<= 1;
    }
    return false;
}

/* Random code lengths within the Kraft bound, complete or not; writes the
 * table as FORMAT.md §4.1.1 has it to `out`, returns its size. */
static size_t random_code(ref_code *rc, uint8_t *out)
{
    memset(rc, 0, sizeof *rc);
    unsigned m = 1 + (unsigned)(rnd() % TRACE_HUFF_SYMBOLS), used = 0;
    unsigned density = 1 + (unsigned)(rnd() % 8);
    uint32_t kraft = 0;
    uint16_t syms[TRACE_HUFF_SYMBOLS];
    for (unsigned s = 0; s < m; s++)
        if (s == m - 1 || rnd() % 8 < density) {
            syms[used++] = (uint16_t)s;
            rc->len[s] = (uint8_t)(1 + rnd() % TRACE_HUFF_MAXLEN);
            kraft += 4096u >> rc->len[s];
        }
    while (kraft > 4096) { /* lengthen random codes until they fit */
        unsigned s = syms[rnd() % used];
        if (rc->len[s] < TRACE_HUFF_MAXLEN) {
            kraft -= 4096u >> (rc->len[s] + 1);
            rc->len[s]++;
        }
    }
    if (rnd() % 2) /* complete the code: shorten while it fits */
        for (unsigned k = 0; k < used; k++)
            while (rc->len[syms[k]] > 1 && kraft + (4096u >> rc->len[syms[k]]) <= 4096) {
                kraft += 4096u >> rc->len[syms[k]];
                rc->len[syms[k]]--;
            }
    unsigned n = 0;
    for (unsigned l = 1; l <= TRACE_HUFF_MAXLEN; l++)
        for (unsigned k = 0; k < used; k++)
            if (rc->len[syms[k]] == l) {
                rc->sorted[n++] = syms[k];
                rc->count[l]++;
            }
    size_t o = 0;
    uint64_t mm = m;
    while (mm >= 0x80) {
        out[o++] = (uint8_t)(mm | 0x80);
        mm >>= 7;
    }
    out[o++] = (uint8_t)mm;
    memset(out + o, 0, (m + 7) / 8 + (used + 1) / 2);
    for (unsigned k = 0; k < used; k++)
        out[o + syms[k] / 8] |= (uint8_t)(1u << (syms[k] % 8));
    o += (m + 7) / 8;
    for (unsigned k = 0; k < used; k++)
        out[o + k / 2] |= (uint8_t)(rc->len[syms[k]] << (4 * (k % 2)));
    return o + (used + 1) / 2;
}

/* The table-driven decoder against the reference on random codes: streams
 * of the code's own symbols with their extra bits, and random bytes (codes
 * that do not exist, streams that end inside a code): the same values, and
 * the same place where decoding stops. */
static void test_huff_reference(void)
{
    static uint8_t body[TRACE_HUFF_TABLE_MAX + 4096 + 8];
    static ref_code rc;
    trace_huff_dec d;
    memset(&d, 0, sizeof d);
    unsigned bad = 0, values = 0;
    for (unsigned round = 0; round < 400; round++) {
        size_t tlen = random_code(&rc, body);
        size_t slen = 1 + (size_t)(rnd() % 4096);
        uint8_t *s = body + tlen;
        memset(s, 0, slen);
        if (round % 2) {
            for (size_t i = 0; i < slen; i++)
                s[i] = (uint8_t)rnd();
        } else { /* symbols of the code, MSB first, then their extra bits */
            size_t at = 0;
            unsigned used = 0;
            for (unsigned l = 1; l <= TRACE_HUFF_MAXLEN; l++)
                used += rc.count[l];
            while (at + 12 + 61 < slen * 8) {
                unsigned k = (unsigned)(rnd() % used), t = rc.sorted[k], code = 0, first = 0, index = 0, l = 1;
                for (; index + rc.count[l] <= k; l++) {
                    index += rc.count[l];
                    first = (first + rc.count[l]) << 1;
                }
                code = first + (k - index);
                for (unsigned i = l; i-- > 0; at++)
                    s[at / 8] |= (uint8_t)((code >> i & 1) << (at % 8));
                unsigned x = t < TRACE_HUFF_EXACT ? 0 : trace_huff_token_length(t) - 3;
                for (unsigned i = 0; i < x; i++, at++)
                    s[at / 8] |= (uint8_t)((rnd() & 1) << (at % 8));
            }
        }
        const char *what = NULL;
        if (!trace_huff_dec_init(&d, body, tlen + slen, false, &what)) {
            bad++;
            continue;
        }
        ref_bits rb = { s, slen * 8, 0 };
        for (;;) {
            uint64_t a = 0, b = 0;
            bool fa = trace_huff_dec_next(&d, 0, &a), fb = ref_next(&rc, &rb, &b);
            if (fa != fb || a != b) {
                bad++;
                break;
            }
            if (!fa)
                break;
            values++;
        }
    }
    trace_huff_dec_free(&d);
    CHECK_EQ_U64(bad, 0);
    printf("ok - huffman tables: %u values as the reference decoder's\n", values);
}

/* A writer of a 1 ns trace with stack 1 defined, `want` cleared. */
static trace_writer *coded_writer(char *path, size_t size, const char *name)
{
    trace_writer *w = new_writer(path, size, name, 1, 0);
    if (w)
        CHECK(trace_writer_add_stack(w, 1, (const uint64_t[]){ 0x401000 }, 1) == TRACE_OK);
    memset(want, 0, sizeof want);
    return w;
}

/* Reads `path` back and checks that the first `nthreads` threads' events
 * are exactly those written; returns the events read. */
static uint64_t read_back_exactly(const char *path, int nthreads)
{
    memset(got, 0, sizeof got);
    uint64_t events;
    bool complete;
    CHECK(read_all(path, got, &events, &complete, NULL) == TRACE_END);
    CHECK(complete);
    for (int t = 0; t < nthreads; t++) {
        CHECK_EQ_U64(got[t].n, want[t].n);
        bool same = got[t].n == want[t].n;
        for (uint32_t i = 0; same && i < want[t].n; i++)
            same = memcmp(&got[t].ev[i], &want[t].ev[i], sizeof(trace_event)) == 0;
        CHECK(same);
    }
    return events;
}

/* Format 2's address coding under a realistic pattern: an allocator that
 * hands back the last address released from a size class, frees in random
 * order, reallocs, and addresses that leave the window; the trace must read
 * back exactly, and be small. */
static void test_address_coding(void)
{
    char path[256];
    trace_writer *w = coded_writer(path, sizeof path, "coded.trace");
    if (!w)
        return;
    enum { LIVE = 300 };
    uint64_t live_addr[2][LIVE] = { { 0 } }, live_size[2][LIVE] = { { 0 } };
    uint64_t freed[2][64][16];
    unsigned nfreed[2][64] = { { 0 } };
    uint64_t next_addr[2] = { 0x7f0000000000ull, 0x7e0000000000ull }, ts[2] = { 1000, 1000 };
    for (unsigned i = 0; i < 150000; i++) {
        int t = (int)(i / 5000 % 2); /* the writer gets a thread's events in runs */
        /* a third of the chunks in the writer's fast coding (varints) */
        trace_writer_set_fast(w, i / 5000 % 3 == 2);
        ts[t] += rnd() % 4 == 0 ? rnd() % 100000 : 10 * (rnd() % 6);
        unsigned slot = (unsigned)(rnd() % LIVE);
        uint64_t *la = &live_addr[t][slot], *ls = &live_size[t][slot];
        if (*la) {
            unsigned c = (unsigned)(*ls / 16) % 64;
            if (rnd() % 8 == 0) {
                /* realloc: old released, new made live */
                uint64_t size = rnd() % 1000;
                uint64_t na = next_addr[t];
                next_addr[t] += 1024;
                add(w, t, (trace_event){ .kind = TRACE_REALLOC, .ts = ts[t], .addr = *la, .addr2 = na, .size = size, .stack = 1 });
                if (nfreed[t][c] < 16)
                    freed[t][c][nfreed[t][c]++] = *la;
                *la = na;
                *ls = size;
                continue;
            }
            add(w, t, (trace_event){ .kind = TRACE_FREE, .ts = ts[t], .addr = *la });
            if (nfreed[t][c] < 16)
                freed[t][c][nfreed[t][c]++] = *la;
            *la = 0;
        } else {
            uint64_t size = rnd() % 4 == 0 ? rnd() % 100000 : rnd() % 1000;
            unsigned c = (unsigned)(size / 16) % 64;
            uint64_t a;
            if (nfreed[t][c] && rnd() % 10)
                a = freed[t][c][--nfreed[t][c]];
            else {
                a = next_addr[t];
                next_addr[t] += 1024;
            }
            add(w, t, (trace_event){ .kind = TRACE_ALLOC, .ts = ts[t], .addr = a, .size = size, .stack = rnd() % 2 });
            *la = a;
            *ls = size;
        }
        if (i % 5000 == 0)
            add(w, t, (trace_event){ .kind = TRACE_MARK, .ts = ts[t], .str = 0 });
    }
    CHECK(trace_writer_close(w, 0) == TRACE_OK);
    uint64_t events = read_back_exactly(path, 2);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    /* Deterministic input: 4.29 bytes/event when written, a third of it in
     * fast chunks (random sizes up to 100000 and gaps up to 100 us carry
     * most of it); more means the address coding lost its models. */
    double per = (double)st.st_size / (double)events;
    CHECK(per < 4.6);
    printf("ok - coded addresses: %.2f bytes/event\n", per);
}

/* The coding byte and the length of each column of the first events chunk
 * of `path` (read here from the bytes, as FORMAT.md §4 lays them out);
 * false if there is none. */
static bool first_chunk_columns(const char *path, uint8_t coding[TRACE_COLUMNS], uint64_t len[TRACE_COLUMNS])
{
    static uint8_t file[1 << 22], raw[1 << 23];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, file, sizeof file) : -1;
    if (fd >= 0)
        close(fd);
    if (n < 8)
        return false;
    size_t at = 8 + trace_get_u32(file + 4);
    while (at + 8 + TRACE_CHUNK_HEADER_SIZE <= (size_t)n) {
        const uint8_t *h = file + at + 8;
        uint32_t kind = trace_get_u32(h), comp = trace_get_u32(h + 32), hsize = trace_get_u32(file + at + 4);
        const uint8_t *payload = file + at + 8 + hsize;
        at += 8 + hsize + comp;
        if (kind != TRACE_CHUNK_EVENTS)
            continue;
        LZ4F_dctx *dc;
        if (LZ4F_isError(LZ4F_createDecompressionContext(&dc, LZ4F_VERSION)))
            return false;
        size_t out = sizeof raw, in = comp;
        size_t r = LZ4F_decompress(dc, raw, &out, payload, &in, NULL);
        LZ4F_freeDecompressionContext(dc);
        if (LZ4F_isError(r) || r != 0)
            return false;
        const uint8_t *p = raw, *e = raw + out;
        uint64_t count;
        if (!trace_get_varint(&p, e, &count) || count > (uint64_t)(e - p))
            return false;
        p += count;
        for (int c = 0; c < TRACE_COLUMNS; c++) {
            if (!trace_get_varint(&p, e, &len[c]) || len[c] == 0 || len[c] > (uint64_t)(e - p))
                return false;
            coding[c] = *p;
            p += len[c];
        }
        return true;
    }
    return false;
}

/* The writer's choice of a column's coding by what LZ4 makes of it: sizes
 * that come back in the same order again and again stay varints (LZ4 finds
 * the repeats in the bytes, which a Huffman code would hide), stacks drawn
 * at random from eight get a Huffman code (LZ4 finds nothing to repeat in
 * their varints). And the writer's index of live addresses keeps a block
 * freed a thousand allocations later: its release is a rank, not a literal
 * (with a slot per two entries of the window, one free in nine was). */
static void test_column_choice(void)
{
    char path[256];
    trace_writer *w = new_writer(path, sizeof path, "choice.trace", 1, 0);
    if (!w)
        return;
    memset(want, 0, sizeof want);
    for (uint64_t id = 1; id <= 8; id++)
        CHECK(trace_writer_add_stack(w, id, (const uint64_t[]){ 0x401000 + 16 * id, 0x402000 }, 2) == TRACE_OK);
    enum { LIVE = 1000, STEPS = 30000 };
    static uint64_t live[LIVE];
    memset(live, 0, sizeof live);
    uint64_t sizes[64], ts = 1000, next = 0x7f0000000000ull;
    for (unsigned k = 0; k < 64; k++)
        sizes[k] = 16 + rnd() % 4000;
    for (unsigned i = 0; i < STEPS; i++) {
        unsigned slot = (unsigned)(rnd() % LIVE);
        if (live[slot])
            add(w, 0, (trace_event){ .kind = TRACE_FREE, .ts = ts += rnd() % 50, .addr = live[slot] });
        live[slot] = next += 16 * (1 + rnd() % 300); /* never an address seen before: no reuse to find */
        add(w, 0, (trace_event){ .kind = TRACE_ALLOC, .ts = ts += rnd() % 50, .addr = live[slot],
                                 .size = sizes[i % 64], .stack = 1 + rnd() % 8 });
    }
    CHECK(trace_writer_close(w, 0) == TRACE_OK);
    read_back_exactly(path, 1);
    uint8_t coding[TRACE_COLUMNS];
    uint64_t len[TRACE_COLUMNS];
    CHECK(first_chunk_columns(path, coding, len));
    CHECK_EQ_U64(coding[TRACE_COL_SIZE], TRACE_COLUMN_VARINT);
    CHECK_EQ_U64(coding[TRACE_COL_STACK], TRACE_COLUMN_HUFFMAN);
    CHECK_EQ_U64(coding[TRACE_COL_TS], TRACE_COLUMN_HUFFMAN_BY_KIND);
    /* The literal column's bytes per free: each allocation's own literal
     * (never a reuse here) and the frees' that were not ranks. 1.94 as
     * written, 2.33 with the index's old slot per two entries. */
    double lit_per_free = (double)len[TRACE_COL_ADDR_LIT] / (STEPS - LIVE);
    CHECK(lit_per_free < 2.1);
    printf("ok - column choice: sizes %s, stacks %s; literal bytes per free %.2f\n",
           coding[TRACE_COL_SIZE] ? "coded" : "varints", coding[TRACE_COL_STACK] ? "coded" : "varints", lit_per_free);
}

/* The search for a released block's entry as it was first written, kept as
 * the reference: a mark per entry, counted back one by one over the window
 * [lo, to). */
static bool naive_live_select(const bool *live, uint64_t lo, uint64_t to, uint64_t rank, uint64_t *out)
{
    for (uint64_t i = to; i-- > lo;)
        if (live[i] && --rank == 0) {
            *out = i;
            return true;
        }
    return false;
}

/* The live order's take (the list of live slots, the shorter side moved)
 * against the reference on random adds and releases, near and far: every
 * rank of the window and one past it, and a take that must fail changes
 * nothing. The 60,000 entries pass the buffer's end many times. */
static void test_live_order(void)
{
    static trace_live_order o;
    static bool live[60000];
    trace_live_reset(&o);
    memset(live, 0, sizeof live);
    uint64_t n = 0, bad = 0, tried = 0;
    for (unsigned step = 0; step < 120000 && n < 60000; step++) {
        /* phases: mostly allocating, mostly releasing, balanced */
        unsigned phase = step / 5000 % 3;
        bool make = phase == 0 ? rnd() % 4 != 0 : phase == 1 ? rnd() % 4 == 0 : rnd() % 2;
        uint64_t lo = n > TRACE_ADDR_WINDOW ? n - TRACE_ADDR_WINDOW : 0;
        if (make) {
            trace_live_add(&o, n);
            live[n++] = true;
            continue;
        }
        uint64_t nlive = 0;
        for (uint64_t i = lo; i < n; i++)
            nlive += live[i];
        bad += nlive != o.n;
        /* one beyond the live entries (must fail, nothing taken), then a
         * near rank or a far one (taken, as the reader does) */
        uint64_t beyond = nlive + 1 + rnd() % 3, a = UINT64_MAX, b = UINT64_MAX;
        bad += trace_live_take(&o, n, beyond, &a) || naive_live_select(live, lo, n, beyond, &b);
        uint64_t rank = rnd() % 2 ? 1 + rnd() % 6 : nlive ? 1 + rnd() % nlive : 1;
        bool fa = trace_live_take(&o, n, rank, &a), fb = naive_live_select(live, lo, n, rank, &b);
        tried += 2;
        bad += fa != fb || (fa && a != b);
        if (fb)
            live[b] = false;
    }
    CHECK_EQ_U64(bad, 0);
    printf("ok - live order: %llu takes as the reference's\n", (unsigned long long)tried);
}

/* Frees of blocks made thousands of events earlier (a pool of 3,500 live
 * blocks, each freed at random): the rank of each release reaches far back
 * into the window, and past it for the oldest. Reads back exactly. */
static void test_long_lived(void)
{
    char path[256];
    trace_writer *w = coded_writer(path, sizeof path, "long-lived.trace");
    if (!w)
        return;
    enum { POOL = 3500 };
    static uint64_t pool[POOL];
    uint64_t next = 0x7f0000000000ull, ts = 1000;
    for (unsigned i = 0; i < POOL; i++) {
        pool[i] = next += 48;
        add(w, 0, (trace_event){ .kind = TRACE_ALLOC, .ts = ts += 7, .addr = pool[i], .size = 40, .stack = 1 });
    }
    for (unsigned i = 0; i < 90000; i++) {
        unsigned k = (unsigned)(rnd() % POOL);
        if (rnd() % 16 == 0) {
            uint64_t na = next += 48;
            add(w, 0, (trace_event){ .kind = TRACE_REALLOC, .ts = ts += 5, .addr = pool[k], .addr2 = na,
                                     .size = 80, .stack = 1 });
            pool[k] = na;
            continue;
        }
        add(w, 0, (trace_event){ .kind = TRACE_FREE, .ts = ts += 3, .addr = pool[k] });
        /* sometimes the address just released, as an allocator would */
        uint64_t a = rnd() % 2 ? pool[k] : (next += 48);
        add(w, 0, (trace_event){ .kind = TRACE_ALLOC, .ts = ts += 4, .addr = a, .size = 16 + rnd() % 64, .stack = 1 });
        pool[k] = a;
    }
    CHECK(trace_writer_close(w, 0) == TRACE_OK);
    uint64_t events = read_back_exactly(path, 1);
    printf("ok - long-lived blocks: %llu events read back\n", (unsigned long long)events);
}

/* Packed records (the recorder's path) make the very bytes add_event makes
 * of the same events: every kind in the full form, allocations and frees in
 * their short forms too (and an allocation of 4 GiB or more, which the
 * short form cannot hold), third fields, records add_event refuses, records
 * cut short by the end of a batch, a word of no form, a clock past
 * TRACE_PACKED_TS_MAX, chunks that fill up mid-batch, threads taking turns,
 * fast chunks, a tick clock. */
typedef struct packed_desc {
    uint64_t ts, a, b, c;
    uint32_t stack, kind;   /* kind | TRACE_PACKED_EXT when c is a third field */
    uint32_t thread, off, len; /* its words */
} packed_desc;

/* The field use trace-packed.h gives each kind (its fields besides the
 * stack in the table's order), written out on its own. */
static trace_event packed_to_event(const packed_desc *r, const trace_tick_map *m)
{
    uint64_t c = r->c;
    trace_event e = { .kind = r->kind & ~TRACE_PACKED_EXT, .ts = trace_tick_map_apply(m, trace_packed_ts(r->ts)),
                      .stack = r->stack };
    if (e.kind == TRACE_ALLOC || e.kind == TRACE_FREE || e.kind == TRACE_REALLOC)
        e.addr = r->a;
    if (e.kind == TRACE_REALLOC)
        e.addr2 = r->b;
    if (e.kind == TRACE_ALLOC)
        e.size = r->b;
    if (e.kind == TRACE_REALLOC || e.kind == TRACE_RES_OPEN)
        e.size = c;
    if (e.kind == TRACE_RES_OPEN || e.kind == TRACE_RES_CLOSE)
        e.value = r->b;
    if (e.kind == TRACE_GC_END)
        e.size = r->a;
    else if (e.kind == TRACE_LOST)
        e.value = r->a;
    else if (e.kind >= TRACE_RES_OPEN)
        e.str = r->a; /* a kind, reason or label */
    return e;
}

static void test_packed(void)
{
    enum { N = 400000, LIVE = 200 };
    packed_desc *rec = calloc(N + 1, sizeof *rec);
    uint64_t *words = calloc((size_t)N * TRACE_PACKED_MAX_WORDS + 4, sizeof *words);
    if (!rec || !words)
        exit(1);
    uint64_t live[2][LIVE] = { { 0 } }, next_addr = 0x7f0000001000ull, tick[2] = { 5000, 5000 };
    size_t n = 0, nw = 0;
    unsigned forms[3] = { 0 }; /* full, free, alloc */
    for (unsigned run = 0; n < N - 8; run++) {
        int t = (int)(run % 2);
        /* runs of one thread, one of them longer than a chunk */
        size_t len = run == 3 ? 70000 : 1 + rnd() % 9000;
        for (size_t k = 0; k < len && n < N - 8; k++) {
            tick[t] += rnd() % 8 == 0 ? rnd() % 1000000 : rnd() % 40;
            if (rnd() % 64 == 0)
                tick[t] -= rnd() % 100; /* out of order: held at the previous time */
            packed_desc *r = &rec[n];
            *r = (packed_desc){ .ts = tick[t], .thread = (uint32_t)t };
            if (n == N - 9)
                r->ts = UINT64_MAX; /* the last: a clock beyond the packed range */
            uint64_t *slot = &live[t][rnd() % LIVE];
            /* some runs only allocate and free after a first event of another kind */
            unsigned what = (unsigned)(run % 4 == 1 ? (k ? 36 + rnd() % 964 : 30) : rnd() % 1000);
            bool full = rnd() % 10 == 0; /* an allocation or free in the full form */
            if (what < 6) { /* records add_event refuses */
                r->kind = what < 3 ? 31 : what < 5 ? TRACE_ALLOC : TRACE_FREE;
                r->stack = 99;
                r->a = next_addr;
                full = r->kind != TRACE_ALLOC;
            } else if (what < 20) {
                r->kind = TRACE_REALLOC | TRACE_PACKED_EXT;
                r->a = *slot;
                r->b = next_addr += 64;
                r->c = rnd() % 5000;
                r->stack = (uint32_t)(rnd() % 3);
                *slot = r->b;
            } else if (what < 30) {
                r->kind = TRACE_RES_OPEN | TRACE_PACKED_EXT;
                r->a = 1;
                r->b = rnd() % 1024;
                r->c = rnd() % 100000;
                r->stack = 1;
            } else if (what < 36) {
                static const uint32_t other[] = { TRACE_RES_CLOSE, TRACE_GC_BEGIN, TRACE_GC_END, TRACE_MARK, TRACE_LOST };
                r->kind = other[rnd() % 5];
                r->a = r->kind == TRACE_GC_END || r->kind == TRACE_LOST ? rnd() : 1;
                r->b = rnd() % 1024;
                r->stack = r->kind == TRACE_RES_CLOSE ? (uint32_t)(rnd() % 3) : 0; /* a close's stack: since 3 */
            } else if (*slot) {
                r->kind = TRACE_FREE;
                r->a = *slot;
                *slot = 0;
            } else {
                r->kind = TRACE_ALLOC;
                /* mostly an address freed recently, else a new one */
                r->a = rnd() % 4 ? (*slot = next_addr += 32 * (1 + rnd() % 3)) : (*slot = next_addr + 1024 * (rnd() % 8));
                r->b = rnd() % 3 == 0 ? rnd() % 100000 : 8 * (1 + rnd() % 16);
                if (rnd() % 200 == 0)
                    r->b += 5ull << 32; /* too large for the short form */
                r->stack = (uint32_t)(rnd() % 3);
            }
            r->off = (uint32_t)nw;
            if (r->kind == TRACE_FREE && !full)
                nw += trace_packed_free(words + nw, r->ts, r->a);
            else if (r->kind == TRACE_ALLOC && !full)
                nw += trace_packed_alloc(words + nw, r->ts, r->a, r->b, r->stack);
            else
                nw += trace_packed_full(words + nw, r->ts, r->kind, r->a, r->b, r->stack, r->c);
            r->len = (uint32_t)nw - r->off;
            forms[(words[r->off] & TRACE_PACKED_FORM) >> 62]++;
            n++;
        }
    }
    rec[n].off = (uint32_t)nw;
    CHECK(forms[0] > 1000 && forms[1] > 1000 && forms[2] > 1000);
    /* batches within a thread's run, the same for both writers; some end
     * in a record cut short, a few in a word of no form */
    enum { WHOLE, CUT, NO_FORM };
    uint32_t *batch_end = calloc(n + 1, sizeof *batch_end);
    uint8_t *batch_kind = calloc(n + 1, 1);
    if (!batch_end || !batch_kind)
        exit(1);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1, len = 1 + rnd() % 3000;
        while (j < n && rec[j].thread == rec[i].thread && j - i < len)
            j++;
        batch_end[i] = (uint32_t)j;
        batch_kind[i] = rnd() % 20 == 0 ? CUT : rnd() % 100 == 0 ? NO_FORM : WHOLE;
        i = j;
    }
    const trace_tick_map map = { 4000, 123456789, (uint64_t)(0.37 * 4294967296.0) };
    uint8_t *bytes[2];
    size_t size[2];
    unsigned bad_batches = 0;
    for (int mode = 0; mode < 2; mode++) {
        char path[256];
        trace_writer *w = new_writer(path, sizeof path, mode ? "packed.trace" : "events.trace", 16, 0);
        if (!w)
            return;
        CHECK(trace_writer_add_stack(w, 1, (const uint64_t[]){ 0x401000 }, 1) == TRACE_OK);
        CHECK(trace_writer_add_stack(w, 2, (const uint64_t[]){ 0x402000 }, 1) == TRACE_OK);
        CHECK(trace_writer_add_string(w, 1, "fd", 2) == TRACE_OK);
        unsigned refused = 0, batches = 0;
        for (size_t i = 0; i < n; batches++) {
            size_t j = batch_end[i]; /* every fifth batch in fast chunks */
            uint32_t tid = tids[rec[i].thread];
            trace_writer_set_fast(w, batches % 5 == 4);
            if (mode) {
                bool bad = batch_kind[i] != WHOLE;
                for (size_t k = i; k < j; k++)
                    bad |= (rec[k].kind & 0xff) == 31 || rec[k].stack == 99;
                size_t from = rec[i].off, to = rec[j].off;
                /* a word of no form, then what would read as an allocation */
                const uint64_t no_form[4] = { TRACE_PACKED_FORM | 1234, 0x1000, 64, (uint64_t)TRACE_ALLOC << 32 };
                uint64_t saved[4];
                memcpy(saved, words + to, sizeof saved);
                if (batch_kind[i] == CUT)
                    to--; /* the last record without its last word */
                else if (batch_kind[i] == NO_FORM) {
                    memcpy(words + to, no_form, sizeof no_form);
                    to += 4;
                }
                trace_status st = trace_writer_add_packed(w, tid, words + from, to - from, &map);
                memcpy(words + rec[j].off, saved, sizeof saved);
                CHECK(st == (bad ? TRACE_ERR_ARGS : TRACE_OK));
                bad_batches += bad;
            } else {
                for (size_t k = i; k < j; k++) {
                    if (batch_kind[i] == CUT && k == j - 1)
                        break; /* refused: the writer cannot read it */
                    trace_event ev = packed_to_event(&rec[k], &map);
                    refused += trace_writer_add_event(w, tid, &ev) == TRACE_ERR_ARGS;
                }
            }
            i = j;
        }
        if (!mode)
            CHECK(refused > 0);
        CHECK(trace_writer_close(w, 0) == TRACE_OK);
        bytes[mode] = slurp(path, &size[mode]);
    }
    CHECK(bad_batches > 10);
    CHECK(bytes[0] && bytes[1] && size[0] == size[1] && memcmp(bytes[0], bytes[1], size[0]) == 0);
    printf("ok - %zu packed records (%u full, %u short frees, %u short allocations; %zu words) written as the "
           "same %zu bytes as by add_event\n",
           n, forms[0], forms[1], forms[2], nw, size[1]);
    free(bytes[0]);
    free(bytes[1]);
    free(rec);
    free(words);
    free(batch_end);
    free(batch_kind);
}

/* A format 1 file (written before the entropy coding) still reads: the
 * corpus's valid-small, hand-built in format 1 (tests/fuzz/make-corpus.c). */
static void test_format1(const char *path)
{
    trace_reader *r;
    trace_error err;
    CHECK(trace_reader_open(path, &r, &err) == TRACE_OK);
    if (!r)
        return;
    CHECK_EQ_U64(trace_reader_info(r)->version_major, 1);
    trace_reader_close(r);
    uint64_t events;
    bool complete;
    memset(got, 0, sizeof got);
    CHECK(read_all(path, NULL, &events, &complete, NULL) == TRACE_END);
    CHECK(complete);
    CHECK_EQ_U64(events, 7);
    printf("ok - format 1 file read: %llu events\n", (unsigned long long)events);
}

/* CRC-32 (the zlib polynomial) as the standard defines it, a bit at a time. */
static uint32_t crc32_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = crc >> 1 ^ (0xEDB88320u & -(crc & 1));
    }
    return ~crc;
}

/* trace_crc32 gives the standard values on every path it takes (tables;
 * carry-less multiplication for 64 bytes and more where the CPU has it):
 * the check value, every length to 600 at every alignment to 16, and a
 * buffer in pieces. */
static void test_crc32(void)
{
    CHECK_EQ_U64(trace_crc32(0, "123456789", 9), 0xCBF43926u);
    static uint8_t buf[600 + 16 + 1];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rnd();
    unsigned bad = 0;
    for (size_t at = 0; at < 16; at++)
        for (size_t len = 0; len <= 600; len++)
            bad += trace_crc32(0x12345678u, buf + at, len) != crc32_bitwise(0x12345678u, buf + at, len);
    CHECK_EQ_U64(bad, 0);
    uint32_t pieces = 0;
    for (size_t at = 0; at < 600; at += 7 + at % 97)
        pieces = trace_crc32(pieces, buf + at, (at + 7 + at % 97 > 600 ? 600 : at + 7 + at % 97) - at);
    CHECK_EQ_U64(pieces, crc32_bitwise(0, buf, 600));
    printf("ok - crc32: the check value, %d lengths at 16 alignments, a buffer in pieces\n", 601);
}

/* A format-1 file of the fuzz corpus, named by LEAKSCOPE_TEST_FORMAT1 (meson
 * sets it): the reader still reads the first format. */
static void case_format1(void)
{
    const char *path = getenv("LEAKSCOPE_TEST_FORMAT1");
    CHECK(path && *path);
    if (path && *path)
        test_format1(path);
}
static void case_time_unit_1000(void) { test_time_unit(1000); }
static void case_time_unit_16(void) { test_time_unit(16); }

/* One meson test per case (tests/meson.build); `test-format NAME` runs one. */
static const test_case cases[] = {
    { "format1", case_format1 },
    { "crc32", test_crc32 },
    { "roundtrip", test_roundtrip },
    { "huff", test_huff },
    { "huff-reference", test_huff_reference },
    { "address-coding", test_address_coding },
    { "column-choice", test_column_choice },
    { "live-order", test_live_order },
    { "long-lived", test_long_lived },
    { "packed", test_packed },
    { "time-unit-1000", case_time_unit_1000 },
    { "time-unit-16", case_time_unit_16 },
    { "unknown-chunks", test_unknown_chunks },
    { "truncation-and-corruption", test_truncation_and_corruption },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-format", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}

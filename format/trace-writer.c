/* trace-writer.c — encodes events column by column, compresses each chunk as
 * one LZ4 frame and appends it behind a skippable-frame chunk header.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "trace-writer.h"
#include "trace-heap.h"
#include "trace-huff.h"
#include "trace-private.h"
#include "trace-summary.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

typedef struct bytebuf {
    uint8_t *data;
    size_t len, cap;
} bytebuf;

/* ---- memory: the C library's, or what trace_writer_set_memory gave ---- */

static void *(*writer_resize)(void *p, size_t old_bytes, size_t new_bytes);

void trace_writer_set_memory(void *(*resize)(void *p, size_t old_bytes, size_t new_bytes))
{
    __atomic_store_n(&writer_resize, resize, __ATOMIC_RELEASE);
}

static void *mem_resize(void *p, size_t old_bytes, size_t new_bytes)
{
    void *(*r)(void *, size_t, size_t) = __atomic_load_n(&writer_resize, __ATOMIC_ACQUIRE);
    if (r)
        return r(p, old_bytes, new_bytes);
    return p ? realloc(p, new_bytes) : calloc(1, new_bytes);
}

static void mem_free(void *p, size_t bytes)
{
    void *(*r)(void *, size_t, size_t) = __atomic_load_n(&writer_resize, __ATOMIC_ACQUIRE);
    if (!r)
        free(p);
    else if (p)
        r(p, bytes, 0);
}

static bool buf_reserve(bytebuf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < extra)
        cap *= 2;
    uint8_t *d = mem_resize(b->data, b->cap, cap);
    if (!d)
        return false;
    b->data = d;
    b->cap = cap;
    return true;
}

/* Callers reserve first; these only append. */
static inline void buf_varint(bytebuf *b, uint64_t v) { b->len += trace_put_varint(b->data + b->len, v); }
static inline void buf_bytes(bytebuf *b, const void *p, size_t n)
{
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

/* Finds an address among the last TRACE_ADDR_WINDOW pushed in the open
 * chunk. Direct-mapped: a collision only costs a literal, never a wrong
 * distance, since the reader keeps the exact window. Eight slots per entry
 * of the window: with two, a block freed 1000 allocations after it was made
 * had lost its slot one time in nine (a literal of 2.6 bytes for a rank of
 * 1.2; 11% of the frees of the random-size bench workload), with eight one
 * time in thirty-three. Positions count from the writer's creation, so a
 * new chunk needs no clearing, only `start`. */
#define ADDR_INDEX_BITS 15u
#define ADDR_INDEX_SLOTS (1u << ADDR_INDEX_BITS)
_Static_assert(ADDR_INDEX_SLOTS >= 2 * TRACE_ADDR_WINDOW, "fewer collisions than entries");
typedef struct addr_index {
    uint64_t pos, start;   /* next position; first position of the open chunk */
    struct {
        uint64_t addr;
        uint64_t pos_class;  /* position << 16 | size class (live index only): 16-byte slots */
    } slot[ADDR_INDEX_SLOTS];
} addr_index;

static inline uint32_t addr_slot(uint64_t a)
{
    return (uint32_t)((a >> 4) * 0x9E3779B97F4A7C15ull >> (64 - ADDR_INDEX_BITS));
}

/* Distance back to `a` (1 = the last address pushed), or 0, with the
 * window's next position `pos` (x->pos, or a copy the caller keeps in a
 * local); *cls gets the size class pushed with it. */
static inline uint64_t slot_find(const addr_index *x, uint64_t pos, uint64_t a, unsigned *cls)
{
    const __typeof__(x->slot[0]) *s = &x->slot[addr_slot(a)];
    uint64_t at = s->pos_class >> 16;
    if (s->addr == a && at >= x->start && pos - at <= TRACE_ADDR_WINDOW && at < pos) {
        *cls = (unsigned)(s->pos_class & 0xffff);
        return pos - at;
    }
    return 0;
}

/* Records `a` at position pos (the caller advances it). */
static inline void slot_push(addr_index *x, uint64_t pos, uint64_t a, unsigned cls)
{
    __typeof__(x->slot[0]) *s = &x->slot[addr_slot(a)];
    s->addr = a;
    s->pos_class = pos << 16 | cls;
}

static inline uint64_t addr_find(const addr_index *x, uint64_t a, unsigned *cls) { return slot_find(x, x->pos, a, cls); }
static inline void addr_push(addr_index *x, uint64_t a, unsigned cls) { slot_push(x, x->pos++, a, cls); }

/* Which entries of the live window are still live (FORMAT.md §4.1.2): a
 * release is coded as its rank among them, newest first. The reader keeps
 * the live entries in order and reads the rank-th at its place
 * (trace_live_order); the writer, which has the entry and wants its rank,
 * keeps a ring of twice the window's 4096 bits, and an entry's bit is
 * cleared as the entry leaves the window, so the bits after the newest
 * entry are zero and a rank counts whole words. Entries are numbered in
 * the chunk. */
#define MARKS_WORDS (2 * TRACE_ADDR_WINDOW / 64)
typedef struct writer_marks {
    uint64_t w[MARKS_WORDS];
} writer_marks;

/* Entry j made live; entry j - 4096 (same bit, half the ring away) leaves the window. */
static inline void marks_push(writer_marks *m, uint64_t j)
{
    m->w[j / 64 % MARKS_WORDS] |= 1ull << (j % 64);
    m->w[(j / 64 + MARKS_WORDS / 2) % MARKS_WORDS] &= ~(1ull << (j % 64));
}

/* Whether entry k (in the window) is live; then marks it released. */
static inline bool marks_release(writer_marks *m, uint64_t k)
{
    uint64_t *word = &m->w[k / 64 % MARKS_WORDS], bit = 1ull << (k % 64);
    if (!(*word & bit))
        return false;
    *word &= ~bit;
    return true;
}

/* Live entries numbered (k, j) (k < j: k is in the window before entry j),
 * the newer ones than k: its rank less one. How many words they span varies
 * from one release to the next, so a loop over them would mispredict its
 * exit about once a release: up to four words are counted without a branch
 * (the bits from j on are zero), longer spans (rare) in a loop. */
static inline __attribute__((always_inline)) unsigned marks_newer(const writer_marks *m, uint64_t k, uint64_t j,
                                                                  bool hw)
{
    uint64_t wk = k / 64, last = (j - 1) / 64; /* word numbers of the unwrapped bitmap */
    unsigned count = trace_marks_pop(m->w[wk % MARKS_WORDS] & ~1ull << (k % 64), hw); /* after k */
    _Static_assert(4 * 64 <= TRACE_ADDR_WINDOW, "the bits read past j are in the zeroed half");
    if (__builtin_expect(last - wk < 4, 1))
        return count + trace_marks_pop(m->w[(wk + 1) % MARKS_WORDS], hw) +
               trace_marks_pop(m->w[(wk + 2) % MARKS_WORDS], hw) + trace_marks_pop(m->w[(wk + 3) % MARKS_WORDS], hw);
    while (wk < last)
        count += trace_marks_pop(m->w[++wk % MARKS_WORDS], hw);
    return count;
}

/* Ranks count with the POPCNT instruction where the CPU has it (every
 * x86-64 since about 2008, but not the baseline the compiler targets),
 * chosen once. */
typedef unsigned (*marks_newer_fn)(const writer_marks *m, uint64_t k, uint64_t j);
static unsigned marks_newer_sw(const writer_marks *m, uint64_t k, uint64_t j) { return marks_newer(m, k, j, false); }
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("popcnt"))) static unsigned marks_newer_hw(const writer_marks *m, uint64_t k, uint64_t j)
{
    return marks_newer(m, k, j, true);
}
static marks_newer_fn pick_marks_newer(void)
{
    return trace_cpu_popcnt() ? marks_newer_hw : marks_newer_sw;
}
#else
static marks_newer_fn pick_marks_newer(void) { return marks_newer_sw; }
#endif

struct trace_writer {
    int fd;
    dev_t dev;             /* the file fd was opened on: fd_is_ours */
    ino_t ino;
    bool fd_lost;          /* fd was found to be another file, or closed */
    trace_status status;   /* first error; once set, nothing more is written */
    int err;
    uint32_t seq;
    uint64_t events;       /* written in chunks: the END chunk's total */
    uint32_t time_unit_ns;
    int time_shift;        /* log2(time_unit_ns) when it is a power of two, else -1 */

    /* open event chunk */
    bool open;
    bool fast, chunk_fast;  /* varints only (set / in the open chunk) */
    uint32_t thread, count;
    uint32_t room;         /* events the buffers below have room for (grows to a full chunk) */
    uint64_t first_ts, prev_ts; /* in file time units */
    uint64_t max_ts;       /* over all chunks, for the END chunk (file units) */
    uint64_t prev_lit;     /* previous literal address */
    bytebuf kinds;
    bytebuf col[TRACE_COLUMNS];   /* varints (fast chunk, or a column never coded) */
    struct {
        uint64_t *v;
        size_t n, cap;
    } vals[TRACE_COLUMNS];        /* values of the coded columns of the open chunk */
    /* Where each recent address was seen: one index of addresses made live,
     * one of addresses released (FORMAT.md §4.1.2). */
    addr_index live_idx, released_idx;
    /* Addresses released from each size class in the open chunk (§4.1.2). */
    trace_class_lists classes;
    writer_marks marks;
    marks_newer_fn marks_newer;
    trace_huff_enc huff;
    trace_huff_hist hist[TRACE_COLUMNS]; /* token counts of the coded columns */
    /* The open chunk's summary (FORMAT.md §4.1.3): its totals, the running
     * heap and resource deltas, the granule being filled (its lowest and
     * highest values) and those filled. */
    struct {
        uint64_t alloc_bytes; /* the released bytes are these less the heap (FORMAT.md §4.1.3) */
        uint32_t kinds[16];   /* events of each kind, but the allocations and frees packed_run takes */
        uint32_t unknown;
        bool blind;        /* an allocation or release came without its heap delta */
        int64_t heap, res, heap_min, heap_max, res_min, res_max;
        uint32_t ngran;
        uint64_t pause;       /* a gap this long (file units) ends a granule; UINT64_MAX: no more */
        uint32_t gran_at;     /* the event count at which the next granule starts, at the latest */
        uint32_t pauses;      /* granules ended by a pause, of TRACE_SUMMARY_PAUSES */
        trace_summary_granule gran[TRACE_SUMMARY_GRANULES_MAX + 1]; /* + the one summary_close opens */
    } sum;

    /* buffered dictionary records */
    bytebuf dict;
    uint32_t dict_count;
    uint64_t next_string, next_stack;

    bytebuf raw, comp;
    bytebuf alt;           /* a column's other form, weighed (put_column) */
    bytebuf heap;          /* a heap snapshot's records, before its counts */
    LZ4_stream_t lz4;      /* linked blocks: reset per frame, kept allocated */
};

static trace_status fail(trace_writer *w, trace_status st, int err)
{
    if (w->status == TRACE_OK) {
        w->status = st;
        w->err = err;
    }
    return w->status;
}

/* Whether w->fd is still the descriptor of the file it was opened on. In
 * someone else's process it may not be: a program that closes descriptors
 * with the close_range system call, past the C library (and so past
 * the preload module's close_range), closes the trace's too, and the file
 * it opens next may take its number. Then nothing more is written, and the
 * descriptor is never closed: it is the program's. errno is kept. */
static bool fd_is_ours(trace_writer *w)
{
    if (w->fd_lost)
        return false;
    int saved = errno;
    struct stat st;
    if (fstat(w->fd, &st) != 0 || st.st_dev != w->dev || st.st_ino != w->ino)
        w->fd_lost = true;
    errno = saved;
    return !w->fd_lost;
}

static trace_status write_all(trace_writer *w, struct iovec *iov, int n)
{
    /* Checked once per chunk (one writev, see write_chunk), just before it
     * is written. A program that closes and reopens in the instant between
     * the check and the write is not caught; the recorder keeps its
     * descriptor where the program's next open never puts one (fds.c), so
     * it would also take a dup2 onto that very number. */
    if (!fd_is_ours(w))
        return fail(w, TRACE_ERR_IO, EBADF);
    while (n > 0) {
        ssize_t r = writev(w->fd, iov, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return fail(w, TRACE_ERR_IO, errno);
        }
        if (r == 0)
            return fail(w, TRACE_ERR_IO, ENOSPC);
        while (n > 0 && (size_t)r >= iov->iov_len) {
            r -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + r;
            iov->iov_len -= (size_t)r;
        }
    }
    return TRACE_OK;
}

/* The LZ4 frame each chunk is (what LZ4F_compressBegin/Update/End make
 * with zeroed preferences but a content size and 256 KB blocks, byte for
 * byte), made here: liblz4 1.9.x frees and callocs its 384 KB staging
 * buffer at every LZ4F_compressBegin, and copies the input into it. */
#define LZ4_BLOCK_MAX (256u * 1024u)
#define LZ4_FRAME_HEADER 15u /* magic, FLG, BD, content size, header checksum */

static inline uint32_t rotl32(uint32_t x, unsigned r) { return x << r | x >> (32 - r); }

/* XXH32 with seed 0 of fewer than 16 bytes: the frame header's checksum. */
static uint32_t xxh32_short(const uint8_t *p, size_t len)
{
    const uint32_t P1 = 2654435761u, P2 = 2246822519u, P3 = 3266489917u, P4 = 668265263u, P5 = 374761393u;
    uint32_t h = P5 + (uint32_t)len;
    for (; len >= 4; p += 4, len -= 4)
        h = rotl32(h + trace_get_u32(p) * P3, 17) * P4;
    for (; len > 0; p++, len--)
        h = rotl32(h + *p * P5, 11) * P1;
    h ^= h >> 15;
    h *= P2;
    h ^= h >> 13;
    h *= P3;
    return h ^ h >> 16;
}

/* Room the frame of `len` bytes needs: every block is at most its input
 * (stored when compressing does not make it smaller) behind its size. */
static size_t lz4_frame_bound(size_t len) { return LZ4_FRAME_HEADER + len + 4 * (len / LZ4_BLOCK_MAX + 1) + 4; }

/* Writes the frame of w->raw (never empty: a content size of 0 would mean
 * "unknown" and drop the field) to `out`; returns its size. */
static size_t lz4_frame(trace_writer *w, uint8_t *out)
{
    const uint8_t *src = w->raw.data;
    size_t len = w->raw.len, o = LZ4_FRAME_HEADER;
    trace_put_u32(out, 0x184D2204u);
    out[4] = 0x48; /* version 1, linked blocks, content size present */
    out[5] = 0x50; /* blocks of up to 256 KB */
    trace_put_u64(out + 6, len);
    out[14] = (uint8_t)(xxh32_short(out + 4, 10) >> 8);
    /* Linked blocks: each may refer to the 64 KB before it, in `src`. */
    LZ4_resetStream_fast(&w->lz4);
    for (size_t at = 0; at < len;) {
        int n = (int)(len - at < LZ4_BLOCK_MAX ? len - at : LZ4_BLOCK_MAX);
        int c = LZ4_compress_fast_continue(&w->lz4, (const char *)src + at, (char *)out + o + 4, n, n - 1, 1);
        if (c > 0) {
            trace_put_u32(out + o, (uint32_t)c);
        } else {
            trace_put_u32(out + o, (uint32_t)n | 0x80000000u); /* stored */
            memcpy(out + o + 4, src + at, (size_t)n);
            c = n;
        }
        o += 4 + (size_t)c;
        at += (size_t)n;
    }
    trace_put_u32(out + o, 0); /* end mark */
    return o + 4;
}

/* Compresses w->raw and writes one chunk. */
static trace_status write_chunk_ext(trace_writer *w, uint32_t kind, uint32_t thread, uint64_t first_ts,
                                    uint64_t last_ts, uint32_t count, const uint8_t *ext, size_t ext_len)
{
    if (w->status != TRACE_OK)
        return w->status;
    w->comp.len = 0;
    if (!buf_reserve(&w->comp, lz4_frame_bound(w->raw.len)))
        return fail(w, TRACE_ERR_NOMEM, ENOMEM);
    size_t n = lz4_frame(w, w->comp.data);

    uint8_t hdr[8 + TRACE_CHUNK_HEADER_SIZE + 4 + TRACE_SUMMARY_CODED_MAX];
    _Static_assert(TRACE_CHUNK_HEADER_SIZE + 4 + TRACE_SUMMARY_CODED_MAX <= TRACE_CHUNK_HEADER_MAX,
                   "a summary fits a chunk header");
    size_t hsize = TRACE_CHUNK_HEADER_SIZE + ext_len;
    memset(hdr, 0, 8 + TRACE_CHUNK_HEADER_SIZE);
    if (ext_len)
        memcpy(hdr + 8 + TRACE_CHUNK_HEADER_SIZE, ext, ext_len);
    trace_put_u32(hdr, TRACE_MAGIC_CHUNK_HEADER);
    trace_put_u32(hdr + 4, (uint32_t)hsize);
    uint8_t *h = hdr + 8;
    trace_put_u32(h + 0, kind);
    trace_put_u32(h + 4, thread);
    trace_put_u64(h + 8, first_ts);  /* in file time units */
    trace_put_u64(h + 16, last_ts);
    trace_put_u32(h + 24, count);
    trace_put_u32(h + 28, (uint32_t)w->raw.len);
    trace_put_u32(h + 32, (uint32_t)n);
    trace_put_u32(h + 36, w->seq++);
    uint32_t crc = trace_crc32(0, h, hsize);
    crc = trace_crc32(crc, w->comp.data, n);
    trace_put_u32(h + 40, crc);

    /* One writev per chunk: a crash leaves at most one partial chunk at the end. */
    struct iovec iov[2] = { { hdr, 8 + hsize }, { w->comp.data, n } };
    return write_all(w, iov, 2);
}

static trace_status write_chunk(trace_writer *w, uint32_t kind, uint32_t thread, uint64_t first_ts,
                                uint64_t last_ts, uint32_t count)
{
    return write_chunk_ext(w, kind, thread, first_ts, last_ts, count, NULL, 0);
}

/* ---- The open chunk's summary (FORMAT.md §4.1.3) ---- */

/* Ends the granule being filled (its last event at `prev`, the heap delta
 * then `heap`, its lowest and highest `min` and `max`) and starts the next
 * at `ts`. Every TRACE_SUMMARY_GRANULE events: out of line. */
static __attribute__((noinline)) void granule_next(trace_writer *w, uint32_t count, uint64_t prev, uint64_t ts,
                                                   int64_t heap, int64_t min, int64_t max)
{
    if (count < w->sum.gran_at)
        w->sum.pauses++;
    w->sum.gran_at = count + TRACE_SUMMARY_GRANULE;
    if (w->sum.pauses >= TRACE_SUMMARY_PAUSES)
        w->sum.pause = UINT64_MAX; /* no room for more: granules of 256 from here on */
    trace_summary_granule *g = &w->sum.gran[w->sum.ngran - 1];
    g->last_ts = prev;
    g->heap_end = heap;
    g->heap_min = min;
    g->heap_max = max;
    g->res_end = w->sum.res;
    g->res_min = w->sum.res_min;
    g->res_max = w->sum.res_max;
    g = &w->sum.gran[w->sum.ngran++];
    g->first_ts = ts;
    g->first = count;
    w->sum.heap_min = w->sum.heap_max = heap;
    w->sum.res_min = w->sum.res_max = w->sum.res;
}

/* The summary of the open chunk, coded as the header's extension: u32
 * length, then the coded summary. Returns its bytes. */
static size_t summary_close(trace_writer *w, uint8_t *out)
{
    trace_chunk_summary s;
    memset(&s, 0, sizeof s);
    memcpy(s.kind_counts, w->sum.kinds, sizeof s.kind_counts);
    s.alloc_bytes = w->sum.alloc_bytes;
    s.released_bytes = w->sum.alloc_bytes - (uint64_t)w->sum.heap;
    s.unknown_releases = w->sum.unknown;
    s.heap_known = !w->sum.blind && !w->sum.unknown;
    w->sum.gran_at = w->count; /* not a pause */
    granule_next(w, w->count, w->prev_ts, 0, w->sum.heap, w->sum.heap_min, w->sum.heap_max);
    trace_summary_segments(&s, w->sum.gran, w->sum.ngran - 1, w->count);
    size_t n = trace_summary_encode(&s, w->first_ts, out + 4);
    trace_put_u32(out, (uint32_t)n);
    return 4 + n;
}

static trace_status flush_dict(trace_writer *w)
{
    if (w->dict_count == 0)
        return w->status;
    w->raw.len = 0;
    if (!buf_reserve(&w->raw, w->dict.len))
        return fail(w, TRACE_ERR_NOMEM, ENOMEM);
    buf_bytes(&w->raw, w->dict.data, w->dict.len);
    trace_status st = write_chunk(w, TRACE_CHUNK_DICT, 0, 0, 0, w->dict_count);
    w->dict.len = 0;
    w->dict_count = 0;
    return st;
}

/* Stack and string ids repeat in runs that LZ4 does better on than an
 * order-0 code: they are counted and kept as varints while the chunk fills
 * (the stack column is offered a code when the chunk is written, below). */
static inline bool coded_column(int c) { return c != TRACE_COL_STACK && c != TRACE_COL_STR; }

/* A column of fewer varint bytes is written in the form smaller before
 * LZ4: what LZ4 could find in it is not worth the look. */
#define LZ4_CHOICE_MIN 256u

/* What LZ4 makes of the `len` bytes at p on their own, or 0 when that is
 * `limit` bytes or more. How the writer weighs a column's varints against
 * its Huffman code, since what counts is the chunk after LZ4, and LZ4 finds
 * a program's repeated runs of values (the same sizes allocated in the
 * same order, again and again) in byte-aligned varints, seldom in a
 * bitstream: the code is taken as what LZ4 leaves of it (compressing it
 * too would double the cost for what is rarely there), and LZ4 stops as
 * soon as its output reaches the limit, so varints that do not repeat cost
 * a fraction of a pass. Uses w->comp (free until write_chunk) and w->lz4
 * (reset per frame). */
static size_t lz4_size(trace_writer *w, const uint8_t *p, size_t len, size_t limit)
{
    if (len > INT_MAX || limit < 2 || !buf_reserve(&w->comp, limit))
        return 0;
    LZ4_resetStream_fast(&w->lz4);
    int c = LZ4_compress_fast_continue(&w->lz4, (const char *)p, (char *)w->comp.data, (int)len,
                                       (int)(limit - 1), 1);
    return c > 0 ? (size_t)c : 0;
}

/* A column of fewer varint bytes keeps the form smaller before LZ4: what
 * LZ4 could find in it is not worth the look. */
#define LZ4_CHOICE_MIN 256u

/* The columns whose varints are weighed against their code after LZ4: the
 * sizes and the literal addresses (on sqlite3, git and clang the varints
 * win a chunk in five to ten). The gaps and the address codes lost about
 * as often as they won (a program's repeated runs survive their codes as
 * repeated bytes too): they keep the smaller form before LZ4. */
static inline bool weighed_column(int c) { return c == TRACE_COL_SIZE || c == TRACE_COL_ADDR_LIT; }

static void put_body(bytebuf *raw, uint8_t coding, const uint8_t *body, size_t len)
{
    buf_varint(raw, len + 1);
    raw->data[raw->len++] = coding;
    buf_bytes(raw, body, len);
}

/* The stack column: its varints, unless LZ4 leaves half of them or more
 * (stacks that do not repeat in runs: the call sites of a program taken in
 * turn) and a Huffman code is smaller than what it leaves. Counted here,
 * not while the chunk fills: the hot path only appends the varints. */
static void put_stack_column(trace_writer *w)
{
    bytebuf *raw = &w->raw, *hb = &w->alt;
    const uint8_t *in = w->col[TRACE_COL_STACK].data;
    size_t len = w->col[TRACE_COL_STACK].len;
    if (len >= LZ4_CHOICE_MIN && buf_reserve(hb, len + 8)) {
        size_t left = lz4_size(w, in, len, len);
        if (!left || left >= len / 2) {
            const trace_huff_hist *h = trace_huff_count_all(&w->hist[TRACE_COL_STACK], in, len, NULL);
            size_t coded = h ? trace_huff_encode(&w->huff, h, in, len, NULL, hb->data, left ? left : len) : 0;
            if (coded) {
                put_body(raw, TRACE_COLUMN_HUFFMAN, hb->data, coded);
                return;
            }
        }
    }
    put_body(raw, TRACE_COLUMN_VARINT, in, len);
}

/* Appends one column (FORMAT.md §4.1.1): its length, a mode byte, the body;
 * the room for its varints was reserved. */
static void put_column(trace_writer *w, int c, size_t varint_len)
{
    bytebuf *raw = &w->raw;
    if (w->chunk_fast || c == TRACE_COL_STR) {
        put_body(raw, TRACE_COLUMN_VARINT, w->col[c].data, w->col[c].len);
        return;
    }
    if (c == TRACE_COL_STACK) {
        put_stack_column(w);
        return;
    }
    /* Coded when that is smaller than the varints. Timestamp gaps depend on
     * what the program does between events: one code per event kind (one
     * timestamp per event). */
    const uint8_t *ctx = c == TRACE_COL_TS ? w->kinds.data : NULL;
    size_t coded = varint_len > 16 ? trace_huff_plan(&w->huff, &w->hist[c], ctx != NULL, varint_len) : 0;
    const uint64_t *v = w->vals[c].v;
    size_t n = w->vals[c].n;
    bytebuf *vb = &w->alt;
    if (coded && weighed_column(c) && varint_len >= LZ4_CHOICE_MIN && buf_reserve(vb, varint_len)) {
        vb->len = 0;
        for (size_t i = 0; i < n; i++)
            buf_varint(vb, v[i]);
        if (lz4_size(w, vb->data, vb->len, coded)) {
            put_body(raw, TRACE_COLUMN_VARINT, vb->data, vb->len);
            return;
        }
    }
    if (coded) {
        buf_varint(raw, coded + 1);
        raw->data[raw->len++] = ctx ? TRACE_COLUMN_HUFFMAN_BY_KIND : TRACE_COLUMN_HUFFMAN;
        raw->len += trace_huff_write(&w->huff, v, n, ctx, raw->data + raw->len);
    } else {
        buf_varint(raw, varint_len + 1);
        raw->data[raw->len++] = TRACE_COLUMN_VARINT;
        for (size_t i = 0; i < n; i++)
            buf_varint(raw, v[i]);
    }
}

static trace_status flush_events(trace_writer *w)
{
    if (!w->open)
        return w->status;
    size_t need = TRACE_VARINT_MAX + w->kinds.len + 8; /* 8: the coder's slack */
    size_t varint_len[TRACE_COLUMNS];
    for (int c = 0; c < TRACE_COLUMNS; c++) {
        varint_len[c] = w->chunk_fast || !coded_column(c) ? w->col[c].len : trace_huff_varint_size(&w->hist[c]);
        need += TRACE_VARINT_MAX + 1 + varint_len[c];
    }
    w->raw.len = 0;
    if (!buf_reserve(&w->raw, need))
        return fail(w, TRACE_ERR_NOMEM, ENOMEM);
    buf_varint(&w->raw, w->count);
    buf_bytes(&w->raw, w->kinds.data, w->kinds.len);
    for (int c = 0; c < TRACE_COLUMNS; c++)
        put_column(w, c, varint_len[c]);
    uint8_t ext[4 + TRACE_SUMMARY_CODED_MAX];
    size_t ext_len = summary_close(w, ext);
    trace_status st = write_chunk_ext(w, TRACE_CHUNK_EVENTS, w->thread, w->first_ts, w->prev_ts, w->count, ext,
                                      ext_len);
    if (st == TRACE_OK)
        w->events += w->count;
    if (w->prev_ts > w->max_ts)
        w->max_ts = w->prev_ts;
    w->open = false;
    w->count = 0;
    w->kinds.len = 0;
    for (int c = 0; c < TRACE_COLUMNS; c++) {
        w->col[c].len = 0;
        w->vals[c].n = 0;
    }
    return st;
}

trace_status trace_writer_flush(trace_writer *w)
{
    if (!w)
        return TRACE_ERR_ARGS;
    /* Dictionary first: every id an event chunk uses is defined before it. */
    flush_dict(w);
    flush_events(w);
    return w->status;
}

static trace_status write_file_header(trace_writer *w, const trace_file_info *info)
{
    size_t plen = strnlen(info->program, TRACE_PROGRAM_MAX);
    size_t size = TRACE_FILE_HEADER_FIXED + plen + 4;
    uint8_t buf[8 + TRACE_FILE_HEADER_FIXED + TRACE_PROGRAM_MAX + 4];
    memset(buf, 0, sizeof buf);
    trace_put_u32(buf, TRACE_MAGIC_FILE_HEADER);
    trace_put_u32(buf + 4, (uint32_t)size);
    uint8_t *h = buf + 8;
    memcpy(h, TRACE_FILE_MAGIC, 8);
    trace_put_u16(h + 8, TRACE_VERSION_MAJOR);
    trace_put_u16(h + 10, TRACE_VERSION_MINOR);
    trace_put_u32(h + 12, info->flags);
    trace_put_u32(h + 16, info->pid);
    trace_put_u32(h + 20, w->time_unit_ns);
    trace_put_u64(h + 24, info->start_ts / w->time_unit_ns);
    trace_put_u64(h + 32, info->start_realtime_ns);
    trace_put_u32(h + 40, info->clock_id ? info->clock_id : TRACE_CLOCK_MONOTONIC);
    trace_put_u32(h + 44, info->pointer_size ? info->pointer_size : (uint32_t)sizeof(void *));
    trace_put_u32(h + 48, info->stack_depth);
    trace_put_u32(h + 52, (uint32_t)plen);
    memcpy(h + TRACE_FILE_HEADER_FIXED, info->program, plen);
    trace_put_u32(h + size - 4, trace_crc32(0, h, size - 4));
    struct iovec iov = { buf, 8 + size };
    return write_all(w, &iov, 1);
}

trace_status trace_writer_fdopen(int fd, const trace_file_info *info, trace_writer **out)
{
    *out = NULL;
    if (fd < 0 || !info) {
        if (fd >= 0)
            close(fd);
        errno = EINVAL;
        return TRACE_ERR_ARGS;
    }
    trace_writer *w = mem_resize(NULL, 0, sizeof *w); /* zeroed, and untouched until used */
    if (!w) {
        close(fd);
        errno = ENOMEM;
        return TRACE_ERR_NOMEM;
    }
    w->fd = fd;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        mem_free(w, sizeof *w);
        close(fd);
        errno = e;
        return TRACE_ERR_IO;
    }
    w->dev = sb.st_dev;
    w->ino = sb.st_ino;
    LZ4_initStream(&w->lz4, sizeof w->lz4);
    w->marks_newer = pick_marks_newer();
    /* Positions start at 1: a slot never written (position 0) never matches. */
    w->live_idx.pos = w->live_idx.start = 1;
    w->released_idx.pos = w->released_idx.start = 1;
    w->time_unit_ns = info->time_unit_ns ? info->time_unit_ns : 1;
    w->time_shift = (w->time_unit_ns & (w->time_unit_ns - 1)) ? -1 : __builtin_ctz(w->time_unit_ns);
    w->next_string = w->next_stack = 1;
    trace_status st = write_file_header(w, info);
    if (st != TRACE_OK) {
        int e = w->err;
        trace_writer_abandon(w);
        errno = e;
        return st;
    }
    *out = w;
    return TRACE_OK;
}

trace_status trace_writer_create(const char *path, const trace_file_info *info, trace_writer **out)
{
    return trace_writer_create_placed(path, info, NULL, out);
}

trace_status trace_writer_create_placed(const char *path, const trace_file_info *info, int (*place)(int fd),
                                        trace_writer **out)
{
    *out = NULL;
    if (!path || !info) {
        errno = EINVAL;
        return TRACE_ERR_ARGS;
    }
    /* Only a regular file is replaced. Not through a symlink; and a FIFO
     * is never opened (for writing, that waits for a reader: the program
     * would hang before it starts), nor a device or a socket. */
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            errno = S_ISLNK(st.st_mode) ? ELOOP : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
            return TRACE_ERR_IO;
        }
    } else if (errno != ENOENT) {
        return TRACE_ERR_IO;
    }
    /* A new file (0600, O_EXCL: never one that is there), renamed over the
     * old one once it holds its header: an old trace is not truncated in
     * place, so a hard link to it keeps what it held and the new trace does
     * not inherit its mode; until the rename, the old file is untouched. */
    char tmp[PATH_MAX];
    int len = snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    if (len < 0 || (size_t)len >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return TRACE_ERR_IO;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return TRACE_ERR_IO;
    if (place)
        fd = place(fd);
    trace_status result = trace_writer_fdopen(fd, info, out);
    if (result == TRACE_OK && rename(tmp, path) != 0) {
        result = TRACE_ERR_IO;
        int e = errno;
        trace_writer_abandon(*out);
        *out = NULL;
        errno = e;
    }
    if (result != TRACE_OK) {
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    return result;
}

static bool dict_reserve(trace_writer *w, size_t n)
{
    if (buf_reserve(&w->dict, n))
        return true;
    fail(w, TRACE_ERR_NOMEM, ENOMEM);
    return false;
}

trace_status trace_writer_add_string(trace_writer *w, uint64_t id, const void *s, size_t len)
{
    if (!w || id != w->next_string || (!s && len))
        return TRACE_ERR_ARGS;
    if (len > TRACE_STRING_MAX)
        len = TRACE_STRING_MAX;
    if (!dict_reserve(w, 1 + 2 * TRACE_VARINT_MAX + len))
        return w->status;
    w->dict.data[w->dict.len++] = TRACE_STRING_DEF;
    buf_varint(&w->dict, id);
    buf_varint(&w->dict, len);
    buf_bytes(&w->dict, s, len);
    w->dict_count++;
    w->next_string++;
    return w->status;
}

trace_status trace_writer_add_stack(trace_writer *w, uint64_t id, const uint64_t *frames, uint32_t depth)
{
    if (!w || id != w->next_stack || (!frames && depth))
        return TRACE_ERR_ARGS;
    if (depth > TRACE_STACK_DEPTH_MAX)
        depth = TRACE_STACK_DEPTH_MAX;
    if (!dict_reserve(w, 1 + (2 + (size_t)depth) * TRACE_VARINT_MAX))
        return w->status;
    w->dict.data[w->dict.len++] = TRACE_STACK_DEF;
    buf_varint(&w->dict, id);
    buf_varint(&w->dict, depth);
    uint64_t prev = 0;
    for (uint32_t i = 0; i < depth; i++) {
        buf_varint(&w->dict, trace_zigzag((int64_t)(frames[i] - prev)));
        prev = frames[i];
    }
    w->dict_count++;
    w->next_stack++;
    return w->status;
}

trace_status trace_writer_add_module(trace_writer *w, uint64_t ts, uint64_t bias, uint64_t start,
                                     uint64_t end, const char *path, size_t path_len,
                                     const uint8_t *build_id, size_t build_id_len)
{
    if (!w || (!path && path_len) || (!build_id && build_id_len) || end < start)
        return TRACE_ERR_ARGS;
    if (path_len > TRACE_STRING_MAX)
        path_len = TRACE_STRING_MAX;
    if (build_id_len > TRACE_BUILD_ID_MAX)
        build_id_len = TRACE_BUILD_ID_MAX;
    if (!dict_reserve(w, 1 + 6 * TRACE_VARINT_MAX + path_len + build_id_len))
        return w->status;
    w->dict.data[w->dict.len++] = TRACE_MODULE_DEF;
    buf_varint(&w->dict, ts / w->time_unit_ns);
    buf_varint(&w->dict, bias);
    buf_varint(&w->dict, start);
    buf_varint(&w->dict, end - start);
    buf_varint(&w->dict, path_len);
    buf_bytes(&w->dict, path, path_len);
    buf_varint(&w->dict, build_id_len);
    buf_bytes(&w->dict, build_id, build_id_len);
    w->dict_count++;
    return w->status;
}

/* Column appenders, one per field type; room was reserved (reserve_room).
 * `fast`: the open chunk's mode, a constant where they are inlined. */
static inline void put_col(trace_writer *w, trace_column c, uint64_t v, bool fast)
{
    if (coded_column(c) && !fast) {
        trace_huff_count(&w->hist[c], c == TRACE_COL_TS ? w->kinds.data[w->count] : 0, v);
        w->vals[c].v[w->vals[c].n++] = v;
        return;
    }
    bytebuf *b = &w->col[c];
    b->len += trace_put_varint(b->data + b->len, v);
}

static inline void put_literal(trace_writer *w, uint64_t v, bool fast)
{
    put_col(w, TRACE_COL_ADDR_LIT, trace_zigzag((int64_t)(v - w->prev_lit)), fast);
    w->prev_lit = v;
}

/* An address made live (FORMAT.md §4.1.2): its rank among the addresses
 * released from its size class (odd codes), else its distance back in the
 * released window (even codes), else 0 and a literal. It then joins the live
 * window with its size. */
static inline __attribute__((always_inline)) void put_ADDR_NEW(trace_writer *w, uint64_t v, const trace_event *ev,
                                                                   bool fast)
{
    unsigned c = trace_size_class(ev->size);
    unsigned r = trace_class_find(&w->classes, c, v);
    uint64_t ignored;
    unsigned ignored_class;
    if (r) {
        trace_class_take(&w->classes, c, r, &ignored);
        put_col(w, TRACE_COL_ADDR_NEW, 2 * (uint64_t)r - 1, fast);
    } else {
        uint64_t d = addr_find(&w->released_idx, v, &ignored_class);
        put_col(w, TRACE_COL_ADDR_NEW, 2 * d, fast);
        if (!d)
            put_literal(w, v, fast);
    }
    marks_push(&w->marks, w->live_idx.pos - w->live_idx.start);
    addr_push(&w->live_idx, v, c);
}

/* An address released: its rank among the live window's entries not yet
 * released (1 = the newest), or 0 and a literal. Found in the window, its
 * size is known to the reader too, and it joins its size class's list. */
static inline __attribute__((always_inline)) void put_ADDR_OLD(trace_writer *w, uint64_t v, const trace_event *ev,
                                                                   bool fast)
{
    (void)ev;
    uint64_t rank = 0;
    unsigned cls = 0;
    uint64_t d = addr_find(&w->live_idx, v, &cls);
    if (d) {
        uint64_t n = w->live_idx.pos - w->live_idx.start, i = n - d;
        if (marks_release(&w->marks, i))
            rank = 1 + w->marks_newer(&w->marks, i, n);
    }
    put_col(w, TRACE_COL_ADDR_OLD, rank, fast);
    if (rank)
        trace_class_push(&w->classes, cls, v);
    else
        put_literal(w, v, fast);
    addr_push(&w->released_idx, v, 0);
}
#define PLAIN_COLUMN(type)                                                                        \
    static inline void put_##type(trace_writer *w, uint64_t v, const trace_event *ev, bool fast) \
    {                                                                                             \
        (void)ev;                                                                                 \
        put_col(w, TRACE_COL_##type, v, fast);                                                    \
    }
PLAIN_COLUMN(SIZE)
PLAIN_COLUMN(STACK)
PLAIN_COLUMN(STR)
PLAIN_COLUMN(U64)
#undef PLAIN_COLUMN

/* Most fields one event can put in one column (realloc: two addresses). */
#define MAX_FIELDS_PER_COLUMN 2

/* Room for `events` events in the open chunk (at most a full chunk), so
 * appending needs no checks: every appender checks the count against
 * w->room, the one test it makes anyway. The room starts small and doubles
 * as chunks fill: a short recording (a forked child, a command run once)
 * never faults in the buffers of a full chunk (two dozen megabytes,
 * transparent huge pages each, then unmapped), a long one reaches the full
 * chunk after its first few thousand events. */
#define WRITER_ROOM_MIN 1024u
static trace_status reserve_room(trace_writer *w, uint32_t events)
{
    size_t more = events - w->count;
    if (!buf_reserve(&w->kinds, more))
        return fail(w, TRACE_ERR_NOMEM, ENOMEM);
    for (int c = 0; c < TRACE_COLUMNS; c++) {
        if (!buf_reserve(&w->col[c], more * TRACE_VARINT_MAX * MAX_FIELDS_PER_COLUMN))
            return fail(w, TRACE_ERR_NOMEM, ENOMEM);
        size_t cap = (size_t)events * MAX_FIELDS_PER_COLUMN;
        if (!w->fast && coded_column(c) && w->vals[c].cap < cap) {
            uint64_t *v = mem_resize(w->vals[c].v, w->vals[c].cap * sizeof *v, cap * sizeof *v);
            if (!v)
                return fail(w, TRACE_ERR_NOMEM, ENOMEM);
            w->vals[c].v = v;
            w->vals[c].cap = cap;
        }
    }
    w->room = events;
    return TRACE_OK;
}

static trace_status open_chunk(trace_writer *w, uint32_t thread, uint64_t ts)
{
    if (reserve_room(w, w->room > WRITER_ROOM_MIN ? w->room : WRITER_ROOM_MIN) != TRACE_OK)
        return w->status;
    w->open = true;
    w->chunk_fast = w->fast;
    w->thread = thread;
    w->first_ts = w->prev_ts = ts;
    w->prev_lit = 0;
    w->live_idx.start = w->live_idx.pos;
    w->released_idx.start = w->released_idx.pos;
    trace_class_reset(&w->classes);
    memset(&w->marks, 0, sizeof w->marks);
    for (int c = 0; c < TRACE_COLUMNS; c++)
        trace_huff_reset(&w->hist[c]);
    w->sum.alloc_bytes = 0;
    memset(w->sum.kinds, 0, sizeof w->sum.kinds);
    w->sum.unknown = 0;
    w->sum.blind = false;
    w->sum.heap = w->sum.res = w->sum.heap_min = w->sum.heap_max = w->sum.res_min = w->sum.res_max = 0;
    w->sum.ngran = 1;
    w->sum.gran[0].first_ts = ts;
    w->sum.gran[0].first = 0;
    w->sum.gran_at = TRACE_SUMMARY_GRANULE;
    w->sum.pauses = 0;
    w->sum.pause = TRACE_SUMMARY_PAUSE_NS / w->time_unit_ns ? TRACE_SUMMARY_PAUSE_NS / w->time_unit_ns : 1;
    return TRACE_OK;
}

/* When the open chunk cannot take an event of `thread` (another thread's,
 * full, none open, or an error): flushes it and opens another. */
static trace_status switch_chunk(trace_writer *w, uint32_t thread, uint64_t ts)
{
    if (w->open && w->thread == thread && w->count >= w->room && w->room < TRACE_WRITER_CHUNK_EVENTS &&
        w->status == TRACE_OK) {
        uint32_t room = w->room * 2 < TRACE_WRITER_CHUNK_EVENTS ? w->room * 2 : TRACE_WRITER_CHUNK_EVENTS;
        return reserve_room(w, room);
    }
    if (w->open && (w->thread != thread || w->count >= TRACE_WRITER_CHUNK_EVENTS))
        trace_writer_flush(w);
    if (w->status != TRACE_OK)
        return w->status;
    if (!w->open)
        return open_chunk(w, thread, ts);
    return TRACE_OK;
}

/* The columns of one event: its timestamp gap, then the fields of its kind,
 * straight from the one table. Inlined once per mode. */
static inline __attribute__((always_inline)) void put_fields(trace_writer *w, const trace_event *ev, uint64_t ts,
                                                             bool fast)
{
    put_col(w, TRACE_COL_TS, ts - w->prev_ts, fast);
    switch (ev->kind) {
#define FIELD(type, member, name, since) put_##type(w, ev->member, ev, fast); /* every field: the writer writes the newest version */
#define KIND_CASE(sym, id, name, fields) \
    case id:                             \
        fields break;
        TRACE_EVENT_KINDS(KIND_CASE, FIELD)
#undef KIND_CASE
#undef FIELD
    }
}

/* The event kinds the table defines, one bit each. */
#define KNOWN_KIND(sym, id, name, fields) | 1u << id
static const uint32_t known_kinds = 0u TRACE_EVENT_KINDS(KNOWN_KIND, );
#undef KNOWN_KIND
_Static_assert(TRACE_EVENT_KIND_LIMIT == 32, "a bit per kind");

/* What one event adds to the open chunk's summary; `delta` its heap delta
 * (TRACE_DELTA_UNKNOWN: not known), `given` whether one was given. */
static inline void summary_event(trace_writer *w, const trace_event *ev, int64_t delta, bool given)
{
    int64_t d = 0;
    bool known = given && delta != TRACE_DELTA_UNKNOWN, unknown = false;
    w->sum.kinds[ev->kind & 15]++; /* kinds are 1..12 */
    switch (ev->kind) {
    case TRACE_ALLOC:
    case TRACE_REALLOC:
        w->sum.alloc_bytes += ev->size;
        d = known ? delta : (int64_t)ev->size;
        unknown = !known && (given || (ev->kind == TRACE_REALLOC && ev->addr));
        break;
    case TRACE_FREE:
        d = known ? delta : 0;
        unknown = !known;
        break;
    case TRACE_RES_OPEN:
    case TRACE_RES_CLOSE:
        w->sum.res += ev->kind == TRACE_RES_OPEN ? 1 : -1;
        w->sum.res_min = w->sum.res < w->sum.res_min ? w->sum.res : w->sum.res_min;
        w->sum.res_max = w->sum.res > w->sum.res_max ? w->sum.res : w->sum.res_max;
        return;
    default:
        return;
    }
    if (d <= -TRACE_SUMMARY_DELTA_MAX || d >= TRACE_SUMMARY_DELTA_MAX) { /* the running sums stay far from overflow */
        d = 0;
        unknown = true;
    }
    w->sum.unknown += unknown;
    w->sum.blind |= !given;
    w->sum.heap += d;
    w->sum.heap_min = w->sum.heap < w->sum.heap_min ? w->sum.heap : w->sum.heap_min;
    w->sum.heap_max = w->sum.heap > w->sum.heap_max ? w->sum.heap : w->sum.heap_max;
}

static trace_status add_event(trace_writer *w, uint32_t thread, const trace_event *ev, int64_t delta, bool given)
{
    if (!w || !ev || ev->kind >= TRACE_EVENT_KIND_LIMIT || !(known_kinds >> ev->kind & 1))
        return TRACE_ERR_ARGS;
    if (ev->stack >= w->next_stack || ev->str >= w->next_string)
        return TRACE_ERR_ARGS;

    /* Timestamps are kept in file units from here on. */
    uint64_t ts = ev->ts;
    if (__builtin_expect(w->time_shift >= 0, 1)) /* a shift: no division per event */
        ts >>= w->time_shift;
    else
        ts /= w->time_unit_ns;
    /* One test for the usual case: the open chunk takes the event. */
    if (__builtin_expect(!w->open || w->thread != thread || w->count >= w->room ||
                             w->status != TRACE_OK, 0) &&
        switch_chunk(w, thread, ts) != TRACE_OK)
        return w->status;
    if (ts < w->prev_ts)
        ts = w->prev_ts;
    if (__builtin_expect(w->count >= w->sum.gran_at || (ts - w->prev_ts >= w->sum.pause && w->count), 0))
        granule_next(w, w->count, w->prev_ts, ts, w->sum.heap, w->sum.heap_min, w->sum.heap_max);
    summary_event(w, ev, delta, given);
    w->kinds.data[w->kinds.len++] = (uint8_t)ev->kind;
    if (w->chunk_fast)
        put_fields(w, ev, ts, true);
    else
        put_fields(w, ev, ts, false);
    w->prev_ts = ts;
    w->count++;
    return TRACE_OK;
}

trace_status trace_writer_add_event(trace_writer *w, uint32_t thread, const trace_event *ev)
{
    return add_event(w, thread, ev, TRACE_DELTA_UNKNOWN, false);
}

trace_status trace_writer_add_event_delta(trace_writer *w, uint32_t thread, const trace_event *ev, int64_t delta)
{
    return add_event(w, thread, ev, delta, true);
}

/* ---- Packed records: the recorder's path ----
 *
 * The same columns add_event makes, with the open chunk's hot state (counts,
 * positions, the previous timestamp and literal) in locals for a run of
 * allocations and frees: the stores into value arrays, histograms and
 * windows cannot alias a local, so the compiler keeps that state in
 * registers instead of reloading it after every store. Any other record goes
 * through add_event, as does a record that starts a chunk. */

/* Adds the records in the n words at r while they are whole allocations and
 * frees and the open chunk (full coding, of the right thread: the caller
 * checked) has room; returns the words taken. */
static inline __attribute__((always_inline)) size_t packed_run(trace_writer *w, const uint64_t *r, size_t n,
                                                               const trace_tick_map *map, const int64_t *deltas,
                                                               size_t *records, bool hw)
{
    uint32_t count = w->count;
    const uint32_t count_end = w->room;
    uint8_t *kinds = w->kinds.data;
    uint64_t prev_ts = w->prev_ts, prev_lit = w->prev_lit;
    /* In a coded chunk every ADDR_NEW value pushed one entry to the live
     * window and every ADDR_OLD value one to the released window: their
     * counts are the chunk's entry numbers, one counter for both. */
    size_t n_new = w->vals[TRACE_COL_ADDR_NEW].n, n_old = w->vals[TRACE_COL_ADDR_OLD].n;
    const size_t new0 = n_new, old0 = n_old;
    const uint64_t live_start = w->live_idx.start, rel_start = w->released_idx.start;
    uint64_t *v_ts = w->vals[TRACE_COL_TS].v, *v_new = w->vals[TRACE_COL_ADDR_NEW].v;
    uint64_t *v_old = w->vals[TRACE_COL_ADDR_OLD].v, *v_lit = w->vals[TRACE_COL_ADDR_LIT].v;
    /* SIZE has a value wherever ADDR_NEW has one (and more): indexed by n_new too. */
    uint64_t *v_size = w->vals[TRACE_COL_SIZE].v + (w->vals[TRACE_COL_SIZE].n - n_new);
    size_t n_lit = w->vals[TRACE_COL_ADDR_LIT].n;
    uint8_t *stack_at = w->col[TRACE_COL_STACK].data + w->col[TRACE_COL_STACK].len;
    trace_huff_hist *hist = w->hist;
    const uint64_t next_stack = w->next_stack;
    const int shift = w->time_shift;
    const uint32_t unit = w->time_unit_ns;
    const trace_tick_map m = *map;
    size_t i = 0;
    const uint32_t count0 = count;
    /* The summary's running heap delta, its granule's lowest and highest;
     * the allocations among the records taken. */
    int64_t heap = w->sum.heap, hmin = w->sum.heap_min, hmax = w->sum.heap_max;
    /* where the next granule starts at the latest, and the pause that ends
     * one sooner: kept here, read again after granule_next moves them */
    uint32_t gran_at = w->sum.gran_at;
    uint64_t pause = w->sum.pause;
    uint64_t alloc_bytes = w->sum.alloc_bytes;
    uint32_t unknown = w->sum.unknown, allocs = 0;
    /* Short forms only: an allocation or a free in the full form (4 GiB or
     * more, a free with a stack) is rare enough for the general path. */
    while (count < count_end && n - i >= 2) {
        const uint64_t *e = &r[i];
        uint64_t w0 = e[0];
        if (w0 < TRACE_PACKED_FREE || w0 >= TRACE_PACKED_FORM)
            break;
        bool is_alloc = w0 >= TRACE_PACKED_ALLOC;
        /* What add_event would refuse, and what is not whole, goes there. */
        if (is_alloc && __builtin_expect(n - i < 3 || e[2] >> 32 >= next_stack, 0))
            break;
        i += is_alloc ? 3 : 2;
        uint32_t kind = is_alloc ? TRACE_ALLOC : TRACE_FREE;
        uint64_t ts = trace_tick_map_apply(&m, w0 & TRACE_PACKED_TS_MAX);
        ts = __builtin_expect(shift >= 0, 1) ? ts >> shift : ts / unit;
        if (ts < prev_ts)
            ts = prev_ts;
        uint64_t gap = ts - prev_ts;
        /* (a chunk's first event has no gap: its first_ts is prev_ts) */
        if (__builtin_expect(count >= gran_at, 0) || __builtin_expect(gap >= pause, 0)) {
            granule_next(w, count, prev_ts, ts, heap, hmin, hmax);
            hmin = hmax = heap;
            gran_at = w->sum.gran_at;
            pause = w->sum.pause;
        }
        prev_ts = ts;
        /* The heap delta: given, else an allocation's size and a release unknown. */
        int64_t d = deltas ? deltas[count - count0] : TRACE_DELTA_UNKNOWN;
        uint64_t size = is_alloc ? (uint32_t)e[2] : 0;
        allocs += is_alloc;
        alloc_bytes += size;
        /* One test for both: not known (TRACE_DELTA_UNKNOWN), or too large
         * (summary_event's rule). */
        if (__builtin_expect((uint64_t)d + (TRACE_SUMMARY_DELTA_MAX - 1) >= 2 * (uint64_t)TRACE_SUMMARY_DELTA_MAX - 1,
                             0)) {
            unknown += d != TRACE_DELTA_UNKNOWN || deltas != NULL || !is_alloc;
            d = d == TRACE_DELTA_UNKNOWN ? (int64_t)size : 0;
        }
        heap += d;
        hmin = heap < hmin ? heap : hmin;
        hmax = heap > hmax ? heap : hmax;
        kinds[count] = (uint8_t)kind;
        v_ts[count++] = gap;
        uint64_t a = e[1];
        /* Both windows' slot of `a`: an allocation looks in the released one
         * and joins the live one, a release the other way round. */
        uint32_t h = addr_slot(a);
        if (is_alloc) {
            trace_huff_count_row(hist[TRACE_COL_TS].freq[TRACE_ALLOC], gap);
            unsigned c = trace_size_class(size);
            unsigned rank = trace_class_find(&w->classes, c, a);
            uint64_t code, ignored;
            if (rank) {
                trace_class_take(&w->classes, c, rank, &ignored);
                code = 2 * (uint64_t)rank - 1;
            } else {
                /* Entry k of the chunk's released window, of the last 4096. */
                const __typeof__(w->released_idx.slot[0]) *sl = &w->released_idx.slot[h];
                uint64_t k = (sl->pos_class >> 16) - rel_start;
                code = sl->addr == a && k < n_old && n_old - k <= TRACE_ADDR_WINDOW ? 2 * (n_old - k) : 0;
                if (!code) {
                    uint64_t z = trace_zigzag((int64_t)(a - prev_lit));
                    prev_lit = a;
                    trace_huff_count_row(hist[TRACE_COL_ADDR_LIT].freq[0], z);
                    v_lit[n_lit++] = z;
                }
            }
            trace_huff_count_row(hist[TRACE_COL_ADDR_NEW].freq[0], code);
            v_new[n_new] = code;
            trace_huff_count_row(hist[TRACE_COL_SIZE].freq[0], size);
            v_size[n_new] = size;
            marks_push(&w->marks, n_new);
            slot_push(&w->live_idx, live_start + n_new++, a, c);
            stack_at += trace_put_varint(stack_at, e[2] >> 32);
        } else {
            trace_huff_count_row(hist[TRACE_COL_TS].freq[TRACE_FREE], gap);
            uint64_t rank = 0;
            /* Entry k of the chunk's live window, of the last 4096. */
            const __typeof__(w->live_idx.slot[0]) *sl = &w->live_idx.slot[h];
            uint64_t k = (sl->pos_class >> 16) - live_start;
            unsigned cls = (unsigned)(sl->pos_class & 0xffff);
            if (sl->addr == a && k < n_new && n_new - k <= TRACE_ADDR_WINDOW && marks_release(&w->marks, k))
                rank = 1 + marks_newer(&w->marks, k, n_new, hw);
            trace_huff_count_row(hist[TRACE_COL_ADDR_OLD].freq[0], rank);
            v_old[n_old] = rank;
            if (rank) {
                trace_class_push(&w->classes, cls, a);
            } else {
                uint64_t z = trace_zigzag((int64_t)(a - prev_lit));
                prev_lit = a;
                trace_huff_count_row(hist[TRACE_COL_ADDR_LIT].freq[0], z);
                v_lit[n_lit++] = z;
            }
            slot_push(&w->released_idx, rel_start + n_old++, a, 0);
        }
    }
    *records = count - count0;
    if (i == 0)
        return 0;
    w->sum.heap = heap;
    w->sum.heap_min = hmin;
    w->sum.heap_max = hmax;
    w->sum.alloc_bytes = alloc_bytes;
    w->sum.unknown = unknown;
    w->sum.kinds[TRACE_ALLOC] += allocs;
    w->sum.kinds[TRACE_FREE] += count - count0 - allocs;
    w->sum.blind |= deltas == NULL;
    /* The rows counted: the same bits add_event sets (it sets them per value). */
    if (n_new != new0) {
        hist[TRACE_COL_TS].mask |= 1u << TRACE_ALLOC;
        hist[TRACE_COL_ADDR_NEW].mask |= 1;
        hist[TRACE_COL_SIZE].mask |= 1;
    }
    if (n_old != old0) {
        hist[TRACE_COL_TS].mask |= 1u << TRACE_FREE;
        hist[TRACE_COL_ADDR_OLD].mask |= 1;
    }
    if (n_lit != w->vals[TRACE_COL_ADDR_LIT].n)
        hist[TRACE_COL_ADDR_LIT].mask |= 1;
    w->count = count;
    w->kinds.len = count;
    w->prev_ts = prev_ts;
    w->prev_lit = prev_lit;
    w->live_idx.pos = live_start + n_new;
    w->released_idx.pos = rel_start + n_old;
    w->vals[TRACE_COL_TS].n = count;
    w->vals[TRACE_COL_SIZE].n += n_new - new0;
    w->vals[TRACE_COL_ADDR_NEW].n = n_new;
    w->vals[TRACE_COL_ADDR_OLD].n = n_old;
    w->vals[TRACE_COL_ADDR_LIT].n = n_lit;
    w->col[TRACE_COL_STACK].len = (size_t)(stack_at - w->col[TRACE_COL_STACK].data);
    return i;
}

static size_t packed_run_sw(trace_writer *w, const uint64_t *r, size_t n, const trace_tick_map *map,
                            const int64_t *deltas, size_t *records)
{
    return packed_run(w, r, n, map, deltas, records, false);
}
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("popcnt"))) static size_t packed_run_hw(trace_writer *w, const uint64_t *r, size_t n,
                                                              const trace_tick_map *map, const int64_t *deltas,
                                                              size_t *records)
{
    return packed_run(w, r, n, map, deltas, records, true);
}
#else
#define packed_run_hw packed_run_sw
#endif

trace_status trace_writer_add_packed(trace_writer *w, uint32_t thread, const uint64_t *r, size_t n,
                                     const trace_tick_map *map)
{
    return trace_writer_add_packed_deltas(w, thread, r, n, map, NULL);
}

trace_status trace_writer_add_packed_deltas(trace_writer *w, uint32_t thread, const uint64_t *r, size_t n,
                                            const trace_tick_map *map, const int64_t *deltas)
{
    if (!w || (!r && n) || !map)
        return TRACE_ERR_ARGS;
    trace_status result = TRACE_OK;
    size_t i = 0, rec = 0;
    while (i < n) {
        if (w->open && w->thread == thread && !w->chunk_fast && w->status == TRACE_OK &&
            w->count < w->room) {
            size_t taken = 0;
            const int64_t *d = deltas ? deltas + rec : NULL;
            i += w->marks_newer == marks_newer_sw ? packed_run_sw(w, r + i, n - i, map, d, &taken)
                                                  : packed_run_hw(w, r + i, n - i, map, d, &taken);
            rec += taken;
            if (i >= n)
                break;
        }
        /* One record the general way; it also starts a chunk when needed. */
        size_t len = trace_packed_len(r + i, n - i);
        if (!len)
            return w->status != TRACE_OK ? w->status : TRACE_ERR_ARGS; /* no form, or cut short */
        trace_event ev;
        trace_packed_event(r + i, map, &ev);
        i += len;
        trace_status st = deltas ? add_event(w, thread, &ev, deltas[rec], true) : add_event(w, thread, &ev, 0, false);
        rec++;
        if (w->status != TRACE_OK)
            return w->status;
        if (st != TRACE_OK)
            result = st;
    }
    return w->status != TRACE_OK ? w->status : result;
}

static void writer_free(trace_writer *w)
{
    mem_free(w->kinds.data, w->kinds.cap);
    for (int c = 0; c < TRACE_COLUMNS; c++) {
        mem_free(w->col[c].data, w->col[c].cap);
        mem_free(w->vals[c].v, w->vals[c].cap * sizeof *w->vals[c].v);
    }
    mem_free(w->dict.data, w->dict.cap);
    mem_free(w->raw.data, w->raw.cap);
    mem_free(w->comp.data, w->comp.cap);
    mem_free(w->alt.data, w->alt.cap);
    mem_free(w->heap.data, w->heap.cap);
    mem_free(w, sizeof *w);
}

void trace_writer_abandon(trace_writer *w)
{
    if (!w)
        return;
    if (fd_is_ours(w))
        close(w->fd);
    writer_free(w);
}

trace_status trace_writer_close(trace_writer *w, uint64_t lost_events)
{
    if (!w)
        return TRACE_OK;
    trace_writer_flush(w);
    if (w->status == TRACE_OK) {
        w->raw.len = 0;
        if (buf_reserve(&w->raw, 2 * TRACE_VARINT_MAX)) {
            buf_varint(&w->raw, w->events);
            buf_varint(&w->raw, lost_events);
            write_chunk(w, TRACE_CHUNK_END, 0, w->max_ts, w->max_ts, 0);
        } else {
            fail(w, TRACE_ERR_NOMEM, ENOMEM);
        }
    }
    trace_status st = w->status;
    int err = w->err;
    if (fd_is_ours(w) && close(w->fd) != 0 && st == TRACE_OK) {
        st = TRACE_ERR_IO;
        err = errno;
    }
    writer_free(w);
    if (st != TRACE_OK)
        errno = err;
    return st;
}

/* The records after a snapshot's counts (FORMAT.md §4.4) into w->heap:
 * ranges, blocks, then the roots and edges that fit (*nroots, *nedges). */
static bool heap_records(trace_writer *w, const trace_heap_graph *s, size_t room, uint32_t *nroots,
                         uint32_t *nedges)
{
    bytebuf *b = &w->heap;
    b->len = 0;
    for (uint32_t i = 0; i < s->nranges; i++) {
        const trace_heap_range *g = &s->ranges[i];
        if (!buf_reserve(b, 5 * TRACE_VARINT_MAX))
            return false;
        buf_varint(b, g->kind);
        buf_varint(b, g->thread);
        buf_varint(b, g->bias);
        buf_varint(b, g->start);
        buf_varint(b, g->size);
    }
    uint64_t end = 0;
    for (uint32_t i = 0; i < s->nblocks; i++) {
        if (!buf_reserve(b, 2 * TRACE_VARINT_MAX))
            return false;
        buf_varint(b, s->addr[i] - end);
        buf_varint(b, s->size[i]);
        end = s->addr[i] + s->size[i];
    }
    *nroots = *nedges = 0;
    if (b->len > room)
        return true; /* ERR_LIMIT: the caller sees it */
    uint64_t prev = 0, word = 0, target = 0;
    for (uint32_t i = 0; i < s->nroots; i++) {
        const trace_heap_root *r = &s->roots[i];
        if (b->len + 4 * TRACE_VARINT_MAX > room)
            return true;
        if (!buf_reserve(b, 4 * TRACE_VARINT_MAX))
            return false;
        uint64_t w_at = (r->address - s->ranges[r->range].start) / 8;
        buf_varint(b, r->range - prev);
        buf_varint(b, i && r->range == prev ? w_at - word - 1 : w_at);
        buf_varint(b, trace_zigzag((int64_t)(r->to - target)));
        buf_varint(b, r->value - s->addr[r->to]);
        prev = r->range;
        word = w_at;
        target = r->to;
        ++*nroots;
    }
    prev = word = 0;
    for (uint32_t i = 0; i < s->nedges; i++) {
        const trace_heap_edge *d = &s->edges[i];
        if (b->len + 4 * TRACE_VARINT_MAX > room)
            return true;
        if (!buf_reserve(b, 4 * TRACE_VARINT_MAX))
            return false;
        buf_varint(b, d->from - prev);
        buf_varint(b, i && d->from == prev ? d->word - word - 1 : d->word);
        buf_varint(b, trace_zigzag((int64_t)d->to - (int64_t)d->from));
        buf_varint(b, d->value - s->addr[d->to]);
        prev = d->from;
        word = d->word;
        ++*nedges;
    }
    return true;
}

trace_status trace_writer_add_heap_snapshot(trace_writer *w, const trace_heap_graph *s)
{
    if (!w || !s || trace_heap_check(s))
        return TRACE_ERR_ARGS;
    trace_writer_flush(w);
    if (w->status != TRACE_OK)
        return w->status;
    /* The header: 8 varints and the label. */
    size_t head = 8 * TRACE_VARINT_MAX + s->label_len, room = TRACE_CHUNK_RAW_MAX - head;
    uint32_t nroots, nedges;
    if (!heap_records(w, s, room, &nroots, &nedges))
        return fail(w, TRACE_ERR_NOMEM, ENOMEM);
    if (w->heap.len > room)
        return TRACE_ERR_LIMIT;
    uint32_t flags = s->flags;
    if (nroots < s->nroots || nedges < s->nedges)
        flags |= TRACE_HEAP_REFS_INCOMPLETE;
    w->raw.len = 0;
    if (!buf_reserve(&w->raw, head + w->heap.len))
        return fail(w, TRACE_ERR_NOMEM, ENOMEM);
    buf_varint(&w->raw, s->thread);
    buf_varint(&w->raw, flags);
    buf_varint(&w->raw, s->label_len);
    buf_bytes(&w->raw, s->label, s->label_len);
    buf_varint(&w->raw, s->nranges);
    buf_varint(&w->raw, s->nblocks);
    buf_varint(&w->raw, nroots);
    buf_varint(&w->raw, nedges);
    buf_varint(&w->raw, s->unreadable);
    buf_bytes(&w->raw, w->heap.data, w->heap.len);
    uint64_t ts = s->ts / w->time_unit_ns;
    uint32_t count = s->nranges + s->nblocks + nroots + nedges;
    trace_status st = write_chunk(w, TRACE_CHUNK_HEAP, 0, ts, ts, count);
    if (ts > w->max_ts)
        w->max_ts = ts;
    w->heap.len = 0;
    return st;
}

void trace_writer_set_fast(trace_writer *w, bool fast)
{
    if (w)
        w->fast = fast;
}

int trace_writer_errno(const trace_writer *w) { return w ? w->err : EINVAL; }
int trace_writer_fd(const trace_writer *w) { return w ? w->fd : -1; }
bool trace_writer_fd_intact(trace_writer *w) { return w && fd_is_ours(w); }

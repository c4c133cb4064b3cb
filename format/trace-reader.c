/* trace-reader.c — the .trace reader. Trusts nothing in the file.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "trace-reader.h"
#include "trace-heap.h"
#include "trace-huff.h"
#include "trace-summary.h"
#include "trace-private.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRACE_SEQ_GAPS_MAX 64u  /* gaps in the sequence numbers remembered */

_Static_assert(TRACE_LIVE_WINDOW == TRACE_ADDR_WINDOW, "the live order is of the address window");

struct trace_reader {
    int fd;
    uint64_t size;
    uint64_t pos;          /* offset of the next chunk header */
    uint64_t first_chunk;  /* offset of the first (just past the file header) */
    trace_file_info info;
    trace_error err;
    uint32_t skipped;
    bool complete;
    uint64_t end_events, end_lost, end_offset, end_ts;
    uint64_t strings_defined, stacks_defined;
    LZ4F_dctx *dctx;

    /* Damage (FORMAT.md §7.1): what was skipped, and the state that tells. */
    trace_damage damage[TRACE_DAMAGE_MAX];
    uint32_t ndamage;
    uint32_t next_seq;        /* the sequence number the next chunk should have */
    /* Sequence numbers skipped, so that a chunk found later out of place is
     * read rather than taken for a repeat; entry: its damage entry. */
    struct seq_gap { uint32_t lo, hi, first, last, entry; } gaps[TRACE_SEQ_GAPS_MAX];
    uint32_t ngaps;
    bool seq_unknown;         /* reading resumed after damage of unknown extent */
    bool totals_checked;
    uint64_t events_read;     /* the counts of the events chunks read */
    uint64_t last_events_ts;  /* first timestamp of the last events chunk read */
    uint64_t resync_budget_used;
    /* [0] strings, [1] stacks: a dictionary chunk may have been lost, so the
     * next new id may skip ahead; the ids skipped are lost. */
    bool dict_gap[2];
    trace_id_range lost_ids[TRACE_LOST_RANGES_MAX];
    uint32_t nlost_ids;
    uint64_t lost_refs;       /* event fields that named a lost id */
    trace_chunk_summary summary; /* of the events chunk whose header was read last (read_frame) */
    uint8_t crc_buf[65536];   /* check_crc reads payloads through it */
};

struct trace_chunk {
    trace_reader *r;
    trace_chunk_info ci;
    uint8_t *comp;
    size_t comp_cap;
    uint8_t *raw;
    size_t raw_cap;
    uint64_t *frames;      /* STACK_DEF decoding */

    /* cursor */
    uint32_t done;
    const uint8_t *kinds;
    const uint8_t *cur[TRACE_COLUMNS], *end[TRACE_COLUMNS];
    const uint8_t *dict_cur, *dict_end;
    uint64_t ts, prev_lit;
    /* The last TRACE_ADDR_WINDOW addresses made live (with their sizes) /
     * released in the chunk, and the released addresses per size class. */
    uint64_t *live_win, *live_size, *released_win;
    uint64_t live_n, released_n;
    trace_class_lists *classes;
    trace_live_order live_order;
    /* Format 2: how each column is coded; the decoders of coded columns. */
    uint8_t mode[TRACE_COLUMNS];
    trace_huff_dec *dec[TRACE_COLUMNS];
    /* trace_kind_get of each kind, looked up once: the kinds column is
     * checked when the chunk is loaded, and an event then costs a load
     * instead of a call into another file. */
    const trace_kind_info *kind_info[TRACE_KIND_MAX];
    /* Per kind byte: 1 for an event kind this reader decodes (the check of
     * every event's kind as a chunk is loaded costs one load each). */
    uint8_t event_kind[256];
    unsigned major;           /* the file's major version (its coding, its fields), for each event */
    /* The summary in its header (format 3.1), checked against the events
     * as they are decoded: the segment being read, where it ends, the
     * allocated bytes so far. */
    trace_chunk_summary sum;
    uint32_t seg, seg_start, seg_end;
    uint64_t alloc_bytes;
};

static trace_status set_error(trace_error *e, trace_status st, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static trace_status set_error(trace_error *e, trace_status st, uint64_t offset, const char *fmt, ...)
{
    e->status = st;
    e->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return st;
}

/* pread exactly n bytes at off; short reads mean the file is shorter than it claims. */
static trace_status read_at(trace_reader *r, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(r->fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return set_error(&r->err, TRACE_ERR_IO, off + got, "byte offset %llu: read failed: %s",
                             (unsigned long long)(off + got), strerror(errno));
        }
        if (k == 0)
            return set_error(&r->err, TRACE_ERR_TRUNCATED, off + got, "byte offset %llu: unexpected end of file",
                             (unsigned long long)(off + got));
        got += (size_t)k;
    }
    return TRACE_OK;
}

static trace_status parse_file_header(trace_reader *r)
{
    uint8_t pre[8];
    if (r->size < 8 + TRACE_FILE_HEADER_FIXED + 4) {
        if (r->size >= 16) {
            uint8_t m[16];
            if (read_at(r, m, 16, 0) == TRACE_OK && trace_get_u32(m) == TRACE_MAGIC_FILE_HEADER &&
                memcmp(m + 8, TRACE_FILE_MAGIC, 8) == 0)
                return set_error(&r->err, TRACE_ERR_TRUNCATED, r->size,
                                 "byte offset %llu: file header is truncated", (unsigned long long)r->size);
        }
        return set_error(&r->err, TRACE_ERR_NOT_TRACE, 0, "byte offset 0: not a Leakscope trace (%s)",
                         r->size == 0 ? "empty file" : "too short");
    }
    trace_status st = read_at(r, pre, 8, 0);
    if (st != TRACE_OK)
        return st;
    uint32_t size = trace_get_u32(pre + 4);
    if (trace_get_u32(pre) != TRACE_MAGIC_FILE_HEADER)
        return set_error(&r->err, TRACE_ERR_NOT_TRACE, 0, "byte offset 0: not a Leakscope trace (bad magic)");
    uint8_t *h = malloc(TRACE_FILE_HEADER_MAX);
    if (!h)
        return set_error(&r->err, TRACE_ERR_NOMEM, 0, "out of memory");
    st = read_at(r, h, 8, 8);
    if (st == TRACE_OK && memcmp(h, TRACE_FILE_MAGIC, 8) != 0)
        st = set_error(&r->err, TRACE_ERR_NOT_TRACE, 8, "byte offset 8: not a Leakscope trace (bad magic)");
    if (st == TRACE_OK && (size < TRACE_FILE_HEADER_FIXED + 4 || size > TRACE_FILE_HEADER_MAX))
        st = set_error(&r->err, TRACE_ERR_CORRUPT, 4, "byte offset 4: file header size %u is out of range", size);
    if (st == TRACE_OK && 8 + (uint64_t)size > r->size)
        st = set_error(&r->err, TRACE_ERR_TRUNCATED, r->size, "byte offset %llu: file header is truncated",
                       (unsigned long long)r->size);
    if (st == TRACE_OK)
        st = read_at(r, h, size, 8);
    if (st != TRACE_OK) {
        free(h);
        return st;
    }
    trace_file_info *fi = &r->info;
    fi->version_major = trace_get_u16(h + 8);
    fi->version_minor = trace_get_u16(h + 10);
    if (fi->version_major < TRACE_VERSION_MAJOR_MIN || fi->version_major > TRACE_VERSION_MAJOR) {
        free(h);
        return set_error(&r->err, TRACE_ERR_VERSION, 16,
                         "byte offset 16: format version %u.%u is not supported (this reader reads %u.x to %u.x)",
                         fi->version_major, fi->version_minor, TRACE_VERSION_MAJOR_MIN, TRACE_VERSION_MAJOR);
    }
    uint32_t crc = trace_get_u32(h + size - 4);
    uint32_t plen = trace_get_u32(h + 52);
    if (trace_crc32(0, h, size - 4) != crc) {
        free(h);
        return set_error(&r->err, TRACE_ERR_CHECKSUM, 8, "byte offset 8: file header checksum mismatch");
    }
    if (plen > TRACE_PROGRAM_MAX || TRACE_FILE_HEADER_FIXED + (uint64_t)plen + 4 > size) {
        free(h);
        return set_error(&r->err, TRACE_ERR_CORRUPT, 60, "byte offset 60: program name length %u is out of range", plen);
    }
    fi->flags = trace_get_u32(h + 12);
    fi->pid = trace_get_u32(h + 16);
    fi->time_unit_ns = trace_get_u32(h + 20);
    if (fi->time_unit_ns == 0 || fi->time_unit_ns > 1000) {
        free(h);
        return set_error(&r->err, TRACE_ERR_CORRUPT, 28, "byte offset 28: time unit %u ns is out of range (1..1000)",
                         fi->time_unit_ns);
    }
    fi->start_ts = trace_get_u64(h + 24) * fi->time_unit_ns;
    fi->start_realtime_ns = trace_get_u64(h + 32);
    fi->clock_id = trace_get_u32(h + 40);
    fi->pointer_size = trace_get_u32(h + 44);
    fi->stack_depth = trace_get_u32(h + 48);
    memcpy(fi->program, h + TRACE_FILE_HEADER_FIXED, plen);
    fi->program[plen] = '\0';
    free(h);
    r->pos = r->first_chunk = 8 + (uint64_t)size;
    return TRACE_OK;
}

trace_status trace_reader_open(const char *path, trace_reader **out, trace_error *err)
{
    trace_error local;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    *out = NULL;
    if (!path)
        return set_error(err, TRACE_ERR_ARGS, 0, "no file name");
    trace_reader *r = calloc(1, sizeof *r);
    if (!r)
        return set_error(err, TRACE_ERR_NOMEM, 0, "out of memory");
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        set_error(err, TRACE_ERR_IO, 0, "cannot open: %s", strerror(errno));
        free(r);
        return err->status;
    }
    struct stat sb;
    if (fstat(r->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        set_error(err, TRACE_ERR_IO, 0, "not a regular file");
        close(r->fd);
        free(r);
        return err->status;
    }
    r->size = (uint64_t)sb.st_size;
    trace_status st = parse_file_header(r);
    if (st == TRACE_OK && LZ4F_isError(LZ4F_createDecompressionContext(&r->dctx, LZ4F_VERSION)))
        st = set_error(&r->err, TRACE_ERR_NOMEM, 0, "out of memory");
    if (st != TRACE_OK) {
        *err = r->err;
        trace_reader_close(r);
        return st;
    }
    *out = r;
    return TRACE_OK;
}

trace_status trace_reader_dup(const trace_reader *r, trace_reader **out)
{
    *out = NULL;
    if (!r)
        return TRACE_ERR_ARGS;
    trace_reader *d = malloc(sizeof *d);
    if (!d)
        return TRACE_ERR_NOMEM;
    memcpy(d, r, sizeof *d);
    memset(&d->err, 0, sizeof d->err);
    d->lost_refs = 0;
    d->dctx = NULL;
    d->fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 0); /* reads are preads: no offset is shared */
    if (d->fd < 0) {
        free(d);
        return TRACE_ERR_IO;
    }
    if (LZ4F_isError(LZ4F_createDecompressionContext(&d->dctx, LZ4F_VERSION))) {
        d->dctx = NULL;
        trace_reader_close(d);
        return TRACE_ERR_NOMEM;
    }
    *out = d;
    return TRACE_OK;
}

void trace_reader_close(trace_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    LZ4F_freeDecompressionContext(r->dctx);
    free(r);
}

const trace_file_info *trace_reader_info(const trace_reader *r) { return &r->info; }
uint64_t trace_reader_file_size(const trace_reader *r) { return r->size; }
const trace_error *trace_reader_error(const trace_reader *r) { return &r->err; }
bool trace_reader_chunk_summary(const trace_reader *r, trace_chunk_summary *out)
{
    *out = r->summary;
    return out->present;
}

uint32_t trace_reader_skipped(const trace_reader *r) { return r->skipped; }
uint32_t trace_reader_damage_count(const trace_reader *r) { return r->ndamage; }
const trace_damage *trace_reader_damage(const trace_reader *r, uint32_t i) { return i < r->ndamage ? &r->damage[i] : NULL; }
uint64_t trace_reader_lost_id_refs(const trace_reader *r) { return r->lost_refs; }
uint64_t trace_reader_strings_defined(const trace_reader *r) { return r->strings_defined; }
uint64_t trace_reader_stacks_defined(const trace_reader *r) { return r->stacks_defined; }

bool trace_reader_complete(const trace_reader *r, uint64_t *events, uint64_t *lost)
{
    if (events)
        *events = r->end_events;
    if (lost)
        *lost = r->end_lost;
    return r->complete;
}

static trace_status read_end_chunk(trace_reader *r, const trace_chunk_info *ci);

/* ---- damage: what the reader skipped, and why (FORMAT.md §7.1) ---- */

/* A new damage entry, or, past the cap, the last one grown to cover this too. */
static trace_damage *add_damage(trace_reader *r, uint64_t offset, uint64_t end, trace_status st, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static trace_damage *add_damage(trace_reader *r, uint64_t offset, uint64_t end, trace_status st, const char *fmt, ...)
{
    if (r->ndamage == TRACE_DAMAGE_MAX) {
        /* What each one lost is no longer told apart: the END total may
         * still give the sum. */
        trace_damage *d = &r->damage[TRACE_DAMAGE_MAX - 1];
        d->more++;
        d->end = end;
        d->kind = d->thread = d->chunks = 0;
        d->events_known = false;
        d->last_ts = UINT64_MAX;
        char last[80];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(last, sizeof last, fmt, ap);
        va_end(ap);
        snprintf(d->problem, sizeof d->problem, "%u damaged places from here on (the last: %s)", d->more + 1, last);
        return NULL;
    }
    trace_damage *d = &r->damage[r->ndamage++];
    memset(d, 0, sizeof *d);
    d->offset = offset;
    d->end = end;
    d->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->problem, sizeof d->problem, fmt, ap);
    va_end(ap);
    /* Until an events chunk is read past it: the time between its neighbours. */
    d->first_ts = r->last_events_ts;
    d->last_ts = UINT64_MAX;
    return d;
}

/* What a frame at `off` is. */
typedef enum frame_verdict {
    FRAME_CHUNK,     /* a chunk header within the limits of §4; ci filled */
    FRAME_FOREIGN,   /* another skippable frame that fits; ci->end set */
    FRAME_TRUNCATED, /* the file ends inside it */
    FRAME_BAD,       /* not a frame, or a header outside the limits; why says which */
} frame_verdict;

/* Whether the file's version has summaries in events chunk headers (3.1). */
static bool summaries_known(const trace_reader *r)
{
    return r->info.version_major > 3 || (r->info.version_major == 3 && r->info.version_minor >= 1);
}

/* The summary of an events chunk whose header (`size` bytes) is at h
 * (FORMAT.md §4.1.3): present false when it has none; false, with *why,
 * when it breaks a rule. */
static bool parse_summary(const trace_reader *r, const uint8_t *h, uint32_t size, trace_chunk_summary *out,
                          const char **why)
{
    out->present = false;
    out->nsegments = 0;
    if (!summaries_known(r) || trace_get_u32(h) != TRACE_CHUNK_EVENTS || size < TRACE_CHUNK_HEADER_SIZE + 4)
        return true;
    uint32_t len = trace_get_u32(h + TRACE_CHUNK_HEADER_SIZE);
    if (len > size - TRACE_CHUNK_HEADER_SIZE - 4) {
        *why = "summary runs past the chunk header";
        return false;
    }
    return trace_summary_decode(h + TRACE_CHUNK_HEADER_SIZE + 4, len, trace_get_u64(h + 8), trace_get_u64(h + 16),
                                trace_get_u32(h + 24), r->info.time_unit_ns, out, why);
}

static frame_verdict read_frame(trace_reader *r, uint64_t off, trace_chunk_info *ci, char *why, size_t whylen)
{
    memset(ci, 0, sizeof *ci);
    ci->offset = off;
    snprintf(why, whylen, "file ends inside a chunk header");
    if (r->size - off < 8)
        return FRAME_TRUNCATED;
    uint8_t pre[8];
    if (read_at(r, pre, 8, off) != TRACE_OK)
        return FRAME_TRUNCATED;
    uint32_t magic = trace_get_u32(pre), size = trace_get_u32(pre + 4);
    if ((magic & 0xFFFFFFF0u) != 0x184D2A50u) {
        snprintf(why, whylen, "expected a chunk header, found 0x%08x", magic);
        return FRAME_BAD;
    }
    if (magic != TRACE_MAGIC_CHUNK_HEADER) {
        snprintf(why, whylen, "file ends inside a frame");
        if ((uint64_t)size > r->size - off - 8)
            return FRAME_TRUNCATED;
        ci->end = off + 8 + size;
        return FRAME_FOREIGN;
    }
    if (size < TRACE_CHUNK_HEADER_SIZE || size > TRACE_CHUNK_HEADER_MAX) {
        snprintf(why, whylen, "chunk header size %u is out of range", size);
        return FRAME_BAD;
    }
    if ((uint64_t)size > r->size - off - 8)
        return FRAME_TRUNCATED;
    uint8_t h[TRACE_CHUNK_HEADER_MAX];
    if (read_at(r, h, size, off + 8) != TRACE_OK)
        return FRAME_TRUNCATED;
    ci->header_size = size;
    ci->kind = trace_get_u32(h);
    ci->thread = trace_get_u32(h + 4);
    uint64_t unit = r->info.time_unit_ns;
    ci->first_ts = trace_get_u64(h + 8) * unit;
    ci->last_ts = trace_get_u64(h + 16) * unit;
    ci->count = trace_get_u32(h + 24);
    ci->raw_size = trace_get_u32(h + 28);
    ci->comp_size = trace_get_u32(h + 32);
    ci->seq = trace_get_u32(h + 36);
    uint64_t payload = off + 8 + size;
    ci->end = payload + ci->comp_size;
    if (ci->raw_size > TRACE_CHUNK_RAW_MAX || ci->count > ci->raw_size ||
        ci->raw_size > (uint64_t)ci->comp_size * 255 + 64 ||
        ci->comp_size > LZ4F_compressFrameBound(ci->raw_size, NULL) + 64) {
        snprintf(why, whylen, "declared sizes are out of range (raw %u, compressed %u, count %u)", ci->raw_size,
                 ci->comp_size, ci->count);
        return FRAME_BAD;
    }
    if (ci->last_ts < ci->first_ts) {
        snprintf(why, whylen, "last timestamp precedes the first");
        return FRAME_BAD;
    }
    const char *bad;
    if (!parse_summary(r, h, size, &r->summary, &bad)) {
        snprintf(why, whylen, "%s", bad);
        return FRAME_BAD;
    }
    if ((uint64_t)ci->comp_size > r->size - payload) {
        snprintf(why, whylen, "file ends inside the chunk");
        return FRAME_TRUNCATED;
    }
    return FRAME_CHUNK;
}

/* Checks the chunk's crc (header with its crc field as zero, then the
 * payload), reading it in pieces: memory stays bounded whatever comp says. */
static trace_status check_crc(trace_reader *r, const trace_chunk_info *ci, bool *ok)
{
    uint8_t *buf = r->crc_buf;
    _Static_assert(sizeof r->crc_buf >= TRACE_CHUNK_HEADER_MAX, "a chunk header fits");
    trace_status st = read_at(r, buf, ci->header_size, ci->offset + 8);
    if (st != TRACE_OK)
        return st;
    uint32_t want = trace_get_u32(buf + 40);
    memset(buf + 40, 0, 4);
    uint32_t crc = trace_crc32(0, buf, ci->header_size);
    uint64_t at = ci->offset + 8 + ci->header_size, left = ci->comp_size;
    while (left) {
        size_t n = left < sizeof r->crc_buf ? (size_t)left : sizeof r->crc_buf;
        if ((st = read_at(r, buf, n, at)) != TRACE_OK)
            return st;
        crc = trace_crc32(crc, buf, n);
        at += n;
        left -= n;
    }
    *ok = crc == want;
    return TRACE_OK;
}

/* The next frame after damage at `from`: a chunk header within the limits
 * whose crc verifies. Returns the file size when there is none. The crc
 * checks a hostile file could ask for are bounded by a budget of a few times
 * the file's size. */
static trace_status resync(trace_reader *r, uint64_t from, uint64_t *found)
{
    uint8_t win[4096 + 3];
    uint64_t pos = from;
    *found = r->size;
    while (pos + 8 <= r->size) {
        size_t n = r->size - pos < sizeof win ? (size_t)(r->size - pos) : sizeof win;
        trace_status st = read_at(r, win, n, pos);
        if (st != TRACE_OK)
            return st;
        for (size_t i = 0; i + 4 <= n; i++) {
            if (win[i] != 0x5B || trace_get_u32(win + i) != TRACE_MAGIC_CHUNK_HEADER)
                continue;
            trace_chunk_info ci;
            char why[8];
            if (read_frame(r, pos + i, &ci, why, sizeof why) != FRAME_CHUNK)
                continue;
            r->resync_budget_used += ci.header_size + (uint64_t)ci.comp_size;
            if (r->resync_budget_used > 4 * r->size + ((uint64_t)64 << 20))
                return set_error(&r->err, TRACE_ERR_CORRUPT, pos + i,
                                 "byte offset %llu: too much damage to find the chunks after byte offset %llu",
                                 (unsigned long long)(pos + i), (unsigned long long)from);
            bool ok;
            if ((st = check_crc(r, &ci, &ok)) != TRACE_OK)
                return st;
            if (ok) {
                *found = pos + i;
                return TRACE_OK;
            }
        }
        if (n < sizeof win)
            break;
        pos += n - 3; /* a magic may straddle two windows */
    }
    return TRACE_OK;
}

/* True when the bytes at `end` start a frame or the file ends there: a chunk
 * whose crc fails but that ends where the next frame begins has a header worth
 * believing. */
static bool frame_follows(trace_reader *r, uint64_t end)
{
    if (end == r->size)
        return true;
    uint8_t m[4];
    return r->size - end >= 4 && read_at(r, m, 4, end) == TRACE_OK && (trace_get_u32(m) & 0xFFFFFFF0u) == 0x184D2A50u;
}

/* Damage that may have held a dictionary chunk: ids it defined are lost
 * (§4.2), so a later dictionary chunk may start past the next id. */
static void dictionary_may_be_lost(trace_reader *r)
{
    r->dict_gap[0] = r->dict_gap[1] = true;
}

/* Once, at the end: the END chunk's event total against what was read. */
static void check_end_total(trace_reader *r)
{
    if (r->totals_checked || !r->complete)
        return;
    r->totals_checked = true;
    /* A believed header's times can hold the damaged byte: nothing was
     * recorded before the start or after the END chunk's time. */
    for (uint32_t i = 0; i < r->ndamage; i++) {
        trace_damage *d = &r->damage[i];
        if (!d->first_ts && !d->last_ts)
            continue;
        if (d->first_ts < r->info.start_ts)
            d->first_ts = r->info.start_ts;
        if (d->last_ts > r->end_ts && r->end_ts >= r->info.start_ts)
            d->last_ts = r->end_ts;
        if (d->first_ts > d->last_ts)
            d->first_ts = d->last_ts;
    }
    uint64_t known = 0;
    uint32_t unknown = 0;
    trace_damage *open = NULL;
    for (uint32_t i = 0; i < r->ndamage; i++) {
        if (r->damage[i].events_known) {
            known += r->damage[i].events_lost;
        } else {
            unknown++;
            open = &r->damage[i];
        }
    }
    if (r->events_read + known == r->end_events) {
        for (uint32_t i = 0; i < r->ndamage; i++)
            r->damage[i].events_known = true; /* the total leaves none for them */
        return;
    }
    if (unknown == 1 && r->end_events > r->events_read + known) {
        open->events_lost = r->end_events - r->events_read - known;
        open->events_known = true;
        return;
    }
    trace_damage *d = add_damage(r, r->end_offset, r->end_offset, TRACE_ERR_CORRUPT,
                                 "the end chunk counts %llu events, the chunks read hold %llu",
                                 (unsigned long long)r->end_events, (unsigned long long)r->events_read);
    if (d) {
        d->kind = TRACE_CHUNK_END;
        d->events_known = r->end_events >= r->events_read + known && !unknown;
        d->events_lost = d->events_known ? r->end_events - r->events_read - known : 0;
        d->first_ts = d->last_ts = 0;
    }
}

/* Whether the file's version has heap snapshot chunks (since 2.1, §4). */
static bool heap_known(const trace_reader *r)
{
    return r->info.version_major > 2 || (r->info.version_major == 2 && r->info.version_minor >= 1);
}

/* A chunk that cannot be used: recorded, and reading goes on after it. The
 * header is believed when its crc was the only problem, its sequence number
 * is the one expected and the next frame starts where it ends; otherwise the
 * next verified chunk header is searched for. */
static trace_status skip_damage(trace_reader *r, const trace_chunk_info *ci, bool header_ok, const char *why)
{
    uint64_t off = ci->offset;
    if (header_ok && ci->seq == r->next_seq && frame_follows(r, ci->end)) {
        bool heap = ci->kind == TRACE_CHUNK_HEAP && ci->thread == 0 && heap_known(r);
        bool events = ci->kind == TRACE_CHUNK_EVENTS || (ci->kind != TRACE_CHUNK_DICT && ci->kind != TRACE_CHUNK_END &&
                                                         !heap && ci->thread != 0);
        trace_damage *d = add_damage(r, off, ci->end, TRACE_ERR_CHECKSUM, "%s%s", why,
                                     heap ? " (a heap snapshot: it is lost)"
                                     : events || ci->kind == TRACE_CHUNK_DICT || ci->kind == TRACE_CHUNK_END
                                         ? "" : " (kind unreadable)");
        uint32_t kind = events ? TRACE_CHUNK_EVENTS : ci->kind == TRACE_CHUNK_END ? TRACE_CHUNK_END
                      : heap ? TRACE_CHUNK_HEAP : TRACE_CHUNK_DICT;
        if (d) {
            d->kind = kind;
            d->thread = events ? ci->thread : 0;
            d->events_known = true;
            d->events_lost = events ? ci->count : 0;
            d->first_ts = events ? ci->first_ts : 0;
            d->last_ts = events ? ci->last_ts : 0;
            d->chunks = 1;
        } else if (events) {
            r->damage[TRACE_DAMAGE_MAX - 1].events_lost += ci->count;
        }
        if (kind == TRACE_CHUNK_DICT)
            dictionary_may_be_lost(r);
        r->next_seq = ci->seq + 1;
        r->pos = ci->end;
        return TRACE_OK;
    }
    uint64_t next;
    trace_status st = resync(r, off + 1, &next);
    if (st != TRACE_OK)
        return st;
    trace_damage *d = add_damage(r, off, next, TRACE_ERR_CORRUPT, "%s", why);
    if (d && next == r->size)
        d->last_ts = UINT64_MAX; /* to the end */
    dictionary_may_be_lost(r);
    r->seq_unknown = true; /* the next chunk's sequence number says how many were lost */
    r->pos = next;
    return TRACE_OK;
}

/* The problem of a damage entry that is only missing sequence numbers
 * (first..last), d->chunks of them still missing. */
static void describe_gap(trace_damage *d, uint32_t first, uint32_t last)
{
    if (d->chunks == 0 && first == last)
        snprintf(d->problem, sizeof d->problem, "chunk out of order: sequence number %u found later in the file, read",
                 first);
    else if (d->chunks == 0)
        snprintf(d->problem, sizeof d->problem,
                 "chunks out of order: sequence numbers %u to %u found later in the file, read", first, last);
    else if (first == last)
        snprintf(d->problem, sizeof d->problem, "chunk with sequence number %u is missing", first);
    else if (d->chunks == last - first + 1)
        snprintf(d->problem, sizeof d->problem, "chunks with sequence numbers %u to %u are missing", first, last);
    else
        snprintf(d->problem, sizeof d->problem, "%u of the chunks with sequence numbers %u to %u are missing",
                 d->chunks, first, last);
}

/* A chunk whose sequence number is one skipped earlier: it was moved, not
 * repeated. Reads it, and tells the gap's damage entry. */
static bool fill_gap(trace_reader *r, const trace_chunk_info *ci)
{
    for (uint32_t i = 0; i < r->ngaps; i++) {
        struct seq_gap *g = &r->gaps[i];
        if (ci->seq < g->lo || ci->seq > g->hi)
            continue;
        trace_damage *d = g->entry < r->ndamage ? &r->damage[g->entry] : NULL;
        uint32_t first = g->first, last = g->last;
        if (g->lo == g->hi) {
            *g = r->gaps[--r->ngaps];
        } else if (ci->seq == g->lo) {
            g->lo++;
        } else if (ci->seq == g->hi) {
            g->hi--;
        } else if (r->ngaps < TRACE_SEQ_GAPS_MAX) {
            r->gaps[r->ngaps++] = (struct seq_gap){ ci->seq + 1, g->hi, first, last, g->entry };
            g->hi = ci->seq - 1;
        } else {
            g->hi = ci->seq - 1; /* the rest would read as repeats: still damage */
        }
        if (d && d->chunks) {
            d->chunks--;
            if (d->offset == d->end) /* an entry only about the numbers */
                describe_gap(d, first, last);
        }
        return true;
    }
    return false;
}

/* The sequence number of a verified chunk: a gap is lost chunks, a number
 * already passed a chunk repeated, or moved when it is one of a gap. False:
 * skip this chunk. */
static bool check_seq(trace_reader *r, const trace_chunk_info *ci)
{
    bool after_resync = r->seq_unknown;
    r->seq_unknown = false;
    if (ci->seq == r->next_seq) {
        r->next_seq++;
        return true;
    }
    if (ci->seq < r->next_seq) {
        if (fill_gap(r, ci))
            return true;
        trace_damage *d = add_damage(r, ci->offset, ci->end, TRACE_ERR_CORRUPT,
                                     "sequence number %u again (a repeated or misplaced chunk): not counted twice",
                                     ci->seq);
        if (d) {
            d->kind = ci->kind;
            d->thread = ci->thread;
            d->events_known = true;
            d->events_lost = 0;
            d->first_ts = ci->first_ts;
            d->last_ts = ci->last_ts;
        }
        return false;
    }
    uint32_t missing = ci->seq - r->next_seq;
    trace_damage *last = r->ndamage ? &r->damage[r->ndamage - 1] : NULL;
    trace_damage *d = NULL;
    if (after_resync && last && last->end == ci->offset) {
        d = last;
        d->chunks = missing;
    } else {
        d = add_damage(r, ci->offset, ci->offset, TRACE_ERR_CORRUPT, "%s", "");
        if (d) {
            d->chunks = missing;
            describe_gap(d, r->next_seq, ci->seq - 1);
        }
        dictionary_may_be_lost(r);
    }
    if (d && r->ngaps < TRACE_SEQ_GAPS_MAX)
        r->gaps[r->ngaps++] = (struct seq_gap){ r->next_seq, ci->seq - 1, r->next_seq, ci->seq - 1,
                                                (uint32_t)(d - r->damage) };
    r->next_seq = ci->seq + 1;
    return true;
}

trace_status trace_reader_headers(trace_reader *r, trace_header_fn fn, void *user)
{
    /* Reads of a few hundred bytes each a chunk apart: read-ahead would read
     * the payloads in between. */
    (void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_RANDOM);
    trace_chunk_summary keep = r->summary; /* what chunk_summary says for next_chunk's chunk */
    trace_error keep_err = r->err;
    r->err.status = TRACE_OK;
    trace_status st = TRACE_OK;
    char why[160];
    for (uint64_t off = r->first_chunk; off < r->size;) {
        trace_chunk_info ci;
        frame_verdict v = read_frame(r, off, &ci, why, sizeof why);
        if (v == FRAME_FOREIGN) {
            off = ci.end;
            continue;
        }
        if (v != FRAME_CHUNK) {
            if (r->err.status == TRACE_ERR_IO)
                st = TRACE_ERR_IO;
            break;
        }
        if (!fn(user, &ci, r->summary.present ? &r->summary : NULL))
            break;
        off = ci.end;
    }
    r->summary = keep;
    r->err = keep_err;
    (void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_NORMAL);
    return st;
}

trace_status trace_reader_next_chunk(trace_reader *r, trace_chunk_info *ci)
{
    char why[160];
    for (;;) {
        uint64_t off = r->pos;
        if (off == r->size) {
            memset(ci, 0, sizeof *ci);
            ci->offset = off;
            check_end_total(r);
            return TRACE_END;
        }
        frame_verdict v = read_frame(r, off, ci, why, sizeof why);
        if (v == FRAME_FOREIGN) {
            r->pos = ci->end;
            r->skipped++;
            continue;
        }
        trace_status st;
        if (v == FRAME_TRUNCATED) {
            /* A crash's partial chunk, or a size field that lies: a verified
             * chunk after it tells the two apart. */
            uint64_t next;
            if ((st = resync(r, off + 1, &next)) != TRACE_OK)
                return st;
            if (next == r->size) {
                memset(ci, 0, sizeof *ci);
                ci->offset = off;
                return set_error(&r->err, TRACE_ERR_TRUNCATED, off, "byte offset %llu: %s", (unsigned long long)off,
                                 why);
            }
            trace_chunk_info bad = *ci;
            bad.offset = off;
            if ((st = skip_damage(r, &bad, false, why)) != TRACE_OK)
                return st;
            continue;
        }
        if (v == FRAME_BAD) {
            if ((st = skip_damage(r, ci, false, why)) != TRACE_OK)
                return st;
            continue;
        }
        bool ok;
        if ((st = check_crc(r, ci, &ok)) != TRACE_OK)
            return st;
        if (!ok) {
            if ((st = skip_damage(r, ci, true, "checksum mismatch")) != TRACE_OK)
                return st;
            continue;
        }
        r->pos = ci->end;
        if (!check_seq(r, ci))
            continue;
        ci->strings_defined = r->strings_defined;
        ci->stacks_defined = r->stacks_defined;
        ci->dict_gap = r->dict_gap[0] || r->dict_gap[1];
        /* Kind 4 in a 1.x or 2.0 file is an unknown kind there. */
        switch (ci->kind == TRACE_CHUNK_HEAP && !heap_known(r) ? 0u : ci->kind) {
        case TRACE_CHUNK_EVENTS:
            r->events_read += ci->count;
            r->last_events_ts = ci->first_ts;
            for (uint32_t i = 0; i < r->ndamage; i++)
                if (r->damage[i].last_ts == UINT64_MAX && r->damage[i].end <= off)
                    r->damage[i].last_ts = ci->last_ts;
            return TRACE_OK;
        case TRACE_CHUNK_DICT:
        case TRACE_CHUNK_HEAP:
            r->summary.present = false;
            return TRACE_OK;
        case TRACE_CHUNK_END:
            r->end_offset = off;
            r->end_ts = ci->last_ts;
            return read_end_chunk(r, ci);
        default:
            /* A kind of a newer minor version is skipped; one that claims a
             * version this reader knows in full (an older major version,
             * or this one up to its minor) is damage (§4). */
            if (r->info.version_major == TRACE_VERSION_MAJOR && r->info.version_minor > TRACE_VERSION_MINOR) {
                r->skipped++;
                continue;
            }
            trace_damage *d = add_damage(r, off, ci->end, TRACE_ERR_UNKNOWN_KIND,
                                         "unknown chunk kind %u in a version %u.%u file", ci->kind,
                                         r->info.version_major, r->info.version_minor);
            if (d && ci->thread) {
                d->thread = ci->thread;
                d->kind = TRACE_CHUNK_EVENTS;
                d->events_known = true;
                d->events_lost = ci->count;
                d->first_ts = ci->first_ts;
                d->last_ts = ci->last_ts;
            } else if (d) {
                d->first_ts = d->last_ts = 0;
                d->events_known = true;
                dictionary_may_be_lost(r);
            }
            continue;
        }
    }
}

static double since_start_s(uint64_t start_ts, uint64_t ts)
{
    return ts > start_ts ? (double)(ts - start_ts) / 1e9 : 0;
}

const char *trace_damage_describe(const trace_damage *d, uint64_t start_ts, char *buf, size_t len)
{
    char lost[64], chunks[48] = "", where[96] = "", thread[32] = "";
    if (d->events_known)
        snprintf(lost, sizeof lost, "%llu event%s lost", (unsigned long long)d->events_lost,
                 d->events_lost == 1 ? "" : "s");
    else
        snprintf(lost, sizeof lost, "an unknown number of events lost");
    if (d->chunks > 1)
        snprintf(chunks, sizeof chunks, " in %u chunks", d->chunks);
    if (d->thread)
        snprintf(thread, sizeof thread, "thread %u, ", d->thread);
    if (d->first_ts || d->last_ts) {
        if (d->last_ts == UINT64_MAX)
            snprintf(where, sizeof where, " (%sfrom %.3f s to the end)", thread, since_start_s(start_ts, d->first_ts));
        else
            snprintf(where, sizeof where, " (%s%.3f s to %.3f s)", thread, since_start_s(start_ts, d->first_ts),
                     since_start_s(start_ts, d->last_ts));
    } else if (d->thread) {
        snprintf(where, sizeof where, " (thread %u)", d->thread);
    }
    const char *dict = d->kind == TRACE_CHUNK_DICT ? "; a dictionary chunk: its ids are lost" : "";
    if (d->end > d->offset)
        snprintf(buf, len, "byte offset %llu (%llu bytes skipped): %s: %s%s%s%s", (unsigned long long)d->offset,
                 (unsigned long long)(d->end - d->offset), d->problem, lost, chunks, where, dict);
    else
        snprintf(buf, len, "byte offset %llu: %s: %s%s%s%s", (unsigned long long)d->offset, d->problem, lost, chunks,
                 where, dict);
    return buf;
}

trace_chunk *trace_chunk_new(void)
{
    trace_chunk *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->frames = malloc(TRACE_STACK_DEPTH_MAX * sizeof *c->frames);
    c->live_win = malloc(TRACE_ADDR_WINDOW * sizeof *c->live_win);
    c->live_size = malloc(TRACE_ADDR_WINDOW * sizeof *c->live_size);
    c->released_win = malloc(TRACE_ADDR_WINDOW * sizeof *c->released_win);
    c->classes = malloc(sizeof *c->classes);
    for (uint32_t k = 0; k < TRACE_KIND_MAX; k++) {
        c->kind_info[k] = trace_kind_get(k);
        c->event_kind[k] = c->kind_info[k] && c->kind_info[k]->fields;
    }
    if (!c->frames || !c->live_win || !c->live_size || !c->released_win || !c->classes) {
        trace_chunk_free(c);
        return NULL;
    }
    return c;
}

void trace_chunk_free(trace_chunk *c)
{
    if (!c)
        return;
    free(c->comp);
    free(c->raw);
    free(c->frames);
    free(c->live_win);
    free(c->live_size);
    free(c->released_win);
    free(c->classes);
    for (int col = 0; col < TRACE_COLUMNS; col++) {
        if (c->dec[col])
            trace_huff_dec_free(c->dec[col]);
        free(c->dec[col]);
    }
    free(c);
}

const trace_chunk_info *trace_chunk_info_of(const trace_chunk *c) { return &c->ci; }

static bool grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (*cap >= need)
        return true;
    uint8_t *p = realloc(*buf, need);
    if (!p)
        return false;
    *buf = p;
    *cap = need;
    return true;
}

static trace_status chunk_error(trace_chunk *c, trace_status st, const char *what)
{
    return set_error(&c->r->err, st, c->ci.offset, "chunk at byte offset %llu: %s",
                     (unsigned long long)c->ci.offset, what);
}

/* Reads, checks and decompresses the chunk's payload into c->raw. */
static trace_status load_payload(trace_chunk *c, trace_reader *r, const trace_chunk_info *ci)
{
    c->r = r;
    c->ci = *ci;
    size_t total = (size_t)ci->header_size + ci->comp_size;
    if (!grow(&c->comp, &c->comp_cap, total) || !grow(&c->raw, &c->raw_cap, ci->raw_size ? ci->raw_size : 1))
        return chunk_error(c, TRACE_ERR_NOMEM, "out of memory");
    trace_status st = read_at(r, c->comp, total, ci->offset + 8);
    if (st != TRACE_OK)
        return st;
    uint32_t want = trace_get_u32(c->comp + 40);
    memset(c->comp + 40, 0, 4);
    uint32_t crc = trace_crc32(0, c->comp, ci->header_size);
    crc = trace_crc32(crc, c->comp + ci->header_size, ci->comp_size);
    if (crc != want)
        return chunk_error(c, TRACE_ERR_CHECKSUM, "checksum mismatch");

    LZ4F_resetDecompressionContext(r->dctx);
    const uint8_t *src = c->comp + ci->header_size;
    size_t spos = 0, dpos = 0;
    for (;;) {
        size_t sn = ci->comp_size - spos, dn = ci->raw_size - dpos;
        size_t hint = LZ4F_decompress(r->dctx, c->raw + dpos, &dn, src + spos, &sn, NULL);
        if (LZ4F_isError(hint))
            return chunk_error(c, TRACE_ERR_DECOMPRESS, LZ4F_getErrorName(hint));
        spos += sn;
        dpos += dn;
        if (hint == 0)
            break;
        if (spos == ci->comp_size || (sn == 0 && dn == 0))
            return chunk_error(c, TRACE_ERR_DECOMPRESS, "compressed payload is incomplete or larger than declared");
    }
    if (spos != ci->comp_size || dpos != ci->raw_size)
        return chunk_error(c, TRACE_ERR_CORRUPT, "payload size differs from the chunk header");
    return TRACE_OK;
}

static trace_status read_end_chunk(trace_reader *r, const trace_chunk_info *ci)
{
    trace_chunk *c = trace_chunk_new();
    if (!c)
        return set_error(&r->err, TRACE_ERR_NOMEM, ci->offset, "out of memory");
    trace_status st = load_payload(c, r, ci);
    if (st == TRACE_OK) {
        const uint8_t *p = c->raw, *e = c->raw + ci->raw_size;
        if (!trace_get_varint(&p, e, &r->end_events) || !trace_get_varint(&p, e, &r->end_lost))
            st = chunk_error(c, TRACE_ERR_CORRUPT, "malformed end chunk");
        else
            r->complete = true;
    }
    trace_chunk_free(c);
    return st;
}

static trace_status payload_error(trace_chunk *c, const uint8_t *at, const char *what)
{
    uint64_t rel = at ? (uint64_t)(at - c->raw) : 0;
    return set_error(&c->r->err, TRACE_ERR_CORRUPT, c->ci.offset,
                     "chunk at byte offset %llu: payload byte %llu: %s", (unsigned long long)c->ci.offset,
                     (unsigned long long)rel, what);
}

trace_status trace_heap_snapshot_load(trace_reader *r, const trace_chunk_info *ci, trace_heap_graph **out)
{
    if (out)
        *out = NULL;
    if (!r || !ci || !out)
        return TRACE_ERR_ARGS;
    if (ci->kind != TRACE_CHUNK_HEAP)
        return set_error(&r->err, TRACE_ERR_ARGS, ci->offset, "chunk at byte offset %llu: not a heap snapshot",
                         (unsigned long long)ci->offset);
    trace_chunk *c = trace_chunk_new();
    trace_heap_graph *s = calloc(1, sizeof *s);
    trace_status st = TRACE_ERR_NOMEM;
    if (!c || !s) {
        set_error(&r->err, st, ci->offset, "out of memory");
        goto out;
    }
    if ((st = load_payload(c, r, ci)) != TRACE_OK)
        goto out;
    s->ts = ci->first_ts;
    const uint8_t *at = NULL;
    const char *what = NULL;
    if (!trace_heap_decode(c->raw, c->raw + ci->raw_size, s, &at, &what)) {
        st = what ? payload_error(c, at, what) : chunk_error(c, TRACE_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (s->nranges + (uint64_t)s->nblocks + s->nroots + s->nedges != ci->count) {
        st = payload_error(c, c->raw, "record count differs from the chunk header");
        goto out;
    }
    *out = s;
    s = NULL;
out:
    trace_heap_snapshot_free(s);
    trace_chunk_free(c);
    return st;
}

trace_status trace_chunk_load(trace_chunk *c, trace_reader *r, const trace_chunk_info *ci)
{
    if (!c || !r || !ci)
        return TRACE_ERR_ARGS;
    c->done = 0;
    c->dict_cur = c->dict_end = NULL;
    trace_status st = load_payload(c, r, ci);
    if (st != TRACE_OK) {
        c->done = ci->count; /* nothing more to iterate */
        c->ci.count = 0;
        return st;
    }
    const uint8_t *p = c->raw, *e = c->raw + ci->raw_size;
    if (ci->kind == TRACE_CHUNK_DICT) {
        c->dict_cur = p;
        c->dict_end = e;
        return TRACE_OK;
    }
    if (ci->kind != TRACE_CHUNK_EVENTS)
        return chunk_error(c, TRACE_ERR_ARGS, "not an event or dictionary chunk");
    uint64_t n;
    if (!trace_get_varint(&p, e, &n) || n != ci->count)
        return c->ci.count = 0, payload_error(c, p, "event count differs from the chunk header");
    if ((uint64_t)(e - p) < n)
        return c->ci.count = 0, payload_error(c, p, "kind column runs past the payload");
    c->kinds = p;
    uint32_t counts[256] = { 0 };
    for (uint64_t i = 0; i < n; i++) {
        if (!c->event_kind[p[i]]) {
            char what[64];
            snprintf(what, sizeof what, "unknown event kind %u", p[i]);
            c->ci.count = 0;
            return payload_error(c, p + i, what);
        }
        counts[p[i]]++;
    }
    /* The header's summary, checked as the events are read (§4.1.3). */
    const char *why;
    if (!parse_summary(r, c->comp, ci->header_size, &c->sum, &why))
        return c->ci.count = 0, chunk_error(c, TRACE_ERR_CORRUPT, why);
    for (uint32_t k = 0; c->sum.present && k < 256; k++) {
        if ((k < 16 ? c->sum.kind_counts[k] : 0) != counts[k]) {
            char what[128];
            snprintf(what, sizeof what, "its summary says %u %s events, it holds %u",
                     k < 16 ? c->sum.kind_counts[k] : 0, trace_kind_name(k), counts[k]);
            return c->ci.count = 0, chunk_error(c, TRACE_ERR_CORRUPT, what);
        }
    }
    c->seg = 0;
    c->seg_start = 0;
    c->seg_end = c->sum.present ? c->sum.seg[0].events : 0;
    c->alloc_bytes = 0;
    p += n;
    bool modes = r->info.version_major >= 2;
    c->major = r->info.version_major;
    for (int col = 0; col < TRACE_COLUMNS; col++) {
        uint64_t len;
        if (!trace_get_varint(&p, e, &len) || len > (uint64_t)(e - p))
            return c->ci.count = 0, payload_error(c, p, "column length runs past the payload");
        c->cur[col] = p;
        c->end[col] = p + len;
        c->mode[col] = TRACE_COLUMN_VARINT;
        if (modes) {
            /* Format 2: a mode byte starts the column (FORMAT.md §4.1.1). */
            if (len == 0)
                return c->ci.count = 0, payload_error(c, p, "column has no coding byte");
            c->mode[col] = *c->cur[col]++;
            if (c->mode[col] == TRACE_COLUMN_HUFFMAN || c->mode[col] == TRACE_COLUMN_HUFFMAN_BY_KIND) {
                if (!c->dec[col] && !(c->dec[col] = calloc(1, sizeof *c->dec[col])))
                    return c->ci.count = 0, chunk_error(c, TRACE_ERR_NOMEM, "out of memory");
                const char *what = NULL;
                if (!trace_huff_dec_init(c->dec[col], c->cur[col], (size_t)(c->end[col] - c->cur[col]),
                                         c->mode[col] == TRACE_COLUMN_HUFFMAN_BY_KIND, &what))
                    return c->ci.count = 0, payload_error(c, c->cur[col], what);
            } else if (c->mode[col] != TRACE_COLUMN_VARINT) {
                char what[64];
                snprintf(what, sizeof what, "unknown column coding %u", c->mode[col]);
                return c->ci.count = 0, payload_error(c, p, what);
            }
        }
        p += len;
    }
    if (p != e)
        return c->ci.count = 0, payload_error(c, p, "trailing bytes after the last column");
    c->ts = ci->first_ts;
    c->prev_lit = 0;
    c->live_n = c->released_n = 0;
    trace_class_reset(c->classes);
    trace_live_reset(&c->live_order);
    return TRACE_OK;
}

/* The most ids a file of its size could define: each definition takes at
 * least two bytes before compression, and LZ4 makes at most 255 bytes of
 * one. After damage an id may skip ahead (the skipped ones are lost), but
 * never past this: a 373-byte file claiming id 2^25 would otherwise have a
 * reader of its ids hold 2^25 empty ones. */
static uint64_t ids_possible(const trace_reader *r) { return r->size / 2 * 255 + 255; }

/* A new id (or a repeat) of dictionary `dict` (0 strings, 1 stacks). After
 * damage that may have held a dictionary chunk, the first new id may skip
 * ahead: the ids skipped are lost (FORMAT.md §4.2). */
static void define_id(trace_reader *r, int dict, uint64_t id)
{
    uint64_t *defined = dict ? &r->stacks_defined : &r->strings_defined;
    if (id <= *defined)
        return;
    if (id > *defined + 1) {
        if (r->nlost_ids == TRACE_LOST_RANGES_MAX) {
            /* Past the bound the last range grows: more ids counted lost,
             * none given to the wrong definition. */
            r->lost_ids[r->nlost_ids - 1].hi = id - 1;
            r->lost_ids[r->nlost_ids - 1].dict = 2; /* both dictionaries */
        } else {
            r->lost_ids[r->nlost_ids++] = (trace_id_range){ (uint8_t)dict, *defined + 1, id - 1 };
        }
    }
    *defined = id;
    r->dict_gap[dict] = false;
}

/* True when an event field's id (of dictionary `dict`) is not one the chunk
 * may use: an id lost with damage, or one beyond what was defined before the
 * chunk while a lost dictionary chunk may have defined it. */
static bool id_lost(const trace_chunk *c, int dict, uint64_t id, uint64_t defined)
{
    if (id > defined)
        return c->ci.dict_gap;
    for (uint32_t i = 0; i < c->r->nlost_ids; i++) {
        const trace_id_range *g = &c->r->lost_ids[i];
        if ((g->dict == dict || g->dict == 2) && id >= g->lo && id <= g->hi)
            return true;
    }
    return false;
}

/* An event field's id of dictionary `dict`: false when it is not defined;
 * a lost one becomes 0 ("none") and is counted. */
static inline bool usable_id(trace_chunk *c, int dict, uint64_t *v)
{
    uint64_t defined = dict ? c->ci.stacks_defined : c->ci.strings_defined;
    if (__builtin_expect(*v <= defined && !c->r->nlost_ids, 1) || !*v)
        return true;
    if (!id_lost(c, dict, *v, defined))
        return *v <= defined;
    *v = 0;
    c->r->lost_refs++;
    return true;
}

static trace_status next_dict(trace_chunk *c, trace_event *ev)
{
    trace_reader *r = c->r;
    const uint8_t *p = c->dict_cur, *e = c->dict_end, *start = p;
    if (p >= e)
        return c->done == c->ci.count ? TRACE_END : payload_error(c, p, "fewer records than the chunk header says");
    if (c->done >= c->ci.count)
        return payload_error(c, p, "more records than the chunk header says");
    uint8_t kind = *p++;
    ev->kind = kind;
    uint64_t id, len, v[4];
    switch (kind) {
    case TRACE_STRING_DEF:
        if (!trace_get_varint(&p, e, &id) || !trace_get_varint(&p, e, &len))
            return payload_error(c, start, "malformed string record");
        if (len > TRACE_STRING_MAX || len > (uint64_t)(e - p))
            return payload_error(c, start, "string length out of range");
        if (id == 0 || (id > r->strings_defined + 1 && !r->dict_gap[0]))
            return payload_error(c, start, "string id out of sequence");
        if (id > ids_possible(r))
            return payload_error(c, start, "string id beyond what the file could define");
        define_id(r, 0, id);
        ev->value = id;
        ev->data = p;
        ev->data_len = (uint32_t)len;
        p += len;
        break;
    case TRACE_STACK_DEF: {
        if (!trace_get_varint(&p, e, &id) || !trace_get_varint(&p, e, &len))
            return payload_error(c, start, "malformed stack record");
        if (len > TRACE_STACK_DEPTH_MAX || len > (uint64_t)(e - p))
            return payload_error(c, start, "stack depth out of range");
        if (id == 0 || (id > r->stacks_defined + 1 && !r->dict_gap[1]))
            return payload_error(c, start, "stack id out of sequence");
        if (id > ids_possible(r))
            return payload_error(c, start, "stack id beyond what the file could define");
        uint64_t prev = 0;
        for (uint64_t i = 0; i < len; i++) {
            uint64_t z;
            if (!trace_get_varint(&p, e, &z))
                return payload_error(c, start, "malformed stack frame");
            prev += (uint64_t)trace_unzigzag(z);
            c->frames[i] = prev;
        }
        define_id(r, 1, id);
        ev->value = id;
        ev->frames = c->frames;
        ev->depth = (uint32_t)len;
        break;
    }
    case TRACE_MODULE_DEF:
        for (int i = 0; i < 4; i++)
            if (!trace_get_varint(&p, e, &v[i]))
                return payload_error(c, start, "malformed module record");
        if (!trace_get_varint(&p, e, &len) || len > TRACE_STRING_MAX || len > (uint64_t)(e - p))
            return payload_error(c, start, "module path length out of range");
        ev->data = p;
        ev->data_len = (uint32_t)len;
        p += len;
        if (!trace_get_varint(&p, e, &len) || len > TRACE_BUILD_ID_MAX || len > (uint64_t)(e - p))
            return payload_error(c, start, "module build id length out of range");
        ev->data2 = p;
        ev->data2_len = (uint32_t)len;
        p += len;
        if (v[2] + v[3] < v[2])
            return payload_error(c, start, "module address range overflows");
        ev->ts = v[0] * r->info.time_unit_ns;
        ev->addr = v[1];
        ev->addr2 = v[2];
        ev->size = v[2] + v[3];
        break;
    default: {
        char what[64];
        snprintf(what, sizeof what, "unknown dictionary record kind %u", kind);
        return set_error(&r->err, TRACE_ERR_UNKNOWN_KIND, c->ci.offset, "chunk at byte offset %llu: payload byte %llu: %s",
                         (unsigned long long)c->ci.offset, (unsigned long long)(start - c->raw), what);
    }
    }
    c->dict_cur = p;
    c->done++;
    return TRACE_OK;
}

/* The next value of a column, whatever its coding. */
static inline __attribute__((always_inline)) bool col_next(trace_chunk *c, int col, unsigned kind, uint64_t *v)
{
    if (c->mode[col] == TRACE_COLUMN_VARINT)
        return trace_get_varint(&c->cur[col], c->end[col], v);
    return trace_huff_dec_next(c->dec[col], c->mode[col] == TRACE_COLUMN_HUFFMAN_BY_KIND ? kind : 0, v);
}

static inline const uint8_t *col_pos(const trace_chunk *c, int col)
{
    return c->mode[col] == TRACE_COLUMN_VARINT ? c->cur[col] : trace_huff_dec_pos(c->dec[col]);
}

static inline bool col_done(const trace_chunk *c, int col)
{
    return c->mode[col] == TRACE_COLUMN_VARINT ? c->cur[col] == c->end[col] : trace_huff_dec_done(c->dec[col]);
}

/* The fields of a list that ends with one of type NONE, at most 8. */
static unsigned field_count(const trace_field_info *fields)
{
    unsigned n = 0;
    while (n < 8 && fields[n].type != TRACE_FIELD_NONE)
        n++;
    return n;
}

/* An event's fields after its timestamp: the codes first (each from its
 * own column), then the addresses, in field order. Inlined once per event
 * kind with that kind's field list from the one table (TRACE_EVENT_KINDS)
 * and its length as a constant (`nfields`, at most 8), so the loops over
 * fields unroll into the kind's own code (a loop that ends at a field of
 * type NONE was not unrolled, nor one with the test of a field's version
 * without the pragma) and each field's type and version test fold away. */
static inline __attribute__((always_inline)) trace_status decode_fields(trace_chunk *c, trace_event *ev,
                                                                        uint32_t kind,
                                                                        const trace_field_info *fields,
                                                                        unsigned nfields)
{
    /* The codes first (each from its own column), then the addresses, in
     * field order: an address made live is resolved with its size (§4.1.2). */
    uint64_t code[8] = { 0 }, size = 0; /* set: an absent field is skipped by both loops, GCC cannot tell */
    /* The values whose address is taken live out here, not in the loops'
     * bodies: GCC 12's ASan, with the loops unrolled, takes a later
     * iteration's store for a use after its scope. */
    uint64_t v, at, z;
    unsigned major = c->major;
    /* A field newer than the file's version is not there (its member stays
     * 0). The first test folds away, per kind, for the fields every version has. */
#define FIELD_ABSENT(f) ((f)->since > TRACE_VERSION_MAJOR_MIN && !trace_field_in(f, major))
#pragma GCC unroll 8
    for (unsigned nf = 0; nf < nfields; nf++) {
        const trace_field_info *f = &fields[nf];
        if (FIELD_ABSENT(f))
            continue;
        trace_column col = trace_field_column(f->type);
        if (!col_next(c, col, kind, &v))
            return payload_error(c, col_pos(c, col), "field column ends early");
        /* Ids defined before the chunk in file order (§4.2), the same for
         * every client whatever it loaded since. */
        if (f->type == TRACE_FIELD_STACK && !usable_id(c, 1, &v))
            return payload_error(c, col_pos(c, col), "stack id is not defined");
        if (f->type == TRACE_FIELD_STR && !usable_id(c, 0, &v))
            return payload_error(c, col_pos(c, col), "string id is not defined");
        if (f->type == TRACE_FIELD_SIZE)
            size = v;
        code[nf] = v;
    }
    bool v2 = major >= 2;
#pragma GCC unroll 8
    for (unsigned nf = 0; nf < nfields; nf++) {
        const trace_field_info *f = &fields[nf];
        if (FIELD_ABSENT(f))
            continue;
        v = code[nf];
        if (f->type == TRACE_FIELD_ADDR_NEW || f->type == TRACE_FIELD_ADDR_OLD) {
            trace_column col = trace_field_column(f->type);
            bool live = f->type == TRACE_FIELD_ADDR_NEW;
            /* Format 2 addr_new: odd, a rank in the size class's list; even,
             * a distance. Format 2 addr_old: a rank among the live window's
             * entries not yet released. Format 1: distances. 0: a literal. */
            uint64_t dist = live && v2 ? v / 2 : v;
            if (live && v2 && (v & 1)) {
                unsigned rank = dist + 1 > TRACE_CLASS_DEPTH ? 0 : (unsigned)(dist + 1);
                if (!trace_class_take(c->classes, trace_size_class(size), rank, &v))
                    return payload_error(c, col_pos(c, col), "address rank reaches outside its size class");
            } else if (!live && v2 && dist) {
                if (!trace_live_take(&c->live_order, c->live_n, dist, &at))
                    return payload_error(c, col_pos(c, col), "address rank reaches outside the window");
                v = c->live_win[at % TRACE_ADDR_WINDOW];
                trace_class_push(c->classes, trace_size_class(c->live_size[at % TRACE_ADDR_WINDOW]), v);
            } else if (dist) {
                /* A distance into the window of the opposite role. */
                uint64_t n = live ? c->released_n : c->live_n;
                if (dist > n || dist > TRACE_ADDR_WINDOW)
                    return payload_error(c, col_pos(c, col), "address distance reaches outside the window");
                at = (n - dist) % TRACE_ADDR_WINDOW;
                v = live ? c->released_win[at] : c->live_win[at];
            } else {
                if (!col_next(c, TRACE_COL_ADDR_LIT, kind, &z))
                    return payload_error(c, col_pos(c, TRACE_COL_ADDR_LIT), "address column ends early");
                v = c->prev_lit + (uint64_t)trace_unzigzag(z);
                c->prev_lit = v;
            }
            if (live) {
                if (v2)
                    trace_live_add(&c->live_order, c->live_n);
                c->live_size[c->live_n % TRACE_ADDR_WINDOW] = size;
                c->live_win[c->live_n++ % TRACE_ADDR_WINDOW] = v;
            } else {
                c->released_win[c->released_n++ % TRACE_ADDR_WINDOW] = v;
            }
        }
        memcpy((uint8_t *)ev + f->offset, &v, sizeof v);
    }
#undef FIELD_ABSENT
    return TRACE_OK;
}

/* Checks event ev (the chunk's c->done-th) against the header's summary:
 * its segment's first and last times, the bytes allocated. */
static trace_status check_summary(trace_chunk *c, const trace_event *ev)
{
    if (ev->kind == TRACE_ALLOC || ev->kind == TRACE_REALLOC)
        c->alloc_bytes += ev->size;
    const trace_segment_summary *g = &c->sum.seg[c->seg];
    char what[160];
    if (c->done == c->seg_start && ev->ts != g->first_ts) {
        snprintf(what, sizeof what, "its summary's segment %u starts at %llu ns, its event %u is at %llu ns", c->seg,
                 (unsigned long long)g->first_ts, c->done, (unsigned long long)ev->ts);
        return chunk_error(c, TRACE_ERR_CORRUPT, what);
    }
    if (c->done + 1 == c->seg_end) {
        if (ev->ts != g->last_ts) {
            snprintf(what, sizeof what, "its summary's segment %u ends at %llu ns, its event %u is at %llu ns",
                     c->seg, (unsigned long long)g->last_ts, c->done, (unsigned long long)ev->ts);
            return chunk_error(c, TRACE_ERR_CORRUPT, what);
        }
        if (c->seg + 1 < c->sum.nsegments) {
            c->seg++;
            c->seg_start = c->seg_end;
            c->seg_end += c->sum.seg[c->seg].events;
        }
    }
    return TRACE_OK;
}

trace_status trace_chunk_next(trace_chunk *c, trace_event *ev)
{
    /* A copy of a zero event, not memset: GCC makes the memset a rep stos,
     * whose start-up was the costliest instruction of reading an event. */
    static const trace_event zero;
    *ev = zero;
    ev->thread = c->ci.thread;
    if (c->ci.kind == TRACE_CHUNK_DICT)
        return next_dict(c, ev);
    if (c->done >= c->ci.count) {
        for (int col = 0; col < TRACE_COLUMNS; col++)
            if (!col_done(c, col))
                return payload_error(c, col_pos(c, col), "column has bytes left over after the last event");
        if (c->ci.count && c->ts != c->ci.last_ts)
            return payload_error(c, c->end[0], "last timestamp differs from the chunk header");
        if (c->sum.present && c->alloc_bytes != c->sum.alloc_bytes) {
            char what[128];
            snprintf(what, sizeof what, "its summary says %llu bytes allocated, it holds %llu",
                     (unsigned long long)c->sum.alloc_bytes, (unsigned long long)c->alloc_bytes);
            return chunk_error(c, TRACE_ERR_CORRUPT, what);
        }
        return TRACE_END;
    }
    uint32_t kind = c->kinds[c->done];
    uint64_t d;
    if (!col_next(c, TRACE_COL_TS, kind, &d))
        return payload_error(c, col_pos(c, TRACE_COL_TS), "timestamp column ends early");
    uint64_t unit = c->r->info.time_unit_ns, step;
    /* d * unit past the last timestamp (or overflowing): no division per event */
    if (__builtin_mul_overflow(d, unit, &step) || step > c->ci.last_ts - c->ts)
        return payload_error(c, col_pos(c, TRACE_COL_TS), "timestamp beyond the chunk's last timestamp");
    c->ts += step;
    ev->kind = kind;
    ev->ts = c->ts;
    trace_status st;
    switch (kind) {
#define DECODE_FIELD(type, member, name, since) \
    { TRACE_FIELD_##type, (uint16_t)offsetof(trace_event, member), name, since },
#define DECODE_KIND(sym, id, name, fields)                                            \
    case TRACE_##sym: {                                                                \
        static const trace_field_info fields_##sym[] = { fields{ TRACE_FIELD_NONE, 0, NULL, 0 } }; \
        st = decode_fields(c, ev, kind, fields_##sym, sizeof fields_##sym / sizeof *fields_##sym - 1); \
        break;                                                                         \
    }
        TRACE_EVENT_KINDS(DECODE_KIND, DECODE_FIELD)
#undef DECODE_KIND
#undef DECODE_FIELD
    default: /* kind < TRACE_KIND_MAX, known: checked by trace_chunk_load */
        st = decode_fields(c, ev, kind, c->kind_info[kind]->fields, field_count(c->kind_info[kind]->fields));
        break;
    }
    if (st != TRACE_OK)
        return st;
    if (c->sum.present && (st = check_summary(c, ev)) != TRACE_OK)
        return st;
    c->done++;
    return TRACE_OK;
}

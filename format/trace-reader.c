/* trace-reader.c — the .trace reader. Trusts nothing in the file.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "trace-reader.h"
#include "trace-huff.h"
#include "trace-private.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct trace_reader {
    int fd;
    uint64_t size;
    uint64_t pos;          /* offset of the next chunk header */
    trace_file_info info;
    trace_error err;
    uint32_t skipped;
    bool complete;
    uint64_t end_events, end_lost;
    uint64_t strings_defined, stacks_defined;
    LZ4F_dctx *dctx;
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
    trace_live_marks marks;
    /* Format 2: how each column is coded; the decoders of coded columns. */
    uint8_t mode[TRACE_COLUMNS];
    trace_huff_dec *dec[TRACE_COLUMNS];
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
    r->pos = 8 + (uint64_t)size;
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
uint32_t trace_reader_skipped(const trace_reader *r) { return r->skipped; }
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

trace_status trace_reader_next_chunk(trace_reader *r, trace_chunk_info *ci)
{
    for (;;) {
        memset(ci, 0, sizeof *ci);
        uint64_t off = r->pos;
        ci->offset = off;
        if (off == r->size)
            return TRACE_END;
        if (r->size - off < 8)
            return set_error(&r->err, TRACE_ERR_TRUNCATED, off, "byte offset %llu: file ends inside a chunk header",
                             (unsigned long long)off);
        uint8_t pre[8];
        trace_status st = read_at(r, pre, 8, off);
        if (st != TRACE_OK)
            return st;
        uint32_t magic = trace_get_u32(pre), size = trace_get_u32(pre + 4);
        if ((magic & 0xFFFFFFF0u) != 0x184D2A50u)
            return set_error(&r->err, TRACE_ERR_CORRUPT, off,
                             "byte offset %llu: expected a chunk header, found 0x%08x", (unsigned long long)off, magic);
        if (magic != TRACE_MAGIC_CHUNK_HEADER) {
            /* Some other skippable frame: step over it. */
            if ((uint64_t)size > r->size - off - 8)
                return set_error(&r->err, TRACE_ERR_TRUNCATED, off, "byte offset %llu: file ends inside a frame",
                                 (unsigned long long)off);
            r->pos = off + 8 + size;
            r->skipped++;
            continue;
        }
        if (size < TRACE_CHUNK_HEADER_SIZE || size > 4096)
            return set_error(&r->err, TRACE_ERR_CORRUPT, off + 4,
                             "byte offset %llu: chunk header size %u is out of range", (unsigned long long)(off + 4), size);
        if ((uint64_t)size > r->size - off - 8)
            return set_error(&r->err, TRACE_ERR_TRUNCATED, off, "byte offset %llu: file ends inside a chunk header",
                             (unsigned long long)off);
        uint8_t h[TRACE_CHUNK_HEADER_SIZE];
        st = read_at(r, h, sizeof h, off + 8);
        if (st != TRACE_OK)
            return st;
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
        if ((uint64_t)ci->comp_size > r->size - payload)
            return set_error(&r->err, TRACE_ERR_TRUNCATED, off, "chunk at byte offset %llu: file ends inside the chunk",
                             (unsigned long long)off);
        ci->end = payload + ci->comp_size;
        if (ci->raw_size > TRACE_CHUNK_RAW_MAX || ci->count > ci->raw_size ||
            ci->raw_size > (uint64_t)ci->comp_size * 255 + 64)
            return set_error(&r->err, TRACE_ERR_LIMIT, off + 8,
                             "chunk at byte offset %llu: declared sizes are out of range (raw %u, compressed %u, count %u)",
                             (unsigned long long)off, ci->raw_size, ci->comp_size, ci->count);
        if (ci->last_ts < ci->first_ts)
            return set_error(&r->err, TRACE_ERR_CORRUPT, off + 8,
                             "chunk at byte offset %llu: last timestamp precedes the first", (unsigned long long)off);
        r->pos = ci->end;
        switch (ci->kind) {
        case TRACE_CHUNK_EVENTS:
        case TRACE_CHUNK_DICT:
            return TRACE_OK;
        case TRACE_CHUNK_END:
            st = read_end_chunk(r, ci);
            return st;
        default:
            r->skipped++;
            continue;
        }
    }
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
    for (uint64_t i = 0; i < n; i++) {
        const trace_kind_info *k = trace_kind_get(p[i]);
        if (!k || !k->fields) {
            char what[64];
            snprintf(what, sizeof what, "unknown event kind %u", p[i]);
            c->ci.count = 0;
            return payload_error(c, p + i, what);
        }
    }
    p += n;
    bool modes = r->info.version_major >= 2;
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
    trace_marks_reset(&c->marks);
    return TRACE_OK;
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
        if (id == 0 || id > r->strings_defined + 1)
            return payload_error(c, start, "string id out of sequence");
        if (id == r->strings_defined + 1)
            r->strings_defined = id;
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
        if (id == 0 || id > r->stacks_defined + 1)
            return payload_error(c, start, "stack id out of sequence");
        uint64_t prev = 0;
        for (uint64_t i = 0; i < len; i++) {
            uint64_t z;
            if (!trace_get_varint(&p, e, &z))
                return payload_error(c, start, "malformed stack frame");
            prev += (uint64_t)trace_unzigzag(z);
            c->frames[i] = prev;
        }
        if (id == r->stacks_defined + 1)
            r->stacks_defined = id;
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
static inline bool col_next(trace_chunk *c, int col, unsigned kind, uint64_t *v)
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
    const trace_kind_info *k = trace_kind_get(kind);
    /* The codes first (each from its own column), then the addresses, in
     * field order: an address made live is resolved with its size (§4.1.2). */
    uint64_t code[8], size = 0;
    unsigned nf = 0;
    for (const trace_field_info *f = k->fields; f->type != TRACE_FIELD_NONE && nf < 8; f++, nf++) {
        trace_column col = trace_field_column(f->type);
        uint64_t v;
        if (!col_next(c, col, kind, &v))
            return payload_error(c, col_pos(c, col), "field column ends early");
        if (f->type == TRACE_FIELD_STACK && v > c->r->stacks_defined)
            return payload_error(c, col_pos(c, col), "stack id is not defined");
        if (f->type == TRACE_FIELD_STR && v > c->r->strings_defined)
            return payload_error(c, col_pos(c, col), "string id is not defined");
        if (f->type == TRACE_FIELD_SIZE)
            size = v;
        code[nf] = v;
    }
    bool v2 = c->r->info.version_major >= 2;
    nf = 0;
    for (const trace_field_info *f = k->fields; f->type != TRACE_FIELD_NONE && nf < 8; f++, nf++) {
        uint64_t v = code[nf];
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
                uint64_t n = c->live_n, at;
                if (!trace_marks_select(&c->marks, n > TRACE_ADDR_WINDOW ? n - TRACE_ADDR_WINDOW : 0, n, dist, &at))
                    return payload_error(c, col_pos(c, col), "address rank reaches outside the window");
                trace_marks_clear(&c->marks, at);
                v = c->live_win[at % TRACE_ADDR_WINDOW];
                trace_class_push(c->classes, trace_size_class(c->live_size[at % TRACE_ADDR_WINDOW]), v);
            } else if (dist) {
                /* A distance into the window of the opposite role. */
                uint64_t n = live ? c->released_n : c->live_n;
                if (dist > n || dist > TRACE_ADDR_WINDOW)
                    return payload_error(c, col_pos(c, col), "address distance reaches outside the window");
                uint64_t at = (n - dist) % TRACE_ADDR_WINDOW;
                v = live ? c->released_win[at] : c->live_win[at];
            } else {
                uint64_t z;
                if (!col_next(c, TRACE_COL_ADDR_LIT, kind, &z))
                    return payload_error(c, col_pos(c, TRACE_COL_ADDR_LIT), "address column ends early");
                v = c->prev_lit + (uint64_t)trace_unzigzag(z);
                c->prev_lit = v;
            }
            if (live) {
                if (v2)
                    trace_marks_set(&c->marks, c->live_n);
                c->live_size[c->live_n % TRACE_ADDR_WINDOW] = size;
                c->live_win[c->live_n++ % TRACE_ADDR_WINDOW] = v;
            } else {
                c->released_win[c->released_n++ % TRACE_ADDR_WINDOW] = v;
            }
        }
        memcpy((uint8_t *)ev + f->offset, &v, sizeof v);
    }
    c->done++;
    return TRACE_OK;
}

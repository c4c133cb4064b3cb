/* trace-format.h — the .trace file format: constants, the one table of record
 * kinds, status codes and the decoded event structure.
 *
 * The byte-level specification is format/FORMAT.md; this header is its
 * machine-readable half. Everything here is shared by the writer (linked into
 * the recorder, so: no GLib, no allocation at include time) and the reader.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TRACE_FORMAT_H
#define LEAKSCOPE_TRACE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- File layout constants (see FORMAT.md §2, §3) ---------------------- */

/* Every header in a .trace file is an LZ4 "skippable frame" so that
 * `lz4 -dc file.trace` prints the decompressed payloads and skips the rest. */
#define TRACE_MAGIC_FILE_HEADER  0x184D2A5Au  /* skippable frame: file header */
#define TRACE_MAGIC_CHUNK_HEADER 0x184D2A5Bu  /* skippable frame: chunk header */
#define TRACE_FILE_MAGIC         "LKSTRACE"   /* 8 bytes at file offset 8 */
#define TRACE_VERSION_MAJOR      3            /* 3: res_close has a stack */
#define TRACE_VERSION_MINOR      1            /* 3.1: events chunk headers carry a summary */
#define TRACE_VERSION_MAJOR_MIN  1            /* oldest major version a reader reads */

#define TRACE_FILE_HEADER_FIXED  56u          /* bytes before the program name */
#define TRACE_FILE_HEADER_MAX    65536u
#define TRACE_PROGRAM_MAX        4096u
#define TRACE_CHUNK_HEADER_SIZE  48u
#define TRACE_CHUNK_HEADER_MAX   4096u        /* a reader's bound on a chunk header's size */

/* Limits a reader enforces before it allocates anything. */
#define TRACE_CHUNK_RAW_MAX      (64u * 1024u * 1024u)
#define TRACE_STACK_DEPTH_MAX    1024u
#define TRACE_STRING_MAX         65536u
#define TRACE_BUILD_ID_MAX       64u

enum trace_chunk_kind {
    TRACE_CHUNK_EVENTS = 1,   /* one thread's events, columnar */
    TRACE_CHUNK_DICT   = 2,   /* dictionary records: strings, stacks, modules */
    TRACE_CHUNK_END    = 3,   /* clean end of recording */
    TRACE_CHUNK_HEAP   = 4,   /* a heap-graph snapshot (since 2.1, FORMAT.md §4.4) */
};

enum trace_clock {
    TRACE_CLOCK_MONOTONIC = 1,
};

/* ---- Fields ------------------------------------------------------------ */

/* Field types (FORMAT.md §4.1.2). Addresses are coded by their role: one that
 * becomes live is looked up among addresses recently released in the chunk,
 * one that is released among addresses recently made live. */
#define TRACE_FIELD_TYPES(F) \
    F(ADDR_NEW, "addr_new") /* an address that becomes live */ \
    F(ADDR_OLD, "addr_old") /* an address that is released */ \
    F(SIZE,  "size")  /* byte counts: plain varint */ \
    F(STACK, "stack") /* stack dictionary id, 0 = none */ \
    F(STR,   "str")   /* string dictionary id, 0 = none */ \
    F(U64,   "u64")   /* any other unsigned value: plain varint */

typedef enum trace_field_type {
    TRACE_FIELD_NONE = 0,
#define TRACE_F_ENUM(sym, name) TRACE_FIELD_##sym,
    TRACE_FIELD_TYPES(TRACE_F_ENUM)
#undef TRACE_F_ENUM
    TRACE_FIELD_COUNT
} trace_field_type;

/* The columns of an event chunk, in payload order. */
typedef enum trace_column {
    TRACE_COL_TS,        /* timestamp deltas */
    TRACE_COL_ADDR_NEW,  /* addresses made live: distance into the released window (0: literal) */
    TRACE_COL_ADDR_OLD,  /* addresses released: distance into the live window (0: literal) */
    TRACE_COL_ADDR_LIT,  /* literal addresses: zigzag delta to the previous literal */
    TRACE_COL_SIZE,
    TRACE_COL_STACK,
    TRACE_COL_STR,
    TRACE_COL_U64,
    TRACE_COLUMNS
} trace_column;

/* Format 2: each column's body starts with its coding (FORMAT.md §4.1.1). */
enum trace_column_mode {
    TRACE_COLUMN_VARINT = 0,   /* LEB128 values back to back */
    TRACE_COLUMN_HUFFMAN = 1,  /* a code table, then tokens and extra bits */
    TRACE_COLUMN_HUFFMAN_BY_KIND = 2, /* a code table per event kind, then the same */
};

/* Addresses a distance can reach back, per window. */
#define TRACE_ADDR_WINDOW 4096u

static inline trace_column trace_field_column(trace_field_type t)
{
    switch (t) {
    case TRACE_FIELD_ADDR_NEW: return TRACE_COL_ADDR_NEW;
    case TRACE_FIELD_ADDR_OLD: return TRACE_COL_ADDR_OLD;
    case TRACE_FIELD_SIZE: return TRACE_COL_SIZE;
    case TRACE_FIELD_STACK: return TRACE_COL_STACK;
    case TRACE_FIELD_STR: return TRACE_COL_STR;
    default: return TRACE_COL_U64;
    }
}

/* ---- The one table of record kinds ---------------------------------------
 *
 * X(SYMBOL, id, "name", FIELDS) where FIELDS is a sequence of
 * F(TYPE, member, "field name", SINCE): the event's fields in encoding order,
 * each stored in `member` of trace_event; SINCE is the first major version
 * whose files have the field (a file of an older version has none there,
 * and the member stays 0: trace_field_in). Event kinds (ids 1..31) live in
 * event chunks; dictionary kinds (ids 32..63) live in dictionary chunks and
 * are listed in TRACE_DICT_KINDS with their own row encoding (FORMAT.md §4.2).
 */
#define TRACE_EVENT_KINDS(X, F) \
    X(ALLOC,       1, "alloc",       F(ADDR_NEW, addr, "ptr", 1) F(SIZE, size, "size", 1) F(STACK, stack, "stack", 1)) \
    X(FREE,        2, "free",        F(ADDR_OLD, addr, "ptr", 1)) \
    X(REALLOC,     3, "realloc",     F(ADDR_OLD, addr, "old", 1) F(ADDR_NEW, addr2, "new", 1) F(SIZE, size, "size", 1) F(STACK, stack, "stack", 1)) \
    X(RES_OPEN,    4, "res_open",    F(STR, str, "kind", 1) F(U64, value, "handle", 1) F(SIZE, size, "size", 1) F(STACK, stack, "stack", 1)) \
    X(RES_CLOSE,   5, "res_close",   F(STR, str, "kind", 1) F(U64, value, "handle", 1) F(STACK, stack, "stack", 3)) \
    X(GC_BEGIN,    6, "gc_begin",    F(STR, str, "reason", 1)) \
    X(GC_END,      7, "gc_end",      F(SIZE, size, "heap_after", 1)) \
    X(MARK,        8, "mark",        F(STR, str, "label", 1)) \
    X(SPAN_BEGIN,  9, "span_begin",  F(STR, str, "label", 1)) \
    X(SPAN_END,   10, "span_end",    F(STR, str, "label", 1)) \
    X(THREAD_NAME,11, "thread_name", F(STR, str, "name", 1)) \
    X(LOST,       12, "lost",        F(U64, value, "count", 1))

#define TRACE_DICT_KINDS(X) \
    X(STRING_DEF, 32, "string") \
    X(STACK_DEF,  33, "stack")  \
    X(MODULE_DEF, 34, "module")

typedef enum trace_kind {
    TRACE_KIND_NONE = 0,
#define TRACE_K_ENUM(sym, id, name, ...) TRACE_##sym = id,
#define TRACE_K_NOFIELD(...)
    TRACE_EVENT_KINDS(TRACE_K_ENUM, TRACE_K_NOFIELD)
    TRACE_DICT_KINDS(TRACE_K_ENUM)
#undef TRACE_K_ENUM
#undef TRACE_K_NOFIELD
    TRACE_KIND_MAX = 64
} trace_kind;

#define TRACE_EVENT_KIND_LIMIT 32   /* event kinds are 1..31 */

/* A decoded record. Which members are meaningful depends on the kind (see the
 * table above and FORMAT.md); the rest are zero. Pointers point into the
 * reader's buffers and stay valid until the next call on the same chunk. */
typedef struct trace_event {
    uint32_t kind;     /* trace_kind */
    uint32_t thread;   /* OS thread id of the chunk */
    uint64_t ts;       /* nanoseconds on the file's clock */
    uint64_t addr;     /* ALLOC/FREE ptr, REALLOC old; MODULE_DEF bias */
    uint64_t addr2;    /* REALLOC new; MODULE_DEF start */
    uint64_t size;     /* sizes; GC_END heap after; MODULE_DEF end */
    uint64_t value;    /* resource handle, LOST count; dictionary definitions: the id */
    uint64_t stack;    /* stack id, 0 = none */
    uint64_t str;      /* string id, 0 = none */
    const void *data;  /* STRING_DEF bytes, MODULE_DEF path (not NUL-terminated) */
    uint32_t data_len;
    uint32_t depth;    /* STACK_DEF: number of frames */
    const void *data2; /* MODULE_DEF build id */
    uint32_t data2_len;
    const uint64_t *frames; /* STACK_DEF: return addresses, innermost first */
} trace_event;

typedef struct trace_field_info {
    trace_field_type type;
    uint16_t offset;   /* offsetof(trace_event, member) */
    const char *name;
    uint16_t since;    /* the first major version with the field */
} trace_field_info;

/* Whether files of major version `major` have field f: the one rule of the
 * fields a version has, for decoders and listings. */
static inline int trace_field_in(const trace_field_info *f, unsigned major) { return f->since <= major; }

typedef struct trace_kind_info {
    const char *name;               /* NULL for unused ids */
    const trace_field_info *fields; /* terminated by type NONE; NULL for dict kinds */
    uint8_t nfields;
} trace_kind_info;

/* Table lookup; NULL for ids that are not defined. */
const trace_kind_info *trace_kind_get(uint32_t kind);
const char *trace_kind_name(uint32_t kind);   /* "?" for unknown kinds */

/* ---- Status codes -------------------------------------------------------- */

#define TRACE_STATUS_LIST(S) \
    S(OK,              "ok") \
    S(END,             "end of data") \
    S(ERR_IO,          "I/O error") \
    S(ERR_NOMEM,       "out of memory") \
    S(ERR_NOT_TRACE,   "not a Leakscope trace (bad magic)") \
    S(ERR_VERSION,     "unsupported format version") \
    S(ERR_TRUNCATED,   "truncated") \
    S(ERR_CHECKSUM,    "checksum mismatch") \
    S(ERR_CORRUPT,     "corrupt data") \
    S(ERR_LIMIT,       "declared size exceeds limits") \
    S(ERR_UNKNOWN_KIND,"unknown record kind") \
    S(ERR_DECOMPRESS,  "lz4 decompression failed") \
    S(ERR_ARGS,        "invalid argument")

typedef enum trace_status {
#define TRACE_S_ENUM(sym, text) TRACE_##sym,
    TRACE_STATUS_LIST(TRACE_S_ENUM)
#undef TRACE_S_ENUM
    TRACE_STATUS_COUNT
} trace_status;

/* A human-readable, static description of a status code. Never NULL. */
const char *trace_strerror(trace_status st);

/* ---- File header ----------------------------------------------------------- */

typedef struct trace_file_info {
    uint16_t version_major, version_minor;
    uint32_t flags;
    uint32_t pid;
    uint32_t time_unit_ns;   /* timestamps in the file count in these units; 1 for now */
    uint64_t start_ts;       /* monotonic clock at trace_begin, in ns */
    uint64_t start_realtime_ns; /* CLOCK_REALTIME at trace_begin */
    uint32_t clock_id;       /* enum trace_clock */
    uint32_t pointer_size;
    uint32_t stack_depth;    /* configured maximum frames per stack, 0 = stacks off */
    char program[TRACE_PROGRAM_MAX + 1]; /* NUL-terminated */
} trace_file_info;

/* ---- Heap snapshots (FORMAT.md §4.4) --------------------------------------- */

#define TRACE_HEAP_LABEL_MAX   256u
#define TRACE_HEAP_RANGES_MAX  65536u
#define TRACE_HEAP_BLOCKS_MAX  (1u << 22)
#define TRACE_HEAP_ROOTS_MAX   (1u << 23)
#define TRACE_HEAP_EDGES_MAX   (1u << 23)

/* flags */
#define TRACE_HEAP_BLOCKS_INCOMPLETE 1u  /* live blocks are missing: a block may be held by one not listed */
#define TRACE_HEAP_REFS_INCOMPLETE   2u  /* the scan stopped adding roots or edges */

/* What a range of roots is. */
enum trace_heap_range_kind {
    TRACE_ROOT_MODULE = 1,  /* a module's writable segment (globals, .bss) */
    TRACE_ROOT_STACK  = 2,  /* a thread's stack */
    TRACE_ROOT_TLS    = 3,  /* a thread's static thread-local storage */
    TRACE_ROOT_MAPPED = 4,  /* anonymous memory the program mapped itself (not a block) */
};

typedef struct trace_heap_range {
    uint32_t kind;          /* enum trace_heap_range_kind */
    uint32_t thread;        /* STACK, TLS: OS thread id; MODULE: 0 */
    uint64_t bias;          /* MODULE: the module's load bias (its dictionary record's); else 0 */
    uint64_t start, size;   /* the bytes scanned: [start, start + size), start a multiple of 8 */
} trace_heap_range;

/* A word of a range whose value points into a block. */
typedef struct trace_heap_root {
    uint32_t kind;          /* its range's kind */
    uint32_t range;         /* index into ranges */
    uint32_t module_or_thread; /* MODULE: the range index again (its bias names the module); MAPPED: the
                                  range index; else the thread */
    uint32_t to;            /* the block it points into */
    uint64_t offset_or_address; /* MODULE: the word's address minus the module's bias; else its address */
    uint64_t address;       /* the word's address */
    uint64_t value;         /* the word: addr[to] <= value < addr[to] + size[to] */
} trace_heap_root;

/* A word of block `from` whose value points into block `to`. */
typedef struct trace_heap_edge {
    uint32_t from;          /* block index */
    uint32_t word;          /* word index in the block: at align8(addr[from]) + 8 * word */
    uint32_t to;            /* block index */
    uint64_t value;         /* addr[to] + offset; == addr[to]: a start pointer, else interior */
} trace_heap_edge;

/* A decoded heap snapshot (trace_heap_snapshot_load, trace-reader.h), or
 * one to write (trace_writer_add_heap_snapshot, trace-writer.h). Blocks are
 * sorted by address and do not overlap; roots are in range then word
 * order, edges in block then word order. */
typedef struct trace_heap_graph {
    uint64_t ts;            /* ns on the file's clock */
    uint32_t thread;        /* the thread that asked for it, 0 none */
    uint32_t flags;         /* TRACE_HEAP_* */
    char label[TRACE_HEAP_LABEL_MAX + 1]; /* NUL-terminated; untrusted text (may hold any byte) */
    uint32_t label_len;
    uint32_t nblocks, nranges, nroots, nedges;
    uint64_t unreadable;    /* bytes of blocks and ranges that could not be read */
    uint64_t *addr, *size;  /* nblocks each */
    trace_heap_range *ranges;
    trace_heap_root *roots;
    trace_heap_edge *edges;
} trace_heap_graph;

/* Frees a snapshot the reader made (its arrays, then itself). NULL ok. */
void trace_heap_snapshot_free(trace_heap_graph *s);

/* The one rule of what a word's value points into (FORMAT.md §4.4): inside
 * [addr, addr + size), or at addr for a block of size 0. */
static inline int trace_heap_points_into(uint64_t addr, uint64_t size, uint64_t value)
{
    return size ? value - addr < size : value == addr;
}

/* The block of a snapshot that `value` points into, by binary search over
 * the sorted blocks; UINT32_MAX when none. */
uint32_t trace_heap_find(const uint64_t *addr, const uint64_t *size, uint32_t nblocks, uint64_t value);

/* The address of word 0 of a block (its first aligned 8-byte word), and how
 * many aligned words it holds. */
static inline uint64_t trace_heap_word0(uint64_t addr) { return (addr + 7) & ~(uint64_t)7; }
static inline uint64_t trace_heap_words(uint64_t addr, uint64_t size)
{
    uint64_t w0 = trace_heap_word0(addr), end = addr + size;
    return w0 < addr || end < w0 ? 0 : (end - w0) / 8;
}

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32) continuing from `crc`; start with 0. */
uint32_t trace_crc32(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif

/* cli-pprof.c — `leakscope convert --to pprof`: the heap of a trace as a
 * gzip'd profile.proto, the format `go tool pprof` reads (and Pyroscope and
 * Parca with it).
 *
 * The profile: Go's heap-profile sample types in Go's order, alloc_objects
 * (count), alloc_space (bytes), inuse_objects (count), inuse_space (bytes),
 * where "inuse" is what is still live at the end of the trace, and
 * inuse_space the default, as in Go's heap profiles. One Sample per call
 * stack that allocated, with what ls_analysis.stack_use counted there, its
 * location ids innermost first. A Location is one return address of the
 * recorded stacks: its address that of the call instruction (the return
 * address - 1, as Go's runtime writes them; the symbols are looked up there
 * too), its Lines what sym_table_resolve makes of it, inlined frames first
 * and the function they were inlined into last, so that pprof shows inlined
 * functions. A Mapping per module the locations fall in (sym_table_module_index),
 * with its build id in lowercase hex and has_* set when a location there
 * resolved to a function, a file, a line (libdw then gives the inlined
 * frames too). time_nanos is the wall-clock time of trace_begin.
 *
 * Encoding: protobuf-c, from our profile.proto (C generated at build time),
 * rather than by hand: the schema lives in one file that protoc-c checks, and
 * the generated code gets the wire types, the packed repeated fields and the
 * length prefixes of nested messages right, which a hand encoder would have
 * to compute itself (each nested message's size before its bytes). What it
 * costs is small: one library, and a pointer array per repeated message
 * field. pack_to_buffer streams the bytes through a ProtobufCBuffer straight
 * into zlib (gzip: windowBits 31), so the encoded profile is never held
 * whole in memory.
 *
 * Strings: protobuf strings must be UTF-8 (strict proto3 readers refuse
 * others), and text from the trace (paths, symbol names) is untrusted: bytes
 * that are not UTF-8 (ls_utf8_len) become U+FFFD.
 *
 * SPDX-License-Identifier: MIT
 */
#define ZLIB_CONST /* next_in is const */

#include "cli.h"
#include "kmap.h"
#include "sites.h" /* ls_utf8_len */
#include "profile.pb-c.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_INLINE 16 /* frames one address resolves to, as the report shows them */

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

/* Go's heap profile: sample types in this order, inuse_space shown first. */
enum { ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE, NVALUES };
static const char *const value_names[NVALUES][2] = {
    { "alloc_objects", "count" }, { "alloc_space", "bytes" },
    { "inuse_objects", "count" }, { "inuse_space", "bytes" },
};

/* What the locations in one module resolved to. */
typedef struct module_use {
    bool used, functions, filenames, line_numbers;
} module_use;

typedef struct builder {
    const ls_analysis *a;
    sym_table *syms;   /* NULL: addresses only */
    bool nomem;

    /* The profile's tables grow in place; the *_cap say how far they may. */
    pb_profile p;
    size_t strings_cap, functions_cap, locations_cap, samples_cap;
    kmap string_ids;   /* (hash, length) -> index */
    kmap function_ids; /* (name, file) -> id */
    kmap location_ids; /* (return address, 0), or (0, 1) for "no stack" -> id */
    long *location_module; size_t location_module_cap; /* per location: its a->modules index, or -1 */
    module_use *modules; /* per a->modules entry */
} builder;

/* Room for `need` elements in *arr. */
static bool reserve(builder *b, void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = n <= SIZE_MAX / elem ? realloc(*arr, n * elem) : NULL;
    if (!p) {
        b->nomem = true;
        return false;
    }
    *arr = p;
    *cap = n;
    return true;
}

static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
    return h;
}

/* A copy of s with every byte that is not part of a UTF-8 character
 * replaced by U+FFFD. NULL on out of memory. */
static char *utf8_copy(const char *s)
{
    size_t len = strlen(s), out = 0;
    char *t = len < SIZE_MAX / 3 ? malloc(3 * len + 1) : NULL;
    if (!t)
        return NULL;
    for (size_t i = 0; i < len;) {
        size_t n = ls_utf8_len(s + i, len - i);
        if (n) {
            memcpy(t + out, s + i, n);
            out += n;
            i += n;
        } else {
            memcpy(t + out, "\xef\xbf\xbd", 3);
            out += 3;
            i++;
        }
    }
    t[out] = '\0';
    return t;
}

/* The index of s in the string table, added if new; 0 ("") on out of
 * memory (b->nomem says so). */
static int64_t string_id(builder *b, const char *s)
{
    if (!s || !*s)
        return 0;
    char *t = utf8_copy(s);
    if (!t || !reserve(b, (void **)&b->p.string_table, &b->strings_cap, b->p.n_string_table + 1,
                       sizeof *b->p.string_table)) {
        b->nomem = true;
        free(t);
        return 0;
    }
    size_t len = strlen(t);
    bool existed;
    kmap_entry *e = kmap_insert(&b->string_ids, hash_bytes(t, len), len, &existed);
    if (e && existed && !strcmp(b->p.string_table[e->v1], t)) {
        free(t);
        return (int64_t)e->v1;
    }
    /* New, or another string with the same hash (then it stays unindexed:
     * a string table may repeat itself). */
    if (e && !existed)
        e->v1 = b->p.n_string_table;
    b->p.string_table[b->p.n_string_table] = t;
    return (int64_t)b->p.n_string_table++;
}

static uint64_t function_id(builder *b, const sym_frame *fr)
{
    int64_t name = string_id(b, fr->function), file = string_id(b, fr->file);
    bool existed;
    kmap_entry *e = kmap_insert(&b->function_ids, (uint64_t)name, (uint64_t)file, &existed);
    if (!e) {
        b->nomem = true;
        return 0;
    }
    if (existed)
        return e->v1;
    pb_function *fn = malloc(sizeof *fn);
    if (!fn
        || !reserve(b, (void **)&b->p.function, &b->functions_cap, b->p.n_function + 1, sizeof *b->p.function)) {
        free(fn);
        kmap_remove(&b->function_ids, e);
        b->nomem = true;
        return 0;
    }
    perftools__profiles__function__init(fn);
    fn->id = b->p.n_function + 1;
    fn->name = name;
    fn->system_name = name; /* libdw's name is the one in the binary, demangled for C++ */
    fn->filename = file;
    b->p.function[b->p.n_function++] = fn;
    e->v1 = fn->id;
    return fn->id;
}

/* A new location with `n` lines (uninitialised), its id the next one. */
static pb_location *location_new(builder *b, size_t n, long module)
{
    if (!reserve(b, (void **)&b->p.location, &b->locations_cap, b->p.n_location + 1, sizeof *b->p.location)
        || !reserve(b, (void **)&b->location_module, &b->location_module_cap, b->p.n_location + 1,
                    sizeof *b->location_module))
        return NULL;
    pb_location *loc = malloc(sizeof *loc + n * (sizeof(pb_line *) + sizeof(pb_line)));
    if (!loc) {
        b->nomem = true;
        return NULL;
    }
    perftools__profiles__location__init(loc);
    loc->id = b->p.n_location + 1;
    loc->line = (pb_line **)(loc + 1);
    pb_line *lines = (pb_line *)(loc->line + n);
    for (size_t i = 0; i < n; i++) {
        perftools__profiles__line__init(&lines[i]);
        loc->line[i] = &lines[i];
    }
    b->location_module[b->p.n_location] = module;
    b->p.location[b->p.n_location++] = loc;
    return loc;
}

/* The location of return address `ra`, resolved and added on first use. */
static uint64_t location_id(builder *b, uint64_t ra)
{
    bool existed;
    kmap_entry *e = kmap_insert(&b->location_ids, ra, 0, &existed);
    if (!e) {
        b->nomem = true;
        return 0;
    }
    if (existed)
        return e->v1;
    sym_frame fr[MAX_INLINE];
    int n = b->syms ? sym_table_resolve(b->syms, ra, true, fr, MAX_INLINE) : 0;
    if (n == 1 && !strcmp(fr[0].function, "??") && !fr[0].file)
        n = 0; /* nothing known: no line, pprof shows the address */
    long mi = b->syms ? sym_table_module_index(b->syms, ra, true) : -1;
    if (mi >= (long)b->a->nmodules)
        mi = -1;
    pb_location *loc = location_new(b, (size_t)n, mi);
    if (!loc) {
        kmap_remove(&b->location_ids, e);
        return 0;
    }
    loc->address = ra ? ra - 1 : 0;
    loc->n_line = (size_t)n;
    module_use *m = mi >= 0 ? &b->modules[mi] : &(module_use){ 0 };
    m->used = true;
    for (int k = 0; k < n; k++) {
        loc->line[k]->function_id = function_id(b, &fr[k]);
        loc->line[k]->line = fr[k].line;
        m->functions |= strcmp(fr[k].function, "??") != 0;
        m->filenames |= fr[k].file != NULL;
        m->line_numbers |= fr[k].line > 0;
    }
    e->v1 = loc->id; /* still valid: nothing else went into location_ids */
    return loc->id;
}

/* The one location of the allocations that have no call stack. */
static uint64_t no_stack_location(builder *b)
{
    bool existed;
    kmap_entry *e = kmap_insert(&b->location_ids, 0, 1, &existed);
    if (!e) {
        b->nomem = true;
        return 0;
    }
    if (existed)
        return e->v1;
    pb_location *loc = location_new(b, 1, -1);
    if (!loc) {
        kmap_remove(&b->location_ids, e);
        return 0;
    }
    loc->n_line = 1;
    loc->line[0]->function_id = function_id(b, &(sym_frame){ .function = "(no call stack recorded)" });
    e->v1 = loc->id;
    return loc->id;
}

static void add_sample(builder *b, uint32_t stack_id, const ls_stack_use *use)
{
    ls_stack st = ls_analysis_stack(b->a, stack_id);
    size_t n = st.depth ? st.depth : 1;
    if (!reserve(b, (void **)&b->p.sample, &b->samples_cap, b->p.n_sample + 1, sizeof *b->p.sample))
        return;
    pb_sample *s = malloc(sizeof *s + n * sizeof(uint64_t) + NVALUES * sizeof(int64_t));
    if (!s) {
        b->nomem = true;
        return;
    }
    perftools__profiles__sample__init(s);
    s->location_id = (uint64_t *)(s + 1);
    s->value = (int64_t *)(s->location_id + n);
    s->n_location_id = n;
    s->n_value = NVALUES;
    if (!st.depth)
        s->location_id[0] = no_stack_location(b);
    for (uint32_t i = 0; i < st.depth; i++)
        s->location_id[i] = location_id(b, st.frames[i]);
    /* int64 on the wire: a count past INT64_MAX would need a trace of exabytes */
    s->value[ALLOC_OBJECTS] = (int64_t)use->allocations;
    s->value[ALLOC_SPACE] = (int64_t)use->allocated_bytes;
    s->value[INUSE_OBJECTS] = (int64_t)use->live_blocks;
    s->value[INUSE_SPACE] = (int64_t)use->live_bytes;
    b->p.sample[b->p.n_sample++] = s;
}

static int64_t build_id_string(builder *b, const ls_module *m)
{
    char hex[2 * TRACE_BUILD_ID_MAX + 1];
    uint32_t len = m->build_id_len < TRACE_BUILD_ID_MAX ? m->build_id_len : TRACE_BUILD_ID_MAX;
    for (uint32_t i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", m->build_id[i]);
    hex[2 * len] = '\0';
    return string_id(b, hex);
}

/* A mapping per module that a location fell in, in the trace's order of
 * modules (the program first), and each location pointed at its own. */
static void add_mappings(builder *b)
{
    const ls_analysis *a = b->a;
    uint64_t *ids = calloc(a->nmodules ? a->nmodules : 1, sizeof *ids);
    b->p.mapping = calloc(a->nmodules ? a->nmodules : 1, sizeof *b->p.mapping);
    if (!ids || !b->p.mapping) {
        free(ids);
        b->nomem = true;
        return;
    }
    for (uint32_t i = 0; i < a->nmodules; i++) {
        const module_use *u = &b->modules[i];
        const ls_module *m = &a->modules[i];
        if (!u->used)
            continue;
        pb_mapping *map = malloc(sizeof *map);
        if (!map) {
            b->nomem = true;
            break;
        }
        perftools__profiles__mapping__init(map);
        map->id = b->p.n_mapping + 1;
        map->memory_start = m->start;
        map->memory_limit = m->end;
        /* [start, end) is where the module's PT_LOAD segments were mapped;
         * the first one maps the start of the file in every ELF file linkers
         * make, so memory_start is file offset 0. */
        map->file_offset = 0;
        map->filename = string_id(b, m->path);
        map->build_id = build_id_string(b, m);
        map->has_functions = u->functions;
        map->has_filenames = u->filenames;
        map->has_line_numbers = u->line_numbers;
        map->has_inline_frames = u->line_numbers; /* DWARF read: libdw gave the inlined frames */
        ids[i] = map->id;
        b->p.mapping[b->p.n_mapping++] = map;
    }
    for (size_t i = 0; i < b->p.n_location; i++)
        if (b->location_module[i] >= 0)
            b->p.location[i]->mapping_id = ids[b->location_module[i]];
    free(ids);
}

/* Notes a reader of the profile should see: what was recorded, and what
 * of it is missing. */
static void add_comments(builder *b)
{
    const ls_analysis *a = b->a;
    char text[3][sizeof a->info.program + 128];
    size_t n = 0;
    snprintf(text[n++], sizeof text[0], "leakscope: %s (pid %u)", a->info.program[0] ? a->info.program : "?",
             a->info.pid);
    if (a->lost_events)
        snprintf(text[n++], sizeof text[0], "leakscope: %llu events lost while recording",
                 (unsigned long long)a->lost_events);
    if (a->truncated)
        snprintf(text[n++], sizeof text[0], "leakscope: the trace stops inside a chunk; read up to byte %llu",
                 (unsigned long long)a->truncated_at);
    b->p.comment = malloc(n * sizeof *b->p.comment);
    if (!b->p.comment) {
        b->nomem = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        b->p.comment[b->p.n_comment++] = string_id(b, text[i]);
}

/* Frees each of the n blocks in arr, then arr. */
static void free_each(void *arr, size_t n)
{
    void **p = arr;
    for (size_t i = 0; i < n; i++)
        free(p[i]);
    free(p);
}

static void builder_free(builder *b)
{
    free_each(b->p.string_table, b->p.n_string_table);
    free_each(b->p.function, b->p.n_function);
    free_each(b->p.location, b->p.n_location);
    free_each(b->p.sample, b->p.n_sample);
    free_each(b->p.mapping, b->p.n_mapping);
    free(b->location_module);
    free(b->modules);
    free(b->p.comment);
    kmap_free(&b->string_ids);
    kmap_free(&b->function_ids);
    kmap_free(&b->location_ids);
}

/* ---- gzip'd output ---- */

typedef struct gz_sink {
    ProtobufCBuffer base; /* first: protobuf-c calls base.append */
    z_stream z;
    FILE *f;
    bool failed;
    unsigned char out[1 << 16];
} gz_sink;

/* Runs deflate on what is in z.next_in and writes out what it makes; with
 * Z_FINISH until the stream's end. */
static void gz_deflate(gz_sink *s, int flush)
{
    for (;;) {
        s->z.next_out = s->out;
        s->z.avail_out = sizeof s->out;
        int rc = deflate(&s->z, flush);
        size_t have = sizeof s->out - s->z.avail_out;
        if (rc == Z_STREAM_ERROR || (have && fwrite(s->out, 1, have, s->f) != have)) {
            s->failed = true;
            return;
        }
        if (flush == Z_FINISH ? rc == Z_STREAM_END : s->z.avail_out != 0)
            return;
    }
}

static void gz_append(ProtobufCBuffer *buffer, size_t len, const uint8_t *data)
{
    gz_sink *s = (gz_sink *)buffer;
    while (len && !s->failed) {
        uInt n = len > UINT_MAX ? UINT_MAX : (uInt)len;
        s->z.next_in = data;
        s->z.avail_in = n;
        gz_deflate(s, Z_NO_FLUSH);
        data += n;
        len -= n;
    }
}

/* Packs the profile through zlib into f. False on a write error (errno
 * set) or out of memory. */
static bool write_gzip(const pb_profile *p, FILE *f)
{
    gz_sink *s = calloc(1, sizeof *s);
    if (!s) {
        errno = ENOMEM;
        return false;
    }
    s->base.append = gz_append;
    s->f = f;
    /* windowBits 15 + 16: a gzip header and trailer around the deflate stream */
    if (deflateInit2(&s->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(s);
        errno = ENOMEM;
        return false;
    }
    perftools__profiles__profile__pack_to_buffer(p, &s->base);
    if (!s->failed)
        gz_deflate(s, Z_FINISH);
    bool ok = !s->failed && !ferror(f);
    deflateEnd(&s->z);
    free(s);
    if (!ok && !errno)
        errno = EIO;
    return ok;
}

int cli_convert_pprof(const char *file, FILE *out)
{
    ls_analysis *a = cli_load(file);
    if (!a)
        return CLI_BAD_INPUT;
    cli_warn_damaged(file, a);
    builder b = { .a = a, .syms = ls_analysis_symbols(a) };
    perftools__profiles__profile__init(&b.p);
    b.modules = calloc(a->nmodules ? a->nmodules : 1, sizeof *b.modules);
    if (b.modules && reserve(&b, (void **)&b.p.string_table, &b.strings_cap, 1, sizeof *b.p.string_table)
        && (b.p.string_table[0] = strdup("")))
        b.p.n_string_table = 1; /* "" is index 0 */
    else
        b.nomem = true;

    pb_value_type types[NVALUES], *type_ptrs[NVALUES], period_type;
    for (int i = 0; i < NVALUES && !b.nomem; i++) {
        perftools__profiles__value_type__init(&types[i]);
        types[i].type = string_id(&b, value_names[i][0]);
        types[i].unit = string_id(&b, value_names[i][1]);
        type_ptrs[i] = &types[i];
    }
    perftools__profiles__value_type__init(&period_type);
    period_type.type = string_id(&b, "space");
    period_type.unit = string_id(&b, "bytes");
    for (uint32_t s = 0; s < a->nstacks && a->stack_use && !b.nomem; s++)
        if (a->stack_use[s].allocations || a->stack_use[s].live_blocks)
            add_sample(&b, s, &a->stack_use[s]);
    if (!b.nomem)
        add_mappings(&b);
    if (!b.nomem)
        add_comments(&b);

    int rc = CLI_OK;
    if (b.nomem) {
        errno = ENOMEM;
        rc = CLI_FAIL;
    } else {
        b.p.n_sample_type = NVALUES;
        b.p.sample_type = type_ptrs;
        b.p.default_sample_type = types[INUSE_SPACE].type;
        b.p.time_nanos = (int64_t)a->info.start_realtime_ns;
        b.p.duration_nanos = (int64_t)ls_analysis_duration(a);
        b.p.period_type = &period_type;
        b.p.period = 1; /* every allocation is in the trace: none was sampled */
        errno = 0;
        if (!write_gzip(&b.p, out))
            rc = CLI_FAIL; /* the caller names the output */
    }
    builder_free(&b);
    sym_table_free(b.syms);
    ls_analysis_free(a);
    return rc;
}

/* viewer/model/symbols.c — symbolization of recorded addresses with elfutils libdwfl.
 *
 * Layout of the table:
 *  - modules: every sym_table_add_module call, in order (a later index wins on overlap);
 *  - files: one per distinct (path, bias); each is reported to the single Dwfl at most once,
 *    lazily, so duplicate registrations share the opened ELF / DWARF;
 *  - segments: the module ranges flattened into sorted, disjoint pieces, plus a short list
 *    of modules added since, scanned first;
 *  - cache: (pc, representative module) -> frames. Keying on the module rather than only on
 *    the pc means a module added later over the same range simply misses the old entries;
 *  - per file, built on first need: an index of each CU's functions (instead of
 *    dwarf_getscopes, see there), a table of CU ranges (for files without .debug_aranges)
 *    and a sorted table of function symbols (instead of dwfl_module_addrinfo);
 *  - an arena holding every string and frame array handed out, freed only with the table.
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */

#include "symbols.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NO_MODULE UINT32_MAX
/* Cap on the frames kept for one address; deeper inline chains keep their innermost part
 * plus the real function. */
#define MAX_FRAMES 64
#define CHUNK_SIZE ((size_t)64 * 1024)

struct chunk {
    struct chunk *next;
    size_t used, size;
};
#define CHUNK_HDR ((sizeof(struct chunk) + 15) & ~(size_t)15)

struct module {
    const char *path;         /* interned */
    uint64_t bias, start, end;
    const uint8_t *build_id;  /* arena copy, NULL if none recorded */
    size_t build_id_len;
    uint32_t file;            /* index into files */
    uint32_t canon;           /* representative: first module with the same file and build id */
    uint32_t next_canon;      /* next representative of the same file (only on representatives) */
    int8_t usable;            /* representatives: 0 not checked yet, 1 usable, -1 not */
};

struct cu_range {
    Dwarf_Addr low, high;     /* [low, high), DWARF addresses */
    Dwarf_Die cudie;
};

struct sym_entry {
    GElf_Addr start, size;    /* module addresses (bias applied) */
    const char *name;         /* owned by libelf */
    int rank;                 /* binding: global 3, weak 2, local 1 */
};

struct file {
    const char *path;         /* interned */
    uint64_t bias;
    Dwfl_Module *dwfl_mod;    /* owned by the Dwfl */
    const uint8_t *build_id;  /* of the file on disk, owned by the Dwfl */
    size_t build_id_len;
    uint32_t first_canon;
    int8_t state;             /* 0 not opened yet, 1 open, -1 unusable */
    int8_t cu_ranges_state;   /* 0 not built yet, 1 built, -1 no DWARF or out of memory */
    struct cu_range *cu_ranges; /* arena, sorted by low; see module_cu() */
    size_t n_cu_ranges;
    Dwarf_Addr dwarf_bias;
    int8_t syms_state;        /* 0 not built yet, 1 built, -1 out of memory */
    struct sym_entry *syms;   /* arena, see symtab_name() */
    size_t nsyms;
    int8_t dsyms_state;       /* the same for data (object) symbols: sym_table_resolve_data */
    struct sym_entry *dsyms;
    size_t ndsyms;
    int8_t vars_state;        /* 0 not built yet, 1 built, -1 no DWARF or out of memory */
    struct var_decl *vars;    /* arena, sorted by address: where each global variable is defined */
    size_t nvars;
};

struct var_decl {
    uint64_t addr;            /* module address (bias applied) */
    const char *file;         /* interned */
    int line;
};

struct segment {
    uint64_t start, end;
    uint32_t module;
};

struct cframe {
    const char *function, *file;
    int line;
    bool inlined;
};

struct centry {
    uint64_t pc;
    uint32_t module;          /* representative module, NO_MODULE for none */
    uint32_t nframes;
    const struct cframe *frames; /* NULL marks an empty slot */
};

struct cu_index;

struct cu_slot {
    Dwarf_Off off;            /* CU DIE offset in the file's DWARF */
    uint32_t file;
    struct cu_index *index;   /* NULL marks an empty slot */
};

struct sym_table {
    Dwfl *dwfl;
    struct chunk *chunks;

    const char **strings;     /* interned strings, open addressing */
    size_t strings_cap, strings_count;

    struct module *mods;
    size_t nmods, mods_cap;

    struct file *files;
    size_t nfiles, files_cap;
    uint32_t *file_slots;     /* (path, bias) -> file index + 1, open addressing */
    size_t file_slots_cap;

    struct segment *segs;     /* modules [0, segs_upto) flattened */
    size_t nsegs, segs_upto;

    struct centry *cache;
    size_t cache_cap, cache_count;

    struct cu_slot *cus;      /* (file, CU) -> function index, open addressing */
    size_t cu_cap, cu_count;
};

/* ---- small helpers ---------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_string(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Grow *arr (of elem bytes each) so that it holds at least need elements. */
static bool reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return false;
        ncap *= 2;
    }
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

/* Bump allocator: everything handed to callers lives until sym_table_free. */
static void *arena_alloc(sym_table *t, size_t n)
{
    if (n > SIZE_MAX / 4)
        return NULL;
    n = n ? (n + 15) & ~(size_t)15 : 16;
    struct chunk *c = t->chunks;
    if (c && c->size - c->used >= n) {
        void *p = (char *)c + CHUNK_HDR + c->used;
        c->used += n;
        return p;
    }
    size_t size = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;
    struct chunk *nc = malloc(CHUNK_HDR + size);
    if (!nc)
        return NULL;
    nc->size = size;
    nc->used = n;
    if (c && size != CHUNK_SIZE) {
        /* A dedicated chunk for a big block: keep filling the current one. */
        nc->next = c->next;
        c->next = nc;
    } else {
        nc->next = c;
        t->chunks = nc;
    }
    return (char *)nc + CHUNK_HDR;
}

static bool strings_grow(sym_table *t)
{
    size_t ncap = t->strings_cap ? t->strings_cap * 2 : 256;
    const char **slots = calloc(ncap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < t->strings_cap; i++) {
        const char *s = t->strings[i];
        if (!s)
            continue;
        size_t j = hash_string(s) & (ncap - 1);
        while (slots[j])
            j = (j + 1) & (ncap - 1);
        slots[j] = s;
    }
    free(t->strings);
    t->strings = slots;
    t->strings_cap = ncap;
    return true;
}

/* Return a copy of s owned by the table, shared by all equal strings (function and file names
 * repeat a lot). NULL for s NULL or on out of memory. */
static const char *intern(sym_table *t, const char *s)
{
    if (!s)
        return NULL;
    size_t len = strlen(s);
    if ((t->strings_count + 1) * 2 > t->strings_cap && !strings_grow(t)) {
        char *copy = arena_alloc(t, len + 1); /* still correct, just not shared */
        if (copy)
            memcpy(copy, s, len + 1);
        return copy;
    }
    size_t mask = t->strings_cap - 1;
    size_t i = hash_string(s) & mask;
    for (; t->strings[i]; i = (i + 1) & mask)
        if (strcmp(t->strings[i], s) == 0)
            return t->strings[i];
    char *copy = arena_alloc(t, len + 1);
    if (!copy)
        return NULL;
    memcpy(copy, s, len + 1);
    t->strings[i] = copy;
    t->strings_count++;
    return copy;
}

/* ---- demangling ------------------------------------------------------------------------- */

typedef char *(*cxa_demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);
static cxa_demangle_fn cxa_demangle;
static pthread_once_t demangle_once = PTHREAD_ONCE_INIT;

/* The viewer is C and must not link libstdc++, so the demangler is looked up at run time: in
 * the process if something already brought libstdc++ in, else by loading libstdc++.so.6.
 * The handle is never closed: unloading libstdc++ again would orphan its emergency EH pool
 * (LeakSanitizer reports it) and the demangler is needed for the rest of the process. */
static void find_demangler(void)
{
    void *sym = dlsym(RTLD_DEFAULT, "__cxa_demangle");
    if (!sym) {
        void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
        if (h)
            sym = dlsym(h, "__cxa_demangle");
    }
    if (!sym)
        (void)dlerror(); /* drop the pending error message */
    memcpy(&cxa_demangle, &sym, sizeof cxa_demangle); /* object -> function pointer, no cast warning */
}

/* Interned, demangled if it is an Itanium C++ name and a demangler exists; NULL on OOM. */
static const char *function_name(sym_table *t, const char *name)
{
    if (strncmp(name, "_Z", 2) == 0) {
        pthread_once(&demangle_once, find_demangler);
        if (cxa_demangle) {
            int status = -1;
            char *d = cxa_demangle(name, NULL, NULL, &status);
            if (d && status == 0) {
                const char *r = intern(t, d);
                free(d);
                return r;
            }
            free(d);
        }
    }
    return intern(t, name);
}

/* ---- table lifetime and modules --------------------------------------------------------- */

/* NULL: elfutils' default ":.debug:/usr/lib/debug" (next to the file, and the global debug
 * directory including .build-id/). */
static char *debuginfo_path = NULL;

static const Dwfl_Callbacks dwfl_callbacks = {
    .find_elf = dwfl_build_id_find_elf, /* not reached: dwfl_report_elf hands the ELF in */
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

sym_table *sym_table_new(void)
{
    sym_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->dwfl = dwfl_begin(&dwfl_callbacks);
    if (!t->dwfl) {
        free(t);
        return NULL;
    }
    return t;
}

void sym_table_free(sym_table *t)
{
    if (!t)
        return;
    dwfl_end(t->dwfl); /* closes files, frees DWARF; NULL ok */
    for (struct chunk *c = t->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(t->strings);
    free(t->mods);
    free(t->files);
    free(t->file_slots);
    free(t->segs);
    free(t->cache);
    free(t->cus);
    free(t);
}

static size_t file_slot_hash(const char *path, uint64_t bias)
{
    /* path is interned, so its address identifies the string */
    return (size_t)mix64((uint64_t)(uintptr_t)path ^ mix64(bias));
}

static bool file_slots_grow(sym_table *t)
{
    size_t ncap = t->file_slots_cap ? t->file_slots_cap * 2 : 64;
    uint32_t *slots = calloc(ncap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < t->file_slots_cap; i++) {
        uint32_t v = t->file_slots[i];
        if (!v)
            continue;
        const struct file *f = &t->files[v - 1];
        size_t j = file_slot_hash(f->path, f->bias) & (ncap - 1);
        while (slots[j])
            j = (j + 1) & (ncap - 1);
        slots[j] = v;
    }
    free(t->file_slots);
    t->file_slots = slots;
    t->file_slots_cap = ncap;
    return true;
}

/* Index of the file entry for (path, bias), created if new; NO_MODULE on OOM. */
static uint32_t file_get(sym_table *t, const char *path, uint64_t bias)
{
    if (t->nfiles >= NO_MODULE - 1)
        return NO_MODULE;
    if ((t->nfiles + 1) * 2 > t->file_slots_cap && !file_slots_grow(t))
        return NO_MODULE;
    size_t mask = t->file_slots_cap - 1;
    size_t i = file_slot_hash(path, bias) & mask;
    for (; t->file_slots[i]; i = (i + 1) & mask) {
        const struct file *f = &t->files[t->file_slots[i] - 1];
        if (f->path == path && f->bias == bias)
            return t->file_slots[i] - 1;
    }
    if (!reserve((void **)&t->files, &t->files_cap, t->nfiles + 1, sizeof *t->files))
        return NO_MODULE;
    uint32_t fi = (uint32_t)t->nfiles++;
    t->files[fi] = (struct file){ .path = path, .bias = bias, .first_canon = NO_MODULE };
    t->file_slots[i] = fi + 1;
    return fi;
}

int sym_table_add_module(sym_table *t, const char *path, uint64_t bias, uint64_t start, uint64_t end,
                         const uint8_t *build_id, size_t build_id_len)
{
    if (!t || !path)
        return -1;
    if (!build_id)
        build_id_len = 0;
    if (t->nmods >= NO_MODULE - 1
        || !reserve((void **)&t->mods, &t->mods_cap, t->nmods + 1, sizeof *t->mods))
        return -1;
    const char *ipath = intern(t, path);
    if (!ipath)
        return -1;
    uint32_t fi = file_get(t, ipath, bias);
    if (fi == NO_MODULE)
        return -1;

    uint32_t mi = (uint32_t)t->nmods;
    struct module m = {
        .path = ipath, .bias = bias, .start = start, .end = end,
        .file = fi, .canon = NO_MODULE, .next_canon = NO_MODULE,
    };
    /* Same file and same recorded build id resolve identically: share one representative so
     * duplicates share cache entries and the build id check. */
    for (uint32_t c = t->files[fi].first_canon; c != NO_MODULE; c = t->mods[c].next_canon) {
        const struct module *r = &t->mods[c];
        if (r->build_id_len == build_id_len
            && (build_id_len == 0 || memcmp(r->build_id, build_id, build_id_len) == 0)) {
            m.canon = c;
            m.build_id = r->build_id;
            m.build_id_len = r->build_id_len;
            break;
        }
    }
    if (m.canon == NO_MODULE) {
        if (build_id_len) {
            uint8_t *copy = arena_alloc(t, build_id_len);
            if (!copy)
                return -1;
            memcpy(copy, build_id, build_id_len);
            m.build_id = copy;
            m.build_id_len = build_id_len;
        }
        m.canon = mi;
        m.next_canon = t->files[fi].first_canon;
        t->files[fi].first_canon = mi;
    }
    t->mods[mi] = m;
    t->nmods++;
    return 0;
}

/* ---- address -> module ------------------------------------------------------------------ */

struct bound {
    uint64_t start;
    uint32_t module;
};

static int cmp_bound(const void *a, const void *b)
{
    const struct bound *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void heap_push(uint32_t *heap, size_t *n, uint32_t v)
{
    size_t i = (*n)++;
    while (i > 0 && heap[(i - 1) / 2] < v) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = v;
}

static void heap_pop(uint32_t *heap, size_t *n)
{
    uint32_t v = heap[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && heap[c + 1] > heap[c])
            c++;
        if (heap[c] <= v)
            break;
        heap[i] = heap[c];
        i = c;
    }
    if (*n)
        heap[i] = v;
}

/* Modules added since the last flattening are scanned linearly (they are the newest, so they
 * win); past this many, the next lookup flattens again. Keeps interleaved adds and resolves
 * (dlopen/dlclose churn) from re-sorting everything on every add. */
#define PENDING_MAX 32

/* Flatten the module ranges into disjoint segments owned by the latest module covering them.
 * Sweep over the sorted range boundaries with a max-heap of module indexes (later = larger);
 * expired modules are dropped lazily when they surface. O(M log M). */
static bool rebuild_segments(sym_table *t)
{
    size_t cnt = 0;
    for (size_t i = 0; i < t->nmods; i++)
        cnt += t->mods[i].start < t->mods[i].end;

    struct bound *order = malloc((cnt ? cnt : 1) * sizeof *order);
    uint64_t *points = malloc((cnt ? 2 * cnt : 1) * sizeof *points);
    uint32_t *heap = malloc((cnt ? cnt : 1) * sizeof *heap);
    struct segment *segs = malloc((cnt ? 2 * cnt : 1) * sizeof *segs);
    if (!order || !points || !heap || !segs) {
        free(order);
        free(points);
        free(heap);
        free(segs);
        return false;
    }
    size_t k = 0, np = 0;
    for (size_t i = 0; i < t->nmods; i++) {
        const struct module *m = &t->mods[i];
        if (m->start >= m->end)
            continue;
        order[k++] = (struct bound){ m->start, (uint32_t)i };
        points[np++] = m->start;
        points[np++] = m->end;
    }
    qsort(order, cnt, sizeof *order, cmp_bound);
    qsort(points, np, sizeof *points, cmp_u64);

    size_t nsegs = 0, nheap = 0, next = 0;
    for (size_t p = 0; p + 1 < np; p++) {
        uint64_t lo = points[p], hi = points[p + 1];
        if (lo == hi)
            continue;
        while (next < cnt && order[next].start <= lo)
            heap_push(heap, &nheap, order[next++].module);
        while (nheap && t->mods[heap[0]].end <= lo)
            heap_pop(heap, &nheap);
        if (!nheap)
            continue;
        uint32_t owner = heap[0];
        if (nsegs && segs[nsegs - 1].end == lo && segs[nsegs - 1].module == owner)
            segs[nsegs - 1].end = hi;
        else
            segs[nsegs++] = (struct segment){ lo, hi, owner };
    }
    free(order);
    free(points);
    free(heap);
    free(t->segs);
    t->segs = segs;
    t->nsegs = nsegs;
    t->segs_upto = t->nmods;
    return true;
}

static uint32_t find_module(sym_table *t, uint64_t pc)
{
    if (t->nmods - t->segs_upto > PENDING_MAX)
        (void)rebuild_segments(t); /* out of memory: the old map stays valid, scan the rest */
    for (size_t i = t->nmods; i-- > t->segs_upto;)
        if (t->mods[i].start <= pc && pc < t->mods[i].end)
            return (uint32_t)i;
    size_t lo = 0, hi = t->nsegs; /* first segment with start > pc */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->segs[mid].start <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || pc >= t->segs[lo - 1].end)
        return NO_MODULE;
    return t->segs[lo - 1].module;
}

/* ---- opening files ---------------------------------------------------------------------- */

/* False for pseudo modules and anything that is not a regular file. Checking before
 * dwfl_report_elf also keeps its open() from blocking on a FIFO. */
static bool is_regular_file(const char *path)
{
    if (path[0] == '\0' || path[0] == '[')              /* "", "[vdso]", "[heap]" ... */
        return false;
    if (!strchr(path, '/') && strncmp(path, "linux-", 6) == 0) /* linux-vdso.so.1, linux-gate.so.1 */
        return false;
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void file_open(sym_table *t, uint32_t fi)
{
    struct file *f = &t->files[fi];
    f->state = -1;
    if (!is_regular_file(f->path))
        return;
    /* Dwfl reuses a module reported under the same name and range, and drops it on conflict;
     * a unique name per file entry keeps our Dwfl_Module pointers stable. */
    size_t len = strlen(f->path) + 16;
    char *name = malloc(len);
    if (!name)
        return;
    snprintf(name, len, "%s#%u", f->path, (unsigned)fi);
    dwfl_report_begin_add(t->dwfl);
    /* add_p_vaddr: addresses are bias + p_vaddr, as with dl_phdr_info. */
    Dwfl_Module *dm = dwfl_report_elf(t->dwfl, name, f->path, -1, f->bias, true);
    dwfl_report_end(t->dwfl, NULL, NULL);
    free(name);
    if (!dm)
        return; /* not ELF, unreadable, no program headers ... */
    const unsigned char *bits = NULL;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(dm, &bits, &vaddr);
    if (n > 0) {
        f->build_id = bits;
        f->build_id_len = (size_t)n;
    }
    f->dwfl_mod = dm;
    f->state = 1;
}

/* The Dwfl module for module mi, or NULL if its file cannot be used: missing, not ELF, or not
 * the build that was recorded (then its lines and symbols would be wrong). */
static Dwfl_Module *module_dwfl(sym_table *t, uint32_t mi)
{
    struct module *r = &t->mods[t->mods[mi].canon];
    struct file *f = &t->files[r->file];
    if (r->usable == 0) {
        if (f->state == 0)
            file_open(t, r->file);
        if (f->state < 0)
            r->usable = -1;
        else if (r->build_id_len == 0)
            r->usable = 1;
        else
            r->usable = f->build_id_len == r->build_id_len
                                && memcmp(f->build_id, r->build_id, r->build_id_len) == 0
                            ? 1
                            : -1;
    }
    return r->usable > 0 ? f->dwfl_mod : NULL;
}

void sym_table_load_all(sym_table *t)
{
    for (size_t mi = 0; mi < t->nmods; mi++) {
        Dwfl_Module *dm = module_dwfl(t, (uint32_t)mi);
        Dwarf_Addr bias;
        if (dm)
            (void)dwfl_module_getdwarf(dm, &bias);
    }
}

/* ---- symbolization ---------------------------------------------------------------------- */

/* Interned source path. libdw already prefixes the file's directory entry; a name still
 * relative is relative to the CU's compilation dir, so prefix that too if it is absolute (it
 * is relative itself when the build used -fdebug-prefix-map=...=., as Debian's packages do). */
static const char *source_path(sym_table *t, const char *file, const char *comp_dir)
{
    if (!file || strcmp(file, "???") == 0) /* libdw's name for the unused DWARF<5 file 0 */
        return NULL;
    if (file[0] == '/' || !comp_dir || comp_dir[0] != '/')
        return intern(t, file);
    size_t a = strlen(comp_dir), b = strlen(file);
    char *buf = malloc(a + b + 2);
    if (!buf)
        return intern(t, file);
    memcpy(buf, comp_dir, a);
    buf[a] = '/';
    memcpy(buf + a + 1, file, b + 1);
    const char *r = intern(t, buf);
    free(buf);
    return r;
}

static const char *cu_comp_dir(Dwarf_Die *die)
{
    Dwarf_Die cu;
    Dwarf_Attribute attr;
    if (!dwarf_diecu(die, &cu, NULL, NULL))
        return NULL;
    return dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &attr));
}

/* Aliases at one address sort worst first, so that a lookup landing on the last entry at or
 * below an address meets the preferred one first: sized, then global over weak over local,
 * then by name so the choice does not depend on symbol table order. */
static int cmp_sym_entry(const void *a, const void *b)
{
    const struct sym_entry *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if ((x->size > 0) != (y->size > 0))
        return x->size > 0 ? 1 : -1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return -strcmp(x->name, y->name);
}

/* dwfl_module_addrinfo scans the whole symbol table on every call (libdw 0.188); with
 * many addresses in a module without DWARF (a system library without debug package) that
 * dominates. So the function symbols get sorted once per file, and the data (object)
 * symbols in a table of their own, for sym_table_resolve_data. */
static void build_syms(sym_table *t, struct file *f, bool data)
{
    int8_t *state = data ? &f->dsyms_state : &f->syms_state;
    *state = -1;
    int n = dwfl_module_getsymtab(f->dwfl_mod);
    struct sym_entry *v = NULL;
    size_t cnt = 0, cap = 0;
    for (int i = 1; i < n; i++) { /* 0 is the null symbol */
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(f->dwfl_mod, i, &sym, &addr, &shndx, NULL, NULL);
        int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
        bool want = data ? type == STT_OBJECT || type == STT_COMMON
                         : type == STT_FUNC || type == STT_GNU_IFUNC;
        if (!name || !name[0] || shndx == SHN_UNDEF || !want)
            continue;
        if (!reserve((void **)&v, &cap, cnt + 1, sizeof *v)) {
            free(v);
            return;
        }
        v[cnt++] = (struct sym_entry){ addr, sym.st_size, name,
                                       bind == STB_GLOBAL ? 3 : bind == STB_WEAK ? 2 : 1 };
    }
    struct sym_entry *copy = cnt ? arena_alloc(t, cnt * sizeof *copy) : NULL;
    if (cnt && !copy) {
        free(v);
        return;
    }
    if (cnt) {
        qsort(v, cnt, sizeof *v, cmp_sym_entry);
        memcpy(copy, v, cnt * sizeof *copy);
    }
    free(v);
    *(data ? &f->dsyms : &f->syms) = copy;
    *(data ? &f->ndsyms : &f->nsyms) = cnt;
    *state = 1;
}

/* The sized symbol of a sorted table containing addr, nearest start first (a few steps
 * back cover aliases and symbols nested in others); NULL if none. */
static const struct sym_entry *sym_containing(const struct sym_entry *syms, size_t n, uint64_t addr, size_t *below)
{
    size_t lo = 0, hi = n; /* first symbol with start > addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (syms[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (below)
        *below = lo;
    for (size_t k = lo, steps = 0; k > 0 && steps < 16; k--, steps++) {
        const struct sym_entry *e = &syms[k - 1];
        if (e->size > 0 && addr - e->start < e->size)
            return e;
    }
    return NULL;
}

/* ELF symbol table name (.symtab, .dynsym or MiniDebugInfo) of the function at pc, "??" if
 * none. Only function symbols count: these are code addresses. */
static const char *symtab_name(sym_table *t, uint32_t fi, uint64_t pc)
{
    struct file *f = &t->files[fi];
    if (f->syms_state == 0)
        build_syms(t, f, false);
    const char *name = NULL;
    bool ask_libdw = f->syms_state < 0;
    if (!ask_libdw) {
        size_t lo;
        const struct sym_entry *e = sym_containing(f->syms, f->nsyms, pc, &lo);
        name = e ? e->name : NULL;
        /* A sizeless one (hand-written assembly) ends where its section does; libdw knows. */
        ask_libdw = !name && lo > 0 && f->syms[lo - 1].size == 0;
    }
    if (ask_libdw) {
        GElf_Off off;
        GElf_Sym sym;
        name = dwfl_module_addrinfo(f->dwfl_mod, pc, &off, &sym, NULL, NULL, NULL);
    }
    const char *r = name && name[0] ? function_name(t, name) : NULL;
    return r ? r : "??";
}

/* Name of a subprogram or inlined subroutine DIE, following abstract_origin/specification.
 * A C++ (Itanium-mangled) linkage name comes first since it demangles to the qualified name
 * with parameters; other linkage names are asm labels (glibc's __GI_abort for abort), so then
 * the source name wins. NULL if the DIE has no name. */
static const char *die_name(sym_table *t, Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!linkage)
        linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    if (linkage && strncmp(linkage, "_Z", 2) == 0)
        return function_name(t, linkage);
    const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
    if (!name || !name[0])
        name = linkage;
    return name && name[0] ? function_name(t, name) : NULL;
}

/* Where an inlined subroutine was called from: the location of the frame that contains it. */
static void call_site(sym_table *t, Dwarf_Die *die, const char **file, int *line)
{
    Dwarf_Attribute attr;
    Dwarf_Word v;
    *file = NULL;
    *line = 0;
    if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &v) == 0) {
        Dwarf_Die cu;
        Dwarf_Files *files;
        size_t nfiles;
        /* DW_AT_call_file indexes the file table of the unit holding the DIE */
        if (dwarf_diecu(die, &cu, NULL, NULL) && dwarf_getsrcfiles(&cu, &files, &nfiles) == 0
            && v < nfiles)
            *file = source_path(t, dwarf_filesrc(files, v, NULL, NULL), cu_comp_dir(die));
    }
    if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &v) == 0 && v > 0 && v <= INT_MAX)
        *line = (int)v;
    else
        *file = NULL;
}

static int cmp_cu_range(const void *a, const void *b)
{
    const struct cu_range *x = a, *y = b;
    return x->low < y->low ? -1 : x->low > y->low;
}

static void build_cu_ranges(sym_table *t, struct file *f)
{
    f->cu_ranges_state = -1;
    Dwarf_Addr bias = 0;
    Dwarf *dw = dwfl_module_getdwarf(f->dwfl_mod, &bias);
    if (!dw)
        return;
    struct cu_range *v = NULL;
    size_t n = 0, cap = 0;
    Dwarf_CU *cu = NULL;
    Dwarf_Half version;
    uint8_t type;
    Dwarf_Die cudie, subdie;
    while (dwarf_get_units(dw, cu, &cu, &version, &type, &cudie, &subdie) == 0) {
        if (type != DW_UT_compile && type != DW_UT_skeleton)
            continue;
        Dwarf_Addr base, low, high;
        ptrdiff_t off = 0;
        while ((off = dwarf_ranges(&cudie, off, &base, &low, &high)) > 0) {
            if (low >= high)
                continue;
            if (!reserve((void **)&v, &cap, n + 1, sizeof *v)) {
                free(v);
                return;
            }
            v[n++] = (struct cu_range){ low, high, cudie };
        }
    }
    struct cu_range *copy = n ? arena_alloc(t, n * sizeof *copy) : NULL;
    if (n && !copy) {
        free(v);
        return;
    }
    if (n) {
        qsort(v, n, sizeof *v, cmp_cu_range);
        memcpy(copy, v, n * sizeof *copy);
    }
    free(v);
    f->cu_ranges = copy;
    f->n_cu_ranges = n;
    f->dwarf_bias = bias;
    f->cu_ranges_state = 1;
}

/* The CU DIE containing pc, NULL if none. dwfl_module_addrdie finds CUs only through
 * .debug_aranges, which clang (14) does not emit by default; libdw 0.188 does not fall back to
 * the CUs' own ranges (later elfutils do), so for such addresses this does it, from a table of
 * every CU's ranges built on first need. */
static Dwarf_Die *module_cu(sym_table *t, uint32_t fi, uint64_t pc, Dwarf_Addr *bias)
{
    struct file *f = &t->files[fi];
    Dwarf_Die *cudie = dwfl_module_addrdie(f->dwfl_mod, pc, bias);
    if (cudie)
        return cudie;
    if (f->cu_ranges_state == 0)
        build_cu_ranges(t, f);
    if (f->cu_ranges_state < 0 || pc < f->dwarf_bias)
        return NULL;
    Dwarf_Addr dpc = pc - f->dwarf_bias;
    size_t lo = 0, hi = f->n_cu_ranges; /* first range with low > dpc */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->cu_ranges[mid].low <= dpc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || dpc >= f->cu_ranges[lo - 1].high)
        return NULL;
    *bias = f->dwarf_bias;
    return &f->cu_ranges[lo - 1].cudie;
}

/* Frames from a scope chain (innermost first, as dwarf_getscopes_die gives it) into fr
 * (MAX_FRAMES room). file/line: the line table location of pc, which belongs to the innermost
 * frame; each inlined subroutine's call site becomes the location of the frame around it.
 * Returns 0 if the chain holds no function. */
static int frames_from_scopes(sym_table *t, uint32_t fi, uint64_t pc, const char *file, int line,
                              Dwarf_Die *scopes, int ns, struct cframe *fr)
{
    int n = 0;
    for (int i = 0; i < ns; i++) {
        Dwarf_Die *die = &scopes[i];
        int tag = dwarf_tag(die);
        if (tag == DW_TAG_inlined_subroutine) {
            /* Keep the last slot for the real function; frames beyond that are dropped, but
             * the location still moves outwards call site by call site. */
            if (n < MAX_FRAMES - 1) {
                const char *name = die_name(t, die);
                fr[n++] = (struct cframe){ name ? name : "??", file, line, true };
            }
            call_site(t, die, &file, &line);
        } else if (tag == DW_TAG_subprogram || tag == DW_TAG_entry_point) {
            const char *name = die_name(t, die);
            fr[n++] = (struct cframe){ name ? name : symtab_name(t, fi, pc), file, line, false };
            return n;
        }
    }
    if (n > 0) /* inlined frames without an enclosing subprogram: broken DWARF */
        fr[n++] = (struct cframe){ symtab_name(t, fi, pc), file, line, false };
    return n;
}

/* dwarf_getscopes walks the whole CU for every address, and for an inlined address walks it
 * again unpruned to find the abstract definition; dwarf_getscopes_die walks it once more. On
 * CUs with large headers (C++ above all) that costs milliseconds per address (5 ms measured on
 * a small GCC 12 C++ program, 80 us in libc). So each CU gets an index of its functions'
 * address ranges, built by one walk over the CU, and an address only walks the DIEs inside its
 * own function (10 us and 4 us).
 * The index also sees functions that dwarf_getscopes misses because it prunes every DIE
 * without code: a C++ lambda's operator() (or any local class member, or a GCC nested
 * function) lives inside the code-less abstract instance of its enclosing function. And it
 * avoids a libdw 0.188 leak: dwarf_getscopes loses its result array when an inlined
 * instance's abstract origin cannot be found. */

#define MAX_SCOPE_DEPTH 128
/* Bounds on DIE visits, against corrupt DWARF (sibling loops, import cycles). */
#define INDEX_VISIT_BUDGET ((size_t)1 << 24)
#define DESCENT_VISIT_BUDGET ((size_t)1 << 20)

struct sub_range {
    Dwarf_Addr low, high; /* [low, high), DWARF addresses */
    Dwarf_Die die;        /* DW_TAG_subprogram */
};

struct cu_index {
    size_t n;
    struct sub_range *r; /* sorted by low */
};

struct sub_vec {
    struct sub_range *r;
    size_t n, cap;
    size_t budget;            /* DIE visits left */
    bool oom;
};

static void index_add_ranges(struct sub_vec *v, Dwarf_Die *die)
{
    Dwarf_Addr base, low, high;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(die, off, &base, &low, &high)) > 0) {
        if (low >= high)
            continue;
        if (!reserve((void **)&v->r, &v->cap, v->n + 1, sizeof *v->r)) {
            v->oom = true;
            return;
        }
        v->r[v->n++] = (struct sub_range){ low, high, *die };
    }
}

/* Every function with code below parent: at the top level, in namespaces and classes, nested
 * in other functions (see above), and in partial units imported by dwz-compressed debug info.
 * Tags that cannot hold a function are not entered, to keep the walk short. */
static void index_children(struct sub_vec *v, Dwarf_Die *parent, int depth)
{
    Dwarf_Die child;
    if (depth > 256 || dwarf_child(parent, &child) != 0)
        return;
    do {
        if (v->budget == 0)
            return;
        v->budget--;
        int tag = dwarf_tag(&child);
        switch (tag) {
        case DW_TAG_imported_unit: {
            Dwarf_Attribute attr;
            Dwarf_Die unit;
            if (dwarf_formref_die(dwarf_attr(&child, DW_AT_import, &attr), &unit))
                index_children(v, &unit, depth + 1);
            break;
        }
        case DW_TAG_formal_parameter:
        case DW_TAG_variable:
        case DW_TAG_member:
        case DW_TAG_enumeration_type:
        case DW_TAG_subroutine_type:
        case DW_TAG_array_type:
        case DW_TAG_template_type_parameter:
        case DW_TAG_template_value_parameter:
        case DW_TAG_GNU_call_site:
        case DW_TAG_call_site:
            break;
        default:
            if (tag == DW_TAG_subprogram)
                index_add_ranges(v, &child);
            if (dwarf_haschildren(&child) > 0)
                index_children(v, &child, depth + 1);
            break;
        }
    } while (!v->oom && dwarf_siblingof(&child, &child) == 0);
}

static int cmp_sub_range(const void *a, const void *b)
{
    const struct sub_range *x = a, *y = b;
    return x->low < y->low ? -1 : x->low > y->low;
}

static size_t cu_hash(uint32_t file, Dwarf_Off off)
{
    return (size_t)mix64(off ^ ((uint64_t)file << 44));
}

static bool cu_slots_grow(sym_table *t)
{
    size_t ncap = t->cu_cap ? t->cu_cap * 2 : 256;
    struct cu_slot *slots = calloc(ncap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < t->cu_cap; i++) {
        if (!t->cus[i].index)
            continue;
        size_t j = cu_hash(t->cus[i].file, t->cus[i].off) & (ncap - 1);
        while (slots[j].index)
            j = (j + 1) & (ncap - 1);
        slots[j] = t->cus[i];
    }
    free(t->cus);
    t->cus = slots;
    t->cu_cap = ncap;
    return true;
}

/* The function index of cudie (of file fi), built on first use; NULL on out of memory. */
static const struct cu_index *cu_index_get(sym_table *t, uint32_t fi, Dwarf_Die *cudie)
{
    Dwarf_Off off = dwarf_dieoffset(cudie);
    if (t->cu_cap) {
        size_t mask = t->cu_cap - 1;
        for (size_t i = cu_hash(fi, off) & mask; t->cus[i].index; i = (i + 1) & mask)
            if (t->cus[i].file == fi && t->cus[i].off == off)
                return t->cus[i].index;
    }
    if ((t->cu_count + 1) * 2 > t->cu_cap && !cu_slots_grow(t))
        return NULL;

    struct sub_vec v = { .budget = INDEX_VISIT_BUDGET };
    index_children(&v, cudie, 0);
    struct cu_index *index = arena_alloc(t, sizeof *index);
    struct sub_range *r = v.n && !v.oom ? arena_alloc(t, v.n * sizeof *r) : NULL;
    if (v.oom || !index || (v.n && !r)) {
        free(v.r);
        return NULL;
    }
    if (v.n) {
        qsort(v.r, v.n, sizeof *v.r, cmp_sub_range);
        memcpy(r, v.r, v.n * sizeof *r);
    }
    free(v.r);
    *index = (struct cu_index){ v.n, r };

    size_t mask = t->cu_cap - 1;
    size_t i = cu_hash(fi, off) & mask;
    while (t->cus[i].index)
        i = (i + 1) & mask;
    t->cus[i] = (struct cu_slot){ off, fi, index };
    t->cu_count++;
    return index;
}

static bool is_scope_with_code(int tag)
{
    switch (tag) {
    case DW_TAG_subprogram:
    case DW_TAG_inlined_subroutine:
    case DW_TAG_lexical_block:
    case DW_TAG_entry_point:
    case DW_TAG_try_block:
    case DW_TAG_catch_block:
    case DW_TAG_with_stmt:
        return true;
    default:
        return false;
    }
}

/* Scope chain for dpc through the CU's function index, innermost first, like
 * dwarf_getscopes_die of the innermost scope (minus the CU and namespaces). Returns the count,
 * 0 if the index has no function at dpc, -1 if the index could not be built. */
static int scopes_from_index(sym_table *t, uint32_t fi, Dwarf_Die *cudie, Dwarf_Addr dpc,
                             Dwarf_Die *out)
{
    const struct cu_index *index = cu_index_get(t, fi, cudie);
    if (!index)
        return -1;
    if (!index->n)
        return 0;
    size_t lo = 0, hi = index->n; /* first range with low > dpc */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (index->r[mid].low <= dpc)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* The containing range with the highest start is the innermost function; looking a few
     * ranges back finds an enclosing one when dpc lies past the end of a nested function. */
    const struct sub_range *func = NULL;
    for (size_t k = lo, steps = 0; k > 0 && steps < 16 && !func; k--, steps++)
        if (dpc < index->r[k - 1].high)
            func = &index->r[k - 1];
    if (!func)
        return 0;

    Dwarf_Die chain[MAX_SCOPE_DEPTH]; /* outermost first */
    int depth = 0;
    size_t budget = DESCENT_VISIT_BUDGET;
    chain[depth++] = func->die;
    while (depth < MAX_SCOPE_DEPTH) {
        Dwarf_Die child;
        bool found = false;
        if (dwarf_child(&chain[depth - 1], &child) == 0) {
            do {
                if (is_scope_with_code(dwarf_tag(&child)) && dwarf_haspc(&child, dpc) > 0) {
                    found = true;
                    break;
                }
            } while (--budget > 0 && dwarf_siblingof(&child, &child) == 0);
        }
        if (!found)
            break;
        chain[depth++] = child;
    }
    for (int i = 0; i < depth; i++)
        out[i] = chain[depth - 1 - i];
    return depth;
}

/* DWARF frames for pc in cudie (see frames_from_scopes). Returns 0 if DWARF has no function for
 * pc, so the caller falls back to the symbol table. */
static int dwarf_frames(sym_table *t, uint32_t fi, Dwarf_Die *cudie, Dwarf_Addr bias, uint64_t pc,
                        const char *file, int line, struct cframe *fr)
{
    Dwarf_Die chain[MAX_SCOPE_DEPTH];
    int ns = scopes_from_index(t, fi, cudie, pc - bias, chain);
    if (ns >= 0)
        return ns ? frames_from_scopes(t, fi, pc, file, line, chain, ns, fr) : 0;

    /* No memory for the index: ask libdw directly, slowly. */
    Dwarf_Die *scopes = NULL;
    ns = dwarf_getscopes(cudie, pc - bias, &scopes);
    if (ns <= 0)
        return 0;
    /* Past the innermost inlined instance dwarf_getscopes lists the scopes around its abstract
     * definition, not its callers; dwarf_getscopes_die gives the physical nesting instead. */
    for (int i = 0; i < ns; i++) {
        if (dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine) {
            Dwarf_Die inner = scopes[0];
            free(scopes);
            scopes = NULL;
            ns = dwarf_getscopes_die(&inner, &scopes);
            if (ns <= 0)
                return 0;
            break;
        }
    }
    int n = frames_from_scopes(t, fi, pc, file, line, scopes, ns, fr);
    free(scopes);
    return n;
}

/* Frames for pc in module mi (NO_MODULE: none); always at least one. */
static int resolve_uncached(sym_table *t, uint32_t mi, uint64_t pc, struct cframe *fr)
{
    fr[0] = (struct cframe){ "??", NULL, 0, false };
    if (mi == NO_MODULE)
        return 1;
    Dwfl_Module *dm = module_dwfl(t, mi);
    if (!dm)
        return 1;

    uint32_t fi = t->mods[mi].file;
    Dwarf_Addr bias = 0;
    Dwarf_Die *cudie = module_cu(t, fi, pc, &bias);

    const char *file = NULL;
    int line = 0, ln = 0;
    Dwfl_Line *l = dwfl_module_getsrc(dm, pc);
    if (l) {
        file = source_path(t, dwfl_lineinfo(l, NULL, &ln, NULL, NULL, NULL), dwfl_line_comp_dir(l));
    } else if (cudie) { /* CU found without .debug_aranges, see module_cu() */
        Dwarf_Line *dl = dwarf_getsrc_die(cudie, pc - bias);
        if (dl && dwarf_lineno(dl, &ln) == 0)
            file = source_path(t, dwarf_linesrc(dl, NULL, NULL), cu_comp_dir(cudie));
    }
    if (ln > 0)
        line = ln;
    else
        file = NULL; /* line 0: code with no source line (compiler generated) */
    int n = cudie ? dwarf_frames(t, fi, cudie, bias, pc, file, line, fr) : 0;
    if (n > 0)
        return n;
    fr[0] = (struct cframe){ symtab_name(t, fi, pc), file, line, false };
    return 1;
}

/* ---- cache ------------------------------------------------------------------------------ */

static size_t cache_hash(uint64_t pc, uint32_t module)
{
    return (size_t)mix64(pc ^ ((uint64_t)module << 40) ^ module);
}

static const struct centry *cache_find(const sym_table *t, uint64_t pc, uint32_t module)
{
    if (!t->cache_cap)
        return NULL;
    size_t mask = t->cache_cap - 1;
    for (size_t i = cache_hash(pc, module) & mask; t->cache[i].frames; i = (i + 1) & mask)
        if (t->cache[i].pc == pc && t->cache[i].module == module)
            return &t->cache[i];
    return NULL;
}

static bool cache_grow(sym_table *t)
{
    size_t ncap = t->cache_cap ? t->cache_cap * 2 : 1024;
    if (ncap > SIZE_MAX / sizeof(struct centry))
        return false;
    struct centry *slots = calloc(ncap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < t->cache_cap; i++) {
        const struct centry *e = &t->cache[i];
        if (!e->frames)
            continue;
        size_t j = cache_hash(e->pc, e->module) & (ncap - 1);
        while (slots[j].frames)
            j = (j + 1) & (ncap - 1);
        slots[j] = *e;
    }
    free(t->cache);
    t->cache = slots;
    t->cache_cap = ncap;
    return true;
}

/* NULL on out of memory (the caller then uses its own copy uncached). */
static const struct centry *cache_insert(sym_table *t, uint64_t pc, uint32_t module,
                                         const struct cframe *fr, int n)
{
    if ((t->cache_count + 1) * 2 > t->cache_cap && !cache_grow(t))
        return NULL;
    struct cframe *copy = arena_alloc(t, (size_t)n * sizeof *copy);
    if (!copy)
        return NULL;
    memcpy(copy, fr, (size_t)n * sizeof *copy);
    size_t mask = t->cache_cap - 1;
    size_t i = cache_hash(pc, module) & mask;
    while (t->cache[i].frames)
        i = (i + 1) & mask;
    t->cache[i] = (struct centry){ pc, module, (uint32_t)n, copy };
    t->cache_count++;
    return &t->cache[i];
}

static uint64_t lookup_pc(uint64_t address, bool is_return_address)
{
    return is_return_address && address > 0 ? address - 1 : address;
}

long sym_table_module_index(sym_table *t, uint64_t address, bool is_return_address)
{
    if (!t)
        return -1;
    uint32_t mi = find_module(t, lookup_pc(address, is_return_address));
    return mi == NO_MODULE ? -1 : (long)mi;
}

int sym_table_resolve(sym_table *t, uint64_t address, bool is_return_address, sym_frame *out, int max)
{
    if (!t || !out || max < 1)
        return 0;
    uint64_t pc = lookup_pc(address, is_return_address);
    uint32_t mi = find_module(t, pc);
    uint32_t key = mi == NO_MODULE ? NO_MODULE : t->mods[mi].canon;
    const char *module = mi == NO_MODULE ? "??" : t->mods[mi].path;

    struct cframe tmp[MAX_FRAMES];
    const struct cframe *fr;
    int n;
    const struct centry *e = cache_find(t, pc, key);
    if (!e) {
        n = resolve_uncached(t, mi, pc, tmp);
        e = cache_insert(t, pc, key, tmp, n);
    }
    if (e) {
        fr = e->frames;
        n = (int)e->nframes;
    } else {
        fr = tmp;
    }
    if (n > max)
        n = max;
    for (int i = 0; i < n; i++)
        out[i] = (sym_frame){
            .function = fr[i].function,
            .file = fr[i].file,
            .line = fr[i].line,
            .module = module,
            .address = address,
            .inlined = fr[i].inlined,
        };
    return n;
}

/* ---- data addresses: the global variable holding a word ------------------------------ */

static int cmp_var_decl(const void *a, const void *b)
{
    const struct var_decl *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Where each global variable of the file is defined: every DW_TAG_variable at the top of a
 * CU (or in a namespace, as C++ puts them) whose location is one DW_OP_addr. Walked with an
 * explicit stack of namespaces (bounded depth), never recursively. */
static void build_vars(sym_table *t, struct file *f)
{
    f->vars_state = -1;
    struct var_decl *v = NULL;
    size_t cnt = 0, cap = 0;
    Dwarf_Addr bias;
    Dwarf_Die *cu = NULL;
    while ((cu = dwfl_module_nextcu(f->dwfl_mod, cu, &bias)) != NULL) {
        Dwarf_Die stack[8];
        int depth = 0;
        if (dwarf_child(cu, &stack[0]) != 0)
            continue;
        for (;;) {
            Dwarf_Die *d = &stack[depth];
            int tag = dwarf_tag(d);
            Dwarf_Attribute attr;
            Dwarf_Op *ops;
            size_t nops;
            int line;
            if (tag == DW_TAG_variable && dwarf_attr(d, DW_AT_location, &attr)
                && dwarf_getlocation(&attr, &ops, &nops) == 0 && nops >= 1 && ops[0].atom == DW_OP_addr
                && dwarf_decl_line(d, &line) == 0 && line > 0) {
                const char *file = source_path(t, dwarf_decl_file(d), cu_comp_dir(d));
                if (file) {
                    if (!reserve((void **)&v, &cap, cnt + 1, sizeof *v)) {
                        free(v);
                        return;
                    }
                    v[cnt++] = (struct var_decl){ ops[0].number + bias, file, line };
                }
            }
            if (tag == DW_TAG_namespace && depth + 1 < 8 && dwarf_child(d, &stack[depth + 1]) == 0) {
                depth++;
                continue;
            }
            while (dwarf_siblingof(&stack[depth], &stack[depth]) != 0)
                if (depth-- == 0)
                    break;
            if (depth < 0)
                break;
        }
    }
    struct var_decl *copy = cnt ? arena_alloc(t, cnt * sizeof *copy) : NULL;
    if (cnt && !copy) {
        free(v);
        return;
    }
    if (cnt) {
        qsort(v, cnt, sizeof *v, cmp_var_decl);
        memcpy(copy, v, cnt * sizeof *copy);
    }
    free(v);
    f->vars = copy;
    f->nvars = cnt;
    f->vars_state = 1;
}

bool sym_table_resolve_data(sym_table *t, uint64_t address, sym_data *out)
{
    if (!t || !out)
        return false;
    *out = (sym_data){ .name = "??", .module = "??" };
    uint32_t mi = find_module(t, address);
    if (mi == NO_MODULE)
        return false;
    out->module = t->mods[mi].path;
    Dwfl_Module *dm = module_dwfl(t, mi);
    if (!dm)
        return false;
    struct file *f = &t->files[t->mods[t->mods[mi].canon].file];
    if (f->dsyms_state == 0)
        build_syms(t, f, true);
    const struct sym_entry *e = f->dsyms_state > 0 ? sym_containing(f->dsyms, f->ndsyms, address, NULL) : NULL;
    if (!e)
        return false;
    const char *name = intern(t, e->name);
    out->name = name ? name : "??";
    out->start = e->start;
    out->size = e->size;
    if (f->vars_state == 0)
        build_vars(t, f);
    size_t lo = 0, hi = f->nvars; /* the definition at the symbol's start */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->vars[mid].addr < e->start)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < f->nvars && f->vars[lo].addr == e->start) {
        out->file = f->vars[lo].file;
        out->line = f->vars[lo].line;
    }
    return true;
}

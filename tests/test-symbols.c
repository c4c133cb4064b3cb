/* tests/test-symbols.c — resolves addresses of this very process with viewer/model/symbols.c.
 *
 * Usage: test-symbols LIB_WITH_DEBUG.so LIB_WITHOUT_DEBUG.so
 * (both built from tests/symbols-lib.c; see tests/symbols-build.sh). Must be compiled with -g
 * (passes at -O0, -O1 and -O2: always_inline inlines at every level).
 * Prints TAP and a closing "N passed, N failed" line; exits 1 if any check fails. */
#define _GNU_SOURCE /* dl_iterate_phdr, dladdr, RTLD_NOLOAD */

#include "symbols.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- code whose addresses get resolved -------------------------------------------------- */

void *volatile captured; /* return address seen by capture_caller() */
/* Data symbols for sym_table_resolve_data: a global array (defined on the next line) and a
 * static local. */
long data_table[16];
static const int data_table_line = __LINE__ - 1;
volatile int sink;
int known_first, known_last, inl_first, inl_last, outer_call_line;

__attribute__((noinline)) void capture_caller(void);
__attribute__((noinline)) void capture_caller(void)
{
    captured = __builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) int known_function(int x);
__attribute__((noinline)) int known_function(int x)
{
    known_first = __LINE__;
    capture_caller();
    known_last = __LINE__;
    return x + sink;
}

static inline __attribute__((always_inline)) int inlined_helper(int x)
{
    inl_first = __LINE__;
    capture_caller(); /* its return address lies inside the inlined copy */
    inl_last = __LINE__;
    return x * 3;
}

__attribute__((noinline)) int outer_function(int x);
__attribute__((noinline)) int outer_function(int x)
{
    int r = inlined_helper(x); outer_call_line = __LINE__; /* keep on one line */
    return r + sink;
}

#if defined(__GNUC__) && !defined(__clang__)
/* A function with code inside the code-less abstract instance of an always-inlined one: the
 * DWARF shape of a C++ lambda, which a walk that prunes DIEs without code never reaches. GCC
 * nested functions give it in C. */
#define HAVE_NESTED_FUNCTIONS 1
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic" /* nested functions are the point here */
int nested_first, nested_last;

static inline __attribute__((always_inline)) int enclosing_inline(int x)
{
    __attribute__((noinline)) int nested_function(int y)
    {
        nested_first = __LINE__;
        capture_caller();
        nested_last = __LINE__;
        return y + x + sink;
    }
    return nested_function(x) * 2;
}

__attribute__((noinline)) int call_enclosing(int x);
__attribute__((noinline)) int call_enclosing(int x)
{
    return enclosing_inline(x) + 1;
}
#pragma GCC diagnostic pop
#endif

/* ---- TAP -------------------------------------------------------------------------------- */

static int test_count, failures;

static bool check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool check(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", ok ? "ok" : "not ok", ++test_count);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!ok)
        failures++;
    return ok;
}

static void dump(const char *what, const sym_frame *f, int n)
{
    for (int i = 0; i < n; i++)
        printf("#   %s[%d] %s at %s:%d in %s%s (0x%llx)\n", what, i, f[i].function,
               f[i].file ? f[i].file : "(null)", f[i].line, f[i].module,
               f[i].inlined ? " [inlined]" : "", (unsigned long long)f[i].address);
}

static bool ends_with(const char *s, const char *suffix)
{
    if (!s)
        return false;
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* ---- the process' own modules, as the recorder would see them --------------------------- */

struct mod {
    char path[PATH_MAX];
    uint64_t bias, start, end;
    uint8_t build_id[64];
    size_t build_id_len;
};

static struct mod mods[512];
static int nmods;

static void note_build_id(struct mod *m, const struct dl_phdr_info *info, const ElfW(Phdr) *ph)
{
    size_t align = ph->p_align == 8 ? 8 : 4;
    const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
    const unsigned char *end = p + ph->p_memsz;
    while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
        const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
        const unsigned char *name = p + sizeof *nh;
        const unsigned char *desc = name + ((nh->n_namesz + align - 1) & ~(align - 1));
        const unsigned char *next = desc + ((nh->n_descsz + align - 1) & ~(align - 1));
        if (next > end || next <= p)
            return;
        if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0
            && nh->n_descsz <= sizeof m->build_id) {
            memcpy(m->build_id, desc, nh->n_descsz);
            m->build_id_len = nh->n_descsz;
            return;
        }
        p = next;
    }
}

static int phdr_callback(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (nmods == (int)(sizeof mods / sizeof mods[0]))
        return 1;
    struct mod *m = &mods[nmods];
    memset(m, 0, sizeof *m);
    if (info->dlpi_name && info->dlpi_name[0]) {
        snprintf(m->path, sizeof m->path, "%s", info->dlpi_name);
    } else if (nmods == 0) { /* the main program */
        ssize_t n = readlink("/proc/self/exe", m->path, sizeof m->path - 1);
        if (n < 0)
            return 0;
        m->path[n] = '\0';
    } else {
        return 0;
    }
    m->bias = info->dlpi_addr;
    m->start = UINT64_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
            if (lo < m->start)
                m->start = lo;
            if (hi > m->end)
                m->end = hi;
        } else if (ph->p_type == PT_NOTE && !m->build_id_len) {
            note_build_id(m, info, ph);
        }
    }
    if (m->start < m->end)
        nmods++;
    return 0;
}

static void collect_modules(void)
{
    nmods = 0;
    dl_iterate_phdr(phdr_callback, NULL);
}

static const struct mod *module_at(uint64_t addr)
{
    for (int i = 0; i < nmods; i++)
        if (mods[i].start <= addr && addr < mods[i].end)
            return &mods[i];
    return NULL;
}

static void add_all(sym_table *t)
{
    for (int i = 0; i < nmods; i++)
        if (sym_table_add_module(t, mods[i].path, mods[i].bias, mods[i].start, mods[i].end,
                                 mods[i].build_id, mods[i].build_id_len) != 0)
            check(false, "add module %s", mods[i].path);
}

/* ---- tests ------------------------------------------------------------------------------ */

static char tmpdir[] = "/tmp/test-symbols-XXXXXX";

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s LIB_WITH_DEBUG.so LIB_WITHOUT_DEBUG.so\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    unsetenv("DEBUGINFOD_URLS"); /* stay local: no debuginfod downloads in a test */

    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    void *nodebug = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
    if (!lib || !nodebug) {
        printf("Bail out! cannot dlopen the helper libraries: %s\n", dlerror());
        return 1;
    }
    int (*lib_call)(void (*)(void));
    int (*nodebug_call)(void (*)(void));
    void *sym = dlsym(lib, "symbols_lib_call");
    memcpy(&lib_call, &sym, sizeof lib_call);
    sym = dlsym(nodebug, "_Z20symbols_nodebug_callPFvvE");
    memcpy(&nodebug_call, &sym, sizeof nodebug_call);
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    void *libc_fn = libc ? dlsym(libc, "gnu_get_libc_version") : NULL;
    if (!lib_call || !nodebug_call || !libc_fn) {
        printf("Bail out! dlsym failed\n");
        return 1;
    }

    /* Capture the return addresses to resolve. */
    known_function(1);
    uint64_t ra_known = (uint64_t)(uintptr_t)captured;
    outer_function(2);
    uint64_t ra_inlined = (uint64_t)(uintptr_t)captured;
    int lib_line = lib_call(capture_caller);
    uint64_t ra_lib = (uint64_t)(uintptr_t)captured;
    nodebug_call(capture_caller);
    uint64_t ra_nodebug = (uint64_t)(uintptr_t)captured;
    uint64_t libc_addr = (uint64_t)(uintptr_t)libc_fn;
#ifdef HAVE_NESTED_FUNCTIONS
    call_enclosing(4);
    uint64_t ra_nested = (uint64_t)(uintptr_t)captured;
#endif

    collect_modules();
    const struct mod *exe = &mods[0];
    const struct mod *libm = module_at(ra_lib);
    const struct mod *libcm = module_at(libc_addr);
    const struct mod *vdso = NULL;
    for (int i = 0; i < nmods; i++)
        if (strstr(mods[i].path, "vdso"))
            vdso = &mods[i];
    if (!module_at(ra_known) || module_at(ra_known) != exe || !libm || !libcm) {
        printf("Bail out! dl_iterate_phdr did not report the expected modules\n");
        return 1;
    }
    printf("# exe %s bias 0x%llx build id %zu bytes, %d modules\n", exe->path,
           (unsigned long long)exe->bias, exe->build_id_len, nmods);

    sym_table *t = sym_table_new();
    if (!t) {
        printf("Bail out! sym_table_new\n");
        return 1;
    }
    add_all(t);

    sym_frame f[16];
    int n;

    /* 0: data addresses: a global variable, its interior, a function's static local */
    static long static_local[4];
    sym_data d;
    bool found = sym_table_resolve_data(t, (uint64_t)(uintptr_t)&data_table[0], &d);
    check(found && streq(d.name, "data_table") && d.size == sizeof data_table
              && d.start == (uint64_t)(uintptr_t)data_table && ends_with(d.file, "tests/test-symbols.c")
              && d.line == data_table_line && streq(d.module, exe->path),
          "a global's address resolves to its symbol, size and definition (test-symbols.c:%d)", data_table_line);
    found = sym_table_resolve_data(t, (uint64_t)(uintptr_t)&data_table[9], &d);
    check(found && streq(d.name, "data_table") && d.start == (uint64_t)(uintptr_t)data_table,
          "a word inside the global resolves to the same symbol");
    static_local[1] = 1;
    found = sym_table_resolve_data(t, (uint64_t)(uintptr_t)&static_local[1], &d);
    check(found && strncmp(d.name, "static_local", 12) == 0, "a static local resolves to its symbol (%s)", d.name);
    found = sym_table_resolve_data(t, 8, &d);
    check(!found && streq(d.name, "??") && streq(d.module, "??") && !d.file,
          "an address in no module resolves to nothing");
    found = sym_table_resolve_data(t, ra_known, &d);
    check(!found && streq(d.name, "??") && streq(d.module, exe->path), "a code address is no data symbol");

    /* 1: return address into a known function */
    n = sym_table_resolve(t, ra_known, true, f, 16);
    if (!check(n == 1 && streq(f[0].function, "known_function") && ends_with(f[0].file, "tests/test-symbols.c")
                   && f[0].line > known_first && f[0].line < known_last && !f[0].inlined
                   && streq(f[0].module, exe->path) && f[0].address == ra_known,
               "return address in known_function() resolves to its name, file and line (%d..%d)",
               known_first, known_last))
        dump("known", f, n);

    /* 2: inlined frames */
    n = sym_table_resolve(t, ra_inlined, true, f, 16);
    if (!check(n == 2 && streq(f[0].function, "inlined_helper") && f[0].inlined
                   && ends_with(f[0].file, "tests/test-symbols.c") && f[0].line > inl_first
                   && f[0].line < inl_last && streq(f[1].function, "outer_function") && !f[1].inlined
                   && ends_with(f[1].file, "tests/test-symbols.c") && f[1].line == outer_call_line
                   && streq(f[1].module, exe->path) && f[1].address == ra_inlined,
               "address in inlined_helper() gives the inlined frame, then outer_function() at the call line %d",
               outer_call_line))
        dump("inlined", f, n);

    n = sym_table_resolve(t, ra_inlined, true, f, 1);
    check(n == 1 && streq(f[0].function, "inlined_helper") && f[0].inlined,
          "max = 1 gives only the innermost (inlined) frame");

#ifdef HAVE_NESTED_FUNCTIONS
    n = sym_table_resolve(t, ra_nested, true, f, 16);
    if (!check(n == 1 && streq(f[0].function, "nested_function") && !f[0].inlined
                   && ends_with(f[0].file, "tests/test-symbols.c") && f[0].line > nested_first
                   && f[0].line < nested_last,
               "function nested in an inlined function's abstract instance (like a C++ lambda)"))
        dump("nested", f, n);
#else
    printf("ok %d # SKIP nested functions are a GCC extension\n", ++test_count);
#endif

    /* 3: libc, through .dynsym or, where libc6-dbg is installed, DWARF */
    Dl_info di;
    n = sym_table_resolve(t, libc_addr, false, f, 16);
    if (!check(n >= 1 && strstr(f[n - 1].function, "gnu_get_libc_version") && strstr(f[n - 1].module, "libc")
                   && dladdr(libc_fn, &di) && strstr(di.dli_fname, "libc"),
               "libc function gnu_get_libc_version resolves by name in %s", libcm->path))
        dump("libc", f, n);
    else
        printf("#   libc: %s at %s:%d\n", f[n - 1].function, f[n - 1].file ? f[n - 1].file : "(null)",
               f[n - 1].line);

    /* 4: a dlopen'ed library, with and without DWARF */
    n = sym_table_resolve(t, ra_lib, true, f, 16);
    if (!check(n == 1 && streq(f[0].function, "symbols_lib_call") && ends_with(f[0].file, "tests/symbols-lib.c")
                   && f[0].line == lib_line && streq(f[0].module, libm->path),
               "dlopen'ed library: symbols_lib_call at symbols-lib.c:%d", lib_line))
        dump("lib", f, n);

    n = sym_table_resolve(t, ra_nodebug, true, f, 16);
    if (!check(n == 1
                   && (streq(f[0].function, "symbols_nodebug_call(void (*)())")
                       || streq(f[0].function, "_Z20symbols_nodebug_callPFvvE"))
                   && f[0].file == NULL && f[0].line == 0 && strstr(f[0].module, "nodebug"),
               "library without DWARF: name from the symbol table (%s)", n ? f[0].function : "-"))
        dump("nodebug", f, n);
    check(n == 1 && streq(f[0].function, "symbols_nodebug_call(void (*)())"),
          "C++ symbol is demangled through a run-time __cxa_demangle");

    /* 5: unknown addresses */
    n = sym_table_resolve(t, 0x10, false, f, 16);
    bool ok = n == 1 && streq(f[0].function, "??") && streq(f[0].module, "??") && !f[0].file && !f[0].line;
    n = sym_table_resolve(t, 0, true, f, 16);
    ok = ok && n == 1 && streq(f[0].function, "??") && f[0].address == 0;
    n = sym_table_resolve(t, UINT64_MAX, true, f, 16);
    ok = ok && n == 1 && streq(f[0].function, "??") && f[0].address == UINT64_MAX;
    check(ok, "addresses outside every module give one \"??\" frame");

    if (vdso) {
        n = sym_table_resolve(t, vdso->start + 16, false, f, 16);
        check(n == 1 && streq(f[0].function, "??") && streq(f[0].module, vdso->path),
              "vdso (%s, no file) gives \"??\" with its module name", vdso->path);
    }

    /* 6: build id mismatch: file rebuilt since the recording */
    {
        sym_table *m = sym_table_new();
        uint8_t bad[64];
        memcpy(bad, exe->build_id, exe->build_id_len);
        bad[0] ^= 0xff;
        sym_table_add_module(m, exe->path, exe->bias, exe->start, exe->end, bad, exe->build_id_len);
        n = sym_table_resolve(m, ra_known, true, f, 16);
        bool mismatch_ok = exe->build_id_len > 0 && n == 1 && streq(f[0].function, "??") && !f[0].file
                           && f[0].line == 0 && streq(f[0].module, exe->path);
        if (!check(mismatch_ok, "mismatching build id gives \"??\", no file:line"))
            dump("mismatch", f, n);

        /* same file, recorded without a build id: trusted. Different length: mismatch. */
        sym_table_add_module(m, exe->path, exe->bias, exe->start, exe->end, exe->build_id, 3);
        n = sym_table_resolve(m, ra_known, true, f, 16);
        mismatch_ok = n == 1 && streq(f[0].function, "??") && !f[0].file;
        sym_table_add_module(m, exe->path, exe->bias, exe->start, exe->end, NULL, 0);
        n = sym_table_resolve(m, ra_known, true, f, 16);
        mismatch_ok = mismatch_ok && n == 1 && streq(f[0].function, "known_function");
        sym_table_add_module(m, exe->path, exe->bias, exe->start, exe->end, exe->build_id, exe->build_id_len);
        n = sym_table_resolve(m, ra_known, true, f, 16);
        mismatch_ok = mismatch_ok && n == 1 && streq(f[0].function, "known_function");
        check(mismatch_ok, "truncated build id mismatches; no build id or the right one resolves");
        sym_table_free(m);
    }

    /* 7: a later module over the same range wins, also for addresses already cached */
    {
        sym_table *o = sym_table_new();
        sym_table_add_module(o, libm->path, libm->bias, libm->start, libm->end, libm->build_id,
                             libm->build_id_len);
        n = sym_table_resolve(o, ra_lib, true, f, 16);
        const char *first = n == 1 ? f[0].function : NULL;
        bool over_ok = streq(first, "symbols_lib_call");
        sym_table_add_module(o, "/nonexistent/replacement.so", libm->bias, libm->start, libm->end, NULL, 0);
        n = sym_table_resolve(o, ra_lib, true, f, 16);
        over_ok = over_ok && n == 1 && streq(f[0].function, "??")
                  && streq(f[0].module, "/nonexistent/replacement.so");
        /* covers only part of the replacement: the rest stays with the replacement */
        sym_table_add_module(o, libm->path, libm->bias, libm->start, libm->end, libm->build_id,
                             libm->build_id_len);
        sym_table_add_module(o, "/nonexistent/hole.so", 0, libm->end, libm->end + 0x1000, NULL, 0);
        n = sym_table_resolve(o, ra_lib, true, f, 16);
        over_ok = over_ok && n == 1 && f[0].function == first; /* same cached string */
        n = sym_table_resolve(o, libm->end + 8, false, f, 16);
        over_ok = over_ok && n == 1 && streq(f[0].module, "/nonexistent/hole.so");
        check(over_ok, "later-added modules win over earlier ones, cached or not");
        /* the module index follows the same rule: 0 libm, 1 replacement, 2 libm again, 3 hole */
        check(sym_table_module_index(o, ra_lib, true) == 2 && sym_table_module_index(o, libm->end + 8, false) == 3
                  && sym_table_module_index(o, libm->end, true) == 2
                  && sym_table_module_index(o, libm->end + 0x1000, false) == -1
                  && sym_table_module_index(NULL, ra_lib, true) == -1,
              "sym_table_module_index names the module that resolves the address");
        sym_table_free(o);
    }

    /* 8: garbage modules */
    {
        char notelf[PATH_MAX], truncated[PATH_MAX], fifo[PATH_MAX];
        bool have_tmp = mkdtemp(tmpdir) != NULL;
        snprintf(notelf, sizeof notelf, "%s/notelf.so", tmpdir);
        snprintf(truncated, sizeof truncated, "%s/truncated.so", tmpdir);
        snprintf(fifo, sizeof fifo, "%s/fifo.so", tmpdir);
        if (have_tmp) {
            write_file(notelf, "this is not an ELF file\n", 24);
            write_file(truncated, (const void *)(uintptr_t)exe->start, 100); /* ELF header, cut */
            mkfifo(fifo, 0600);
        }
        const char *paths[] = { "", "[vdso]", "linux-vdso.so.1", "/", "/tmp", "/dev/null",
                                "/nonexistent/lib.so", "relative-missing.so", notelf, truncated, fifo,
                                exe->path /* wrong bias and range: garbage results, but no crash */ };
        size_t np = sizeof paths / sizeof paths[0];
        sym_table *g = sym_table_new();
        bool garbage_ok = sym_table_add_module(g, NULL, 0, 0x1000, 0x2000, NULL, 0) == -1
                          && sym_table_add_module(NULL, "x", 0, 0x1000, 0x2000, NULL, 0) == -1;
        uint64_t base = 0x100000;
        for (size_t i = 0; i < np; i++) {
            uint64_t lo = base + i * 0x10000;
            garbage_ok = garbage_ok && sym_table_add_module(g, paths[i], lo, lo, lo + 0x10000, NULL, 5) == 0;
            garbage_ok = garbage_ok && sym_table_add_module(g, paths[i], lo, lo, lo + 0x10000, NULL, 0) == 0;
        }
        /* empty and inverted ranges never match */
        sym_table_add_module(g, exe->path, exe->bias, 0x50000000, 0x50000000, NULL, 0);
        sym_table_add_module(g, exe->path, exe->bias, 0x60000000, 0x50000000, NULL, 0);
        for (size_t i = 0; i + 1 < np; i++) {
            uint64_t lo = base + i * 0x10000;
            n = sym_table_resolve(g, lo + 0x123, true, f, 16);
            if (!(n == 1 && streq(f[0].function, "??") && streq(f[0].module, paths[i]) && !f[0].file)) {
                garbage_ok = false;
                dump(paths[i], f, n);
            }
        }
        n = sym_table_resolve(g, base + (np - 1) * 0x10000 + 0x40, false, f, 16);
        garbage_ok = garbage_ok && n >= 1 && f[0].function != NULL;
        n = sym_table_resolve(g, 0x50000000, false, f, 16);
        garbage_ok = garbage_ok && n == 1 && streq(f[0].module, "??");
        garbage_ok = garbage_ok && sym_table_resolve(g, 0x50000000, false, f, 0) == 0
                     && sym_table_resolve(g, 0x50000000, false, NULL, 4) == 0
                     && sym_table_resolve(NULL, 0x50000000, false, f, 4) == 0;
        check(garbage_ok, "directories, FIFOs, non-ELF, truncated, missing and pseudo modules give \"??\"");
        sym_table_free(g);
        sym_table_free(NULL);
        if (have_tmp) {
            unlink(notelf);
            unlink(truncated);
            unlink(fifo);
            rmdir(tmpdir);
        }
    }

    /* 9: many addresses, then the same again from the cache */
    {
        enum { COUNT = 100000 };
        static const char *first_names[COUNT];
        uint64_t span = libcm->end - libcm->start;
        uint64_t step = span / COUNT ? span / COUNT : 1;
        double t0 = now();
        int known = 0;
        for (int i = 0; i < COUNT; i++) {
            n = sym_table_resolve(t, libcm->start + (uint64_t)i * step, true, f, 16);
            first_names[i] = n >= 1 ? f[n - 1].function : NULL;
            known += n >= 1 && strcmp(f[n - 1].function, "??") != 0;
        }
        double t1 = now();
        bool same = true;
        for (int i = 0; i < COUNT; i++) {
            n = sym_table_resolve(t, libcm->start + (uint64_t)i * step, true, f, 16);
            same = same && n >= 1 && f[n - 1].function == first_names[i];
        }
        double t2 = now();
        printf("# %d libc addresses: %.3f s uncached (%d named), %.3f s cached\n", COUNT, t1 - t0, known,
               t2 - t1);
        check(same && known > COUNT / 2 && t2 - t1 < 1.0, "100k addresses resolve, and again from the cache");
    }

    /* 10: random overlapping modules, adds interleaved with lookups, against brute force */
    {
        enum { MODS = 3000, LOOKUPS = 20 };
        static uint64_t lo_of[MODS], hi_of[MODS];
        sym_table *r = sym_table_new();
        uint64_t seed = 0x9e3779b97f4a7c15ULL;
        bool map_ok = true;
        char path[64];
        double t0 = now();
        for (int i = 0; i < MODS && map_ok; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            lo_of[i] = (seed >> 20) % 0x100000;
            hi_of[i] = lo_of[i] + (seed >> 44) % 0x4000; /* sometimes empty */
            snprintf(path, sizeof path, "/nonexistent/random-%d.so", i);
            map_ok = sym_table_add_module(r, path, lo_of[i], lo_of[i], hi_of[i], NULL, 0) == 0;
            for (int j = 0; j < LOOKUPS && map_ok; j++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                uint64_t a = (seed >> 24) % 0x104000;
                int want = -1;
                for (int k = i; k >= 0; k--)
                    if (lo_of[k] <= a && a < hi_of[k]) {
                        want = k;
                        break;
                    }
                char expect[64] = "??";
                if (want >= 0)
                    snprintf(expect, sizeof expect, "/nonexistent/random-%d.so", want);
                n = sym_table_resolve(r, a, false, f, 16);
                if (!(n == 1 && streq(f[0].module, expect) && streq(f[0].function, "??"))) {
                    printf("#   0x%llx: got %s, want %s\n", (unsigned long long)a, n ? f[0].module : "-", expect);
                    map_ok = false;
                }
            }
        }
        printf("# %d modules with %d lookups after each add: %.3f s\n", MODS, LOOKUPS, now() - t0);
        check(map_ok, "random overlapping modules: the latest covering module wins");
        sym_table_free(r);
    }

    sym_table_free(t);
    dlclose(libc);
    dlclose(nodebug);
    dlclose(lib);
    printf("1..%d\n", test_count);
    printf("%d passed, %d failed\n", test_count - failures, failures);
    return failures ? 1 : 0;
}

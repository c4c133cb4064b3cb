/* viewer/model/symbols.h — symbolization of raw return addresses recorded in a .trace file.
 *
 * A sym_table knows the modules (ELF files) that were mapped in the recorded
 * process and turns addresses into function / file:line frames, including
 * frames that the compiler inlined. It uses elfutils (libdwfl/libdw); link
 * with `pkg-config --cflags --libs libdw`.
 *
 * Not thread safe: use one sym_table per thread, or lock around all calls.
 *
 * Separate debug info is looked up the usual elfutils way (build id under
 * /usr/lib/debug/.build-id, .gnu_debuglink). Note that elfutils also asks
 * debuginfod servers when DEBUGINFOD_URLS is set in the environment and
 * libdebuginfod is installed; unset it to keep resolution local and fast.
 */
#ifndef LEAKSCOPE_SYMBOLS_H
#define LEAKSCOPE_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sym_table sym_table;

typedef struct sym_frame {
    const char *function;  /* demangled if C++ and __cxa_demangle can be found at run time, else as in
                              the binary; "??" if unknown; never NULL */
    const char *file;      /* source file path, NULL if unknown */
    int         line;      /* 0 if unknown */
    const char *module;    /* module path as recorded, never NULL ("??" if no module covers the address) */
    uint64_t    address;   /* the address that was asked for */
    bool        inlined;   /* true for frames that were inlined into the next (outer) one */
} sym_frame;

/* Create an empty table. Returns NULL on out of memory. */
sym_table *sym_table_new(void);

/* Free the table, every opened file and every string it ever returned.
 * NULL is ok (no-op). */
void sym_table_free(sym_table *t);

/* Register a module as it was mapped in the recorded process.
 * path: file system path of the ELF file (main program: absolute path of the executable).
 *       Pseudo modules such as "linux-vdso.so.1" or "[vdso]" may be registered; they have
 *       no file and resolve to "??" frames carrying that path as module.
 * bias: the load bias (dl_phdr_info.dlpi_addr: 0 for non-PIE executables, the load address
 *       for PIE/shared objects).
 * start/end: the mapped address range [start, end) of the module's PT_LOAD segments, after
 *       bias. An empty or inverted range is accepted and simply never matches.
 * build_id/build_id_len: GNU build id bytes as found in the module's NT_GNU_BUILD_ID note
 *       (may be NULL/0: then the file on disk is trusted as is). If given and the file on disk
 *       has a different (or no) build id, addresses in the module resolve to "??" frames.
 * Strings and bytes are copied. Modules may be added at any time, also after resolves; the
 * later-added module wins where ranges overlap (a library dlopen'ed after another was
 * dlclose'd at the same address). Adding the same module twice is harmless.
 * The file is opened lazily on the first resolve inside the range.
 * Returns 0, or -1 on out of memory or if t or path is NULL (nothing is registered then). */
int sym_table_add_module(sym_table *t, const char *path, uint64_t bias, uint64_t start, uint64_t end,
                         const uint8_t *build_id, size_t build_id_len);

/* Resolve one address. is_return_address: look up address-1 (the call instruction) instead.
 * Fills up to max frames into out, innermost first: inlined frames first (inlined=true) where
 * DWARF has them, then the containing real function. Always returns >= 1 when max >= 1
 * (unknown addresses, unreadable or mismatching files give one frame with function "??");
 * returns 0 and writes nothing if t or out is NULL or max < 1.
 * Strings returned stay valid until sym_table_free.
 * Results are cached per address, so resolving the same address again is cheap. */
int sym_table_resolve(sym_table *t, uint64_t address, bool is_return_address, sym_frame *out, int max);

/* The module that sym_table_resolve resolves `address` in (address-1 when is_return_address),
 * as its place in the order of the successful sym_table_add_module calls (0 for the first),
 * by the same rule (the later-added module wins where ranges overlap). Returns -1 if no module
 * covers the address, or if t is NULL. */
long sym_table_module_index(sym_table *t, uint64_t address, bool is_return_address);

/* Opens every module's file and reads its debug information now (what the
 * first lookup in each would do): a table made early can be readied on a
 * thread of its own while the trace is analysed, since inflating a
 * library's compressed DWARF costs as much as reading millions of events.
 * Not concurrently with any other call on the same table. */
void sym_table_load_all(sym_table *t);

/* What a data address (a word of a module's writable segment) belongs to. */
typedef struct sym_data {
    const char *name;      /* the object symbol containing it ("??" if none), as the binary spells it
                              (a static local reads "cache.0"); never NULL */
    uint64_t start, size;  /* the symbol's address range (bias applied); 0, 0 if none */
    const char *file;      /* where DWARF says the variable is defined; NULL if unknown */
    int line;              /* 0 if unknown */
    const char *module;    /* module path as recorded ("??" if no module covers it); never NULL */
} sym_data;

/* Resolve a data address to the global variable (ELF object symbol, sized, containing it) and
 * the file:line of its definition where DWARF has one (a DW_TAG_variable at its address).
 * Returns true when a symbol was found; *out is filled either way (unknowns as above).
 * Strings stay valid until sym_table_free. false with nothing written if t or out is NULL. */
bool sym_table_resolve_data(sym_table *t, uint64_t address, sym_data *out);

#ifdef __cplusplus
}
#endif

#endif /* LEAKSCOPE_SYMBOLS_H */

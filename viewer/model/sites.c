/* sites.c — see sites.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "sites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INLINE 16

/* Functions whose only job is to allocate for their caller. Exact names:
 * a program's own function that merely starts like one (malloc_consolidate,
 * xmalloc_cache_new) is a site of its own. */
static const char *const wrappers[] = {
    /* C library */
    "malloc", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc", "memalign", "valloc",
    "pvalloc", "strdup", "strndup", "__strdup", "__strndup", "wcsdup", "asprintf", "vasprintf", "__asprintf",
    "__vasprintf", "__vasprintf_internal", "__libc_malloc", "__libc_calloc", "__libc_realloc",
    "__libc_memalign", "__posix_memalign",
    /* gnulib and friends */
    "xmalloc", "xcalloc", "xrealloc", "xzalloc", "xstrdup", "xstrndup", "xmemdup", "xnmalloc", "xnrealloc",
    "xcharalloc", "ximalloc", "xizalloc", "xicalloc", "xirealloc", "xpalloc", "xasprintf", "xvasprintf",
    "xmemdup0", "xstrdup0",
    /* GLib */
    "g_malloc", "g_malloc0", "g_malloc_n", "g_malloc0_n", "g_realloc", "g_realloc_n", "g_try_malloc",
    "g_try_malloc0", "g_try_malloc_n", "g_try_malloc0_n", "g_try_realloc", "g_try_realloc_n", "g_strdup",
    "g_strndup", "g_strdup_printf", "g_strdup_vprintf", "g_memdup", "g_memdup2", "g_slice_alloc",
    "g_slice_alloc0", "g_slice_copy", "g_aligned_alloc", "g_aligned_alloc0",
    /* CPython */
    "PyMem_Malloc", "PyMem_Calloc", "PyMem_Realloc", "PyMem_RawMalloc", "PyMem_RawCalloc", "PyMem_RawRealloc",
    "_PyMem_RawMalloc", "_PyMem_RawCalloc", "_PyMem_RawRealloc", "_PyMem_DebugRawAlloc",
    "_PyMem_DebugRawRealloc", "_PyMem_DebugMalloc", "_PyMem_DebugRealloc", "PyObject_Malloc",
    "PyObject_Calloc", "PyObject_Realloc", "_PyObject_Malloc", "_PyObject_Calloc", "_PyObject_Realloc",
    "pymalloc_alloc", "pymalloc_realloc", "_PyObject_MallocWithType",
    /* SQLite */
    "sqlite3Malloc", "sqlite3MallocZero", "sqlite3Realloc", "sqlite3MemMalloc", "sqlite3MemRealloc",
    "sqlite3DbMallocRaw", "sqlite3DbMallocRawNN", "sqlite3DbMallocZero", "sqlite3DbRealloc",
    "sqlite3DbReallocOrFree", "sqlite3_malloc", "sqlite3_malloc64", "sqlite3_realloc", "sqlite3_realloc64",
    "dbMallocRawFinish", "dbReallocFinish", "mallocWithAlarm",
    /* Leakscope's own API, when a program allocates through a helper of ours */
    "trace_alloc", "trace_realloc",
};

bool ls_is_allocator_wrapper(const char *fn)
{
    if (!strncmp(fn, "operator new", 12)) /* operator new(unsigned long), new[], nothrow, aligned */
        return true;
    for (size_t i = 0; i < sizeof wrappers / sizeof *wrappers; i++)
        if (!strcmp(fn, wrappers[i]))
            return true;
    return false;
}

typedef struct out {
    char *buf;
    size_t len, used;
} out;

static void put(out *o, const char *s, bool escape)
{
    for (; *s && o->used + 1 < o->len; s++) {
        unsigned char c = (unsigned char)*s;
        if (escape && (c < 0x20 || c == 0x7f)) {
            if (o->used + 5 >= o->len)
                break;
            o->used += (size_t)snprintf(o->buf + o->used, o->len - o->used, "\\x%02x", c);
            continue;
        }
        o->buf[o->used++] = (char)c;
    }
    o->buf[o->used] = '\0';
}

size_t ls_utf8_len(const char *str, size_t left)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xF0 && c < 0xF5 ? 4 : 0;
    if (!n || n > left)
        return 0;
    /* RFC 3629's table: the second byte's range depends on the first, which
     * rules out overlong forms (E0 80..9F, F0 80..8F), surrogates (ED
     * A0..BF) and code points past U+10FFFF (F4 90..BF). */
    unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80, hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (n > 1 && (s[1] < lo || s[1] > hi))
        return 0;
    for (size_t k = 2; k < n; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* Like put with escape, also escaping bytes that are not UTF-8. */
static void put_utf8(out *o, const char *s)
{
    size_t left = strlen(s);
    while (left && o->used + 1 < o->len) {
        size_t n = ls_utf8_len(s, left);
        unsigned char c = (unsigned char)*s;
        if (!n || c < 0x20 || c == 0x7f) {
            if (o->used + 5 >= o->len)
                break;
            o->used += (size_t)snprintf(o->buf + o->used, o->len - o->used, "\\x%02x", c);
            n = 1;
        } else {
            if (o->used + n >= o->len)
                break;
            memcpy(o->buf + o->used, s, n);
            o->used += n;
        }
        s += n;
        left -= n;
    }
    o->buf[o->used] = '\0';
}

static void put_frame(out *o, const sym_frame *fr)
{
    put(o, fr->function, true);
    if (!fr->file)
        return;
    const char *base = strrchr(fr->file, '/');
    put(o, " (", false);
    put(o, base ? base + 1 : fr->file, true);
    if (fr->line) {
        char n[16];
        snprintf(n, sizeof n, ":%d", fr->line);
        put(o, n, false);
    }
    put(o, ")", false);
}

static void put_unknown(out *o, uint64_t address, const char *module)
{
    char a[32];
    snprintf(a, sizeof a, "0x%llx", (unsigned long long)address);
    put(o, a, false);
    if (module && strcmp(module, "??")) {
        const char *base = strrchr(module, '/');
        put(o, " in ", false);
        put_utf8(o, base ? base + 1 : module);
    }
}

const char *ls_frame_function(const sym_frame *fr, char *buf, size_t len)
{
    out o = { buf, len, 0 };
    if (!len)
        return buf;
    buf[0] = '\0';
    if (strcmp(fr->function, "??"))
        put_utf8(&o, fr->function);
    else
        put_unknown(&o, fr->address, fr->module);
    return buf;
}

/* The call site's frame and the frame that called it: the first two
 * frames outside allocator wrappers (a frame with no symbol is never one),
 * inlined frames included. Returns how many were found (0..2); *first
 * gets the innermost frame. syms may be NULL (addresses only). */
static int site_frames(sym_table *syms, ls_stack st, sym_frame site[2], sym_frame *first)
{
    int found = 0;
    for (uint32_t i = 0; i < st.depth && found < 2; i++) {
        sym_frame fr[MAX_INLINE];
        int n = syms ? sym_table_resolve(syms, st.frames[i], true, fr, MAX_INLINE) : 0;
        if (n <= 0) { /* no symbol table: addresses only */
            fr[0] = (sym_frame){ "??", NULL, 0, "??", st.frames[i], false };
            n = 1;
        }
        for (int k = 0; k < n && found < 2; k++) {
            if (!i && !k)
                *first = fr[k];
            if (strcmp(fr[k].function, "??") && ls_is_allocator_wrapper(fr[k].function))
                continue;
            site[found++] = fr[k];
        }
    }
    return found;
}

const char *ls_site_name(sym_table *syms, const ls_analysis *a, uint32_t stack_id, char *buf, size_t len)
{
    out o = { buf, len, 0 };
    if (!len)
        return buf;
    buf[0] = '\0';
    ls_stack st = ls_analysis_stack(a, stack_id);
    if (!st.depth) {
        put(&o, "(no call stack recorded)", false);
        return buf;
    }
    sym_frame f[2], first = { 0 };
    int n = site_frames(syms, st, f, &first);
    if (!n) { /* nothing but allocator wrappers: the innermost */
        put_frame(&o, &first);
        return buf;
    }
    if (strcmp(f[0].function, "??"))
        put_frame(&o, &f[0]);
    else
        put_unknown(&o, f[0].address, f[0].module);
    if (n == 2) {
        put(&o, " \xe2\x86\x90 ", false); /* ← */
        if (strcmp(f[1].function, "??"))
            put(&o, f[1].function, true);
        else
            put_unknown(&o, f[1].address, f[1].module);
    }
    return buf;
}

const char *ls_site_function(sym_table *syms, const ls_analysis *a, uint32_t stack_id, char *buf, size_t len)
{
    if (!len)
        return buf;
    buf[0] = '\0';
    ls_stack st = ls_analysis_stack(a, stack_id);
    if (!st.depth)
        return buf;
    sym_frame f[2], first = { 0 };
    return ls_frame_function(site_frames(syms, st, f, &first) ? &f[0] : &first, buf, len);
}

/* A growable string for ls_stack_key. */
typedef struct key_buf {
    char *s;
    size_t len, cap;
    bool failed;
} key_buf;

static void key_put(key_buf *k, const char *text)
{
    size_t n = strlen(text);
    char head[24];
    int h = snprintf(head, sizeof head, "%zu:", n);
    if (k->failed || h < 0)
        return;
    size_t need = k->len + (size_t)h + n + 1;
    if (need > k->cap) {
        size_t nc = k->cap ? k->cap * 2 : 256;
        while (nc < need)
            nc *= 2;
        char *p = realloc(k->s, nc);
        if (!p) {
            k->failed = true;
            return;
        }
        k->s = p;
        k->cap = nc;
    }
    memcpy(k->s + k->len, head, (size_t)h);
    memcpy(k->s + k->len + (size_t)h, text, n);
    k->len += (size_t)h + n;
    k->s[k->len] = '\0';
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

char *ls_stack_key(sym_table *syms, const ls_analysis *a, uint32_t stack_id)
{
    key_buf k = { calloc(1, 1), 0, 1, false };
    if (!k.s)
        return NULL;
    ls_stack st = ls_analysis_stack(a, stack_id);
    for (uint32_t i = 0; i < st.depth && !k.failed; i++) {
        sym_frame fr[MAX_INLINE];
        int n = syms ? sym_table_resolve(syms, st.frames[i], true, fr, MAX_INLINE) : 0;
        if (n <= 0) {
            fr[0] = (sym_frame){ "??", NULL, 0, "??", st.frames[i], false };
            n = 1;
        }
        for (int f = 0; f < n; f++) {
            if (strcmp(fr[f].function, "??")) {
                key_put(&k, fr[f].function);
                key_put(&k, fr[f].file ? base_name(fr[f].file) : "");
                continue;
            }
            /* No symbol: where it is in its module (the latest mapped there). */
            const ls_module *m = NULL;
            for (uint32_t j = a->nmodules; j-- > 0 && !m;)
                if (st.frames[i] >= a->modules[j].start && st.frames[i] < a->modules[j].end)
                    m = &a->modules[j];
            char off[32];
            snprintf(off, sizeof off, "+0x%llx", (unsigned long long)(m ? st.frames[i] - m->bias : st.frames[i]));
            key_put(&k, m ? base_name(m->path) : "??");
            key_put(&k, off);
        }
    }
    if (k.failed) {
        free(k.s);
        return NULL;
    }
    return k.s;
}

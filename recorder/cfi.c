/* cfi.c — a fast x86_64 stack walker over the DWARF call frame information
 * (.eh_frame) that every module carries, with a per-thread cache.
 *
 * What a frame needs, at almost every return address of compiled C and C++,
 * reduces to three numbers: CFA = RSP+off or RBP+off, the return address at
 * CFA-8, and the caller's RBP either unchanged or saved at CFA+off. The first
 * time an address is met, its FDE is found through the module's
 * .eh_frame_hdr search table, the CIE and FDE programs are run up to it and
 * the result is reduced to such a rule (ls_cfi_rule), or marked unsupported
 * (CFA or register rules that are expressions, a CFA in another register, a
 * signal trampoline's 'S' augmentation, no FDE at all, ...). The rule is
 * cached per thread (a two-way set-associative table, no lock); a walk over cached
 * rules costs a hash, a compare and two or three loads per frame. The
 * leading frames a walk leaves out (the recorder's own) are the same at
 * almost every capture: a small memo of them (ls_cfi_memo) lets a walk check
 * their return addresses all at once and start at the program's first frame.
 *
 * Three layers, from the cheapest check to the walk itself:
 *
 *  1. The known-stack table (ls_cfi_known_find, inline in the allocation
 *     entry points: recorder-private.h): each thread keeps the stacks it
 *     interned lately, 4 sets by first frame x 8 ways told apart by the
 *     first return address, each way holding up to 48 stack words (the
 *     return addresses and the saved RBPs a later frame used). When the
 *     words at the caller's frame still hold those values, the allocation
 *     gets the stack's dictionary id with one word checked per frame: no
 *     walk, no interning.
 *  2. The suffix record (ls_cfi_suffix): consecutive stacks share their
 *     outer frames. A walk that reaches a frame of the previous walk's
 *     record (the same code address and stack pointer) checks, with
 *     independent loads, that the stack words that record read from there
 *     are unchanged, and takes the remaining frames from it.
 *  3. The rule cache below: one rule per return address, so every frame
 *     the first two layers do not cover costs a probe and two or three loads.
 *
 * A walk that meets an unsupported rule reports LS_CFI_FALLBACK and the
 * caller unwinds the whole stack with libunwind instead (unwind.c). A walk
 * over cached rules only (ls_cfi_walk_cached) takes no lock at all; only a
 * miss takes the loader's.
 *
 * Safety: every word a walk reads lies inside [the starting stack pointer,
 * the stack top), so whatever the stack holds, a walk reads only this
 * thread's mapped stack; the CFA strictly increases from frame to frame, so a
 * walk ends. The stack's bounds come from /proc/self/maps, once per thread
 * (thread_stack); a walk that starts outside them (a signal stack, a
 * coroutine's) falls back. Module memory (.eh_frame_hdr, .eh_frame) is read
 * only inside dl_iterate_phdr's callback, with the loader's lock held: the
 * module cannot be unmapped meanwhile.
 *
 * Staleness: a dlclose followed by a dlopen can put other code at an address
 * that is cached. ls_cfi_gen is bumped by the preload module's dlclose
 * interposer and by trace_begin; a cache whose generation differs is cleared
 * before a walk. A cache also starts over when a miss sees that the loader's
 * count of unloaded objects (dlpi_subs) changed. In API-only mode (no dlclose
 * interposer) a capture between an unload and the next miss can use a stale
 * rule: since every read stays inside the stack whatever the rule, that can
 * give wrong frames in that one stack, never a crash.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "recorder-private.h"

#if LS_HAVE_CFI

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

uint32_t ls_cfi_gen = 1;

void ls_cfi_invalidate(void)
{
    __atomic_fetch_add(&ls_cfi_gen, 1, __ATOMIC_RELEASE);
}

/* ---- the cache ---- */

static void known_clear(ls_cfi_cache *c)
{
    for (uint32_t s = 0; s < LS_CFI_KNOWN_SETS; s++)
        for (uint32_t w = 0; w < LS_CFI_KNOWN_WAYS; w++)
            c->known[s][w].id = 0;
}

static void clear_slots(ls_cfi_cache *c)
{
    /* The table's pages go back to zero (every slot empty) without being
     * touched: a thread that never walks far keeps few pages resident. */
    memset(c->memo, 0, sizeof c->memo); /* built on the rules */
    c->suffix[0].n = c->suffix[1].n = 0;
    known_clear(c);
    if (syscall(SYS_madvise, c->slots, sizeof c->slots, MADV_DONTNEED) != 0)
        memset(c->slots, 0, sizeof c->slots);
}

void ls_cfi_cache_sync(ls_cfi_cache *c)
{
    uint32_t gen = __atomic_load_n(&ls_cfi_gen, __ATOMIC_ACQUIRE);
    if (c->gen != gen) {
        clear_slots(c);
        c->gen = gen;
    }
}

/* The calling thread's stack, from /proc/self/maps read with raw system
 * calls. Not pthread_getattr_np: it allocates while it holds the thread's
 * lock, and this runs inside malloc, maybe called by pthread_getattr_np
 * itself (libgc does that): no allocation, no lock here.
 *
 * Two candidates: the mapping named [stack] (the main thread's), and the
 * mapping that holds the thread's control block (glibc puts it at the top
 * of a thread's stack, also of a stack the program supplied). The one that
 * holds the stack pointer wins. If neither does (this first capture of the
 * thread runs on a signal stack or a coroutine's), [stack] on the main
 * thread, else the other. The main thread's stack grows down: its low bound
 * is as far as it may grow (the stack limit, or the mapping below). */
typedef struct vma {
    uint64_t lo, hi;
    bool found;
} vma;

typedef struct stack_search {
    uint64_t tcb, prev_end, main_prev_end;
    vma main_stack, tcb_stack;
} stack_search;

static bool stack_candidate(void *ctx, const ls_mapping *m)
{
    stack_search *q = ctx;
    if (m->readable) {
        if (ls_mapping_is_main_stack(m)) {
            q->main_stack = (vma){ m->lo, m->hi, true };
            q->main_prev_end = q->prev_end;
        }
        if (q->tcb >= m->lo && q->tcb < m->hi)
            q->tcb_stack = (vma){ m->lo, m->hi, true };
    }
    q->prev_end = m->hi;
    return !(q->main_stack.found && q->tcb_stack.found);
}

static bool thread_stack(uint64_t sp, uint64_t *lo_out, uint64_t *hi_out)
{
    stack_search q = { .tcb = (uint64_t)(uintptr_t)pthread_self() };
    if (!ls_maps_each(stack_candidate, &q))
        return false;
    vma main_stack = q.main_stack, tcb_stack = q.tcb_stack;
    uint64_t main_prev_end = q.main_prev_end;
    if (main_stack.found) {
        struct rlimit rl;
        uint64_t hi = main_stack.hi;
        uint64_t limit = syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                       ? (uint64_t)rl.rlim_cur : hi;
        uint64_t floor = hi - (limit < hi ? limit : hi);
        if (floor < main_prev_end)
            floor = main_prev_end;
        if (floor < main_stack.lo)
            main_stack.lo = floor;
    }
    bool in_main = main_stack.found && sp >= main_stack.lo && sp < main_stack.hi;
    bool in_tcb = tcb_stack.found && sp >= tcb_stack.lo && sp < tcb_stack.hi;
    const vma *v = in_main ? &main_stack
                 : in_tcb ? &tcb_stack
                 : syscall(SYS_gettid) == getpid() ? &main_stack : &tcb_stack;
    if (!v->found)
        return false;
    *lo_out = v->lo;
    *hi_out = v->hi;
    return true;
}

ls_cfi_cache *ls_cfi_cache_new(void)
{
    ls_cfi_cache *c = ls_map(sizeof *c);
    if (!c)
        return NULL;
    c->gen = __atomic_load_n(&ls_cfi_gen, __ATOMIC_ACQUIRE);
    ls_cfi_regs here;
    LS_CFI_HERE(here);
    if (!thread_stack(here.rsp, &c->stack_lo, &c->stack_hi))
        c->stack_lo = c->stack_hi = 0; /* every walk falls back */
    return c;
}

void ls_cfi_cache_free(ls_cfi_cache *c)
{
    ls_unmap(c, sizeof *c);
}

/* Two cycles on the walk's critical path: return addresses differ in their
 * low bits, modules in the bits above. Slots come in pairs (two ways): two
 * return addresses of one stack that hash alike must both stay cached, or
 * every capture of that stack would miss (seen: a test failing under one
 * address layout in twenty). */
static inline uint32_t set_of(uint64_t pc)
{
    return (uint32_t)((pc ^ (pc >> LS_CFI_BITS)) & (LS_CFI_ENTRIES - 2));
}

static inline bool cache_get(const ls_cfi_cache *c, uint64_t key, ls_cfi_rule *r)
{
    const ls_cfi_slot *s = &c->slots[set_of(key)];
    if (LS_LIKELY(s[0].key == key)) {
        *r = s[0].rule;
        return true;
    }
    if (s[1].key == key) {
        *r = s[1].rule;
        return true;
    }
    return false;
}

/* The newest rule in way 0; way 0's moves to way 1 (way 1's is dropped). */
static inline void cache_set(ls_cfi_cache *c, uint64_t key, ls_cfi_rule r)
{
    ls_cfi_slot *s = &c->slots[set_of(key)];
    if (s[0].key != key)
        s[1] = s[0];
    s[0] = (ls_cfi_slot){ key, r };
}

/* ---- reading .eh_frame ---- */

enum {
    DW_EH_PE_absptr = 0x00, DW_EH_PE_uleb128 = 0x01, DW_EH_PE_udata2 = 0x02, DW_EH_PE_udata4 = 0x03,
    DW_EH_PE_udata8 = 0x04, DW_EH_PE_sleb128 = 0x09, DW_EH_PE_sdata2 = 0x0a, DW_EH_PE_sdata4 = 0x0b,
    DW_EH_PE_sdata8 = 0x0c,
    DW_EH_PE_pcrel = 0x10, DW_EH_PE_textrel = 0x20, DW_EH_PE_datarel = 0x30, DW_EH_PE_funcrel = 0x40,
    DW_EH_PE_aligned = 0x50, DW_EH_PE_indirect = 0x80, DW_EH_PE_omit = 0xff,
};

/* The module being searched: its readable PT_LOAD segments bound every read
 * of its unwind tables (they come from the module, but a bad table must not
 * take a walk outside mapped memory). */
#define MAX_SEGS 16
typedef struct module {
    uint64_t lo[MAX_SEGS], hi[MAX_SEGS];
    int nsegs;
} module;

static bool readable(const module *m, uint64_t addr, uint64_t len)
{
    for (int i = 0; i < m->nsegs; i++)
        if (addr >= m->lo[i] && addr <= m->hi[i] && len <= m->hi[i] - addr)
            return true;
    return false;
}

typedef struct cursor {
    const uint8_t *p, *end;
    bool bad;
} cursor;

static uint8_t get_u8(cursor *c)
{
    if (c->p >= c->end) {
        c->bad = true;
        return 0;
    }
    return *c->p++;
}

static uint64_t get_fixed(cursor *c, unsigned bytes)
{
    if ((size_t)(c->end - c->p) < bytes) {
        c->bad = true;
        c->p = c->end;
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, c->p, bytes); /* little endian */
    c->p += bytes;
    return v;
}

static uint64_t get_uleb(cursor *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        uint8_t b = get_u8(c);
        if (c->bad)
            return 0;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
}

static int64_t get_sleb(cursor *c)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        b = get_u8(c);
        if (c->bad)
            return 0;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40))
        v |= ~0ull << shift;
    return (int64_t)v;
}

/* A pointer in encoding `enc` (DW_EH_PE_*). `datarel` is the base of
 * DW_EH_PE_datarel (the .eh_frame_hdr section; 0 where it has no meaning). */
static uint64_t get_encoded(cursor *c, uint8_t enc, uint64_t datarel, const module *m)
{
    if (enc == DW_EH_PE_omit) {
        c->bad = true;
        return 0;
    }
    uint64_t base;
    if (enc == DW_EH_PE_aligned) {
        uintptr_t at = ((uintptr_t)c->p + 7) & ~(uintptr_t)7;
        if (at > (uintptr_t)c->end) {
            c->bad = true;
            return 0;
        }
        c->p = (const uint8_t *)at;
        return get_fixed(c, 8);
    }
    switch (enc & 0x70) {
    case DW_EH_PE_absptr: base = 0; break;
    case DW_EH_PE_pcrel: base = (uint64_t)(uintptr_t)c->p; break;
    case DW_EH_PE_datarel:
        base = datarel;
        if (!base)
            c->bad = true;
        break;
    default: c->bad = true; return 0; /* textrel, funcrel: not used on x86_64 */
    }
    uint64_t v;
    switch (enc & 0x0f) {
    case DW_EH_PE_absptr: v = get_fixed(c, 8); break;
    case DW_EH_PE_uleb128: v = get_uleb(c); break;
    case DW_EH_PE_udata2: v = get_fixed(c, 2); break;
    case DW_EH_PE_udata4: v = get_fixed(c, 4); break;
    case DW_EH_PE_udata8: v = get_fixed(c, 8); break;
    case DW_EH_PE_sleb128: v = (uint64_t)get_sleb(c); break;
    case DW_EH_PE_sdata2: v = (uint64_t)(int64_t)(int16_t)get_fixed(c, 2); break;
    case DW_EH_PE_sdata4: v = (uint64_t)(int64_t)(int32_t)get_fixed(c, 4); break;
    case DW_EH_PE_sdata8: v = get_fixed(c, 8); break;
    default: c->bad = true; return 0;
    }
    v += base;
    if (enc & DW_EH_PE_indirect) {
        if (!readable(m, v, 8)) {
            c->bad = true;
            return 0;
        }
        memcpy(&v, (const void *)(uintptr_t)v, 8);
    }
    return v;
}

/* One CIE or FDE record at `at`: its contents [*body, *end). 0: bad or the
 * terminator. */
static bool record_at(const module *m, uint64_t at, const uint8_t **body, const uint8_t **end, uint64_t *id_at)
{
    if (!readable(m, at, 4))
        return false;
    uint32_t len32;
    memcpy(&len32, (const void *)(uintptr_t)at, 4);
    uint64_t len = len32, start = at + 4;
    if (len32 == 0xffffffffu) {
        if (!readable(m, at + 4, 8))
            return false;
        memcpy(&len, (const void *)(uintptr_t)(at + 4), 8);
        start = at + 12;
    }
    if (len < 4 || !readable(m, start, len))
        return false;
    *id_at = start;
    *body = (const uint8_t *)(uintptr_t)start;
    *end = *body + len;
    return true;
}

/* ---- running the CFA program ---- */

/* DWARF register numbers of x86_64. */
enum { REG_RBP = 6, REG_RSP = 7, REG_RA = 16 };

enum { HOW_SAME, HOW_UNDEF, HOW_OFFSET, HOW_OTHER, HOW_NONE };

typedef struct reg_rule {
    uint8_t how;
    int64_t off;
} reg_rule;

typedef struct frame_state {
    int64_t cfa_reg;       /* -1: not defined yet */
    int64_t cfa_off;
    bool cfa_expr;
    reg_rule rbp, rsp, ra;
} frame_state;

typedef struct cie_info {
    uint64_t caf;          /* code alignment factor */
    int64_t daf;           /* data alignment factor */
    uint8_t fde_enc;
    bool has_z, signal;
    const uint8_t *insns, *insns_end;
} cie_info;

static reg_rule *tracked(frame_state *s, uint64_t reg)
{
    switch (reg) {
    case REG_RBP: return &s->rbp;
    case REG_RSP: return &s->rsp;
    case REG_RA: return &s->ra;
    default: return NULL;
    }
}

static reg_rule rule_in(const frame_state *s, uint64_t reg)
{
    return reg == REG_RBP ? s->rbp : reg == REG_RSP ? s->rsp : s->ra;
}

#define STATE_STACK 8

/* Runs the instructions [p, end) for code at `target`, from `*loc`.
 * false: an instruction this walker does not know (or a malformed program). */
static bool run_program(cursor c, const cie_info *cie, const frame_state *initial, frame_state *s,
                        uint64_t *loc, uint64_t target, const module *m)
{
    frame_state saved[STATE_STACK];
    int depth = 0;
    while (c.p < c.end) {
        uint8_t op = get_u8(&c);
        uint8_t low = op & 0x3f;
        uint64_t reg, delta = 0;
        reg_rule *r;
        switch (op & 0xc0) {
        case 0x40: /* DW_CFA_advance_loc */
            delta = low * cie->caf;
            goto advance;
        case 0x80: /* DW_CFA_offset */
            if ((r = tracked(s, low)) != NULL)
                *r = (reg_rule){ HOW_OFFSET, (int64_t)get_uleb(&c) * cie->daf };
            else
                get_uleb(&c);
            goto next;
        case 0xc0: /* DW_CFA_restore */
            if ((r = tracked(s, low)) != NULL)
                *r = rule_in(initial, low);
            goto next;
        default: break;
        }
        switch (op) {
        case 0x00: break; /* DW_CFA_nop */
        case 0x01: { /* DW_CFA_set_loc */
            uint64_t nl = get_encoded(&c, cie->fde_enc, 0, m);
            if (c.bad)
                return false;
            if (nl > target)
                return true;
            *loc = nl;
            break;
        }
        case 0x02: delta = get_fixed(&c, 1) * cie->caf; goto advance;
        case 0x03: delta = get_fixed(&c, 2) * cie->caf; goto advance;
        case 0x04: delta = get_fixed(&c, 4) * cie->caf; goto advance;
        case 0x05: /* DW_CFA_offset_extended */
        case 0x11: /* DW_CFA_offset_extended_sf */
        case 0x2f: { /* DW_CFA_GNU_negative_offset_extended */
            reg = get_uleb(&c);
            int64_t off = op == 0x05 ? (int64_t)get_uleb(&c) * cie->daf
                        : op == 0x11 ? get_sleb(&c) * cie->daf
                                     : -(int64_t)get_uleb(&c) * cie->daf;
            if ((r = tracked(s, reg)) != NULL)
                *r = (reg_rule){ HOW_OFFSET, off };
            break;
        }
        case 0x06: /* DW_CFA_restore_extended */
            reg = get_uleb(&c);
            if ((r = tracked(s, reg)) != NULL)
                *r = rule_in(initial, reg);
            break;
        case 0x07: /* DW_CFA_undefined */
        case 0x08: /* DW_CFA_same_value */
            reg = get_uleb(&c);
            if ((r = tracked(s, reg)) != NULL)
                *r = (reg_rule){ op == 0x07 ? HOW_UNDEF : HOW_SAME, 0 };
            break;
        case 0x09: /* DW_CFA_register */
            reg = get_uleb(&c);
            get_uleb(&c);
            if ((r = tracked(s, reg)) != NULL)
                *r = (reg_rule){ HOW_OTHER, 0 };
            break;
        case 0x0a: /* DW_CFA_remember_state */
            if (depth == STATE_STACK)
                return false;
            saved[depth++] = *s;
            break;
        case 0x0b: /* DW_CFA_restore_state */
            if (depth == 0)
                return false;
            *s = saved[--depth];
            break;
        case 0x0c: /* DW_CFA_def_cfa */
            s->cfa_reg = (int64_t)get_uleb(&c);
            s->cfa_off = (int64_t)get_uleb(&c);
            s->cfa_expr = false;
            break;
        case 0x12: /* DW_CFA_def_cfa_sf */
            s->cfa_reg = (int64_t)get_uleb(&c);
            s->cfa_off = get_sleb(&c) * cie->daf;
            s->cfa_expr = false;
            break;
        case 0x0d: /* DW_CFA_def_cfa_register */
            s->cfa_reg = (int64_t)get_uleb(&c);
            s->cfa_expr = false;
            break;
        case 0x0e: /* DW_CFA_def_cfa_offset */
            s->cfa_off = (int64_t)get_uleb(&c);
            break;
        case 0x13: /* DW_CFA_def_cfa_offset_sf */
            s->cfa_off = get_sleb(&c) * cie->daf;
            break;
        case 0x0f: { /* DW_CFA_def_cfa_expression */
            uint64_t len = get_uleb(&c);
            if (len > (uint64_t)(c.end - c.p))
                return false;
            c.p += len;
            s->cfa_expr = true;
            break;
        }
        case 0x10: /* DW_CFA_expression */
        case 0x16: { /* DW_CFA_val_expression */
            reg = get_uleb(&c);
            uint64_t len = get_uleb(&c);
            if (len > (uint64_t)(c.end - c.p))
                return false;
            c.p += len;
            if ((r = tracked(s, reg)) != NULL)
                *r = (reg_rule){ HOW_OTHER, 0 };
            break;
        }
        case 0x14: /* DW_CFA_val_offset */
        case 0x15: /* DW_CFA_val_offset_sf */
            reg = get_uleb(&c);
            if (op == 0x14)
                get_uleb(&c);
            else
                get_sleb(&c);
            if ((r = tracked(s, reg)) != NULL)
                *r = (reg_rule){ HOW_OTHER, 0 };
            break;
        case 0x2e: /* DW_CFA_GNU_args_size */
            get_uleb(&c);
            break;
        default: /* DW_CFA_GNU_window_save and anything unknown */
            return false;
        }
        goto next;
    advance:
        if (delta > target - *loc)
            return true; /* the next row starts beyond the target */
        *loc += delta;
    next:
        if (c.bad)
            return false;
    }
    return true;
}

static bool parse_cie(const module *m, uint64_t at, cie_info *cie)
{
    const uint8_t *body, *end;
    uint64_t id_at;
    if (!record_at(m, at, &body, &end, &id_at))
        return false;
    cursor c = { body, end, false };
    if (get_fixed(&c, 4) != 0) /* CIE id in .eh_frame */
        return false;
    uint8_t version = get_u8(&c);
    if (version != 1 && version != 3 && version != 4)
        return false;
    const char *aug = (const char *)c.p;
    size_t auglen = strnlen(aug, (size_t)(c.end - c.p));
    if (auglen == (size_t)(c.end - c.p))
        return false;
    c.p += auglen + 1;
    if (version == 4) {
        if (get_u8(&c) != 8 || get_u8(&c) != 0) /* address size, segment selector size */
            return false;
    }
    cie->caf = get_uleb(&c);
    cie->daf = get_sleb(&c);
    uint64_t ra = version == 1 ? get_u8(&c) : get_uleb(&c);
    if (ra != REG_RA)
        return false;
    cie->fde_enc = DW_EH_PE_absptr;
    cie->has_z = aug[0] == 'z';
    cie->signal = false;
    if (cie->has_z) {
        uint64_t len = get_uleb(&c);
        if (c.bad || len > (uint64_t)(c.end - c.p))
            return false;
        cursor a = { c.p, c.p + len, false };
        c.p += len;
        for (const char *l = aug + 1; *l && !a.bad; l++) {
            if (*l == 'R') {
                cie->fde_enc = get_u8(&a);
            } else if (*l == 'L') {
                get_u8(&a);
            } else if (*l == 'P') {
                uint8_t enc = get_u8(&a);
                get_encoded(&a, enc & 0x7f, 0, m); /* skipped, not followed */
            } else if (*l == 'S') {
                cie->signal = true;
            } else if (*l == 'B' || *l == 'G') {
                /* no data */
            } else {
                break; /* unknown: the rest of the data is skipped by its length */
            }
        }
        if (a.bad)
            return false;
    } else if (aug[0]) {
        return false; /* "eh" and other pre-'z' augmentations */
    }
    if (c.bad)
        return false;
    cie->insns = c.p;
    cie->insns_end = c.end;
    return true;
}

/* The rule for code at `pc`, from the FDE at `fde`. */
static ls_cfi_rule rule_from_fde(const module *m, uint64_t fde, uint64_t pc)
{
    ls_cfi_rule unsupported = { 0, 0, LS_CFI_UNSUPPORTED, 0 };
    const uint8_t *body, *end;
    uint64_t id_at;
    if (!record_at(m, fde, &body, &end, &id_at))
        return unsupported;
    cursor c = { body, end, false };
    uint32_t cie_off = (uint32_t)get_fixed(&c, 4);
    if (cie_off == 0 || cie_off > id_at)
        return unsupported; /* a CIE, not an FDE */
    cie_info cie;
    if (!parse_cie(m, id_at - cie_off, &cie) || cie.signal)
        return unsupported;
    uint64_t begin = get_encoded(&c, cie.fde_enc, 0, m);
    uint64_t range = get_encoded(&c, cie.fde_enc & 0x0f, 0, m);
    if (c.bad || pc < begin || pc - begin >= range)
        return unsupported;
    if (cie.has_z) {
        uint64_t len = get_uleb(&c);
        if (c.bad || len > (uint64_t)(c.end - c.p))
            return unsupported;
        c.p += len;
    }

    frame_state s = { .cfa_reg = -1, .rbp = { HOW_SAME, 0 }, .rsp = { HOW_SAME, 0 }, .ra = { HOW_NONE, 0 } };
    uint64_t loc = begin;
    cursor ci = { cie.insns, cie.insns_end, false };
    if (!run_program(ci, &cie, &s, &s, &loc, pc, m))
        return unsupported;
    frame_state initial = s;
    loc = begin;
    if (!run_program(c, &cie, &initial, &s, &loc, pc, m))
        return unsupported;

    if (s.ra.how == HOW_UNDEF)
        return (ls_cfi_rule){ 0, 0, LS_CFI_END, 0 }; /* the outermost frame (_start, a thread's start) */
    if (s.cfa_expr || s.ra.how != HOW_OFFSET || s.ra.off != -8 || s.rsp.how != HOW_SAME)
        return unsupported;
    if (s.cfa_off < INT32_MIN || s.cfa_off > INT32_MAX)
        return unsupported;
    ls_cfi_rule r = { (int32_t)s.cfa_off, 0, 0, 0 };
    if (s.cfa_reg == REG_RSP)
        r.kind = LS_CFI_CFA_RSP;
    else if (s.cfa_reg == REG_RBP)
        r.kind = LS_CFI_CFA_RBP;
    else
        return unsupported;
    if (s.rbp.how == HOW_OFFSET) {
        if (s.rbp.off < INT16_MIN || s.rbp.off > INT16_MAX)
            return unsupported;
        r.rbp_off = (int16_t)s.rbp.off;
        r.rbp_saved = 1;
    } else if (s.rbp.how != HOW_SAME) {
        return unsupported;
    }
    return r;
}

/* Finds the FDE for `pc` through the .eh_frame_hdr binary search table. */
static ls_cfi_rule rule_from_hdr(const module *m, uint64_t hdr, uint64_t hdr_len, uint64_t pc)
{
    ls_cfi_rule unsupported = { 0, 0, LS_CFI_UNSUPPORTED, 0 };
    if (!readable(m, hdr, hdr_len) || hdr_len < 4)
        return unsupported;
    cursor c = { (const uint8_t *)(uintptr_t)hdr, (const uint8_t *)(uintptr_t)(hdr + hdr_len), false };
    uint8_t version = get_u8(&c), frame_enc = get_u8(&c), count_enc = get_u8(&c), table_enc = get_u8(&c);
    if (version != 1 || count_enc == DW_EH_PE_omit || table_enc != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
        return unsupported; /* no search table: libunwind scans .eh_frame instead */
    get_encoded(&c, frame_enc, hdr, m);
    uint64_t count = get_encoded(&c, count_enc, hdr, m);
    if (c.bad || count == 0 || count > (uint64_t)(c.end - c.p) / 8)
        return unsupported;
    const uint8_t *table = c.p;
    /* The last entry whose start is <= pc. */
    uint64_t lo = 0, hi = count;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        int32_t start;
        memcpy(&start, table + mid * 8, 4);
        if (hdr + (uint64_t)(int64_t)start <= pc)
            lo = mid;
        else
            hi = mid;
    }
    int32_t start, fde;
    memcpy(&start, table + lo * 8, 4);
    memcpy(&fde, table + lo * 8 + 4, 4);
    if (hdr + (uint64_t)(int64_t)start > pc)
        return unsupported;
    return rule_from_fde(m, hdr + (uint64_t)(int64_t)fde, pc);
}

typedef struct find_ctx {
    uint64_t pc;
    ls_cfi_rule rule;
    bool first;
    unsigned long long subs;
} find_ctx;

static int find_module(struct dl_phdr_info *info, size_t size, void *data)
{
    find_ctx *f = data;
    if (f->first) {
        f->first = false;
        if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs)
            f->subs = info->dlpi_subs;
    }
    module m = { .nsegs = 0 };
    const ElfW(Phdr) *eh = NULL;
    bool inside = false;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_GNU_EH_FRAME) {
            eh = ph;
        } else if (ph->p_type == PT_LOAD) {
            uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
            if (f->pc >= lo && f->pc < hi && (ph->p_flags & PF_X))
                inside = true;
            if ((ph->p_flags & PF_R) && m.nsegs < MAX_SEGS) {
                m.lo[m.nsegs] = lo;
                m.hi[m.nsegs] = hi;
                m.nsegs++;
            }
        }
    }
    if (!inside)
        return 0;
    if (eh)
        f->rule = rule_from_hdr(&m, info->dlpi_addr + eh->p_vaddr, eh->p_memsz, f->pc);
    return 1;
}

bool ls_cfi_lookup(ls_cfi_cache *c, uint64_t pc, ls_cfi_rule *out)
{
    find_ctx f = { pc, { 0, 0, LS_CFI_UNSUPPORTED, 0 }, true, 0 };
    dl_iterate_phdr(find_module, &f);
    if (c) {
        unsigned long long seen = f.subs + 1; /* 0: no miss yet */
        if (c->subs != seen) {
            /* An object was unloaded since the last miss: rules cached for
             * its addresses may be stale (API-only mode has no dlclose hook). */
            if (c->subs)
                clear_slots(c);
            c->subs = seen;
        }
        c->misses++;
    }
    *out = f.rule;
    return f.rule.kind != LS_CFI_UNSUPPORTED;
}

void ls_cfi_cache_put(ls_cfi_cache *c, uint64_t key, ls_cfi_rule rule)
{
    cache_set(c, key, rule);
    c->suffix[0].n = c->suffix[1].n = 0; /* walked with the rule it replaced */
    known_clear(c);
}

/* ---- the walk ---- */

uint64_t ls_cfi_fixed_lo, ls_cfi_fixed_hi;

static __attribute__((noinline)) ls_cfi_rule miss(ls_cfi_cache *c, uint64_t key)
{
    ls_cfi_rule r;
    ls_cfi_lookup(c, key, &r);
    cache_set(c, key, r);
    return r;
}

/* Stack words are read raw (recorder-private.h). */
#define LOAD_WORD LS_LOAD_WORD

/* A memo of the leading frames that matches this stack, or NULL. */
static inline __attribute__((always_inline)) LS_NO_SANITIZE const ls_cfi_memo *
memo_find(ls_cfi_cache *c, const ls_cfi_regs *regs, uint64_t stack_hi)
{
    uint64_t sp0 = regs->rsp;
    uint32_t first = c->memo_last;
    for (uint32_t k = 0; k < LS_CFI_MEMO_ENTRIES; k++) {
        uint32_t e = (first + k) % LS_CFI_MEMO_ENTRIES;
        const ls_cfi_memo *m = &c->memo[e];
        if (m->start != regs->rip || m->sp_off > stack_hi - sp0)
            continue; /* every read below lies under sp0 + sp_off */
        bool same = true;
        for (uint32_t i = 0; i < m->nra && same; i++) {
            uint64_t ra;
            LOAD_WORD(sp0 + m->ra_off[i], ra);
            same = ra == m->ra[i];
        }
        if (same) {
            c->memo_last = e;
            return m;
        }
    }
    return NULL;
}

/* Suffix flags (ls_cfi_suffix.need_bp while a walk fills it). */
enum { USES_BP = 1, LOADS_BP = 2 };

/* Whether the walk from a frame with flags f on used the RBP it had at that
 * frame, given whether the walk from the next frame on used its own. */
static inline bool rbp_needed(uint8_t f, bool next_needed) { return (f & USES_BP) || (!(f & LOADS_BP) && next_needed); }

/* The words the last walk read from frame j on are where they were. */
static inline __attribute__((always_inline)) LS_NO_SANITIZE bool suffix_same(const ls_cfi_suffix *s, uint32_t j)
{
    uint64_t diff = 0;
    uint32_t i = s->first_read[j];
    if (i < s->nreads) {
        /* This frame's return address first: where another stack that met
         * this frame parts from the record. */
        LOAD_WORD(s->read_at[i], diff);
        if (diff != s->read_val[i])
            return false;
        diff = 0;
        i++;
    }
    for (; i < s->nreads; i++) {
        uint64_t v;
        LOAD_WORD(s->read_at[i], v);
        diff |= v ^ s->read_val[i];
    }
    return diff == 0;
}

/* A walk that ended by itself or at `max` frames: its record becomes the
 * last walk's, each frame's flags turned into "the rest used this frame's
 * RBP". */
static inline __attribute__((always_inline)) int suffix_done(ls_cfi_cache *c, ls_cfi_suffix *cur, bool saving,
                                                              uint32_t n, bool at_max)
{
    if (saving && cur->n) {
        cur->at_max = at_max;
        bool need = false;
        for (uint32_t k = cur->n; k-- > 0;) {
            uint8_t f = (uint8_t)cur->need_bp[k];
            need = rbp_needed(f, need);
            cur->need_bp[k] = need;
        }
        cur->id = 0;
        c->suffix_last ^= 1;
        c->fresh = true;
        c->partial_hash = 0; /* no run of partial walks */
    }
    return (int)n;
}

/* Makes the record being filled (frames of this walk up to where it met
 * the last walk's record at frame j) into a whole one with the last record's
 * frames from j on, and the last walk's record. */
static __attribute__((noinline)) void adopt(ls_cfi_cache *c, ls_cfi_suffix *cur, const ls_cfi_suffix *prev,
                                            uint32_t j)
{
    uint32_t k = cur->n, r0 = prev->first_read[j];
    /* The own frames' flags as suffix_done turns them, from the junction. */
    bool need = prev->need_bp[j];
    for (uint32_t i = k; i-- > 0;) {
        uint8_t f = (uint8_t)cur->need_bp[i];
        need = rbp_needed(f, need);
        cur->need_bp[i] = need;
    }
    for (uint32_t i = j; i < prev->n; i++, k++) {
        cur->pc[k] = prev->pc[i];
        cur->sp[k] = prev->sp[i];
        cur->bp[k] = prev->bp[i];
        cur->need_bp[k] = prev->need_bp[i];
        cur->first_read[k] = (uint16_t)(prev->first_read[i] - r0 + cur->nreads);
    }
    for (uint32_t i = r0; i < prev->nreads; i++) {
        cur->read_at[cur->nreads] = prev->read_at[i];
        cur->read_val[cur->nreads++] = prev->read_val[i];
    }
    cur->n = k;
    cur->at_max = prev->at_max;
    cur->id = 0;
    c->suffix_last ^= 1;
    c->fresh = true;
}

/* The walk (see ls_cfi_walk). may_miss: false for a walk that must take no
 * lock (the miss path takes the loader's): it returns LS_CFI_MISS instead. */
static inline __attribute__((always_inline)) LS_NO_SANITIZE int
walk(ls_cfi_cache *c, const ls_cfi_regs *regs, uint64_t stack_hi, uint64_t skip_lo, uint64_t skip_hi,
     bool may_miss, uint64_t *frames, uint32_t max, uint32_t tag, uint32_t *id)
{
    c->fresh = false;
    uint64_t pc = regs->rip, sp = regs->rsp, bp = regs->rbp;
    uint64_t key = pc; /* the first frame's pc is exact; return addresses are looked up at pc-1 */
    uint32_t n = 0;
    c->partial_j = 0;
    if (max == 0)
        return 0;
    if (sp >= stack_hi || stack_hi - sp < 8)
        return LS_CFI_FALLBACK;
    /* The leading frames to leave out: from a memo, else note them for one. */
    ls_cfi_memo note; /* only its fields that are set are read (not zeroed: a walk's hottest cost) */
    note.nra = 0;
    bool noting = false;
    if (skip_lo < skip_hi && pc >= skip_lo && pc < skip_hi) {
        const ls_cfi_memo *m = memo_find(c, regs, stack_hi);
        if (m) {
            c->memo_hits++;
            pc = m->ra[m->nra - 1];
            if (m->rbp_off >= 0)
                LOAD_WORD(sp + (uint64_t)m->rbp_off, bp);
            sp += m->sp_off;
            key = pc - 1;
            /* The usual case first: the first frame kept is the record's
             * first, and the record is named (the checks of the loop below,
             * without setting up a record). */
            const ls_cfi_suffix *last = &c->suffix[c->suffix_last];
            if (id && last->id && last->tag == tag && last->stack_hi == stack_hi && last->n && last->n <= max &&
                last->pc[0] == pc && last->sp[0] == sp && (!last->need_bp[0] || last->bp[0] == bp) &&
                suffix_same(last, 0)) {
                c->suffix_hits++;
                c->partial_hash = 0; /* no run of partial walks */
                *id = last->id;
                return (int)last->n;
            }
        } else {
            noting = true;
            note.start = pc;
            note.rbp_off = -1;
        }
    }
    /* The last walk saved, and this walk's record. */
    const ls_cfi_suffix *prev = &c->suffix[c->suffix_last];
    ls_cfi_suffix *cur = &c->suffix[c->suffix_last ^ 1];
    uint32_t j = prev->stack_hi == stack_hi ? 0 : prev->n; /* prev's first frame not below sp */
    bool saving = true;
    cur->n = cur->nreads = 0;
    cur->stack_hi = stack_hi;
    for (;;) {
        if (LS_LIKELY(n || pc < skip_lo || pc >= skip_hi)) {
            if (LS_UNLIKELY(noting)) {
                /* The first frame kept: the memo is complete. */
                noting = false;
                if (note.nra) {
                    note.sp_off = (uint32_t)(sp - regs->rsp);
                    c->memo[c->memo_next] = note;
                    c->memo_last = c->memo_next;
                    c->memo_next = (c->memo_next + 1) % LS_CFI_MEMO_ENTRIES;
                }
            }
            /* Frames' stack pointers only grow: prev's frames below this
             * one are behind us for good. */
            while (j < prev->n && prev->sp[j] < sp)
                j++;
            /* A last walk cut at its `max` has this walk's frames only as
             * far as it went: enough if this one reaches its own max. */
            if (j < prev->n && prev->sp[j] == sp && prev->pc[j] == pc && (!prev->need_bp[j] || prev->bp[j] == bp) &&
                (!prev->at_max || n + (prev->n - j) >= max) && suffix_same(prev, j)) {
                c->suffix_hits++;
                if (n == 0 && j == 0 && prev->n <= max) {
                    /* The whole last walk: named, no frames to store; else
                     * the frames returned are its record's, to name. */
                    c->partial_hash = 0; /* no run of partial walks */
                    if (id && prev->id && prev->tag == tag) {
                        *id = prev->id;
                        return (int)prev->n;
                    }
                    c->fresh = true;
                } else if (n && saving && cur->n == n && n + (prev->n - j) <= max &&
                           n + (prev->n - j) <= LS_CFI_SUFFIX_FRAMES) {
                    c->partial_j = j + 1; /* its frames: cur's, then prev's from j (to name) */
                    /* Frames of its own, then the last walk's: the third
                     * time in a row with the same frames of its own (by a
                     * hash: a collision only makes a record sooner), this
                     * stack becomes the record (a loop's stack, to be
                     * named). Not sooner: stacks that take turns would
                     * keep replacing it. */
                    uint64_t h = cur->sp[0] ^ (uint64_t)j << 48;
                    for (uint32_t k = 0; k < n; k++)
                        h = (h ^ frames[k]) * 0x9E3779B97F4A7C15ull;
                    c->partial_run = h == c->partial_hash ? c->partial_run + 1 : 0;
                    c->partial_hash = h;
                    if (c->partial_run >= 2)
                        adopt(c, cur, prev, j);
                }
                for (; j < prev->n && n < max; j++)
                    frames[n++] = prev->pc[j];
                return (int)n;
            }
            if (saving) {
                uint32_t k = cur->n;
                if (k == LS_CFI_SUFFIX_FRAMES) {
                    saving = false;
                } else {
                    cur->pc[k] = pc;
                    cur->sp[k] = sp;
                    cur->bp[k] = bp;
                    cur->first_read[k] = (uint16_t)cur->nreads;
                    cur->need_bp[k] = 0;
                    cur->n = k + 1;
                }
            }
            frames[n++] = pc;
            if (n == max)
                return suffix_done(c, cur, saving, n, true);
        }
        ls_cfi_rule r;
        if (LS_UNLIKELY(!cache_get(c, key, &r))) {
            if (!may_miss) {
                c->pending = key;
                return LS_CFI_MISS;
            }
            r = miss(c, key);
        }
        if (LS_UNLIKELY(r.kind != LS_CFI_CFA_RSP && r.kind != LS_CFI_CFA_RBP)) {
            if (r.kind == LS_CFI_END)
                return suffix_done(c, cur, saving, n, false);
            return LS_CFI_FALLBACK;
        }
        /* Saving: two words per frame at most (the return address, the
         * saved RBP), so the reads fit while the frames do. */
        bool kept = saving && n && cur->n;
        if (kept && r.kind == LS_CFI_CFA_RBP)
            cur->need_bp[cur->n - 1] |= USES_BP;
        uint64_t cfa = (r.kind == LS_CFI_CFA_RSP ? sp : bp) + (uint64_t)(int64_t)r.cfa_off;
        /* The return address at CFA-8 must lie in [sp, stack_hi); the CFA
         * becomes the caller's sp, so sp grows by 8 at least each frame. */
        if (LS_UNLIKELY(cfa < sp + 8 || cfa > stack_hi)) {
            c->truncated++;
            return suffix_done(c, cur, saving, n, false);
        }
        uint64_t ra;
        LOAD_WORD(cfa - 8, ra);
        if (kept) {
            cur->read_at[cur->nreads] = cfa - 8;
            cur->read_val[cur->nreads++] = ra;
        }
        if (r.rbp_saved) {
            uint64_t at = cfa + (uint64_t)(int64_t)r.rbp_off;
            if (LS_UNLIKELY(at < sp || at > stack_hi - 8)) {
                c->truncated++;
                return suffix_done(c, cur, saving, n, false);
            }
            LOAD_WORD(at, bp);
            if (kept) {
                cur->need_bp[cur->n - 1] |= LOADS_BP;
                cur->read_at[cur->nreads] = at;
                cur->read_val[cur->nreads++] = bp;
            }
            if (LS_UNLIKELY(noting)) {
                if (at + 8 > cfa)
                    noting = false; /* outside its frame: a memo reads below sp0 + sp_off only */
                note.rbp_off = (int32_t)(at - regs->rsp);
            }
        }
        if (LS_UNLIKELY(noting)) {
            /* Only frames whose offsets are constant: a CFA on RSP, or on
             * RBP in code known to have frames of a fixed size. */
            bool fixed = r.kind == LS_CFI_CFA_RSP || (pc >= ls_cfi_fixed_lo && pc < ls_cfi_fixed_hi);
            if (!fixed || note.nra == LS_CFI_MEMO_FRAMES || cfa - regs->rsp > (1u << 30)) {
                noting = false;
            } else {
                note.ra_off[note.nra] = (uint32_t)(cfa - 8 - regs->rsp);
                note.ra[note.nra++] = ra;
            }
        }
        sp = cfa;
        pc = ra;
        if (pc == 0)
            return suffix_done(c, cur, saving, n, false);
        key = pc - 1;
    }
}

LS_NO_SANITIZE int ls_cfi_walk(ls_cfi_cache *c, const ls_cfi_regs *regs, uint64_t stack_hi, uint64_t skip_lo,
                               uint64_t skip_hi, uint64_t *frames, uint32_t max)
{
    return walk(c, regs, stack_hi, skip_lo, skip_hi, true, frames, max, 0, NULL);
}

LS_NO_SANITIZE int ls_cfi_walk_cached(ls_cfi_cache *c, const ls_cfi_regs *regs, uint64_t stack_hi,
                                      uint64_t skip_lo, uint64_t skip_hi, uint64_t *frames, uint32_t max)
{
    return walk(c, regs, stack_hi, skip_lo, skip_hi, false, frames, max, 0, NULL);
}

LS_NO_SANITIZE int ls_cfi_walk_cached_id(ls_cfi_cache *c, const ls_cfi_regs *regs, uint64_t stack_hi,
                                         uint64_t skip_lo, uint64_t skip_hi, uint64_t *frames, uint32_t max,
                                         uint32_t tag, uint32_t *id)
{
    *id = 0;
    return walk(c, regs, stack_hi, skip_lo, skip_hi, false, frames, max, tag, id);
}

LS_NO_SANITIZE uint32_t ls_cfi_known(ls_cfi_cache *c, uint64_t pc, uint64_t sp, uint64_t bp, bool bp_known,
                                     uint32_t tag, uint32_t max)
{
    return ls_cfi_known_find(c, pc, sp, bp, bp_known, tag, max);
}

/* Keeps the frames the last walk returned as the known stack `id`: the
 * record's (fresh), or this walk's own frames then the record's from
 * partial_j - 1. Of the words the walk read, the return addresses and the
 * saved RBPs that a later frame used: another RBP saved where one went
 * unused (a loop counter in a caller's RBP) is the same stack. */
static void known_put(ls_cfi_cache *c, uint32_t tag, uint32_t id)
{
    const ls_cfi_suffix *rec = &c->suffix[c->suffix_last], *head = NULL;
    uint32_t j = 0, nh = 0;
    bool need_head[LS_CFI_SUFFIX_FRAMES]; /* the rest used RBP at head frame k */
    if (!c->fresh) {
        if (!c->partial_j)
            return;
        head = &c->suffix[c->suffix_last ^ 1];
        j = c->partial_j - 1;
        nh = head->n;
        /* The flags of its own frames as suffix_done would turn them. */
        bool need = j < rec->n && rec->need_bp[j];
        for (uint32_t k = nh; k-- > 0;) {
            uint8_t f = (uint8_t)head->need_bp[k];
            need = rbp_needed(f, need);
            need_head[k] = need;
        }
    }
    if (!rec->n || j >= rec->n || (head && !nh))
        return;
    uint32_t frames = nh + (rec->n - j);
    uint32_t h = ls_cfi_known_hint(head ? head->pc[0] : rec->pc[0], head ? head->sp[0] : rec->sp[0]), s = h >> 4;
    uint32_t w = c->known_next[s];
    c->known_next[s] = (w + 1) % LS_CFI_KNOWN_WAYS;
    ls_cfi_known_stack *e = &c->known[s][w];
    e->id = 0;
    e->nreads = 0;
    for (uint32_t f = 0; f < frames; f++) {
        const ls_cfi_suffix *src = f < nh ? head : rec;
        uint32_t i = f < nh ? f : j + (f - nh);
        uint32_t from = src->first_read[i], to = i + 1 < src->n ? src->first_read[i + 1] : src->nreads;
        bool need_next = f + 1 < frames && (f + 1 < nh ? need_head[f + 1] : rec->need_bp[j + (f + 1 - nh)]);
        /* A frame's reads: its return address, then its saved RBP, if any. */
        for (uint32_t r = from; r < to; r++) {
            if (r > from && !need_next)
                continue;
            if (e->nreads == LS_CFI_KNOWN_READS)
                return; /* too deep to keep (id 0: empty) */
            e->read[e->nreads].at = src->read_at[r];
            e->read[e->nreads++].val = src->read_val[r];
        }
    }
    e->pc = head ? head->pc[0] : rec->pc[0];
    e->sp = head ? head->sp[0] : rec->sp[0];
    e->bp = head ? head->bp[0] : rec->bp[0];
    e->need_bp = head ? need_head[0] : rec->need_bp[0];
    e->n = frames;
    e->tag = tag;
    e->id = id;
    c->known_hint[h] = (uint8_t)w;
    if (e->nreads)
        c->known_hint_ra[ls_cfi_known_hint_ra(s, e->pc, e->sp, e->read[0].val)] = (uint8_t)w;
}

void ls_cfi_name_last(ls_cfi_cache *c, uint32_t tag, uint32_t id)
{
    known_put(c, tag, id);
    if (c->fresh) {
        ls_cfi_suffix *last = &c->suffix[c->suffix_last];
        last->id = id;
        last->tag = tag;
    }
}

__attribute__((noinline)) int ls_cfi_backtrace(ls_cfi_cache *c, uint64_t *frames, uint32_t max)
{
    ls_cfi_regs regs;
    LS_CFI_HERE(regs);
    if (regs.rsp < c->stack_lo || regs.rsp >= c->stack_hi)
        return LS_CFI_FALLBACK; /* another stack: a signal stack, a coroutine's */
    int n = ls_cfi_walk(c, &regs, c->stack_hi, regs.rip, regs.rip + 1, frames, max);
    /* Not a tail call: the walk reads this frame, which must stay in place. */
    __asm__ volatile("" ::: "memory");
    return n;
}

#endif /* LS_HAVE_CFI */

/* cfi.h — what cfi.c shares with the rest of the recorder. Not installed;
 * included through recorder-private.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RECORDER_CFI_H
#define LEAKSCOPE_RECORDER_CFI_H

/* ---- cfi.c: the x86_64 DWARF CFI stack walker ---- */

#if defined(__x86_64__)
#define LS_HAVE_CFI 1
#else
#define LS_HAVE_CFI 0
#endif

#if LS_HAVE_CFI

#if defined(__clang__) || __GNUC__ >= 8
#define LS_NO_SANITIZE __attribute__((no_sanitize("address", "thread", "undefined")))
#else
#define LS_NO_SANITIZE
#endif

/* How one frame is unwound (see cfi.c). kind 0 is "unsupported", so that an
 * empty cache slot never passes for a rule. */
enum { LS_CFI_UNSUPPORTED = 0, LS_CFI_CFA_RSP, LS_CFI_CFA_RBP, LS_CFI_END };

typedef struct ls_cfi_rule {
    int32_t cfa_off;       /* CFA = RSP or RBP + cfa_off; the return address is at CFA-8 */
    int16_t rbp_off;       /* rbp_saved: the caller's RBP is at CFA+rbp_off, else unchanged */
    uint8_t kind;          /* LS_CFI_* */
    uint8_t rbp_saved;
} ls_cfi_rule;

_Static_assert(sizeof(ls_cfi_rule) == 8, "a rule is one load");

#define LS_CFI_BITS 12
#define LS_CFI_ENTRIES (1u << LS_CFI_BITS)

typedef struct ls_cfi_slot {
    _Alignas(16) uint64_t key;
    ls_cfi_rule rule;
} ls_cfi_slot;
_Static_assert(sizeof(ls_cfi_slot) == 16, "a set of two ways is half a cache line");

/* The leading frames a walk leaves out (the recorder's own), as they were:
 * where each return address was read (from the first stack pointer) and
 * what it was. A walk from the same place that reads the same return
 * addresses there goes through the same rules to the same offsets, so it
 * can check them all at once (no chain of dependent loads) and resume at
 * the first frame it keeps. */
#define LS_CFI_MEMO_ENTRIES 8
#define LS_CFI_MEMO_FRAMES 8
typedef struct ls_cfi_memo {
    uint64_t start;        /* the walk's first pc; 0: empty */
    uint64_t ra[LS_CFI_MEMO_FRAMES]; /* the return addresses read; the last is the first frame kept */
    uint32_t ra_off[LS_CFI_MEMO_FRAMES];
    uint32_t nra;
    uint32_t sp_off;       /* the kept frame's stack pointer */
    int32_t rbp_off;       /* where its RBP was read; -1: the walk's first RBP */
} ls_cfi_memo;

/* What a walk saw at each frame it kept:
 * the frame's pc, stack pointer and RBP, and the stack words the rest of the
 * walk read from there (return addresses, saved RBPs). A later walk that
 * reaches a frame with the same pc and stack pointer (and the same RBP, if
 * the rest used it) and finds the same words at the same places would go
 * through the same rules to the same frames: it checks the words (loads
 * independent of each other) instead of walking on. Consecutive captures of
 * a program share their outer frames; these are the deep part of a stack. */
#define LS_CFI_SUFFIX_FRAMES 128
typedef struct ls_cfi_suffix {
    uint32_t n;            /* frames; 0: nothing to reuse */
    uint32_t nreads;
    uint64_t stack_hi;     /* the bound the walk checked its reads against */
    bool at_max;           /* the walk stopped at its `max` frames, not by itself */
    uint32_t id, tag;      /* what the caller named these frames (ls_cfi_name_last); id 0: nothing */
    uint64_t pc[LS_CFI_SUFFIX_FRAMES], sp[LS_CFI_SUFFIX_FRAMES], bp[LS_CFI_SUFFIX_FRAMES];
    uint16_t first_read[LS_CFI_SUFFIX_FRAMES]; /* the reads made at this frame and after it */
    uint8_t need_bp[LS_CFI_SUFFIX_FRAMES];      /* the rest of the walk used this frame's RBP */
    uint64_t read_at[2 * LS_CFI_SUFFIX_FRAMES], read_val[2 * LS_CFI_SUFFIX_FRAMES];
} ls_cfi_suffix;

/* Stacks a thread has named, found again from their first frame without a
 * walk (ls_cfi_known): the first frame, and every stack word the walk read
 * from there (a stack reads at most two words a frame: deeper stacks are
 * not kept). Sets by the first frame; in a set, ways told apart by the
 * first return address (call sites behind one allocating function). */
#define LS_CFI_KNOWN_SETS 4
#define LS_CFI_KNOWN_WAYS 8
#define LS_CFI_KNOWN_READS 48
#define LS_CFI_KNOWN_HINTS 64
typedef struct ls_cfi_known_stack {
    _Alignas(64) uint32_t id, tag; /* id 0: empty */
    uint64_t pc, sp, bp;   /* the first frame */
    bool need_bp;          /* the walk used its RBP */
    uint32_t n, nreads;
    /* Each word next to where it was read: a short stack's check touches
     * the entry's first two cache lines only. */
    struct { uint64_t at, val; } read[LS_CFI_KNOWN_READS];
} ls_cfi_known_stack;

/* One thread's cache (from ls_map: this runs inside the malloc interposer). */
typedef struct ls_cfi_cache {
    uint32_t gen;          /* ls_cfi_gen when last cleared */
    unsigned long long subs; /* the loader's unload count at the last miss + 1; 0: none yet */
    uint64_t stack_lo, stack_hi; /* the thread's stack; 0, 0: unknown */
    uint64_t captures, fallbacks, truncated, misses; /* owner only; reported by unwind.c */
    uint64_t pending;      /* the key a cached-only walk missed; 0: none */
    uint64_t memo_hits;    /* walks that resumed from a memo (tests) */
    uint32_t memo_last, memo_next;
    ls_cfi_memo memo[LS_CFI_MEMO_ENTRIES];
    uint64_t suffix_hits;  /* walks that ended on the last walk's frames (tests) */
    uint32_t suffix_last;  /* which of the two is the last walk's; the other is being filled */
    bool fresh;            /* the last walk record holds just the frames the last walk returned */
    uint64_t partial_hash; /* own frames of the last walk that ended on the record's frames */
    uint32_t partial_run;  /* walks before it in a row with the same */
    uint32_t partial_j;    /* the last walk ended on the record's frame partial_j - 1 (0: it did not) */
    uint32_t known_next[LS_CFI_KNOWN_SETS]; /* the way each set replaces next */
    /* The way found last for a first frame, by a hash of it whose top bits
     * are its set's number: ways of one set are told apart at once by their
     * first frames (call sites of malloc's callers taking turns), and in
     * the order they came last when those are the same. */
    uint8_t known_hint[LS_CFI_KNOWN_HINTS];
    /* The way found last for a first frame and the first return address
     * (a hash of both, in the first frame's set): of the callers of one
     * allocating function taking turns, the one calling now. */
    uint8_t known_hint_ra[LS_CFI_KNOWN_HINTS];
    ls_cfi_known_stack known[LS_CFI_KNOWN_SETS][LS_CFI_KNOWN_WAYS];
    ls_cfi_suffix suffix[2];
    /* Two-way sets (slots 2k, 2k+1, one cache line): the rule for address
     * slots[i].key is slots[i].rule; key 0: empty. */
    _Alignas(4096) ls_cfi_slot slots[LS_CFI_ENTRIES];
} ls_cfi_cache;

/* Registers of the frame a walk starts from; rip is the address executing
 * (not a return address). */
typedef struct ls_cfi_regs {
    uint64_t rip, rsp, rbp;
} ls_cfi_regs;

#define LS_CFI_FALLBACK (-1)
#define LS_CFI_MISS (-2)

/* The registers of the calling function as they are at this point (its CFI
 * row there describes them): the place a walk starts from. */
#define LS_CFI_HERE(regs)                                                     \
    __asm__ volatile("leaq 0(%%rip), %0\n\t"                                 \
                     "movq %%rsp, %1\n\t"                                    \
                     "movq %%rbp, %2"                                         \
                     : "=&r"((regs).rip), "=&r"((regs).rsp), "=&r"((regs).rbp))

/* Code whose frames all have a fixed size (no VLA, no alloca), so that a
 * memo of leading frames may include those whose CFA is on RBP: the
 * recorder's own (built with -Wvla; its entry points that hand over their
 * caller's frame have a frame pointer), except under ASan. Set once, before
 * the first walk (unwind.c). */
extern uint64_t ls_cfi_fixed_lo, ls_cfi_fixed_hi;

/* Bumped when code may have been unloaded; caches of another generation are
 * cleared before use (ls_cfi_cache_sync). */
extern uint32_t ls_cfi_gen;
void ls_cfi_invalidate(void);

/* A cache for the calling thread, with its stack bounds; NULL when out of
 * memory. Free it on the same thread. */
ls_cfi_cache *ls_cfi_cache_new(void);
void ls_cfi_cache_free(ls_cfi_cache *c);
/* Clears the cache if code was unloaded since it was last used. */
void ls_cfi_cache_sync(ls_cfi_cache *c);

/* Walks the stack described by `regs`, reading only words in
 * [regs->rsp, stack_hi). Stores up to `max` frames, innermost first
 * (frames[0] = regs->rip), except the leading frames whose address lies in
 * [skip_lo, skip_hi). Returns how many, or LS_CFI_FALLBACK when a frame
 * needs another unwinder. Ends at an outermost frame, a zero return
 * address, `max`, or a frame that would leave the stack (counted in
 * c->truncated). Never faults, always ends. */
int ls_cfi_walk(ls_cfi_cache *c, const ls_cfi_regs *regs, uint64_t stack_hi, uint64_t skip_lo, uint64_t skip_hi,
                uint64_t *frames, uint32_t max);
/* The same over cached rules only: takes no lock, and returns LS_CFI_MISS
 * where a rule would have to be looked up (its key is left in c->pending). */
int ls_cfi_walk_cached(ls_cfi_cache *c, const ls_cfi_regs *regs, uint64_t stack_hi, uint64_t skip_lo,
                       uint64_t skip_hi, uint64_t *frames, uint32_t max);

/* ls_cfi_walk_cached, which also recognizes a stack it has named: when the
 * walk finds the very frames of the last walk record (its first frame on),
 * and the caller named those (ls_cfi_name_last) under `tag`, it stores no
 * frames, sets *id to that name and returns their number; else *id = 0 and
 * it is ls_cfi_walk_cached. (The recorder names a stack by its dictionary
 * id: an allocation loop's repeated stack costs the check of its words.) */
int ls_cfi_walk_cached_id(ls_cfi_cache *c, const ls_cfi_regs *regs, uint64_t stack_hi, uint64_t skip_lo,
                          uint64_t skip_hi, uint64_t *frames, uint32_t max, uint32_t tag, uint32_t *id);
/* ls_unwind_known on the cache c (see there; ls_cfi_known_find inline). */
uint32_t ls_cfi_known(ls_cfi_cache *c, uint64_t pc, uint64_t sp, uint64_t bp, bool bp_known, uint32_t tag,
                      uint32_t max);
/* Names the frames the last walk returned, if they are its record's (it
 * walked them itself, or found all of the last record's; not fallen back,
 * not partly another walk's): `id` under `tag`. */
void ls_cfi_name_last(ls_cfi_cache *c, uint32_t tag, uint32_t id);

/* The calling thread's stack, like unw_backtrace (frames[0] is the return
 * address into the caller), with the CFI walker only: LS_CFI_FALLBACK when
 * it cannot, or when the stack pointer is outside c's stack bounds. */
int ls_cfi_backtrace(ls_cfi_cache *c, uint64_t *frames, uint32_t max);

/* The rule for code at `pc` (a return address - 1, or an exact address),
 * computed from the module's unwind tables, not cached. `c` (may be NULL):
 * cleared if objects were unloaded since its last miss. False: unsupported. */
bool ls_cfi_lookup(ls_cfi_cache *c, uint64_t pc, ls_cfi_rule *out);

/* Tests: places `rule` in the cache for `key` (a synthetic rule, so that a
 * walk's own checks can be exercised with rules no FDE would give). */
void ls_cfi_cache_put(ls_cfi_cache *c, uint64_t key, ls_cfi_rule rule);

/* Stack words are read raw: a sanitizer must not instrument these loads (a
 * word of another frame can lie in what it considers a red zone), and the
 * bounds are checked explicitly. memcpy: a CFA from a bad RBP may be
 * misaligned. */
#define LS_LOAD_WORD(addr, out) __builtin_memcpy(&(out), (const void *)(uintptr_t)(addr), 8)

/* The hint slot of a first frame; its set of c->known is its top bits. */
static inline uint32_t ls_cfi_known_hint(uint64_t pc, uint64_t sp)
{
    _Static_assert(LS_CFI_KNOWN_HINTS == 64 && LS_CFI_KNOWN_SETS == 4, "6 bits of hash, the top 2 the set");
    return (uint32_t)(((pc ^ sp) * 0x9E3779B97F4A7C15ull) >> 58);
}

static inline uint32_t ls_cfi_known_set(uint64_t pc, uint64_t sp) { return ls_cfi_known_hint(pc, sp) >> 4; }

/* The hint slot of a first frame of set s and its first return address. */
static inline uint32_t ls_cfi_known_hint_ra(uint32_t s, uint64_t pc, uint64_t sp, uint64_t ra)
{
    return s << 4 | (uint32_t)(((pc ^ sp ^ ra) * 0x9E3779B97F4A7C15ull) >> 60);
}

/* Entry e of the known table is the stack whose first frame is this one. */
static inline __attribute__((always_inline)) LS_NO_SANITIZE bool ls_cfi_known_same(const ls_cfi_known_stack *e,
                                                                                  uint64_t pc, uint64_t sp,
                                                                                  uint64_t bp, bool bp_known,
                                                                                  uint32_t tag, uint32_t max)
{
    if (e->pc != pc || e->sp != sp || !e->id)
        return false;
    /* The first return address tells apart the ways of one first frame
     * (the callers of one allocating function): checked before the rest. */
    uint64_t diff = 0;
    if (e->nreads) {
        LS_LOAD_WORD(e->read[0].at, diff);
        if (diff != e->read[0].val)
            return false;
        diff = 0;
    }
    if (e->tag != tag || e->n > max || (e->need_bp && (!bp_known || bp != e->bp)))
        return false;
    for (uint32_t i = 1; i < e->nreads; i++) {
        uint64_t v;
        LS_LOAD_WORD(e->read[i].at, v);
        diff |= v ^ e->read[i].val;
    }
    return diff == 0;
}

/* ls_cfi_known itself, inline: the allocation entry points call it for
 * every allocation (not always_inline: a sanitized caller keeps the call). */
static inline LS_NO_SANITIZE uint32_t ls_cfi_known_find(ls_cfi_cache *c, uint64_t pc, uint64_t sp, uint64_t bp,
                                                        bool bp_known, uint32_t tag, uint32_t max)
{
    if (LS_UNLIKELY(c->gen != __atomic_load_n(&ls_cfi_gen, __ATOMIC_ACQUIRE)))
        ls_cfi_cache_sync(c); /* code unloaded: the table is cleared */
    /* sp inside the thread's stack: an entry with this first frame read
     * only above sp, in the stack. */
    if (sp < c->stack_lo || sp >= c->stack_hi)
        return 0;
    uint32_t h = ls_cfi_known_hint(pc, sp), s = h >> 4, hit = c->known_hint[h] % LS_CFI_KNOWN_WAYS;
    const ls_cfi_known_stack *set = c->known[s];
    /* The way this first frame found last first: a loop's stack, or the
     * last of those taking turns behind it. */
    const ls_cfi_known_stack *e = &set[hit];
    if (LS_LIKELY(ls_cfi_known_same(e, pc, sp, bp, bp_known, tag, max))) {
        c->suffix_hits++;
        return e->id;
    }
    /* Another caller behind the same first frame: its way by the first
     * return address, read where that way read it (a guess, checked). */
    uint32_t hr = LS_CFI_KNOWN_HINTS;
    if (e->pc == pc && e->sp == sp && e->id && e->nreads) {
        uint64_t ra;
        LS_LOAD_WORD(e->read[0].at, ra);
        hr = ls_cfi_known_hint_ra(s, pc, sp, ra);
        uint32_t w = c->known_hint_ra[hr] % LS_CFI_KNOWN_WAYS;
        if (w != hit && ls_cfi_known_same(&set[w], pc, sp, bp, bp_known, tag, max)) {
            c->known_hint[h] = (uint8_t)w;
            c->suffix_hits++;
            return set[w].id;
        }
    }
    for (uint32_t w = 0; w < LS_CFI_KNOWN_WAYS; w++) {
        if (w == hit || !ls_cfi_known_same(&set[w], pc, sp, bp, bp_known, tag, max))
            continue;
        c->known_hint[h] = (uint8_t)w;
        if (hr < LS_CFI_KNOWN_HINTS)
            c->known_hint_ra[hr] = (uint8_t)w;
        c->suffix_hits++;
        return set[w].id;
    }
    return 0;
}

/* unwind.c's: the calling thread's cache (NULL: it has not walked yet), and
 * whether every stack goes to libunwind. */
extern __thread ls_cfi_cache *ls_unwind_tls_cfi __attribute__((tls_model("initial-exec")));
extern bool ls_unwind_libunwind_only;

#endif /* LS_HAVE_CFI */

/* ls_unwind_known: inline, as the allocation entry points call it for
 * every allocation. */
static inline uint32_t ls_unwind_known(uint64_t pc, uint64_t sp, uint64_t bp, bool bp_known, uint32_t tag,
                                       uint32_t max)
{
#if LS_HAVE_CFI
    ls_cfi_cache *c = ls_unwind_tls_cfi; /* none: this thread has not walked yet */
    if (!c || __atomic_load_n(&ls_unwind_libunwind_only, __ATOMIC_RELAXED))
        return 0;
    return ls_cfi_known_find(c, pc, sp, bp, bp_known, tag, max > TRACE_STACK_DEPTH_MAX ? TRACE_STACK_DEPTH_MAX : max);
#else
    (void)pc;
    (void)sp;
    (void)bp;
    (void)bp_known;
    (void)tag;
    (void)max;
    return 0;
#endif
}

#endif

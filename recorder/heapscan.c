/* heapscan.c — the heap graph (FORMAT.md §4.4): the map of live blocks,
 * kept by the writer thread from every event it writes (the recording
 * threads pay nothing for it), and the scan that turns it into a snapshot.
 *
 * Everything here runs on the writer thread but ls_scan_request_init (the
 * asking thread). Memory comes from ls_map, never from the program's
 * allocator; the program's memory is read only with process_vm_readv on our
 * own pid, which returns EFAULT for an unmapped page instead of faulting:
 * threads still running may free and unmap blocks while they are scanned.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "recorder-private.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- the live map: open addressing, linear probing, no tombstones ---- */

typedef struct live_slot {
    uint64_t addr, size;   /* addr 0: empty */
    uint64_t ts;           /* the record's time (ticks) that made it live, or dead */
    uint32_t tid;          /* and its thread */
    bool dead;             /* a release seen: kept so that an older record of the address is known old */
} live_slot;

/* The writer takes the threads' records thread by thread, not in time order:
 * a block one thread frees and another reuses can come to the map as the
 * reuse first, then the free; a block handed to another thread can come as
 * its free first, then its allocation. Each slot keeps the time and thread
 * of the last record of its address, and a record older than that (in the
 * readers' one order: time, then at equal times within a thread file order,
 * across threads releases first) changes nothing. A release leaves its slot
 * dead rather than empty (emptied, a slot would let an older record of the
 * address that comes later count as new). Dead slots older than the
 * writer's pass before last (every record from before then has been taken)
 * are dropped when they outnumber the live ones, once per pass. */

/* 2^23 slots (256 MiB) hold the format's limit of 2^22 blocks at half load. */
#define LIVE_SLOTS_MIN (1u << 12) /* 128 KiB: a short process touches a few pages */
#define LIVE_SLOTS_MAX (1u << 23)

static struct {
    live_slot *slot;
    size_t cap, count;     /* count: live slots */
    size_t used, dead;     /* slots taken, of them dead */
    uint64_t cut, pass;    /* dead slots older than cut may go; pass: the last pass's time */
    uint64_t purged;       /* the cut of the last purge: one purge per cut (each costs a pass over the table) */
    unsigned shift;        /* 64 - log2(cap) */
    bool incomplete;
} L;

static inline size_t live_home(uint64_t a) { return (size_t)((a >> 3) * 0x9E3779B97F4A7C15ull >> L.shift); }

void ls_live_reset(void)
{
    ls_unmap(L.slot, L.cap * sizeof *L.slot);
    memset(&L, 0, sizeof L);
}

void ls_live_incomplete(void) { L.incomplete = true; }

void ls_live_forget(void) { memset(&L, 0, sizeof L); }

/* ---- The program's own mappings ----
 * Anonymous memory the program maps itself (an arena of its own allocator,
 * CPython's pymalloc, a pool, an interpreter's objects) is neither a block
 * nor a module: a block held only from there would look lost. The
 * interposers tell each anonymous readable and writable mmap the program
 * makes and each munmap (ls_mapped_add, ls_mapped_remove); the C library's
 * malloc maps its arenas and large blocks through internal calls, and the
 * recorder its own memory by system call, so neither is listed. Any thread,
 * under a spin lock held for a few instructions; the list's memory is the
 * recorder's. */
typedef struct mapped_region {
    uint64_t lo, hi;
} mapped_region;

static struct {
    mapped_region *r;
    uint32_t n, cap;
    bool lock;
} MP;

/* Set while this thread holds the lock: an mmap made meanwhile on it (a
 * signal handler's, a sanitizer's report) is not listed rather than wait
 * for itself. */
static __thread bool mapped_held __attribute__((tls_model("initial-exec")));

static bool mapped_lock(void)
{
    if (mapped_held)
        return false;
    while (__atomic_test_and_set(&MP.lock, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&MP.lock, __ATOMIC_RELAXED)) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
    mapped_held = true;
    return true;
}

static void mapped_unlock(void)
{
    mapped_held = false;
    __atomic_clear(&MP.lock, __ATOMIC_RELEASE);
}

/* Room for one more region (lock held). */
static bool mapped_room(void)
{
    if (MP.n < MP.cap)
        return true;
    uint32_t cap = MP.cap ? MP.cap * 2 : 256;
    mapped_region *n = ls_remap(MP.r, MP.cap * sizeof *n, cap * sizeof *n);
    if (!n)
        return false;
    MP.r = n;
    MP.cap = cap;
    return true;
}

/* Takes [lo, hi) out of every region (lock held): trims, splits, drops. */
static void mapped_cut(uint64_t lo, uint64_t hi)
{
    for (uint32_t i = 0; i < MP.n;) {
        mapped_region *g = &MP.r[i];
        if (g->hi <= lo || g->lo >= hi) {
            i++;
        } else if (g->lo >= lo && g->hi <= hi) {
            *g = MP.r[--MP.n];
        } else if (g->lo < lo && g->hi > hi) {
            if (!mapped_room()) { /* no room for the split: keep the part below */
                g->hi = lo;
                i++;
                continue;
            }
            g = &MP.r[i];
            MP.r[MP.n++] = (mapped_region){ hi, g->hi };
            g->hi = lo;
            i++;
        } else {
            if (g->lo < lo)
                g->hi = lo;
            else
                g->lo = hi;
            i++;
        }
    }
}

void ls_mapped_add(uint64_t lo, uint64_t len)
{
    if (!len || lo + len < lo || !mapped_lock())
        return;
    mapped_cut(lo, lo + len); /* MAP_FIXED over an older one */
    if (mapped_room())
        MP.r[MP.n++] = (mapped_region){ lo, lo + len };
    mapped_unlock();
}

void ls_mapped_remove(uint64_t lo, uint64_t len)
{
    uint64_t hi = lo + len < lo ? UINT64_MAX : lo + len;
    if (!mapped_lock())
        return;
    mapped_cut(lo, hi);
    mapped_unlock();
}

void ls_mapped_after_fork(void) { MP.lock = false; }

void ls_live_pass(uint64_t now)
{
    L.cut = L.pass;
    L.pass = now;
}

static inline bool droppable(const live_slot *e) { return e->dead && e->ts < L.cut; }

/* Rehashes into cap slots, leaving out the dead ones that may go. */
static bool live_rehash(size_t cap)
{
    live_slot *n = ls_map(cap * sizeof *n), *old = L.slot;
    if (!n)
        return false;
    size_t old_cap = L.cap;
    L.slot = n;
    L.cap = cap;
    L.shift = 64 - (unsigned)__builtin_ctzll(cap);
    L.used = L.dead = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].addr || droppable(&old[i]))
            continue;
        size_t j = live_home(old[i].addr);
        while (n[j].addr)
            j = (j + 1) & (cap - 1);
        n[j] = old[i];
        L.used++;
        L.dead += old[i].dead;
    }
    ls_unmap(old, old_cap * sizeof *old);
    return true;
}

/* Room for one more slot: dead ones dropped first when they are most (once
 * per cut: a purge that finds them all too new is not tried again until the
 * writer has passed again). */
static bool live_room(void)
{
    if (L.cap && L.dead > L.count + LIVE_SLOTS_MIN && L.purged != L.cut) {
        L.purged = L.cut;
        if (!live_rehash(L.cap))
            return false;
    }
    if ((L.used + 1) * 2 <= L.cap)
        return true;
    size_t cap = L.cap ? L.cap * 2 : LIVE_SLOTS_MIN;
    if (cap > LIVE_SLOTS_MAX)
        return L.used + 2 <= L.cap; /* fuller, but still a free slot */
    return live_rehash(cap) || L.used + 2 <= L.cap;
}

/* Whether a record (ts, tid; a release or not) comes after what slot e
 * last saw, in the readers' order (merge.h). */
static inline bool after(const live_slot *e, uint64_t ts, uint32_t tid, bool release)
{
    if (ts != e->ts)
        return ts > e->ts;
    return tid == e->tid || (!release && e->dead);
}

static live_slot *live_find(uint64_t addr)
{
    size_t j = live_home(addr);
    while (L.slot[j].addr && L.slot[j].addr != addr)
        j = (j + 1) & (L.cap - 1);
    return &L.slot[j];
}

/* Each returns the heap delta of its part of a record as the analysis
 * counts it (model/analysis.c: an allocation's size less a live block it
 * replaces, less a release's block), for the writer's chunk summary
 * (FORMAT.md §4.1.3), or TRACE_DELTA_UNKNOWN when the map cannot be sure:
 * it is incomplete; the record is older than what its slot saw (the
 * threads' records came out of order); a release of an address it never
 * saw (allocated before the recording, or by a thread whose records have
 * not come yet). */
static int64_t live_add(uint64_t addr, uint64_t size, uint64_t ts, uint32_t tid)
{
    if (!addr)
        return size ? TRACE_DELTA_UNKNOWN : 0; /* the analysis keeps a block at 0; the map does not */
    /* Past the format's bound, or out of memory with no free slot left:
     * this block is not listed, and the snapshot says the set is
     * incomplete. */
    if (L.count >= TRACE_HEAP_BLOCKS_MAX || !live_room()) {
        L.incomplete = true;
        return TRACE_DELTA_UNKNOWN;
    }
    live_slot *e = live_find(addr);
    int64_t delta = (int64_t)size;
    if (e->addr) {
        if (!after(e, ts, tid, false))
            return TRACE_DELTA_UNKNOWN; /* an allocation released before what the slot saw */
        if (!e->dead)
            delta -= (int64_t)e->size; /* a release never seen: the analysis ends the old block here */
        L.count += e->dead;
        L.dead -= e->dead;
    } else {
        L.count++;
        L.used++;
    }
    *e = (live_slot){ addr, size, ts, tid, false };
    return L.incomplete ? TRACE_DELTA_UNKNOWN : delta;
}

static int64_t live_remove(uint64_t addr, uint64_t ts, uint32_t tid)
{
    if (!addr)
        return 0;
    if (!live_room()) {
        L.incomplete = true; /* its allocation, if it comes later, would stay */
        return TRACE_DELTA_UNKNOWN;
    }
    live_slot *e = live_find(addr);
    int64_t delta = TRACE_DELTA_UNKNOWN;
    if (e->addr) {
        if (!after(e, ts, tid, true))
            return TRACE_DELTA_UNKNOWN; /* the release of an older block of this address */
        delta = e->dead ? 0 : -(int64_t)e->size;
        L.count -= !e->dead;
        L.dead += !e->dead;
    } else {
        L.used++;
        L.dead++;
    }
    /* Dead, not empty: a record of this address older than this release
     * (another thread's allocation and release, or an allocation whose
     * release came first) may still come, and must be known old. */
    *e = (live_slot){ addr, 0, ts, tid, true };
    return L.incomplete ? TRACE_DELTA_UNKNOWN : delta;
}

void ls_live_apply(const uint64_t *words, size_t n, uint32_t tid, int64_t *deltas)
{
    static const trace_tick_map ns = { 0, 0, 1ull << 32 };
    size_t rec = 0;
    for (size_t i = 0; i < n; rec++) {
        size_t len = trace_packed_len(words + i, n - i);
        if (!len)
            return;
        trace_event ev;
        trace_packed_event(words + i, &ns, &ev);
        int64_t d = TRACE_DELTA_UNKNOWN;
        switch (ev.kind) {
        case TRACE_ALLOC: d = live_add(ev.addr, ev.size, ev.ts, tid); break;
        case TRACE_FREE: d = live_remove(ev.addr, ev.ts, tid); break;
        case TRACE_REALLOC: {
            int64_t old = ev.addr ? live_remove(ev.addr, ev.ts, tid) : 0; /* 0: its free was recorded before */
            int64_t made = live_add(ev.addr2, ev.size, ev.ts, tid);
            d = old == TRACE_DELTA_UNKNOWN || made == TRACE_DELTA_UNKNOWN ? TRACE_DELTA_UNKNOWN : old + made;
            break;
        }
        case TRACE_LOST: L.incomplete = true; break;
        default: break;
        }
        if (deltas)
            deltas[rec] = d;
        i += len;
    }
}

/* ---- the asking thread ---- */

static int tls_block(struct dl_phdr_info *info, size_t size, void *data)
{
    ls_scan_request *req = data;
    (void)size;
    if (!info->dlpi_tls_data || req->ntls == LS_SCAN_TLS_MAX)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_TLS || !info->dlpi_phdr[i].p_memsz)
            continue;
        uint64_t lo = (uint64_t)(uintptr_t)info->dlpi_tls_data;
        req->tls_lo[req->ntls] = lo;
        req->tls_hi[req->ntls++] = lo + info->dlpi_phdr[i].p_memsz;
        break;
    }
    return 0;
}

void ls_scan_request_init(ls_scan_request *req, const char *label, uint64_t sp)
{
    memset(req, 0, sizeof *req);
    size_t len = strnlen(label, TRACE_HEAP_LABEL_MAX);
    memcpy(req->label, label, len);
    req->label_len = (uint32_t)len;
    req->tid = (uint32_t)syscall(SYS_gettid);
    req->sp = sp;
    /* dlpi_tls_data is the calling thread's block of each module: only
     * this thread can name its own. */
    dl_iterate_phdr(tls_block, req);
}

/* ---- the scan ---- */

#define SCAN_BUF (1u << 20)    /* bytes read at a time */
#define SCAN_IOV 1024u         /* runs of blocks read by one system call */
#define SCAN_PAGE 4096u

/* A growing array in ls_map memory. */
typedef struct grow_arr {
    void *p;
    size_t n, cap, elem;
} grow_arr;

static void *arr_push(grow_arr *a)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4096;
        void *n = ls_remap(a->p, a->cap * a->elem, cap * a->elem);
        if (!n)
            return NULL;
        a->p = n;
        a->cap = cap;
    }
    return (uint8_t *)a->p + a->n++ * a->elem;
}

static void arr_free(grow_arr *a)
{
    ls_unmap(a->p, a->cap * a->elem);
    a->p = NULL;
    a->n = a->cap = 0;
}

#define PAGE_SHIFT 12
#define PAGE_SPAN 4u
#define PAGE_SLOTS_MAX (1u << 22)   /* 64 MiB */

typedef struct page_slot {
    uint64_t key;          /* page number + 1; 0: empty */
    uint32_t first, count; /* the small blocks touching the page */
} page_slot;

typedef struct scan {
    pid_t pid;
    uint64_t *addr, *size;
    uint32_t nblocks;
    uint64_t lo, span;     /* values in [lo, lo + span) may point into a block */
    page_slot *pages;      /* the page index (page_index_build), or NULL */
    size_t page_cap;
    unsigned page_shift;
    uint64_t *big_addr, *big_size, *big_index; /* blocks beyond PAGE_SPAN pages */
    uint32_t nbig;
    uint8_t *buf;          /* SCAN_BUF bytes */
    grow_arr ranges, roots, edges;
    uint64_t unreadable;
    bool refs_full;        /* the bound of references was reached */
    int read_errno;        /* the first failure that was not EFAULT (a refused system call) */
    int pagemap;           /* /proc/self/pagemap, or -1 */
    uint64_t untouched;    /* bytes of pages never touched, not read (they hold zeros) */
} scan;

/* Which block a value points into, in one or two cache misses rather
 * than a binary search over every block (a miss a step): a hash from each
 * 4 KiB page to the run of small blocks (up to PAGE_SPAN pages) that touch
 * it, which are consecutive in address order; the big blocks, few, in
 * arrays of their own. Both are searched with trace_heap_find. Past
 * PAGE_SLOTS_MAX pages the index is not made and every lookup searches all
 * blocks. */
static inline size_t page_home(const scan *S, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> S->page_shift);
}

static inline bool small_block(uint64_t addr, uint64_t size)
{
    return ((addr + (size ? size - 1 : 0)) >> PAGE_SHIFT) - (addr >> PAGE_SHIFT) < PAGE_SPAN;
}

/* The index, or none (then lookups search every block). */
static void page_index_build(scan *S)
{
    size_t pages = 0, nbig = 0;
    uint64_t last = UINT64_MAX;
    for (uint32_t i = 0; i < S->nblocks; i++) {
        if (!small_block(S->addr[i], S->size[i])) {
            nbig++;
            continue;
        }
        uint64_t p0 = S->addr[i] >> PAGE_SHIFT, p1 = (S->addr[i] + (S->size[i] ? S->size[i] - 1 : 0)) >> PAGE_SHIFT;
        pages += p1 - p0 + 1 - (p0 == last);
        last = p1;
    }
    size_t cap = 1024;
    while (cap < 2 * pages)
        cap *= 2;
    if (cap > PAGE_SLOTS_MAX)
        return;
    S->pages = ls_map(cap * sizeof *S->pages);
    S->big_addr = ls_map((nbig ? nbig : 1) * 3 * sizeof(uint64_t));
    if (!S->pages || !S->big_addr) {
        ls_unmap(S->pages, cap * sizeof *S->pages);
        ls_unmap(S->big_addr, (nbig ? nbig : 1) * 3 * sizeof(uint64_t));
        S->pages = NULL;
        S->big_addr = NULL;
        return;
    }
    S->page_cap = cap;
    S->page_shift = 64 - (unsigned)__builtin_ctzll(cap);
    S->big_size = S->big_addr + (nbig ? nbig : 1);
    S->big_index = S->big_size + (nbig ? nbig : 1);
    page_slot *cur = NULL;
    for (uint32_t i = 0; i < S->nblocks; i++) {
        if (!small_block(S->addr[i], S->size[i])) {
            S->big_addr[S->nbig] = S->addr[i];
            S->big_size[S->nbig] = S->size[i];
            S->big_index[S->nbig++] = i;
            continue;
        }
        uint64_t p0 = S->addr[i] >> PAGE_SHIFT, p1 = (S->addr[i] + (S->size[i] ? S->size[i] - 1 : 0)) >> PAGE_SHIFT;
        for (uint64_t pg = p0; pg <= p1; pg++) {
            if (cur && cur->key == pg + 1) {
                cur->count++;
                continue;
            }
            size_t j = page_home(S, pg + 1);
            while (S->pages[j].key)
                j = (j + 1) & (cap - 1);
            cur = &S->pages[j];
            *cur = (page_slot){ pg + 1, i, 1 };
        }
    }
}

static void page_index_free(scan *S)
{
    ls_unmap(S->pages, S->page_cap * sizeof *S->pages);
    ls_unmap(S->big_addr, (S->nbig ? S->nbig : 1) * 3 * sizeof(uint64_t));
}

/* The block `v` points into, or UINT32_MAX. */
static inline uint32_t target_of(const scan *S, uint64_t v)
{
    if (v - S->lo >= S->span)
        return UINT32_MAX;
    if (!S->pages)
        return trace_heap_find(S->addr, S->size, S->nblocks, v);
    uint64_t key = (v >> PAGE_SHIFT) + 1;
    for (size_t j = page_home(S, key); S->pages[j].key; j = (j + 1) & (S->page_cap - 1)) {
        if (S->pages[j].key != key)
            continue;
        const page_slot *g = &S->pages[j];
        uint32_t t = trace_heap_find(S->addr + g->first, S->size + g->first, g->count, v);
        if (t != UINT32_MAX)
            return g->first + t;
        break;
    }
    if (!S->nbig)
        return UINT32_MAX;
    uint32_t t = trace_heap_find(S->big_addr, S->big_size, S->nbig, v);
    return t == UINT32_MAX ? t : (uint32_t)S->big_index[t];
}

/* Words read from a range (owner = range index, root) or a block (owner =
 * block index, edge); word0: the index of the first. */
static void scan_words(scan *S, const uint64_t *w, size_t n, bool root, uint32_t owner, uint64_t word0,
                       uint64_t addr0)
{
    for (size_t k = 0; k < n && !S->refs_full; k++) {
        uint32_t t = target_of(S, w[k]);
        if (t == UINT32_MAX)
            continue;
        if (root) {
            trace_heap_root *r = S->roots.n < TRACE_HEAP_ROOTS_MAX ? arr_push(&S->roots) : NULL;
            if (!r) {
                S->refs_full = true;
                return;
            }
            *r = (trace_heap_root){ .range = owner, .to = t, .address = addr0 + 8 * k, .value = w[k] };
        } else {
            trace_heap_edge *d = S->edges.n < TRACE_HEAP_EDGES_MAX ? arr_push(&S->edges) : NULL;
            if (!d || word0 + k > UINT32_MAX) {
                S->refs_full = true;
                return;
            }
            *d = (trace_heap_edge){ .from = owner, .word = (uint32_t)(word0 + k), .to = t, .value = w[k] };
        }
    }
}

/* Reads [src, src + len) into dst: the bytes read (a short count at the
 * first unreadable page of a single piece). */
static size_t read_mem(scan *S, void *dst, uint64_t src, size_t len)
{
    struct iovec local = { dst, len }, remote = { (void *)(uintptr_t)src, len };
    long got = syscall(SYS_process_vm_readv, S->pid, &local, 1UL, &remote, 1UL, 0UL);
    if (got < 0) {
        if (errno != EFAULT && errno != ENOMEM && !S->read_errno)
            S->read_errno = errno;
        return 0;
    }
    return (size_t)got;
}

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)

/* How many of the `want` bytes from `at` lie in pages of one kind: touched
 * (present or swapped out: they may hold anything) or never touched (no
 * page yet: zeros, or a file's bytes, which hold no heap address). Without
 * /proc/self/pagemap, every page counts as touched. Reading an untouched
 * page would cost a page table entry and a copy of zeros: a thread's 8 MiB
 * stack mapping, a sparse 1 GiB block. */
static size_t page_run(scan *S, uint64_t at, size_t want, bool *touched)
{
    *touched = true;
    if (S->pagemap < 0)
        return want;
    uint64_t ent[SCAN_BUF / SCAN_PAGE + 1], first = at / SCAN_PAGE;
    size_t pages = (size_t)((at + want - 1) / SCAN_PAGE - first + 1);
    long got = syscall(SYS_pread64, S->pagemap, ent, pages * sizeof *ent, (long)(first * sizeof *ent));
    if (got < (long)sizeof *ent)
        return want;
    size_t have = (size_t)got / sizeof *ent, k = 1;
    *touched = (ent[0] & (PM_PRESENT | PM_SWAPPED)) != 0;
    while (k < have && ((ent[k] & (PM_PRESENT | PM_SWAPPED)) != 0) == *touched)
        k++;
    uint64_t run_end = (first + k) * SCAN_PAGE;
    return run_end - at < want ? (size_t)(run_end - at) : want;
}

/* Scans the words of [start, start + 8 * nwords) piece by piece, past
 * untouched pages; where a piece cannot be read whole, page by page,
 * counting what is unreadable. */
static void scan_span(scan *S, uint64_t start, uint64_t nwords, bool root, uint32_t owner)
{
    uint64_t done = 0;
    while (done < nwords && !S->refs_full && !S->read_errno) {
        uint64_t at = start + 8 * done;
        size_t want = nwords - done > SCAN_BUF / 8 ? SCAN_BUF : (size_t)(nwords - done) * 8;
        bool touched;
        want = page_run(S, at, want, &touched);
        if (!touched) {
            S->untouched += want;
            done += want / 8;
            continue;
        }
        size_t got = read_mem(S, S->buf, at, want);
        if (got == want) {
            scan_words(S, (const uint64_t *)S->buf, want / 8, root, owner, done, at);
            done += want / 8;
            continue;
        }
        /* One page (to its end) at a time. */
        size_t piece = SCAN_PAGE - (size_t)(at % SCAN_PAGE);
        if (piece > want)
            piece = want;
        piece &= ~(size_t)7;
        if (!piece)
            piece = 8;
        got = read_mem(S, S->buf, at, piece);
        if (got == piece)
            scan_words(S, (const uint64_t *)S->buf, piece / 8, root, owner, done, at);
        else
            S->unreadable += piece;
        done += piece / 8;
    }
}

/* The words of blocks first..last, read into buf from `base` on (the
 * first's word 0): one run, gaps and all. */
static void scan_run(scan *S, const uint8_t *buf, uint64_t base, uint32_t first, uint32_t last)
{
    for (uint32_t b = first; b <= last && !S->refs_full; b++) {
        uint64_t words = trace_heap_words(S->addr[b], S->size[b]), at = trace_heap_word0(S->addr[b]);
        if (words)
            scan_words(S, (const uint64_t *)(buf + (at - base)), (size_t)words, false, b, 0, at);
    }
}

/* Every block's words. Blocks close together (at most RUN_GAP bytes apart:
 * the allocator's headers between them) are read as one run, and up to
 * SCAN_IOV runs by one system call: the kernel's cost is per piece, not per
 * byte. A run that cannot be read whole is read block by block. */
#define RUN_GAP 1024u

static void scan_blocks(scan *S)
{
    struct iovec remote[SCAN_IOV];
    uint32_t first[SCAN_IOV], last[SCAN_IOV];
    uint32_t i = 0;
    while (i < S->nblocks && !S->refs_full && !S->read_errno) {
        size_t n = 0, total = 0;
        while (i < S->nblocks && n < SCAN_IOV) {
            uint64_t words = trace_heap_words(S->addr[i], S->size[i]);
            if (!words) {
                if (n)
                    last[n - 1] = i; /* inside the run, or past its end: nothing to read either way */
                i++;
                continue;
            }
            uint64_t start = trace_heap_word0(S->addr[i]), end = start + 8 * words;
            if (words * 8 > SCAN_BUF) {
                if (n)
                    break; /* the batch first, then this one alone */
                scan_span(S, start, words, false, i);
                i++;
                continue;
            }
            if (n) {
                uint64_t run_end = (uint64_t)(uintptr_t)remote[n - 1].iov_base + remote[n - 1].iov_len;
                if (start - run_end <= RUN_GAP && total + (end - run_end) <= SCAN_BUF) {
                    total += (size_t)(end - run_end);
                    remote[n - 1].iov_len += (size_t)(end - run_end);
                    last[n - 1] = i++;
                    continue;
                }
            }
            if (total + words * 8 > SCAN_BUF)
                break;
            remote[n] = (struct iovec){ (void *)(uintptr_t)start, (size_t)words * 8 };
            first[n] = last[n] = i++;
            total += (size_t)words * 8;
            n++;
        }
        if (!n)
            continue;
        struct iovec local = { S->buf, total };
        long got = syscall(SYS_process_vm_readv, S->pid, &local, 1UL, remote, (unsigned long)n, 0UL);
        if (got < 0) {
            if (errno != EFAULT && errno != ENOMEM) {
                S->read_errno = errno;
                return;
            }
            got = 0;
        }
        /* The runs read whole; from the first that was not, block by block. */
        size_t off = 0, k = 0;
        for (; k < n && off + remote[k].iov_len <= (size_t)got; k++) {
            scan_run(S, S->buf + off, (uint64_t)(uintptr_t)remote[k].iov_base, first[k], last[k]);
            off += remote[k].iov_len;
        }
        for (; k < n; k++)
            for (uint32_t b = first[k]; b <= last[k]; b++)
                if (trace_heap_words(S->addr[b], S->size[b]))
                    scan_span(S, trace_heap_word0(S->addr[b]), trace_heap_words(S->addr[b], S->size[b]), false, b);
    }
}

static void add_range(scan *S, uint32_t kind, uint32_t thread, uint64_t bias, uint64_t lo, uint64_t hi)
{
    lo = (lo + 7) & ~(uint64_t)7;
    if (hi <= lo || S->ranges.n >= TRACE_HEAP_RANGES_MAX)
        return;
    trace_heap_range *g = arr_push(&S->ranges);
    if (g)
        *g = (trace_heap_range){ kind, thread, bias, lo, hi - lo };
}

/* Module ranges: each writable PT_LOAD, .bss included; not the recorder's
 * own module (its memory holds no pointer of the program's). */
static int module_ranges(struct dl_phdr_info *info, size_t size, void *data)
{
    scan *S = data;
    (void)size;
    uint64_t lo, hi, self = (uint64_t)(uintptr_t)&module_ranges;
    if (ls_load_range(info, &lo, &hi) && self >= lo && self < hi)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || !ph->p_memsz)
            continue;
        uint64_t a = info->dlpi_addr + ph->p_vaddr;
        add_range(S, TRACE_ROOT_MODULE, 0, info->dlpi_addr, a, a + ph->p_memsz);
    }
    return 0;
}

typedef struct stack_find {
    scan *S;
    const ls_scan_request *req;
    const ls_scan_thread *threads;
    uint32_t nthreads;
    pid_t pid;
} stack_find;

/* The asking thread's stack from its stack pointer up, with the TLS blocks
 * inside it (glibc puts a thread's static TLS at the top of its stack) told
 * apart; its TLS blocks elsewhere (the main thread's) as ranges of their own. */
static void asking_thread_ranges(scan *S, const ls_scan_request *req, uint64_t hi)
{
    uint64_t lo[LS_SCAN_TLS_MAX], top[LS_SCAN_TLS_MAX];
    uint32_t n = req->ntls;
    memcpy(lo, req->tls_lo, n * sizeof *lo);
    memcpy(top, req->tls_hi, n * sizeof *top);
    for (uint32_t i = 1; i < n; i++) /* insertion sort: a few entries */
        for (uint32_t j = i; j > 0 && lo[j] < lo[j - 1]; j--) {
            uint64_t a = lo[j], b = top[j];
            lo[j] = lo[j - 1];
            top[j] = top[j - 1];
            lo[j - 1] = a;
            top[j - 1] = b;
        }
    uint64_t at = req->sp & ~(uint64_t)7;
    for (uint32_t i = 0; i < n; i++) {
        if (top[i] <= at || lo[i] >= hi) { /* not in the stack part */
            add_range(S, TRACE_ROOT_TLS, req->tid, 0, lo[i], top[i]);
            continue;
        }
        uint64_t tls_lo = (lo[i] < at ? at : lo[i] + 7) & ~(uint64_t)7;
        uint64_t tls_hi = top[i] > hi ? hi : top[i];
        add_range(S, TRACE_ROOT_STACK, req->tid, 0, at, tls_lo);
        add_range(S, TRACE_ROOT_TLS, req->tid, 0, tls_lo, tls_hi);
        at = (tls_hi + 7) & ~(uint64_t)7;
    }
    add_range(S, TRACE_ROOT_STACK, req->tid, 0, at, hi);
}

static bool stack_mapping(void *ctx, const ls_mapping *m)
{
    stack_find *f = ctx;
    if (!m->readable)
        return true;
    bool main_stack = ls_mapping_is_main_stack(m);
    const ls_scan_request *req = f->req;
    if (req->tid && req->sp >= m->lo && req->sp < m->hi)
        asking_thread_ranges(f->S, req, m->hi);
    /* Other threads go on running: their whole stack, conservatively. */
    for (uint32_t i = 0; i < f->nthreads; i++) {
        const ls_scan_thread *t = &f->threads[i];
        if (t->tid == req->tid)
            continue;
        bool is_main = (pid_t)t->tid == f->pid;
        if (!(is_main ? main_stack : t->tcb >= m->lo && t->tcb < m->hi))
            continue;
        /* A stack the program allocated in a heap block (or in the brk
         * heap) is not a root: the mapping holding it is the heap. */
        if (!is_main && (target_of(f->S, t->tcb) != UINT32_MAX || memcmp(m->tail + 2, "[heap]", 6) == 0))
            continue;
        add_range(f->S, TRACE_ROOT_STACK, t->tid, 0, m->lo, m->hi);
    }
    return true;
}

/* The program's own mappings as roots (kind TRACE_ROOT_MAPPED): each
 * listed region's part in a readable, writable mapping, unless that part
 * holds a live block (then it is an allocator's own memory, whose free
 * chunks' stale words are no hold) or was scanned as a stack. At most
 * LS_SCAN_MAPPED_MAX bytes in all, and the snapshot's bound of ranges: past
 * either the references are incomplete. */
#define LS_SCAN_MAPPED_MAX (4ull << 30)

typedef struct mapped_find {
    scan *S;
    const mapped_region *r;   /* sorted by lo */
    uint32_t n, at;
    uint32_t nstack;          /* the ranges before: stacks and TLS found so far */
    uint64_t bytes;
} mapped_find;

/* Whether a live block starts in [lo, hi) or covers lo. */
static bool blocks_within(const scan *S, uint64_t lo, uint64_t hi)
{
    uint32_t a = 0, b = S->nblocks; /* the first block ending past lo */
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        if (S->addr[m] + S->size[m] <= lo)
            a = m + 1;
        else
            b = m;
    }
    return a < S->nblocks && S->addr[a] < hi;
}

static bool mapped_mapping(void *ctx, const ls_mapping *m)
{
    mapped_find *f = ctx;
    if (!m->readable || !m->writable)
        return true;
    while (f->at < f->n && f->r[f->at].hi <= m->lo)
        f->at++;
    for (uint32_t i = f->at; i < f->n && f->r[i].lo < m->hi; i++) {
        uint64_t lo = f->r[i].lo > m->lo ? f->r[i].lo : m->lo, hi = f->r[i].hi < m->hi ? f->r[i].hi : m->hi;
        if (hi <= lo || blocks_within(f->S, lo, hi))
            continue;
        const trace_heap_range *g = f->S->ranges.p;
        bool stack = false;
        for (uint32_t k = 0; k < f->nstack && !stack; k++)
            stack = g[k].kind != TRACE_ROOT_MODULE && g[k].start < hi && g[k].start + g[k].size > lo;
        if (stack)
            continue;
        if (f->bytes + (hi - lo) > LS_SCAN_MAPPED_MAX || f->S->ranges.n >= TRACE_HEAP_RANGES_MAX) {
            f->S->refs_full = true; /* past a bound: a block held only from the rest reads lost, uncertain */
            return false;
        }
        f->bytes += hi - lo;
        add_range(f->S, TRACE_ROOT_MAPPED, 0, 0, lo, hi);
    }
    return true;
}

/* The listed regions, copied and sorted (into recorder memory: *n of
 * them, ls_unmap the result with *bytes). */
static mapped_region *mapped_copy(uint32_t *n, size_t *bytes)
{
    if (!mapped_lock())
        return NULL;
    *n = MP.n;
    *bytes = (MP.n ? MP.n : 1) * sizeof(mapped_region);
    mapped_region *r = ls_map(*bytes);
    if (r && MP.n)
        memcpy(r, MP.r, MP.n * sizeof *r);
    mapped_unlock();
    if (!r)
        return NULL;
    /* Shell sort (gaps 3k+1): mmap hands out falling addresses, the
     * worst order for an insertion sort. */
    uint32_t gap = 1;
    while (gap < *n / 3)
        gap = 3 * gap + 1;
    for (; gap; gap /= 3)
        for (uint32_t i = gap; i < *n; i++) {
            mapped_region t = r[i];
            uint32_t j = i;
            for (; j >= gap && r[j - gap].lo > t.lo; j -= gap)
                r[j] = r[j - gap];
            r[j] = t;
        }
    return r;
}

/* Sorts the blocks by address: a few by insertion; else three passes of
 * 16 bits (addresses below 2^48; a fourth when one is not), with tmp as
 * room. False when out of memory. */
#define SORT_SMALL 256u

static bool sort_blocks(live_slot *a, live_slot *tmp, size_t n)
{
    if (n <= SORT_SMALL) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && a[j].addr < a[j - 1].addr; j--) {
                live_slot t = a[j];
                a[j] = a[j - 1];
                a[j - 1] = t;
            }
        return true;
    }
    uint32_t *count = ls_map(65536 * sizeof *count);
    if (!count)
        return false;
    uint64_t any = 0;
    for (size_t i = 0; i < n; i++)
        any |= a[i].addr;
    int passes = any >> 48 ? 4 : 3;
    for (int p = 0; p < passes; p++) {
        unsigned shift = 16 * (unsigned)p;
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[a[i].addr >> shift & 0xffff]++;
        uint32_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            uint32_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[a[i].addr >> shift & 0xffff]++] = a[i];
        live_slot *t = a;
        a = tmp;
        tmp = t;
    }
    if (passes % 2) /* the result is in tmp's buffer: back into a */
        memcpy(tmp, a, n * sizeof *a);
    return true;
}

int ls_heap_snapshot_write(trace_writer *w, const ls_scan_request *req, uint64_t ts, const ls_scan_thread *threads,
                           uint32_t nthreads)
{
    int saved = errno, err = 0;
    scan S;
    memset(&S, 0, sizeof S);
    S.pid = getpid();
    /* A descriptor only for the scan's time; without one, every page is read. */
    S.pagemap = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    S.ranges.elem = sizeof(trace_heap_range);
    S.roots.elem = sizeof(trace_heap_root);
    S.edges.elem = sizeof(trace_heap_edge);
    size_t n = L.count;
    size_t blocks_bytes = (n ? n : 1) * sizeof(live_slot);
    live_slot *sorted = ls_map(blocks_bytes), *tmp = ls_map(blocks_bytes);
    S.buf = ls_map(SCAN_BUF);
    if (!sorted || !tmp || !S.buf) {
        err = ENOMEM;
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < L.cap; i++)
        if (L.slot[i].addr && !L.slot[i].dead)
            sorted[k++] = L.slot[i];
    if (!sort_blocks(sorted, tmp, k)) {
        err = ENOMEM;
        goto out;
    }
    /* Blocks that overlap the one before (a free the recorder never saw)
     * are left out: the set is then incomplete. tmp becomes addr[], size[]. */
    bool incomplete = L.incomplete;
    S.addr = (uint64_t *)tmp;
    S.size = S.addr + n;
    for (size_t i = 0; i < k; i++) {
        live_slot b = sorted[i];
        if (b.addr + b.size < b.addr) {
            incomplete = true;
            continue;
        }
        if (S.nblocks) {
            uint64_t pa = S.addr[S.nblocks - 1], ps = S.size[S.nblocks - 1];
            if (!(b.addr > pa && b.addr - pa >= ps)) {
                incomplete = true;
                continue;
            }
        }
        S.addr[S.nblocks] = b.addr;
        S.size[S.nblocks++] = b.size;
    }
    if (S.nblocks) {
        S.lo = S.addr[0];
        S.span = S.addr[S.nblocks - 1] + S.size[S.nblocks - 1] - S.lo + 1;
        page_index_build(&S);
    }

    /* Roots: modules, then stacks and TLS. */
    dl_iterate_phdr(module_ranges, &S);
    stack_find f = { &S, req, threads, nthreads, S.pid };
    ls_maps_each(stack_mapping, &f);
    uint32_t nmapped = 0;
    size_t mapped_bytes = 0;
    mapped_region *mapped = S.nblocks ? mapped_copy(&nmapped, &mapped_bytes) : NULL;
    if (mapped) {
        mapped_find mf = { &S, mapped, nmapped, 0, (uint32_t)S.ranges.n, 0 };
        ls_maps_each(mapped_mapping, &mf);
        ls_unmap(mapped, mapped_bytes);
    }
    const trace_heap_range *ranges = S.ranges.p;
    for (uint32_t r = 0; r < S.ranges.n && S.nblocks; r++)
        scan_span(&S, ranges[r].start, ranges[r].size / 8, true, r);
    if (S.nblocks)
        scan_blocks(&S);
    if (S.read_errno) {
        err = S.read_errno; /* process_vm_readv refused (a seccomp filter): no snapshot */
        goto out;
    }

    trace_heap_graph g;
    memset(&g, 0, sizeof g);
    g.ts = ts;
    g.thread = req->tid;
    g.flags = (incomplete ? TRACE_HEAP_BLOCKS_INCOMPLETE : 0) | (S.refs_full ? TRACE_HEAP_REFS_INCOMPLETE : 0);
    memcpy(g.label, req->label, req->label_len);
    g.label_len = req->label_len;
    g.nblocks = S.nblocks;
    g.addr = S.addr;
    g.size = S.size;
    g.nranges = (uint32_t)S.ranges.n;
    g.ranges = S.ranges.p;
    g.nroots = (uint32_t)S.roots.n;
    g.roots = S.roots.p;
    g.nedges = (uint32_t)S.edges.n;
    g.edges = S.edges.p;
    g.unreadable = S.unreadable;
    trace_status st = trace_writer_add_heap_snapshot(w, &g);
    if (st != TRACE_OK)
        err = st == TRACE_ERR_IO ? (trace_writer_errno(w) ? trace_writer_errno(w) : EIO) : st == TRACE_ERR_NOMEM ? ENOMEM : EOVERFLOW;
out:
    ls_unmap(sorted, blocks_bytes);
    ls_unmap(tmp, blocks_bytes);
    page_index_free(&S);
    ls_unmap(S.buf, SCAN_BUF);
    arr_free(&S.ranges);
    arr_free(&S.roots);
    arr_free(&S.edges);
    if (S.pagemap >= 0)
        syscall(SYS_close, S.pagemap);
    errno = saved;
    return err;
}

/* trace-private.h — helpers shared by the writer and the reader: little-endian
 * loads and stores, LEB128 varints, zigzag. Not installed.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TRACE_PRIVATE_H
#define LEAKSCOPE_TRACE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define TRACE_VARINT_MAX 10

/* Instructions the CPU has beyond the x86-64 baseline (POPCNT, PCLMULQDQ,
 * BMI2), for the code paths that use them. Read from what the C library
 * found when the process started, not with CPUID: in a virtual machine each
 * CPUID exits to the hypervisor (8 us each where measured), and libgcc's
 * __builtin_cpu_init makes a dozen, in every process that loads the
 * recorder. TRACE_CPU_X86: the x86-64 paths are compiled in. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TRACE_CPU_X86 1
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#define TRACE_CPU_HAS(glibc_name, gcc_name) CPU_FEATURE_ACTIVE(glibc_name)
#else
#define TRACE_CPU_HAS(glibc_name, gcc_name) (__builtin_cpu_init(), __builtin_cpu_supports(gcc_name))
#endif
static inline bool trace_cpu_popcnt(void) { return TRACE_CPU_HAS(POPCNT, "popcnt"); }
static inline bool trace_cpu_pclmul(void) { return TRACE_CPU_HAS(PCLMULQDQ, "pclmul"); }
static inline bool trace_cpu_bmi2(void) { return TRACE_CPU_HAS(BMI2, "bmi2"); }
#endif

static inline void trace_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void trace_put_u32(uint8_t *p, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, 4);
#else
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
#endif
}
static inline void trace_put_u64(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, 8); /* one store (the loop below is not always merged) */
#else
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
#endif
}
static inline uint16_t trace_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t trace_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t trace_get_u64(const uint8_t *p)
{
    return (uint64_t)trace_get_u32(p) | (uint64_t)trace_get_u32(p + 4) << 32;
}

/* Writes v as LEB128 at p (room for TRACE_VARINT_MAX bytes); returns bytes written. */
static inline unsigned trace_put_varint(uint8_t *p, uint64_t v)
{
    unsigned n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Reads a LEB128 value from [*p, end). False if it runs past end or is longer
 * than 10 bytes or overflows 64 bits; *p is left unchanged then. */
static inline bool trace_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    const uint8_t *q = *p;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (q >= end)
            return false;
        uint8_t b = *q++;
        if (shift == 63 && (b & 0x7e))
            return false;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *p = q;
            *out = v;
            return true;
        }
    }
    return false;
}

static inline uint64_t trace_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t trace_unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* Size classes and the lists of released addresses per class (FORMAT.md
 * §4.1, format 2): an allocation of a size usually gets back an address
 * released recently from the same class, so its address is coded as a rank in
 * its class's list. Writer and reader run exactly this code. */
#define TRACE_SIZE_CLASSES 282u
#define TRACE_CLASS_DEPTH 8u

static inline __attribute__((always_inline)) unsigned trace_size_class(uint64_t size)
{
    if (size <= 1024)
        return (unsigned)(((size < 24 ? 24 : size) + 8 + 15) >> 4);   /* 2..65 */
    unsigned L = 64u - (unsigned)__builtin_clzll(size);              /* 11..64 */
    return 66u + 4u * (L - 11u) + (unsigned)((size >> (L - 3)) & 3u); /* 66..281 */
}

typedef struct trace_class_lists {
    uint8_t n[TRACE_SIZE_CLASSES];
    uint64_t addr[TRACE_SIZE_CLASSES][TRACE_CLASS_DEPTH]; /* oldest first */
} trace_class_lists;

static inline void trace_class_reset(trace_class_lists *l) { memset(l->n, 0, sizeof l->n); }

static inline __attribute__((always_inline)) void trace_class_push(trace_class_lists *l, unsigned c, uint64_t a)
{
    uint64_t *v = l->addr[c];
    if (l->n[c] == TRACE_CLASS_DEPTH) {
        for (unsigned i = 0; i + 1 < TRACE_CLASS_DEPTH; i++)
            v[i] = v[i + 1];
        l->n[c]--;
    }
    v[l->n[c]++] = a;
}

/* Rank of `a` in class c (1 = released last), or 0. */
static inline unsigned trace_class_find(const trace_class_lists *l, unsigned c, uint64_t a)
{
    for (unsigned i = l->n[c]; i-- > 0;)
        if (l->addr[c][i] == a)
            return l->n[c] - i;
    return 0;
}

/* Takes the address of rank r (1..n) out of class c; false if there is none. */
static inline __attribute__((always_inline)) bool trace_class_take(trace_class_lists *l, unsigned c, unsigned r, uint64_t *a)
{
    unsigned n = l->n[c];
    if (r == 0 || r > n)
        return false;
    uint64_t *v = l->addr[c];
    unsigned i = n - r;
    *a = v[i];
    for (; i + 1 < n; i++) /* a few entries: no call to memmove */
        v[i] = v[i + 1];
    l->n[c] = (uint8_t)(n - 1);
    return true;
}

/* Which entries of the live window are still live (format 2, FORMAT.md
 * §4.1.2): a release is coded as its rank among them, newest first, so the
 * entries already released cost nothing. The reader keeps the live entries'
 * slots (entry number % TRACE_ADDR_WINDOW) in entry order, oldest first, in
 * a buffer of twice the window: the rank-th newest is read at its place,
 * and taking it out moves the shorter side of the list by one (nothing for
 * the newest or the oldest, a few slots for the recent releases most
 * programs make), where counting set bits back through a ring of marks took
 * a hundred instructions or more for each release. An entry leaves the
 * window when the one TRACE_ADDR_WINDOW later is added; being the oldest,
 * it is the first of the list if it is still live. */
#define TRACE_LIVE_WINDOW 4096u /* TRACE_ADDR_WINDOW (trace-format.h; the reader checks) */
#define TRACE_LIVE_ORDER_CAP (2u * TRACE_LIVE_WINDOW)
typedef struct trace_live_order {
    uint32_t head, n;                     /* the list is slot[head .. head + n) */
    uint16_t slot[TRACE_LIVE_ORDER_CAP];
} trace_live_order; /* the reader's; the writer keeps a ring of marks (writer_marks) */
_Static_assert(TRACE_LIVE_WINDOW <= 65536 && (TRACE_LIVE_WINDOW & (TRACE_LIVE_WINDOW - 1)) == 0,
               "a slot fits 16 bits");

static inline void trace_live_reset(trace_live_order *o) { o->head = o->n = 0; }

/* Entry i (the chunk's i-th address made live) is live. */
static inline __attribute__((always_inline)) void trace_live_add(trace_live_order *o, uint64_t i)
{
    uint16_t s = (uint16_t)(i % TRACE_LIVE_WINDOW);
    if (o->n && o->slot[o->head] == s) { /* entry i - TRACE_LIVE_WINDOW leaves the window */
        o->head++;
        o->n--;
    }
    if (o->head + o->n == TRACE_LIVE_ORDER_CAP) { /* once per TRACE_LIVE_WINDOW adds at most */
        memmove(o->slot, o->slot + o->head, o->n * sizeof *o->slot);
        o->head = 0;
    }
    o->slot[o->head + o->n++] = s;
}

/* Takes the rank-th newest live entry (1 = the newest) among the window's
 * TRACE_LIVE_WINDOW entries before entry `to` (the entries added so far)
 * out of the list: its number in *out. False, and nothing changed, if
 * there are fewer live entries. */
static inline __attribute__((always_inline)) bool trace_live_take(trace_live_order *o, uint64_t to, uint64_t rank,
                                                                  uint64_t *out)
{
    if (rank == 0 || rank > o->n)
        return false;
    uint32_t k = o->head + o->n - (uint32_t)rank, newer = (uint32_t)rank - 1, older = o->n - (uint32_t)rank;
    unsigned p = (unsigned)((to - 1) % TRACE_LIVE_WINDOW);
    *out = to - 1 - ((p - o->slot[k]) % TRACE_LIVE_WINDOW);
    uint16_t *v = o->slot;
    if (newer <= 8) { /* the recent releases: a few moves, no call */
        for (uint32_t j = k; j < k + newer; j++)
            v[j] = v[j + 1];
    } else if (newer <= older) {
        memmove(v + k, v + k + 1, newer * sizeof *v);
    } else {
        memmove(v + o->head + 1, v + o->head, older * sizeof *v);
        o->head++;
    }
    o->n--;
    return true;
}

/* Without -mpopcnt, __builtin_popcountll is a libgcc call; this is not. */
static inline unsigned trace_popcount(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* `hw`: use the compiler's popcount (for a caller built with target("popcnt")). */
static inline __attribute__((always_inline)) unsigned trace_marks_pop(uint64_t bits, bool hw)
{
    return hw ? (unsigned)__builtin_popcountll(bits) : trace_popcount(bits);
}

#endif

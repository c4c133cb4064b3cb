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

static inline unsigned trace_size_class(uint64_t size)
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

static inline void trace_class_push(trace_class_lists *l, unsigned c, uint64_t a)
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
static inline bool trace_class_take(trace_class_lists *l, unsigned c, unsigned r, uint64_t *a)
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
 * entries already released cost nothing. A ring of TRACE_ADDR_WINDOW bits
 * indexed by the entry's number in the chunk, and the count of set bits of
 * each group of 8 words, kept as bits change: counting back to a block made
 * long ago skips whole groups by their counts, so a rank is found within at
 * most 8 + 8 + 8 words' popcounts and 8 groups' counts, not one popcount per
 * word passed (up to 64). A count per word would make the search shorter
 * still but costs more to keep on every event than it saves on real
 * programs' traces, whose releases mostly fall in the newest words. */
#define TRACE_MARKS_WORDS (4096u / 64u)
#define TRACE_MARKS_GROUPS (TRACE_MARKS_WORDS / 8u)
typedef struct trace_live_marks {
    uint64_t w[TRACE_MARKS_WORDS];
    uint16_t group[TRACE_MARKS_GROUPS]; /* set bits of words 8g..8g+7 */
} trace_live_marks; /* the reader's; the writer keeps a ring of twice the window (writer_marks) */
_Static_assert(TRACE_MARKS_WORDS * 64 == 4096, "one bit per window entry");

/* Without -mpopcnt, __builtin_popcountll is a libgcc call; this is not. */
static inline unsigned trace_popcount(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

static inline void trace_marks_reset(trace_live_marks *m) { memset(m, 0, sizeof *m); }

/* Marks entry i live. The slot's previous entry (i - 4096) has left the
 * window: whatever its bit was, the slot now tells entry i's. */
static inline void trace_marks_set(trace_live_marks *m, uint64_t i)
{
    unsigned wi = (unsigned)(i % 4096) / 64;
    unsigned was = (unsigned)(m->w[wi] >> (i % 64)) & 1u;
    m->w[wi] |= 1ull << (i % 64);
    m->group[wi / 8] = (uint16_t)(m->group[wi / 8] + 1 - was);
}

/* Marks entry i released; it must be live (trace_marks_select found it). */
static inline void trace_marks_clear(trace_live_marks *m, uint64_t i)
{
    unsigned wi = (unsigned)(i % 4096) / 64;
    m->w[wi] &= ~(1ull << (i % 64));
    m->group[wi / 8]--;
}

/* `hw`: use the compiler's popcount (for a caller built with target("popcnt")). */
static inline __attribute__((always_inline)) unsigned trace_marks_pop(uint64_t bits, bool hw)
{
    return hw ? (unsigned)__builtin_popcountll(bits) : trace_popcount(bits);
}

/* The bit number of the rank-th set bit of `bits` counting from the top
 * (1 <= rank <= its popcount). Broadword, with no loop over the bytes: the
 * bytes' running counts from the bottom (a multiply) compared with k, the
 * same bit's rank from the bottom, all at once; then within its byte. */
static inline unsigned trace_select_high(uint64_t bits, unsigned rank)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t c = bits - ((bits >> 1) & 0x5555555555555555ull);
    c = (c & 0x3333333333333333ull) + ((c >> 2) & 0x3333333333333333ull);
    c = (c + (c >> 4)) & 0x0f0f0f0f0f0f0f0full; /* each byte: its popcount */
    uint64_t sums = c * ones;                    /* byte i: the counts of bytes 0..i (<= 64) */
    unsigned k = (unsigned)(sums >> 56) - rank + 1;
    /* high bit of byte i set where sums_i >= k */
    uint64_t reached = ((sums | highs) - k * ones) & highs;
    unsigned byte = (unsigned)__builtin_ctzll(reached) / 8;
    unsigned before = (unsigned)((sums << 8) >> (8 * byte)) & 0xffu;
    unsigned b = (unsigned)(bits >> (8 * byte)) & 0xffu;
    for (unsigned r = k - before; --r;) /* the (k - before)-th lowest bit of the byte */
        b &= b - 1;
    return 8 * byte + (unsigned)__builtin_ctz(b);
}

/* Counts back over words hi, hi - 1, ..., lo (hi >= lo; word hi masked by
 * `first`) for the *rank-th set bit; its slot, or -1 with *rank less the
 * bits passed. */
static inline int trace_marks_scan(const trace_live_marks *m, unsigned hi, unsigned lo, uint64_t first,
                                   uint64_t *rank)
{
    uint64_t bits = m->w[hi] & first;
    for (unsigned w = hi;; bits = m->w[--w]) {
        unsigned pc = trace_popcount(bits);
        if (*rank <= pc)
            return (int)(64 * w + trace_select_high(bits, (unsigned)*rank));
        *rank -= pc;
        if (w == lo)
            return -1;
    }
}

/* The number of the rank-th live entry counting back from entry `to`
 * (exclusive) over the window's TRACE_ADDR_WINDOW entries before it; false
 * if there are fewer. The ring holds exactly that window (entries older than
 * to - 4096 have handed their slots on; slots the chunk has not reached yet
 * are clear), so counting back from slot p = (to - 1) % 4096 visits slots
 * p..0, then 4095..p + 1: first the words of p's group up to p, then whole
 * groups by their counts (down to 0, then from 7), then the rest of p's
 * group above p. */
static inline bool trace_marks_select(const trace_live_marks *m, uint64_t to, uint64_t rank, uint64_t *out)
{
    if (to == 0 || rank == 0)
        return false;
    unsigned p = (unsigned)((to - 1) % 4096), w0 = p / 64, g0 = w0 / 8;
    uint64_t below = ~0ull >> (63 - p % 64); /* bits of w0 up to p */
    if (rank <= 4) {
        /* Most releases are of one of the last few blocks made live: their
         * word's top bits, taken one by one, cost less than a popcount. */
        uint64_t x = m->w[w0] & below;
        for (unsigned r = 1; r < rank && x; r++)
            x ^= 1ull << (63 - __builtin_clzll(x));
        if (x) {
            *out = to - 1 - (p % 64 - (63 - (unsigned)__builtin_clzll(x)));
            return true;
        }
    }
    int slot = trace_marks_scan(m, w0, 8 * g0, below, &rank);
    for (unsigned k = 1; slot < 0 && k < TRACE_MARKS_GROUPS; k++) {
        unsigned g = (g0 + TRACE_MARKS_GROUPS - k) % TRACE_MARKS_GROUPS;
        if (rank > m->group[g])
            rank -= m->group[g];
        else
            slot = trace_marks_scan(m, 8 * g + 7, 8 * g, ~0ull, &rank);
    }
    if (slot < 0 && w0 % 8 != 7)
        slot = trace_marks_scan(m, 8 * g0 + 7, w0 + 1, ~0ull, &rank);
    if (slot < 0 && (~below & m->w[w0]))
        slot = trace_marks_scan(m, w0, w0, ~below, &rank);
    if (slot < 0)
        return false;
    *out = to - 1 - ((unsigned)slot <= p ? p - (unsigned)slot : p + 4096 - (unsigned)slot);
    return true;
}

#endif

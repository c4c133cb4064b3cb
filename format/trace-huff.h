/* trace-huff.h — the entropy-coded column of format 2 (FORMAT.md §4.1.1):
 * each value becomes a token, coded with a canonical Huffman code built per
 * column and chunk, followed by raw extra bits. Not installed.
 *
 * Tokens: values 0..255 are their own token; a larger value of bit length
 * L (9..64) is token 256 + 4*(L-9) + (the two bits below its leading one),
 * followed by its L-3 low bits. So every value is exact, and the code
 * spends its bits on the part of the value that carries information.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TRACE_HUFF_H
#define LEAKSCOPE_TRACE_HUFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TRACE_HUFF_EXACT_BITS 8u
#define TRACE_HUFF_EXACT   256u   /* values below are their own symbol */
#define TRACE_HUFF_SYMBOLS 480u   /* 256 exact + 56 bit lengths x 4 */
#define TRACE_HUFF_MAXLEN  12u    /* longest code, in bits */
/* Largest table a column body starts with: a varint, the bitmap, the nibbles. */
#define TRACE_HUFF_TABLE_MAX (2u + (TRACE_HUFF_SYMBOLS + 7u) / 8u + TRACE_HUFF_SYMBOLS / 2u)

#define TRACE_HUFF_CONTEXTS 32u   /* by-kind codes: one per event kind (1..31) */

static inline unsigned trace_huff_token(uint64_t v, unsigned *xbits)
{
    if (v < TRACE_HUFF_EXACT) {
        *xbits = 0;
        return (unsigned)v;
    }
    unsigned L = 64u - (unsigned)__builtin_clzll(v);
    *xbits = L - 3;
    return TRACE_HUFF_EXACT + 4u * (L - TRACE_HUFF_EXACT_BITS - 1u) + (unsigned)((v >> (L - 3)) & 3u);
}

/* Token counts of a column, gathered while it is filled (one row per context
 * used). Starts zeroed, as static or calloc'd storage; a reset clears the
 * rows used since the last one, so counting needs no test. */
typedef struct trace_huff_hist {
    uint32_t mask;            /* contexts counted since the reset */
    uint32_t freq[TRACE_HUFF_CONTEXTS][TRACE_HUFF_SYMBOLS];
} trace_huff_hist;

static inline void trace_huff_reset(trace_huff_hist *h)
{
    for (unsigned c = 0; c < TRACE_HUFF_CONTEXTS; c++)
        if (h->mask & 1u << c)
            memset(h->freq[c], 0, sizeof h->freq[c]);
    h->mask = 0;
}

/* Counts v in one row (a context's counts), leaving the mask to the caller. */
static inline void trace_huff_count_row(uint32_t *freq, uint64_t v)
{
    unsigned x;
    freq[trace_huff_token(v, &x)]++;
}

static inline void trace_huff_count(trace_huff_hist *h, unsigned ctx, uint64_t v)
{
    ctx %= TRACE_HUFF_CONTEXTS;
    h->mask |= 1u << ctx;
    trace_huff_count_row(h->freq[ctx], v);
}

/* Resets `h` and counts a whole column of varints (for coders that do not
 * count while filling). Returns h, or NULL if `in` is not all varints. */
const trace_huff_hist *trace_huff_count_all(trace_huff_hist *h, const uint8_t *in, size_t len, const uint8_t *ctx);

/* The bytes the values counted in `h` take as varints (the column they
 * would be if not coded). */
size_t trace_huff_varint_size(const trace_huff_hist *h);

/* Encoder scratch: one per writer; holds the code planned last. */
typedef struct trace_huff_enc {
    uint32_t mask;            /* contexts with a code */
    bool by_context;
    size_t size;              /* of the body */
    unsigned used[TRACE_HUFF_CONTEXTS];                        /* symbols with a code */
    uint16_t syms[TRACE_HUFF_CONTEXTS][TRACE_HUFF_SYMBOLS];    /* which, ascending */
    uint8_t len[TRACE_HUFF_CONTEXTS][TRACE_HUFF_SYMBOLS];      /* of the symbols used only */
    /* Per symbol used: its code (bit-reversed, LSB first) in the low 16
     * bits, its length above, so a value costs one load. Rows of 512: a
     * context's row is found with a shift. */
    uint32_t ent[TRACE_HUFF_CONTEXTS][512];
} trace_huff_enc;

/* Builds the code(s) of a column whose counts are in `h` (NULL: returns 0):
 * `by_context`, a code per context counted; else one (context 0). Returns
 * the size of the body, or 0 if it would not be smaller than `limit` bytes. */
size_t trace_huff_plan(trace_huff_enc *e, const trace_huff_hist *h, bool by_context, size_t limit);

/* Writes the body planned last for the `n` values at `v` (the values counted,
 * in order; `ctx`: the context of each, when by context) to `out`, which
 * needs room for its size + 8 bytes. Returns the size. */
size_t trace_huff_write(trace_huff_enc *e, const uint64_t *v, size_t n, const uint8_t *ctx, uint8_t *out);

/* Plans and writes in one go from the `len` bytes of varints at `in` (a
 * whole column, well-formed: as the writer makes them) whose counts are in
 * `h`; `ctx` as for trace_huff_write, its presence meaning by context.
 * Returns the size of the body written to `out`, or 0 if it would not be
 * smaller than `limit` bytes (then nothing useful is in `out`). `out` must
 * have room for `limit` + 8 bytes. */
size_t trace_huff_encode(trace_huff_enc *e, const trace_huff_hist *h, const uint8_t *in, size_t len,
                         const uint8_t *ctx, uint8_t *out, size_t limit);

/* Decoder of one column body; its tables are kept from one body to the next. */
typedef struct trace_huff_dec {
    const uint8_t *p, *end;   /* bytes not yet in `bits` */
    uint64_t bits;            /* next bits, LSB first */
    unsigned nbits;
    uint32_t ctx_mask;        /* contexts that have a code */
    /* per context: 0 = no code; else symbol + 1 | length << 12 */
    uint16_t *table[TRACE_HUFF_CONTEXTS];
    /* per context: its table if it has a code in this body, else one of
     * zeros (no code exists), so a value needs no test of ctx_mask */
    const uint16_t *use[TRACE_HUFF_CONTEXTS];
} trace_huff_dec;

/* Reads the code table(s) at the start of `body` (by_context: a bitmap of
 * contexts, then a table each); false if malformed (*what says how) or out
 * of memory (*what says so). */
bool trace_huff_dec_init(trace_huff_dec *d, const uint8_t *body, size_t len, bool by_context, const char **what);
/* The bit length of a value coded as token t (t >= TRACE_HUFF_EXACT). */
static inline unsigned trace_huff_token_length(unsigned t)
{
    return TRACE_HUFF_EXACT_BITS + 1 + (t - TRACE_HUFF_EXACT) / 4;
}

/* Tops `bits` up to 56 bits or more. With 8 bytes left, one unaligned load:
 * the bytes it takes beyond the whole ones it counts land where the next
 * refill puts them again (an OR of the same bits). */
static inline void trace_huff_refill(trace_huff_dec *d)
{
    if (d->nbits > 56)
        return;
    if (d->end - d->p >= 8) {
        uint64_t w;
        memcpy(&w, d->p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        d->bits |= w << d->nbits;
        d->p += (63 - d->nbits) >> 3;
        d->nbits |= 56;
        return;
    }
    while (d->nbits <= 56 && d->p < d->end) {
        d->bits |= (uint64_t)*d->p++ << d->nbits;
        d->nbits += 8;
    }
}

/* The value of token t (>= TRACE_HUFF_EXACT) with extra bits `low`. */
static inline uint64_t trace_huff_value(unsigned t, uint64_t low)
{
    unsigned L = trace_huff_token_length(t);
    return 1ull << (L - 1) | (uint64_t)((t - TRACE_HUFF_EXACT) % 4) << (L - 3) | low;
}

/* The extra bits of a value of token t (t >= TRACE_HUFF_EXACT) whose code
 * was just read; false if the data ends first. In pieces of at most 32 bits,
 * each after a refill: one piece for values below 2^35, inline. */
bool trace_huff_dec_extra_long(trace_huff_dec *d, unsigned t, uint64_t *v);

static inline __attribute__((always_inline)) bool trace_huff_dec_extra(trace_huff_dec *d, unsigned t, uint64_t *v)
{
    unsigned x = trace_huff_token_length(t) - 3;
    if (__builtin_expect(x > 32, 0))
        return trace_huff_dec_extra_long(d, t, v);
    trace_huff_refill(d);
    if (x > d->nbits)
        return false;
    uint64_t low = d->bits & ((1ull << x) - 1);
    d->bits >>= x;
    d->nbits -= x;
    *v = trace_huff_value(t, low);
    return true;
}

/* The next value, coded in context `ctx` (0 for a single code); false at the
 * end of the data, on a context without a code or a code that does not exist.
 * Inlined into the reader's field decoders: a call and its saved registers
 * cost a third of a value. */
static inline __attribute__((always_inline)) bool trace_huff_dec_next(trace_huff_dec *d, unsigned ctx, uint64_t *v)
{
    if (ctx >= TRACE_HUFF_CONTEXTS)
        return false;
    trace_huff_refill(d);
    unsigned e = d->use[ctx][d->bits & ((1u << TRACE_HUFF_MAXLEN) - 1)];
    unsigned l = e >> 12;
    if (l - 1 >= d->nbits) /* no code (e and l are 0), or more bits than are left */
        return false;
    d->bits >>= l;
    d->nbits -= l;
    unsigned t = (e & 4095u) - 1;
    if (t < TRACE_HUFF_EXACT) {
        *v = t;
        return true;
    }
    return trace_huff_dec_extra(d, t, v);
}
/* True when every value was read: fewer than 8 bits are left, all zero. */
bool trace_huff_dec_done(const trace_huff_dec *d);
void trace_huff_dec_free(trace_huff_dec *d);
static inline const uint8_t *trace_huff_dec_pos(const trace_huff_dec *d) { return d->p; }

#endif

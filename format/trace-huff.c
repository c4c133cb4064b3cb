/* trace-huff.c — per-column canonical Huffman coding of integer values
 * (FORMAT.md §4.1.1). The writer codes a column when that makes it smaller;
 * the reader trusts nothing: a malformed table, a code that does not exist
 * or a bitstream that runs out are errors, never a read out of bounds.
 *
 * SPDX-License-Identifier: MIT
 */
#include "trace-huff.h"
#include "trace-private.h"

#include <stdlib.h>
#include <string.h>

#define TABLE_SIZE (1u << TRACE_HUFF_MAXLEN)

/* Bit length of the values of token t >= TRACE_HUFF_EXACT. */
#define token_length trace_huff_token_length

/* Sorts the n leaves (weight << 9 | symbol, in symbol order) by weight,
 * ties by symbol: a stable radix sort on the weight's bytes, least
 * significant first, as many as the largest weight has. */
static void sort_leaves(uint64_t *leaf, unsigned n, uint32_t max)
{
    uint64_t tmp[TRACE_HUFF_SYMBOLS];
    uint64_t *from = leaf, *to = tmp;
    for (unsigned shift = 9; max; shift += 8, max >>= 8) {
        unsigned count[257] = { 0 };
        for (unsigned i = 0; i < n; i++)
            count[(from[i] >> shift & 255) + 1]++;
        for (unsigned d = 1; d < 256; d++)
            count[d] += count[d - 1];
        for (unsigned i = 0; i < n; i++)
            to[count[from[i] >> shift & 255]++] = from[i];
        uint64_t *t = from;
        from = to;
        to = t;
    }
    if (from != leaf)
        memcpy(leaf, from, n * sizeof *leaf);
}

/* Code lengths for the used symbols: Huffman's algorithm (two queues over
 * the leaves sorted by weight), then lengths beyond TRACE_HUFF_MAXLEN are cut
 * and the code made valid again by lengthening the cheapest codes. */
static unsigned build_lengths(const uint32_t *freq, uint8_t *len, uint16_t *syms)
{
    enum { N = TRACE_HUFF_SYMBOLS };
    uint64_t leaf[N];
    uint64_t w[2 * N];
    _Static_assert(N < 512, "symbols fit the low 9 bits of a leaf");
    int parent[2 * N];
    unsigned depth[2 * N];
    unsigned n = 0;
    uint32_t max = 0;
    for (unsigned s = 0; s < N; s++) { /* no branch: each symbol is written, kept if used */
        leaf[n] = (uint64_t)freq[s] << 9 | s;
        syms[n] = (uint16_t)s;
        max |= freq[s];
        n += freq[s] != 0;
    }
    if (n <= 1) {
        if (n)
            len[syms[0]] = 1;
        return n;
    }
    sort_leaves(leaf, n, max);
    for (unsigned i = 0; i < n; i++)
        w[i] = leaf[i] >> 9;
    unsigned li = 0, ii = n, next = n;
    while (next < 2 * n - 1) {
        unsigned pick[2];
        for (int k = 0; k < 2; k++) {
            if (li < n && (ii >= next || w[li] <= w[ii]))
                pick[k] = li++;
            else
                pick[k] = ii++;
        }
        w[next] = w[pick[0]] + w[pick[1]];
        parent[pick[0]] = parent[pick[1]] = (int)next;
        next++;
    }
    depth[next - 1] = 0;
    for (unsigned i = next - 1; i-- > 0;)
        depth[i] = depth[parent[i]] + 1;

    /* Cut to the longest length allowed, then repay the Kraft debt. */
    const uint32_t cap = TABLE_SIZE;
    uint32_t kraft = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned d = depth[i] > TRACE_HUFF_MAXLEN ? TRACE_HUFF_MAXLEN : depth[i];
        len[leaf[i] & 511] = (uint8_t)d;
        kraft += cap >> d;
    }
    while (kraft > cap) {
        /* Lengthen the longest code that can still grow (the rarest first). */
        unsigned best = N;
        for (unsigned i = 0; i < n; i++) {
            unsigned s = leaf[i] & 511;
            if (len[s] < TRACE_HUFF_MAXLEN && (best == N || len[s] > len[best]))
                best = s;
        }
        kraft -= cap >> (len[best] + 1);
        len[best]++;
    }
    /* Spend what is left on the most frequent symbols. */
    for (unsigned i = n; i-- > 0;) {
        unsigned s = leaf[i] & 511;
        while (len[s] > 1 && kraft + (cap >> len[s]) <= cap) {
            kraft += cap >> len[s];
            len[s]--;
        }
    }
    return n;
}

/* The l low bits of v (l <= 16) in reverse order. */
static inline unsigned reverse_bits(unsigned v, unsigned l)
{
    v = (v & 0x5555u) << 1 | (v >> 1 & 0x5555u);
    v = (v & 0x3333u) << 2 | (v >> 2 & 0x3333u);
    v = (v & 0x0f0fu) << 4 | (v >> 4 & 0x0f0fu);
    v = (v & 0x00ffu) << 8 | (v >> 8 & 0x00ffu);
    return v >> (16 - l);
}

/* Canonical codes, bit-reversed for an LSB-first stream: shorter codes
 * first, within a length by symbol. */
static void assign_codes(const uint8_t *len, const uint16_t *syms, unsigned n, uint16_t *code)
{
    unsigned count[TRACE_HUFF_MAXLEN + 1] = { 0 }, next[TRACE_HUFF_MAXLEN + 1];
    for (unsigned k = 0; k < n; k++)
        count[len[syms[k]]]++;
    unsigned c = 0;
    for (unsigned l = 1; l <= TRACE_HUFF_MAXLEN; l++) {
        c = (c + count[l - 1]) << 1;
        next[l] = c;
    }
    for (unsigned k = 0; k < n; k++) {
        unsigned s = syms[k], l = len[s];
        code[s] = (uint16_t)reverse_bits(next[l]++, l);
    }
}

typedef struct bitwriter {
    uint8_t *out;
    size_t o;
    uint64_t acc;
    unsigned n;
} bitwriter;

/* Appends n <= 56 bits. Fewer than 8 bits wait in `acc` between calls; the
 * whole accumulator is stored each time (so `out` needs 8 bytes of slack)
 * and the write position advances by the whole bytes: no branch. */
static inline void put_bits(bitwriter *b, uint64_t v, unsigned n)
{
    b->acc |= v << b->n;
    b->n += n;
    trace_put_u64(b->out + b->o, b->acc);
    b->o += b->n >> 3;
    b->acc >>= b->n & ~7u;
    b->n &= 7;
}

/* Writes one code table: M, a bitmap of the first M symbols, a nibble per
 * used symbol's length. */
static size_t table_size(unsigned m, unsigned used) { return 1 + (m > 127) + (m + 7) / 8 + (used + 1) / 2; }

static size_t put_table(uint8_t *out, const uint8_t *len, const uint16_t *syms, unsigned used)
{
    unsigned m = syms[used - 1] + 1u;
    size_t o = trace_put_varint(out, m);
    memset(out + o, 0, (m + 7) / 8 + (used + 1) / 2);
    for (unsigned k = 0; k < used; k++)
        out[o + syms[k] / 8] |= (uint8_t)(1u << (syms[k] % 8));
    o += (m + 7) / 8;
    for (unsigned k = 0; k < used; k++)
        out[o + k / 2] |= (uint8_t)(len[syms[k]] << (4 * (k % 2)));
    return o + (used + 1) / 2;
}

const trace_huff_hist *trace_huff_count_all(trace_huff_hist *h, const uint8_t *in, size_t len, const uint8_t *ctx)
{
    trace_huff_reset(h);
    const uint8_t *p = in, *end = in + len;
    uint64_t v;
    for (size_t i = 0; p < end; i++) {
        if (!trace_get_varint(&p, end, &v))
            return NULL;
        trace_huff_count(h, ctx ? ctx[i] : 0, v);
    }
    return h;
}

size_t trace_huff_varint_size(const trace_huff_hist *h)
{
    size_t n = 0;
    for (unsigned c = 0; c < TRACE_HUFF_CONTEXTS; c++) {
        if (!(h->mask & 1u << c))
            continue;
        const uint32_t *f = h->freq[c];
        for (unsigned t = 0; t < TRACE_HUFF_EXACT; t++)
            n += (size_t)f[t] << (t >= 128);
        /* a value of bit length L is a varint of (L + 6) / 7 bytes */
        for (unsigned t = TRACE_HUFF_EXACT; t < TRACE_HUFF_SYMBOLS; t++)
            n += (size_t)f[t] * ((token_length(t) + 6) / 7);
    }
    return n;
}

size_t trace_huff_plan(trace_huff_enc *e, const trace_huff_hist *h, bool by_context, size_t limit)
{
    if (!h || !h->mask)
        return 0;
    uint32_t mask = h->mask;
    uint64_t bits = 0;
    size_t size = by_context ? 4 : 0;
    for (unsigned c = 0; c < TRACE_HUFF_CONTEXTS; c++) {
        if (!(mask & 1u << c))
            continue;
        const uint16_t *syms = e->syms[c];
        unsigned used = e->used[c] = build_lengths(h->freq[c], e->len[c], e->syms[c]);
        size += table_size(syms[used - 1] + 1u, used);
        for (unsigned k = 0; k < used; k++) {
            unsigned s = syms[k];
            /* a value of bit length L has L - 3 extra bits */
            bits += (uint64_t)h->freq[c][s] * (e->len[c][s] + (s < TRACE_HUFF_EXACT ? 0 : token_length(s) - 3));
        }
    }
    size += (size_t)((bits + 7) / 8);
    if (size >= limit)
        return 0;
    e->mask = mask;
    e->by_context = by_context;
    e->size = size;
    return size;
}

/* A varint the writer itself made (well-formed, inside the column). */
static inline uint64_t own_varint(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    uint64_t v = *p & 0x7fu;
    for (unsigned shift = 7; *p++ & 0x80; shift += 7)
        v |= (uint64_t)(*p & 0x7fu) << shift;
    *pp = p;
    return v;
}

/* Appends one value coded with the entries `ent` of its context. */
static inline __attribute__((always_inline)) void put_value(bitwriter *b, const uint32_t *ent, uint64_t val)
{
    if (val < TRACE_HUFF_EXACT) { /* its own symbol, no extra bits */
        uint32_t en = ent[val];
        put_bits(b, en & 0xffffu, en >> 16);
        return;
    }
    unsigned x, t = trace_huff_token(val, &x);
    uint32_t en = ent[t];
    unsigned l = en >> 16;
    if (l + x <= 56) {
        /* code and extra bits in one go */
        put_bits(b, (en & 0xffffu) | (val & ((1ull << x) - 1)) << l, l + x);
    } else {
        put_bits(b, en & 0xffffu, l);
        put_bits(b, val & 0xffffffffu, 32);
        put_bits(b, (val >> 32) & ((1ull << (x - 32)) - 1), x - 32);
    }
}

/* Four codes of at most TRACE_HUFF_MAXLEN bits fit behind the < 8 bits a
 * flush leaves: values below TRACE_HUFF_EXACT go four to a store. */
#define GROUP 4u
_Static_assert(7 + GROUP * TRACE_HUFF_MAXLEN <= 64, "a group fits the accumulator");

/* The values at `v` (`n` of them), each in the code of its context (`ctx`,
 * or context 0 when NULL): inlined once with and once without `ctx`. */
static inline __attribute__((always_inline)) void put_values(bitwriter *b, const trace_huff_enc *e, const uint64_t *v,
                                                             size_t n, const uint8_t *ctx)
{
    /* Row of value i's context (kept in range, as every context's is). */
#define ROW(i) e->ent[ctx ? ctx[i] % TRACE_HUFF_CONTEXTS : 0]
    uint64_t acc = b->acc;
    unsigned nb = b->n;
    uint8_t *out = b->out + b->o;
    size_t i = 0;
    for (; i + GROUP <= n; i += GROUP) {
        uint64_t v0 = v[i], v1 = v[i + 1], v2 = v[i + 2], v3 = v[i + 3];
        if ((v0 | v1 | v2 | v3) < TRACE_HUFF_EXACT) {
            uint32_t e0 = ROW(i)[v0], e1 = ROW(i + 1)[v1], e2 = ROW(i + 2)[v2], e3 = ROW(i + 3)[v3];
            acc |= (uint64_t)(e0 & 0xffffu) << nb;
            nb += e0 >> 16;
            acc |= (uint64_t)(e1 & 0xffffu) << nb;
            nb += e1 >> 16;
            acc |= (uint64_t)(e2 & 0xffffu) << nb;
            nb += e2 >> 16;
            acc |= (uint64_t)(e3 & 0xffffu) << nb;
            nb += e3 >> 16;
            trace_put_u64(out, acc);
            out += nb >> 3;
            acc >>= nb & ~7u;
            nb &= 7;
            continue;
        }
        bitwriter g = { out, 0, acc, nb };
        for (unsigned k = 0; k < GROUP; k++)
            put_value(&g, ROW(i + k), v[i + k]);
        out += g.o;
        acc = g.acc;
        nb = g.n;
    }
    b->o = (size_t)(out - b->out);
    b->acc = acc;
    b->n = nb;
    for (; i < n; i++)
        put_value(b, ROW(i), v[i]);
#undef ROW
}

/* The body planned last, of the values at `v` (`n` of them) or else of the
 * varints in [in, end): inlined into each caller, with and without `ctx`. */
static inline __attribute__((always_inline)) size_t write_body(trace_huff_enc *e, const uint64_t *v, size_t n,
                                                               const uint8_t *in, const uint8_t *end,
                                                               const uint8_t *ctx, uint8_t *out)
{
    size_t o = 0;
    if (e->by_context) {
        trace_put_u32(out, e->mask);
        o = 4;
    }
    for (unsigned c = 0; c < TRACE_HUFF_CONTEXTS; c++)
        if (e->mask & 1u << c) {
            const uint8_t *len = e->len[c];
            const uint16_t *syms = e->syms[c];
            uint16_t code[TRACE_HUFF_SYMBOLS];
            o += put_table(out + o, len, syms, e->used[c]);
            assign_codes(len, syms, e->used[c], code);
            for (unsigned k = 0; k < e->used[c]; k++)
                e->ent[c][syms[k]] = code[syms[k]] | (uint32_t)len[syms[k]] << 16;
        }

    bitwriter b = { out, o, 0, 0 };
    if (v) {
        put_values(&b, e, v, n, ctx);
    } else {
        for (size_t i = 0; in < end; i++)
            put_value(&b, e->ent[ctx ? ctx[i] % TRACE_HUFF_CONTEXTS : 0], own_varint(&in));
    }
    if (b.n > 0)
        b.out[b.o++] = (uint8_t)b.acc;
    return b.o;
}

static size_t write_values(trace_huff_enc *e, const uint64_t *v, size_t n, const uint8_t *ctx, uint8_t *out)
{
    return ctx ? write_body(e, v, n, NULL, NULL, ctx, out) : write_body(e, v, n, NULL, NULL, NULL, out);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The same with BMI2's shifts by a register (one instruction, no flags,
 * any register) where the CPU has them (x86-64 since about 2013): every
 * value shifts its code by the bit count, every flush the accumulator. */
__attribute__((target("bmi2"))) static size_t write_values_bmi2(trace_huff_enc *e, const uint64_t *v, size_t n,
                                                                const uint8_t *ctx, uint8_t *out)
{
    return ctx ? write_body(e, v, n, NULL, NULL, ctx, out) : write_body(e, v, n, NULL, NULL, NULL, out);
}
#endif

size_t trace_huff_write(trace_huff_enc *e, const uint64_t *v, size_t n, const uint8_t *ctx, uint8_t *out)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (trace_cpu_bmi2())
        return write_values_bmi2(e, v, n, ctx, out);
#endif
    return write_values(e, v, n, ctx, out);
}

size_t trace_huff_encode(trace_huff_enc *e, const trace_huff_hist *h, const uint8_t *in, size_t len,
                         const uint8_t *ctx, uint8_t *out, size_t limit)
{
    if (!len || !trace_huff_plan(e, h, ctx != NULL, limit))
        return 0;
    if (write_body(e, NULL, 0, in, in + len, ctx, out) != e->size)
        return 0; /* cannot happen: the size was computed from the same code */
    return e->size;
}

/* The decoding table of a prefix code: entry i (the next 12 bits of the
 * stream, LSB first) is symbol + 1 | length << 12 of the code that starts
 * those bits, or 0 where no code does (an incomplete code). A code of
 * length l is every 2^l-th entry from its bit-reversed value: rather than
 * store each of those 4096 >> l entries, the table grows by doubling, as
 * libdeflate builds its tables: at size 2^l the codes of length l are
 * stored once, then the table is copied onto its upper half, which repeats
 * every shorter code where its low bits say. The same entries, with a store
 * per symbol and 8 KiB of copying instead of 4096 strided stores. */
static void fill_table(uint16_t *table, const uint8_t *lens, const uint16_t *syms, unsigned used, const uint16_t *code)
{
    /* the symbols by length (counting sort; within a length, any order) */
    unsigned start[TRACE_HUFF_MAXLEN + 2] = { 0 };
    uint16_t order[TRACE_HUFF_SYMBOLS];
    for (unsigned k = 0; k < used; k++)
        start[lens[syms[k]] + 1]++;
    for (unsigned l = 1; l <= TRACE_HUFF_MAXLEN + 1; l++)
        start[l] += start[l - 1];
    for (unsigned k = 0; k < used; k++)
        order[start[lens[syms[k]]]++] = syms[k];
    /* start[l] is now the end of length l's symbols, the start of l + 1's */
    table[0] = 0;
    unsigned k = 0;
    for (unsigned l = 1; l <= TRACE_HUFF_MAXLEN; l++) {
        size_t half = (size_t)1 << (l - 1);
        memcpy(table + half, table, half * sizeof *table);
        for (; k < start[l]; k++) {
            unsigned s = order[k];
            table[code[s]] = (uint16_t)((s + 1) | l << 12);
        }
    }
}

/* Reads one code table into `table`; advances *pp. */
static bool read_table(const uint8_t **pp, const uint8_t *end, uint16_t *table, const char **what)
{
    const uint8_t *p = *pp;
    uint64_t m;
    if (!trace_get_varint(&p, end, &m) || m == 0 || m > TRACE_HUFF_SYMBOLS) {
        *what = "code table: symbol count out of range";
        return false;
    }
    size_t bm = (size_t)(m + 7) / 8;
    if ((size_t)(end - p) < bm) {
        *what = "code table runs past the column";
        return false;
    }
    const uint8_t *bitmap = p;
    unsigned used = 0;
    for (unsigned s = 0; s < bm * 8; s++)
        if (bitmap[s / 8] >> (s % 8) & 1) {
            if (s >= m) {
                *what = "code table: symbol beyond its count";
                return false;
            }
            used++;
        }
    p += bm;
    if (!used || (size_t)(end - p) < (used + 1) / 2) {
        *what = used ? "code table runs past the column" : "code table has no symbols";
        return false;
    }
    uint8_t lens[TRACE_HUFF_SYMBOLS];   /* of the symbols used only */
    uint16_t syms[TRACE_HUFF_SYMBOLS];  /* which, ascending */
    uint32_t kraft = 0;
    unsigned k = 0;
    for (unsigned s = 0; s < m; s++)
        if (bitmap[s / 8] >> (s % 8) & 1) {
            unsigned l = (p[k / 2] >> (4 * (k % 2))) & 15u;
            if (l == 0 || l > TRACE_HUFF_MAXLEN) {
                *what = "code table: code length out of range";
                return false;
            }
            syms[k++] = (uint16_t)s;
            lens[s] = (uint8_t)l;
            kraft += TABLE_SIZE >> l;
        }
    if ((used & 1) && (p[used / 2] >> 4)) {
        *what = "code table: padding nibble is not zero";
        return false;
    }
    if (kraft > TABLE_SIZE) {
        *what = "code table: the code is oversubscribed";
        return false;
    }
    p += (used + 1) / 2;
    uint16_t code[TRACE_HUFF_SYMBOLS];
    assign_codes(lens, syms, used, code);
    fill_table(table, lens, syms, used, code);
    *pp = p;
    return true;
}

bool trace_huff_dec_init(trace_huff_dec *d, const uint8_t *body, size_t len, bool by_context, const char **what)
{
    const uint8_t *p = body, *end = body + len;
    uint32_t mask = 1;
    /* Until every table is read, no context has a code. */
    static const uint16_t no_code[TABLE_SIZE];
    for (unsigned c = 0; c < TRACE_HUFF_CONTEXTS; c++)
        d->use[c] = no_code;
    d->ctx_mask = 0;
    if (by_context) {
        if (len < 4) {
            *what = "code table runs past the column";
            return false;
        }
        mask = trace_get_u32(p);
        p += 4;
        if (!mask) {
            *what = "code tables: no context has a code";
            return false;
        }
    }
    for (unsigned c = 0; c < TRACE_HUFF_CONTEXTS; c++) {
        if (!(mask & 1u << c))
            continue;
        if (!d->table[c] && !(d->table[c] = malloc(TABLE_SIZE * sizeof *d->table[c]))) {
            *what = "out of memory";
            return false;
        }
        if (!read_table(&p, end, d->table[c], what))
            return false;
    }
    for (unsigned c = 0; c < TRACE_HUFF_CONTEXTS; c++)
        if (mask & 1u << c)
            d->use[c] = d->table[c];
    d->ctx_mask = mask;
    d->p = p;
    d->end = end;
    d->bits = 0;
    d->nbits = 0;
    return true;
}

bool trace_huff_dec_extra_long(trace_huff_dec *d, unsigned t, uint64_t *v)
{
    unsigned x = trace_huff_token_length(t) - 3;
    uint64_t low = 0;
    for (unsigned got = 0; got < x;) {
        trace_huff_refill(d);
        unsigned take = x - got > 32 ? 32 : x - got;
        if (take > d->nbits)
            return false;
        low |= (d->bits & ((1ull << take) - 1)) << got;
        d->bits >>= take;
        d->nbits -= take;
        got += take;
    }
    *v = trace_huff_value(t, low);
    return true;
}

void trace_huff_dec_free(trace_huff_dec *d)
{
    for (unsigned c = 0; c < TRACE_HUFF_CONTEXTS; c++) {
        free(d->table[c]);
        d->table[c] = NULL;
    }
}

bool trace_huff_dec_done(const trace_huff_dec *d)
{
    return d->p == d->end && d->nbits < 8 && d->bits == 0;
}

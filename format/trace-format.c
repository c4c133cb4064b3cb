/* trace-format.c — the kind table, status names and CRC-32.
 *
 * SPDX-License-Identifier: MIT
 */
#include "trace-format.h"
#include "trace-private.h"

#include <pthread.h>
#include <stdbool.h>

/* Per-kind field lists, generated from the one table. */
#define FIELD(type, member, name, since) { TRACE_FIELD_##type, (uint16_t)offsetof(trace_event, member), name, since },
#define FIELDS_OF(sym, id, name, fields) \
    static const trace_field_info fields_##sym[] = { fields { TRACE_FIELD_NONE, 0, NULL, 0 } };
TRACE_EVENT_KINDS(FIELDS_OF, FIELD)
#undef FIELDS_OF

#define COUNT_FIELD(type, member, name, since) +1
#define KIND_INFO(sym, id, name, fields) \
    [id] = { name, fields_##sym, (uint8_t)(0 fields) },
#define DICT_INFO(sym, id, name) [id] = { name, NULL, 0 },
static const trace_kind_info kind_table[TRACE_KIND_MAX] = {
#undef FIELD
#define FIELD COUNT_FIELD
    TRACE_EVENT_KINDS(KIND_INFO, FIELD)
    TRACE_DICT_KINDS(DICT_INFO)
};
#undef FIELD
#undef KIND_INFO
#undef DICT_INFO
#undef COUNT_FIELD

const trace_kind_info *trace_kind_get(uint32_t kind)
{
    if (kind >= TRACE_KIND_MAX || kind_table[kind].name == NULL)
        return NULL;
    return &kind_table[kind];
}

const char *trace_kind_name(uint32_t kind)
{
    const trace_kind_info *k = trace_kind_get(kind);
    return k ? k->name : "?";
}

const char *trace_strerror(trace_status st)
{
    static const char *const texts[] = {
#define TRACE_S_TEXT(sym, text) [TRACE_##sym] = text,
        TRACE_STATUS_LIST(TRACE_S_TEXT)
#undef TRACE_S_TEXT
    };
    return (unsigned)st < TRACE_STATUS_COUNT ? texts[st] : "unknown status";
}

static uint32_t crc_table[8][256];

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CRC_CLMUL 1
#include <emmintrin.h>
#include <wmmintrin.h>

/* Where the CPU multiplies without carries (PCLMULQDQ, x86-64 since about
 * 2010), blocks of 64 bytes are folded four 16-byte lanes at a time (Intel,
 * "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ", with the
 * constants for the reflected polynomial 0xEDB88320), then reduced to 32
 * bits (Barrett). `crc` is the register (inverted); len >= 64, a multiple
 * of 16. The same values as the tables. */
__attribute__((target("pclmul"))) static uint32_t crc32_clmul(uint32_t crc, const uint8_t *p, size_t len)
{
    /* x^(4*128+32) and x^(4*128-32) mod P (a lane folded 64 bytes on), bit-reflected, shifted left one */
    const __m128i fold4 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
    const __m128i fold1 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0); /* the same for 16 bytes */
    const __m128i fold64 = _mm_set_epi64x(0, 0x163cd6124);          /* x^64 mod P, likewise */
    const __m128i barrett = _mm_set_epi64x(0x1f7011641, 0x1db710641); /* floor(x^64 / P), P; reflected */
    const __m128i low32 = _mm_setr_epi32(-1, 0, -1, 0);

    __m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)crc));
    __m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
    for (p += 64, len -= 64; len >= 64; p += 64, len -= 64) {
#define FOLD(x, k, next) \
    _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next)
        x0 = FOLD(x0, fold4, _mm_loadu_si128((const __m128i *)p));
        x1 = FOLD(x1, fold4, _mm_loadu_si128((const __m128i *)(p + 16)));
        x2 = FOLD(x2, fold4, _mm_loadu_si128((const __m128i *)(p + 32)));
        x3 = FOLD(x3, fold4, _mm_loadu_si128((const __m128i *)(p + 48)));
    }
    /* The four lanes into one, then the 16-byte blocks left. */
    x0 = FOLD(x0, fold1, x1);
    x0 = FOLD(x0, fold1, x2);
    x0 = FOLD(x0, fold1, x3);
    for (; len >= 16; p += 16, len -= 16)
        x0 = FOLD(x0, fold1, _mm_loadu_si128((const __m128i *)p));
#undef FOLD
    /* 128 bits to 64, to 32 (as the 96 bits' low 32 times x^64), then Barrett. */
    x0 = _mm_xor_si128(_mm_clmulepi64_si128(x0, fold1, 0x10), _mm_srli_si128(x0, 8));
    x0 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x0, low32), fold64, 0x00), _mm_srli_si128(x0, 4));
    __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x0, low32), barrett, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
    return (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(_mm_xor_si128(x0, t), 4));
}
static bool crc_clmul;
#endif

/* Filled once, on first use (constructors of the preload module may need it
 * before this file's own would run). Slicing-by-8: eight bytes per step,
 * since the writer checksums every chunk it writes. */
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
#ifdef CRC_CLMUL
    crc_clmul = trace_cpu_pclmul();
#endif
}

uint32_t trace_crc32(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = data;
    crc = ~crc;
#ifdef CRC_CLMUL
    if (len >= 64 && crc_clmul) {
        size_t n = len & ~(size_t)15;
        crc = crc32_clmul(crc, p, n);
        p += n;
        len -= n;
    }
#endif
    while (len >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
              crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

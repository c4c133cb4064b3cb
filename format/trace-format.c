/* trace-format.c — the kind table, status names and CRC-32.
 *
 * SPDX-License-Identifier: MIT
 */
#include "trace-format.h"

#include <pthread.h>

/* Per-kind field lists, generated from the one table. */
#define FIELD(type, member, name) { TRACE_FIELD_##type, (uint16_t)offsetof(trace_event, member), name },
#define FIELDS_OF(sym, id, name, fields) \
    static const trace_field_info fields_##sym[] = { fields { TRACE_FIELD_NONE, 0, NULL } };
TRACE_EVENT_KINDS(FIELDS_OF, FIELD)
#undef FIELDS_OF

#define COUNT_FIELD(type, member, name) +1
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

const char *trace_field_type_name(trace_field_type t)
{
    static const char *const names[] = {
        [TRACE_FIELD_NONE] = "none",
#define TRACE_F_NAME(sym, name) [TRACE_FIELD_##sym] = name,
        TRACE_FIELD_TYPES(TRACE_F_NAME)
#undef TRACE_F_NAME
    };
    return (unsigned)t < TRACE_FIELD_COUNT ? names[t] : "?";
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
}

uint32_t trace_crc32(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = data;
    crc = ~crc;
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

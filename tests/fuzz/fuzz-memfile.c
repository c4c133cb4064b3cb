/* fuzz-memfile.c — input bytes as a file the reader can open by name.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "fuzz.h"
#include "trace-format.h"
#include "trace-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t path_len)
{
    int fd = memfd_create("leakscope-fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    snprintf(path, path_len, "/proc/self/fd/%d", fd);
    return fd;
}

/* Recomputes every CRC-32 in the file header and in chunk headers the bytes
 * still frame (FORMAT.md §3, §4). */
bool fuzz_fix_checksums(uint8_t *d, size_t n)
{
    bool changed = false;
    if (n < 16 || trace_get_u32(d) != TRACE_MAGIC_FILE_HEADER)
        return false;
    uint64_t size = trace_get_u32(d + 4);
    if (size < 4 || 8 + size > n)
        return false;
    uint32_t crc = trace_crc32(0, d + 8, (size_t)size - 4);
    if (trace_get_u32(d + 8 + size - 4) != crc) {
        trace_put_u32(d + 8 + size - 4, crc);
        changed = true;
    }
    uint64_t pos = 8 + size;
    while (n - pos >= 8) {
        uint32_t magic = trace_get_u32(d + pos);
        size = trace_get_u32(d + pos + 4);
        if ((magic & 0xFFFFFFF0u) != 0x184D2A50u || size > n - pos - 8)
            break;
        if (magic != TRACE_MAGIC_CHUNK_HEADER || size < TRACE_CHUNK_HEADER_SIZE) {
            pos += 8 + size;
            continue;
        }
        uint8_t *h = d + pos + 8;
        uint64_t comp = trace_get_u32(h + 32);
        if (comp > n - pos - 8 - size)
            break;
        uint8_t zero[4] = { 0 }, old[4];
        memcpy(old, h + 40, 4);
        crc = trace_crc32(0, h, 40);
        crc = trace_crc32(crc, zero, 4);
        crc = trace_crc32(crc, h + 44, (size_t)size - 44);
        crc = trace_crc32(crc, h + size, (size_t)comp);
        if (trace_get_u32(old) != crc) {
            trace_put_u32(h + 40, crc);
            changed = true;
        }
        pos += 8 + size + comp;
    }
    return changed;
}

int fuzz_run_both(const uint8_t *data, size_t size, void (*one)(const uint8_t *, size_t))
{
    one(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    if (fuzz_fix_checksums(copy, size))
        one(copy, size);
    free(copy);
    return 0;
}

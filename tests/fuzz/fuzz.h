/* fuzz.h — what the fuzz targets share with their replay driver.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_FUZZ_H
#define LEAKSCOPE_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point; fuzz-main.c calls it for each corpus file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Puts `size` bytes into an anonymous in-memory file and writes its
 * /proc/self/fd/N name into path (so the reader opens it by name, unchanged).
 * Returns the descriptor (close it when done) or -1. */
int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t path_len);

/* Checksums stop almost every mutation at the CRC check, so the targets
 * run each input as it is and, if any CRC-32 in it is wrong, once more with
 * every checksum the framing still allows recomputed: the decoders behind the
 * checks get fuzzed, and an input found that way replays the same way. */
bool fuzz_fix_checksums(uint8_t *data, size_t size);
int fuzz_run_both(const uint8_t *data, size_t size, void (*one)(const uint8_t *, size_t));

/* A hostile file must be refused with a format error, never by running out
 * of memory: the targets abort on TRACE_ERR_NOMEM, so a declared size that
 * makes the reader ask for more than the process may have (RLIMIT_AS in the
 * replay driver, -malloc_limit_mb under libFuzzer) is a crash. */
#define FUZZ_CHECK_NOT_NOMEM(st) \
    do { \
        if ((st) == TRACE_ERR_NOMEM) \
            __builtin_trap(); \
    } while (0)

#endif

/* heap-live.c — the heap scan's speed: MIB MiB live in blocks of BLOCK
 * bytes, each holding two pointers (to the block before it and into a
 * block further back) and otherwise numbers that point nowhere, traced
 * through the API; then one trace_heap_snapshot(), timed. Prints
 * "snapshot_s S live_bytes B blocks N" (bench/run-heapscan-bench.py).
 *
 * usage: heap-live TRACE MIB BLOCK
 *
 * SPDX-License-Identifier: MIT
 */
#include <leakscope/trace.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    size_t mib = strtoul(argv[2], NULL, 10), block = strtoul(argv[3], NULL, 10);
    size_t n = (mib << 20) / block, words = block / 8;
    if (trace_begin(argv[1]) != 0 || words < 2)
        return 1;
    uint64_t **blocks = calloc(n, sizeof *blocks), seed = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        uint64_t *p = malloc(block);
        if (!p)
            return 1;
        for (size_t k = 2; k < words; k++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            p[k] = seed >> 20; /* below any heap address */
        }
        p[0] = (uint64_t)(uintptr_t)(i ? blocks[i - 1] : NULL);
        p[1] = (uint64_t)(uintptr_t)(i ? (char *)blocks[seed % i] + 8 : NULL);
        blocks[i] = p;
        trace_alloc(p, block);
    }
    double t0 = now();
    int rc = trace_heap_snapshot("bench");
    double t1 = now();
    printf("snapshot_s %.4f live_bytes %zu blocks %zu rc %d\n", t1 - t0, n * block, n, rc);
    trace_end();
    return rc ? 1 : 0;
}

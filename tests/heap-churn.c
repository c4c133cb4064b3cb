/* heap-churn.c — threads that go on allocating, linking and freeing blocks
 * (small ones and big ones the allocator maps and unmaps) while main
 * exits: the exit's heap snapshot scans memory that is freed and unmapped
 * under it (check-heapscan.py: no crash, no hang, a complete trace).
 *
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 64

static void *churn(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;
    void *slot[SLOTS] = { 0 };
    for (;;) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        unsigned i = (unsigned)(seed % SLOTS);
        free(slot[i]);
        /* One in eight is 256 KiB to 2 MiB: mmap'd, and munmap'd when freed. */
        size_t n = seed >> 61 == 0 ? (256u << 10) + (seed >> 20) % (1792u << 10) : 16 + (seed >> 24) % 2000;
        void **p = malloc(n);
        if (!p)
            continue;
        memset(p, 0, n < 4096 ? n : 4096);
        p[0] = slot[(i + 1) % SLOTS]; /* pointers between the blocks */
        slot[i] = p;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    for (int t = 0; t < threads; t++) {
        pthread_t th;
        pthread_create(&th, NULL, churn, (void *)(uintptr_t)(t + 1));
    }
    usleep(argc > 2 ? (useconds_t)atoi(argv[2]) * 1000 : 100000);
    return 0; /* exit with every thread still churning */
}

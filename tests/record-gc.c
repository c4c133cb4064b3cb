/* record-gc.c — a program using the Boehm GC (libgc), unmodified: its
 * collections must show up as GC pauses when recorded. */
#include <gc/gc.h>
#include <stdio.h>

int main(void)
{
    GC_INIT();
    void **keep = GC_MALLOC(sizeof(void *) * 1000);
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 20000; i++) {
            void *p = GC_MALLOC(256 + (size_t)(i % 512));
            if (i % 20 == 0)
                keep[(round * 20000 + i) / 20 % 1000] = p;
        }
        GC_gcollect();
    }
    printf("{\"explicit_collections\": 5, \"gc_count\": %lu}\n", (unsigned long)GC_get_gc_no());
    return 0;
}

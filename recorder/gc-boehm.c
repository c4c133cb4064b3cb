/* gc-boehm.c — records the collections of the Boehm-Demers-Weiser collector
 * (libgc) as GC pauses, with no change to the program: when libgc is in the
 * process, a collection-event callback is installed in front of any the
 * program set. The callback runs with the world stopped, so it records
 * without ever waiting on a lock.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "recorder-private.h"

#include <dlfcn.h>

/* From <gc/gc.h> (libgc 7.4 and later); not included so that libgc is not
 * needed to build the recorder. */
enum { GC_EVENT_START = 0, GC_EVENT_END = 5 };
typedef void (*gc_event_proc)(int);

static gc_event_proc previous;
static size_t (*gc_heap_size)(void);
static size_t (*gc_free_bytes)(void);

static void on_gc_event(int event)
{
    if (event == GC_EVENT_START) {
        ls_record_gc_begin("collection", true);
    } else if (event == GC_EVENT_END) {
        /* Unsynchronized getters, meant to be called with the GC lock held. */
        size_t heap = gc_heap_size(), free_bytes = gc_free_bytes();
        ls_record_gc_end(heap > free_bytes ? heap - free_bytes : 0, true);
    }
    if (previous)
        previous(event);
}

void ls_gc_hook_install(void)
{
    void (*set)(gc_event_proc) = (void (*)(gc_event_proc))dlsym(RTLD_DEFAULT, "GC_set_on_collection_event");
    gc_event_proc (*get)(void) = (gc_event_proc(*)(void))dlsym(RTLD_DEFAULT, "GC_get_on_collection_event");
    gc_heap_size = (size_t(*)(void))dlsym(RTLD_DEFAULT, "GC_get_heap_size");
    gc_free_bytes = (size_t(*)(void))dlsym(RTLD_DEFAULT, "GC_get_free_bytes");
    if (!set || !get || !gc_heap_size || !gc_free_bytes)
        return;
    gc_event_proc current = get();
    if (current == on_gc_event)
        return;
    previous = current;
    set(on_gc_event);
}

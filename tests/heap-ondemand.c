/* heap-ondemand.c — trace_heap_snapshot() from a program linked with
 * libleakscope: before trace_begin it fails (ENOTCONN); during the
 * recording it writes a snapshot of the blocks traced so far, from any
 * thread; trace_end writes one labelled "end". With LEAKSCOPE_SCAN=0 it
 * fails with ECANCELED and none is written. Prints "NAME 0xADDR" per block
 * and "rc LABEL RESULT ERRNO" per call (check-heapscan.py checks the trace).
 *
 * SPDX-License-Identifier: MIT
 */
#include <leakscope/trace.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

void **kept; /* a global: the root of what it points to */

static void call(const char *label)
{
    errno = 0;
    int rc = trace_heap_snapshot(label);
    printf("rc %s %d %d\n", label, rc, rc ? errno : 0);
}

static void *from_thread(void *arg)
{
    (void)arg;
    call("thread");
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    call("before");
    if (trace_begin(argv[1]) != 0) {
        perror("trace_begin");
        return 1;
    }
    kept = malloc(4 * sizeof *kept);
    trace_alloc(kept, 4 * sizeof *kept);
    void *a = malloc(48), *b = malloc(96);
    trace_alloc(a, 48);
    trace_alloc(b, 96);
    kept[0] = a;
    kept[1] = b;
    printf("kept %p\na %p\nb %p\n", (void *)kept, a, b);
    call("first");
    kept[1] = NULL;
    trace_free(b);
    free(b);
    pthread_t t;
    pthread_create(&t, NULL, from_thread, NULL);
    pthread_join(t, NULL);
    trace_end();
    call("after");
    fflush(stdout);
    trace_free(a);
    free(a);
    free(kept);
    return 0;
}

/* heap-target.c — a heap of known shape at exit, for check-heapscan.py:
 * a block lost directly, a lost parent with two children, a ring of three
 * lost blocks, a block reached only by an interior pointer from a global, a
 * global holding a chain of three, a block held by main's stack, one held
 * by another thread's stack (the thread still running at exit), one held by
 * a thread-local variable, and a block freed before exit. Prints each
 * block's name and address ("NAME 0xADDR"), and the other thread's id.
 *
 * Built without optimisation: the pointers dropped must not linger in
 * registers or spilled slots (the stack is scrubbed after building).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

void *global_interior; /* points 100 bytes into a block */
void **global_chain;   /* g1 -> g2 -> g3 */
static __thread void *tls_block;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready;
static char names[32][64];
static int nnames;

/* By value: the blocks are not read here. */
static void note(const char *name, uintptr_t p)
{
    snprintf(names[nnames++], sizeof names[0], "%s 0x%lx", name, (unsigned long)p);
}
#define NOTE(name, p) note(name, (uintptr_t)(p))

static void *worker(void *arg)
{
    (void)arg;
    void *volatile held = malloc(72);
    memset(held, 0, 72);
    pthread_mutex_lock(&lock);
    NOTE("thread_stack", held);
    snprintf(names[nnames++], sizeof names[0], "worker_tid %ld", (long)syscall(SYS_gettid));
    ready = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    for (;;)
        pause(); /* still running when main exits */
    return NULL;
}

static __attribute__((noinline)) void build(void)
{
    NOTE("lost_direct", malloc(100));

    void **parent = calloc(6, 8), *c1 = calloc(3, 8), *c2 = calloc(3, 8);
    parent[0] = c1;
    parent[1] = c2;
    NOTE("parent", parent);
    NOTE("child1", c1);
    NOTE("child2", c2);

    void **r1 = calloc(4, 8), **r2 = calloc(4, 8), **r3 = calloc(4, 8);
    r1[0] = r2;
    r2[0] = r3;
    r3[0] = r1;
    NOTE("ring1", r1);
    NOTE("ring2", r2);
    NOTE("ring3", r3);

    char *interior = calloc(256, 1);
    global_interior = interior + 100;
    NOTE("interior", interior);

    void **g1 = calloc(5, 8), **g2 = calloc(5, 8), **g3 = calloc(5, 8);
    g1[0] = g2;
    g2[0] = g3;
    global_chain = g1;
    NOTE("chain1", g1);
    NOTE("chain2", g2);
    NOTE("chain3", g3);

    tls_block = calloc(7, 8);
    NOTE("tls", tls_block);

    void *freed = malloc(777);
    NOTE("freed", freed);
    free(freed);
}

/* Overwrites the dead frames below main's, where build's pointers were. */
static __attribute__((noinline)) void scrub(void)
{
    volatile char buf[65536];
    memset((char *)buf, 0, sizeof buf);
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&lock);
    while (!ready)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    build();
    void *volatile on_stack = calloc(11, 8);
    NOTE("main_stack", on_stack);
    snprintf(names[nnames++], sizeof names[0], "main_tid %ld", (long)getpid());
    char out[2048] = "";
    for (int i = 0; i < nnames; i++) {
        strcat(out, names[i]);
        strcat(out, "\n");
    }
    memset(names, 0, sizeof names);
    if (write(1, out, strlen(out)) < 0)
        return 1;
    memset(out, 0, sizeof out);
    scrub();
    /* exit, not return: main's frame, holding on_stack, stays. The worker
     * still runs: the exit's snapshot scans its whole stack. */
    exit(0);
}

/* heap-handoff.c — blocks handed from one thread to another: a producer
 * allocates, a consumer frees what it gets and allocates blocks of the same
 * sizes itself (its allocator hands it the addresses it just freed), keeping
 * every tenth; so the same addresses go through both threads' records. The
 * recorder's writer takes those records thread by thread, not in time
 * order; the exit snapshot must still list exactly the blocks live at exit.
 * tests/check-heapscan.py records it.
 *
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 40000
#define QUEUE 64

static void *queue[QUEUE];
static unsigned head, tail;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
void *kept[ROUNDS / 10 + 1]; /* a global: what the consumer keeps is reachable */
unsigned nkept;

static void *producer(void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < ROUNDS; i++) {
        void *p = malloc(32 + (i % 4) * 16);
        pthread_mutex_lock(&lock);
        while (head - tail == QUEUE)
            pthread_cond_wait(&changed, &lock);
        queue[head++ % QUEUE] = p;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        while (head == tail)
            pthread_cond_wait(&changed, &lock);
        void *p = queue[tail++ % QUEUE];
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        free(p);
        void *q = malloc(32 + (i % 4) * 16); /* the address just freed, from this thread */
        if (i % 10 == 0)
            kept[nkept++] = q;
        else
            free(q);
    }
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, producer, NULL);
    pthread_create(&b, NULL, consumer, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("kept %u\n", nkept);
    return 0;
}

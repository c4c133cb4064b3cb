/* res-target.c — opens and closes thousands of descriptors of several kinds
 * (sockets, pipes, files, FILE streams, directories) from four threads,
 * with a known most open at once per kind, and leaves a known few open.
 * tests/check-resources.py records it and holds the timeline's series to
 * those numbers.
 *
 * Usage: res-target DIR  (a directory to create files in)
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 600
#define RING 3      /* per thread and kind: at most this many open at once */
#define LEFT_OPEN 1 /* per thread and kind, at the end */

static const char *dir;

typedef struct ring {
    int sock[RING], pipe_r[RING], pipe_w[RING], file[RING];
    FILE *stream[RING];
    DIR *dirs[RING];
} ring;

static __attribute__((noinline)) void close_slot(ring *r, int i)
{
    if (r->sock[i] >= 0)
        close(r->sock[i]);
    if (r->pipe_r[i] >= 0) {
        close(r->pipe_r[i]);
        close(r->pipe_w[i]);
    }
    if (r->file[i] >= 0)
        close(r->file[i]);
    if (r->stream[i])
        fclose(r->stream[i]);
    if (r->dirs[i])
        closedir(r->dirs[i]);
    r->sock[i] = r->pipe_r[i] = r->pipe_w[i] = r->file[i] = -1;
    r->stream[i] = NULL;
    r->dirs[i] = NULL;
}

static void *worker(void *arg)
{
    long t = (long)arg;
    ring r;
    for (int i = 0; i < RING; i++) {
        r.sock[i] = r.pipe_r[i] = r.pipe_w[i] = r.file[i] = -1;
        r.stream[i] = NULL;
        r.dirs[i] = NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/file-%ld", dir, t);
    for (int k = 0; k < ROUNDS; k++) {
        int i = k % RING;
        close_slot(&r, i);
        int p[2];
        r.sock[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (pipe2(p, O_CLOEXEC) == 0) {
            r.pipe_r[i] = p[0];
            r.pipe_w[i] = p[1];
        }
        r.file[i] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        r.stream[i] = fopen(path, "re");
        r.dirs[i] = opendir(dir);
    }
    /* Close all but LEFT_OPEN of each kind: the ring's oldest stays open. */
    for (int k = ROUNDS - RING + LEFT_OPEN; k < ROUNDS; k++)
        close_slot(&r, k % RING);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: res-target DIR\n");
        return 2;
    }
    dir = argv[1];
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, worker, (void *)t);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    /* What the checker holds the trace to, per kind: most open at once and
     * open at the end (fd/pipe counts both ends). */
    printf("fd/socket %d %d\n", THREADS * RING, THREADS * LEFT_OPEN);
    printf("fd/pipe %d %d\n", 2 * THREADS * RING, 2 * THREADS * LEFT_OPEN);
    printf("fd/file %d %d\n", THREADS * RING, THREADS * LEFT_OPEN);
    printf("FILE %d %d\n", THREADS * RING, THREADS * LEFT_OPEN);
    printf("DIR %d %d\n", THREADS * RING, THREADS * LEFT_OPEN);
    return 0;
}

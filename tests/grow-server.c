/* grow-server.c — a server-like program for the growth-trend test
 * (check-growth.py): a request loop, one request a millisecond, until it
 * is killed. Per request, session_log keeps 256 bytes for good (a leak by
 * growth: nothing is left "at exit" when the server is killed), lru_insert
 * adds 512 bytes to a cache capped at LRU_CAP entries (full in the first
 * fifth of a second, then one evicted per one added: flat), and a 4 MiB
 * table made at startup (build_table) stays constant. Every 10th request
 * opens /dev/null and keeps it (open_log: descriptors that keep growing);
 * every request opens and closes one (no growth). Every 100 requests it
 * marks the end of a batch, trace_mark("batch"), through the recorder's API
 * when the recorder is loaded (weak: the program runs without it too).
 *
 * Prints "pid PID" once the table is built, then serves until killed.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The recorder's API, from the preload module under `leakscope record`. */
void trace_mark(const char *label) __attribute__((weak));

#define LRU_CAP 200
#define TABLE_PARTS 64
#define TABLE_PART (64 * 1024)

struct session { struct session *next; char data[256 - sizeof(struct session *)]; };
static struct session *sessions;
static char *lru[LRU_CAP];
static unsigned lru_next;
char *table[TABLE_PARTS]; /* not static: the compiler may not drop it */
static int kept_fds[4096];
static unsigned nkept;

__attribute__((noinline)) static void build_table(void)
{
    for (int i = 0; i < TABLE_PARTS; i++) {
        table[i] = calloc(1, TABLE_PART);
        if (table[i])
            table[i][0] = (char)i;
    }
}

__attribute__((noinline)) static void session_log(unsigned request)
{
    struct session *s = malloc(sizeof *s);
    if (!s)
        return;
    snprintf(s->data, sizeof s->data, "request %u %d", request, table[request % TABLE_PARTS] ? table[request % TABLE_PARTS][0] : -1);
    s->next = sessions;
    sessions = s;
}

__attribute__((noinline)) static void lru_insert(unsigned request)
{
    unsigned slot = lru_next++ % LRU_CAP;
    free(lru[slot]); /* the oldest entry, once full */
    lru[slot] = malloc(512);
    if (lru[slot])
        snprintf(lru[slot], 512, "entry %u", request);
}

__attribute__((noinline)) static void open_log(void)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && nkept < sizeof kept_fds / sizeof kept_fds[0])
        kept_fds[nkept++] = fd;
    else if (fd >= 0)
        close(fd);
}

__attribute__((noinline)) static void probe(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        close(fd);
}

int main(void)
{
    build_table();
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
    struct timespec ms = { 0, 1000000 };
    for (unsigned request = 0;; request++) {
        session_log(request);
        lru_insert(request);
        probe();
        if (request % 10 == 0)
            open_log();
        if (request % 100 == 99 && trace_mark)
            trace_mark("batch");
        nanosleep(&ms, NULL);
    }
}

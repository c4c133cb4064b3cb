/* test-resources.c — one resource identity for the report and the timeline
 * (analysis.h ls_resource_family): a resource opened as "fd/socket" and
 * closed as "fd" is one resource; a handle opened again without a close
 * ends the old one; the timeline's series and lifetimes say what the
 * report says; each close's stack (format 3) reaches the lifetimes and the
 * analysis's close sites.
 *
 * `test-resources CASE` runs one case; with no argument, all of them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "analysis.h"
#include "test-util.h"
#include "timeline.h"
#include "trace-writer.h"

#include <stdlib.h>
#include <string.h>

static char dir[] = "/tmp/leakscope-test-resources-XXXXXX";

enum { S_FD = 1, S_SOCKET, S_PIPE, S_FILE };
static const char *const names[] = { "", "fd", "fd/socket", "fd/pipe", "fd/file" };

static trace_writer *create(const char *path)
{
    trace_file_info info = { .pid = 1, .time_unit_ns = 1, .clock_id = 1, .pointer_size = 8 };
    snprintf(info.program, sizeof info.program, "/bin/resources-test");
    trace_writer *w;
    if (trace_writer_create(path, &info, &w) != TRACE_OK)
        exit(1);
    for (uint64_t i = 1; i <= S_FILE; i++)
        if (trace_writer_add_string(w, i, names[i], strlen(names[i])) != TRACE_OK)
            exit(1);
    return w;
}

static void res_at(trace_writer *w, uint32_t thread, uint32_t kind, uint64_t ts, uint32_t str, uint64_t handle,
                   uint32_t stack)
{
    trace_event ev = { .kind = kind, .ts = ts, .str = str, .value = handle, .stack = stack };
    if (trace_writer_add_event(w, thread, &ev) != TRACE_OK)
        exit(1);
}

static void res(trace_writer *w, uint32_t thread, uint32_t kind, uint64_t ts, uint32_t str, uint64_t handle)
{
    res_at(w, thread, kind, ts, str, handle, 0);
}

static const ls_resource_kind *kind_named(const ls_analysis *a, const char *name)
{
    for (uint32_t i = 0; i < a->nres_kinds; i++)
        if (strcmp(ls_analysis_string(a, a->res_kinds[i].kind), name) == 0)
            return &a->res_kinds[i];
    return NULL;
}

/* The timeline's series of `name` over the whole trace: its highest value
 * and its value at the end. */
static bool series(timeline *tl, const char *name, uint32_t *max, uint32_t *end)
{
    const ls_analysis *a = timeline_analysis(tl);
    uint32_t kinds[TIMELINE_MAX_KINDS], n = timeline_resource_kinds(tl, kinds, TIMELINE_MAX_KINDS);
    for (uint32_t k = 0; k < n; k++) {
        if (strcmp(ls_analysis_string(a, kinds[k]), name) != 0)
            continue;
        enum { COLS = 4096 };
        static uint32_t lo[COLS], hi[COLS];
        uint64_t t0 = timeline_begin(tl), t1 = timeline_end(tl) + 1;
        timeline_resource_range(tl, k, t0, t1, COLS, lo, hi);
        *max = 0;
        for (uint32_t i = 0; i < COLS; i++)
            *max = hi[i] > *max ? hi[i] : *max;
        *end = lo[COLS - 1];
        return true;
    }
    return false;
}

/* Sockets and pipes opened under their subtype and closed as "fd", as the
 * preload module records them; at most 12 sockets and 3 pipes at once. */
static void case_subtype_close(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/subtype.trace", dir);
    trace_writer *w = create(path);
    uint64_t ts = 100;
    for (uint32_t i = 0; i < 3000; i++) {
        uint64_t fd = 3 + i % 12;
        if (i >= 12)
            res(w, 1 + i % 4, TRACE_RES_CLOSE, ts++, S_FD, fd);
        res(w, 1 + i % 4, TRACE_RES_OPEN, ts++, S_SOCKET, fd);
        if (i % 100 == 0) {
            res(w, 1, TRACE_RES_OPEN, ts++, S_PIPE, 100 + i % 3);
            res(w, 1, TRACE_RES_CLOSE, ts++, S_PIPE, 100 + i % 3);
        }
    }
    for (uint64_t fd = 3; fd < 3 + 12 - 4; fd++) /* 4 sockets left open */
        res(w, 2, TRACE_RES_CLOSE, ts++, S_FD, fd);
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);

    timeline *tl;
    trace_error err;
    CHECK(timeline_open(path, &tl, &err) == TRACE_OK);
    const ls_analysis *a = timeline_analysis(tl);
    const ls_resource_kind *sock = kind_named(a, "fd/socket"), *pipe = kind_named(a, "fd/pipe");
    CHECK(sock && pipe && !kind_named(a, "fd"));
    CHECK_EQ_U64(a->nres_kinds, 2);
    if (sock && pipe) {
        CHECK_EQ_U64(sock->opened, 3000);
        CHECK_EQ_U64(sock->closed, 2996);
        CHECK_EQ_U64(sock->open_at_end, 4);
        CHECK_EQ_U64(pipe->opened, 30);
        CHECK_EQ_U64(pipe->open_at_end, 0);
    }
    uint32_t max = 0, end = 0;
    CHECK(series(tl, "fd/socket", &max, &end));
    CHECK_EQ_U64(max, 12);
    CHECK_EQ_U64(end, 4);
    CHECK(series(tl, "fd/pipe", &max, &end));
    CHECK_EQ_U64(max, 1);
    CHECK_EQ_U64(end, 0);
    CHECK(!series(tl, "fd", &max, &end));
    /* Every lifetime but the 4 left open ends at its close. */
    uint64_t n = timeline_lifetimes(tl, 0, UINT64_MAX, NULL, 0, NULL);
    timeline_lifetime *life = calloc(n, sizeof *life);
    CHECK_EQ_U64(timeline_lifetimes(tl, 0, UINT64_MAX, life, n, NULL), 3030);
    uint64_t open = 0;
    for (uint64_t i = 0; i < n; i++)
        open += !life[i].closed;
    CHECK_EQ_U64(open, 4);
    free(life);
    timeline_free(tl);
}

/* A handle opened again without a close (closed where the recorder could
 * not see it): the old resource ends there, in the report and the timeline. */
static void case_reopen(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/reopen.trace", dir);
    trace_writer *w = create(path);
    res(w, 1, TRACE_RES_OPEN, 100, S_FILE, 7);
    res(w, 1, TRACE_RES_OPEN, 200, S_SOCKET, 7);
    res(w, 1, TRACE_RES_OPEN, 300, S_FILE, 8);
    res(w, 1, TRACE_RES_CLOSE, 400, S_FD, 8);
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
    timeline *tl;
    trace_error err;
    CHECK(timeline_open(path, &tl, &err) == TRACE_OK);
    const ls_analysis *a = timeline_analysis(tl);
    const ls_resource_kind *file = kind_named(a, "fd/file"), *sock = kind_named(a, "fd/socket");
    CHECK(file && sock);
    if (file && sock) {
        CHECK_EQ_U64(file->opened, 2);
        CHECK_EQ_U64(file->closed, 2);
        CHECK_EQ_U64(file->open_at_end, 0);
        CHECK_EQ_U64(sock->open_at_end, 1);
    }
    CHECK_EQ_U64(a->resources_opened, a->resources_closed + a->resources_open_at_end);
    uint32_t max = 0, end = 0;
    CHECK(series(tl, "fd/file", &max, &end) && max == 1 && end == 0);
    CHECK(series(tl, "fd/socket", &max, &end) && max == 1 && end == 1);
    timeline_lifetime life[4];
    CHECK_EQ_U64(timeline_lifetimes(tl, 0, UINT64_MAX, life, 4, NULL), 3);
    CHECK(life[0].closed && life[0].end == 200); /* ended by the reopen */
    CHECK(!life[1].closed);
    CHECK(life[2].closed && life[2].end == 400);
    timeline_free(tl);
}

/* Each close's own stack and thread: in the lifetimes (none for one ended
 * by a reopen, or never closed) and in the analysis's close sites, by the
 * kind opened and the closing stack, most first. */
static void case_close_stacks(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/close-stacks.trace", dir);
    trace_writer *w = create(path);
    const uint64_t frames[] = { 0x401000, 0x402000, 0x403000 };
    for (uint64_t id = 1; id <= 3; id++)
        if (trace_writer_add_stack(w, id, frames + id - 1, 1) != TRACE_OK)
            exit(1);
    res_at(w, 1, TRACE_RES_OPEN, 100, S_FILE, 7, 1);
    res_at(w, 2, TRACE_RES_CLOSE, 200, S_FD, 7, 2);     /* closed as "fd" by another thread */
    res_at(w, 1, TRACE_RES_OPEN, 300, S_FILE, 8, 1);
    res_at(w, 1, TRACE_RES_CLOSE, 400, S_FD, 8, 2);
    res_at(w, 1, TRACE_RES_OPEN, 500, S_SOCKET, 9, 1);
    res_at(w, 1, TRACE_RES_CLOSE, 600, S_FD, 9, 3);
    res_at(w, 1, TRACE_RES_OPEN, 700, S_FILE, 10, 1);
    res_at(w, 1, TRACE_RES_OPEN, 800, S_FILE, 10, 3);   /* the old one ended unseen */
    res_at(w, 1, TRACE_RES_CLOSE, 900, S_FD, 77, 3);    /* of nothing open: ignored */
    if (trace_writer_close(w, 0) != TRACE_OK)
        exit(1);
    timeline *tl;
    trace_error err;
    CHECK(timeline_open(path, &tl, &err) == TRACE_OK);
    timeline_lifetime life[6];
    CHECK_EQ_U64(timeline_lifetimes(tl, 0, UINT64_MAX, life, 6, NULL), 5);
    CHECK(life[0].closed && life[0].open_stack == 1 && life[0].close_stack == 2);
    CHECK(life[0].open_thread == 1 && life[0].close_thread == 2);
    CHECK(life[1].closed && life[1].close_stack == 2 && life[1].close_thread == 1);
    CHECK(life[2].closed && life[2].close_stack == 3 && life[2].end == 600);
    CHECK(life[3].closed && life[3].end == 800 && life[3].close_stack == 0 && life[3].close_thread == 0);
    CHECK(!life[4].closed && life[4].open_stack == 3 && life[4].close_stack == 0);
    const ls_analysis *a = timeline_analysis(tl);
    CHECK_EQ_U64(a->nclose_sites, 2);
    if (a->nclose_sites == 2) {
        CHECK(a->close_sites[0].count == 2 && a->close_sites[0].stack == 2);
        CHECK(!strcmp(ls_analysis_string(a, a->close_sites[0].kind), "fd/file"));
        CHECK(a->close_sites[1].count == 1 && a->close_sites[1].stack == 3);
        CHECK(!strcmp(ls_analysis_string(a, a->close_sites[1].kind), "fd/socket"));
    }
    timeline_free(tl);
}

/* How a user names kinds (check --max-open KIND=N). */
static void case_kind_names(void)
{
    CHECK(ls_resource_kind_matches("fd", "fd"));
    CHECK(ls_resource_kind_matches("fd", "fd/socket"));
    CHECK(ls_resource_kind_matches("fd/socket", "fd/socket"));
    CHECK(ls_resource_kind_matches("socket", "fd/socket"));
    CHECK(!ls_resource_kind_matches("fd/socket", "fd/pipe"));
    CHECK(!ls_resource_kind_matches("fd/socket", "fd"));
    CHECK(!ls_resource_kind_matches("f", "fd/file"));
    CHECK(!ls_resource_kind_matches("sock", "fd/socket"));
    CHECK(!ls_resource_kind_matches("FILE", "fd/file"));
    CHECK(ls_resource_kind_matches("FILE", "FILE"));
    CHECK(ls_resource_family("fd/socket", 9) == ls_resource_family("fd", 2));
    CHECK(ls_resource_family("fd/socket", 9) != ls_resource_family("FILE", 4));
}

static const test_case cases[] = {
    { "subtype-close", case_subtype_close },
    { "reopen", case_reopen },
    { "kind-names", case_kind_names },
    { "close-stacks", case_close_stacks },
};

int main(int argc, char **argv)
{
    return test_run_cases("test-resources", cases, sizeof cases / sizeof *cases, argc, argv, dir);
}

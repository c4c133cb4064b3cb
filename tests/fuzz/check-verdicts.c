/* check-verdicts.c — every named corpus file carries its verdict
 * (tests/fuzz/verdicts.txt: "NAME VERDICT"), and the reader gives it, the
 * same whether the file is streamed in file order (as dump reads it) or
 * indexed and merged (as report, check, export and the viewer read it).
 *
 * A verdict is an error with its offset ("ERR_CORRUPT@140"), or how the read
 * ended ("complete", "incomplete", "truncated@1044") followed by the damage
 * ("damaged=2@282 lost=112": places, the first one's offset, the events lost,
 * "?" when unknown), the event fields naming lost ids ("lost_ids=3") and the
 * chunks skipped ("skipped=1").
 *
 *   check-verdicts CORPUS_DIR VERDICTS     check
 *   check-verdicts --print CORPUS_DIR      print the verdicts the reader gives
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "analysis.h"
#include "trace-reader.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *status_name(trace_status st)
{
#define S(sym, text) #sym,
    static const char *const names[] = { TRACE_STATUS_LIST(S) };
#undef S
    return st < TRACE_STATUS_COUNT ? names[st] : "?";
}

static void damage_part(char *out, size_t len, uint32_t n, const trace_damage *first, uint64_t lost, bool unknown,
                        uint64_t lost_ids, uint32_t skipped)
{
    size_t k = strlen(out);
    if (n)
        k += (size_t)snprintf(out + k, len - k, " damaged=%u@%llu lost=", n, (unsigned long long)first->offset);
    if (n && unknown)
        k += (size_t)snprintf(out + k, len - k, "?");
    else if (n)
        k += (size_t)snprintf(out + k, len - k, "%llu", (unsigned long long)lost);
    if (lost_ids)
        k += (size_t)snprintf(out + k, len - k, " lost_ids=%llu", (unsigned long long)lost_ids);
    if (skipped)
        snprintf(out + k, len - k, " skipped=%u", skipped);
}

/* As report reads it. */
static void verdict_indexed(const char *path, char *out, size_t len)
{
    ls_analysis *a;
    trace_error err;
    trace_status st = ls_analysis_load(path, &a, &err);
    if (st != TRACE_OK) {
        snprintf(out, len, "%s@%llu", status_name(st), (unsigned long long)err.offset);
        return;
    }
    ls_ending e = ls_analysis_ending(a);
    if (e == LS_ENDING_TRUNCATED)
        snprintf(out, len, "truncated@%llu", (unsigned long long)a->truncated_at);
    else
        snprintf(out, len, "%s", e == LS_ENDING_COMPLETE ? "complete" : "incomplete");
    damage_part(out, len, a->ndamage, a->damage, a->damage_events_lost, a->damage_events_unknown, a->lost_id_refs,
                a->skipped_chunks);
    ls_analysis_free(a);
}

/* As dump reads it: every chunk loaded and decoded in file order. */
static void verdict_streamed(const char *path, char *out, size_t len)
{
    trace_reader *r;
    trace_error err;
    trace_status st = trace_reader_open(path, &r, &err);
    if (st != TRACE_OK) {
        snprintf(out, len, "%s@%llu", status_name(st), (unsigned long long)err.offset);
        return;
    }
    trace_chunk *c = trace_chunk_new();
    trace_chunk_info ci;
    while ((st = trace_reader_next_chunk(r, &ci)) == TRACE_OK) {
        if (ci.kind == TRACE_CHUNK_END)
            continue;
        if (ci.kind == TRACE_CHUNK_HEAP) {
            trace_heap_graph *s;
            if ((st = trace_heap_snapshot_load(r, &ci, &s)) != TRACE_OK)
                break;
            trace_heap_snapshot_free(s);
            continue;
        }
        trace_event ev;
        st = trace_chunk_load(c, r, &ci);
        while (st == TRACE_OK)
            st = trace_chunk_next(c, &ev);
        if (st != TRACE_END)
            break;
    }
    if (st == TRACE_ERR_TRUNCATED)
        snprintf(out, len, "truncated@%llu", (unsigned long long)trace_reader_error(r)->offset);
    else if (st != TRACE_END)
        snprintf(out, len, "%s@%llu", status_name(st), (unsigned long long)trace_reader_error(r)->offset);
    else
        snprintf(out, len, "%s", trace_reader_complete(r, NULL, NULL) ? "complete" : "incomplete");
    if (st == TRACE_END || st == TRACE_ERR_TRUNCATED) {
        uint32_t n = trace_reader_damage_count(r);
        uint64_t lost = 0;
        bool unknown = false;
        for (uint32_t i = 0; i < n; i++) {
            lost += trace_reader_damage(r, i)->events_lost;
            unknown |= !trace_reader_damage(r, i)->events_known;
        }
        damage_part(out, len, n, trace_reader_damage(r, 0), lost, unknown, trace_reader_lost_id_refs(r),
                    trace_reader_skipped(r));
    }
    trace_chunk_free(c);
    trace_reader_close(r);
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }

int main(int argc, char **argv)
{
    bool print = argc == 3 && !strcmp(argv[1], "--print");
    if (!print && argc != 3) {
        fprintf(stderr, "usage: check-verdicts CORPUS_DIR VERDICTS | --print CORPUS_DIR\n");
        return 2;
    }
    const char *dir = print ? argv[2] : argv[1];
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0) {
        perror(dir);
        return 2;
    }
    char *want = NULL;
    size_t want_len = 0;
    if (!print) {
        FILE *f = fopen(argv[2], "r");
        if (!f || getdelim(&want, &want_len, '\0', f) < 0) {
            perror(argv[2]);
            return 2;
        }
        fclose(f);
    }
    int failed = 0, checked = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (name[0] == '.')
            continue;
        char path[4096], a[256], b[256];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        verdict_indexed(path, a, sizeof a);
        verdict_streamed(path, b, sizeof b);
        if (strcmp(a, b) != 0) {
            printf("not ok - %s: two verdicts: indexed '%s', streamed '%s'\n", name, a, b);
            failed++;
        }
        if (print) {
            printf("%s %s\n", name, a);
            continue;
        }
        /* The line "NAME VERDICT" of this file. */
        char *line = NULL;
        size_t nl = strlen(name);
        for (char *p = want; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
            if (!strncmp(p, name, nl) && p[nl] == ' ') {
                line = p + nl + 1;
                break;
            }
        size_t len = line ? strcspn(line, "\n") : 0;
        if (!line) {
            printf("not ok - %s: no verdict in %s\n", name, argv[2]);
            failed++;
        } else if (strlen(a) != len || strncmp(a, line, len) != 0) {
            printf("not ok - %s: the reader says '%s', the verdict is '%.*s'\n", name, a, (int)len, line);
            failed++;
        } else {
            printf("ok - %s: %s\n", name, a);
        }
        checked++;
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(want);
    if (!print)
        printf("%d corpus files, %d failed\n", checked, failed);
    return failed ? 1 : 0;
}

/* fuzz-main.c — runs a fuzz target as an ordinary program over files and
 * directories of inputs (the seed corpus, regression cases, a crash to
 * reproduce). Linked instead of libFuzzer when not building with
 * -fsanitize=fuzzer.
 *
 * Usage: fuzz-TARGET [--as-limit-mib N] FILE|DIR...
 *   --as-limit-mib N  caps the process' address space (RLIMIT_AS) at N MiB
 *                     before the first input, so a small hostile file that
 *                     makes the reader ask for gigabytes fails (the targets
 *                     trap on TRACE_ERR_NOMEM). Ignored with a note under
 *                     ASan/TSan, which reserve terabytes of shadow memory.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FUZZ_SHADOW_MEMORY 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FUZZ_SHADOW_MEMORY 1
#endif
#endif

static unsigned long files_run;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fprintf(stderr, "%s: out of memory reading the input\n", path);
            fclose(f);
            return 1;
        }
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
            break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    fclose(f);
    fprintf(stderr, "running %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    files_run++;
    return 0;
}

static int cmp_names(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

static int run_path(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(sb.st_mode))
        return run_file(path);
    struct dirent **names;
    int n = scandir(path, &names, NULL, NULL);
    if (n < 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 1;
    }
    qsort(names, (size_t)n, sizeof *names, cmp_names);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            char *p;
            if (asprintf(&p, "%s/%s", path, names[i]->d_name) < 0)
                return 1;
            bad |= run_path(p);
            free(p);
        }
        free(names[i]);
    }
    free(names);
    return bad;
}

int main(int argc, char **argv)
{
    int i = 1, bad = 0;
    if (i + 1 < argc && strcmp(argv[i], "--as-limit-mib") == 0) {
        unsigned long mib = strtoul(argv[i + 1], NULL, 10);
        i += 2;
#ifdef FUZZ_SHADOW_MEMORY
        fprintf(stderr, "note: --as-limit-mib %lu ignored under a sanitizer\n", mib);
#else
        struct rlimit rl = { .rlim_cur = (rlim_t)mib << 20, .rlim_max = (rlim_t)mib << 20 };
        if (setrlimit(RLIMIT_AS, &rl) != 0) {
            perror("setrlimit");
            return 1;
        }
#endif
    }
    if (i == argc) {
        fprintf(stderr, "usage: %s [--as-limit-mib N] FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (; i < argc; i++)
        bad |= run_path(argv[i]);
    printf("%lu inputs run\n", files_run);
    if (!files_run)
        bad = 1;
    return bad;
}

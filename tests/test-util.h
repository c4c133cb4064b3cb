/* test-util.h — minimal TAP-style checks for the C tests. A failed CHECK
 * prints the expression and location and makes the test exit non-zero.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_TEST_UTIL_H
#define LEAKSCOPE_TEST_UTIL_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;
static int test_count;

/* Counted atomically: threads of a test may check too. */
#define TEST_COUNT() __atomic_fetch_add(&test_count, 1, __ATOMIC_RELAXED)
#define TEST_FAIL() __atomic_fetch_add(&test_failures, 1, __ATOMIC_RELAXED)

#define CHECK(cond)                                                                     \
    do {                                                                                \
        TEST_COUNT();                                                                   \
        if (!(cond)) {                                                                  \
            TEST_FAIL();                                                                \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
        }                                                                               \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                              \
    do {                                                                                \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                \
        TEST_COUNT();                                                                   \
        if (a_ != b_) {                                                                 \
            TEST_FAIL();                                                                \
            fprintf(stderr, "FAIL %s:%d: %s == %s (%" PRIu64 " != %" PRIu64 ")\n",     \
                    __FILE__, __LINE__, #a, #b, a_, b_);                                \
        }                                                                               \
    } while (0)

/* xorshift64: reproducible test data. */
static inline uint64_t test_rnd(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* Tests of one case each, runnable alone: `prog CASE` runs that case, no
 * argument every case. `dir`, a mkdtemp template, is made first and removed
 * after. Returns the exit status. */
typedef struct test_case {
    const char *name;
    void (*run)(void);
} test_case;

static inline int test_run_cases(const char *prog, const test_case *cases, size_t n, int argc, char **argv,
                                 char *dir)
{
    if (!mkdtemp(dir))
        return 1;
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
            continue;
        cases[i].run();
        printf("%s - %s\n", test_failures ? "not ok" : "ok", cases[i].name);
        ran = 1;
    }
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    if (!ran) {
        fprintf(stderr, "%s: no case named '%s'\n", prog, argc > 1 ? argv[1] : "");
        return 2;
    }
    printf("%d checks, %d failed\n", test_count, test_failures);
    return test_failures ? 1 : 0;
}

#define TEST_DONE()                                                                     \
    do {                                                                                \
        printf("%d checks, %d failed\n", test_count, test_failures);                   \
        return test_failures ? 1 : 0;                                                   \
    } while (0)

#endif

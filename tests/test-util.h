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

#define TEST_DONE()                                                                     \
    do {                                                                                \
        printf("%d checks, %d failed\n", test_count, test_failures);                   \
        return test_failures ? 1 : 0;                                                   \
    } while (0)

#endif

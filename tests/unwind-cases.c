/* unwind-cases.c — shapes of C code for tests/test-unwind.c (see
 * unwind-cases.h). Built at -O2 twice: with frame pointers (SUFFIX fp) and
 * without (SUFFIX nofp).
 *
 * SPDX-License-Identifier: MIT
 */
#include "unwind-cases.h"

#include <alloca.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define NAME(x) CAT(x, SUFFIX)

static __thread volatile int sink;

/* Plain recursion: one frame per level (the work after the call keeps it
 * from becoming a loop). */
__attribute__((noinline)) int NAME(unwind_recurse)(int depth)
{
    if (depth <= 0) {
        unwind_probe();
        return 1;
    }
    int r = NAME(unwind_recurse)(depth - 1);
    UNWIND_OPAQUE(r);
    return r + depth;
}

/* A variable-length array: the CFA is on RBP even without frame pointers. */
__attribute__((noinline)) int NAME(unwind_vla)(int n, int depth)
{
    char buf[n];
    memset(buf, depth, (size_t)n);
    char *p = buf;
    UNWIND_OPAQUE(p);
    int r;
    if (depth <= 0) {
        unwind_probe();
        r = 0;
    } else {
        r = NAME(unwind_vla)(n + 17, depth - 1);
    }
    UNWIND_OPAQUE(r);
    return r + p[n / 2];
}

__attribute__((noinline)) int NAME(unwind_alloca)(int n, int depth)
{
    char *buf = alloca((size_t)n);
    memset(buf, depth, (size_t)n);
    UNWIND_OPAQUE(buf);
    int r;
    if (depth <= 0) {
        unwind_probe();
        r = 0;
    } else {
        r = NAME(unwind_alloca)(n * 2 + 1, depth - 1);
    }
    UNWIND_OPAQUE(r);
    return r + buf[n - 1];
}

/* Shrink-wrapping: the early return runs before the prologue saves
 * registers, so the CFI has remember/restore_state around it. */
__attribute__((noinline)) int NAME(unwind_shrinkwrap)(int x, int depth)
{
    if (x < 0)
        return -x;
    int a = x * 3, b = x ^ 0x55, c = x + 7, d = x - 1;
    UNWIND_OPAQUE(a);
    UNWIND_OPAQUE(b);
    int r = depth <= 0 ? (unwind_probe(), 0) : NAME(unwind_shrinkwrap)(x + 1, depth - 1);
    UNWIND_OPAQUE(c);
    UNWIND_OPAQUE(d);
    if (r == 12345)
        return NAME(unwind_shrinkwrap)(-r, 0);
    return r + a + b + c + d;
}

/* Sibling calls: the frames that tail-call leave no frame behind. */
__attribute__((noinline)) static int NAME(tail_leaf)(int depth)
{
    unwind_probe();
    return depth + sink;
}

__attribute__((noinline)) static int NAME(tail_mid)(int depth)
{
    sink = depth;
    return NAME(tail_leaf)(depth); /* a jump, not a call, at -O2 */
}

__attribute__((noinline)) int NAME(unwind_tail)(int depth)
{
    if (depth > 0) {
        int r = NAME(unwind_tail)(depth - 1);
        UNWIND_OPAQUE(r);
        return r;
    }
    return NAME(tail_mid)(depth);
}

/* Arguments passed on the stack: the caller's CFA offset changes around
 * the call. */
__attribute__((noinline)) int NAME(unwind_many_args)(int a, int b, int c, int d, int e, int f, int g, int h,
                                                    int i, int depth)
{
    int r;
    if (depth <= 0) {
        unwind_probe();
        r = a + b + c + d + e + f + g + h + i;
    } else {
        r = NAME(unwind_many_args)(b, c, d, e, f, g, h, i, a, depth - 1);
    }
    UNWIND_OPAQUE(r);
    return r + 1;
}

/* Through libc, which has no frame pointers: the comparator takes stacks. */
static __thread int probes_left;

static int NAME(compare)(const void *a, const void *b)
{
    if (probes_left > 0) {
        probes_left--;
        unwind_probe();
    }
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

__attribute__((noinline)) int NAME(unwind_qsort)(int n)
{
    int *v = malloc((size_t)n * sizeof *v);
    if (!v)
        return -1;
    for (int i = 0; i < n; i++)
        v[i] = (i * 7919) % n;
    probes_left = 40;
    qsort(v, (size_t)n, sizeof *v, NAME(compare));
    int r = v[0];
    free(v);
    return r;
}

/* A call to a noreturn function is the last instruction of its function:
 * its return address is the next function's first byte. */
static __thread jmp_buf NAME(escape); /* threads run the cases side by side */

__attribute__((noinline, noreturn)) static void NAME(leave)(int depth)
{
    unwind_probe();
    longjmp(NAME(escape), depth + 1);
}

__attribute__((noinline)) static void NAME(noreturn_caller)(int depth)
{
    NAME(leave)(depth);
}

__attribute__((noinline)) int NAME(unwind_noreturn)(int depth)
{
    int r = setjmp(NAME(escape));
    if (r == 0)
        NAME(noreturn_caller)(depth);
    return r;
}

/* Mutual recursion through a function pointer table. */
static int NAME(even)(int depth);
static int NAME(odd)(int depth);
static int (*const NAME(table)[2])(int) = { NAME(even), NAME(odd) };

__attribute__((noinline)) static int NAME(even)(int depth)
{
    if (depth <= 0) {
        unwind_probe();
        return 0;
    }
    int r = NAME(table)[depth & 1](depth - 1);
    UNWIND_OPAQUE(r);
    return r + 2;
}

__attribute__((noinline)) static int NAME(odd)(int depth)
{
    char pad[64];
    memset(pad, depth, sizeof pad);
    char *p = pad;
    UNWIND_OPAQUE(p);
    int r = NAME(table)[(depth + 1) & 1](depth - 1);
    UNWIND_OPAQUE(r);
    return r + p[3];
}

__attribute__((noinline)) int NAME(unwind_mutual)(int depth)
{
    return NAME(even)(depth) + 1;
}

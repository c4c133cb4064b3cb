/* unwind-cases.h — the stacks tests/test-unwind.c compares: shapes of code
 * that a stack walker must get through. Each case ends by calling
 * unwind_probe(), which takes the stack with both unwinders.
 *
 * unwind-cases.c is built twice, with and without frame pointers (suffixes
 * _fp and _nofp); unwind-mod.c is a module loaded with dlopen, built twice
 * (two layouts); unwind-cxx.cpp is C++.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_UNWIND_CASES_H
#define LEAKSCOPE_UNWIND_CASES_H

#ifdef __cplusplus
extern "C" {
#endif

/* test-unwind.c: takes the stack here and compares. */
void unwind_probe(void);

/* Keeps the compiler from folding calls into loops or tail calls. */
#define UNWIND_OPAQUE(x) __asm__ volatile("" : "+r"(x))

#define UNWIND_CASES(suffix)                                                  \
    int unwind_recurse_##suffix(int depth);                                   \
    int unwind_vla_##suffix(int n, int depth);                                \
    int unwind_alloca_##suffix(int n, int depth);                             \
    int unwind_shrinkwrap_##suffix(int x, int depth);                         \
    int unwind_tail_##suffix(int depth);                                      \
    int unwind_many_args_##suffix(int a, int b, int c, int d, int e, int f,   \
                                  int g, int h, int i, int depth);            \
    int unwind_qsort_##suffix(int n);                                         \
    int unwind_noreturn_##suffix(int depth);                                  \
    int unwind_mutual_##suffix(int depth);
UNWIND_CASES(fp)
UNWIND_CASES(nofp)

/* unwind-cxx.cpp */
int unwind_cxx_sort(int n);
int unwind_cxx_virtual(int depth);
int unwind_cxx_function(int depth);
int unwind_cxx_after_throw(int depth);

/* unwind-mod.c, through dlsym: int unwind_mod_run(int depth, void (*cb)(void)) */
typedef int (*unwind_mod_fn)(int depth, void (*cb)(void));

#ifdef __cplusplus
}
#endif

#endif

/* leaky-lib.h — the shared library tests/leaky-main links (see leaky-lib.c). */
#ifndef LEAKY_LIB_H
#define LEAKY_LIB_H
#include <stddef.h>

/* Allocates `n` bytes and never frees them; *line is the line of the malloc. */
void *leaky_lib_leak(size_t n, int *line);

#endif

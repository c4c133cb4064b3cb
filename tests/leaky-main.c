/* leaky-main.c — leaks known blocks from four places: a function of the
 * program itself, a shared library it links (leaky-lib), a module it
 * dlopens after start (leaky-plugin, argv[1]) and a module it dlopens,
 * leaks from and dlcloses (leaky-plugin-closed, argv[2]). Prints, as JSON,
 * the line of each leaking malloc and the size of each leak, for
 * check-vs-heaptrack.py to compare with `leakscope report --json`.
 *
 * SPDX-License-Identifier: MIT
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leaky-lib.h"

#define MAIN_SIZE 1111
#define LIB_SIZE 2222
#define PLUGIN_SIZE 3333
#define CLOSED_SIZE 4444

void *volatile main_sink;

__attribute__((noinline)) static void *main_leak(size_t n, int *line)
{
    *line = __LINE__ + 1;
    void *p = malloc(n);
    if (p)
        memset(p, 0x33, n);
    main_sink = p;
    return p;
}

typedef void *(*leak_fn)(size_t, int *);

static int call_plugin(const char *path, const char *symbol, size_t n, int *line, int close_after)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "leaky-main: dlopen %s: %s\n", path, dlerror());
        return -1;
    }
    leak_fn fn = (leak_fn)(void (*)(void))dlsym(h, symbol);
    if (!fn) {
        fprintf(stderr, "leaky-main: dlsym %s: %s\n", symbol, dlerror());
        return -1;
    }
    if (!fn(n, line))
        return -1;
    if (close_after && dlclose(h) != 0) {
        fprintf(stderr, "leaky-main: dlclose %s: %s\n", path, dlerror());
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PLUGIN.so CLOSED-PLUGIN.so\n", argv[0]);
        return 2;
    }
    int main_line = 0, lib_line = 0, plugin_line = 0, closed_line = 0;
    if (!main_leak(MAIN_SIZE, &main_line) || !leaky_lib_leak(LIB_SIZE, &lib_line))
        return 1;
    if (call_plugin(argv[1], "plugin_leak", PLUGIN_SIZE, &plugin_line, 0) != 0 ||
        call_plugin(argv[2], "closed_plugin_leak", CLOSED_SIZE, &closed_line, 1) != 0)
        return 1;
    printf("{\"main_leak\": [%d, %d], \"leaky_lib_leak\": [%d, %d], \"plugin_leak\": [%d, %d],"
           " \"closed_plugin_leak\": [%d, %d]}\n",
           main_line, MAIN_SIZE, lib_line, LIB_SIZE, plugin_line, PLUGIN_SIZE, closed_line, CLOSED_SIZE);
    return 0;
}

/* modules.c — the ELF objects loaded in the process (path, load bias, address
 * range, GNU build id), so a reader can symbolize raw return addresses.
 *
 * Runs on the writer thread only. dl_iterate_phdr's adds/subs counters make a
 * scan with nothing new nearly free, so it runs at every flush and catches
 * libraries loaded with dlopen after start.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "recorder-private.h"

#include <elf.h>
#include <pthread.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

typedef struct known_module {
    uint64_t bias, start, end, name_hash;
} known_module;

static struct {
    bool scanned;
    unsigned long long adds, subs;
    known_module *known;
    size_t count, cap;   /* cap in entries of the mapping */
} M;

typedef struct scan_ctx {
    trace_writer *w;
    bool force;
    bool first;
    bool stop;
} scan_ctx;

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static size_t build_id_of(const struct dl_phdr_info *info, const uint8_t **out)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            size_t namesz = (nh->n_namesz + 3) & ~3u, descsz = (nh->n_descsz + 3) & ~3u;
            const uint8_t *name = p + sizeof *nh, *desc = name + namesz;
            if (desc + descsz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                *out = desc;
                return nh->n_descsz;
            }
            p = desc + descsz;
        }
    }
    return 0;
}

static bool remember(const known_module *k)
{
    for (size_t i = 0; i < M.count; i++)
        if (M.known[i].bias == k->bias && M.known[i].start == k->start && M.known[i].end == k->end &&
            M.known[i].name_hash == k->name_hash)
            return false;
    if (M.count == M.cap) {
        size_t cap = M.cap ? M.cap * 2 : 256;
        known_module *n = ls_remap(M.known, M.cap * sizeof *n, cap * sizeof *n);
        if (!n)
            return false;
        M.known = n;
        M.cap = cap;
    }
    M.known[M.count++] = *k;
    return true;
}

bool ls_load_range(const struct dl_phdr_info *info, uint64_t *lo_out, uint64_t *hi_out)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < lo)
            lo = a;
        if (a + ph->p_memsz > hi)
            hi = a + ph->p_memsz;
    }
    *lo_out = lo;
    *hi_out = hi;
    return hi > lo;
}

static int scan_one(struct dl_phdr_info *info, size_t size, void *data)
{
    scan_ctx *ctx = data;
    if (ctx->first) {
        ctx->first = false;
        if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
            if (!ctx->force && M.scanned && info->dlpi_adds == M.adds && info->dlpi_subs == M.subs) {
                ctx->stop = true;
                return 1;
            }
            M.adds = info->dlpi_adds;
            M.subs = info->dlpi_subs;
        }
        M.scanned = true;
    }
    uint64_t lo, hi;
    if (!ls_load_range(info, &lo, &hi))
        return 0;
    char exe[4096];
    const char *path = info->dlpi_name;
    if (!path || !*path) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            return 0;
        exe[n] = '\0';
        path = exe;
    }
    known_module k = { info->dlpi_addr, lo, hi, name_hash(path) };
    if (!remember(&k))
        return 0;
    const uint8_t *id = NULL;
    size_t idlen = build_id_of(info, &id);
    trace_writer_add_module(ctx->w, ls_now(), info->dlpi_addr, lo, hi, path, strlen(path), id, idlen);
    return 0;
}

/* dl_iterate_phdr holds the loader's lock while it runs; a fork in another
 * thread meanwhile would leave that lock taken forever in the child. Fork
 * waits for a scan in progress (ls_modules_fork_lock, from the atfork
 * handlers). */
static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;

void ls_modules_fork_lock(void) { pthread_mutex_lock(&scan_lock); }
void ls_modules_fork_unlock(void) { pthread_mutex_unlock(&scan_lock); }

void ls_modules_scan(trace_writer *w, bool force)
{
    scan_ctx ctx = { w, force, true, false };
    pthread_mutex_lock(&scan_lock);
    dl_iterate_phdr(scan_one, &ctx);
    pthread_mutex_unlock(&scan_lock);
}

void ls_modules_reset(void)
{
    M.count = 0;
    M.scanned = false;
}

void ls_modules_forget(void)
{
    M.known = NULL; /* may have been mid-update in the parent's writer thread */
    M.count = M.cap = 0;
    M.scanned = false;
}

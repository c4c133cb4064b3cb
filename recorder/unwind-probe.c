/* unwind-probe.c — libunwind's address validation, without a descriptor.
 *
 * libunwind checks that an address is readable before it reads it by
 * writing one byte from it into a pipe of its own: the kernel's copy fails
 * with EFAULT where it is not (libunwind 1.6.2, Debian 12's: x86_64/Ginit.c,
 * write_validate). It opens that pipe with pipe2 at its first
 * initialisation (tdep_init: the recorder's first call into libunwind runs
 * it, whether a stack is ever left to libunwind or not), reads a byte from
 * it before every validation and, when that read fails (EBADF: the program
 * closed every descriptor), closes both numbers and opens a new pipe. Each
 * time at the lowest free numbers, which are the program's: a daemon that
 * closed 0-2 gets its log on fd 2, not 0; a program that dup2's a file over
 * the pipe's numbers gets a byte of its memory written into that file at
 * each validation, or those descriptors closed when libunwind reopens its
 * pipe. Its build validates every read unw_step makes (CONSERVATIVE_CHECKS,
 * libunwind's default), and no setting places the pipe or turns it off
 * (libunwind 1.8 opens it at the first validation instead, with the same
 * calls).
 *
 * So before the recorder first calls libunwind, libunwind's own imports of
 * pipe2, read, write and syscall (its GOT entries, found through its
 * dynamic relocations; no other module's) are pointed at the functions
 * below. pipe2 gives two numbers that are no descriptor; read of the first
 * answers as libunwind's empty non-blocking pipe did (EAGAIN); a write of
 * one byte into the second (syscall(SYS_write, ...), or write) asks the
 * kernel whether that byte is readable without a descriptor:
 * rt_sigprocmask with an invalid `how` first copies in the 8 bytes of its
 * new set (EFAULT if they are not readable), then refuses the call (EINVAL),
 * and nothing changes (abseil's AddressIsReadable; process_vm_readv on
 * ourselves would answer too, but seccomp profiles often refuse it).
 * libunwind validates page starts, so those 8 bytes lie in the page it asked
 * about. Every other call goes on to the real function (libunwind reads
 * /proc/self/maps with read; a pipe that libunwind opened before the
 * recorder came, for the program's own use of it, keeps working). libunwind
 * gets the answers its pipe gave, so it takes the same stacks.
 *
 * x86_64 Linux only (the relocation types); elsewhere libunwind keeps its
 * pipe.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include "recorder-private.h"

#include <errno.h>
#include <libunwind.h>
#include <link.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

bool ls_unwind_probe_readable(const void *addr)
{
    int saved = errno;
    /* 8 bytes (the kernel's sigset_t) from an 8-byte boundary: never past
     * the end of the page that holds addr. */
    uintptr_t at = (uintptr_t)addr & ~(uintptr_t)7;
    long r = syscall(SYS_rt_sigprocmask, ~0L, at, NULL, 8L);
    bool ok = r == -1 && errno == EINVAL;
    errno = saved;
    return ok;
}

#if defined(__x86_64__) && defined(__linux__)

/* Not descriptors: negative, and not -1 (libunwind's "not open", which it
 * would open again). */
enum { PROBE_READ_FD = -0x4c53, PROBE_WRITE_FD = -0x4c54 };

static int probe_pipe2(int fds[2], int flags)
{
    (void)flags;
    fds[0] = PROBE_READ_FD;
    fds[1] = PROBE_WRITE_FD;
    return 0;
}

static ssize_t probe_read(int fd, void *buf, size_t n)
{
    if (fd != PROBE_READ_FD)
        return read(fd, buf, n);
    errno = EAGAIN; /* an empty non-blocking pipe: libunwind goes on to write */
    return -1;
}

/* What writing `n` bytes from buf into the pipe would have returned. */
static ssize_t probe_written(const void *buf, size_t n)
{
    if (n == 0 || (ls_unwind_probe_readable(buf) && ls_unwind_probe_readable((const char *)buf + n - 1)))
        return (ssize_t)n;
    errno = EFAULT;
    return -1;
}

static ssize_t probe_write(int fd, const void *buf, size_t n)
{
    return fd == PROBE_WRITE_FD ? probe_written(buf, n) : write(fd, buf, n);
}

/* syscall(2) takes up to six arguments after the number and its callers pass
 * fewer: it reads six, as glibc's does, and hands them on unchanged. */
static long probe_syscall(long number, ...)
{
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_write && (int)a[0] == PROBE_WRITE_FD)
        return probe_written((const void *)(uintptr_t)a[1], (size_t)a[2]);
    return syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

typedef struct redirect {
    const char *name;
    uintptr_t to;
} redirect;

typedef struct module_find {
    uintptr_t probe; /* an address in libunwind's code */
    uintptr_t self;  /* one in ours */
} module_find;

/* A dynamic-section address: glibc relocates them in place, other loaders
 * may not. */
static uintptr_t dyn_addr(uintptr_t base, uintptr_t p)
{
    return p < base ? p + base : p;
}

static void patch_slot(uintptr_t *slot, uintptr_t to, uintptr_t ro_lo, uintptr_t ro_hi, uintptr_t page)
{
    uintptr_t at = (uintptr_t)slot;
    bool ro = at >= ro_lo && at < ro_hi; /* RELRO: read-only after relocation (BIND_NOW) */
    uintptr_t first = at & ~(page - 1);
    if (ro && syscall(SYS_mprotect, first, page, PROT_READ | PROT_WRITE) != 0)
        return;
    __atomic_store_n(slot, to, __ATOMIC_RELEASE);
    if (ro)
        syscall(SYS_mprotect, first, page, PROT_READ);
}

static void patch_relocs(uintptr_t base, const ElfW(Rela) *rel, size_t bytes, const ElfW(Sym) *symtab,
                         const char *strtab, size_t strsz, uintptr_t ro_lo, uintptr_t ro_hi, uintptr_t page)
{
    const redirect to[] = {
        { "pipe2", (uintptr_t)probe_pipe2 },
        { "read", (uintptr_t)probe_read },
        { "write", (uintptr_t)probe_write },
        { "syscall", (uintptr_t)probe_syscall },
    };
    for (size_t i = 0; i < bytes / sizeof *rel; i++) {
        uint32_t type = (uint32_t)ELF64_R_TYPE(rel[i].r_info);
        if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
            continue;
        const ElfW(Sym) *sym = &symtab[ELF64_R_SYM(rel[i].r_info)];
        if (sym->st_shndx != SHN_UNDEF || sym->st_name >= strsz)
            continue;
        const char *name = strtab + sym->st_name;
        for (size_t k = 0; k < sizeof to / sizeof *to; k++)
            if (strcmp(name, to[k].name) == 0)
                patch_slot((uintptr_t *)(base + rel[i].r_offset), to[k].to, ro_lo, ro_hi, page);
    }
}

static int patch_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    const module_find *f = data;
    uint64_t lo, hi;
    if (!ls_load_range(info, &lo, &hi) || f->probe < lo || f->probe >= hi)
        return 0;
    if (f->self >= lo && f->self < hi)
        return 1; /* libunwind linked into the recorder's own module: its imports are ours */
    uintptr_t base = info->dlpi_addr, page = (uintptr_t)sysconf(_SC_PAGESIZE);
    const ElfW(Dyn) *dyn = NULL;
    uintptr_t ro_lo = 0, ro_hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(base + ph->p_vaddr);
        if (ph->p_type == PT_GNU_RELRO) {
            /* What the loader makes read-only: whole pages, rounded down. */
            ro_lo = (base + ph->p_vaddr) & ~(page - 1);
            ro_hi = (base + ph->p_vaddr + ph->p_memsz) & ~(page - 1);
        }
    }
    if (!dyn)
        return 1;
    uintptr_t symtab = 0, strtab = 0, jmprel = 0, rela = 0;
    size_t strsz = 0, pltrelsz = 0, relasz = 0;
    long pltrel = 0;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB: symtab = dyn_addr(base, dyn->d_un.d_ptr); break;
        case DT_STRTAB: strtab = dyn_addr(base, dyn->d_un.d_ptr); break;
        case DT_STRSZ: strsz = dyn->d_un.d_val; break;
        case DT_JMPREL: jmprel = dyn_addr(base, dyn->d_un.d_ptr); break;
        case DT_PLTRELSZ: pltrelsz = dyn->d_un.d_val; break;
        case DT_PLTREL: pltrel = (long)dyn->d_un.d_val; break;
        case DT_RELA: rela = dyn_addr(base, dyn->d_un.d_ptr); break;
        case DT_RELASZ: relasz = dyn->d_un.d_val; break;
        }
    }
    if (!symtab || !strtab)
        return 1;
    const ElfW(Sym) *syms = (const ElfW(Sym) *)symtab;
    if (jmprel && pltrel == DT_RELA)
        patch_relocs(base, (const ElfW(Rela) *)jmprel, pltrelsz, syms, (const char *)strtab, strsz, ro_lo, ro_hi,
                     page);
    if (rela) /* GLOB_DAT: imports called through the GOT without a PLT entry (-fno-plt) */
        patch_relocs(base, (const ElfW(Rela) *)rela, relasz, syms, (const char *)strtab, strsz, ro_lo, ro_hi, page);
    return 1;
}

void ls_unwind_probe_install(void)
{
    static int done; /* once per process: a forked child has the patched GOT */
    if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
        return;
    module_find f = { (uintptr_t)unw_backtrace, (uintptr_t)ls_unwind_probe_install };
    dl_iterate_phdr(patch_module, &f);
}

#else

void ls_unwind_probe_install(void) {}

#endif

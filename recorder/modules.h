/* modules.h — what modules.c shares with the rest of the recorder. Not installed;
 * included through recorder-private.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_RECORDER_MODULES_H
#define LEAKSCOPE_RECORDER_MODULES_H

/* ---- modules.c: loaded ELF objects ---- */

/* Writer thread: records every loaded module not recorded yet in this
 * recording (cheap when nothing was loaded since the last call, unless forced). */
void ls_modules_scan(trace_writer *w, bool force);

/* The address range [lo, hi) of an object's PT_LOAD segments; false if none. */
struct dl_phdr_info;
bool ls_load_range(const struct dl_phdr_info *info, uint64_t *lo, uint64_t *hi);
void ls_modules_reset(void);
/* Held across fork, so that no scan holds the loader's lock at that moment. */
void ls_modules_fork_lock(void);
void ls_modules_fork_unlock(void);
/* In a forked child: drop the parent's list without touching it. */
void ls_modules_forget(void);

#endif

/* sites.h — what a call site is called: one name for the report, check and
 * the viewer.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LEAKSCOPE_SITES_H
#define LEAKSCOPE_SITES_H

#include "analysis.h"
#include "symbols.h"

#include <stdbool.h>
#include <stddef.h>

/* True for a function that only hands memory on (malloc and its kin, the
 * x*alloc, GLib, C++, CPython and SQLite allocators, strdup, asprintf, the
 * recorder's own API): the caller of one is the call site that matters. */
bool ls_is_allocator_wrapper(const char *function);

/* The name of the call site of stack `stack_id`: its first frame outside
 * allocator wrappers, as "function (file:line)", and the function that
 * called it, after " ← ", so that two sites reached through one helper read
 * differently. A frame with no symbol reads "0xADDR in MODULE". Control
 * characters from the trace are escaped (\xNN); the text is otherwise as
 * the binary spells it. syms may be NULL (addresses only). Writes into buf
 * (truncating) and returns it. */
const char *ls_site_name(sym_table *syms, const ls_analysis *a, uint32_t stack_id, char *buf, size_t len);

/* The length of the UTF-8 sequence that starts at s (left > 0 bytes
 * there), or 0 when the bytes there are not one (a stray continuation, an
 * overlong or cut sequence, a surrogate, past U+10FFFF: what strict
 * readers such as proto3's refuse). The one test of UTF-8 for every writer
 * of untrusted text. */
size_t ls_utf8_len(const char *s, size_t left);

/* What a resolved frame is called where only its function matters (a node
 * of a call tree, a frame of a flame graph): its function as the binary
 * spells it, or "0xADDR in MODULE" (the module's base name) when it has no
 * symbol. Control characters and bytes that are not UTF-8 are escaped
 * (\xNN), so the text is valid UTF-8 with no control characters. Writes
 * into buf (truncating) and returns it. */
const char *ls_frame_function(const sym_frame *fr, char *buf, size_t len);

/* The function of stack `stack_id`'s call site (the frame ls_site_name
 * starts with), named as a call tree names its nodes (ls_frame_function):
 * what the viewer highlights in its trees and flame graph when a call
 * site is selected anywhere. "" for id 0 or an unknown id. Writes into buf
 * (truncating) and returns it. */
const char *ls_site_function(sym_table *syms, const ls_analysis *a, uint32_t stack_id, char *buf, size_t len);

/* What makes a call stack the same call site in two runs of a program
 * (`leakscope diff`, the viewer): its resolved frames, inlined ones
 * included, innermost first, each its function and its file's base name,
 * never an address (ASLR moves them, and a rebuild moves lines). A frame
 * with no symbol is its module's base name and its offset in the module.
 * Stacks of two traces are one site when their keys are equal (strcmp);
 * several stacks of one trace may share a key (two lines of a function).
 * The key is for comparing, not for showing (it holds the trace's bytes,
 * length-prefixed, so no name can fake a frame boundary). Stack id 0 and
 * unknown ids give "". syms may be NULL (every frame unknown). Returns a
 * malloc'd string to free, or NULL on out of memory. */
char *ls_stack_key(sym_table *syms, const ls_analysis *a, uint32_t stack_id);

#endif

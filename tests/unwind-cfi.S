/* unwind-cfi.S — call frame information written by hand, for the CFI
 * walker's rule checks in tests/test-unwind.c. None of this code is run:
 * test-unwind.c looks up the rule at each label ending in _at and compares
 * it with what the comment says.
 *
 * SPDX-License-Identifier: MIT
 */
#if defined(__x86_64__) && defined(__ELF__)

#define FUNC(name) .globl name; .hidden name; .type name, @function; name:
#define AT(name) .globl name; .hidden name; name:

	.text

/* Unsupported: the return address is not at CFA-8. */
FUNC(cfi_ra_elsewhere)
	.cfi_startproc
	nop
	.cfi_offset %rip, -16
AT(cfi_ra_elsewhere_at)
	ret
	.cfi_endproc

/* Unsupported: the CFA in another register. */
FUNC(cfi_cfa_r10)
	.cfi_startproc
	nop
	.cfi_def_cfa %r10, 0
AT(cfi_cfa_r10_at)
	ret
	.cfi_endproc

/* Unsupported: the CFA is an expression (DW_CFA_def_cfa_expression:
 * DW_OP_breg7 8, DW_OP_deref). */
FUNC(cfi_cfa_expr)
	.cfi_startproc
	nop
	.cfi_escape 0x0f, 0x03, 0x77, 0x08, 0x06
AT(cfi_cfa_expr_at)
	ret
	.cfi_endproc

/* Unsupported: RBP's rule is an expression (DW_CFA_expression r6:
 * DW_OP_breg7 0). */
FUNC(cfi_rbp_expr)
	.cfi_startproc
	nop
	.cfi_escape 0x10, 0x06, 0x02, 0x77, 0x00
AT(cfi_rbp_expr_at)
	ret
	.cfi_endproc

/* Unsupported: RBP kept in another register. */
FUNC(cfi_rbp_in_reg)
	.cfi_startproc
	nop
	.cfi_register %rbp, %rbx
AT(cfi_rbp_in_reg_at)
	ret
	.cfi_endproc

/* Unsupported: RSP has a rule of its own. */
FUNC(cfi_rsp_saved)
	.cfi_startproc
	nop
	.cfi_offset %rsp, -16
AT(cfi_rsp_saved_at)
	ret
	.cfi_endproc

/* Unsupported: a signal frame (augmentation 'S'), even with plain rules. */
FUNC(cfi_signal)
	.cfi_startproc
	.cfi_signal_frame
	nop
AT(cfi_signal_at)
	ret
	.cfi_endproc

/* The outermost frame: the return address is undefined. */
FUNC(cfi_outermost)
	.cfi_startproc
	.cfi_undefined %rip
	nop
AT(cfi_outermost_at)
	ret
	.cfi_endproc

/* Factored offsets: DW_CFA_def_cfa_offset_sf -3 (x -8 = 24), then
 * DW_CFA_offset_extended_sf r6, 2 (x -8 = -16), then DW_CFA_def_cfa_sf
 * r7, -4 (32), and DW_CFA_GNU_args_size (ignored). */
FUNC(cfi_factored)
	.cfi_startproc
	nop
	.cfi_escape 0x13, 0x7d
	.cfi_escape 0x11, 0x06, 0x02
AT(cfi_factored_at24)
	nop
	.cfi_escape 0x12, 0x07, 0x7c
	.cfi_escape 0x2e, 0x10
AT(cfi_factored_at32)
	ret
	.cfi_endproc

/* remember_state / restore_state around an early return. */
FUNC(cfi_remember)
	.cfi_startproc
	push %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	mov %rsp, %rbp
	.cfi_def_cfa_register %rbp
	test %rdi, %rdi
	jz 1f
	.cfi_remember_state
	pop %rbp
	.cfi_def_cfa %rsp, 8
	.cfi_restore %rbp
AT(cfi_remember_ret_at)
	ret
1:
	.cfi_restore_state
AT(cfi_remember_body_at)
	nop
	pop %rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc

/* Rows at exact boundaries, and long advances (DW_CFA_advance_loc1, 2, 4). */
FUNC(cfi_rows)
	.cfi_startproc
AT(cfi_rows_at8)
	nop
	.cfi_def_cfa_offset 16
AT(cfi_rows_at16)
	.skip 100, 0x90
	.cfi_def_cfa_offset 24
AT(cfi_rows_at24)
	.skip 1000, 0x90
	.cfi_def_cfa_offset 32
AT(cfi_rows_at32)
	.skip 70000, 0x90
	.cfi_def_cfa_offset 40
AT(cfi_rows_at40)
	nop
AT(cfi_rows_last_at40)
	ret
	.cfi_endproc

/* Personality and LSDA pointers in several encodings ("zPLR"): skipped, not
 * followed. */
FUNC(cfi_fake_personality)
	ret
	.section .data.rel.ro, "aw"
	.balign 8
cfi_personality_ref:
	.quad cfi_fake_personality
	.text

FUNC(cfi_pers_pcrel4)
	.cfi_startproc
	.cfi_personality 0x1b, cfi_fake_personality
	.cfi_lsda 0x1b, cfi_pers_pcrel4
	push %rbx
	.cfi_def_cfa_offset 16
AT(cfi_pers_pcrel4_at16)
	pop %rbx
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc

FUNC(cfi_pers_indirect)
	.cfi_startproc
	.cfi_personality 0x9b, cfi_personality_ref
	.cfi_lsda 0x1c, cfi_pers_indirect
	push %rbx
	.cfi_def_cfa_offset 16
AT(cfi_pers_indirect_at16)
	pop %rbx
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc

/* Hand-made CIEs and FDEs with other pointer encodings for the FDE's
 * address: pcrel|sdata8 (0x1c), pcrel|udata8 (0x14) (a negative offset
 * wraps), and the usual pcrel|sdata4 (0x1b). (pcrel|udata4 cannot be tried:
 * ld's .eh_frame_hdr builder reads a negative offset as a huge one.) Each
 * function pushes RBP and keeps it at CFA-16. */
#define RAW_FDE(name, enc, addr_directive, aug, augdata_len)                  \
FUNC(name)                                                                     \
	push %rbp;                                                             \
AT(name##_at16)                                                                \
	pop %rbp;                                                              \
	ret;                                                                   \
.L##name##_end:                                                                \
	.section .eh_frame, "a", @progbits;                                    \
.L##name##_cie:                                                                \
	.long .L##name##_cie_end - .L##name##_cie_start;                       \
.L##name##_cie_start:                                                          \
	.long 0;                 /* CIE id */                                  \
	.byte 1;                 /* version */                                 \
	.string aug;                                                           \
	.uleb128 1;              /* code alignment */                          \
	.sleb128 -8;             /* data alignment */                          \
	.byte 16;                /* return address column */                   \
	.uleb128 augdata_len;                                                  \
	.byte enc;                                                             \
	.byte 0x0c, 7, 8;        /* DW_CFA_def_cfa rsp, 8 */                   \
	.byte 0x90, 1;           /* DW_CFA_offset rip, -8 */                   \
	.balign 8;                                                             \
.L##name##_cie_end:                                                            \
	.long .L##name##_fde_end - .L##name##_fde_start;                       \
.L##name##_fde_start:                                                          \
	.long .L##name##_fde_start - .L##name##_cie;                           \
	addr_directive name - .;                                               \
	addr_directive .L##name##_end - name;                                  \
	.uleb128 0;              /* augmentation data */                       \
	.byte 0x41;              /* DW_CFA_advance_loc 1 */                    \
	.byte 0x0e, 16;          /* DW_CFA_def_cfa_offset 16 */                \
	.byte 0x86, 2;           /* DW_CFA_offset rbp, -16 */                  \
	.balign 8;                                                             \
.L##name##_fde_end:                                                            \
	.text

RAW_FDE(cfi_raw_sdata4, 0x1b, .long, "zR", 1)
RAW_FDE(cfi_raw_sdata8, 0x1c, .quad, "zR", 1)
RAW_FDE(cfi_raw_udata8, 0x14, .quad, "zR", 1)

#endif

	.section .note.GNU-stack, "", @progbits

/*
 * entry.S - first instructions, from OpenSBI (fw_dynamic) in S-mode with the
 * MMU off: a0 = hart id, a1 = physical address of the device tree.
 *
 * Clears the BSS, builds the boot page table (1G leaves: the first 4 GiB
 * identity-mapped for the switch, low physical space up to the top of the
 * address space at CONFIG_PHYS_VIRT_OFFSET), enables Sv39, moves pc and sp to the high half and
 * calls axhal_boot_main(hartid, dtb).
 */
#include "boot.h"

	.section .text.entry
	.globl _start
_start:
	mv	s0, a0
	mv	s1, a1
	csrr	s2, time		/* boot timestamp, for boot-to-main time */

	/* clear the BSS (the boot stack before it is not cleared) */
	la	t0, _sbss_clear
	la	t1, _ebss
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	/* boot page table: entry i (i < 4) and entry HIGH_INDEX + i map PA i GiB */
	la	t0, boot_page_table
	li	t1, 0			/* i */
	li	t2, BOOT_PT_HIGH_ENTRIES
	li	t3, BOOT_PTE_FLAGS
3:	slli	t4, t1, BOOT_PTE_GIB_SHIFT
	or	t4, t4, t3
	slli	t5, t1, 3
	add	t5, t5, t0
	li	t6, BOOT_PT_HIGH_OFFSET
	add	t6, t6, t5
	sd	t4, 0(t6)
	li	t6, BOOT_PT_IDENTITY_ENTRIES
	bgeu	t1, t6, 4f
	sd	t4, 0(t5)
4:	addi	t1, t1, 1
	bltu	t1, t2, 3b

	/* satp = Sv39 | PPN(boot_page_table) */
	srli	t0, t0, 12
	li	t1, SATP_MODE_SV39
	or	t0, t0, t1
	sfence.vma
	csrw	satp, t0
	sfence.vma

	/* continue in the high half */
	li	t0, CONFIG_PHYS_VIRT_OFFSET
	la	sp, boot_stack_top
	add	sp, sp, t0
	la	t1, 5f
	add	t1, t1, t0
	jr	t1
5:	mv	a0, s0
	mv	a1, s1
	mv	a2, s2
	li	s0, 0			/* fp 0: the outermost frame, backtraces stop here */
	call	axhal_boot_main
6:	wfi
	j	6b

	.section .bss.stack, "aw", @nobits
	.balign 16
	.globl	boot_stack
boot_stack:
	.space	BOOT_STACK_SIZE
	.globl	boot_stack_top
boot_stack_top:

	.section .data.boot_page_table, "aw"
	.balign 4096
	.globl	boot_page_table
boot_page_table:
	.space	4096

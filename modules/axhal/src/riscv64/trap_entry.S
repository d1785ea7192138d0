/*
 * trap.S - supervisor trap entry: saves every register into a trap_frame on
 * the current stack, calls axhal_trap_handler(frame), restores and sret.
 * The kernel and the apps both run in S-mode, so the stack is always valid.
 */
#define FRAME_SIZE (36 * 8)
#define SEPC (32 * 8)
#define SSTATUS (33 * 8)
#define SCAUSE (34 * 8)
#define STVAL (35 * 8)

	.section .text
	.balign 4
	.globl axhal_trap_entry
axhal_trap_entry:
	addi	sp, sp, -FRAME_SIZE
	.irp	n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	sd	x\n, (\n * 8)(sp)
	.endr
	addi	t0, sp, FRAME_SIZE
	sd	t0, (2 * 8)(sp)		/* the sp before the trap */
	csrr	t0, sepc
	sd	t0, SEPC(sp)
	csrr	t0, sstatus
	sd	t0, SSTATUS(sp)
	csrr	t0, scause
	sd	t0, SCAUSE(sp)
	csrr	t0, stval
	sd	t0, STVAL(sp)

	mv	a0, sp
	call	axhal_trap_handler

	ld	t0, SEPC(sp)
	csrw	sepc, t0
	ld	t0, SSTATUS(sp)
	csrw	sstatus, t0
	.irp	n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld	x\n, (\n * 8)(sp)
	.endr
	addi	sp, sp, FRAME_SIZE
	sret

/*
 * trap.h - supervisor trap handling.
 */
#ifndef AXHAL_TRAP_H
#define AXHAL_TRAP_H

#include <stdint.h>

/* Registers saved by the trap entry; x[0] is unused (x0 is zero). */
struct trap_frame {
	uint64_t x[32];
	uint64_t sepc;
	uint64_t sstatus;
	uint64_t scause;
	uint64_t stval;
};

/* Installs the trap vector on this hart. */
void axhal_trap_init(void);

/* Human-readable name of an scause value ("store/AMO page fault", ...). */
const char *axhal_trap_cause_name(uint64_t scause);

/* Called by the trap entry with the saved registers; returns to resume. */
void axhal_trap_handler(struct trap_frame *tf);

#endif

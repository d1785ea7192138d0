/*
 * trap.c - trap decoding: page faults on low-half addresses go to the
 * registered handler (the active address space); anything else is fatal
 * and prints a report (cause name, sepc, stval, registers, backtrace).
 */
#include "backtrace.h"
#include "cpu.h"
#include <axhal/mem.h>
#include <axhal/panic.h>
#include "trap.h"
#include <stdio.h>

#include "fault.h"

extern char axhal_trap_entry[];

axhal_fault_handler_t axhal_fault_handler;

static const char *const exception_names[] = {
	[0] = "instruction address misaligned",
	[1] = "instruction access fault",
	[2] = "illegal instruction",
	[3] = "breakpoint",
	[4] = "load address misaligned",
	[5] = "load access fault",
	[6] = "store/AMO address misaligned",
	[7] = "store/AMO access fault",
	[8] = "environment call from U-mode",
	[9] = "environment call from S-mode",
	[12] = "instruction page fault",
	[13] = "load page fault",
	[15] = "store/AMO page fault",
};

static const char *const interrupt_names[] = {
	[1] = "supervisor software interrupt",
	[5] = "supervisor timer interrupt",
	[9] = "supervisor external interrupt",
};

static const char *const reg_names[32] = {
	"zero", "ra", "sp", "gp", "tp",	 "t0",	"t1",  "t2",  "s0", "s1", "a0",
	"a1",	"a2", "a3", "a4", "a5",	 "a6",	"a7",  "s2",  "s3", "s4", "s5",
	"s6",	"s7", "s8", "s9", "s10", "s11", "t3",  "t4",  "t5", "t6",
};

/* s0, the frame pointer. */
#define REG_FP 8

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void axhal_trap_init(void)
{
	csr_write(stvec, (uint64_t)axhal_trap_entry);
}

const char *axhal_trap_cause_name(uint64_t scause)
{
	uint64_t code = scause & ~SCAUSE_INTERRUPT;
	const char *name = NULL;

	if (scause & SCAUSE_INTERRUPT) {
		if (code < ARRAY_LEN(interrupt_names))
			name = interrupt_names[code];
	} else if (code < ARRAY_LEN(exception_names)) {
		name = exception_names[code];
	}
	return name ? name : "unknown trap";
}

static unsigned fault_access(uint64_t scause)
{
	switch (scause) {
	case EXC_INST_PAGE_FAULT:
		return ACCESS_EXEC;
	case EXC_LOAD_PAGE_FAULT:
		return ACCESS_READ;
	case EXC_STORE_PAGE_FAULT:
		return ACCESS_WRITE;
	default:
		return 0;
	}
}

static __attribute__((noreturn)) void report(const struct trap_frame *tf, int err)
{
	printf("\nunhandled trap: %s (scause %#lx)\n", axhal_trap_cause_name(tf->scause),
	       (unsigned long)tf->scause);
	printf("  sepc %016lx  stval %016lx  sstatus %016lx", (unsigned long)tf->sepc,
	       (unsigned long)tf->stval, (unsigned long)tf->sstatus);
	if (err)
		printf("  fault handler: error %d", err);
	printf("\n");
	for (int i = 1; i < 32; i++)
		printf("  %-4s %016lx%s", reg_names[i], (unsigned long)tf->x[i], i % 4 == 3 ? "\n" : "");
	printf("\n");
	axhal_backtrace(tf->sepc, tf->x[REG_FP]);
	printf("unhandled trap (exit status %d)\n", AXHAL_EXIT_TRAP);
	axhal_exit(AXHAL_EXIT_TRAP);
}

void axhal_trap_handler(struct trap_frame *tf)
{
	unsigned access = fault_access(tf->scause);
	int err = 0;

	if (access && tf->stval < USER_VA_END && axhal_fault_handler) {
		err = axhal_fault_handler(tf->stval, access);
		if (err == 0)
			return;
	}
	report(tf, err);
}

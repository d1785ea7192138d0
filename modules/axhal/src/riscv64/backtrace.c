/*
 * backtrace.c - walks the frame records of the kernel stack. With
 * -fno-omit-frame-pointer every function keeps s0 (fp) pointing just above
 * its frame record: the return address at fp - 8, the caller's fp at fp - 16.
 */
#include "backtrace.h"
#include <stdbool.h>
#include <stdio.h>

/* The kernel's only stack (entry.S). */
extern char boot_stack[], boot_stack_top[];

#define FRAME_RECORD_SIZE 16

/* True when the frame record below fp lies wholly within the boot stack. */
static bool frame_on_stack(uint64_t fp)
{
	return fp % sizeof(uint64_t) == 0 && fp >= (uint64_t)boot_stack + FRAME_RECORD_SIZE &&
	       fp <= (uint64_t)boot_stack_top;
}

void axhal_backtrace(uint64_t pc, uint64_t fp)
{
	int n = 0;

	printf("backtrace:\n");
	if (pc)
		printf("  #%d pc 0x%016lx\n", n++, (unsigned long)pc);
	while (n < AXHAL_BACKTRACE_MAX_FRAMES && frame_on_stack(fp)) {
		const uint64_t *record = (const uint64_t *)fp;
		uint64_t ra = record[-1];
		uint64_t caller_fp = record[-2];

		if (ra == 0)
			break;
		printf("  #%d ra 0x%016lx\n", n++, (unsigned long)ra);
		if (caller_fp <= fp)
			break;
		fp = caller_fp;
	}
}

/*
 * backtrace.h - a backtrace of the kernel stack by frame pointers,
 * printed one frame a line for the runner to symbolize (scripts/symbolize).
 */
#ifndef AXHAL_BACKTRACE_H
#define AXHAL_BACKTRACE_H

#include <stdint.h>

/* Frames deeper than this are not printed. */
#define AXHAL_BACKTRACE_MAX_FRAMES 32

/*
 * Prints "backtrace:" and then, when pc is not 0, "  #0 pc 0x<16 hex>" (the
 * instruction that trapped), then one "  #N ra 0x<16 hex>" line per return
 * address found by walking the frame records from fp (a frame pointer, s0).
 * A frame pointer that is misaligned, outside the boot stack or not above
 * the previous one ends the walk, as does AXHAL_BACKTRACE_MAX_FRAMES.
 */
void axhal_backtrace(uint64_t pc, uint64_t fp);

#endif

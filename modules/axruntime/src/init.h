/*
 * init.h - the runtime's bring-up steps.
 */
#ifndef AXRUNTIME_INIT_H
#define AXRUNTIME_INIT_H

#include <axhal/boot_info.h>
#include <stdint.h>

/*
 * Initialises the enabled memory modules from the boot memory map: the
 * global allocator (CONFIG_AXALLOC), then the kernel address space
 * (CONFIG_PAGE_TABLE). Panics when a step cannot complete: the kernel cannot
 * run without them. Returns how long the global allocator's init took, in
 * timer ticks (axhal_ticks; 0 without CONFIG_AXALLOC).
 */
uint64_t axruntime_init_memory(const struct boot_info *bi);

#endif

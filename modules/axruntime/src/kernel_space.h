/*
 * kernel_space.h - the kernel's own page table (built with
 * CONFIG_PAGE_TABLE).
 */
#ifndef AXRUNTIME_KERNEL_SPACE_H
#define AXRUNTIME_KERNEL_SPACE_H

#include <axhal/boot_info.h>

/*
 * Builds the kernel page table and switches to it: the image with
 * per-section permissions (text R-X, rodata R--, data/bss RW-), all RAM
 * linearly mapped RW- with the largest pages that fit, and the platform's
 * MMIO as device memory, all global. Panics if memory runs out.
 */
void kernel_space_init(const struct boot_info *bi);

#endif

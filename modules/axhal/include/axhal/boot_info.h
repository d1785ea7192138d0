/*
 * axhal/boot_info.h - what axhal hands the runtime after early boot.
 */
#ifndef AXHAL_BOOT_INFO_H
#define AXHAL_BOOT_INFO_H

#include <stdint.h>
#include <axhal/fdt.h>

#define BOOT_MAX_RESERVED (FDT_MAX_RANGES + 3)

struct boot_info {
	unsigned long hartid;
	paddr_t dtb_pa;
	struct fdt_info fdt;
	/* fdt.reserved plus firmware, kernel image and device tree */
	struct mem_range reserved[BOOT_MAX_RESERVED];
	int nr_reserved;
	struct mem_range kernel; /* physical extent of the kernel image */
	uint64_t boot_ticks;	 /* time counter at _start */
};

/* The runtime's entry, called once by axhal on the boot hart. */
__attribute__((noreturn)) void axruntime_main(const struct boot_info *bi);

#endif

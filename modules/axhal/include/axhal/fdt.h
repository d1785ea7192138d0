/*
 * axhal/fdt.h - the facts the kernel reads from the flattened device tree.
 */
#ifndef AXHAL_FDT_H
#define AXHAL_FDT_H

#include <stdint.h>
#include <axhal/mem.h>

#define FDT_MAX_RANGES 16

struct fdt_info {
	struct mem_range ram[FDT_MAX_RANGES];	   /* /memory nodes' reg */
	int nr_ram;
	struct mem_range reserved[FDT_MAX_RANGES]; /* /reserved-memory + memreserve block */
	int nr_reserved;
	int nr_harts;				   /* /cpus/cpu@N nodes */
	uint64_t timebase_hz;			   /* /cpus timebase-frequency */
	uint64_t size;				   /* total size of the blob */
};

/*
 * Parses the device tree blob at `fdt`. Returns 0; -EINVAL when the blob is
 * not a valid FDT (bad magic, version, offsets or structure) or a memory or
 * /reserved-memory reg property cannot be read (cells other than 1 or 2, not
 * whole pairs); -ENOSPC when it lists more than FDT_MAX_RANGES non-empty RAM
 * ranges, or more than FDT_MAX_RANGES reserved ones (memory-reservation block
 * and /reserved-memory together). No range is ever dropped: on an error, info
 * is incomplete and must not be used.
 */
int fdt_parse(const void *fdt, struct fdt_info *info);

#endif

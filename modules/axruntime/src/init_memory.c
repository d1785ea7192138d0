/*
 * init_memory.c - memory bring-up: the global allocator over the device-tree
 * RAM minus what is reserved, then the kernel address space that replaces the
 * boot page table.
 *
 * What the allocator made of the memory map is logged here, after its init
 * (which is timed for the banner): at info the ranges' count and where their
 * metadata went, at debug every range with its metadata.
 */
#include <klib/kconfig.h>
#include "init.h"
#include "kernel_space.h"
#include <axhal/panic.h>
#include <axhal/time.h>
#include <axlog/log.h>
#include <stdbool.h>
#include <stdio.h>

#ifdef CONFIG_AXALLOC
#include <axalloc/axalloc.h>
#include <pgalloc/pgalloc.h>
#endif

#ifdef CONFIG_AXALLOC
/* Room for every range the allocator can manage. */
#define MAX_RANGES PGALLOC_MAX_RANGES
/* Most metadata ranges the info line lists by address. */
#define INFO_RANGES 4
/* Room for one " [0x..., 0x...)" of that list: two 64-bit addresses in hex. */
#define INFO_RANGE_CHARS sizeof(" [0x0123456789abcdef, 0x0123456789abcdef)")

/* True if a range of r[0..n) starts in [lo, hi). */
static bool range_starts_in(const struct axalloc_range *r, int n, paddr_t lo, paddr_t hi)
{
	for (int i = 0; i < n; i++)
		if (r[i].base >= lo && r[i].base < hi)
			return true;
	return false;
}

/*
 * Where the metadata of r[i] is, in words: carved from its own piece of RAM
 * (right below or above its managed pages, guests' metadata aside) or from
 * another range's piece (see struct axalloc_range and axalloc_init).
 */
static const char *meta_place(const struct axalloc_range *r, int n, int i)
{
	paddr_t meta_end = r[i].meta_base + r[i].meta_size, end = r[i].base + r[i].size;

	if (meta_end <= r[i].base && !range_starts_in(r, n, meta_end, r[i].base))
		return "at its head";
	if (r[i].meta_base >= end && !range_starts_in(r, n, end, r[i].meta_base))
		return "at its tail (keeps more aligned huge blocks)";
	return "with another range (its own head or tail would break a 1 GiB block)";
}

/* Logs the managed ranges and their metadata (info: a summary, debug: each range). */
static void log_ranges(void)
{
	struct axalloc_range r[MAX_RANGES];
	char where[INFO_RANGES * INFO_RANGE_CHARS + sizeof(" ...")];
	uint64_t meta = 0;
	size_t len = 0;
	int n;

	if (AXLOG_MAX_LEVEL < AXLOG_INFO)
		return;
	n = axalloc_get_ranges(r, MAX_RANGES);
	for (int i = 0; i < n; i++) {
		log_debug("axalloc: range [%#lx, %#lx) %lu pages to the %s allocator, metadata "
			  "%lu KiB [%#lx, %#lx) %s",
			  (unsigned long)r[i].base, (unsigned long)(r[i].base + r[i].size),
			  (unsigned long)(r[i].size / PAGE_SIZE), axalloc_page_allocator_name(),
			  (unsigned long)(r[i].meta_size >> 10), (unsigned long)r[i].meta_base,
			  (unsigned long)(r[i].meta_base + r[i].meta_size), meta_place(r, n, i));
		meta += r[i].meta_size;
		if (i < INFO_RANGES && len < sizeof(where))
			len += (size_t)snprintf(where + len, sizeof(where) - len, " [%#lx, %#lx)",
						(unsigned long)r[i].meta_base,
						(unsigned long)(r[i].meta_base + r[i].meta_size));
	}
	if (len < sizeof(where))
		snprintf(where + len, sizeof(where) - len, "%s", n > INFO_RANGES ? " ..." : "");
	log_info("axalloc: %d ranges, metadata %lu KiB at%s", n, (unsigned long)(meta >> 10),
		 where);
}

/*
 * Inits the global allocator over the boot memory map and logs its ranges;
 * returns how long the init took, in timer ticks. Panics if it fails.
 */
static uint64_t init_allocator(const struct boot_info *bi)
{
	uint64_t start = axhal_ticks();
	int err = axalloc_init(bi->fdt.ram, bi->fdt.nr_ram, bi->reserved, bi->nr_reserved);
	uint64_t ticks = axhal_ticks() - start;

	if (err)
		panic("axalloc_init failed: %d", err);
	log_ranges();
	return ticks;
}
#else
/* Without the allocator there is nothing to init: 0 ticks. */
static inline uint64_t init_allocator(const struct boot_info *bi)
{
	(void)bi;
	return 0;
}
#endif

uint64_t axruntime_init_memory(const struct boot_info *bi)
{
	uint64_t alloc_ticks = init_allocator(bi);

	if (IS_ENABLED(CONFIG_PAGE_TABLE))
		kernel_space_init(bi);
	return alloc_ticks;
}

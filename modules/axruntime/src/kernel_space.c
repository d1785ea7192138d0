/*
 * kernel_space.c - replaces the boot page table (1G leaves, everything RWX)
 * with one built by the page-table module.
 */
#include "kernel_space.h"
#include <axalloc/axalloc.h>
#include <axhal/panic.h>
#include <axhal/platform.h>
#include <axlog/log.h>
#include <page-table/page_table.h>
#ifdef CONFIG_MM_ADDRSPACE
#include <mm-addrspace/aspace.h>
#else
/* Without address spaces nothing shares the kernel's table. */
static inline void aspace_set_kernel_table(struct page_table *pt)
{
	(void)pt;
}
#endif

extern char _stext[], _etext[], _srodata[], _erodata[], _sdata[], _ebss[];

static struct page_table kpt;

/* The kernel table's pages come from axalloc, one 4K page at a time. */
static const struct pt_frame_ops pt_frames = {axalloc_frame_alloc, axalloc_frame_free, NULL};

static void map(paddr_t pa, uint64_t size, unsigned flags, const char *what)
{
	int err = pt_map_region(&kpt, (vaddr_t)phys_to_virt(pa), pa, size, flags | MAPF_GLOBAL, true);
	if (err)
		panic("kernel space: mapping %s [%#lx, +%#lx) failed: %d", what, (unsigned long)pa,
		      (unsigned long)size, err);
	log_debug(
	    "kernel space: %-8s [%#lx, %#lx) -> pa %#lx, %c%c%c%s, %lu page-table pages so far",
	    what, (unsigned long)phys_to_virt(pa), (unsigned long)phys_to_virt(pa) + size,
	    (unsigned long)pa, flags & MAPF_READ ? 'R' : '-', flags & MAPF_WRITE ? 'W' : '-',
	    flags & MAPF_EXEC ? 'X' : '-', flags & MAPF_DEVICE ? " device" : "",
	    (unsigned long)kpt.nr_table_pages);
}

/* Maps the linear-map part [start, end) of RAM, skipping the kernel image. */
static void map_ram(paddr_t start, paddr_t end, const struct mem_range *kernel)
{
	paddr_t kstart = kernel->base, kend = kernel->base + kernel->size;

	if (start < kstart && kstart < end)
		map(start, kstart - start, MAPF_READ | MAPF_WRITE, "RAM");
	if (kend < end && start < kend)
		map(kend, end - kend, MAPF_READ | MAPF_WRITE, "RAM");
	if (end <= kstart || start >= kend)
		map(start, end - start, MAPF_READ | MAPF_WRITE, "RAM");
}

static void map_section(const char *start, const char *end, unsigned flags, const char *what)
{
	if (end > start)
		map(virt_to_phys(start), (uint64_t)(end - start), flags, what);
}

void kernel_space_init(const struct boot_info *bi)
{
	int nr_mmio;
	const struct mem_range *mmio = platform_mmio_ranges(&nr_mmio);

	if (pt_init(&kpt, &pt_frames))
		panic("kernel space: no memory for the root table");
	map_section(_stext, _etext, MAPF_READ | MAPF_EXEC, "text");
	map_section(_srodata, _erodata, MAPF_READ, "rodata");
	map_section(_sdata, _ebss, MAPF_READ | MAPF_WRITE, "data/bss");
	for (int i = 0; i < bi->fdt.nr_ram; i++)
		map_ram(bi->fdt.ram[i].base, bi->fdt.ram[i].base + bi->fdt.ram[i].size, &bi->kernel);
	for (int i = 0; i < nr_mmio; i++)
		map(mmio[i].base, mmio[i].size, MAPF_READ | MAPF_WRITE | MAPF_DEVICE, "MMIO");
	axhal_activate_page_table(pt_satp(&kpt), NULL);
	aspace_set_kernel_table(&kpt);
	log_info("kernel space: %lu page-table pages, text R-X, rodata R--, data RW-, RAM linear",
	       (unsigned long)kpt.nr_table_pages);
}

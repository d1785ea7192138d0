/*
 * init_memory.c - memory bring-up: the global allocator over the device-tree
 * RAM minus what is reserved, then the kernel address space that replaces the
 * boot page table.
 */
#include <axruntime/init.h>
#include <axhal/panic.h>
#include <axlog/log.h>

#ifdef CONFIG_AXALLOC
#include <axalloc/axalloc.h>
#endif
#ifdef CONFIG_PAGE_TABLE
#include <axruntime/kernel_space.h>
#endif

void axruntime_init_memory(const struct boot_info *bi)
{
#ifdef CONFIG_AXALLOC
	struct axalloc_stats st;
	int err = axalloc_init(bi->fdt.ram, bi->fdt.nr_ram, bi->reserved, bi->nr_reserved);

	if (err)
		panic("axalloc_init failed: %d", err);
	axalloc_stats(&st);
	log_info("axalloc: %s page allocator, %lu free pages (%lu MiB), metadata %lu KiB",
	       axalloc_page_allocator_name(), (unsigned long)st.pages.free_pages,
	       (unsigned long)(st.pages.free_pages >> 8), (unsigned long)(st.pages.meta_bytes >> 10));
#endif
#ifdef CONFIG_PAGE_TABLE
	kernel_space_init(bi);
#endif
	(void)bi;
}

/*
 * runtime.c - brings the kernel up in order (console and memory map are
 * ready when axhal calls in; then allocators, paging), prints the banner,
 * runs the app's main() and exits with its value.
 */
#include "app.h"
#include "init.h"
#include <axhal/boot_info.h>
#include <axhal/console.h>
#include <axhal/panic.h>
#include <axhal/platform.h>
#include <axhal/time.h>
#include <axlog/log.h>
#include <klib/kconfig.h>
#include <stdio.h>
#ifdef CONFIG_AXALLOC
#include <axalloc/axalloc.h>
#endif

#define NS_PER_US 1000
#define US_PER_MS 1000
/* The allocator's init time is printed in ms with two decimals. */
#define US_PER_CENTI_MS 10

static void banner(const struct boot_info *bi)
{
	uint64_t ram = 0;

	printf("\nArceOS-C on %s, app '%s'\n", platform_name(), CONFIG_APP);
	printf("  harts: %d (boot hart %lu), timebase %lu Hz, console: %s\n", bi->fdt.nr_harts,
	       bi->hartid, (unsigned long)bi->fdt.timebase_hz, axhal_console_name());
	for (int i = 0; i < bi->fdt.nr_ram; i++) {
		const struct mem_range *r = &bi->fdt.ram[i];
		printf("  RAM   [%#014lx, %#014lx) %lu MiB\n", (unsigned long)r->base,
		       (unsigned long)(r->base + r->size), (unsigned long)(r->size >> 20));
		ram += r->size;
	}
	for (int i = 0; i < bi->nr_reserved; i++) {
		const struct mem_range *r = &bi->reserved[i];
		printf("  resv  [%#014lx, %#014lx)\n", (unsigned long)r->base,
		       (unsigned long)(r->base + r->size));
	}
	printf("  kernel image %lu KiB, RAM %lu MiB\n", (unsigned long)(bi->kernel.size >> 10),
	       (unsigned long)(ram >> 20));
}

#ifdef CONFIG_AXALLOC
/*
 * The banner's allocator lines: which page allocator, its free pages, how
 * long its init took; which kernel heap.
 */
static void banner_allocator(uint64_t init_ticks)
{
	struct axalloc_stats st;
	uint64_t us = axhal_ticks_to_ns(init_ticks) / NS_PER_US;

	axalloc_stats(&st);
	printf("  page allocator: %s, %lu free pages (%lu MiB), init %lu.%02lu ms\n",
	       axalloc_page_allocator_name(), (unsigned long)st.pages.free_pages,
	       (unsigned long)(st.pages.free_pages * PAGE_SIZE >> 20),
	       (unsigned long)(us / US_PER_MS), (unsigned long)(us % US_PER_MS / US_PER_CENTI_MS));
	printf("  kernel heap: %s\n", axalloc_heap_name());
}
#else
/* Without the allocator the banner has no allocator line. */
static inline void banner_allocator(uint64_t init_ticks)
{
	(void)init_ticks;
}
#endif

/* Microseconds since the machine started: the log's timestamps. */
static uint64_t uptime_us(void)
{
	return axhal_time_ns() / NS_PER_US;
}

void axruntime_main(const struct boot_info *bi)
{
	if (IS_ENABLED(CONFIG_AXLOG))
		axlog_set_clock(uptime_us);
	banner(bi);
	uint64_t alloc_ticks = axruntime_init_memory(bi);
	banner_allocator(alloc_ticks);
	uint64_t now = axhal_ticks();
	printf("  boot-to-main: %lu us\n\n",
	       (unsigned long)(axhal_ticks_to_ns(now - bi->boot_ticks) / NS_PER_US));
	int ret = main();
	printf("\napp '%s' returned %d\n", CONFIG_APP, ret);
	axhal_exit(ret);
}

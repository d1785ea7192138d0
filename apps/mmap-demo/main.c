/*
 * mmap-demo - walks through the address-space API and prints what happens
 * at each step: find_free_area, lazy vs populated Alloc areas, unmap
 * splitting an area, protect, forbidden writes reported as -EFAULT, and
 * destroy giving every page back. With MMAP_DEMO_FORBIDDEN_STORE it ends
 * with a real store to a read-only page, which kills the kernel (trap
 * report, status 251). Returns the number of failed checks (capped at
 * MAX_STATUS); 0 = success.
 */
#include <axalloc/axalloc.h>
#include <errno.h>
#include <klib/kconfig.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "mmap_demo.h"

#define MAX_STATUS 127
/* The demo's space: 1 GiB of the low half starting at 256 MiB. */
#define SPACE_BASE 0x10000000UL
#define SPACE_SIZE PAGE_SIZE_1G
#define SPACE_END  (SPACE_BASE + SPACE_SIZE)
/* Small areas are SMALL_PAGES 4K pages (64 KiB). */
#define SMALL_PAGES 16
#define SMALL_SIZE  (SMALL_PAGES * PAGE_SIZE_4K)
/* Lazy-area pages touched through pointers. */
#define TOUCHED_PAGES 4
/* The hole unmapped from the populated area, and its read-only part. */
#define HOLE_FIRST 6
#define HOLE_PAGES 4
#define RO_FIRST   2
#define RO_PAGES   2
/* The 2M area has HUGE_PAGES pages. */
#define HUGE_PAGES 2
#define HUGE_SIZE  (HUGE_PAGES * PAGE_SIZE_2M)
/* Where the 2M area is touched: somewhere inside its first page. */
#define HUGE_TOUCH_OFFSET 0x12340UL
#define RW		  (MAPF_READ | MAPF_WRITE)
#define BAD_ALIGN	  (3 * PAGE_SIZE_4K)
/* Word written at the start of page i of the populated area. */
#define PATTERN(i) (0x6d6d61702d000000ULL + (uint64_t)(i))

static struct aspace space;
static int failures;
static vaddr_t lazy_va, pop_va, huge_va;

/* Prints "ok" or "FAILED" and the message; counts failures. */
static void check(bool ok, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));
static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		failures++;
	printf("    %s ", ok ? "ok:" : "FAILED:");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static vaddr_t page(vaddr_t base, int i)
{
	return base + (vaddr_t)i * PAGE_SIZE_4K;
}

static uint64_t faults(void)
{
	struct aspace_stats st;

	aspace_stats(&space, &st);
	return st.faults;
}

/* axalloc's used pages, the heap's share of them, and live heap blocks. */
struct usage {
	uint64_t used;
	uint64_t heap_pages;
	uint64_t blocks;
};

static void usage(struct usage *u)
{
	struct axalloc_stats st;

	axalloc_stats(&st);
	u->used = st.pages.used_pages;
	u->heap_pages = st.heap_pages;
	u->blocks = st.heap_allocs - st.heap_frees;
}

/*
 * find_free_area for `size` bytes (named size_name in the output) aligned
 * to pgsize, from SPACE_BASE, into *va; prints the call and its answer.
 * Returns its error.
 */
static int find_gap(uint64_t size, const char *size_name, uint64_t pgsize, vaddr_t *va)
{
	int err = aspace_find_free_area(&space, SPACE_BASE, size, SPACE_END, pgsize, va);

	printf("    find_free_area(hint %#lx, %s, align %s) = %s, %#lx\n",
	       (unsigned long)SPACE_BASE, size_name, demo_pgsize_name(pgsize), err_name(err),
	       (unsigned long)*va);
	return err;
}

/* Maps a read-write Alloc area of pgsize pages at va and checks that it worked. */
static void map_rw(vaddr_t va, uint64_t size, const char *size_name, bool populate, uint64_t pgsize)
{
	int err = aspace_map_alloc(&space, va, size, RW, populate, pgsize);

	check(err == 0, "map_alloc(%#lx, %s, rw-, %s, %s) = %s", (unsigned long)va, size_name,
	      populate ? "populate" : "lazy", demo_pgsize_name(pgsize), err_name(err));
}

static void step_find_free_area(void)
{
	vaddr_t va = 0;
	int err;

	printf("\n1. find_free_area: the first gap at or after the hint that fits, aligned\n");
	err = find_gap(SMALL_SIZE, "64 KiB", PAGE_SIZE_4K, &va);
	check(err == 0 && va == SPACE_BASE, "an empty space's first gap is its base");
	lazy_va = va;
	map_rw(lazy_va, SMALL_SIZE, "64 KiB", false, PAGE_SIZE_4K);

	err = find_gap(SMALL_SIZE, "64 KiB", PAGE_SIZE_4K, &va);
	check(err == 0 && va == lazy_va + SMALL_SIZE, "the next gap starts where that area ends");
	pop_va = va;
	map_rw(pop_va, SMALL_SIZE, "64 KiB", true, PAGE_SIZE_4K);

	err = find_gap(HUGE_SIZE, "4 MiB", PAGE_SIZE_2M, &va);
	check(err == 0 && va == ALIGN_UP(pop_va + SMALL_SIZE, PAGE_SIZE_2M),
	      "with 2M alignment the gap starts at the next 2M boundary");
	huge_va = va;
	map_rw(huge_va, HUGE_SIZE, "4 MiB", false, PAGE_SIZE_2M);

	err = aspace_find_free_area(&space, SPACE_END - SMALL_SIZE, SMALL_SIZE, SPACE_END,
				    PAGE_SIZE_4K, &va);
	check(err == 0 && va == SPACE_END - SMALL_SIZE,
	      "hint 64 KiB below the end: 64 KiB fits exactly (%s, %#lx)", err_name(err),
	      (unsigned long)va);
	err = aspace_find_free_area(&space, SPACE_END - SMALL_SIZE, 2 * SMALL_SIZE, SPACE_END,
				    PAGE_SIZE_4K, &va);
	check(err == -ENOMEM, "from the same hint 128 KiB does not: end-of-range check (%s)",
	      err_name(err));
	err = aspace_find_free_area(&space, SPACE_BASE, SPACE_SIZE, SPACE_END, PAGE_SIZE_4K, &va);
	check(err == -ENOMEM, "a gap as large as the whole space no longer exists (%s)",
	      err_name(err));
	err = aspace_find_free_area(&space, SPACE_BASE, SMALL_SIZE, SPACE_END, BAD_ALIGN, &va);
	check(err == -EINVAL, "align 12K is not a power of two (%s)", err_name(err));
	demo_show_areas(&space);
}

static void step_lazy_vs_populate(void)
{
	uint64_t before, pgsize = 0;
	int err;

	printf("\n2. lazy vs populate: a lazy area maps nothing until touched\n");
	demo_show_stats(&space);
	demo_show_query(&space, lazy_va);
	demo_show_query(&space, pop_va);
	check(aspace_query(&space, lazy_va, NULL, NULL, NULL) == -ENOENT,
	      "the lazy area's first page is not mapped yet");
	check(aspace_query(&space, pop_va, NULL, NULL, NULL) == 0,
	      "the populated area's first page is mapped");
	aspace_activate(&space);
	before = faults();
	printf("    activated the space; writing to %d pages of the lazy area through pointers\n",
	       TOUCHED_PAGES);
	for (int i = 0; i < TOUCHED_PAGES; i++)
		*(volatile uint64_t *)page(lazy_va, i) = i;
	check(faults() == before + TOUCHED_PAGES, "page faults %lu -> %lu: one per touched page",
	      (unsigned long)before, (unsigned long)faults());
	demo_show_query(&space, lazy_va);
	err = aspace_query(&space, page(lazy_va, TOUCHED_PAGES), NULL, NULL, NULL);
	check(err == -ENOENT, "page %d of the lazy area is still not mapped (%s)", TOUCHED_PAGES,
	      err_name(err));
	before = faults();
	*(volatile uint64_t *)(huge_va + HUGE_TOUCH_OFFSET) = 1;
	check(faults() == before + 1, "one write into the 2M lazy area: one fault");
	demo_show_query(&space, huge_va + HUGE_TOUCH_OFFSET);
	err = aspace_query(&space, huge_va, NULL, NULL, &pgsize);
	check(err == 0 && pgsize == PAGE_SIZE_2M, "that fault mapped the whole 2M page around it");
	before = faults();
	for (int i = 0; i < SMALL_PAGES; i++)
		*(volatile uint64_t *)page(pop_va, i) = PATTERN(i);
	check(faults() == before, "writing all %d populated pages takes no fault", SMALL_PAGES);
	demo_show_stats(&space);
}

static void step_unmap(void)
{
	struct aspace_stats st0, st1;
	const struct aspace_area *huge;
	int n0 = demo_nr_areas(&space), err;

	printf("\n3. unmap: cutting a hole splits an area; half a huge page is refused\n");
	demo_show_areas(&space);
	aspace_stats(&space, &st0);
	err = aspace_unmap(&space, page(pop_va, HOLE_FIRST), HOLE_PAGES * PAGE_SIZE_4K);
	printf("    unmap(%#lx, %d pages) = %s\n", (unsigned long)page(pop_va, HOLE_FIRST),
	       HOLE_PAGES, err_name(err));
	demo_show_areas(&space);
	aspace_stats(&space, &st1);
	check(err == 0 && demo_nr_areas(&space) == n0 + 1, "the populated area is now two areas");
	check(st1.mapped[ASPACE_PGSIZE_4K] == st0.mapped[ASPACE_PGSIZE_4K] - HOLE_PAGES &&
		  st1.alloc_pages_4k == st0.alloc_pages_4k - HOLE_PAGES,
	      "%d fewer 4K pages mapped and %d frames freed", HOLE_PAGES, HOLE_PAGES);
	demo_show_query(&space, page(pop_va, HOLE_FIRST));
	check(aspace_query(&space, page(pop_va, HOLE_FIRST), NULL, NULL, NULL) == -ENOENT,
	      "the hole is not mapped");
	check(*(volatile uint64_t *)page(pop_va, HOLE_FIRST - 1) == PATTERN(HOLE_FIRST - 1) &&
		  *(volatile uint64_t *)page(pop_va, HOLE_FIRST + HOLE_PAGES) ==
		      PATTERN(HOLE_FIRST + HOLE_PAGES),
	      "the pages on both sides keep their contents");

	n0 = demo_nr_areas(&space);
	err = aspace_unmap(&space, huge_va + PAGE_SIZE_4K, PAGE_SIZE_4K);
	check(err == -EINVAL, "unmap of one 4K page inside a 2M page: %s", err_name(err));
	err = aspace_unmap(&space, huge_va, PAGE_SIZE_2M / 2);
	check(err == -EINVAL, "unmap of the first half of a 2M page: %s", err_name(err));
	check(demo_nr_areas(&space) == n0, "the area list is unchanged");
	err = aspace_unmap(&space, huge_va + PAGE_SIZE_2M, PAGE_SIZE_2M);
	huge = aspace_find_area(&space, huge_va);
	check(err == 0 && huge && huge->node.end == huge_va + PAGE_SIZE_2M,
	      "unmap of the second 2M page shrinks the 2M area to one page (%s)",
	      err_name(err));
	demo_show_areas(&space);
}

static void step_protect(void)
{
	vaddr_t ro = page(pop_va, RO_FIRST);
	unsigned flags = 0;
	int n0 = demo_nr_areas(&space), err;

	printf("\n4. protect: making %d pages read-only splits their area in three\n", RO_PAGES);
	err = aspace_protect(&space, ro, RO_PAGES * PAGE_SIZE_4K, MAPF_READ);
	printf("    protect(%#lx, %d pages, r--) = %s\n", (unsigned long)ro, RO_PAGES,
	       err_name(err));
	demo_show_areas(&space);
	check(err == 0 && demo_nr_areas(&space) == n0 + 2, "two more areas");
	demo_show_query(&space, ro);
	err = aspace_query(&space, ro, NULL, &flags, NULL);
	check(err == 0 && (flags & MAPF_READ) && !(flags & MAPF_WRITE),
	      "the page table entry is now read-only");
	n0 = demo_nr_areas(&space);
	err = aspace_protect(&space, pop_va, SMALL_SIZE, MAPF_READ);
	check(err == -ENOENT && demo_nr_areas(&space) == n0,
	      "protect across the hole: %s, nothing changed", err_name(err));
}

static void step_forbidden(void)
{
	vaddr_t ro = page(pop_va, RO_FIRST);
	uint64_t word = 0, before = faults();
	int err;

	printf("\n5. forbidden accesses are reported as -EFAULT, without a crash\n");
	err = aspace_write(&space, ro, &word, sizeof(word));
	check(err == -EFAULT, "aspace_write to the read-only page: %s", err_name(err));
	err = aspace_handle_page_fault(&space, ro, ACCESS_WRITE);
	check(err == -EFAULT, "a write fault on the read-only page: %s", err_name(err));
	err = aspace_handle_page_fault(&space, page(pop_va, HOLE_FIRST), ACCESS_READ);
	check(err == -EFAULT, "a read fault in the hole (no area): %s", err_name(err));
	err = aspace_handle_page_fault(&space, page(lazy_va, TOUCHED_PAGES), ACCESS_EXEC);
	check(err == -EFAULT, "an execute fault on the rw- lazy area: %s", err_name(err));
	err = aspace_read(&space, ro, &word, sizeof(word));
	check(err == 0 && word == PATTERN(RO_FIRST),
	      "reading the read-only page is allowed and finds its contents (%s)",
	      err_name(err));
	check(faults() == before, "no fault was counted, no page mapped");
}

static void step_destroy(const struct usage *base)
{
	struct usage now;

	printf("\n6. destroy: every frame, page-table page and area node goes back\n");
	demo_show_stats(&space);
	usage(&now);
	printf("    axalloc used pages: %lu before the demo, %lu before destroy\n",
	       (unsigned long)base->used, (unsigned long)now.used);
	aspace_destroy(&space);
	usage(&now);
	check(now.used == base->used, "axalloc used pages after destroy: %lu, before the demo: %lu",
	      (unsigned long)now.used, (unsigned long)base->used);
	check(now.used - now.heap_pages == base->used - base->heap_pages,
	      "outside the heap: %lu used pages, %lu before",
	      (unsigned long)(now.used - now.heap_pages),
	      (unsigned long)(base->used - base->heap_pages));
	check(now.blocks == base->blocks, "live heap blocks: %lu, %lu before",
	      (unsigned long)now.blocks, (unsigned long)base->blocks);
}

/* Maps one read-only page and stores to it: the kernel must die of the fault. */
static void step_forbidden_store(void)
{
	vaddr_t va = SPACE_BASE;
	int err;

	printf("\n7. a real store to a read-only page\n");
	err = aspace_create(&space, SPACE_BASE, SPACE_SIZE);
	check(err == 0, "aspace_create: %s", err_name(err));
	if (err)
		return;
	err = aspace_map_alloc(&space, va, PAGE_SIZE_4K, MAPF_READ, true, PAGE_SIZE_4K);
	check(err == 0, "map_alloc(%#lx, 4 KiB, r--, populate) = %s", (unsigned long)va,
	      err_name(err));
	if (err)
		return;
	aspace_activate(&space);
	printf("    storing to %#lx: expect a store/AMO page fault report and exit status 251\n",
	       (unsigned long)va);
	*(volatile uint64_t *)va = 1;
	check(false, "the store to a read-only page did not fault");
	aspace_destroy(&space);
}

static void (*const steps[])(void) = {
    step_find_free_area, step_lazy_vs_populate, step_unmap, step_protect, step_forbidden,
};
#define NR_STEPS ((int)(sizeof(steps) / sizeof(steps[0])))

int main(void)
{
	struct usage base;
	int err;

	/*
	 * The heap keeps one empty chunk of pages cached once it has grown; let
	 * it grow now, so the raw used-page counts before and after compare.
	 */
	kfree(kmalloc(1));
	usage(&base);
	printf("mmap-demo: %s page allocator, %lu pages used (%lu by the heap)\n",
	       axalloc_page_allocator_name(), (unsigned long)base.used,
	       (unsigned long)base.heap_pages);
	err = aspace_create(&space, SPACE_BASE, SPACE_SIZE);
	printf("aspace_create(%#lx, 1 GiB) = %s\n", (unsigned long)SPACE_BASE, err_name(err));
	if (err)
		return 1;
	/* Each step builds on the previous ones: after a failed check, skip to destroy. */
	for (int i = 0; i < NR_STEPS && failures == 0; i++)
		steps[i]();
	step_destroy(&base);
	if (IS_ENABLED(CONFIG_MMAP_DEMO_FORBIDDEN_STORE) && failures == 0)
		step_forbidden_store();
	printf("\nmmap-demo: %d failed checks\n", failures);
	return failures > MAX_STATUS ? MAX_STATUS : failures;
}

/*
 * memtest - exercises the global allocator in the kernel: pages of every
 * size class with their alignment, a seeded random page workload with
 * content checks, the byte heap, the fragmentation indexes, and compaction
 * with the memory map before and after (compaction.c); returns the number of
 * failed checks (0 = success).
 */
#include <axalloc/axalloc.h>
#include <axhal/time.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "memtest.h"

#define MAX_LIVE     256
#define HEAP_OBJECTS 512
#define PAIR_LOOPS   10000

static int failures;
static uint64_t rng_state = CONFIG_MEMTEST_SEED;

void memtest_fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	printf("memtest: FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static uint64_t rng(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng_state >> 33;
}

/* The word stored at the start of every page of a block: its address mixed with a tag. */
static uint64_t pattern(paddr_t pa, uint64_t tag)
{
	return pa * 0x9e3779b97f4a7c15ULL ^ tag;
}

static void fill(paddr_t pa, uint64_t n, uint64_t tag)
{
	for (uint64_t i = 0; i < n; i++)
		*(uint64_t *)phys_to_virt(pa + i * PAGE_SIZE) = pattern(pa + i * PAGE_SIZE, tag);
}

static int verify(paddr_t pa, uint64_t n, uint64_t tag)
{
	for (uint64_t i = 0; i < n; i++)
		if (*(uint64_t *)phys_to_virt(pa + i * PAGE_SIZE) !=
		    pattern(pa + i * PAGE_SIZE, tag))
			return -1;
	return 0;
}

/* Every order 0..9 with its natural alignment, then 2M-aligned odd sizes. */
static void size_classes(void)
{
	printf("size classes:\n");
	for (unsigned order = 0; order <= 9; order++) {
		uint64_t n = 1UL << order, align = PAGE_SIZE << order;
		paddr_t pa;
		int err = axalloc_alloc_pages(n, align, AXALLOC_UNMOVABLE, &pa);
		CHECK(err == 0, "alloc of order %u: %d", order, err);
		if (err)
			continue;
		CHECK(pa % align == 0, "order %u block %#lx not aligned", order, (unsigned long)pa);
		fill(pa, n, order);
		CHECK(verify(pa, n, order) == 0, "order %u contents", order);
		CHECK(axalloc_free_pages(pa, n) == 0, "free of order %u", order);
		printf("  order %u: %4lu pages at %#lx\n", order, (unsigned long)n,
		       (unsigned long)pa);
	}
	paddr_t pa;
	int err = axalloc_alloc_pages(513, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa);
	CHECK(err == 0 && pa % PAGE_SIZE_2M == 0, "513 pages 2M-aligned: %d", err);
	if (!err)
		CHECK(axalloc_free_pages(pa, 513) == 0, "free of 513 pages");
	CHECK(axalloc_free_pages(pa, 513) == -ENOENT, "double free must be -ENOENT");
	CHECK(axalloc_alloc_pages(1, 3 * PAGE_SIZE, AXALLOC_UNMOVABLE, &pa) == -EINVAL,
	      "align 12K must be -EINVAL");
}

/* Explains the columns of pgalloc_dump's table to a reader. */
static void legend(void)
{
	printf("  order n = a block of 2^n pages of 4 KiB (order 9 = 2 MiB, 18 = 1 GiB);\n"
	       "  both indexes are Linux's, in thousandths, for a request of that order:\n"
	       "  unusable       share of the free memory in blocks too small for it\n"
	       "                 (0 = all of it could serve the request, 1000 = none)\n"
	       "  fragmentation  -1000 = a big enough free block exists: it succeeds;\n"
	       "                 else why it fails: near 0 = too little free memory,\n"
	       "                 near 1000 = enough memory, but split into smaller blocks\n");
}

/* Random allocations and frees with content checks. */
static void random_pages(void)
{
	static struct {
		paddr_t pa;
		uint64_t n, tag;
	} live[MAX_LIVE];
	int nr = 0;

	for (int round = 0; round < CONFIG_MEMTEST_ROUNDS; round++) {
		if (nr < MAX_LIVE && (nr == 0 || rng() % 3 != 0)) {
			uint64_t n = 1 + rng() % 64, align = PAGE_SIZE << (rng() % 6);
			paddr_t pa;
			if (axalloc_alloc_pages(n, align, AXALLOC_UNMOVABLE, &pa) == 0) {
				CHECK(pa % align == 0, "random block not aligned");
				live[nr].pa = pa, live[nr].n = n, live[nr].tag = rng();
				fill(pa, n, live[nr].tag);
				nr++;
			}
		} else {
			int i = (int)(rng() % (uint64_t)nr);
			CHECK(verify(live[i].pa, live[i].n, live[i].tag) == 0,
			      "block %#lx corrupted", (unsigned long)live[i].pa);
			CHECK(axalloc_free_pages(live[i].pa, live[i].n) == 0, "random free");
			live[i] = live[--nr];
		}
	}
	struct axalloc_stats st;
	axalloc_stats(&st);
	printf("after %d random rounds, %d blocks live:\n", CONFIG_MEMTEST_ROUNDS, nr);
	pgalloc_dump(axalloc_page_allocator_name(), &st.pages);
	legend();
	while (nr > 0) {
		nr--;
		CHECK(verify(live[nr].pa, live[nr].n, live[nr].tag) == 0,
		      "block corrupted at the end");
		axalloc_free_pages(live[nr].pa, live[nr].n);
	}
}

static void heap(void)
{
	static uint8_t *obj[HEAP_OBJECTS];
	static size_t len[HEAP_OBJECTS];

	for (int i = 0; i < HEAP_OBJECTS; i++) {
		len[i] = 1 + rng() % (i % 8 == 0 ? 20000 : 300);
		obj[i] = kmalloc(len[i]);
		CHECK(obj[i] != NULL && (uintptr_t)obj[i] % 16 == 0, "kmalloc(%lu)",
		      (unsigned long)len[i]);
		if (obj[i])
			memset(obj[i], i & 0xff, len[i]);
	}
	for (int i = 0; i < HEAP_OBJECTS; i += 2) {
		uint8_t *p = krealloc(obj[i], len[i] * 2);
		CHECK(p != NULL, "krealloc");
		if (!p)
			continue;
		for (size_t j = 0; j < len[i]; j++)
			if (p[j] != (i & 0xff)) {
				CHECK(0, "krealloc lost contents of object %d", i);
				break;
			}
		obj[i] = p;
		memset(p, i & 0xff, len[i] * 2);
		len[i] *= 2;
	}
	void *aligned = kmemalign(PAGE_SIZE, 100);
	CHECK(aligned && (uintptr_t)aligned % PAGE_SIZE == 0, "kmemalign(4096)");
	CHECK(axalloc_heap_check() == 0, "heap invariants");
	for (int i = 0; i < HEAP_OBJECTS; i++) {
		for (size_t j = 0; obj[i] && j < len[i]; j++)
			if (obj[i][j] != (i & 0xff)) {
				CHECK(0, "object %d overwritten", i);
				break;
			}
		kfree(obj[i]);
	}
	kfree(aligned);
	CHECK(axalloc_heap_check() == 0, "heap invariants after freeing");
}

/* Kernel-side cost of one single-page alloc+free pair. */
static void timing(void)
{
	paddr_t pa;
	uint64_t t0 = axhal_ticks();
	for (int i = 0; i < PAIR_LOOPS; i++) {
		axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa);
		axalloc_free_pages(pa, 1);
	}
	uint64_t ns = axhal_ticks_to_ns(axhal_ticks() - t0);
	printf("single-page alloc+free pair under QEMU: %lu ns\n",
	       (unsigned long)(ns / PAIR_LOOPS));
}

int main(void)
{
	struct axalloc_stats before, after;

	axalloc_stats(&before);
	printf("memtest: %s page allocator, %lu of %lu pages free, seed %d\n",
	       axalloc_page_allocator_name(), (unsigned long)before.pages.free_pages,
	       (unsigned long)before.pages.total_pages, CONFIG_MEMTEST_SEED);
	size_classes();
	random_pages();
	heap();
	memtest_compaction();
	timing();
	axalloc_stats(&after);
	/* the heap may keep one spare chunk: compare the pages outside the heap */
	uint64_t used_before = before.pages.used_pages - before.heap_pages;
	uint64_t used_after = after.pages.used_pages - after.heap_pages;
	CHECK(used_after == used_before, "used pages outside the heap %lu, %lu before the test",
	      (unsigned long)used_after, (unsigned long)used_before);
	printf(
	    "memtest: used pages outside the heap back to %lu (heap holds %lu); %d failed checks\n",
	    (unsigned long)used_after, (unsigned long)after.heap_pages, failures);
	return failures;
}

/*
 * kheap_test_pages.h - the page source of the heap tests and benchmarks: an
 * arena of host memory whose pages a bitmap page allocator hands out, so
 * that a heap gets exactly the contract it has in the kernel (any whole
 * pages of an allocation may come back, in any order). It counts the pages
 * out, fails on request, aborts on a page given back twice or never handed
 * out, and under ASan poisons every page that is not out, so a heap that
 * touches a page after giving it back is caught at once.
 */
#ifndef TESTS_KHEAP_TEST_PAGES_H
#define TESTS_KHEAP_TEST_PAGES_H

#include <kheap/kheap.h>
#include <pgalloc/pgalloc.h>
#include <stddef.h>
#include <stdint.h>

struct kheap_test_pages {
	struct kheap_pages src; /* what kheap_init takes */
	char *arena;		/* the mapping */
	char *base;		/* its first 2M-aligned byte: the pages handed out start here */
	size_t arena_bytes;
	struct pgalloc *pg;
	void *meta;
	uint64_t held;	 /* pages out now */
	uint64_t peak;	 /* most pages ever out at once */
	uint64_t calls;	 /* successful allocations */
	long fail_after; /* successful allocations left before every one fails; -1: never */
};

/* An arena of `bytes` (a multiple of 4K) of pages; aborts when out of host memory. */
void kheap_test_pages_create(struct kheap_test_pages *tp, size_t bytes);

/* Releases the arena, whatever is still out. */
void kheap_test_pages_destroy(struct kheap_test_pages *tp);

/* After n more successful page allocations, fail every one (n < 0: never fail). */
void kheap_test_pages_fail_after(struct kheap_test_pages *tp, long n);

#endif

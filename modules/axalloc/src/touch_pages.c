/*
 * touch_pages.c - has a hypervisor back every free page of guest RAM before
 * anything is timed: QEMU's guest RAM is host memory that the host
 * allocates on a page's first write, so without this the first user of a
 * page pays a host page fault for it.
 */
#include <assert.h>

#include "axalloc_priv.h"

/* Free memory is taken in 2M blocks, then what is left page by page. */
static const uint64_t block_pages[] = {PAGE_SIZE_2M / PAGE_SIZE_4K, 1};
#define NR_BLOCK_SIZES (sizeof(block_pages) / sizeof(block_pages[0]))

uint64_t axalloc_touch_free_pages(void)
{
	paddr_t chain[NR_BLOCK_SIZES] = {0}; /* blocks of each size, linked by their first word */
	uint64_t touched = 0;
	paddr_t pa;

	for (unsigned k = 0; k < NR_BLOCK_SIZES; k++) {
		uint64_t n = block_pages[k];

		while (axalloc_alloc_pages(n, n * PAGE_SIZE_4K, AXALLOC_UNMOVABLE, &pa) == 0) {
			for (uint64_t i = 1; i < n; i++)
				*(volatile uint64_t *)phys_to_virt(pa + i * PAGE_SIZE_4K) = 0;
			*(paddr_t *)phys_to_virt(pa) = chain[k];
			chain[k] = pa;
			touched += n;
		}
	}
	for (unsigned k = 0; k < NR_BLOCK_SIZES; k++) {
		while (chain[k] != 0) {
			int err;

			pa = chain[k];
			chain[k] = *(paddr_t *)phys_to_virt(pa);
			err = axalloc_free_pages(pa, block_pages[k]);
			assert(err == 0); /* the pages were just allocated */
			(void)err;
		}
	}
	return touched;
}

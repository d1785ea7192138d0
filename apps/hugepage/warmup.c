/*
 * warmup.c - makes the host back all of QEMU's RAM before anything is timed.
 *
 * QEMU's guest RAM is ordinary host memory that the host allocates on first
 * write, so the first configuration to use a frame would also pay a host
 * page fault. Writing once into every free 4K page takes that cost out of
 * the measurements.
 */
#include <axalloc/axalloc.h>

#include "hugepage.h"

/* Blocks are taken in 2M pieces first, then single pages for what is left. */
static const uint64_t block_pages[] = {PAGE_SIZE_2M / PAGE_SIZE_4K, 1};
#define NR_BLOCK_SIZES (sizeof(block_pages) / sizeof(block_pages[0]))

/*
 * Allocates every free page, first in 2M blocks, then in single pages, and
 * writes into every 4K of it; each block's first word links to the previous
 * block of its size. Only then is everything freed, so that no page is
 * allocated (and counted) twice. Returns the number of pages touched.
 */
uint64_t hp_warm_up(void)
{
	paddr_t head[NR_BLOCK_SIZES] = {0};
	uint64_t touched = 0;
	paddr_t pa;

	for (unsigned k = 0; k < NR_BLOCK_SIZES; k++) {
		uint64_t n = block_pages[k];

		while (axalloc_alloc_pages(n, n * PAGE_SIZE_4K, AXALLOC_UNMOVABLE, &pa) == 0) {
			for (uint64_t i = 1; i < n; i++)
				*(volatile uint64_t *)phys_to_virt(pa + i * PAGE_SIZE_4K) = 0;
			*(paddr_t *)phys_to_virt(pa) = head[k];
			head[k] = pa;
			touched += n;
		}
	}
	for (unsigned k = 0; k < NR_BLOCK_SIZES; k++) {
		while (head[k] != 0) {
			pa = head[k];
			head[k] = *(paddr_t *)phys_to_virt(pa);
			if (axalloc_free_pages(pa, block_pages[k]) != 0)
				hp_fail("warm-up: freeing %lu pages at %#lx",
					(unsigned long)block_pages[k], (unsigned long)pa);
		}
	}
	return touched;
}

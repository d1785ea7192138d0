/*
 * ballast.c - fragments physical memory on purpose, so that a run's counts
 * follow exactly from the setup.
 *
 * Before a run the app takes every free naturally aligned 2M block, then
 * every 4K page left (those remnants lie in blocks that are partly used,
 * so freeing them never makes a free 2M block; the app keeps them all).
 * It then gives back only what the run should see:
 *
 *   - a spare pool: the lowest held blocks, each with one page kept, so
 *     511 free pages each and never a free 2M block. Both page allocators
 *     serve a single page from the lowest address (bitmap) or the lowest
 *     zone (buddy), so page tables, heap chunks and 4K faults take from
 *     here first and never break a free 2M block while the pool lasts;
 *   - the run's N = region / 2M blocks, a share of them "pinned" (one 4K
 *     page kept: 511 free pages, no free 2M block), the rest whole.
 *
 * So exactly N - pinned 2M frames are free when the run starts.
 */
#include <axalloc/axalloc.h>
#include <errno.h>
#include <stdio.h>

#include "thp.h"

/* Order of a 2M block in the page allocator's per-order statistics. */
#define ORDER_2M 9
/*
 * Spare pool, in pages: a pinned block offers 511 pages but a 4K fallback
 * in it needs 512 plus its level-0 table, and under `never` every block
 * needs a level-0 table: at most 2 pages per block, so 4 per block is
 * generous. Plus the root and level-1 tables, the heap's 16-page chunks
 * for area nodes and page logs: SPARE_FIXED_PAGES covers them twice over.
 */
#define SPARE_PAGES_PER_BLOCK 4
#define SPARE_FIXED_PAGES     64
#define PAGES_KEPT	      1

/* The link stored in the first word of the held page or block at pa. */
static paddr_t link_of(paddr_t pa)
{
	return *(volatile paddr_t *)phys_to_virt(pa);
}

/* Stores `next` as the link of the held page or block at pa. */
static void set_link(paddr_t pa, paddr_t next)
{
	*(volatile paddr_t *)phys_to_virt(pa) = next;
}

/* Writes one byte into each of the n pages at pa, so the host backs them. */
static void warm(paddr_t pa, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		*(volatile uint8_t *)phys_to_virt(pa + i * PAGE_SIZE_4K) = 0;
}

/* Adds the single page at pa to the held pages. */
static void hold_page(struct thp_ballast *b, paddr_t pa)
{
	set_link(pa, b->pages);
	b->pages = pa;
	b->nr_pages++;
}

uint64_t thp_ballast_take(struct thp_ballast *b, bool warm_up)
{
	paddr_t pa;

	while (axalloc_alloc_pages(THP_PAGES_PER_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa) == 0) {
		if (warm_up)
			warm(pa, THP_PAGES_PER_2M);
		set_link(pa, b->blocks);
		b->blocks = pa;
		b->nr_blocks++;
	}
	while (axalloc_alloc_pages(1, PAGE_SIZE_4K, AXALLOC_UNMOVABLE, &pa) == 0)
		hold_page(b, pa);
	return b->nr_blocks;
}

/* Unlinks the lowest held block and returns it (the list is not empty). */
static paddr_t unlink_lowest(struct thp_ballast *b)
{
	paddr_t *best = &b->blocks, pa;

	for (paddr_t *at = &b->blocks; *at != 0;) {
		if (*at < *best)
			best = at;
		/* the next link lives in the block itself */
		at = (paddr_t *)phys_to_virt(*at);
	}
	pa = *best;
	*best = link_of(pa);
	b->nr_blocks--;
	return pa;
}

/* Unlinks the first held block (the list is not empty). */
static paddr_t unlink_first(struct thp_ballast *b)
{
	paddr_t pa = b->blocks;

	b->blocks = link_of(pa);
	b->nr_blocks--;
	return pa;
}

/* Frees the last 511 pages of the (unlinked) block at pa and holds its first page. */
static void pin(struct thp_ballast *b, paddr_t pa)
{
	int err = axalloc_free_pages(pa + PAGES_KEPT * PAGE_SIZE_4K, THP_PAGES_PER_2M - PAGES_KEPT);

	if (err)
		thp_fail("ballast: freeing 511 pages of the block at %#lx: %d", (unsigned long)pa,
			 err);
	hold_page(b, pa);
}

/* True if block i of `give` is one of `pinned` spread evenly over them. */
static bool pinned_at(uint64_t i, uint64_t give, uint64_t pinned)
{
	return (i + 1) * pinned / give > i * pinned / give;
}

/* A single page must now come from the spare pool: below every given block. */
static void check_lowest_first(const struct thp_ballast *b)
{
	paddr_t pa;
	int err = axalloc_alloc_pages(1, PAGE_SIZE_4K, AXALLOC_UNMOVABLE, &pa);

	if (err) {
		thp_fail("ballast: no single page free after shaping: %d", err);
		return;
	}
	if (pa >= b->give_floor)
		thp_fail("ballast: a single page came from %#lx, not from the spare pool below "
			 "%#lx: the page allocator no longer takes the lowest address first",
			 (unsigned long)pa, (unsigned long)b->give_floor);
	if (axalloc_free_pages(pa, 1) != 0)
		thp_fail("ballast: freeing the probe page at %#lx", (unsigned long)pa);
}

int thp_ballast_shape(struct thp_ballast *b, uint64_t spare, uint64_t give, uint64_t pinned)
{
	if (b->nr_blocks < spare + give || pinned > give)
		return -ENOMEM;
	for (uint64_t i = 0; i < spare; i++)
		pin(b, unlink_lowest(b));
	b->give_floor = ~(paddr_t)0;
	for (uint64_t i = 0; i < give; i++) {
		paddr_t pa = unlink_first(b);

		if (pa < b->give_floor)
			b->give_floor = pa;
		if (pinned_at(i, give, pinned))
			pin(b, pa);
		else if (axalloc_free_pages(pa, THP_PAGES_PER_2M) != 0)
			thp_fail("ballast: giving back the block at %#lx", (unsigned long)pa);
	}
	check_lowest_first(b);
	return 0;
}

void thp_ballast_release(struct thp_ballast *b)
{
	while (b->blocks != 0) {
		paddr_t pa = unlink_first(b);

		if (axalloc_free_pages(pa, THP_PAGES_PER_2M) != 0)
			thp_fail("ballast: freeing the block at %#lx", (unsigned long)pa);
	}
	while (b->pages != 0) {
		paddr_t pa = b->pages;

		b->pages = link_of(pa);
		b->nr_pages--;
		if (axalloc_free_pages(pa, 1) != 0)
			thp_fail("ballast: freeing the page at %#lx", (unsigned long)pa);
	}
}

uint64_t thp_spare_blocks(uint64_t blocks)
{
	uint64_t pages = blocks * SPARE_PAGES_PER_BLOCK + SPARE_FIXED_PAGES;
	uint64_t per_block = THP_PAGES_PER_2M - PAGES_KEPT;

	return (pages + per_block - 1) / per_block;
}

uint64_t thp_free_2m_frames(void)
{
	struct axalloc_stats st;
	uint64_t n = 0;

	axalloc_stats(&st);
	for (int o = ORDER_2M; o < PGALLOC_NR_ORDERS; o++)
		n += st.pages.free_blocks[o] << (o - ORDER_2M);
	return n;
}

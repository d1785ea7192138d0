/*
 * ballast.c - fragments physical memory on purpose, so that a run's counts
 * follow exactly from the setup.
 *
 * Before a run the app takes every free naturally aligned 2M block, then
 * every 4K page left (those remnants lie in blocks that are partly used,
 * so freeing them never makes a free 2M block; the app keeps them all).
 * It then gives back only what the run should see:
 *
 *   - the run's N = region / 2M blocks, a share of them "pinned": the
 *     first 4K frame of each holds a page of another space (fragment.c),
 *     moved there with aspace_migrate while it was the only free frame, so
 *     511 free pages and no free 2M block, but compaction can empty it;
 *     the rest whole;
 *   - a spare pool: the lowest held blocks (the run's are the highest),
 *     each with two pages kept, so 510 free pages each and never a free 2M
 *     block (nor one compaction would try before a pinned block: it tries
 *     the fewest used pages first). Holding everything as unmovable pages
 *     pushed the page allocator's unmovable region down to the lowest free
 *     page, and the movable part below it is full, so a single page of
 *     either kind comes from the lowest address (bitmap) or the lowest zone
 *     (buddy) that has one: page tables, heap chunks, 4K faults and pages
 *     moved by compaction take from the pool first and never break a free
 *     2M block while it lasts.
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
 * in it needs 512 plus its level-0 table, under `never` every block
 * needs a level-0 table, and with direct compaction the fragmenting page
 * of a pinned block moves here: at most 2 pages per block, so 4 per block
 * is generous. Plus the root and level-1 tables, the heap's 16-page chunks
 * for area nodes and page logs: SPARE_FIXED_PAGES covers them twice over.
 */
#define SPARE_PAGES_PER_BLOCK 4
#define SPARE_FIXED_PAGES     64
#define SPARE_PAGES_KEPT      2
/* Where a given block keeps its link while the blocks are shaped: its second frame. */
#define GIVEN_LINK PAGE_SIZE_4K

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

/* Unlinks the lowest (or highest) held block and returns it (the list is not empty). */
static paddr_t unlink_extreme(struct thp_ballast *b, bool highest)
{
	paddr_t *best = &b->blocks, pa;

	for (paddr_t *at = &b->blocks; *at != 0;) {
		if (highest ? *at > *best : *at < *best)
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

/* Frees all but the first SPARE_PAGES_KEPT pages of the (unlinked) block at pa, holding those. */
static void keep_spare(struct thp_ballast *b, paddr_t pa)
{
	int err = axalloc_free_pages(pa + SPARE_PAGES_KEPT * PAGE_SIZE_4K,
				     THP_PAGES_PER_2M - SPARE_PAGES_KEPT);

	if (err)
		thp_fail("ballast: freeing the spare pages of the block at %#lx: %d",
			 (unsigned long)pa, err);
	for (uint64_t i = 0; i < SPARE_PAGES_KEPT; i++)
		hold_page(b, pa + i * PAGE_SIZE_4K);
}

/*
 * Moves fragmenting page `nr` into the first frame of the (held) block at
 * pa: frees that frame, the only free one, migrates the page there and
 * holds the frame the page left.
 */
static void pin(struct thp_ballast *b, paddr_t pa, uint64_t nr)
{
	paddr_t to = pa, from, again;
	int err = axalloc_free_pages(to, 1);

	if (!err)
		err = thp_frag_move(nr, to, &from);
	if (!err)
		err = axalloc_alloc_pages(1, PAGE_SIZE_4K, AXALLOC_UNMOVABLE, &again);
	if (err) {
		thp_fail("ballast: moving fragmenting page %lu into %#lx: %d", (unsigned long)nr,
			 (unsigned long)to, err);
		return;
	}
	if (again != from)
		thp_fail("ballast: the frame fragmenting page %lu left (%#lx) is not the free one "
			 "(%#lx)",
			 (unsigned long)nr, (unsigned long)from, (unsigned long)again);
	hold_page(b, again);
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
	paddr_t given = 0;

	if (b->nr_blocks < spare + give || pinned > give)
		return -ENOMEM;
	/* Everything is held: each fragmenting page can only move where it should. */
	b->give_floor = ~(paddr_t)0;
	for (uint64_t i = 0, nr = 0; i < give; i++) {
		paddr_t pa = unlink_extreme(b, true);

		if (pa < b->give_floor)
			b->give_floor = pa;
		if (pinned_at(i, give, pinned))
			pin(b, pa, nr++);
		set_link(pa + GIVEN_LINK, given);
		given = pa;
	}
	for (uint64_t i = 0; i < spare; i++)
		keep_spare(b, unlink_extreme(b, false));
	for (uint64_t i = give; i-- > 0;) {
		paddr_t pa = given;
		uint64_t kept = pinned_at(i, give, pinned) ? 1 : 0;

		given = link_of(pa + GIVEN_LINK);
		if (axalloc_free_pages(pa + kept * PAGE_SIZE_4K, THP_PAGES_PER_2M - kept) != 0)
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
	uint64_t per_block = THP_PAGES_PER_2M - SPARE_PAGES_KEPT;

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

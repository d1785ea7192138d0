/*
 * compaction.c - memtest's compaction demo. An address space populates a
 * region of 4K pages (movable: its migrator moves them), its page tables
 * first, with an unmovable page taken after every few 2M of it and one 2M
 * block holding a few unmovable pages only; then all but one page in
 * KEEP_EVERY is unmapped, so that the region's blocks keep a few pages
 * each. The block map is printed; every free 2M block is taken, then
 * axalloc_compact(9) is called and the block it freed taken, until
 * compaction fails; the blocks go back and the map is printed again. Checks: more 2M blocks are
 * free than before, every kept page still holds its pattern, and every page comes back once the
 * space is destroyed.
 */
#include <axalloc/axalloc.h>
#include <mm-addrspace/aspace.h>
#include <stdint.h>
#include <stdio.h>

#include "memtest.h"

#define SPACE_BASE	0x10000000UL
#define REGION_SIZE	(32 * PAGE_SIZE_2M) /* 64 MiB */
#define PAGES_2M	(PAGE_SIZE_2M / PAGE_SIZE)
#define KEEP_EVERY	32 /* one page in 32 stays mapped: 16 per 2M of the region */
#define UNMOVABLE_EVERY 8  /* one unmovable page after every 8 x 2M populated */
#define NR_UNMOVABLE	(REGION_SIZE / PAGE_SIZE_2M / UNMOVABLE_EVERY)
#define UBLOCK_KEEP	8	    /* pages the unmovable-only block keeps */
#define MAX_BLOCKS	(1UL << 14) /* the blocks counted and taken: the first 32 GiB */

/* The word stored at the start of each kept page. */
static uint64_t pattern(vaddr_t va)
{
	return va * 0x9e3779b97f4a7c15ULL ^ 0xc0ffee;
}

/* Free 2M blocks in the memory map (its first MAX_BLOCKS blocks). */
static uint64_t free_blocks(void)
{
	static char map[MAX_BLOCKS + 1];
	uint64_t n = 0;

	axalloc_block_map(map, sizeof(map));
	for (const char *c = map; *c; c++)
		n += *c == AXALLOC_BLOCK_FREE;
	return n;
}

/* Populates the region, page tables first, with unmovable pages taken in between. */
static int populate(struct aspace *as, paddr_t *unmovable)
{
	uint64_t chunks = REGION_SIZE / PAGE_SIZE_2M;
	int err = 0;

	for (uint64_t c = 0; c < chunks && !err; c++)
		err = aspace_populate(as, SPACE_BASE + c * PAGE_SIZE_2M, PAGE_SIZE, ACCESS_WRITE);
	for (uint64_t c = 0; c < chunks && !err; c++) {
		err =
		    aspace_populate(as, SPACE_BASE + c * PAGE_SIZE_2M, PAGE_SIZE_2M, ACCESS_WRITE);
		if (!err && c % UNMOVABLE_EVERY == UNMOVABLE_EVERY - 1)
			err = axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE,
						  &unmovable[c / UNMOVABLE_EVERY]);
	}
	return err;
}

/* Unmaps all but one page in KEEP_EVERY and writes the pattern into the kept ones. */
static int thin_out(struct aspace *as)
{
	int err = 0;

	for (vaddr_t va = SPACE_BASE; va < SPACE_BASE + REGION_SIZE && !err;
	     va += KEEP_EVERY * PAGE_SIZE) {
		uint64_t word = pattern(va);

		err = aspace_write(as, va, &word, sizeof(word));
		if (!err)
			err = aspace_unmap(as, va + PAGE_SIZE, (KEEP_EVERY - 1) * PAGE_SIZE);
	}
	return err;
}

/* Kept pages whose pattern is gone. */
static uint64_t lost_patterns(struct aspace *as)
{
	uint64_t lost = 0;

	for (vaddr_t va = SPACE_BASE; va < SPACE_BASE + REGION_SIZE; va += KEEP_EVERY * PAGE_SIZE) {
		uint64_t word = 0;

		if (aspace_read(as, va, &word, sizeof(word)) != 0 || word != pattern(va))
			lost++;
	}
	return lost;
}

/*
 * Takes every free 2M block, then compacts and takes the block freed until
 * compaction fails; prints the counts and gives the blocks back.
 */
static void compact_all(void)
{
	static paddr_t blocks[MAX_BLOCKS];
	struct axalloc_compact_result sum = {0}, r;
	uint64_t nr = 0, free_already, calls = 0;
	int err = 0;

	while (nr < MAX_BLOCKS &&
	       axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &blocks[nr]) == 0)
		nr++;
	free_already = nr;
	while (nr < MAX_BLOCKS) {
		calls++;
		err = axalloc_compact(9, &r);
		sum.blocks_tried += r.blocks_tried;
		sum.pages_scanned += r.pages_scanned;
		sum.pages_migrated += r.pages_migrated;
		sum.pages_failed += r.pages_failed;
		if (err)
			break;
		err = axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &blocks[nr]);
		CHECK(err == 0, "the block compaction freed could not be taken: %d", err);
		if (err)
			break;
		nr++;
	}
	printf("memtest: %lu free 2M blocks taken, then %lu compactions freed %lu more; %lu blocks "
	       "tried, %lu pages scanned, %lu migrated, %lu failed\n",
	       (unsigned long)free_already, (unsigned long)calls,
	       (unsigned long)(nr - free_already), (unsigned long)sum.blocks_tried,
	       (unsigned long)sum.pages_scanned, (unsigned long)sum.pages_migrated,
	       (unsigned long)sum.pages_failed);
	while (nr > 0)
		CHECK(axalloc_free_pages(blocks[--nr], PAGES_2M) == 0, "free of a 2M block taken");
}

void memtest_compaction(void)
{
	static struct aspace space;
	static paddr_t unmovable[NR_UNMOVABLE];
	struct axalloc_stats before, after;
	uint64_t free_before, free_after, ublock_held = 0;
	paddr_t ublock;
	int err;

	/* The heap keeps one spare chunk once it has grown: grow it now, so counts compare. */
	kfree(kmalloc(1));
	axalloc_stats(&before);
	err = aspace_create(&space, SPACE_BASE, REGION_SIZE);
	CHECK(err == 0, "aspace_create: %d", err);
	if (err)
		return;
	err = aspace_set_thp_policy(&space, ASPACE_THP_NEVER);
	if (!err)
		err = aspace_map_alloc(&space, SPACE_BASE, REGION_SIZE, MAPF_READ | MAPF_WRITE,
				       false, PAGE_SIZE);
	if (!err)
		err = populate(&space, unmovable);
	if (!err &&
	    (err = axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &ublock)) == 0)
		ublock_held = PAGES_2M;
	/* Both page allocators free any part of an allocation. */
	if (!err && (err = axalloc_free_pages(ublock + UBLOCK_KEEP * PAGE_SIZE,
					      PAGES_2M - UBLOCK_KEEP)) == 0)
		ublock_held = UBLOCK_KEEP;
	if (!err)
		err = thin_out(&space);
	CHECK(err == 0, "fragmenting memory: %d", err);
	if (!err) {
		axalloc_print_block_map("memtest: physical memory before compaction");
		free_before = free_blocks();
		compact_all();
		axalloc_print_block_map("memtest: physical memory after compaction");
		free_after = free_blocks();
		printf("memtest: free 2M blocks %lu before compaction, %lu after\n",
		       (unsigned long)free_before, (unsigned long)free_after);
		CHECK(free_after > free_before, "compaction freed no 2M block");
		CHECK(lost_patterns(&space) == 0, "pages of the space lost their contents");
	}
	aspace_destroy(&space);
	if (ublock_held)
		CHECK(axalloc_free_pages(ublock, ublock_held) == 0, "free of the unmovable block");
	for (uint64_t i = 0; i < NR_UNMOVABLE; i++) {
		if (unmovable[i])
			CHECK(axalloc_free_pages(unmovable[i], 1) == 0,
			      "free of an unmovable page");
		unmovable[i] = 0;
	}
	axalloc_stats(&after);
	CHECK(after.pages.used_pages - after.heap_pages ==
		  before.pages.used_pages - before.heap_pages,
	      "compaction: %lu pages used outside the heap after destroy, %lu before",
	      (unsigned long)(after.pages.used_pages - after.heap_pages),
	      (unsigned long)(before.pages.used_pages - before.heap_pages));
}

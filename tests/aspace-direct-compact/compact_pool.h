/*
 * compact_pool.h - pools of known shape for the direct-compaction tests:
 * a small RAM (POOL_SIZE, so that ranking every block is cheap), every free
 * page held by the test, and chosen frames handed back empty or holding one
 * movable page of a space, moved there with aspace_migrate. Include after
 * <cmocka.h>.
 */
#ifndef COMPACT_POOL_H
#define COMPACT_POOL_H

#include "aspace_test_fixture.h"

#define POOL_SIZE     (32UL << 20) /* 16 2M blocks, one broken by axalloc's metadata */
#define POOL_PAGES    (POOL_SIZE / PG4K)
#define POOL_BLOCKS   (POOL_SIZE / PG2M)
#define PAGES_PER_2M  (PG2M / PG4K)
#define ORDER_2M      9
#define POOL_MAX_FRAG POOL_BLOCKS

/* cmocka setup: the fixture's setup over POOL_SIZE of RAM (teardown: the fixture's). */
int pool_setup(void **state);

/* What the test holds: whole 2M blocks (lowest first once taken) and single pages. */
struct pool {
	paddr_t blocks[POOL_BLOCKS];
	int nr_blocks;
	paddr_t pages[POOL_PAGES];
	int nr_pages;
};

/* Takes every free 2M block, then every free page, into *p: nothing is free afterwards. */
void pool_hold_all(struct pool *p);

/* Hands the lowest held block to the caller: it stays allocated, the pool forgets it. */
paddr_t pool_give_block(struct pool *p);

/*
 * Moves the 4K page that `as` maps at va into the frame `to`, a page the
 * caller has allocated while the pool holds everything else: frees `to`,
 * migrates the page (which can only land there), checks that it did, and
 * holds the frame the page left.
 */
void pool_place(struct pool *p, struct aspace *as, vaddr_t va, paddr_t to);

/*
 * Movable fragmentation: with everything held (pool_hold_all), hands back
 * the n lowest held blocks, each with its first frame holding page i of the
 * n populated 4K pages `as` maps from va and its 511 other frames free.
 * Stores the blocks in blocks[0..n).
 */
void pool_fragment(struct pool *p, struct aspace *as, vaddr_t va, int n, paddr_t *blocks);

/* Frees every page and block the pool holds. */
void pool_release(struct pool *p);

/* A space over the user range with `policy` and n populated 4K pages at VA2, filled with seed. */
void pool_space_with_pages(struct aspace *as, enum aspace_thp_policy policy, int n, uint8_t seed);

/* Free 2M blocks now (free memory in 2M units). */
uint64_t pool_free_2m(void);

#endif

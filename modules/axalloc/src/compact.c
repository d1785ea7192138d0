/*
 * compact.c - compaction: emptying a naturally aligned block by moving its
 * allocated pages elsewhere through the registered migrator (see
 * axalloc/axalloc.h).
 *
 * Ranking: every block of the order inside a managed range is probed page by
 * page with alloc_at (a free page is taken and given back at once) to count
 * its used pages; a block with none is free already. Emptying a block:
 * first every free page of it is taken (isolated), so that the pages moved
 * out cannot land in it again; then each used page, in address order, is
 * handed to the migrator, and the frames it frees are isolated as the scan
 * goes on. When a page refuses to move, the isolated pages go back and the
 * next cheapest block is tried; when every page is isolated, the whole
 * block is given back free.
 */
#include <assert.h>
#include <axalloc/axalloc.h>
#include <errno.h>

#include "axalloc_priv.h"

#define MAX_COMPACT_ORDER 18 /* 1G */
#define NR_CANDIDATES	  16 /* the cheapest blocks kept from the ranking */

static axalloc_migrate_fn migrator;
/* Which pages of the block being emptied compaction holds (one block at a time). */
static uint64_t isolated[(1ULL << MAX_COMPACT_ORDER) / 64];

void axalloc_set_migrator(axalloc_migrate_fn fn)
{
	spin_lock(&axalloc_lock);
	migrator = fn;
	spin_unlock(&axalloc_lock);
}

/* A block of the order inside a managed range, with its used pages. */
struct candidate {
	paddr_t base;
	uint64_t used;
	bool tried;
};

axalloc_migrate_fn axalloc_migrator_locked(void)
{
	return migrator;
}

uint64_t axalloc_probe_used_locked(paddr_t base, uint64_t n, uint64_t *used_bits)
{
	uint64_t used = 0;

	if (used_bits)
		for (uint64_t w = 0; w < (n + 63) / 64; w++)
			used_bits[w] = 0;
	if (axalloc_pages_alloc_at_locked(base, n) == 0) {
		axalloc_pages_free_locked(base, n);
		return 0;
	}
	for (uint64_t i = 0; i < n; i++) {
		paddr_t pa = base + i * PAGE_SIZE;

		if (axalloc_pages_alloc_at_locked(pa, 1) == 0) {
			axalloc_pages_free_locked(pa, 1);
			continue;
		}
		used++;
		if (used_bits)
			used_bits[i / 64] |= 1ULL << (i % 64);
	}
	return used;
}

/* Keeps c among the NR_CANDIDATES cheapest in cands (count so far in *count). */
static void keep_cheapest(struct candidate *cands, int *count, struct candidate c)
{
	int worst = 0;

	if (*count < NR_CANDIDATES) {
		cands[(*count)++] = c;
		return;
	}
	for (int i = 1; i < NR_CANDIDATES; i++)
		if (cands[i].used > cands[worst].used)
			worst = i;
	if (c.used < cands[worst].used)
		cands[worst] = c;
}

/*
 * Ranks the blocks of 2^order pages in the managed ranges by their used
 * pages, keeping the NR_CANDIDATES cheapest in cands. Returns how many it
 * kept, or stores a free block in *free_block and returns -1.
 */
static int rank_blocks_locked(unsigned order, struct candidate *cands, paddr_t *free_block,
			      struct axalloc_compact_result *res)
{
	const struct axalloc_range *ranges;
	int nr = axalloc_ranges_locked(&ranges);
	uint64_t n = 1ULL << order, size = n * PAGE_SIZE;
	int count = 0;

	for (int r = 0; r < nr; r++) {
		paddr_t end = ranges[r].base + ranges[r].size;

		for (paddr_t b = ALIGN_UP(ranges[r].base, size); b < end && end - b >= size;
		     b += size) {
			uint64_t used = axalloc_probe_used_locked(b, n, NULL);

			res->pages_scanned += n;
			if (used == 0) {
				*free_block = b;
				return -1;
			}
			keep_cheapest(cands, &count, (struct candidate){b, used, false});
		}
	}
	return count;
}

/* The untried candidate with the fewest used pages, or NULL. */
static struct candidate *cheapest(struct candidate *cands, int count)
{
	struct candidate *best = NULL;

	for (int i = 0; i < count; i++)
		if (!cands[i].tried && (!best || cands[i].used < best->used))
			best = &cands[i];
	return best;
}

/* Gives back the isolated pages among the first `upto` pages of the block at base. */
static void release_isolated(paddr_t base, uint64_t upto)
{
	spin_lock(&axalloc_lock);
	for (uint64_t i = 0; i < upto; i++)
		if (isolated[i / 64] & (1ULL << (i % 64)))
			axalloc_pages_free_locked(base + i * PAGE_SIZE, 1);
	spin_unlock(&axalloc_lock);
}

/*
 * Asks the migrator whether every used page of the block of n pages at
 * base could move (pages freed meanwhile pass). 0 or its refusal (the
 * page counted as failed).
 */
static int check_movable(paddr_t base, uint64_t n, struct axalloc_compact_result *res)
{
	for (uint64_t i = 0; i < n; i++) {
		paddr_t pa = base + i * PAGE_SIZE;
		uint64_t used;
		int err;

		spin_lock(&axalloc_lock);
		used = axalloc_probe_used_locked(pa, 1, NULL);
		spin_unlock(&axalloc_lock);
		if (used && (err = migrator(pa, true)) != 0) {
			res->pages_failed++;
			return err;
		}
	}
	return 0;
}

/*
 * Empties the block of n pages at base. 0 (the block is free) or the
 * migrator's error for the first page that would not move (everything
 * isolated given back).
 */
static int empty_block(paddr_t base, uint64_t n, struct axalloc_compact_result *res)
{
	int err = check_movable(base, n, res);

	if (err)
		return err;
	for (uint64_t w = 0; w < (n + 63) / 64; w++)
		isolated[w] = 0;
	spin_lock(&axalloc_lock);
	for (uint64_t i = 0; i < n; i++)
		if (axalloc_pages_alloc_at_locked(base + i * PAGE_SIZE, 1) == 0)
			isolated[i / 64] |= 1ULL << (i % 64);
	spin_unlock(&axalloc_lock);
	for (uint64_t i = 0; i < n; i++) {
		paddr_t pa = base + i * PAGE_SIZE;

		if (isolated[i / 64] & (1ULL << (i % 64)))
			continue;
		res->pages_scanned++;
		spin_lock(&axalloc_lock);
		/* Freed by an earlier migration (the rest of a huge page)? */
		err = axalloc_pages_alloc_at_locked(pa, 1);
		spin_unlock(&axalloc_lock);
		if (err != 0) {
			err = migrator(pa, false);
			if (err != 0) {
				res->pages_failed++;
				release_isolated(base, n);
				return err;
			}
			res->pages_migrated++;
			spin_lock(&axalloc_lock);
			err = axalloc_pages_alloc_at_locked(pa, 1);
			spin_unlock(&axalloc_lock);
			assert(err == 0); /* the migrator freed it */
		}
		isolated[i / 64] |= 1ULL << (i % 64);
	}
	spin_lock(&axalloc_lock);
	axalloc_pages_free_locked(base, n);
	spin_unlock(&axalloc_lock);
	return 0;
}

int axalloc_compact(unsigned order, struct axalloc_compact_result *res)
{
	struct axalloc_compact_result local;
	struct candidate cands[NR_CANDIDATES];
	paddr_t free_block;
	int count;

	if (!res)
		res = &local;
	*res = (struct axalloc_compact_result){0};
	if (order < 1 || order > MAX_COMPACT_ORDER || !migrator)
		return -EINVAL;
	spin_lock(&axalloc_lock);
	count = rank_blocks_locked(order, cands, &free_block, res);
	spin_unlock(&axalloc_lock);
	if (count < 0)
		return 0;
	for (struct candidate *c = cheapest(cands, count); c; c = cheapest(cands, count)) {
		c->tried = true;
		res->blocks_tried++;
		if (empty_block(c->base, 1ULL << order, res) == 0)
			return 0;
	}
	return -ENOMEM;
}

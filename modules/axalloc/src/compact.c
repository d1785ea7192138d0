/*
 * compact.c - compaction: emptying a naturally aligned block by moving its
 * allocated pages elsewhere through the registered migrator (see
 * axalloc/axalloc.h).
 *
 * Ranking: every block of the order inside a managed range gets its count of
 * used pages from the page allocator (pgalloc_used_pages: a counter per 2M
 * chunk in the bitmap allocator, the used bits in the buddy allocator); a
 * block with none is free already. Emptying a block:
 * first every free page of it is taken (isolated), so that the pages moved
 * out cannot land in it again; then each used page, in address order, is
 * handed to the migrator, and the frames it frees are isolated as the scan
 * goes on. When a page refuses to move, the isolated pages go back and the
 * next cheapest block is tried; when every page is isolated, the whole
 * block is given back free.
 *
 * Direct compaction (CONFIG_AXALLOC_DIRECT_COMPACTION): an allocation of 2M
 * or more that failed compacts for its order, then retries once
 * (axalloc.c). One compaction runs at a time: while one runs (its migrator
 * allocating a 2M target for a transparent huge page, say), a failed
 * allocation fails plainly and axalloc_compact answers -EBUSY. The counters
 * of every compaction go to axalloc_stats.
 */
#include <assert.h>
#include <axalloc/axalloc.h>
#include <errno.h>
#include <klib/bitops.h>
#include <klib/kconfig.h>

#include "axalloc_priv.h"

#define MAX_COMPACT_ORDER 18 /* 1G */
#define NR_CANDIDATES	  16 /* the cheapest blocks kept from the ranking */
#define MIN_DIRECT_ORDER  9  /* 2M: smaller failed allocations do not compact */

static axalloc_migrate_fn migrator;
/* A compaction is running (the recursion guard); set and tested under the lock. */
static bool compacting;
/* Direct compaction is on (axalloc_set_direct_compaction). */
static bool direct_on;
/* The compaction counters of axalloc_stats (see there). */
struct compact_counts {
	uint64_t stall, success, fail, scanned, migrated, failed;
};
static struct compact_counts counts;
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

/* The index of the candidate with the most used pages among NR_CANDIDATES. */
static int worst_of(const struct candidate *cands)
{
	int worst = 0;

	for (int i = 1; i < NR_CANDIDATES; i++)
		if (cands[i].used > cands[worst].used)
			worst = i;
	return worst;
}

/* Keeps c among the NR_CANDIDATES cheapest in cands (count so far in *count). */
static void keep_cheapest(struct candidate *cands, int *count, struct candidate c)
{
	int worst;

	if (*count < NR_CANDIDATES) {
		cands[(*count)++] = c;
		return;
	}
	worst = worst_of(cands);
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
			uint64_t used = axalloc_pages_used_locked(b, n);

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
 * base could move (pages freed meanwhile pass), once per page: a page as
 * large as the block cannot (only a free block of this order could take
 * it). 0 or the refusal (-EBUSY for a page that large; the page counted as
 * failed).
 */
static int check_movable(paddr_t base, uint64_t n, struct axalloc_compact_result *res)
{
	for (uint64_t i = 0; i < n;) {
		paddr_t pa = base + i * PAGE_SIZE;
		uint64_t run = 64 - i % 64 < n - i ? 64 - i % 64 : n - i, used;
		int frames;

		spin_lock(&axalloc_lock);
		used =
		    axalloc_pages_used_locked(pa, run); /* free runs skipped 64 pages at a time */
		if (used)
			used = axalloc_pages_used_locked(pa, run = 1);
		spin_unlock(&axalloc_lock);
		if (!used) {
			i += run;
			continue;
		}
		frames = migrator(pa, true);
		if (frames <= 0 || (uint64_t)frames >= n) {
			res->pages_failed++;
			return frames <= 0 ? frames : -EBUSY;
		}
		i += (uint64_t)frames;
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
			spin_lock(&axalloc_lock);
			err = axalloc_pages_alloc_at_locked(pa, 1);
			spin_unlock(&axalloc_lock);
			assert(err == 0); /* the migrator freed it */
		}
		/* Used when the block was isolated, moved out by this or an earlier migration. */
		res->pages_migrated++;
		isolated[i / 64] |= 1ULL << (i % 64);
	}
	spin_lock(&axalloc_lock);
	axalloc_pages_free_locked(base, n);
	spin_unlock(&axalloc_lock);
	return 0;
}

/* axalloc_compact once it holds the guard. */
static int compact(unsigned order, struct axalloc_compact_result *res)
{
	struct candidate cands[NR_CANDIDATES];
	struct axalloc_stats st;
	uint64_t n = 1ULL << order;
	paddr_t free_block;
	int count;

	/* Moving pages never adds free ones: a block needs n free pages somewhere. */
	axalloc_stats(&st);
	if (st.pages.free_pages < n)
		return -ENOMEM;
	spin_lock(&axalloc_lock);
	count = rank_blocks_locked(order, cands, &free_block, res);
	spin_unlock(&axalloc_lock);
	if (count < 0)
		return 0;
	for (struct candidate *c = cheapest(cands, count); c; c = cheapest(cands, count)) {
		c->tried = true;
		/* Its used pages need as many free pages outside it. */
		if (c->used > st.pages.free_pages - (n - c->used))
			continue;
		res->blocks_tried++;
		if (empty_block(c->base, n, res) == 0)
			return 0;
	}
	return -ENOMEM;
}

/*
 * Takes the guard for a compaction of `order` (direct: a stall) unless one
 * is running or the arguments rule it out. 0, -EINVAL (bad order, no
 * migrator) or -EBUSY (a compaction is running).
 */
static int begin(unsigned order, bool direct)
{
	int err = 0;

	spin_lock(&axalloc_lock);
	if (order < 1 || order > MAX_COMPACT_ORDER || !migrator)
		err = -EINVAL;
	else if (compacting)
		err = -EBUSY;
	else
		compacting = true;
	if (err == 0 && direct)
		counts.stall++;
	spin_unlock(&axalloc_lock);
	return err;
}

/* Counts a compaction's outcome `err` and what it did, and drops the guard. */
static void end(int err, const struct axalloc_compact_result *res)
{
	spin_lock(&axalloc_lock);
	if (err == 0)
		counts.success++;
	else
		counts.fail++;
	counts.scanned += res->pages_scanned;
	counts.migrated += res->pages_migrated;
	counts.failed += res->pages_failed;
	compacting = false;
	spin_unlock(&axalloc_lock);
}

int axalloc_compact(unsigned order, struct axalloc_compact_result *res)
{
	struct axalloc_compact_result local;
	int err;

	if (!res)
		res = &local;
	*res = (struct axalloc_compact_result){0};
	err = begin(order, false);
	if (err)
		return err;
	err = compact(order, res);
	end(err, res);
	return err;
}

int axalloc_direct_compact(uint64_t n, uint64_t align)
{
	unsigned order = (unsigned)log2_ceil64(n > align / PAGE_SIZE ? n : align / PAGE_SIZE);
	struct axalloc_compact_result res = {0};
	struct axalloc_stats st;
	int err;

	if (!IS_ENABLED(CONFIG_AXALLOC_DIRECT_COMPACTION) || !direct_on ||
	    order < MIN_DIRECT_ORDER || order > MAX_COMPACT_ORDER)
		return -ENOMEM;
	/* Moving pages never adds free ones: too few free pages, nothing to gain. */
	axalloc_stats(&st);
	if (st.pages.free_pages < 1ULL << order || begin(order, true) != 0)
		return -ENOMEM;
	err = compact(order, &res);
	end(err, &res);
	return err;
}

int axalloc_set_direct_compaction(bool on)
{
	if (on && !IS_ENABLED(CONFIG_AXALLOC_DIRECT_COMPACTION))
		return -EINVAL;
	spin_lock(&axalloc_lock);
	direct_on = on;
	spin_unlock(&axalloc_lock);
	return 0;
}

void axalloc_compact_reset_locked(void)
{
	counts = (struct compact_counts){0};
	direct_on = IS_ENABLED(CONFIG_AXALLOC_DIRECT_COMPACTION);
}

void axalloc_compact_stats_locked(struct axalloc_stats *st)
{
	st->compact_stall = counts.stall;
	st->compact_success = counts.success;
	st->compact_fail = counts.fail;
	st->compact_migrate_scanned = counts.scanned;
	st->compact_pages_migrated = counts.migrated;
	st->compact_pages_failed = counts.failed;
}

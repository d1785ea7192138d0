/*
 * buddy_free.c - freeing: split the freed range into aligned blocks and
 * merge each with its free buddies, found in O(1) from the head codes.
 */
#include "buddy_internal.h"
#include <errno.h>

/* Lists the free block [pfn, pfn + 2^order) of range ri, merged with its free buddies. */
static void bd_merge_add(struct buddy_pgalloc *a, unsigned ri, uint64_t pfn, unsigned order)
{
	const struct buddy_range *r = &a->range[ri];

	while (order < PGALLOC_MAX_ORDER) {
		uint64_t buddy = pfn ^ bd_pages(order);
		if (buddy < r->base_pfn || buddy + bd_pages(order) > r->end_pfn)
			break;
		if (!bd_is_head(r, buddy, order))
			break;
		bd_list_del(a, ri, buddy, order);
		pfn &= ~bd_pages(order);
		order++;
	}
	bd_list_add(a, ri, pfn, order);
}

/*
 * Frees the allocation that deferred its split, in the call right after it:
 * nothing else changed since, and the block is still on its list, so
 * clearing the used bits makes it whole again.
 */
static void bd_undo_split(struct buddy_pgalloc *a)
{
	struct buddy_deferred d = a->deferred;
	struct buddy_range *r = &a->range[d.range];

	a->deferred.n = 0;
	bd_bits_fill(r->used, bd_idx(r, d.pfn), bd_idx(r, d.pfn) + d.n, false);
	a->free_pages += d.n;
}

int buddy_free(struct pgalloc *pg, paddr_t addr, uint64_t n)
{
	struct buddy_pgalloc *a = buddy_of(pg);
	uint64_t pfn;
	/* A deferred allocation (n != 0) lies in a range: only the alignment needs checking. */
	if (n == a->deferred.n && n != 0 && addr >> PAGE_SHIFT == a->deferred.pfn &&
	    IS_ALIGNED(addr, PAGE_SIZE_4K)) {
		bd_undo_split(a);
		return 0;
	}
	int ri = bd_range_of(a, addr, n, &pfn);
	if (ri < 0)
		return ri;
	struct buddy_range *r = &a->range[ri];
	uint64_t i0 = bd_idx(r, pfn), i1 = i0 + n;
	if (bd_bits_find(r->used, i0, i1, false) != i1)
		return -ENOENT;
	bd_settle(a);

	/* Aligned pieces; each merges with what the previous ones freed. */
	bd_bits_fill(r->used, i0, i1, false);
	uint64_t end = pfn + n;
	while (pfn < end) {
		unsigned o = bd_fit_order(pfn, end - pfn);
		bd_merge_add(a, (unsigned)ri, pfn, o);
		pfn += bd_pages(o);
	}
	a->free_pages += n;
	return 0;
}

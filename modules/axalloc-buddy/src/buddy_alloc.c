/*
 * buddy_alloc.c - allocation: buddy_alloc (choose the placement: a single
 * page or a block split with its tail returned, first fit, or the slow
 * path bd_search) and buddy_alloc_at (carve an exact range).
 */
#include "buddy_internal.h"
#include <errno.h>

/* The pfn of the free block of range r that contains the free frame pfn. */
static uint64_t bd_block_containing(const struct buddy_range *r, uint64_t pfn)
{
	for (unsigned o = 0; o <= PGALLOC_MAX_ORDER; o++) {
		uint64_t h = pfn & ~(bd_pages(o) - 1);
		if (h < r->base_pfn)
			break;
		if (bd_head_order(r, h) >= (int)o)
			return h;
	}
	assert(!"free frame outside every free block");
	return pfn;
}

void bd_carve(struct buddy_pgalloc *a, unsigned ri, uint64_t t0, uint64_t t1)
{
	struct buddy_range *r = &a->range[ri];
	uint64_t first = bd_block_containing(r, t0);
	uint64_t p = first;

	while (p < t1) {
		int o = bd_head_order(r, p);
		assert(o >= 0);
		bd_list_del(a, ri, p, (unsigned)o);
		p += bd_pages((unsigned)o);
	}
	bd_bits_fill(r->used, bd_idx(r, t0), bd_idx(r, t1), true);
	/* The pieces left on either side have their buddies inside [t0, t1). */
	bd_list_add_span(a, ri, first, t0);
	bd_list_add_span(a, ri, t1, p);
	a->free_pages -= t1 - t0;
}

void bd_settle_tail(struct buddy_pgalloc *a)
{
	struct buddy_deferred *d = &a->deferred;
	bd_list_del(a, d->range, d->pfn, d->order);
	bd_list_add_tail(a, d->range, d->pfn, d->n, d->order);
	d->n = 0;
}

/*
 * Uses the first n pages of the first block of zone z's list of `order` in
 * range ri. A block with a tail stays listed as the deferred split; a block
 * used whole leaves its list. Returns the block's pfn.
 */
static inline uint64_t bd_take(struct buddy_pgalloc *a, unsigned ri, unsigned z, unsigned order,
			       uint64_t n)
{
	struct buddy_range *r = &a->range[ri];
	uint64_t h = r->origin_pfn + bd_list_first(r, z, order);

	bd_bits_fill(r->used, bd_idx(r, h), bd_idx(r, h) + n, true);
	if (n < bd_pages(order))
		a->deferred =
		    (struct buddy_deferred){.pfn = h, .n = n, .range = ri, .order = order};
	else
		bd_list_del(a, ri, h, order);
	a->free_pages -= n;
	return h;
}

/*
 * Block-aligned placement: a block of the lowest order >= want that has
 * one, from the lowest zone of the lowest range that has one. Uses its
 * first n pages and defers the tail. False if there is no free block of
 * order >= want.
 */
static bool bd_take_block(struct buddy_pgalloc *a, unsigned want, uint64_t n, uint64_t *pfn)
{
	uint32_t avail = a->order_mask >> want;
	if (avail == 0)
		return false;
	unsigned o = want + (unsigned)__builtin_ctz(avail);
	unsigned ri = (unsigned)__builtin_ctz(a->range_mask[o]);
	*pfn = bd_take(a, ri, bd_zone_lowest(&a->range[ri], o), o, n);
	return true;
}

/*
 * One page: the smallest block listed in the lowest zone (of the lowest
 * range) that lists any, in O(1). There is one: the caller saw a free page
 * and ended the deferred split.
 */
static uint64_t bd_take_page(struct buddy_pgalloc *a)
{
	assert(a->range_any != 0);
	unsigned ri = (unsigned)__builtin_ctz(a->range_any);
	const struct buddy_range *r = &a->range[ri];
	unsigned z = bd_zone_lowest(r, BD_ZONE_ANY);
	return bd_take(a, ri, z, (unsigned)__builtin_ctz(r->zone_orders[z]), 1);
}

int buddy_alloc(struct pgalloc *pg, uint64_t n, uint64_t align, paddr_t *out)
{
	struct buddy_pgalloc *a = buddy_of(pg);

	if (n == 0 || n > BD_MAX_PAGES || out == NULL)
		return -EINVAL;
	if (align < PGALLOC_MIN_ALIGN || align > PGALLOC_MAX_ALIGN)
		return -EINVAL;
	unsigned align_shift = bd_log2_floor(align);
	if (align != (uint64_t)1 << align_shift)
		return -EINVAL;
	if (n > a->free_pages)
		return -ENOMEM;
	bd_settle(a);

	unsigned align_order = align_shift - PAGE_SHIFT;
	unsigned size_order = bd_log2_ceil(n);
	unsigned want = size_order > align_order ? size_order : align_order;
	uint64_t pfn;

	if (want == 0) {
		*out = bd_take_page(a) << PAGE_SHIFT;
		return 0;
	}
	if (want <= PGALLOC_MAX_ORDER) {
		if (align_order < size_order) {
			enum bd_fit fit = bd_first_fit(a, n, align_order, &pfn);
			if (fit == BD_FIT_NONE)
				return -ENOMEM;
			if (fit == BD_FIT_PLACED) {
				*out = pfn << PAGE_SHIFT;
				return 0;
			}
			/* BD_FIT_GAVE_UP: place it as a block-aligned request */
		}
		if (bd_take_block(a, want, n, &pfn)) {
			*out = pfn << PAGE_SHIFT;
			return 0;
		}
		/* An aligned run of exactly 2^want pages would be a listed block. */
		if (n == bd_pages(want) && align_order == want)
			return -ENOMEM;
	}
	if (!bd_search(a, n, align_order, size_order, &pfn))
		return -ENOMEM;
	*out = pfn << PAGE_SHIFT;
	return 0;
}

int buddy_alloc_at(struct pgalloc *pg, paddr_t addr, uint64_t n)
{
	struct buddy_pgalloc *a = buddy_of(pg);
	uint64_t pfn;
	if (bd_check_span(addr, n, &pfn) != 0)
		return -EINVAL;
	int ri = bd_range_of(a, pfn, n);
	if (ri < 0)
		return -EINVAL;
	struct buddy_range *r = &a->range[ri];
	uint64_t i0 = bd_idx(r, pfn), i1 = i0 + n;
	if (bd_bits_find(r->used, i0, i1, true) != i1)
		return -EEXIST;
	bd_settle(a);
	bd_carve(a, (unsigned)ri, pfn, pfn + n);
	return 0;
}

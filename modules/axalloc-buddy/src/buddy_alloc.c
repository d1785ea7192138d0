/*
 * buddy_alloc.c - allocation: buddy_alloc (choose the placement: a single
 * page or a block split with its tail deferred, first fit, or the slow
 * path bd_search) and buddy_alloc_at (carve an exact range).
 */
#include "buddy_internal.h"
#include <errno.h>

/* ceil(log2 x), x > 0. */
static unsigned bd_log2_ceil(uint64_t x)
{
	return x == 1 ? 0 : (unsigned)(BD_WORD_BITS - __builtin_clzll(x - 1));
}

/* The lowest zone whose list of `order` (BD_ZONE_ANY: any list) is non-empty (there is one). */
static unsigned bd_zone_lowest(const struct buddy_range *r, unsigned order)
{
	const uint64_t *zb = bd_zone_bits(r, order);
	unsigned w = (unsigned)__builtin_ctzll(zb[0]);
	return w * BD_WORD_BITS + (unsigned)__builtin_ctzll(zb[1 + w]);
}

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
	bd_list_add_span(a, d->range, d->pfn + d->n, d->pfn + bd_pages(d->order));
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
 * Block-aligned placement: a block of the lowest order >= want in the
 * lowest range that has one, from the lowest zone that lists such blocks.
 * Uses its first n pages and defers the tail. False if there is no free
 * block of order >= want.
 */
static bool bd_take_block(struct buddy_pgalloc *a, unsigned want, uint64_t n, uint64_t *pfn)
{
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		const struct buddy_range *r = &a->range[ri];
		uint32_t avail = r->orders >> want;
		if (avail != 0) {
			unsigned o = want + (unsigned)__builtin_ctz(avail);
			*pfn = bd_take(a, ri, bd_zone_lowest(r, o), o, n);
			return true;
		}
	}
	return false;
}

/*
 * One page: the smallest block listed in the lowest zone (of the lowest
 * range) that lists any, in O(1). There is one: the caller saw a free page
 * and ended the deferred split.
 */
static uint64_t bd_take_page(struct buddy_pgalloc *a)
{
	unsigned ri = 0;
	while (a->range[ri].orders == 0)
		ri++;
	const struct buddy_range *r = &a->range[ri];
	unsigned z = bd_zone_lowest(r, BD_ZONE_ANY);
	return bd_take(a, ri, z, (unsigned)__builtin_ctz(r->zone_orders[z]), 1);
}

/*
 * Places n free pages aligned to 2^align_order pages (docs/buddy.md, "Where
 * an allocation goes") and stores the first pfn. Returns 0 or -ENOMEM (no
 * aligned run of n free pages in one range; nothing changed).
 */
static int bd_place(struct buddy_pgalloc *a, uint64_t n, unsigned align_order, uint64_t *pfn)
{
	unsigned size_order = bd_log2_ceil(n);
	unsigned want = size_order > align_order ? size_order : align_order;

	if (want == 0) {
		*pfn = bd_take_page(a);
		return 0;
	}
	if (want <= PGALLOC_MAX_ORDER) {
		if (align_order < size_order) {
			int err = bd_first_fit(a, n, align_order, pfn);
			if (err != -EAGAIN) /* placed, or no run exists */
				return err;
		}
		if (bd_take_block(a, want, n, pfn))
			return 0;
		/* An aligned run of exactly 2^want pages would be a listed block. */
		if (n == bd_pages(want) && align_order == want)
			return -ENOMEM;
	}
	return bd_search(a, n, align_order, pfn) ? 0 : -ENOMEM;
}

int buddy_alloc(struct pgalloc *pg, uint64_t n, uint64_t align, paddr_t *out)
{
	struct buddy_pgalloc *a = buddy_of(pg);
	uint64_t pfn;

	if (out == NULL || !pgalloc_request_valid(n, align))
		return -EINVAL;
	if (n > a->free_pages)
		return -ENOMEM;
	bd_settle(a);
	int err = bd_place(a, n, bd_log2_floor(align) - PAGE_SHIFT, &pfn);
	if (err == 0)
		*out = pfn << PAGE_SHIFT;
	return err;
}

int buddy_alloc_at(struct pgalloc *pg, paddr_t addr, uint64_t n)
{
	struct buddy_pgalloc *a = buddy_of(pg);
	uint64_t pfn;
	int ri = bd_range_of(a, addr, n, &pfn);
	if (ri < 0)
		return ri;
	struct buddy_range *r = &a->range[ri];
	uint64_t i0 = bd_idx(r, pfn), i1 = i0 + n;
	if (bd_bits_find(r->used, i0, i1, true) != i1)
		return -EEXIST;
	bd_settle(a);
	bd_carve(a, (unsigned)ri, pfn, pfn + n);
	return 0;
}

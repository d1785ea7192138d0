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

uint64_t bd_block_containing(const struct buddy_range *r, uint64_t pfn)
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
 * The lowest zone of range r that starts at or above pfn lo and lists a
 * block of `order` (BD_ZONE_ANY: of any order), or nr_zones.
 */
static unsigned bd_zone_from(const struct buddy_range *r, unsigned order, uint64_t lo)
{
	if (lo <= r->base_pfn) /* the hot path: O(1) */
		return bd_zone_lowest(r, order);
	return bd_zone_next(r, order, bd_zone_at_or_above(r, lo));
}

/*
 * Block-aligned placement inside pfns [lo, hi): a block of the lowest order
 * >= want in the lowest range that has one, from the lowest zone at or
 * above lo that lists such blocks, whose first n pages end by hi. Uses
 * those pages and defers the tail. False if there is none.
 */
static bool bd_take_block(struct buddy_pgalloc *a, unsigned want, uint64_t n, uint64_t lo,
			  uint64_t hi, uint64_t *pfn)
{
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		const struct buddy_range *r = &a->range[ri];
		if (r->end_pfn <= lo)
			continue;
		if (r->base_pfn >= hi)
			return false;
		for (uint32_t avail = r->orders >> want; avail != 0; avail &= avail - 1) {
			unsigned o = want + (unsigned)__builtin_ctz(avail);
			unsigned z = bd_zone_from(r, o, lo);
			if (z == r->nr_zones || r->origin_pfn + bd_list_first(r, z, o) + n > hi)
				continue;
			*pfn = bd_take(a, ri, z, o, n);
			return true;
		}
	}
	return false;
}

/*
 * The smallest block listed in zone z of range ri, if it starts below pfn
 * hi: takes its first page. False otherwise.
 */
static inline bool bd_take_page_of_zone(struct buddy_pgalloc *a, unsigned ri, unsigned z,
					uint64_t hi, uint64_t *pfn)
{
	const struct buddy_range *r = &a->range[ri];
	unsigned o = (unsigned)__builtin_ctz(r->zone_orders[z]);

	if (r->origin_pfn + bd_list_first(r, z, o) >= hi)
		return false;
	*pfn = bd_take(a, ri, z, o, 1);
	return true;
}

/*
 * The hot path of every movable page: one page from the lowest zone (of the
 * lowest range) that lists any, in O(1), if it lies below pfn hi. There is
 * a free page: the caller saw one and ended the deferred split.
 */
static inline __attribute__((always_inline)) bool bd_take_lowest_page(struct buddy_pgalloc *a,
								      uint64_t hi, uint64_t *pfn)
{
	unsigned ri = 0;

	while (a->range[ri].orders == 0)
		ri++;
	return bd_take_page_of_zone(a, ri, bd_zone_lowest(&a->range[ri], BD_ZONE_ANY), hi, pfn);
}

/*
 * One page inside pfns [lo, hi): the smallest block listed in the lowest
 * zone at or above lo (of the lowest range) that lists any. There is a free
 * page and no deferred split. False if that block starts at or above hi, or
 * there is none.
 */
static bool bd_take_page(struct buddy_pgalloc *a, uint64_t lo, uint64_t hi, uint64_t *pfn)
{
	if (lo == 0)
		return bd_take_lowest_page(a, hi, pfn);
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		const struct buddy_range *r = &a->range[ri];
		unsigned z;

		if (r->orders == 0 || r->end_pfn <= lo)
			continue;
		z = bd_zone_next(r, BD_ZONE_ANY, bd_zone_at_or_above(r, lo));
		if (z < r->nr_zones)
			return bd_take_page_of_zone(a, ri, z, hi, pfn);
	}
	return false;
}

/*
 * Places n free pages aligned to 2^align_order pages inside pfns [lo, hi)
 * (docs/buddy.md, "Where an allocation goes") and stores the first pfn.
 * The fast placements look at the zones at or above lo; when they find
 * nothing, the used bits are scanned, so a run inside the window is always
 * found. Returns 0 or -ENOMEM (no aligned run of n free pages inside the
 * window in one range; nothing changed).
 */
static int bd_place(struct buddy_pgalloc *a, uint64_t n, unsigned align_order, uint64_t lo,
		    uint64_t hi, uint64_t *pfn)
{
	unsigned size_order = bd_log2_ceil(n);
	unsigned want = size_order > align_order ? size_order : align_order;
	bool looked_at_all = false; /* every listed block that could hold a run was tried */

	if (want == 0) {
		if (bd_take_page(a, lo, hi, pfn))
			return 0;
		looked_at_all = true;
	} else if (want <= PGALLOC_MAX_ORDER) {
		if (align_order < size_order) {
			int err = bd_first_fit(a, n, align_order, lo, hi, pfn);
			if (err == 0)
				return 0;
			looked_at_all = err == -ENOMEM;
		}
		if (bd_take_block(a, want, n, lo, hi, pfn))
			return 0;
		/* An aligned run of exactly 2^want pages would be a listed block. */
		looked_at_all |= n == bd_pages(want) && align_order == want;
	}
	if (looked_at_all)
		return bd_search_edges(a, n, align_order, lo, hi, pfn) ? 0 : -ENOMEM;
	return bd_search(a, n, align_order, lo, hi, pfn) ? 0 : -ENOMEM;
}

int buddy_alloc_in(struct pgalloc *pg, uint64_t n, uint64_t align, paddr_t lo, paddr_t hi,
		   paddr_t *out)
{
	struct buddy_pgalloc *a = buddy_of(pg);
	uint64_t pfn;

	if (out == NULL || !pgalloc_request_valid(n, align))
		return -EINVAL;
	if (n > a->free_pages)
		return -ENOMEM;
	bd_settle(a);
	int err = bd_place(a, n, bd_log2_floor(align) - PAGE_SHIFT,
			   (lo + PAGE_SIZE_4K - 1) >> PAGE_SHIFT, hi >> PAGE_SHIFT, &pfn);
	if (err == 0)
		*out = pfn << PAGE_SHIFT;
	return err;
}

/*
 * A single movable page is the fast path: bd_take_page below the movable
 * limit. When that block lies above the limit, the window's edges may still
 * hold a page: the general path looks.
 */
int buddy_alloc(struct pgalloc *pg, uint64_t n, uint64_t align, enum pgalloc_mobility mob,
		paddr_t *out)
{
	struct buddy_pgalloc *a = buddy_of(pg);
	uint64_t pfn;

	if (n == 1 && align == PAGE_SIZE_4K && mob == PGALLOC_MOVABLE && out != NULL &&
	    a->free_pages != 0) {
		bd_settle(a);
		if (bd_take_lowest_page(a, pg->movable_limit >> PAGE_SHIFT, &pfn)) {
			*out = pfn << PAGE_SHIFT;
			return 0;
		}
	}
	return pgalloc_alloc_by_mobility(pg, n, align, mob, out);
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

uint64_t buddy_used_pages(const struct pgalloc *pg, paddr_t addr, uint64_t n)
{
	const struct buddy_pgalloc *a = buddy_of((struct pgalloc *)pg);
	uint64_t pfn, count = 0;
	int ri = bd_range_of(a, addr, n, &pfn);

	if (ri < 0)
		return 0;
	const struct buddy_range *r = &a->range[ri];
	for (uint64_t i = bd_idx(r, pfn), end = i + n; i < end;) {
		unsigned lo = i % BD_WORD_BITS;
		uint64_t take = BD_WORD_BITS - lo < end - i ? BD_WORD_BITS - lo : end - i;
		uint64_t mask = (take == BD_WORD_BITS ? BD_ALL_ONES : ((uint64_t)1 << take) - 1)
				<< lo;

		count += (uint64_t)__builtin_popcountll(r->used[i / BD_WORD_BITS] & mask);
		i += take;
	}
	return count;
}

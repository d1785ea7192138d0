/*
 * buddy_search.c - searches for runs of free pages that may span several
 * free blocks, through the free lists:
 *   - first fit, for requests that need less alignment than a block of
 *     their order has: the lowest-address aligned run of n free pages,
 *     found zone by zone;
 *   - the slow path of buddy_alloc: a run of free pages that spans several
 *     free blocks, or a smaller block that happens to be aligned. Both of
 *     its searches are exhaustive, so -ENOMEM means no fit exists; the
 *     cheaper one for the request is used.
 */
#include "buddy_internal.h"

/*
 * Looks for an aligned run of n free pages in range r that overlaps the free
 * block [h, h + 2^o): the run may start up to n - 1 pages before h and end
 * past the block. Stores in *start the lowest such run's first pfn and
 * returns true, or returns false if there is none.
 */
static bool bd_run_near(const struct buddy_range *r, uint64_t h, unsigned o, uint64_t n,
			uint64_t align_pages, uint64_t *start)
{
	uint64_t block_end = h + bd_pages(o);
	uint64_t lo = h - r->base_pfn > n - 1 ? h - (n - 1) : r->base_pfn;
	uint64_t last_used;
	uint64_t s = lo;

	if (bd_bits_last_set(r->used, bd_idx(r, lo), bd_idx(r, h), &last_used))
		s = r->origin_pfn + last_used + 1;
	uint64_t a = ALIGN_UP(s, align_pages);
	if (a >= block_end || a > r->end_pfn || n > r->end_pfn - a)
		return false;
	if (a + n > block_end &&
	    bd_bits_find(r->used, bd_idx(r, block_end), bd_idx(r, a + n), true) != bd_idx(r, a + n))
		return false;
	*start = a;
	return true;
}

/*
 * Any n pages contain an aligned block of order floor(log2 n) - 1, so a run
 * of n free pages overlaps a listed block of order >= lo; the lists from hi
 * up are empty. Tries the run around each listed block of an order in
 * [lo, hi): O(those blocks * (n + block size) / 64).
 */
static bool bd_search_blocks(const struct buddy_pgalloc *a, uint64_t n, unsigned align_order,
			     unsigned lo, unsigned hi, unsigned *ri_out, uint64_t *pfn)
{
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		const struct buddy_range *r = &a->range[ri];
		if (r->end_pfn - r->base_pfn < n)
			continue;
		for (unsigned o = lo; o < hi; o++) {
			for (unsigned z = bd_zone_next(r, o, 0); z < r->nr_zones;
			     z = bd_zone_next(r, o, z + 1)) {
				uint32_t s = bd_sentinel(r, z, o);
				for (uint32_t i = bd_list_first(r, z, o); i != s;
				     i = r->link[i >> 1].next) {
					if (bd_run_near(r, r->origin_pfn + i, o, n,
							bd_pages(align_order), pfn)) {
						*ri_out = ri;
						return true;
					}
				}
			}
		}
	}
	return false;
}

/* Tries every aligned address in turn: O(managed pages / alignment). */
static bool bd_search_aligned(const struct buddy_pgalloc *a, uint64_t n, unsigned align_order,
			      unsigned *ri_out, uint64_t *pfn)
{
	uint64_t step = bd_pages(align_order);
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		const struct buddy_range *r = &a->range[ri];
		for (uint64_t p = ALIGN_UP(r->base_pfn, step);
		     p < r->end_pfn && n <= r->end_pfn - p; p += step) {
			if (bd_bits_find(r->used, bd_idx(r, p), bd_idx(r, p + n), true) ==
			    bd_idx(r, p + n)) {
				*ri_out = ri;
				*pfn = p;
				return true;
			}
		}
	}
	return false;
}

bool bd_search(struct buddy_pgalloc *a, uint64_t n, unsigned align_order, unsigned size_order,
	       uint64_t *pfn)
{
	unsigned lo = n >= 2 ? bd_log2_floor(n) - 1 : 0;
	unsigned hi = size_order > align_order ? size_order : align_order;
	if (lo > PGALLOC_MAX_ORDER)
		lo = PGALLOC_MAX_ORDER;
	if (hi > PGALLOC_NR_ORDERS)
		hi = PGALLOC_NR_ORDERS;

	uint64_t blocks = 0;
	for (unsigned o = lo; o < hi; o++)
		blocks += a->nr_free[o];
	uint64_t addresses = a->total_pages >> align_order;
	unsigned ri;
	bool found;

	if (align_order >= size_order && addresses < blocks)
		found = bd_search_aligned(a, n, align_order, &ri, pfn);
	else
		found = bd_search_blocks(a, n, align_order, lo, hi, &ri, pfn);
	if (found)
		bd_carve(a, ri, *pfn, *pfn + n);
	return found;
}

/* ---- first fit ---- */

/* A first-fit request and the blocks it may still look at. */
struct bd_fit_req {
	uint64_t n;
	uint64_t align_pages;
	unsigned budget;
};

/* The orders in `orders` that range ri lists blocks of. */
static uint32_t bd_range_orders(const struct buddy_pgalloc *a, unsigned ri, uint32_t orders)
{
	uint32_t here = 0;
	for (uint32_t m = orders; m != 0; m &= m - 1) {
		unsigned o = (unsigned)__builtin_ctz(m);
		if ((a->range_mask[o] >> ri) & 1)
			here |= 1u << o;
	}
	return here;
}

/* The first zone >= z of range r that lists a block of an order in `orders`, or nr_zones. */
static unsigned bd_fit_next_zone(const struct buddy_range *r, uint32_t orders, unsigned z)
{
	unsigned best = r->nr_zones;
	for (uint32_t m = orders; m != 0; m &= m - 1) {
		unsigned nz = bd_zone_next(r, (unsigned)__builtin_ctz(m), z);
		if (nz < best)
			best = nz;
	}
	return best;
}

/*
 * The lowest start of an aligned run of q->n free pages that overlaps a
 * block of an order in `orders` listed in zone z of range r, or UINT64_MAX
 * if there is none. Each block looked at costs one unit of q->budget; when
 * the budget runs out, returns the lowest start found so far (or UINT64_MAX).
 */
static uint64_t bd_fit_in_zone(const struct buddy_range *r, uint32_t orders, unsigned z,
			       struct bd_fit_req *q)
{
	uint64_t best = UINT64_MAX;
	uint64_t past = UINT64_MAX; /* blocks from here on start no run below best */

	for (uint32_t m = orders & r->zone_orders[z]; m != 0; m &= m - 1) {
		unsigned o = (unsigned)__builtin_ctz(m);
		uint32_t s = bd_sentinel(r, z, o);
		for (uint32_t i = bd_list_first(r, z, o); i != s; i = r->link[i >> 1].next) {
			uint64_t h = r->origin_pfn + i, start;
			if (q->budget == 0)
				return best;
			q->budget--;
			if (h >= past)
				continue;
			if (bd_run_near(r, h, o, q->n, q->align_pages, &start) && start < best) {
				/* runs near a block at h start at h - n + 1 or later */
				best = start;
				past = start + q->n - 1;
			}
		}
	}
	return best;
}

/*
 * Any run of n free pages contains an aligned block of order
 * floor(log2(n + 1)) - 1, so it overlaps a listed block of that order or
 * more. Zones are tried in address order: if a run overlaps a block listed
 * in zone z, the lowest run overlapping some block of zone z starts below
 * every run that only overlaps blocks of later zones (such a run, reaching
 * past zone z, would overlap that block too). So the first zone that yields
 * a run yields the first fit. Every zone stepped to lists a block, which
 * costs budget, so this is O(BUDDY_FIT_BUDGET * (orders + n / 64)).
 */
enum bd_fit bd_first_fit(struct buddy_pgalloc *a, uint64_t n, unsigned align_order, uint64_t *pfn)
{
	unsigned lo = bd_log2_floor(n + 1) - 1;
	uint32_t orders = a->order_mask & ~((1u << lo) - 1);
	struct bd_fit_req q = {
	    .n = n, .align_pages = bd_pages(align_order), .budget = BUDDY_FIT_BUDGET};

	assert(n >= 2 && n <= bd_pages(PGALLOC_MAX_ORDER));
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		const struct buddy_range *r = &a->range[ri];
		uint32_t here = bd_range_orders(a, ri, orders);
		if (here == 0 || r->end_pfn - r->base_pfn < n)
			continue;
		for (unsigned z = bd_fit_next_zone(r, here, 0); z < r->nr_zones;
		     z = bd_fit_next_zone(r, here, z + 1)) {
			uint64_t start = bd_fit_in_zone(r, here, z, &q);
			if (start != UINT64_MAX) {
				bd_carve(a, ri, start, start + n);
				*pfn = start;
				return BD_FIT_PLACED;
			}
			if (q.budget == 0)
				return BD_FIT_GAVE_UP;
		}
	}
	return BD_FIT_NONE;
}

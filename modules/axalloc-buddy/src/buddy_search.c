/*
 * buddy_search.c - the slow path of buddy_alloc: a run of free pages that
 * spans several free blocks, or a smaller block that happens to be aligned.
 * Both searches below are exhaustive, so -ENOMEM means no fit exists; the
 * cheaper one for the request is used.
 */
#include "buddy_internal.h"

/*
 * Looks for an aligned run of n free pages in range r that overlaps the free
 * block [h, h + 2^o): the run may start up to n - 1 pages before h and end
 * past the block. Stores its first pfn in *start and returns true if found.
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
static bool bd_search_blocks(const struct buddy_alloc *a, uint64_t n, unsigned align_order,
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
static bool bd_search_aligned(const struct buddy_alloc *a, uint64_t n, unsigned align_order,
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

bool bd_search(struct buddy_alloc *a, uint64_t n, unsigned align_order, unsigned size_order,
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

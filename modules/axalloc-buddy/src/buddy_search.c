/*
 * buddy_search.c - searches for aligned runs of free pages that may span
 * several free blocks:
 *   - first fit, for requests that need less alignment than a block of
 *     their order has: the lowest-address run, found zone by zone through
 *     the free lists;
 *   - the slow path of buddy_alloc, when no listed block can hold the
 *     request: the lowest run, found by scanning the used bits.
 */
#include "buddy_internal.h"

unsigned bd_zone_next(const struct buddy_range *r, unsigned order, unsigned z)
{
	const uint64_t *zb = bd_zone_bits(r, order);
	if (z >= r->nr_zones)
		return r->nr_zones;
	unsigned w = z / BD_WORD_BITS;
	uint64_t bits = zb[1 + w] & (BD_ALL_ONES << (z % BD_WORD_BITS));
	if (bits == 0) {
		uint64_t later = w + 1 < BD_WORD_BITS ? zb[0] & (BD_ALL_ONES << (w + 1)) : 0;
		if (later == 0)
			return r->nr_zones;
		w = (unsigned)__builtin_ctzll(later);
		bits = zb[1 + w];
	}
	return w * BD_WORD_BITS + (unsigned)__builtin_ctzll(bits);
}

/* Highest set index in [lo, hi) into *hit; false if there is none. */
static bool bd_bits_last_set(const uint64_t *bm, uint64_t lo, uint64_t hi, uint64_t *hit)
{
	while (hi > lo) {
		uint64_t top = hi - 1, base = top - top % BD_WORD_BITS;
		uint64_t w = bm[top / BD_WORD_BITS] &
			     (BD_ALL_ONES >> (BD_WORD_BITS - 1 - top % BD_WORD_BITS));
		if (w != 0) {
			*hit = base + (BD_WORD_BITS - 1) - (uint64_t)__builtin_clzll(w);
			return *hit >= lo;
		}
		hi = base;
	}
	return false;
}

/*
 * The lowest start s in [lo, limit) of range r, a multiple of align pages,
 * with [s, s + n) free and inside the range, into *start; false if none.
 * Each miss skips past the last used page of the window it tried, so this
 * costs O((limit - lo + n) / 64) plus one step per miss.
 */
static bool bd_scan(const struct buddy_range *r, uint64_t lo, uint64_t limit, uint64_t n,
		    uint64_t align, uint64_t *start)
{
	uint64_t s = ALIGN_UP(lo, align), used;
	while (s < limit && s < r->end_pfn && n <= r->end_pfn - s) {
		if (!bd_bits_last_set(r->used, bd_idx(r, s), bd_idx(r, s + n), &used)) {
			*start = s;
			return true;
		}
		s = ALIGN_UP(r->origin_pfn + used + 1, align);
	}
	return false;
}

bool bd_search(struct buddy_pgalloc *a, uint64_t n, unsigned align_order, uint64_t lo, uint64_t hi,
	       uint64_t *pfn)
{
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		const struct buddy_range *r = &a->range[ri];
		uint64_t from = lo > r->base_pfn ? lo : r->base_pfn;
		uint64_t end = hi < r->end_pfn ? hi : r->end_pfn;

		if (end < from || end - from < n)
			continue;
		if (bd_scan(r, from, end - n + 1, n, bd_pages(align_order), pfn)) {
			bd_carve(a, ri, *pfn, *pfn + n);
			return true;
		}
	}
	return false;
}

bool bd_search_edges(struct buddy_pgalloc *a, uint64_t n, unsigned align_order, uint64_t lo,
		     uint64_t hi, uint64_t *pfn)
{
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		const struct buddy_range *r = &a->range[ri];
		uint64_t from = lo > r->base_pfn ? lo : r->base_pfn;
		uint64_t end = hi < r->end_pfn ? hi : r->end_pfn;
		uint64_t zone_pages = bd_pages(r->zone_shift), align = bd_pages(align_order);
		uint64_t z, edge, cut;

		if (end < from || end - from < n)
			continue;
		z = bd_zone_at_or_above(r, from);
		edge = z < r->nr_zones ? bd_zone_start(r, z) : end;
		if (!bd_bits_test(r->used, bd_idx(r, from))) { /* its block may start below */
			uint64_t h = bd_block_containing(r, from);
			uint64_t block_end = h + bd_pages((unsigned)bd_head_order(r, h));
			edge = block_end > edge ? block_end : edge;
		}
		cut = ALIGN_DOWN(end, zone_pages);
		cut = cut > from + n ? cut - n : from;
		if (bd_scan(r, from, edge < end - n + 1 ? edge : end - n + 1, n, align, pfn) ||
		    (end < r->end_pfn && end % zone_pages != 0 &&
		     bd_scan(r, cut, end - n + 1, n, align, pfn))) {
			bd_carve(a, ri, *pfn, *pfn + n);
			return true;
		}
	}
	return false;
}

/*
 * The lowest start of an aligned run of n free pages inside pfns [lo, hi)
 * that overlaps a block of an order in `orders` listed in zone z of range
 * r, or UINT64_MAX if there is none. Each block looked at costs one unit
 * of *budget; when the budget runs out, returns the lowest start found so
 * far (or UINT64_MAX).
 */
static uint64_t bd_fit_in_zone(const struct buddy_range *r, uint32_t orders, unsigned z, uint64_t n,
			       uint64_t align, uint64_t lo, uint64_t hi, unsigned *budget)
{
	uint64_t best = UINT64_MAX, limit = hi < r->end_pfn ? hi - n + 1 : r->end_pfn;

	for (uint32_t m = orders & r->zone_orders[z]; m != 0; m &= m - 1) {
		unsigned o = (unsigned)__builtin_ctz(m);
		uint32_t s = bd_sentinel(r, z, o);
		for (uint32_t i = bd_list_first(r, z, o); i != s; i = r->link[i >> 1].next) {
			/* A run overlapping the block starts from h - n + 1 to its end. */
			uint64_t h = r->origin_pfn + i, end = h + bd_pages(o);
			uint64_t from = h - r->base_pfn > n - 1 ? h - (n - 1) : r->base_pfn;
			if (*budget == 0)
				return best;
			--*budget;
			from = from > lo ? from : lo;
			end = best < end ? best : end;
			bd_scan(r, from, limit < end ? limit : end, n, align, &best);
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
 * a run yields the first fit. This is O(zones + BUDDY_FIT_BUDGET * (orders
 * + n / 64)).
 */
int bd_first_fit(struct buddy_pgalloc *a, uint64_t n, unsigned align_order, uint64_t lo,
		 uint64_t hi, uint64_t *pfn)
{
	uint32_t orders = ~((1u << (bd_log2_floor(n + 1) - 1)) - 1);
	unsigned budget = BUDDY_FIT_BUDGET;

	assert(n >= 2 && n <= bd_pages(PGALLOC_MAX_ORDER));
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		const struct buddy_range *r = &a->range[ri];
		if ((r->orders & orders) == 0 || r->end_pfn <= lo)
			continue;
		if (r->base_pfn >= hi || hi - r->base_pfn < n)
			break;
		for (unsigned z = bd_zone_next(r, BD_ZONE_ANY, bd_zone_at_or_above(r, lo));
		     z < r->nr_zones && bd_zone_start(r, z) < hi && budget > 0;
		     z = bd_zone_next(r, BD_ZONE_ANY, z + 1)) {
			uint64_t start =
			    bd_fit_in_zone(r, orders, z, n, bd_pages(align_order), lo, hi, &budget);
			if (start != UINT64_MAX) {
				bd_carve(a, ri, start, start + n);
				*pfn = start;
				return 0;
			}
		}
	}
	return budget == 0 ? -EAGAIN : -ENOMEM;
}

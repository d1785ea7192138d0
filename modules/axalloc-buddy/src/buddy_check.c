/*
 * buddy_check.c - the consistency checker the tests run after every step.
 */
#include "buddy_internal.h"
#include <stdio.h>

#define BD_FAIL(...)                                                                               \
	do {                                                                                       \
		printf("buddy_check: " __VA_ARGS__);                                               \
		printf("\n");                                                                      \
		return -1;                                                                         \
	} while (0)

/* Walks the list of `order` in zone z of range ri: links, zone, alignment, head codes. */
static int bd_check_list(const struct buddy_range *r, unsigned ri, unsigned z, unsigned order,
			 uint64_t *blocks)
{
	uint64_t limit = r->end_pfn - r->base_pfn;
	uint32_t s = bd_sentinel(r, z, order);
	uint32_t prev = s;
	uint64_t count = 0;

	for (uint32_t i = bd_list_first(r, z, order); i != s; i = r->link[i >> 1].next) {
		uint64_t pfn = r->origin_pfn + i;
		if (++count > limit)
			BD_FAIL("range %u zone %u list %u loops", ri, z, order);
		if (pfn < r->base_pfn || pfn >= r->end_pfn || r->end_pfn - pfn < bd_pages(order))
			BD_FAIL("range %u list %u: block %#lx outside the range", ri, order,
				(unsigned long)pfn);
		if (bd_zone(r, pfn) != z)
			BD_FAIL("range %u list %u: block %#lx on the list of zone %u", ri, order,
				(unsigned long)pfn, z);
		if ((pfn & (bd_pages(order) - 1)) != 0)
			BD_FAIL("range %u list %u: block %#lx misaligned", ri, order,
				(unsigned long)pfn);
		if (!bd_is_head(r, pfn, order))
			BD_FAIL("range %u list %u: block %#lx has head code %#x", ri, order,
				(unsigned long)pfn, r->head[i >> 1]);
		if (r->link[i >> 1].prev != prev)
			BD_FAIL("range %u list %u: block %#lx bad prev link", ri, order,
				(unsigned long)pfn);
		prev = i;
	}
	if (r->link[s >> 1].prev != prev)
		BD_FAIL("range %u zone %u list %u: sentinel bad prev link", ri, z, order);
	*blocks = count;
	return 0;
}

/*
 * Checks the summary word of zone bitmap `set` (an order or BD_ZONE_ANY) of
 * range ri: bit w set exactly for the non-zero words, no bits for zones or
 * words past the last.
 */
static int bd_check_zone_set(const struct buddy_range *r, unsigned ri, unsigned set)
{
	const uint64_t *zb = bd_zone_bits(r, set);

	for (unsigned w = 0; w < r->zone_words; w++) {
		if (((zb[0] >> w) & 1) != (zb[1 + w] != 0))
			BD_FAIL("range %u zone set %u: summary bit %u wrong", ri, set, w);
		unsigned valid = r->nr_zones - w * BD_WORD_BITS;
		if (valid < BD_WORD_BITS && zb[1 + w] >> valid != 0)
			BD_FAIL("range %u zone set %u: bits for zones past the last", ri, set);
	}
	if (r->zone_words < BD_WORD_BITS && zb[0] >> r->zone_words != 0)
		BD_FAIL("range %u zone set %u: summary bits past the last word", ri, set);
	return 0;
}

/* True if zone z's bit is set in zone bitmap `set` of range r. */
static bool bd_zone_marked(const struct buddy_range *r, unsigned set, unsigned z)
{
	return ((bd_zone_bits(r, set)[1 + z / BD_WORD_BITS] >> (z % BD_WORD_BITS)) & 1) != 0;
}

/*
 * Checks every zone's list of `order` in range ri, the zone bitmap of the
 * order and the zones' order masks (set exactly for the non-empty lists),
 * and the range's order mask. Counts the blocks.
 */
static int bd_check_order(const struct buddy_pgalloc *a, unsigned ri, unsigned order,
			  uint64_t *blocks)
{
	const struct buddy_range *r = &a->range[ri];

	*blocks = 0;
	for (unsigned z = 0; z < r->nr_zones; z++) {
		uint64_t count;
		if (bd_check_list(r, ri, z, order, &count) != 0)
			return -1;
		bool marked = bd_zone_marked(r, order, z);
		bool in_mask = ((r->zone_orders[z] >> order) & 1) != 0;
		if (marked != (count != 0) || in_mask != (count != 0))
			BD_FAIL("range %u zone %u list %u: zone bit %d, mask bit %d, %lu blocks",
				ri, z, order, marked, in_mask, (unsigned long)count);
		*blocks += count;
	}
	if (bd_check_zone_set(r, ri, order) != 0)
		return -1;
	bool listed = ((r->orders >> order) & 1) != 0;
	if (listed != (*blocks != 0))
		BD_FAIL("range %u order %u: mask bit %d, %lu blocks", ri, order, listed,
			(unsigned long)*blocks);
	return 0;
}

/*
 * Checks, after the orders (so the zones' order masks are right), the
 * BD_ZONE_ANY bitmap of range r (set exactly for the zones with a non-empty
 * mask) and that no mask has bits above the largest order.
 */
static int bd_check_any(const struct buddy_range *r, unsigned ri)
{
	if (r->orders >> PGALLOC_NR_ORDERS != 0)
		BD_FAIL("range %u: order mask %#x has bits above the largest order", ri, r->orders);
	for (unsigned z = 0; z < r->nr_zones; z++) {
		if (r->zone_orders[z] >> PGALLOC_NR_ORDERS != 0)
			BD_FAIL("range %u zone %u: order mask %#x has bits above the largest order",
				ri, z, r->zone_orders[z]);
		if (bd_zone_marked(r, BD_ZONE_ANY, z) != (r->zone_orders[z] != 0))
			BD_FAIL("range %u zone %u: any-order bit disagrees with mask %#x", ri, z,
				r->zone_orders[z]);
	}
	return bd_check_zone_set(r, ri, BD_ZONE_ANY);
}

/* Checks the deferred split: a listed block, its first n pages used, the rest free. */
static int bd_check_deferred(const struct buddy_pgalloc *a)
{
	const struct buddy_deferred *d = &a->deferred;
	if (d->n == 0)
		return 0;
	if (d->range >= a->nr_ranges || d->order > PGALLOC_MAX_ORDER || d->n >= bd_pages(d->order))
		BD_FAIL("deferred tail: range %u order %u n %lu", d->range, d->order,
			(unsigned long)d->n);
	const struct buddy_range *r = &a->range[d->range];
	uint64_t end = d->pfn + bd_pages(d->order), mid = d->pfn + d->n;
	if ((d->pfn & (bd_pages(d->order) - 1)) != 0 || d->pfn < r->base_pfn || end > r->end_pfn)
		BD_FAIL("deferred tail: block %#lx order %u misplaced", (unsigned long)d->pfn,
			d->order);
	if (bd_bits_find(r->used, bd_idx(r, d->pfn), bd_idx(r, mid), false) != bd_idx(r, mid) ||
	    bd_bits_find(r->used, bd_idx(r, mid), bd_idx(r, end), true) != bd_idx(r, end))
		BD_FAIL("deferred tail: block %#lx has the wrong pages used",
			(unsigned long)d->pfn);
	if (!bd_is_head(r, d->pfn, d->order))
		BD_FAIL("deferred tail: block %#lx order %u is not listed", (unsigned long)d->pfn,
			d->order);
	return 0;
}

/*
 * Walks the frames of range ri in address order: every free frame must lie
 * in a free block met at its head, with all pages free and no free buddy,
 * or in the deferred tail (its listed split block counts as one block).
 * Counts the listed blocks, the free pages, and the head codes in the range.
 */
static int bd_check_cover(const struct buddy_pgalloc *a, unsigned ri, uint64_t *blocks,
			  uint64_t *free_pages)
{
	const struct buddy_range *r = &a->range[ri];
	const struct buddy_deferred *d = &a->deferred;
	uint64_t p = r->base_pfn;
	uint64_t codes = 0;

	*blocks = 0;
	*free_pages = 0;
	while (p < r->end_pfn) {
		p = r->origin_pfn +
		    bd_bits_find(r->used, bd_idx(r, p), bd_idx(r, r->end_pfn), false);
		if (p >= r->end_pfn)
			break;
		if (d->n != 0 && d->range == ri && p == d->pfn + d->n) {
			++*blocks; /* the split block, listed */
			*free_pages += bd_pages(d->order) - d->n;
			p = d->pfn + bd_pages(d->order);
			continue;
		}
		int o = bd_head_order(r, p);
		if (o < 0)
			BD_FAIL("range %u: free frame %#lx is in no free block", ri,
				(unsigned long)p);
		uint64_t end = p + bd_pages((unsigned)o);
		if (end > r->end_pfn ||
		    bd_bits_find(r->used, bd_idx(r, p), bd_idx(r, end), true) != bd_idx(r, end))
			BD_FAIL("range %u: block %#lx order %d holds used frames", ri,
				(unsigned long)p, o);
		if (o < PGALLOC_MAX_ORDER) {
			uint64_t buddy = p ^ bd_pages((unsigned)o);
			if (buddy >= r->base_pfn && buddy + bd_pages((unsigned)o) <= r->end_pfn &&
			    bd_is_head(r, buddy, (unsigned)o))
				BD_FAIL("range %u: buddies %#lx and %#lx order %d both free", ri,
					(unsigned long)p, (unsigned long)buddy, o);
		}
		++*blocks;
		*free_pages += bd_pages((unsigned)o);
		p = end;
	}
	uint64_t pairs = (r->end_pfn - r->origin_pfn + 1) / 2;
	for (uint64_t i = 0; i < pairs; i++)
		codes += r->head[i] != BUDDY_NO_HEAD;
	if (codes != *blocks)
		BD_FAIL("range %u: %lu head codes for %lu free blocks", ri, (unsigned long)codes,
			(unsigned long)*blocks);
	return 0;
}

int buddy_check(const struct pgalloc *pg)
{
	const struct buddy_pgalloc *a = buddy_of(pg);
	uint64_t per_order[PGALLOC_NR_ORDERS] = {0};
	uint64_t total = 0, free_pages = 0, meta = 0;

	if (a->nr_ranges > PGALLOC_MAX_RANGES)
		BD_FAIL("%u ranges", a->nr_ranges);
	if (bd_check_deferred(a) != 0)
		return -1;
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		const struct buddy_range *r = &a->range[ri];
		if (r->base_pfn >= r->end_pfn || r->origin_pfn != (r->base_pfn & ~(uint64_t)1))
			BD_FAIL("range %u: bad bounds", ri);
		if (r->nr_zones == 0 || r->nr_zones > BUDDY_MAX_ZONES ||
		    bd_zone(r, r->end_pfn - 1) != r->nr_zones - 1 ||
		    r->zone_words != (r->nr_zones + BD_WORD_BITS - 1) / BD_WORD_BITS)
			BD_FAIL("range %u: bad zones", ri);
		if (ri > 0 && a->range[ri - 1].end_pfn > r->base_pfn)
			BD_FAIL("ranges %u and %u unsorted or overlapping", ri - 1, ri);
		uint64_t listed = 0, walked, range_free;
		for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++) {
			uint64_t blocks;
			if (bd_check_order(a, ri, o, &blocks) != 0)
				return -1;
			per_order[o] += blocks;
			listed += blocks;
		}
		if (bd_check_any(r, ri) != 0)
			return -1;
		if (bd_check_cover(a, ri, &walked, &range_free) != 0)
			return -1;
		if (walked != listed)
			BD_FAIL("range %u: %lu blocks listed, %lu found by address", ri,
				(unsigned long)listed, (unsigned long)walked);
		total += r->end_pfn - r->base_pfn;
		free_pages += range_free;
		meta += r->meta_bytes;
	}
	for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++) {
		if (per_order[o] != a->nr_free[o])
			BD_FAIL("order %u: counter %lu, %lu listed", o,
				(unsigned long)a->nr_free[o], (unsigned long)per_order[o]);
	}
	if (total != a->total_pages || free_pages != a->free_pages || meta != a->meta_bytes)
		BD_FAIL("counters total %lu free %lu meta %lu, found %lu %lu %lu",
			(unsigned long)a->total_pages, (unsigned long)a->free_pages,
			(unsigned long)a->meta_bytes, (unsigned long)total,
			(unsigned long)free_pages, (unsigned long)meta);
	return 0;
}

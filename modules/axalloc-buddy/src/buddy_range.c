/*
 * buddy_range.c - setting up a buddy allocator: init, the metadata layout
 * of a range, adding ranges, and the statistics snapshot.
 */
#include "buddy_internal.h"
#include <errno.h>
#include <string.h>

_Static_assert(PGALLOC_NR_ORDERS <= 32, "orders and zone_orders hold one bit per order");
_Static_assert(((PGALLOC_MAX_ORDER << 1) | 1) < BUDDY_NO_HEAD, "head codes fit a byte");

#define BD_META_ALIGN 8

/* Where the metadata arrays of one range lie in its meta buffer. */
struct bd_layout {
	uint64_t base_pfn, end_pfn, origin_pfn;
	uint64_t link_off, used_off, zone_off, orders_off, head_off;
	uint64_t pairs;
	unsigned zone_shift;
	uint32_t nr_zones, zone_words;
	uint64_t bytes;
};

/* Zones of 2^shift frames that [base_pfn, end_pfn) touches. */
static uint64_t bd_zones_of(uint64_t base_pfn, uint64_t end_pfn, unsigned shift)
{
	return ((end_pfn - 1) >> shift) - (base_pfn >> shift) + 1;
}

/* Computes the layout of [base, base + size); false if the range is invalid. */
static bool bd_layout(paddr_t base, uint64_t size, struct bd_layout *l)
{
	if (size == 0 || !IS_ALIGNED(base, PAGE_SIZE_4K) || !IS_ALIGNED(size, PAGE_SIZE_4K))
		return false;
	if (size > UINT64_MAX - base)
		return false;
	if (size >> PAGE_SHIFT > BUDDY_MAX_RANGE_FRAMES)
		return false;
	l->base_pfn = base >> PAGE_SHIFT;
	l->end_pfn = l->base_pfn + (size >> PAGE_SHIFT);
	l->origin_pfn = l->base_pfn & ~(uint64_t)1;
	uint64_t frames = l->end_pfn - l->origin_pfn;
	l->pairs = (frames + 1) / 2;
	uint64_t words = (frames + BD_WORD_BITS - 1) / BD_WORD_BITS;
	l->zone_shift = BUDDY_ZONE_MIN_SHIFT;
	while (bd_zones_of(l->base_pfn, l->end_pfn, l->zone_shift) > BUDDY_MAX_ZONES)
		l->zone_shift++;
	l->nr_zones = (uint32_t)bd_zones_of(l->base_pfn, l->end_pfn, l->zone_shift);
	l->zone_words = (l->nr_zones + BD_WORD_BITS - 1) / BD_WORD_BITS;
	uint64_t sentinels = (uint64_t)l->nr_zones * PGALLOC_NR_ORDERS;
	l->link_off = 0;
	l->used_off = l->link_off + (l->pairs + sentinels) * sizeof(struct buddy_link);
	l->zone_off = l->used_off + words * sizeof(uint64_t);
	/* a zone bitmap per order and BD_ZONE_ANY */
	l->orders_off = l->zone_off + (BD_ZONE_ANY + 1) * (l->zone_words + 1) * sizeof(uint64_t);
	l->head_off = l->orders_off + l->nr_zones * sizeof(uint32_t);
	l->bytes = ALIGN_UP(l->head_off + l->pairs, (uint64_t)BD_META_ALIGN);
	return true;
}

static void buddy_init(struct pgalloc *pg)
{
	struct buddy_pgalloc *a = buddy_of(pg);

	memset(a, 0, sizeof(*a));
}

static size_t buddy_meta_bytes(paddr_t base, uint64_t size)
{
	struct bd_layout l;
	if (!bd_layout(base, size, &l) || l.bytes > SIZE_MAX)
		return 0;
	return (size_t)l.bytes;
}

static int buddy_add_memory(struct pgalloc *pg, paddr_t base, uint64_t size, void *meta)
{
	struct buddy_pgalloc *a = buddy_of(pg);
	struct bd_layout l;
	if (!bd_layout(base, size, &l) || l.bytes > SIZE_MAX)
		return -EINVAL;
	if (meta == NULL || !IS_ALIGNED((uintptr_t)meta, (uintptr_t)BD_META_ALIGN))
		return -EINVAL;

	unsigned pos = 0;
	for (unsigned i = 0; i < a->nr_ranges; i++) {
		const struct buddy_range *r = &a->range[i];
		if (l.base_pfn < r->end_pfn && r->base_pfn < l.end_pfn)
			return -EEXIST;
		if (r->base_pfn < l.base_pfn)
			pos = i + 1;
	}
	if (a->nr_ranges == PGALLOC_MAX_RANGES)
		return -ENOMEM;

	bd_settle(a);
	memmove(&a->range[pos + 1], &a->range[pos],
		(a->nr_ranges - pos) * sizeof(struct buddy_range));
	a->nr_ranges++;
	struct buddy_range *r = &a->range[pos];
	uint8_t *m = meta;
	r->base_pfn = l.base_pfn;
	r->end_pfn = l.end_pfn;
	r->origin_pfn = l.origin_pfn;
	r->link = (struct buddy_link *)(void *)(m + l.link_off);
	r->used = (uint64_t *)(void *)(m + l.used_off);
	r->zone_bits = (uint64_t *)(void *)(m + l.zone_off);
	r->zone_orders = (uint32_t *)(void *)(m + l.orders_off);
	r->head = m + l.head_off;
	r->meta_bytes = l.bytes;
	r->orders = 0;
	r->zone_shift = l.zone_shift;
	r->zone_first = l.base_pfn >> l.zone_shift;
	r->nr_zones = l.nr_zones;
	r->zone_words = l.zone_words;
	r->sentinel = (uint32_t)(2 * l.pairs);
	memset(r->used, 0, l.head_off - l.used_off); /* used bits, zone bits and masks */
	memset(r->head, BUDDY_NO_HEAD, l.pairs);
	for (unsigned z = 0; z < l.nr_zones; z++) {
		for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++) {
			uint32_t s = bd_sentinel(r, z, o);
			r->link[s >> 1].next = s;
			r->link[s >> 1].prev = s;
		}
	}

	bd_list_add_span(a, pos, l.base_pfn, l.end_pfn);
	a->total_pages += l.end_pfn - l.base_pfn;
	a->free_pages += l.end_pfn - l.base_pfn;
	a->meta_bytes += l.bytes;
	/* The grouping windows stay whole zones: fast placement within them. */
	if (pg->group_size < (PAGE_SIZE_4K << l.zone_shift))
		pg->group_size = PAGE_SIZE_4K << l.zone_shift;
	return 0;
}

static void buddy_stats(const struct pgalloc *pg, struct pgalloc_stats *st)
{
	const struct buddy_pgalloc *a = buddy_of(pg);

	memset(st, 0, sizeof(*st));
	st->total_pages = a->total_pages;
	st->free_pages = a->free_pages;
	st->used_pages = a->total_pages - a->free_pages;
	for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++)
		st->free_blocks[o] = a->nr_free[o];
	uint64_t orders = 0;
	for (unsigned ri = 0; ri < a->nr_ranges; ri++)
		orders |= a->range[ri].orders;
	const struct buddy_deferred *d = &a->deferred;
	if (d->n != 0) {
		/* The split block is listed but not free; its tail will be listed
		 * as one block at each set bit of its page count. */
		uint64_t tail = bd_pages(d->order) - d->n;
		if (--st->free_blocks[d->order] == 0)
			orders &= ~((uint64_t)1 << d->order);
		for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++)
			st->free_blocks[o] += (tail >> o) & 1;
		orders |= tail;
	}
	st->largest_free_order = orders ? bd_log2_floor(orders) : 0;
	st->meta_bytes = a->meta_bytes;
}

const struct pgalloc_ops buddy_pgalloc_ops = {
    .name = "buddy",
    .state_size = sizeof(struct buddy_pgalloc),
    .init = buddy_init,
    .meta_bytes = buddy_meta_bytes,
    .add_memory = buddy_add_memory,
    .alloc = buddy_alloc,
    .alloc_in = buddy_alloc_in,
    .alloc_at = buddy_alloc_at,
    .free = buddy_free,
    .used_pages = buddy_used_pages,
    .stats = buddy_stats,
    .check = buddy_check,
};

/*
 * bitmap_stats.c - statistics of the bitmap allocator: page counts and the
 * free-block histogram (free runs split as a buddy allocator would hold them).
 */
#include <string.h>

#include "bitmap_internal.h"

/* Leaf bit index of the first used page at or after leaf bit i of r (nbits if none). */
static uint64_t next_used(const struct bitmap_range *r, uint64_t i)
{
	const uint64_t *leaf = r->free.lvl[0];
	uint64_t nwords = level_bitmap_level_words(&r->free, 0);
	uint64_t w = i >> LEVEL_BITMAP_WORD_SHIFT;
	uint64_t bits = ~leaf[w] & (~0ULL << (i & LEVEL_BITMAP_WORD_MASK));
	uint64_t j;

	while (bits == 0) {
		if (++w == nwords)
			return r->free.nbits;
		bits = ~leaf[w];
	}
	j = (w << LEVEL_BITMAP_WORD_SHIFT) + (uint64_t)ctz64(bits);
	return j < r->free.nbits ? j : r->free.nbits;
}

/* Adds the free run of pfns [start, end) to blocks[] as maximal naturally aligned blocks. */
static void count_run(uint64_t start, uint64_t end, uint64_t *blocks)
{
	while (start < end) {
		/* Limited by the alignment of start (ctz64(0) = 64), the length left, and 1G. */
		int order = PGALLOC_MAX_ORDER;

		if (ctz64(start) < order)
			order = ctz64(start);
		if (log2_floor64(end - start) < order)
			order = log2_floor64(end - start);
		blocks[order]++;
		start += 1ULL << order;
	}
}

void bitmap_stats(const struct pgalloc *pg, struct pgalloc_stats *st)
{
	const struct bitmap_pgalloc *a = bitmap_of(pg);

	memset(st, 0, sizeof(*st));
	st->total_pages = a->total_pages;
	st->free_pages = a->free_pages;
	st->used_pages = a->total_pages - a->free_pages;
	st->meta_bytes = a->meta_bytes;
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		const struct bitmap_range *r = &a->ranges[ri];
		uint64_t i = level_bitmap_find_next(&r->free, r->base_pfn - r->leaf_origin);

		while (i != LEVEL_BITMAP_NONE) {
			uint64_t end = next_used(r, i);
			count_run(r->leaf_origin + i, r->leaf_origin + end, st->free_blocks);
			i = level_bitmap_find_next(&r->free, end);
		}
	}
	for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++)
		if (st->free_blocks[o])
			st->largest_free_order = o;
}

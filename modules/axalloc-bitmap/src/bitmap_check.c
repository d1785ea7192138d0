/*
 * bitmap_check.c - consistency checker of the bitmap allocator, for tests:
 * recomputes every derived piece of metadata from the leaf bitmap.
 */
#include "bitmap_internal.h"

/* Number of set bits [start, end) of a bit array. */
/*
 * Checks chunk level ch whose children are the absolute numbers [child_lo,
 * child_hi), child x being bit x - child_origin of child_bits (set = full).
 */
static int check_chunks(const struct bitmap_chunks *ch, const uint64_t *child_bits,
			uint64_t child_origin, uint64_t child_lo, uint64_t child_hi)
{
	uint64_t nchunks =
	    ((child_hi - 1) >> BITMAP_CHUNK_SHIFT) - (child_lo >> BITMAP_CHUNK_SHIFT) + 1;

	if (ch->origin != child_lo >> BITMAP_CHUNK_SHIFT || ch->full.nbits != nchunks ||
	    level_bitmap_check(&ch->full) != 0)
		return -1;
	for (uint64_t c = 0; c < nchunks; c++) {
		uint64_t lo = (ch->origin + c) << BITMAP_CHUNK_SHIFT;
		uint64_t hi = lo + BITMAP_CHUNK_CHILDREN;
		uint64_t nfull;

		lo = lo < child_lo ? child_lo : lo;
		hi = hi > child_hi ? child_hi : hi;
		nfull = bitmap_count_bits(child_bits, lo - child_origin, hi - child_origin);
		if (ch->full_cnt[c] != nfull ||
		    level_bitmap_test(&ch->full, c) != (nfull == BITMAP_CHUNK_CHILDREN))
			return -1;
	}
	return 0;
}

/* Checks one range's metadata; adds its free pages to *nfree. */
static int check_range(const struct bitmap_range *r, uint64_t *nfree)
{
	const uint64_t *leaf = r->free.lvl[0];
	const struct bitmap_chunks *c2m;
	uint64_t free_pages;

	if (r->base_pfn >= r->end_pfn ||
	    r->leaf_origin != ALIGN_DOWN(r->base_pfn, (uint64_t)LEVEL_BITMAP_WORD_BITS) ||
	    r->free.nbits != r->end_pfn - r->leaf_origin || level_bitmap_check(&r->free) != 0)
		return -1;
	/* No free bit below base_pfn (bits above end_pfn are beyond nbits: checked above). */
	if (bitmap_count_bits(leaf, 0, r->base_pfn - r->leaf_origin) != 0)
		return -1;
	free_pages = bitmap_count_bits(leaf, 0, r->free.nbits);
	if (free_pages != r->free_pages)
		return -1;
	if (r->hint >= level_bitmap_level_words(&r->free, 0) ||
	    bitmap_count_bits(leaf, 0, r->hint << LEVEL_BITMAP_WORD_SHIFT) != 0)
		return -1;
	c2m = &r->chunks[BITMAP_CHUNK_2M];
	if (check_chunks(c2m, leaf, r->leaf_origin, r->base_pfn, r->end_pfn) != 0 ||
	    check_chunks(&r->chunks[BITMAP_CHUNK_1G], c2m->full.lvl[0], c2m->origin, c2m->origin,
			 c2m->origin + c2m->full.nbits) != 0)
		return -1;
	*nfree += free_pages;
	return 0;
}

int bitmap_check(const struct pgalloc *pg)
{
	const struct bitmap_pgalloc *a = bitmap_of(pg);
	uint64_t total = 0, nfree = 0;
	size_t meta = 0;

	if (a->nr_ranges > PGALLOC_MAX_RANGES)
		return -1;
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		const struct bitmap_range *r = &a->ranges[ri];
		if (ri > 0 && a->ranges[ri - 1].end_pfn > r->base_pfn)
			return -1;
		if (check_range(r, &nfree) != 0 ||
		    r->meta_bytes != bitmap_meta_bytes(r->base_pfn << PAGE_SHIFT,
						       (r->end_pfn - r->base_pfn) << PAGE_SHIFT))
			return -1;
		total += r->end_pfn - r->base_pfn;
		meta += r->meta_bytes;
	}
	if (total != a->total_pages || nfree != a->free_pages || meta != a->meta_bytes)
		return -1;
	return 0;
}

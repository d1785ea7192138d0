/*
 * bitmap.c - the hierarchical-bitmap page allocator: ranges, alloc, alloc_at, free.
 * Layout and invariants are described in <axalloc-bitmap/bitmap.h>.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "bitmap_internal.h"

#define META_ALIGN 8

/* Where each piece of a range's metadata goes, computed from its pages alone. */
struct layout {
	uint64_t leaf_origin;
	uint64_t leaf_bits;
	uint64_t chunk_origin[BITMAP_NR_CHUNK_LEVELS];
	uint64_t nchunks[BITMAP_NR_CHUNK_LEVELS];
	size_t bytes;
};

/* log2 of the pages in a chunk of each level. */
static const unsigned level_shift[BITMAP_NR_CHUNK_LEVELS] = {
    [BITMAP_CHUNK_2M] = BITMAP_SHIFT_2M,
    [BITMAP_CHUNK_1G] = BITMAP_SHIFT_1G,
};

/* Pages [base_pfn, end_pfn): bitmaps (64-bit words) first, then the 16-bit counters. */
static void layout_of(uint64_t base_pfn, uint64_t end_pfn, struct layout *l)
{
	size_t words, counters = 0;

	l->leaf_origin = ALIGN_DOWN(base_pfn, (uint64_t)LEVEL_BITMAP_WORD_BITS);
	l->leaf_bits = end_pfn - l->leaf_origin;
	words = level_bitmap_words(l->leaf_bits);
	for (unsigned L = 0; L < BITMAP_NR_CHUNK_LEVELS; L++) {
		l->chunk_origin[L] = base_pfn >> level_shift[L];
		l->nchunks[L] = ((end_pfn - 1) >> level_shift[L]) - l->chunk_origin[L] + 1;
		words += level_bitmap_words(l->nchunks[L]);
		counters += l->nchunks[L];
	}
	l->bytes =
	    ALIGN_UP(words * sizeof(uint64_t) + counters * sizeof(uint16_t), (size_t)META_ALIGN);
}

/* A range add_memory accepts: nonempty, 4K aligned, no overflow. */
static bool range_valid(paddr_t base, uint64_t size)
{
	return size != 0 && IS_ALIGNED(base, PAGE_SIZE_4K) && IS_ALIGNED(size, PAGE_SIZE_4K) &&
	       size <= UINT64_MAX - base;
}

static void bitmap_init(struct pgalloc *pg)
{
	struct bitmap_pgalloc *a = bitmap_of(pg);

	memset(a, 0, sizeof(*a));
}

size_t bitmap_meta_bytes(paddr_t base, uint64_t size)
{
	struct layout l;

	if (!range_valid(base, size))
		return 0;
	layout_of(base >> PAGE_SHIFT, (base + size) >> PAGE_SHIFT, &l);
	return l.bytes;
}

/* Builds the metadata of a fully free range r over `meta`. */
static void range_setup(struct bitmap_range *r, uint64_t base_pfn, uint64_t end_pfn, void *meta)
{
	struct layout l;
	uint64_t *words = meta;
	uint16_t *counters;

	layout_of(base_pfn, end_pfn, &l);
	memset(r, 0, sizeof(*r));
	r->base_pfn = base_pfn;
	r->end_pfn = end_pfn;
	r->leaf_origin = l.leaf_origin;
	r->free_pages = end_pfn - base_pfn;
	r->meta_bytes = l.bytes;

	level_bitmap_attach(&r->free, l.leaf_bits, words);
	words += level_bitmap_words(l.leaf_bits);
	level_bitmap_assign(&r->free, base_pfn - l.leaf_origin, l.leaf_bits, true);

	for (unsigned L = 0; L < BITMAP_NR_CHUNK_LEVELS; L++) {
		level_bitmap_attach(&r->chunks[L].full, l.nchunks[L], words);
		words += level_bitmap_words(l.nchunks[L]);
	}
	counters = (uint16_t *)words;
	for (unsigned L = 0; L < BITMAP_NR_CHUNK_LEVELS; L++) {
		r->chunks[L].full_cnt = counters;
		r->chunks[L].origin = l.chunk_origin[L];
		memset(counters, 0, l.nchunks[L] * sizeof(*counters));
		counters += l.nchunks[L];
	}
	/* 2M chunks count their pages in the range (all free); 1G chunks their full 2M chunks. */
	struct bitmap_chunks *c2m = &r->chunks[BITMAP_CHUNK_2M], *c1g = &r->chunks[BITMAP_CHUNK_1G];
	for (uint64_t c = 0; c < l.nchunks[BITMAP_CHUNK_2M]; c++) {
		uint64_t lo = (c2m->origin + c) << BITMAP_SHIFT_2M;
		uint64_t hi = lo + BITMAP_CHUNK_CHILDREN;
		lo = lo < base_pfn ? base_pfn : lo;
		hi = hi > end_pfn ? end_pfn : hi;
		c2m->full_cnt[c] = (uint16_t)(hi - lo);
		if (hi - lo == BITMAP_CHUNK_CHILDREN)
			c1g->full_cnt[((c2m->origin + c) >> BITMAP_CHUNK_SHIFT) - c1g->origin]++;
	}
	for (unsigned L = 0; L < BITMAP_NR_CHUNK_LEVELS; L++) {
		struct bitmap_chunks *ch = &r->chunks[L];
		uint64_t *bits = ch->full.lvl[0];
		for (uint64_t c = 0; c < l.nchunks[L]; c++)
			if (ch->full_cnt[c] == BITMAP_CHUNK_CHILDREN)
				bits[c >> LEVEL_BITMAP_WORD_SHIFT] |=
				    1ULL << (c & LEVEL_BITMAP_WORD_MASK);
		level_bitmap_rebuild(&ch->full);
	}
}

static int bitmap_add_memory(struct pgalloc *pg, paddr_t base, uint64_t size, void *meta)
{
	struct bitmap_pgalloc *a = bitmap_of(pg);
	uint64_t base_pfn = base >> PAGE_SHIFT, end_pfn;
	unsigned pos;

	if (!range_valid(base, size) || meta == NULL || !IS_ALIGNED((uintptr_t)meta, META_ALIGN))
		return -EINVAL;
	end_pfn = (base + size) >> PAGE_SHIFT;
	for (pos = 0; pos < a->nr_ranges; pos++) {
		const struct bitmap_range *r = &a->ranges[pos];
		if (base_pfn < r->end_pfn && r->base_pfn < end_pfn)
			return -EEXIST;
	}
	if (a->nr_ranges == PGALLOC_MAX_RANGES)
		return -ENOMEM;
	for (pos = 0; pos < a->nr_ranges && a->ranges[pos].base_pfn < base_pfn; pos++)
		;
	memmove(&a->ranges[pos + 1], &a->ranges[pos], (a->nr_ranges - pos) * sizeof(a->ranges[0]));
	range_setup(&a->ranges[pos], base_pfn, end_pfn, meta);
	a->nr_ranges++;
	a->total_pages += end_pfn - base_pfn;
	a->free_pages += end_pfn - base_pfn;
	a->meta_bytes += a->ranges[pos].meta_bytes;
	return 0;
}

/* ---- Chunk counters: full pages per 2M chunk, full 2M chunks per 1G chunk. ---- */

/*
 * k children of absolute chunk c of level ch became full (full) or stopped
 * being full (!full). Returns whether the chunk's own fullness changed.
 */
static inline bool chunk_adjust(struct bitmap_chunks *ch, uint64_t c, uint64_t k, bool full)
{
	uint64_t i = c - ch->origin;
	uint16_t old = ch->full_cnt[i];

	if (full) {
		assert(old + k <= BITMAP_CHUNK_CHILDREN);
		ch->full_cnt[i] = (uint16_t)(old + k);
		if (old + k != BITMAP_CHUNK_CHILDREN)
			return false;
		level_bitmap_set(&ch->full, i);
	} else {
		assert(old >= k);
		ch->full_cnt[i] = (uint16_t)(old - k);
		if (old != BITMAP_CHUNK_CHILDREN)
			return false;
		level_bitmap_clear(&ch->full, i);
	}
	return true;
}

/*
 * Children [first, first + n) (absolute numbers) of level ch all became full
 * (or all stopped being full). Inner chunks flip in bulk; the edge chunks are
 * adjusted by their overlap. Stores in [*lo, *hi) the absolute chunks whose
 * fullness changed: inner ones always, edges when they crossed, so the set
 * is one (possibly empty) interval.
 */
static void chunks_update(struct bitmap_chunks *ch, uint64_t first, uint64_t n, bool full,
			  uint64_t *lo, uint64_t *hi)
{
	uint64_t cf = first >> BITMAP_CHUNK_SHIFT, cl = (first + n - 1) >> BITMAP_CHUNK_SHIFT;
	bool first_flips, last_flips;

	if (cf == cl) {
		*lo = cf;
		*hi = chunk_adjust(ch, cf, n, full) ? cf + 1 : cf;
		return;
	}
	first_flips = chunk_adjust(ch, cf, ((cf + 1) << BITMAP_CHUNK_SHIFT) - first, full);
	last_flips = chunk_adjust(ch, cl, first + n - (cl << BITMAP_CHUNK_SHIFT), full);
	if (cl - cf >= 2) {
		for (uint64_t c = cf + 1; c < cl; c++) {
			assert(ch->full_cnt[c - ch->origin] == (full ? 0 : BITMAP_CHUNK_CHILDREN));
			ch->full_cnt[c - ch->origin] = full ? BITMAP_CHUNK_CHILDREN : 0;
		}
		level_bitmap_assign(&ch->full, cf + 1 - ch->origin, cl - ch->origin, full);
	}
	*lo = first_flips ? cf : cf + 1;
	*hi = last_flips ? cl + 1 : cl;
}

/* Marks pages [pfn, pfn + n) of r, all currently in the other state, free (or used). */
static void range_mark(struct bitmap_range *r, uint64_t pfn, uint64_t n, bool free)
{
	uint64_t lo, hi, lo1g, hi1g; /* [lo1g, hi1g): no level above 1G needs them */

	level_bitmap_assign(&r->free, pfn - r->leaf_origin, pfn - r->leaf_origin + n, free);
	/* The 2M chunks whose fullness flipped are the children that changed at 1G. */
	chunks_update(&r->chunks[BITMAP_CHUNK_2M], pfn, n, free, &lo, &hi);
	if (lo < hi)
		chunks_update(&r->chunks[BITMAP_CHUNK_1G], lo, hi - lo, free, &lo1g, &hi1g);
	if (free) {
		r->free_pages += n;
		if ((pfn - r->leaf_origin) >> LEVEL_BITMAP_WORD_SHIFT < r->hint)
			r->hint = (pfn - r->leaf_origin) >> LEVEL_BITMAP_WORD_SHIFT;
	} else {
		r->free_pages -= n;
	}
}

/*
 * Returns the lowest page of [pfn, pfn + n) (inside r) that is free (want_free)
 * or used (!want_free), or LEVEL_BITMAP_NONE. Whole 2M chunks whose counter says
 * they hold no such page, and entirely free 1G chunks when looking for a used
 * page, are skipped; the rest is read a word at a time.
 */
static uint64_t range_find_state(const struct bitmap_range *r, uint64_t pfn, uint64_t n,
				 bool want_free)
{
	const uint64_t *leaf = r->free.lvl[0];
	uint64_t p = pfn, end = pfn + n;

	while (p < end) {
		const struct bitmap_chunks *c1g = &r->chunks[BITMAP_CHUNK_1G];
		const struct bitmap_chunks *c2m = &r->chunks[BITMAP_CHUNK_2M];

		if (!want_free && IS_ALIGNED(p, BITMAP_PAGES_1G) && end - p >= BITMAP_PAGES_1G &&
		    level_bitmap_test(&c1g->full, (p >> BITMAP_SHIFT_1G) - c1g->origin)) {
			p += BITMAP_PAGES_1G;
			continue;
		}
		if (IS_ALIGNED(p, BITMAP_PAGES_2M) && end - p >= BITMAP_PAGES_2M &&
		    c2m->full_cnt[(p >> BITMAP_SHIFT_2M) - c2m->origin] ==
			(want_free ? 0 : BITMAP_CHUNK_CHILDREN)) {
			p += BITMAP_PAGES_2M;
			continue;
		}

		uint64_t i = p - r->leaf_origin;
		unsigned lo = i & LEVEL_BITMAP_WORD_MASK;
		uint64_t take =
		    LEVEL_BITMAP_WORD_BITS - lo < end - p ? LEVEL_BITMAP_WORD_BITS - lo : end - p;
		uint64_t mask = (take == LEVEL_BITMAP_WORD_BITS ? ~0ULL : (1ULL << take) - 1) << lo;
		uint64_t word = leaf[i >> LEVEL_BITMAP_WORD_SHIFT];
		uint64_t hit = (want_free ? word : ~word) & mask;

		if (hit)
			return r->leaf_origin + (i & ~(uint64_t)LEVEL_BITMAP_WORD_MASK) +
			       (uint64_t)ctz64(hit);
		p += take;
	}
	return LEVEL_BITMAP_NONE;
}

/* Start pfn of the lowest entirely free chunk of level L of r starting at or after pfn cursor. */
static uint64_t next_full_chunk(const struct bitmap_range *r, unsigned L, uint64_t cursor)
{
	const struct bitmap_chunks *ch = &r->chunks[L];
	unsigned shift = level_shift[L];
	uint64_t c = ((cursor + (1ULL << shift) - 1) >> shift) - ch->origin;
	uint64_t j = level_bitmap_find_next(&ch->full, c);

	return j == LEVEL_BITMAP_NONE ? LEVEL_BITMAP_NONE : (ch->origin + j) << shift;
}

/*
 * Returns the lowest pfn p of r, a multiple of align_pages, with [p, p + n)
 * free and inside [lo, hi), or LEVEL_BITMAP_NONE; 1 <= n.
 *
 * Candidates come from a cursor that only moves forward past positions proven
 * infeasible:
 *   - if align and n are both >= a chunk size, p starts an entirely free
 *     chunk of that size: the lowest one at/after the cursor comes from the
 *     chunk's full-bitmap (O(levels)), not from the pages;
 *   - else if n >= 2 * chunk - 1, [p, p + n) contains an entirely free chunk,
 *     so p >= (start of the next free chunk) + chunk - n;
 *   - otherwise p is the next free page (summary search), aligned up.
 * A candidate is then checked; on a used page u the cursor moves to u + 1.
 */
static uint64_t range_search(const struct bitmap_range *r, uint64_t n, uint64_t align_pages,
			     uint64_t lo, uint64_t hi)
{
	int start_lv = -1, contain_lv = -1;
	uint64_t cursor = r->leaf_origin + (r->hint << LEVEL_BITMAP_WORD_SHIFT);
	uint64_t end = hi < r->end_pfn ? hi : r->end_pfn, last_start;

	if (end < r->base_pfn || end - r->base_pfn < n)
		return LEVEL_BITMAP_NONE;
	last_start = end - n;

	for (int L = BITMAP_NR_CHUNK_LEVELS - 1; L >= 0; L--) {
		uint64_t unit = 1ULL << level_shift[L];
		if (start_lv < 0 && align_pages >= unit && n >= unit)
			start_lv = L;
		if (start_lv < 0 && contain_lv < 0 && n >= 2 * unit - 1)
			contain_lv = L;
	}
	if (cursor < r->base_pfn)
		cursor = r->base_pfn;
	if (cursor < lo)
		cursor = lo;

	for (;;) {
		uint64_t p, used;

		if (cursor > last_start)
			return LEVEL_BITMAP_NONE;
		if (contain_lv >= 0) {
			uint64_t unit = 1ULL << level_shift[contain_lv];
			uint64_t c = next_full_chunk(r, (unsigned)contain_lv, cursor);
			if (c == LEVEL_BITMAP_NONE)
				return LEVEL_BITMAP_NONE;
			if (c + unit > cursor + n)
				cursor = c + unit - n;
		}
		if (start_lv >= 0) {
			p = next_full_chunk(r, (unsigned)start_lv, cursor);
			if (p == LEVEL_BITMAP_NONE)
				return LEVEL_BITMAP_NONE;
			if (!IS_ALIGNED(p, align_pages)) {
				cursor = ALIGN_UP(p, align_pages);
				continue;
			}
		} else {
			uint64_t i = level_bitmap_find_next(&r->free, cursor - r->leaf_origin);
			if (i == LEVEL_BITMAP_NONE)
				return LEVEL_BITMAP_NONE;
			p = ALIGN_UP(r->leaf_origin + i, align_pages);
		}
		if (p > last_start)
			return LEVEL_BITMAP_NONE;
		used = range_find_state(r, p, n, false);
		if (used == LEVEL_BITMAP_NONE)
			return p;
		cursor = used + 1;
	}
}

/*
 * Moves r->hint to the lowest leaf word holding a free page (r has one) and
 * returns it. Out of line: the single-page path mostly finds the hint word nonzero.
 */
static __attribute__((noinline)) uint64_t hint_advance(struct bitmap_range *r)
{
	uint64_t i = level_bitmap_find_next(&r->free, r->hint << LEVEL_BITMAP_WORD_SHIFT);

	assert(i != LEVEL_BITMAP_NONE);
	r->hint = i >> LEVEL_BITMAP_WORD_SHIFT;
	return r->hint;
}

/*
 * Lowest free page of the lowest range with one, if it lies below hi (a
 * pfn): the single-page fast path.
 */
static inline __attribute__((always_inline)) int alloc_one(struct bitmap_pgalloc *a, uint64_t hi,
							   paddr_t *out)
{
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		struct bitmap_range *r = &a->ranges[ri];
		uint64_t *leaf = r->free.lvl[0];
		uint64_t w, word, pfn;

		if (r->free_pages == 0)
			continue;
		w = r->hint;
		word = leaf[w];
		if (word == 0) {
			w = hint_advance(r);
			word = leaf[w];
		}
		pfn = r->leaf_origin + (w << LEVEL_BITMAP_WORD_SHIFT) + (uint64_t)ctz64(word);
		if (pfn >= hi)
			return -ENOMEM;
		leaf[w] = word & (word - 1);
		if (leaf[w] == 0 && r->free.nlevels > 1)
			level_bitmap_clear_from(&r->free, 1, w);
		if (chunk_adjust(&r->chunks[BITMAP_CHUNK_2M], pfn >> BITMAP_SHIFT_2M, 1, false))
			chunk_adjust(&r->chunks[BITMAP_CHUNK_1G], pfn >> BITMAP_SHIFT_1G, 1, false);
		r->free_pages--;
		a->free_pages--;
		*out = pfn << PAGE_SHIFT;
		return 0;
	}
	return -ENOMEM;
}

/*
 * Lowest fit of n pages aligned to align_pages inside pfns [lo, hi) over the
 * ranges in address order. Kept out of line so that the single-page path
 * stays small.
 */
static __attribute__((noinline)) int alloc_general(struct bitmap_pgalloc *a, uint64_t n,
						   uint64_t align_pages, uint64_t lo, uint64_t hi,
						   paddr_t *out)
{
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		struct bitmap_range *r = &a->ranges[ri];
		uint64_t p;

		if (r->free_pages < n || r->end_pfn <= lo)
			continue;
		if (r->base_pfn >= hi)
			break;
		p = range_search(r, n, align_pages, lo, hi);
		if (p == LEVEL_BITMAP_NONE)
			continue;
		range_mark(r, p, n, false);
		a->free_pages -= n;
		*out = p << PAGE_SHIFT;
		return 0;
	}
	return -ENOMEM;
}

static int bitmap_alloc_in(struct pgalloc *pg, uint64_t n, uint64_t align, paddr_t lo, paddr_t hi,
			   paddr_t *out)
{
	struct bitmap_pgalloc *a = bitmap_of(pg);

	if (out == NULL)
		return -EINVAL;
	if (n == 1 && align == PAGE_SIZE_4K && lo == 0)
		return alloc_one(a, hi >> PAGE_SHIFT, out);
	if (!pgalloc_request_valid(n, align))
		return -EINVAL;
	return alloc_general(a, n, align >> PAGE_SHIFT, (lo + PAGE_SIZE_4K - 1) >> PAGE_SHIFT,
			     hi >> PAGE_SHIFT, out);
}

/* A single movable page is the fast path: alloc_one below the movable limit. */
static int bitmap_alloc(struct pgalloc *pg, uint64_t n, uint64_t align, enum pgalloc_mobility mob,
			paddr_t *out)
{
	if (n == 1 && align == PAGE_SIZE_4K && mob == PGALLOC_MOVABLE && out != NULL)
		return alloc_one(bitmap_of(pg), pg->movable_limit >> PAGE_SHIFT, out) == 0
			   ? 0
			   : pgalloc_alloc_grouped(pg, 1, PAGE_SIZE_4K, mob, out);
	return pgalloc_alloc_by_mobility(pg, n, align, mob, out);
}

/* The range holding all of pages [pfn, pfn + n), or NULL. */
static struct bitmap_range *range_of(struct bitmap_pgalloc *a, uint64_t pfn, uint64_t n)
{
	for (unsigned ri = 0; ri < a->nr_ranges; ri++) {
		struct bitmap_range *r = &a->ranges[ri];
		if (pfn < r->end_pfn)
			return pfn >= r->base_pfn && n <= r->end_pfn - pfn ? r : NULL;
	}
	return NULL;
}

/*
 * Validates (addr, n) of alloc_at / free; returns the range holding it or NULL.
 * A range that overflows the address space is inside no managed range.
 */
static struct bitmap_range *checked_range(struct bitmap_pgalloc *a, paddr_t addr, uint64_t n)
{
	if (n == 0 || !IS_ALIGNED(addr, PAGE_SIZE_4K))
		return NULL;
	return range_of(a, addr >> PAGE_SHIFT, n);
}

static int bitmap_alloc_at(struct pgalloc *pg, paddr_t addr, uint64_t n)
{
	struct bitmap_pgalloc *a = bitmap_of(pg);
	struct bitmap_range *r = checked_range(a, addr, n);
	uint64_t pfn = addr >> PAGE_SHIFT;

	if (r == NULL)
		return -EINVAL;
	if (range_find_state(r, pfn, n, false) != LEVEL_BITMAP_NONE)
		return -EEXIST;
	range_mark(r, pfn, n, false);
	a->free_pages -= n;
	return 0;
}

/* Frees n > 1 pages at pfn of r (out of line: keeps the single-page path small). */
static __attribute__((noinline)) int free_many(struct bitmap_range *r, uint64_t pfn, uint64_t n)
{
	if (range_find_state(r, pfn, n, true) != LEVEL_BITMAP_NONE)
		return -ENOENT;
	range_mark(r, pfn, n, true);
	return 0;
}

static int bitmap_free(struct pgalloc *pg, paddr_t addr, uint64_t n)
{
	struct bitmap_pgalloc *a = bitmap_of(pg);
	struct bitmap_range *r = checked_range(a, addr, n);
	uint64_t pfn = addr >> PAGE_SHIFT;

	if (r == NULL)
		return -EINVAL;
	if (n == 1) {
		uint64_t i = pfn - r->leaf_origin, w = i >> LEVEL_BITMAP_WORD_SHIFT;
		uint64_t bit = 1ULL << (i & LEVEL_BITMAP_WORD_MASK);
		uint64_t *leaf = r->free.lvl[0];
		uint64_t word = leaf[w];

		if (word & bit)
			return -ENOENT;
		leaf[w] = word | bit;
		if (word == 0 && r->free.nlevels > 1)
			level_bitmap_set_from(&r->free, 1, w);
		if (chunk_adjust(&r->chunks[BITMAP_CHUNK_2M], pfn >> BITMAP_SHIFT_2M, 1, true))
			chunk_adjust(&r->chunks[BITMAP_CHUNK_1G], pfn >> BITMAP_SHIFT_1G, 1, true);
		r->free_pages++;
		if (w < r->hint)
			r->hint = w;
	} else {
		int err = free_many(r, pfn, n);
		if (err)
			return err;
	}
	a->free_pages += n;
	return 0;
}

uint64_t bitmap_count_bits(const uint64_t *bits, uint64_t start, uint64_t end)
{
	uint64_t n = 0;

	for (uint64_t i = start; i < end;) {
		unsigned lo = i & LEVEL_BITMAP_WORD_MASK;
		uint64_t take =
		    LEVEL_BITMAP_WORD_BITS - lo < end - i ? LEVEL_BITMAP_WORD_BITS - lo : end - i;
		uint64_t mask = (take == LEVEL_BITMAP_WORD_BITS ? ~0ULL : (1ULL << take) - 1) << lo;
		n += (uint64_t)popcount64(bits[i >> LEVEL_BITMAP_WORD_SHIFT] & mask);
		i += take;
	}
	return n;
}

/* A whole 2M chunk is answered by its counter of free pages, anything else by the leaf. */
static uint64_t bitmap_used_pages(const struct pgalloc *pg, paddr_t addr, uint64_t n)
{
	struct bitmap_range *r = checked_range(bitmap_of((struct pgalloc *)pg), addr, n);
	uint64_t pfn = addr >> PAGE_SHIFT;

	if (r == NULL)
		return 0;
	if (n == BITMAP_PAGES_2M && IS_ALIGNED(pfn, BITMAP_PAGES_2M))
		return n -
		       r->chunks[BITMAP_CHUNK_2M]
			   .full_cnt[(pfn >> BITMAP_SHIFT_2M) - r->chunks[BITMAP_CHUNK_2M].origin];
	return n -
	       bitmap_count_bits(r->free.lvl[0], pfn - r->leaf_origin, pfn - r->leaf_origin + n);
}

const struct pgalloc_ops bitmap_pgalloc_ops = {
    .name = "bitmap",
    .state_size = sizeof(struct bitmap_pgalloc),
    .init = bitmap_init,
    .meta_bytes = bitmap_meta_bytes,
    .add_memory = bitmap_add_memory,
    .alloc = bitmap_alloc,
    .alloc_in = bitmap_alloc_in,
    .alloc_at = bitmap_alloc_at,
    .free = bitmap_free,
    .used_pages = bitmap_used_pages,
    .stats = bitmap_stats,
    .check = bitmap_check,
};

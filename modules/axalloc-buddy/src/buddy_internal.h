/*
 * buddy_internal.h - primitives shared by the buddy allocator's sources:
 * order arithmetic, the allocated-frame bitmap, head codes and the per-order
 * free lists. Frames are named by physical frame number (pfn); the metadata
 * arrays of a range are indexed by pfn - origin_pfn.
 */
#ifndef AXALLOC_BUDDY_INTERNAL_H
#define AXALLOC_BUDDY_INTERNAL_H

#include <assert.h>
#include <axalloc-buddy/buddy.h>
#include <errno.h>
#include <klib/list.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The buddy allocator whose interface head is pg. */
#define buddy_of(pg) container_of(pg, struct buddy_pgalloc, pgalloc)

/* The operations buddy_pgalloc_ops names that live outside buddy_range.c. */
int buddy_alloc(struct pgalloc *pg, uint64_t n, uint64_t align, enum pgalloc_mobility mob,
		paddr_t *out);
int buddy_alloc_in(struct pgalloc *pg, uint64_t n, uint64_t align, paddr_t lo, paddr_t hi,
		   paddr_t *out);
int buddy_alloc_at(struct pgalloc *pg, paddr_t addr, uint64_t n);
int buddy_free(struct pgalloc *pg, paddr_t addr, uint64_t n);
/* The used bits of the pages, counted a word at a time. */
uint64_t buddy_used_pages(const struct pgalloc *pg, paddr_t addr, uint64_t n);
/*
 * Lists are well linked and hold aligned in-range blocks whose pages are all
 * free; the free blocks cover every free page exactly once; no two free
 * buddies are left unmerged; every head code belongs to a listed block;
 * masks and counters match (the deferred split block is listed but holds the
 * used pages of the last allocation and its free tail).
 */
int buddy_check(const struct pgalloc *pg);

#define BD_WORD_BITS 64
#define BD_ALL_ONES  (~(uint64_t)0)

/* Pages in a block of `order`. */
static inline uint64_t bd_pages(unsigned order)
{
	return (uint64_t)1 << order;
}

/* floor(log2 x), x > 0. */
static inline unsigned bd_log2_floor(uint64_t x)
{
	return (unsigned)(BD_WORD_BITS - 1 - __builtin_clzll(x));
}

/* Order of the largest aligned block that starts at pfn and fits in len (> 0) pages. */
static inline unsigned bd_fit_order(uint64_t pfn, uint64_t len)
{
	unsigned o = bd_log2_floor(len);
	if (pfn != 0 && (unsigned)__builtin_ctzll(pfn) < o)
		o = (unsigned)__builtin_ctzll(pfn);
	return o < PGALLOC_MAX_ORDER ? o : PGALLOC_MAX_ORDER;
}

/* Index of frame pfn in range r's bitmap; pair index = index / 2 (origin is even). */
static inline uint64_t bd_idx(const struct buddy_range *r, uint64_t pfn)
{
	return pfn - r->origin_pfn;
}

/* ---- allocated-frame bitmap (bit set = allocated), indices relative to origin ---- */

/* Sets (set) or clears the bits [i, end), i < end: partial first and last words, whole between. */
static inline void bd_bits_fill(uint64_t *bm, uint64_t i, uint64_t end, bool set)
{
	uint64_t w = i / BD_WORD_BITS, last = (end - 1) / BD_WORD_BITS;
	uint64_t m = BD_ALL_ONES << (i % BD_WORD_BITS);
	uint64_t last_mask = BD_ALL_ONES >> (BD_WORD_BITS - 1 - (end - 1) % BD_WORD_BITS);

	assert(i < end);
	if (w < last) {
		memset(&bm[w + 1], set ? 0xff : 0, (last - w - 1) * sizeof(*bm));
		bm[last] = set ? bm[last] | last_mask : bm[last] & ~last_mask;
	} else {
		m &= last_mask;
	}
	bm[w] = set ? bm[w] | m : bm[w] & ~m;
}

/* Whether bit i is set. */
static inline bool bd_bits_test(const uint64_t *bm, uint64_t i)
{
	return (bm[i / BD_WORD_BITS] >> (i % BD_WORD_BITS)) & 1;
}

/* First index in [i, end) whose bit equals `set`, or end if none. */
static inline uint64_t bd_bits_find(const uint64_t *bm, uint64_t i, uint64_t end, bool set)
{
	uint64_t flip = set ? 0 : BD_ALL_ONES;
	while (i < end) {
		uint64_t w = (bm[i / BD_WORD_BITS] ^ flip) >> (i % BD_WORD_BITS);
		if (w != 0) {
			uint64_t hit = i + (uint64_t)__builtin_ctzll(w);
			return hit < end ? hit : end;
		}
		i = (i | (BD_WORD_BITS - 1)) + 1;
	}
	return end;
}

/* ---- head codes: which frame of a pair heads a free block, and its order ---- */

/* Head code of a free block of `order` headed by pfn (odd pfn only for order 0). */
static inline uint8_t bd_code(uint64_t pfn, unsigned order)
{
	return (uint8_t)((order << 1) | (pfn & 1));
}

/* True if pfn heads a free block of exactly `order`. */
static inline bool bd_is_head(const struct buddy_range *r, uint64_t pfn, unsigned order)
{
	return r->head[bd_idx(r, pfn) >> 1] == bd_code(pfn, order);
}

/* Order of the free block headed by pfn, or -1 if pfn heads none. */
static inline int bd_head_order(const struct buddy_range *r, uint64_t pfn)
{
	uint8_t c = r->head[bd_idx(r, pfn) >> 1];
	if (c == BUDDY_NO_HEAD || (c & 1) != (pfn & 1))
		return -1;
	return c >> 1;
}

/* ---- zones: per order, which zones of a range have a non-empty list ---- */

/* The zone bitmap that marks the zones listing a block of any order. */
#define BD_ZONE_ANY PGALLOC_NR_ORDERS

/* The zone of range r that frame pfn lies in. */
static inline unsigned bd_zone(const struct buddy_range *r, uint64_t pfn)
{
	return (unsigned)((pfn >> r->zone_shift) - r->zone_first);
}

/*
 * Zone bitmap of `order` (or BD_ZONE_ANY): word 0 sums up words
 * 1..zone_words (bit w: word 1 + w non-zero).
 */
static inline uint64_t *bd_zone_bits(const struct buddy_range *r, unsigned order)
{
	return &r->zone_bits[order * (r->zone_words + 1)];
}

/* Notes that zone z's list of `order` (BD_ZONE_ANY: some list) is no longer empty. */
static inline void bd_zone_mark(const struct buddy_range *r, unsigned order, unsigned z)
{
	uint64_t *zb = bd_zone_bits(r, order);
	unsigned w = z / BD_WORD_BITS;
	if (zb[1 + w] == 0)
		zb[0] |= (uint64_t)1 << w;
	zb[1 + w] |= (uint64_t)1 << (z % BD_WORD_BITS);
}

/* Notes that zone z's list of `order` (or every list) is empty; true if every zone's is. */
static inline bool bd_zone_unmark(const struct buddy_range *r, unsigned order, unsigned z)
{
	uint64_t *zb = bd_zone_bits(r, order);
	unsigned w = z / BD_WORD_BITS;
	zb[1 + w] &= ~((uint64_t)1 << (z % BD_WORD_BITS));
	if (zb[1 + w] != 0)
		return false;
	zb[0] &= ~((uint64_t)1 << w);
	return zb[0] == 0;
}

/* The first pfn of zone z of range r (below base_pfn for zone 0 of an unaligned range). */
static inline uint64_t bd_zone_start(const struct buddy_range *r, unsigned z)
{
	return (r->zone_first + z) << r->zone_shift;
}

/* The first zone of range r that starts at or above pfn lo (0 when lo <= base_pfn). */
static inline unsigned bd_zone_at_or_above(const struct buddy_range *r, uint64_t lo)
{
	if (lo <= r->base_pfn)
		return 0;
	uint64_t z = ((lo + bd_pages(r->zone_shift) - 1) >> r->zone_shift) - r->zone_first;
	return z < r->nr_zones ? (unsigned)z : r->nr_zones;
}

/* The first zone >= z whose list of `order` (or BD_ZONE_ANY) is non-empty, or nr_zones. */
unsigned bd_zone_next(const struct buddy_range *r, unsigned order, unsigned z);

/* ---- free lists: circular, doubly linked through the pair records ---- */

/* Link index of the sentinel record that heads the list of `order` in zone z. */
static inline uint32_t bd_sentinel(const struct buddy_range *r, unsigned z, unsigned order)
{
	return r->sentinel + 2 * (z * PGALLOC_NR_ORDERS + order);
}

/* Link index of the first block on a list; the sentinel if it is empty. */
static inline uint32_t bd_list_first(const struct buddy_range *r, unsigned z, unsigned order)
{
	return r->link[bd_sentinel(r, z, order) >> 1].next;
}

/* Puts the block [pfn, pfn + 2^order) of range ri at the front of its zone's list. */
static inline void bd_list_add(struct buddy_pgalloc *a, unsigned ri, uint64_t pfn, unsigned order)
{
	struct buddy_range *r = &a->range[ri];
	uint32_t idx = (uint32_t)bd_idx(r, pfn);
	unsigned z = bd_zone(r, pfn);
	uint32_t s = bd_sentinel(r, z, order);
	struct buddy_link *sl = &r->link[s >> 1];
	struct buddy_link *l = &r->link[idx >> 1];
	uint32_t first = sl->next;

	assert(r->head[idx >> 1] == BUDDY_NO_HEAD);
	l->next = first;
	l->prev = s;
	r->link[first >> 1].prev = idx;
	sl->next = idx;
	r->head[idx >> 1] = bd_code(pfn, order);
	a->nr_free[order]++;
	if (first == s) { /* the list was empty */
		bd_zone_mark(r, order, z);
		if (r->zone_orders[z] == 0) /* and so was the zone */
			bd_zone_mark(r, BD_ZONE_ANY, z);
		r->zone_orders[z] |= 1u << order;
		r->orders |= 1u << order;
	}
}

/* Takes the free block headed by pfn (of `order`) off its list in O(1). */
static inline void bd_list_del(struct buddy_pgalloc *a, unsigned ri, uint64_t pfn, unsigned order)
{
	struct buddy_range *r = &a->range[ri];
	uint32_t idx = (uint32_t)bd_idx(r, pfn);
	struct buddy_link *l = &r->link[idx >> 1];
	uint32_t next = l->next;
	uint32_t prev = l->prev;

	assert(bd_is_head(r, pfn, order));
	r->link[prev >> 1].next = next;
	r->link[next >> 1].prev = prev;
	r->head[idx >> 1] = BUDDY_NO_HEAD;
	a->nr_free[order]--;
	if (next != prev) /* more than the sentinel is left */
		return;
	unsigned z = bd_zone(r, pfn);
	r->zone_orders[z] &= ~(1u << order);
	if (r->zone_orders[z] == 0)
		bd_zone_unmark(r, BD_ZONE_ANY, z);
	if (bd_zone_unmark(r, order, z)) /* no other zone has such a block */
		r->orders &= ~(1u << order);
}

/*
 * Lists the free pages [pfn, end) of range ri as their maximal aligned
 * blocks, without merging: the caller guarantees that no block of it has a
 * free buddy (true for what is left of a free block around an allocation).
 */
static inline void bd_list_add_span(struct buddy_pgalloc *a, unsigned ri, uint64_t pfn,
				    uint64_t end)
{
	while (pfn < end) {
		unsigned o = bd_fit_order(pfn, end - pfn);
		bd_list_add(a, ri, pfn, o);
		pfn += bd_pages(o);
	}
}

/*
 * The range that holds all of the pages [addr, addr + n * 4K), with addr
 * 4K aligned, n >= 1 and no overflow: stores the first pfn and returns the
 * range's index, or returns -EINVAL.
 */
static inline int bd_range_of(const struct buddy_pgalloc *a, paddr_t addr, uint64_t n,
			      uint64_t *pfn)
{
	*pfn = addr >> PAGE_SHIFT;
	if (n == 0 || n > PGALLOC_MAX_PAGES || !IS_ALIGNED(addr, PAGE_SIZE_4K) ||
	    *pfn > PGALLOC_MAX_PAGES - n)
		return -EINVAL;
	for (unsigned i = 0; i < a->nr_ranges; i++) {
		const struct buddy_range *r = &a->range[i];
		if (*pfn >= r->base_pfn && *pfn < r->end_pfn)
			return n <= r->end_pfn - *pfn ? (int)i : -EINVAL;
	}
	return -EINVAL;
}

/* Ends the deferred split (there is one): takes the block off its list, lists its tail. */
void bd_settle_tail(struct buddy_pgalloc *a);

/* Ends the deferred split, if any (every call but its exact undo does this first). */
static inline void bd_settle(struct buddy_pgalloc *a)
{
	if (a->deferred.n != 0)
		bd_settle_tail(a);
}

/* The pfn of the free block of range r that contains the free frame pfn. */
uint64_t bd_block_containing(const struct buddy_range *r, uint64_t pfn);

/* Allocates [t0, t1) of range ri, all free, out of the blocks that cover it. */
void bd_carve(struct buddy_pgalloc *a, unsigned ri, uint64_t t0, uint64_t t1);

/*
 * First-fit placement of n pages (2 <= n <= 2^PGALLOC_MAX_ORDER) aligned to
 * 2^align_order pages inside pfns [lo, hi): the lowest-address such run of
 * free pages overlapping a block listed in a zone that starts at or above
 * lo, found zone by zone through the lists of the orders such a run must
 * overlap and carved out of the blocks covering it. Returns 0 (placed),
 * -ENOMEM (no such run) or -EAGAIN (gave up after BUDDY_FIT_BUDGET blocks);
 * nothing changes unless it is placed.
 */
int bd_first_fit(struct buddy_pgalloc *a, uint64_t n, unsigned align_order, uint64_t lo,
		 uint64_t hi, uint64_t *pfn);

/*
 * Slow path of buddy_alloc_in, for when no listed block can hold the request:
 * the lowest aligned run of n free pages inside pfns [lo, hi) of each range
 * in turn, found by scanning the used bits, carved out. False if none
 * exists.
 */
bool bd_search(struct buddy_pgalloc *a, uint64_t n, unsigned align_order, uint64_t lo, uint64_t hi,
	       uint64_t *pfn);

/*
 * bd_search for when the fast placements tried every listed block of the
 * zones at or above lo: a run they cannot see starts at the window's
 * edges only - between lo and the first such zone, inside the free block
 * that reaches up across lo from below, or in the zone that hi cuts - so
 * only those starts are scanned. Same result as bd_search.
 */
bool bd_search_edges(struct buddy_pgalloc *a, uint64_t n, unsigned align_order, uint64_t lo,
		     uint64_t hi, uint64_t *pfn);

#endif

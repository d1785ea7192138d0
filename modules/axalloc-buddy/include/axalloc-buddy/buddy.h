/*
 * axalloc-buddy/buddy.h - buddy physical page allocator.
 *
 * Meets the page-allocator contract of <axalloc/pgalloc.h> under the buddy_
 * prefix. Free memory is kept as naturally aligned blocks of 2^o pages,
 * o = 0 (4K) .. PGALLOC_MAX_ORDER (1G), on doubly linked free lists, one per
 * order and zone (below). Blocks are aligned on the PHYSICAL address, so a
 * range whose base is not 1G-aligned is cut into its maximal aligned blocks.
 * Two free buddies of the same order below the maximum order are always
 * merged, so the free blocks are at every moment exactly the maximal aligned
 * blocks of the free memory (the histogram pgalloc_stats describes).
 *
 * Metadata (out of band, in the caller's `meta` buffer of each range; the
 * allocator never touches the memory it manages):
 *   - one 8-byte link record {next, prev} per PAIR of frames. At most one
 *     free block has its head in a pair (two free order-0 buddies always
 *     merge), so the pair's record belongs to that block. Links are 32-bit
 *     frame indices inside the range; each list is circular through a
 *     sentinel record placed after the pair records;
 *   - one head-code byte per pair: which frame of the pair heads a free
 *     block and its order, or BUDDY_NO_HEAD. This gives the O(1) buddy test
 *     on free ("is the buddy a free block of order o?") without a list scan;
 *   - one bit per frame, set when the frame is allocated, scanned a 64-bit
 *     word at a time to reject bad frees and to search runs;
 *   - zones: a range is cut into at most BUDDY_MAX_ZONES zones of
 *     2^zone_shift frames (at least 2 MiB); each zone has its own list per
 *     order and a mask of its non-empty lists; each order has a two-level
 *     bitmap of the zones whose list is not empty (a summary word over up
 *     to 64 words), and one more such bitmap marks the zones that list any
 *     block at all.
 * That is 4.625 bytes per frame plus the zones' list heads and masks:
 * 1,293,728 bytes (1.23 MiB) for a 1 GiB range (512 zones of 2 MiB);
 * 1.17 MiB per GiB for a 64 GiB range (4096 zones of 16 MiB).
 *
 * Placement of n pages aligned to `align` (a = log2(align / 4K), s =
 * ceil(log2 n)); every policy uses the first n pages of what it picks and
 * gives the rest back as maximal aligned blocks, so no power-of-two
 * round-up is wasted:
 *   - one page (s = a = 0): the smallest listed block of the lowest zone
 *     that lists any, in O(1). Single pages pack into low memory like first
 *     fit, which keeps the high zones in large free blocks;
 *   - a block-aligned request (a >= s, e.g. 512 pages aligned to 2M): a
 *     block of the lowest order >= a that has one, from the lowest zone (of
 *     the lowest range) that has one, in O(1); within a zone the list is
 *     LIFO;
 *   - any other request (a < s: n > 1 and less alignment than a block of
 *     2^s pages has, e.g. 24 pages or 8 pages aligned to 4K): first fit,
 *     the lowest-address aligned run of n free pages, which may span
 *     several free blocks. Such a run overlaps a listed block of order >=
 *     floor(log2(n + 1)) - 1, so the zones are searched in address order
 *     through those blocks' lists and the first zone that yields a run
 *     holds the lowest one. The search looks at no more than
 *     BUDDY_FIT_BUDGET blocks; if it has found no run by then, the request
 *     is placed as a block-aligned one of order s. Packing such requests
 *     (and single pages) low keeps the free memory above them in large
 *     blocks: on seed 000's fragmentation patterns and a 90%-occupancy
 *     workload (tests/pgalloc-bench) this fails as few later requests as
 *     the bitmap allocator's first fit; taking a block of order s failed
 *     1.2 to 5.7 times as many.
 *
 * Only when no block of order >= max(a, s) exists (or n exceeds 1G) does a
 * slow path look for an aligned run of free pages that spans several
 * blocks, or a smaller block that happens to be aligned. It tries either
 * the listed blocks of the orders such a run must overlap (floor(log2 n) - 1
 * up to the request's order) or every aligned address, whichever are fewer.
 * All searches are exhaustive (first fit within its budget), so an
 * allocation fails with -ENOMEM only if no aligned run of n free pages lies
 * inside one range. A request of exactly 2^o pages aligned to 2^o pages
 * never needs the slow path (such a run would be a listed block).
 *
 * Deferred split: a block split by a single-page or block-aligned request
 * stays on its list until the next call, with its first n pages marked
 * used; its tail is free (counted in the stats as the blocks it will be
 * listed as). If that next call frees exactly this allocation, clearing the
 * used bits undoes the split in O(1), with no list touched, instead of
 * listing up to 18 tail blocks and merging them again (the alloc+free pair
 * on an empty pool); any other call first takes the block off its list and
 * lists the tail.
 *
 * Free is O(orders * log n + n / 64): the freed range is split into aligned
 * blocks, each merged with its buddy while the buddy's head code says it is
 * a free block of the same order (O(1) per order). alloc_at takes the free
 * blocks covering the range off their lists and lists what is left around it.
 *
 * Not thread-safe: the caller serialises calls (axalloc holds a lock).
 */
#ifndef AXALLOC_BUDDY_BUDDY_H
#define AXALLOC_BUDDY_BUDDY_H

#include <axalloc/pgalloc.h>
#include <stddef.h>
#include <stdint.h>

/* Head-code byte of a pair that heads no free block. */
#define BUDDY_NO_HEAD 0xffu
/* Largest range in frames (8 TiB), so that 32-bit links reach every frame. */
#define BUDDY_MAX_RANGE_FRAMES ((uint64_t)1 << 31)
/* Zones per range (64 bitmap words under one summary word) and their least size. */
#define BUDDY_MAX_ZONES	     4096
#define BUDDY_ZONE_MIN_SHIFT 9
/* Listed blocks a first-fit search looks at before it settles for a block. */
#define BUDDY_FIT_BUDGET 4096

/* The list links of the free block whose head lies in one frame pair. */
struct buddy_link {
	uint32_t next;
	uint32_t prev;
};

/* One managed physical range [base_pfn, end_pfn) and its metadata. */
struct buddy_range {
	uint64_t base_pfn;
	uint64_t end_pfn;
	uint64_t origin_pfn;	 /* base_pfn rounded down to even: index 0 below */
	struct buddy_link *link; /* per pair of frames, index (pfn - origin) / 2 */
	uint64_t *used;		 /* per frame bit, index pfn - origin */
	uint8_t *head;		 /* per pair head code: (order << 1) | (pfn & 1) */
	uint64_t *zone_bits;	 /* per order, then any order: summary word, zone_words words */
	uint32_t *zone_orders;	 /* per zone: bit o set when its list of order o is not empty */
	uint64_t meta_bytes;
	uint64_t zone_first; /* base_pfn >> zone_shift: zone 0 */
	unsigned zone_shift;
	uint32_t nr_zones;
	uint32_t zone_words;
	uint32_t sentinel; /* link index of the list head of zone 0, order 0 */
};

/* The deferred split: block [pfn, pfn + 2^order) of range `range` is still
 * listed, its first n pages allocated and the rest free. n == 0: none. */
struct buddy_deferred {
	uint64_t pfn;
	uint64_t n;
	unsigned range;
	unsigned order;
};

/* A buddy allocator; embed it anywhere (no heap needed). */
struct buddy_alloc {
	struct buddy_range range[PGALLOC_MAX_RANGES]; /* sorted by address */
	unsigned nr_ranges;
	uint32_t order_mask;			/* bit o: some list of order o non-empty */
	uint32_t range_mask[PGALLOC_NR_ORDERS]; /* bit r: range r has order-o blocks */
	uint32_t range_any;			/* bit r: range r lists some block */
	uint64_t nr_free[PGALLOC_NR_ORDERS];	/* blocks on the lists of each order */
	uint64_t total_pages;
	uint64_t free_pages; /* including the deferred tail */
	uint64_t meta_bytes;
	struct buddy_deferred deferred;
};

/* Makes `a` an allocator that manages no memory yet. Never fails. */
void buddy_init(struct buddy_alloc *a);

/*
 * Returns the metadata bytes buddy_add_memory needs for [base, base + size),
 * or 0 if the range is invalid (size 0, not 4K aligned, overflowing, or more
 * than BUDDY_MAX_RANGE_FRAMES frames).
 */
size_t buddy_meta_bytes(paddr_t base, uint64_t size);

/*
 * Adds the free physical range [base, base + size) to `a`. `meta` is a
 * buffer of buddy_meta_bytes(base, size) bytes, 8-byte aligned, any
 * contents, that `a` owns from now on. Returns 0, or -EINVAL (size 0, base
 * or size not 4K aligned, base + size overflows, range larger than
 * BUDDY_MAX_RANGE_FRAMES frames, meta NULL or misaligned), -EEXIST (overlaps
 * a range already added), -ENOMEM (PGALLOC_MAX_RANGES ranges already).
 * Nothing changes on error.
 */
int buddy_add_memory(struct buddy_alloc *a, paddr_t base, uint64_t size, void *meta);

/*
 * Allocates n contiguous pages whose physical address is a multiple of
 * `align` (a power of two from 4K to 1G, honoured for every n) and stores
 * the address in *out. Returns 0, -EINVAL (n == 0, n * 4K overflows, bad
 * align, out NULL) or -ENOMEM (no aligned run of n free pages in any range).
 * On error *out is not written and nothing observable changes (stats, free
 * pages); only -ENOMEM after a search may have listed the deferred tail.
 */
int buddy_alloc(struct buddy_alloc *a, uint64_t n, uint64_t align, paddr_t *out);

/*
 * Allocates exactly the pages [addr, addr + n * 4K). Returns 0, -EINVAL
 * (addr not 4K aligned, n == 0, overflow, not entirely inside one managed
 * range) or -EEXIST (some page of it is in use). Nothing changes on error.
 */
int buddy_alloc_at(struct buddy_alloc *a, paddr_t addr, uint64_t n);

/*
 * Frees the pages [addr, addr + n * 4K), which may be any part of one or
 * several allocations; they merge with their free buddies. Returns 0,
 * -EINVAL (addr not 4K aligned, n == 0, overflow, not entirely inside one
 * managed range) or -ENOENT (some page of it is not allocated: never
 * allocated, already free, or the range straddles allocated and free pages).
 * Nothing changes on error.
 */
int buddy_free(struct buddy_alloc *a, paddr_t addr, uint64_t n);

/*
 * Fills *st from counters in O(orders): total/free/used pages,
 * free_blocks[o] = blocks on the order-o lists, largest free order, and the
 * metadata bytes of all ranges.
 */
void buddy_stats(const struct buddy_alloc *a, struct pgalloc_stats *st);

/*
 * Consistency checker for tests, O(managed frames): verifies that the lists
 * are well linked and hold aligned in-range blocks whose pages are all free,
 * that the free blocks cover every free page exactly once, that no two free
 * buddies are left unmerged, that every head code belongs to a listed block,
 * and that masks and counters match (the deferred split block is listed
 * but holds the used pages of the last allocation and its free tail).
 * Returns 0 if all holds, otherwise prints the first violation with printf
 * and returns -1. Changes nothing.
 */
int buddy_check(const struct buddy_alloc *a);

#endif

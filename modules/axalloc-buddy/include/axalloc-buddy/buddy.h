/*
 * axalloc-buddy/buddy.h - buddy physical page allocator.
 *
 * Meets the page-allocator contract of <pgalloc/pgalloc.h> under the buddy_
 * prefix. Free memory is kept as the maximal naturally aligned (on the
 * physical address) blocks of 2^o pages, o = 0 (4K) .. PGALLOC_MAX_ORDER
 * (1G); a request for n pages uses exactly n and gives the rest back. All
 * metadata is out of band, in the caller's buffer of each range (about
 * 1.2 MiB per GiB); the managed memory is never touched.
 *
 * Not thread-safe: the caller serialises calls (axalloc holds a lock).
 * How it works (metadata, placement, deferred split): docs/buddy.md.
 */
#ifndef AXALLOC_BUDDY_BUDDY_H
#define AXALLOC_BUDDY_BUDDY_H

#include <pgalloc/pgalloc.h>
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

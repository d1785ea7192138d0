/*
 * axalloc-buddy/buddy.h - buddy physical page allocator.
 *
 * Exports the page-allocator interface of <pgalloc/pgalloc.h> as
 * buddy_pgalloc_ops over a struct buddy_pgalloc. Free memory is kept as the maximal naturally
 * aligned (on the physical address) blocks of 2^o pages, o = 0 (4K) .. PGALLOC_MAX_ORDER (1G); a
 * request for n pages uses exactly n and gives the rest back. All metadata is out of band, in the
 * caller's buffer of each range (about 1.2 MiB per GiB); the managed memory is never touched.
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
	uint32_t orders;	 /* bit o set when some zone lists a block of order o */
	uint32_t nr_zones;
	uint32_t zone_words;
	uint32_t sentinel; /* link index of the list head of zone 0, order 0 */
	unsigned zone_shift;
	uint64_t zone_first; /* base_pfn >> zone_shift: zone 0 */
	uint64_t meta_bytes;
};

/* The deferred split: block [pfn, pfn + 2^order) of range `range` is still
 * listed, its first n pages allocated and the rest free. n == 0: none. */
struct buddy_deferred {
	uint64_t pfn;
	uint64_t n;
	unsigned range;
	unsigned order;
};

/*
 * A buddy allocator; embed it anywhere (no heap needed). Used only through
 * its interface head `pgalloc`, which pgalloc_init(&x.pgalloc,
 * &buddy_pgalloc_ops) sets up.
 */
struct buddy_pgalloc {
	struct pgalloc pgalloc;
	struct buddy_range range[PGALLOC_MAX_RANGES]; /* sorted by address */
	unsigned nr_ranges;
	uint64_t nr_free[PGALLOC_NR_ORDERS]; /* blocks on the lists of each order */
	uint64_t total_pages;
	uint64_t free_pages; /* including the deferred tail */
	uint64_t meta_bytes;
	struct buddy_deferred deferred;
};

/*
 * The operations of the buddy allocator (<pgalloc/pgalloc.h>). Beyond the
 * interface's contract: pgalloc_meta_bytes is about 1.2 MiB per GiB and 0 for
 * a range of more than BUDDY_MAX_RANGE_FRAMES frames; pgalloc_alloc's -ENOMEM
 * may have listed the deferred tail (not observable in the stats);
 * pgalloc_stats is O(orders) from counters.
 */
extern const struct pgalloc_ops buddy_pgalloc_ops;

#endif

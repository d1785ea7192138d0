/*
 * axalloc-bitmap/bitmap.h - physical page allocator on a hierarchical bitmap.
 *
 * Exports the page-allocator interface of <pgalloc/pgalloc.h> as
 * bitmap_pgalloc_ops over a struct bitmap_pgalloc. Every managed range has,
 * in its caller-provided metadata buffer:
 *
 *   - a free-page bitmap, one bit per 4K page (1 = free), with summary
 *     levels above it (a <klib/level_bitmap.h>), so a free page is found
 *     with one count-trailing-zeros per level.
 *   - per 2M chunk of PHYSICAL address space a count of its free pages, and
 *     per 1G chunk a count of its entirely free 2M chunks; at both levels a
 *     level bitmap of the chunks that are entirely inside the range
 *     and entirely free. A 2M- or 1G-aligned request finds its candidates
 *     there, never bit by bit; chunk boundaries are physical, so ranges whose
 *     base is not 2M/1G aligned still give correctly aligned addresses.
 *
 * The allocator never touches the memory it manages. Allocation policy is
 * lowest address first (over the ranges in address order), which keeps free
 * memory in few large runs. Not thread-safe: callers lock (axalloc does).
 */
#ifndef AXALLOC_BITMAP_BITMAP_H
#define AXALLOC_BITMAP_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <axhal/mem.h>
#include <klib/bitops.h>
#include <klib/level_bitmap.h>
#include <pgalloc/pgalloc.h>

/* log2 of the pages in a 2M and a 1G chunk. */
#define BITMAP_SHIFT_2M 9
#define BITMAP_SHIFT_1G 18
#define BITMAP_PAGES_2M (1ULL << BITMAP_SHIFT_2M)
#define BITMAP_PAGES_1G (1ULL << BITMAP_SHIFT_1G)
/* A chunk at either level has 2^BITMAP_CHUNK_SHIFT children (pages or 2M chunks). */
#define BITMAP_CHUNK_SHIFT    9
#define BITMAP_CHUNK_CHILDREN (1U << BITMAP_CHUNK_SHIFT)
/* Index of the 2M and 1G chunk levels in bitmap_range.chunks. */
#define BITMAP_CHUNK_2M	       0
#define BITMAP_CHUNK_1G	       1
#define BITMAP_NR_CHUNK_LEVELS 2

/*
 * One level of chunks aligned in PHYSICAL address space. A 2M chunk's
 * children are its 512 pages, a 1G chunk's children its 512 2M chunks; a
 * child is "full" when it is a free page / an entirely free 2M chunk. Child
 * numbers are absolute (pfn, or pfn >> 9), and chunk i of the level is
 * absolute chunk origin + i (children ((origin + i) << 9) ...). full_cnt[i]
 * counts the full children of chunk i (children outside the range are never
 * full); bit i of `full` is set exactly when full_cnt[i] == 512, i.e. when
 * the whole chunk lies in the range and is free.
 */
struct bitmap_chunks {
	struct level_bitmap full;
	uint16_t *full_cnt;
	uint64_t origin;
};

/*
 * One managed range: pages [base_pfn, end_pfn). Bit i of free.lvl[0] is page
 * leaf_origin + i (leaf_origin = base_pfn rounded down to 64, so bit index and
 * pfn agree modulo 64); bits of pages outside the range are always 0.
 * Every leaf word below `hint` is zero (no free page there).
 */
struct bitmap_range {
	uint64_t base_pfn;
	uint64_t end_pfn;
	uint64_t leaf_origin;
	uint64_t free_pages;
	uint64_t hint;
	struct level_bitmap free;
	struct bitmap_chunks chunks[BITMAP_NR_CHUNK_LEVELS];
	size_t meta_bytes;
};

/*
 * The allocator: up to PGALLOC_MAX_RANGES disjoint ranges, sorted by
 * address. Used only through its interface head `pgalloc`, which
 * pgalloc_init(&x.pgalloc, &bitmap_pgalloc_ops) sets up.
 */
struct bitmap_pgalloc {
	struct pgalloc pgalloc;
	struct bitmap_range ranges[PGALLOC_MAX_RANGES];
	unsigned nr_ranges;
	uint64_t total_pages;
	uint64_t free_pages;
	size_t meta_bytes;
};

/* The operations of the bitmap allocator (<pgalloc/pgalloc.h>). */
extern const struct pgalloc_ops bitmap_pgalloc_ops;

#endif

/*
 * axalloc-bitmap/bitmap.h - physical page allocator on a hierarchical bitmap.
 *
 * Meets the page-allocator contract of <pgalloc/pgalloc.h> under the bitmap_
 * prefix. Every managed range has, in its caller-provided metadata buffer:
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

/* The allocator: up to PGALLOC_MAX_RANGES disjoint ranges, sorted by address. */
struct bitmap_alloc {
	struct bitmap_range ranges[PGALLOC_MAX_RANGES];
	unsigned nr_ranges;
	uint64_t total_pages;
	uint64_t free_pages;
	size_t meta_bytes;
};

/* Makes `a` an allocator with no memory. */
void bitmap_init(struct bitmap_alloc *a);

/*
 * Returns the metadata bytes bitmap_add_memory needs for [base, base + size):
 * about 33.6 KiB per GiB (32 KiB of it the page bitmap) plus a few words.
 * Returns 0 when the range is invalid (size 0, base or size not 4K aligned,
 * base + size overflows).
 */
size_t bitmap_meta_bytes(paddr_t base, uint64_t size);

/*
 * Adds [base, base + size), entirely free, using `meta` (bitmap_meta_bytes(base,
 * size) bytes, 8-byte aligned, contents arbitrary; owned by the allocator from
 * now on) for its metadata. Returns 0, or -EINVAL (size 0, base/size not 4K
 * aligned, base + size overflows, meta NULL or not 8-byte aligned), -EEXIST
 * (overlaps a range already added), -ENOMEM (PGALLOC_MAX_RANGES ranges already).
 * Nothing changes on error.
 */
int bitmap_add_memory(struct bitmap_alloc *a, paddr_t base, uint64_t size, void *meta);

/*
 * Allocates n contiguous pages whose physical address is a multiple of align
 * (a power of two from 4K to 1G, honoured for every n) inside one range, at
 * the lowest such address, and stores it in *out. Returns 0, -EINVAL (n 0,
 * n * 4K overflows, bad align, out NULL) or -ENOMEM (no fit); nothing changes
 * on error.
 */
int bitmap_alloc(struct bitmap_alloc *a, uint64_t n, uint64_t align, paddr_t *out);

/*
 * Allocates exactly the pages [addr, addr + n * 4K). Returns 0, -EINVAL (addr
 * not 4K aligned, n 0, overflow, not entirely inside one managed range) or
 * -EEXIST (some page of it is in use); nothing changes on error.
 */
int bitmap_alloc_at(struct bitmap_alloc *a, paddr_t addr, uint64_t n);

/*
 * Frees the allocated pages [addr, addr + n * 4K) (any sub-range of earlier
 * allocations). Returns 0, -EINVAL (addr not 4K aligned, n 0, overflow, not
 * entirely inside one managed range) or -ENOENT (some page of it is not
 * allocated); nothing changes on error.
 */
int bitmap_free(struct bitmap_alloc *a, paddr_t addr, uint64_t n);

/*
 * Fills *st: page counts, meta_bytes (sum of the ranges' metadata buffers),
 * and free_blocks[o]: every free run of every range decomposed into maximal
 * 2^o-page blocks naturally aligned by physical address (o <= 18), as a buddy
 * allocator would hold them. O(managed pages / 64).
 */
void bitmap_stats(const struct bitmap_alloc *a, struct pgalloc_stats *st);

/*
 * Consistency checker for tests: returns 0 when every invariant holds (ranges
 * sorted and disjoint; no free bit outside a range; summary levels match;
 * chunk counters equal the full children (free pages, free 2M chunks) of each
 * chunk; full-chunk bits match the counters; the hint bound holds; page and
 * metadata totals add up), else -1.
 * O(managed pages); does not change anything.
 */
int bitmap_check(const struct bitmap_alloc *a);

#endif

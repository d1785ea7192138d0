/*
 * kheap-buddy/buddy.h - a byte-granular buddy heap (buddy_kheap_ops, name
 * "buddy") behind the contract of <kheap/kheap.h>.
 *
 * Design. Small blocks live in arenas of BUDDY_KHEAP_ARENA_BYTES (64 KiB)
 * taken from the page source aligned to their size, so the arena of any
 * pointer p is p & ~(64K - 1) and the buddy of the block of 2^k bytes at
 * offset o is the block at o ^ 2^k. A block is 2^k bytes, k = 4 (16 B) ..
 * 15 (32 KiB), aligned to 2^k, its own address given out (no header in
 * the block), so a request of `size` bytes aligned to `align` gets order
 * max(4, ceil(log2 size), log2 align): every alignment up to PAGE_SIZE
 * comes for free.
 *
 * The arena's first page holds its state: a header and a byte map, one
 * byte per 16-byte granule saying "no block starts here", "a live block of
 * order k starts here" or "a free block of order k starts here". The map
 * entries of that first page itself would describe the map, which is never
 * a block, so the header sits in their place. So the free path reads the
 * block's own byte and its buddy's byte: O(1), no list scan. Free blocks
 * are on one doubly linked list per order (the links in the free block
 * itself), shared by all arenas, with a mask of the non-empty lists: an
 * allocation takes the first block of the smallest order that fits and
 * splits it, a free merges with its buddy while the buddy is free and of
 * the same order, unlinking it in O(1). The whole of an arena free is its
 * four top blocks (4K at 4K, 8K at 8K, 16K at 16K, 32K at 32K).
 *
 * Requests larger than 32 KiB get a run of pages of their own, also aligned
 * to 64 KiB, whose first bytes are a small header (its size, the block's
 * offset); the block follows the header at the next multiple of `align`.
 * Arena and run headers start with a magic word, the heap and the links of
 * the heap's list of arenas or of runs, so a pointer's header is found and
 * checked in O(1).
 *
 * Resizing in place: a block shrinks by splitting off and freeing its upper
 * halves; it grows while each buddy above it is free and of the order
 * reached (up to 32 KiB); a run shrinks by giving back its tail pages and
 * grows only within its last page. Everything else returns false (then
 * kheap_realloc moves the block).
 *
 * Pages kept. A run goes back to the page source when its block is freed.
 * An arena whose last live block is freed goes back at once unless no other
 * arena is empty: so once everything is freed the heap holds at most one
 * arena, BUDDY_KHEAP_ARENA_PAGES = 16 pages (64 KiB), and 0 pages before
 * the first allocation.
 *
 * Bookkeeping: the map costs 1/16 of each arena (its first page), a run's
 * header 48 bytes rounded up to `align`; nothing outside the pages held
 * (meta_bytes 0).
 *
 * Bad frees detected, heap unchanged: -EINVAL when p is not 16-byte
 * aligned, lies in an arena's first page, inside a live block, in a run but
 * not at its block, or under a 64K-aligned base that is no header of this
 * heap (another heap's arena, a run's later 64 KiBs: only caller data
 * forging magic, owner and list links would pass); -ENOENT when p lies at
 * or in a free block of an arena the heap holds (a second free, also after
 * the block merged). Undefined: p whose 64K-aligned base cannot be read,
 * and a second free after the block's run or arena went back to the page
 * source (those pages may be the heap's again, p a live block of another).
 * kheap_live_size makes the same checks: the usable size, or 0 for each of
 * these.
 *
 * Not thread-safe: the caller locks (axalloc does).
 */
#ifndef KHEAP_BUDDY_BUDDY_H
#define KHEAP_BUDDY_BUDDY_H

#include <kheap/kheap.h>
#include <klib/list.h>
#include <stdint.h>

/* Blocks are 2^k bytes, BUDDY_KHEAP_MIN_ORDER <= k <= BUDDY_KHEAP_MAX_ORDER. */
#define BUDDY_KHEAP_MIN_ORDER 4
#define BUDDY_KHEAP_MAX_ORDER 15
#define BUDDY_KHEAP_ORDERS    (BUDDY_KHEAP_MAX_ORDER - BUDDY_KHEAP_MIN_ORDER + 1)
/* An arena: twice the largest block, aligned to its size. */
#define BUDDY_KHEAP_ARENA_SHIFT (BUDDY_KHEAP_MAX_ORDER + 1)
#define BUDDY_KHEAP_ARENA_BYTES ((size_t)1 << BUDDY_KHEAP_ARENA_SHIFT)
#define BUDDY_KHEAP_ARENA_PAGES (BUDDY_KHEAP_ARENA_BYTES / PAGE_SIZE)
/* The largest block an arena gives; larger requests get a run of pages. */
#define BUDDY_KHEAP_MAX_BLOCK ((size_t)1 << BUDDY_KHEAP_MAX_ORDER)

/* The heap's state (ops->state_size bytes). */
struct buddy_kheap {
	struct kheap heap;
	/* free[i]: the free blocks of order BUDDY_KHEAP_MIN_ORDER + i, any arena */
	struct list_head free[BUDDY_KHEAP_ORDERS];
	uint32_t nonempty;	 /* bit i set iff free[i] is not empty */
	uint32_t empty_arenas;	 /* arenas without a live block: 0 or 1 */
	struct list_head arenas; /* every arena held */
	struct list_head runs;	 /* every run of a large block */
	uint64_t pages;		 /* pages held: arenas and runs */
	uint64_t live;		 /* live blocks */
	uint64_t used_bytes;	 /* their usable bytes */
};

extern const struct kheap_ops buddy_kheap_ops;

#endif

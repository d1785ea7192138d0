/*
 * kheap-list/list.h - the textbook list heaps of the xv6 lab: first fit and
 * best fit with coalescing, two heaps that share all their code except the
 * search (firstfit_kheap_ops, bestfit_kheap_ops over a struct list_kheap;
 * the contract is <kheap/kheap.h>).
 *
 * Design.
 *   - The heap grows by chunks of LIST_CHUNK_PAGES pages (64 KiB) from its
 *     page source. A chunk starts with a small header (magic, owner, its
 *     link on the heap's list of chunks) and the rest of it is cut into
 *     blocks that tile it exactly, lowest address first.
 *   - Every block starts with a 16-byte header: its size, the size of the
 *     block just below it (a boundary tag: the left neighbour is found by
 *     subtraction, the right one by addition, so both are O(1)), its offset
 *     from the chunk's start, and a tag saying LIVE, FREE or LARGE. The
 *     payload follows the header and is 16-aligned.
 *   - The free blocks are on one doubly linked free list, threaded through
 *     their payloads, most recently freed first (LIFO): inserting and
 *     removing are O(1). First fit takes the first block on the list that
 *     fits; best fit the smallest one that fits (it stops at an exact fit).
 *     Both searches are linear in the free blocks: that is the textbook
 *     algorithm. The block found is split: an alignment gap in front (for
 *     align > 16) becomes a free block of its own, and so does the rest
 *     behind when it can hold a block (32 bytes or more).
 *   - kfree is O(1): the block is marked free and merged with its left and
 *     right neighbours when they are free, so no two free blocks are ever
 *     adjacent. A chunk that becomes wholly free goes back to the page
 *     source at once, unless no other wholly free chunk is kept: then it is
 *     kept (at most LIST_KEEP_CHUNKS = 1), so that a heap that allocates and
 *     frees one block in a loop does not take and give back a chunk each time.
 *   - A request too large for a chunk (its block and room for its alignment
 *     gap more than a chunk less its header: above 65,472 bytes at 16-byte
 *     alignment, above 61,360 at 4 KiB) gets a run of pages of its own: the
 *     same chunk header, then a block header tagged LARGE right below the
 *     payload. Freeing it gives the whole run back at once; shrinking it
 *     gives back its tail pages.
 *
 * Pages held once everything is freed: at most LIST_KEEP_CHUNKS *
 * LIST_CHUNK_PAGES = 16 (the one wholly free chunk kept; large runs always
 * go back). All the bookkeeping lives in the pages held, so stats report
 * meta_bytes 0.
 *
 * Bad frees (kheap_free) detected, the heap then unchanged:
 *   - -EINVAL: a pointer that is not 16-aligned; one whose 16 bytes below
 *     do not hold a block header (a tag, and an offset leading back to a
 *     page-aligned chunk header with the chunk magic and this heap as its
 *     owner), which catches pointers into the middle of a block and the
 *     blocks of another heap; a LIVE header whose neighbours' boundary tags
 *     do not agree with it; a LARGE header where its run has none.
 *   - -ENOENT: a block already freed, while its header is intact (it says
 *     FREE): the block is free, or was merged into a free neighbour.
 * Undefined (may crash or corrupt the heap): a pointer that is not into
 * memory this heap holds; a double free after the freed memory was handed
 * out again (its old header may be overwritten or be a new block's) or
 * after its chunk or large run went back to the page source.
 */
#ifndef KHEAP_LIST_LIST_H
#define KHEAP_LIST_LIST_H

#include <kheap/kheap.h>
#include <klib/list.h>
#include <stdint.h>

/* Pages of a chunk: 64 KiB. */
#define LIST_CHUNK_PAGES 16
/* Wholly free chunks kept instead of given back. */
#define LIST_KEEP_CHUNKS 1

/*
 * A list heap (first fit or best fit: the ops table says which). Set up by
 * kheap_init(&x.heap, &firstfit_kheap_ops or &bestfit_kheap_ops, pages).
 */
struct list_kheap {
	struct kheap heap;
	struct list_head free;	 /* the free blocks, most recently freed first */
	struct list_head chunks; /* every chunk and large run held */
	uint64_t pages;		 /* pages held */
	uint64_t used_bytes;	 /* usable bytes of the live blocks */
	uint64_t live;		 /* live blocks */
	uint64_t free_blocks;	 /* blocks on the free list */
	uint64_t empty_chunks;	 /* wholly free chunks held: 0 .. LIST_KEEP_CHUNKS */
};

/* The first-fit heap ("firstfit") and the best-fit heap ("bestfit"). */
extern const struct kheap_ops firstfit_kheap_ops;
extern const struct kheap_ops bestfit_kheap_ops;

#endif

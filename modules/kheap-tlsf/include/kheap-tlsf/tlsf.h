/*
 * kheap-tlsf/tlsf.h - TLSF (two-level segregated fit), the default byte heap:
 * good fit in O(1) for every request, blocks merged with their neighbours
 * at once.
 *
 * Memory comes in chunks of TLSF_CHUNK_BYTES from the page source, aligned
 * to their size. Every block carries a 16-byte header (the previous block of
 * its chunk and its own size); free blocks sit in one list per size class,
 * and two bitmaps find the smallest class whose every block fits with two
 * count-trailing-zeros. Requests above TLSF_CHUNK_BYTES / 2 get a run of
 * pages of their own (tlsf.c says more). Requests of up to TLSF_SMALL_MAX
 * bytes (16-aligned) come from pages of objects of one size each, in chunks
 * of their own (tlsf_small.c): a push or a pop each, no split or merge.
 *
 * Pages come back: a chunk whose blocks are all free goes back to the page
 * source at once, except one of each kind (so an alloc/free loop does not
 * call the page allocator every time); a large run goes back when it is
 * freed. Once every block is freed the heap keeps at most
 * 2 * TLSF_CHUNK_BYTES / PAGE_SIZE pages (32).
 *
 * Bad frees: every chunk and large run is aligned to TLSF_CHUNK_BYTES and
 * starts with a header saying which it is, so the header at a pointer's
 * chunk-aligned address tells exactly who owns it. A pointer that is not
 * 16-aligned, not at the start of a block (checked with the block's back
 * link), an object or a large run's payload returns -EINVAL; a block or
 * object that is free returns -ENOENT (a small object's in-use bit says
 * so). These checks read only the heap's own pages. Freeing a large run
 * twice is undefined (its pages are gone), as is freeing a pointer outside
 * the heap's pages.
 */
#ifndef KHEAP_TLSF_TLSF_H
#define KHEAP_TLSF_TLSF_H

#include <kheap/kheap.h>
#include <stdint.h>

#define TLSF_CHUNK_BYTES (64UL * 1024)
/* Free lists: TLSF_FL_COUNT powers of two, each cut into TLSF_SL_COUNT classes. */
#define TLSF_SL_SHIFT 4
#define TLSF_SL_COUNT (1U << TLSF_SL_SHIFT)
#define TLSF_FL_COUNT 9

/* Requests of up to this many bytes (16-aligned) are small objects. */
#define TLSF_SMALL_MAX 256

struct tlsf_block;
struct tlsf_region;
struct small_page;
struct small_region;

/* A TLSF heap: kheap_init(&t.heap, &tlsf_kheap_ops, &pages). */
struct tlsf_kheap {
	struct kheap heap;
	uint32_t fl_bitmap;
	uint32_t sl_bitmap[TLSF_FL_COUNT];
	struct tlsf_block *free_lists[TLSF_FL_COUNT][TLSF_SL_COUNT];
	struct tlsf_region *chunks; /* chunks of TLSF blocks */
	unsigned spare_chunks;	    /* chunks that are one whole free block */
	uint64_t chunk_pages;
	struct tlsf_region *large; /* large runs */
	uint64_t large_pages;
	uint64_t large_runs;
	struct small_page
	    *small_pages[TLSF_SMALL_MAX / 16]; /* per class: pages with a free object */
	struct tlsf_region *small_regions;
	struct small_region *small_room; /* small regions with a page not in use */
	unsigned small_spare;		 /* small regions with no page in use */
	uint64_t small_region_pages;
	uint64_t used_bytes;
	uint64_t live;
};

extern const struct kheap_ops tlsf_kheap_ops;

#endif

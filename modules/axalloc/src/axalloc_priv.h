/*
 * axalloc_priv.h - what the files of axalloc share (private to src/).
 *
 * One spinlock guards the page allocator, the heap and the frame reference
 * counts. Functions named *_locked expect the caller to hold it.
 */
#ifndef AXALLOC_PRIV_H
#define AXALLOC_PRIV_H

#include <axalloc/axalloc.h>
#include <axhal/mem.h>
#include <kheap/kheap.h>
#include <klib/spinlock.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern struct spinlock axalloc_lock;

/* Page allocator (axalloc.c). */

/*
 * Allocates n pages aligned to `align` of mobility `mob` from the page
 * allocator, honouring fault injection. 0, -EINVAL or -ENOMEM; does not
 * count failures.
 */
int axalloc_pages_alloc_locked(uint64_t n, uint64_t align, enum axalloc_mobility mob, paddr_t *pa);

/* Gives back pages the heap took with axalloc_pages_alloc_locked. */
void axalloc_pages_free_locked(paddr_t pa, uint64_t n);

/* Counts one request answered with ENOMEM in axalloc_stats.failed_allocs. */
void axalloc_count_failure_locked(void);

/*
 * Takes exactly the free pages [pa, pa + n * 4K) (pgalloc_alloc_at; no
 * fault injection, not counted). 0, -EINVAL or -EEXIST.
 */
int axalloc_pages_alloc_at_locked(paddr_t pa, uint64_t n);

/* Used pages among [pa, pa + n * 4K), inside one managed range (pgalloc_used_pages). */
uint64_t axalloc_pages_used_locked(paddr_t pa, uint64_t n);

/* The managed ranges (sorted by base): stores the array in *out, returns the count. */
int axalloc_ranges_locked(const struct axalloc_range **out);

/* Compaction (compact.c). */

/* The registered migrator (axalloc_set_migrator), or NULL. Call it without the lock. */
axalloc_migrate_fn axalloc_migrator_locked(void);

/*
 * Direct compaction for an allocation of n pages aligned to `align` that
 * failed: compacts for the smallest order whose block holds it when that is
 * 2M or more, direct compaction is on, no compaction is running and enough
 * pages are free (else does nothing). Call without the lock. 0 when a block
 * of that order is free now (retry the allocation), else -ENOMEM.
 */
int axalloc_direct_compact(uint64_t n, uint64_t align);

/* Zeroes the compaction counters and sets direct compaction to its Kconfig default. */
void axalloc_compact_reset_locked(void);

/* Fills the compact_* fields of *st. */
void axalloc_compact_stats_locked(struct axalloc_stats *st);

/* Usable RAM (memmap.c). */

/*
 * Computes the usable pieces of RAM: the union of `ram` (page-aligned
 * inward) minus the union of `reserved` (page-aligned outward), touching
 * pieces merged. Stores at most `max` pieces in out[], the largest ones when
 * there are more, sorted by base, and returns how many were stored.
 */
int axalloc_usable_ranges(const struct mem_range *ram, int nr_ram, const struct mem_range *reserved,
			  int nr_reserved, struct mem_range *out, int max);

/* Metadata placement (memmap.c). */

/* Metadata bytes (allocator, then counts) for `pages` pages managed from base; 0 if invalid. */
typedef uint64_t (*axalloc_meta_fn)(paddr_t base, uint64_t pages);

/* One usable piece, laid out: managed pages and where their metadata lies. */
struct axalloc_layout {
	paddr_t base;	     /* first managed page */
	uint64_t pages;	     /* managed pages (at least one) */
	paddr_t meta_base;   /* metadata: [meta_base, meta_base + meta_pages pages) */
	uint64_t meta_pages; /* whole pages holding at least meta(base, pages) bytes */
};

/*
 * Lays out the usable `pieces` (sorted by base, disjoint, page-aligned, at
 * most PGALLOC_MAX_RANGES): carves the metadata of each from its own head or
 * tail or from another piece, keeping as many free naturally aligned 1G,
 * then 2M blocks as it can (see memmap.c). Pieces that cannot hold their own
 * metadata and one page are dropped. Fills out[] in the order of `pieces`
 * and returns how many were kept. Managed pages and metadata never overlap
 * each other and stay inside the pieces.
 */
int axalloc_layout(const struct mem_range *pieces, int nr_pieces, axalloc_meta_fn meta,
		   struct axalloc_layout *out);

/*
 * Hands one laid-out piece to the page allocator (axalloc.c; axalloc_init
 * calls it for each piece): 0, or the allocator's error, which is logged,
 * adds the piece's pages and metadata pages to refused_pages and leaves
 * them unused (the other pieces are not affected).
 */
int axalloc_add_piece_locked(const struct axalloc_layout *l);

/* Byte heap (heap.c). */

/* The heap (made empty on first use before axalloc_init); use it under the lock. */
struct kheap *axalloc_heap(void);

/*
 * kheap_alloc(size) on the heap; when that finds no pages, gives the
 * front's cached blocks back and tries once more. Under the lock.
 */
void *axalloc_heap_alloc_locked(size_t size);

/* Forgets every heap block and chunk (the page allocator is being reset). */
void axalloc_heap_reset_locked(void);

/* Fills the heap_* fields of *st. */
void axalloc_heap_stats_locked(struct axalloc_stats *st);

/*
 * The heap's front (heap_front.c): free blocks of up to FRONT_MAX_BYTES
 * cached per size class, used without the lock (see the file).
 */
#define FRONT_MAX_BYTES 256

/* A block of `size` (<= FRONT_MAX_BYTES) bytes, 16-aligned, or NULL. Without the lock. */
void *heap_front_alloc(size_t size);

/*
 * Caches the block p if the heap sees it is live and small: 0. A second
 * kfree of a cached block: -ENOENT (counted). Anything else: 1, for the
 * heap's own free. Without the lock.
 */
int heap_front_free(void *p);

/* Gives every cached block back to the heap; whether there was one. */
bool heap_front_drain_locked(void);

/* Turns the heap's heap_* figures in *st into the caller's view: cached blocks are free. */
void heap_front_stats_locked(struct axalloc_stats *st);

/* Checks the cached blocks against the heap and the counters: 0 or -EFAULT. */
int heap_front_check_locked(void);

/* Forgets every cached block: h, the heap behind the front, is being reset. */
void heap_front_reset_locked(struct kheap *h);

/*
 * Frame reference counts (frame_ref.c, built with CONFIG_AXALLOC_FRAME_REFS;
 * call them only under IS_ENABLED(CONFIG_AXALLOC_FRAME_REFS)).
 */

/* Bytes of reference counts needed for `npages` frames. */
uint64_t axalloc_frame_ref_bytes(uint64_t npages);

/* Forgets every range of counts. */
void axalloc_frame_ref_reset_locked(void);

/*
 * Registers the zeroed count array `counts` for the npages frames from base.
 * Ranges are added in increasing address order and never overlap.
 */
void axalloc_frame_ref_add_range_locked(paddr_t base, uint64_t npages, uint32_t *counts);

/* Count of the frame at pa (0 when not managed). */
uint32_t axalloc_frame_ref_get_locked(paddr_t pa);

#endif

/*
 * pgalloc/pgalloc.h - what every physical page allocator shares.
 *
 * axalloc-bitmap and axalloc-buddy meet one contract (DESIGN.md, "Semantics"):
 * each exposes the same functions under its own prefix (bitmap_*, buddy_*):
 *
 *   void   X_init(struct X *a);
 *   size_t X_meta_bytes(paddr_t base, uint64_t size);
 *   int    X_add_memory(struct X *a, paddr_t base, uint64_t size, void *meta);
 *   int    X_alloc(struct X *a, uint64_t n, uint64_t align, paddr_t *out);
 *   int    X_alloc_at(struct X *a, paddr_t addr, uint64_t n);
 *   int    X_free(struct X *a, paddr_t addr, uint64_t n);
 *   void   X_stats(const struct X *a, struct pgalloc_stats *st);
 *
 * Metadata lives out of band in the caller-provided `meta` buffer, so the
 * allocator never writes to the memory it manages.
 *
 * This header also holds the statistics type and Linux's fragmentation
 * formulas (mm/vmstat.c), computed from the free-block histogram, so that
 * both allocators report numbers that compare with each other and with Linux.
 *
 * Module pgalloc is this header alone (CONFIG_PGALLOC, selected by each
 * allocator and by axalloc): it sits below all of them and needs only klib
 * and axhal, so the allocators never include a header of axalloc above them.
 */
#ifndef PGALLOC_PGALLOC_H
#define PGALLOC_PGALLOC_H

#include <stdint.h>
#include <stdio.h>
#include <axhal/mem.h>

/* Orders 0 (4K) .. 18 (1G). */
#define PGALLOC_MAX_ORDER 18
#define PGALLOC_NR_ORDERS (PGALLOC_MAX_ORDER + 1)
#define PGALLOC_MAX_RANGES 16
#define PGALLOC_MIN_ALIGN PAGE_SIZE_4K
#define PGALLOC_MAX_ALIGN PAGE_SIZE_1G

/*
 * A snapshot of an allocator. free_blocks[o] counts the free memory split
 * into maximal naturally aligned 2^o-page blocks (for a buddy this is its
 * free lists; a bitmap decomposes every free run the same way), so both
 * allocators describe the same free memory with the same histogram.
 */
struct pgalloc_stats {
	uint64_t total_pages;
	uint64_t free_pages;
	uint64_t used_pages;
	uint64_t free_blocks[PGALLOC_NR_ORDERS];
	uint64_t largest_free_order; /* highest o with free_blocks[o] > 0; 0 if none */
	uint64_t meta_bytes;	     /* out-of-band metadata in use */
};

/* Pages in all free blocks of order >= `order`, counted in 2^order units. */
static inline uint64_t pgalloc_suitable_blocks(const struct pgalloc_stats *st, unsigned order)
{
	uint64_t n = 0;
	for (unsigned o = order; o < PGALLOC_NR_ORDERS; o++)
		n += st->free_blocks[o] << (o - order);
	return n;
}

/*
 * Linux's unusable free space index for `order`, in thousandths: the share
 * of free memory that cannot satisfy an order-`order` request.
 * 0 = none unusable, 1000 = all unusable (also when nothing is free).
 */
static inline int pgalloc_unusable_index(const struct pgalloc_stats *st, unsigned order)
{
	if (st->free_pages == 0)
		return 1000;
	uint64_t usable = pgalloc_suitable_blocks(st, order) << order;
	return (int)((st->free_pages - usable) * 1000 / st->free_pages);
}

/*
 * Linux's external fragmentation index for `order`, in thousandths:
 * -1000 when a block of that order is free (the request would succeed),
 * near 0 when failure is due to lack of memory, near 1000 when it is due
 * to fragmentation. 0 when nothing is free.
 */
static inline int pgalloc_fragmentation_index(const struct pgalloc_stats *st, unsigned order)
{
	uint64_t blocks_total = 0;
	for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++)
		blocks_total += st->free_blocks[o];
	if (blocks_total == 0)
		return 0;
	if (pgalloc_suitable_blocks(st, order) > 0)
		return -1000;
	uint64_t requested = 1ULL << order;
	return (int)(1000 - (1000 + st->free_pages * 1000 / requested) / blocks_total);
}

/* Prints the free-block histogram and both indexes per order with printf. */
static inline void pgalloc_dump(const char *name, const struct pgalloc_stats *st)
{
	printf("%s: %lu pages, %lu free, %lu used, largest free order %lu\n", name,
	       (unsigned long)st->total_pages, (unsigned long)st->free_pages,
	       (unsigned long)st->used_pages, (unsigned long)st->largest_free_order);
	printf("  order  free-blocks  unusable  fragmentation\n");
	for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++)
		printf("  %5u  %11lu  %8d  %13d\n", o, (unsigned long)st->free_blocks[o],
		       pgalloc_unusable_index(st, o), pgalloc_fragmentation_index(st, o));
}

#endif

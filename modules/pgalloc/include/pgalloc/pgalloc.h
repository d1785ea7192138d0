/*
 * pgalloc/pgalloc.h - the interface every physical page allocator exports.
 *
 * An allocator (axalloc-bitmap, axalloc-buddy) is a state struct whose first
 * member is a struct pgalloc, plus one constant struct pgalloc_ops table of
 * its operations (bitmap_pgalloc_ops, buddy_pgalloc_ops). Callers (axalloc,
 * the contract tests, the benchmarks) hold a struct pgalloc * and call the
 * pgalloc_*() functions below, which dispatch through the table. An
 * allocator's header shows its state struct only so that callers can size
 * its storage; they never look inside. What each operation promises is in
 * the comment above its function below.
 *
 * Metadata lives out of band in the caller-provided `meta` buffer, so the
 * allocator never writes to the memory it manages.
 *
 * This header also holds the statistics type and Linux's fragmentation
 * formulas (mm/vmstat.c), computed from the free-block histogram, so that
 * both allocators report numbers that compare with each other and with Linux.
 *
 * Grouping by mobility (src/grouping.c) is written once, here, for every
 * allocator: each allocation says whether it is movable (its user can
 * migrate it) or unmovable. Unmovable pages live in a region of whole
 * groups (2M blocks, or the buddy allocator's larger zones on very large
 * ranges) that ends at the pivot, the end of the first 1G block of memory
 * (the top of memory when lower), and grows down one group at a time, only
 * when no unmovable request fits in it any more; movable pages are placed
 * below it first, then above the pivot. So unmovable pages stay packed in
 * few 2M blocks, apart from movable ones, compaction can empty the other
 * blocks by migration, and the 1G blocks above the first stay whole. The
 * allocators provide a placement bounded to an address window; the policy
 * picks the window.
 *
 * Module pgalloc (CONFIG_PGALLOC, selected by each allocator and by
 * axalloc) is this header and the grouping policy: it sits below all of
 * them and needs only klib and axhal, so the allocators never include a
 * header of axalloc above them.
 */
#ifndef PGALLOC_PGALLOC_H
#define PGALLOC_PGALLOC_H

#include <axhal/mem.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Orders 0 (4K) .. 18 (1G). */
#define PGALLOC_MAX_ORDER  18
#define PGALLOC_NR_ORDERS  (PGALLOC_MAX_ORDER + 1)
#define PGALLOC_MAX_RANGES 16
#define PGALLOC_MIN_ALIGN  PAGE_SIZE_4K
#define PGALLOC_MAX_ALIGN  PAGE_SIZE_1G
/* The most pages one call may name: n * 4K must fit in 64 bits. */
#define PGALLOC_MAX_PAGES (UINT64_MAX >> PAGE_SHIFT)

/*
 * Whether alloc(n, align) is well formed: 1 <= n <= PGALLOC_MAX_PAGES and
 * align a power of two from PGALLOC_MIN_ALIGN to PGALLOC_MAX_ALIGN. Every
 * allocator answers -EINVAL otherwise.
 */
static inline bool pgalloc_request_valid(uint64_t n, uint64_t align)
{
	return n != 0 && n <= PGALLOC_MAX_PAGES && align >= PGALLOC_MIN_ALIGN &&
	       align <= PGALLOC_MAX_ALIGN && (align & (align - 1)) == 0;
}

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

struct pgalloc;

/* Whether the user of an allocation can migrate it (see the top of this file). */
enum pgalloc_mobility {
	PGALLOC_UNMOVABLE,
	PGALLOC_MOVABLE,
};

/* No upper bound for a placement window. */
#define PGALLOC_NO_LIMIT UINT64_MAX

/* One allocator's operations; the pgalloc_*() functions below say what each does. */
struct pgalloc_ops {
	const char *name;  /* "bitmap", "buddy" */
	size_t state_size; /* bytes of the allocator's state struct */
	void (*init)(struct pgalloc *pg);
	size_t (*meta_bytes)(paddr_t base, uint64_t size);
	int (*add_memory)(struct pgalloc *pg, paddr_t base, uint64_t size, void *meta);
	/*
	 * pgalloc_alloc itself: places what the allocator's own fast path can
	 * (a single movable page) and passes everything else to
	 * pgalloc_alloc_by_mobility, a fast path that finds no room to
	 * pgalloc_alloc_grouped.
	 */
	int (*alloc)(struct pgalloc *pg, uint64_t n, uint64_t align, enum pgalloc_mobility mob,
		     paddr_t *out);
	/*
	 * Places n pages aligned to `align` inside the window [lo, hi) (any
	 * bounds; fastest when they are 0, PGALLOC_NO_LIMIT or multiples of
	 * group_size), with the allocator's own placement rule restricted to the
	 * window: the arguments, errors and unchanged state of pgalloc_alloc,
	 * and -ENOMEM only when no aligned run of n free pages lies inside the
	 * window.
	 */
	int (*alloc_in)(struct pgalloc *pg, uint64_t n, uint64_t align, paddr_t lo, paddr_t hi,
			paddr_t *out);
	int (*alloc_at)(struct pgalloc *pg, paddr_t addr, uint64_t n);
	int (*free)(struct pgalloc *pg, paddr_t addr, uint64_t n);
	uint64_t (*used_pages)(const struct pgalloc *pg, paddr_t addr, uint64_t n);
	void (*stats)(const struct pgalloc *pg, struct pgalloc_stats *st);
	int (*check)(const struct pgalloc *pg);
};

/*
 * The head of every allocator's state: which operations it has, and the
 * grouping state the policy keeps (read it through pgalloc_grouping).
 */
struct pgalloc {
	const struct pgalloc_ops *ops;
	paddr_t unmovable_floor; /* unmovable region: [unmovable_floor, pivot) */
	paddr_t movable_limit;	 /* the floor, or PGALLOC_NO_LIMIT while the region is empty */
	paddr_t pivot;		 /* end of the first 1G block of memory, at most top */
	paddr_t bottom, top;	 /* lowest base and highest end of the ranges added */
	uint64_t group_size;	 /* bytes the region grows by; the allocator may raise it */
	uint64_t spills;	 /* movable allocations placed in the unmovable region */
};

/*
 * Makes `pg`, the head of ops->state_size bytes of storage (any contents),
 * an allocator of kind `ops` that manages no memory yet, with an empty
 * unmovable region. Never fails.
 */
static inline void pgalloc_init(struct pgalloc *pg, const struct pgalloc_ops *ops)
{
	ops->init(pg);
	*pg = (struct pgalloc){.ops = ops,
			       .movable_limit = PGALLOC_NO_LIMIT,
			       .bottom = PGALLOC_NO_LIMIT,
			       .group_size = PAGE_SIZE_2M};
}

/*
 * The metadata bytes an allocator of kind `ops` needs in pgalloc_add_memory
 * for [base, base + size) (known before any allocator exists, so that boot
 * can place it), or 0 when the range is invalid (size 0, base or size not 4K
 * aligned, base + size overflows, larger than the allocator can manage in
 * one range).
 */
static inline size_t pgalloc_meta_bytes(const struct pgalloc_ops *ops, paddr_t base, uint64_t size)
{
	return ops->meta_bytes(base, size);
}

/*
 * Grouping policy (src/grouping.c). Records a range just added: it may move
 * the pivot (and with it the unmovable region while that is empty). Never
 * fails.
 */
void pgalloc_note_range(struct pgalloc *pg, paddr_t base, uint64_t size);

/*
 * Adds the free physical range [base, base + size). `meta` is a buffer of
 * pgalloc_meta_bytes(pg->ops, base, size) bytes, 8-byte aligned, any contents,
 * that the allocator owns from now on. Returns 0, or -EINVAL (size 0, base
 * or size not 4K aligned, overflow, range too large, meta NULL or
 * misaligned), -EEXIST (overlaps a range already added), -ENOMEM
 * (PGALLOC_MAX_RANGES ranges already). Nothing changes on error.
 */
static inline int pgalloc_add_memory(struct pgalloc *pg, paddr_t base, uint64_t size, void *meta)
{
	int err = pg->ops->add_memory(pg, base, size, meta);

	if (err == 0)
		pgalloc_note_range(pg, base, size);
	return err;
}

/*
 * The slow path of pgalloc_alloc, when the window of the request's mobility
 * had no room (src/grouping.c): a movable request first takes back wholly
 * free groups at the bottom of the unmovable region, then goes above the
 * pivot, then spills into the region; an unmovable request grows the region
 * down one group at a time until the request fits, then goes anywhere. mob
 * is valid.
 */
int pgalloc_alloc_grouped(struct pgalloc *pg, uint64_t n, uint64_t align, enum pgalloc_mobility mob,
			  paddr_t *out);

/*
 * pgalloc_alloc for any request, written once over ops->alloc_in
 * (src/grouping.c): checks mob, tries the window of its mobility, then
 * pgalloc_alloc_grouped.
 */
int pgalloc_alloc_by_mobility(struct pgalloc *pg, uint64_t n, uint64_t align,
			      enum pgalloc_mobility mob, paddr_t *out);

/*
 * Allocates n contiguous pages whose physical address is a multiple of
 * `align` (a power of two from 4K to 1G, honoured for every n, exactly n
 * pages taken) and stores the address in *out. A movable request goes below
 * the unmovable region when it fits there (anywhere while the region is
 * empty), an unmovable one inside the region when it fits there (see the
 * top of this file); inside its window each allocator places as it always
 * does (bitmap: lowest address first). Returns 0, -EINVAL (n == 0, n * 4K
 * overflows, bad align, bad mob, out NULL) or -ENOMEM (no aligned run of n
 * free pages anywhere). On error *out is not written and neither the stats
 * nor the region change.
 */
static inline int pgalloc_alloc(struct pgalloc *pg, uint64_t n, uint64_t align,
				enum pgalloc_mobility mob, paddr_t *out)
{
	return pg->ops->alloc(pg, n, align, mob, out);
}

/* Where the unmovable region is and how often movable pages spilled into it. */
struct pgalloc_grouping {
	paddr_t unmovable_floor; /* the region is [unmovable_floor, pivot); empty when equal */
	paddr_t pivot;
	uint64_t group_size;
	uint64_t spills; /* requests placed in the other kind's part */
};

/* Fills *g from pg. */
static inline void pgalloc_grouping(const struct pgalloc *pg, struct pgalloc_grouping *g)
{
	*g = (struct pgalloc_grouping){pg->unmovable_floor, pg->pivot, pg->group_size, pg->spills};
}

/*
 * Allocates exactly the pages [addr, addr + n * 4K). Returns 0, -EINVAL
 * (addr not 4K aligned, n == 0, overflow, not entirely inside one managed
 * range) or -EEXIST (some page of it is in use). Nothing changes on error.
 */
static inline int pgalloc_alloc_at(struct pgalloc *pg, paddr_t addr, uint64_t n)
{
	return pg->ops->alloc_at(pg, addr, n);
}

/*
 * Frees the pages [addr, addr + n * 4K), any part of one or several earlier
 * allocations. Returns 0, -EINVAL (addr not 4K aligned, n == 0, overflow,
 * not entirely inside one managed range) or -ENOENT (some page of it is not
 * allocated). Nothing changes on error.
 */
static inline int pgalloc_free(struct pgalloc *pg, paddr_t addr, uint64_t n)
{
	return pg->ops->free(pg, addr, n);
}

/*
 * How many of the pages [addr, addr + n * 4K) are allocated (0..n), read
 * from the allocator's own bookkeeping: what compaction ranks blocks by.
 * The pages must lie inside one managed range (addr 4K aligned, n >= 1);
 * anything else returns 0. Changes nothing; O(n / 64) at most.
 */
static inline uint64_t pgalloc_used_pages(const struct pgalloc *pg, paddr_t addr, uint64_t n)
{
	return pg->ops->used_pages(pg, addr, n);
}

/*
 * Fills every field of *st: page counts, metadata bytes, and free_blocks[o],
 * the free memory as maximal naturally aligned 2^o-page blocks.
 */
static inline void pgalloc_stats(const struct pgalloc *pg, struct pgalloc_stats *st)
{
	pg->ops->stats(pg, st);
}

/*
 * Verifies every internal invariant of the allocator, O(managed pages).
 * Returns 0 if all hold, else -1 (the buddy allocator also prints the first
 * violation with printf). Changes nothing.
 */
static inline int pgalloc_check(const struct pgalloc *pg)
{
	return pg->ops->check(pg);
}

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

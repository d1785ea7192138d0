/*
 * axalloc/axalloc.h - the kernel's global allocator.
 *
 * One physical page allocator (bitmap or buddy, the Kconfig choice
 * CONFIG_AXALLOC_PAGE_BITMAP / CONFIG_AXALLOC_PAGE_BUDDY)
 * plus a byte heap built on its pages, both behind one spinlock. Out of
 * memory is reported to the caller (NULL / -ENOMEM), never a panic. Frame
 * reference counts for copy-on-write live in axalloc/frame_ref.h.
 */
#ifndef AXALLOC_AXALLOC_H
#define AXALLOC_AXALLOC_H

#include <axhal/mem.h>
#include <pgalloc/pgalloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Initialises the global allocator over the RAM ranges `ram` minus the
 * ranges `reserved` (kernel image, DTB, firmware). Both lists may be
 * unsorted and overlapping; RAM is page-aligned inward, reserved ranges
 * outward. Each usable piece needs metadata for the page allocator (and,
 * with CONFIG_AXALLOC_FRAME_REFS, for its frame reference counts), carved
 * out of usable RAM where it breaks the fewest free naturally aligned huge
 * blocks: from the head or the tail of the piece itself, whichever keeps
 * more 1G-aligned 1 GiB blocks, then more 2M-aligned 2 MiB blocks; or, when
 * both sides would break a 1 GiB block, from another piece with room to
 * spare (for instance the one holding the kernel image, whose GiB is broken
 * anyway). The rest is managed. The choice is deterministic (see
 * src/memmap.c). Pieces too small to hold their own metadata plus one page
 * are skipped; when there are more than PGALLOC_MAX_RANGES pieces, the
 * largest are kept. A piece the page allocator refuses (it never should:
 * that is a bug) is logged as an error and left unused, counted in
 * refused_pages. Returns 0, -EINVAL for a negative count or a NULL list with
 * a positive count, or -ENOMEM when no usable memory is left. Call before
 * any other axalloc function; calling it again starts over with a new, empty
 * page allocator and heap, zero counters and fault injection off (host tests
 * do this between cases).
 */
int axalloc_init(const struct mem_range *ram, int nr_ram, const struct mem_range *reserved,
		 int nr_reserved);

/*
 * Mobility of a page allocation. Movable pages are ones whose user can copy
 * them elsewhere and switch every reference (the frames of Alloc areas,
 * through the migrator below); everything else is unmovable: page tables,
 * heap pages, pages the kernel holds by physical address.
 */
enum axalloc_mobility {
	AXALLOC_UNMOVABLE = PGALLOC_UNMOVABLE,
	AXALLOC_MOVABLE = PGALLOC_MOVABLE,
};

/*
 * Allocates n contiguous 4K pages whose physical address is aligned to
 * `align` (a power of two, 4K..1G), placed by their mobility `mob` (see
 * pgalloc.h: unmovable pages are grouped apart from movable ones). Stores
 * the address in *pa and returns 0; -EINVAL for a bad n, align, mob or a
 * NULL pa, -ENOMEM when no such range is free (counted in failed_allocs).
 * The pages' contents are undefined and their frame reference counts are 0
 * (see axalloc/frame_ref.h).
 *
 * Direct compaction (CONFIG_AXALLOC_DIRECT_COMPACTION, see
 * axalloc_set_direct_compaction): when a request whose naturally aligned
 * block is 2M or more (n pages or `align`, whichever is larger) finds no
 * free range, it first compacts for that block's order (axalloc_compact,
 * counted in compact_stall) and tries once more. The migrator then runs
 * inside this call and may move movable pages smaller than that block
 * (larger ones would need a free block of their size), also the caller's
 * own: a caller must not hold the physical address of such a page across
 * the call unless its migrator refuses to move that page. Moved pages stay
 * moved (contents and mappings kept) when the allocation still fails.
 * Not while a compaction is running (the migrator's own allocations fail
 * plainly), and not when fewer pages than the block are free.
 */
int axalloc_alloc_pages(uint64_t n, uint64_t align, enum axalloc_mobility mob, paddr_t *pa);

/*
 * Frees n pages at pa that were allocated with axalloc_alloc_pages (the same
 * n). Returns 0; -EINVAL or -ENOENT from the page allocator (bad or not
 * allocated range); with CONFIG_AXALLOC_FRAME_REFS, -EBUSY when the frame at
 * pa still holds references. A failed call changes nothing.
 */
int axalloc_free_pages(paddr_t pa, uint64_t n);

/*
 * One 4K page at a time, in the shape of a frame-allocation hook (ctx is
 * ignored): what page-table's struct pt_frame_ops wants for its table pages.
 * axalloc_frame_alloc stores a page in *pa and returns 0, or -ENOMEM.
 * axalloc_frame_free takes back a page axalloc_frame_alloc gave; freeing
 * anything else is a bug (assert).
 */
int axalloc_frame_alloc(void *ctx, paddr_t *pa);
void axalloc_frame_free(void *ctx, paddr_t pa);

/* Global statistics. */
struct axalloc_stats {
	struct pgalloc_stats pages; /* the page allocator's own stats */
	uint64_t meta_pages;	    /* RAM pages carved for metadata (allocator + refs) */
	uint64_t refused_pages;	    /* usable RAM pages left unused: the allocator refused them */
	uint64_t heap_pages;	    /* pages currently owned by the byte heap */
	uint64_t heap_used_bytes;   /* usable bytes of the live kmalloc blocks */
	uint64_t heap_allocs;	    /* blocks handed out; allocs - frees = live blocks */
	uint64_t heap_frees;	    /* blocks given back (kfree, krealloc moves and frees) */
	uint64_t heap_bad_frees;    /* kfree of a pointer the heap saw was bad (logged, ignored) */
	uint64_t heap_cached;	    /* free blocks kept by the heap's front (axalloc_heap_trim) */
	uint64_t failed_allocs;	    /* page or heap requests answered with ENOMEM */
	/*
	 * Compaction, explicit (axalloc_compact) and direct, named as in
	 * Linux's /proc/vmstat. Linux's compact_free_scanned and
	 * compact_isolated have no counterpart: targets come from the page
	 * allocator, not from a scan for free pages.
	 */
	uint64_t compact_stall;	  /* direct compactions (failed allocations that compacted) */
	uint64_t compact_success; /* compactions that left a free block of their order */
	uint64_t compact_fail;	  /* compactions that could not */
	uint64_t compact_migrate_scanned; /* pages examined, ranking blocks and emptying them */
	uint64_t compact_pages_migrated;  /* 4K pages moved out of the blocks (a 2M page: 512) */
	uint64_t compact_pages_failed;	  /* pages that would not move (the migrator's refusals) */
};

/* Fills *st with a consistent snapshot (taken under the lock). Counters start at 0 in axalloc_init.
 */
void axalloc_stats(struct axalloc_stats *st);

/*
 * Fills *g with where the page allocator's unmovable region is and how many
 * requests spilled across it (see pgalloc.h). The floor moves with
 * allocations and stays down after frees until movable requests need the
 * groups back, so it is apart from the stats, which a free restores.
 */
void axalloc_grouping(struct pgalloc_grouping *g);

/*
 * Writes into every free 4K page once (taking free memory in 2M blocks,
 * then single pages, and freeing it all again), so that a hypervisor that
 * backs guest RAM on first write (QEMU) has done so before anything is
 * timed. Returns the pages touched. The pages are free again afterwards;
 * the unmovable region may have grown (axalloc_grouping).
 */
uint64_t axalloc_touch_free_pages(void);

/* Name of the configured page allocator: "bitmap" or "buddy". */
const char *axalloc_page_allocator_name(void);

/* Name of the configured kernel heap: "tlsf", "slab", "buddy", "firstfit" or "bestfit". */
const char *axalloc_heap_name(void);

/*
 * One managed piece of RAM: the page allocator manages [base, base + size)
 * and the range's metadata occupies [meta_base, meta_base + meta_size)
 * (whole pages). The metadata is out of band: it never overlaps any range's
 * managed pages nor a reserved range, but it need not touch its own range:
 * it may sit at the range's head (meta_base + meta_size == base), at its
 * tail (meta_base == base + size), or inside another usable piece.
 */
struct axalloc_range {
	paddr_t meta_base;
	uint64_t meta_size;
	paddr_t base;
	uint64_t size;
};

/*
 * Copies up to `max` managed ranges, sorted by base, into out[] and returns
 * how many ranges there are in total (which may exceed max).
 */
int axalloc_get_ranges(struct axalloc_range *out, int max);

/*
 * Compaction. A frame is movable when its user can move what it holds
 * elsewhere: mm-addrspace registers aspace_migrate for the frames of Alloc
 * areas. The migrator moves the page that holds the 4K frame at pa to other
 * frames and frees the old ones (the page starts at pa when compaction
 * calls it: the first frame of it met in address order), returning 0; or
 * refuses with -EBUSY or -ENOENT (the frame cannot move: a page table, the
 * heap, a pinned page) or -ENOMEM, changing nothing. With check_only it
 * moves nothing and answers whether the page could move: the number of
 * its 4K frames from pa on (> 0), or -EBUSY or -ENOENT. It is called without the axalloc lock, and
 * with direct compaction also from inside axalloc_alloc_pages: possibly in the middle of an
 * operation of the migrator's own module, which must then refuse
 * (-EBUSY) every page whose physical address that operation still holds.
 */
typedef int (*axalloc_migrate_fn)(paddr_t pa, bool check_only);

/* Registers the migrator (NULL: none; compaction then fails). Kept across axalloc_init. */
void axalloc_set_migrator(axalloc_migrate_fn fn);

/* What one axalloc_compact did, as Linux's compact_* counters count it. */
struct axalloc_compact_result {
	uint64_t blocks_tried;	 /* blocks compaction tried to empty */
	uint64_t pages_scanned;	 /* pages examined (compact_migrate_scanned) */
	uint64_t pages_migrated; /* 4K pages moved out of the blocks tried */
	uint64_t pages_failed;	 /* pages that could not move (compact_fail's cause) */
};

/*
 * Frees one naturally aligned block of 2^order pages (1 <= order <= 18:
 * 2M is 9, 1G is 18) inside one managed range: if none is free, empties
 * the block with the fewest used pages by migrating each of them, then the
 * next cheapest, among the 16 cheapest, until a block is free. A block
 * whose used pages outnumber the free pages outside it is not tried; one
 * with a page that cannot move (the migrator's check) is skipped before
 * anything in it moves; in one where a move runs out of memory, the pages
 * moved stay moved and the next candidate is tried. With fewer free pages
 * than the block, nothing is tried. The block is left free for the caller to allocate (another
 * allocation may take it first). Returns 0 (a block of that order is free), -ENOMEM (none could be
 * emptied; every page moved stays moved), -EINVAL (bad order or no migrator) or -EBUSY (a
 * compaction is running: called from the migrator; nothing done). Fills *res when not NULL and adds
 * it to the compact_* counters of axalloc_stats. Cost: ranking asks the page allocator for the
 * used pages of each block (pgalloc_used_pages: O(1) per 2M block with bitmap, O(block / 64)
 * with buddy), then each page of each block tried is taken or migrated. Uses no heap. One
 * compaction runs at a time; callers on several harts serialise it.
 */
int axalloc_compact(unsigned order, struct axalloc_compact_result *res);

/* Classes of a 2M block in the memory map (axalloc_block_map). */
#define AXALLOC_BLOCK_FREE	'.' /* every managed page of the block is free */
#define AXALLOC_BLOCK_MOVABLE	'M' /* pages in use, every one movable */
#define AXALLOC_BLOCK_UNMOVABLE 'U' /* pages in use, none movable */
#define AXALLOC_BLOCK_MIXED	'X' /* both movable and unmovable pages in use */

/*
 * The physical memory map, one character per naturally aligned 2M block
 * that overlaps a managed range, in address order (a block a range only
 * partly covers counts as one; its unmanaged pages are ignored): one of
 * the AXALLOC_BLOCK_* classes. A used page is movable when the registered
 * migrator's check (migrator(pa, true), called without the lock) answers
 * 0; without a migrator none is. Writes at most len - 1 characters and a
 * NUL into buf (nothing when len is 0; buf may then be NULL) and returns
 * the number of blocks, as snprintf does. Changes nothing: which pages are
 * used is read under the lock from the page allocator (pgalloc_used_pages),
 * so the map is a snapshot only while nobody else allocates. Cost: one
 * count per page of a block in use, one migrator check per used page
 * (fewer once a block is known mixed).
 */
size_t axalloc_block_map(char *buf, size_t len);

/*
 * Prints the memory map with printf: `title`, a legend, the map in lines
 * of 64 blocks (128 MiB) each starting at a 128 MiB-aligned physical
 * address printed first (a block that holds no managed page is a space),
 * then the number of blocks of each class. Uses no heap; changes nothing.
 */
void axalloc_print_block_map(const char *title);

/*
 * Turns direct compaction (see axalloc_alloc_pages) on or off at run time,
 * for every allocation, as Linux's transparent_hugepage/defrag does for
 * huge page faults ("always" / "never"). axalloc_init sets it on when
 * CONFIG_AXALLOC_DIRECT_COMPACTION is set, off otherwise. Returns 0, or
 * -EINVAL (nothing changed) for on without CONFIG_AXALLOC_DIRECT_COMPACTION.
 */
int axalloc_set_direct_compaction(bool on);

/*
 * Walks every heap block and free list and checks the heap's invariants
 * (boundary tags, no two adjacent free blocks, free lists and bitmaps agree,
 * byte and page counters match). Returns 0, or -EFAULT when the heap is
 * corrupted (for instance by a write past the end of a block).
 */
int axalloc_heap_check(void);

#if defined(HOST_TEST) || defined(CONFIG_AXALLOC_FAULT_INJECT)
/*
 * Fault injection for tests: after `n` more successful page allocations,
 * every page allocation (and heap growth) fails with -ENOMEM / NULL until
 * axalloc_fail_after(-1) turns injection off. n = 0 fails the next one.
 */
void axalloc_fail_after(long n);
#endif

/*
 * Byte heap. With the default heap (TLSF) every call is O(1) apart from
 * copying and zeroing.
 *
 * kmalloc: a block of at least `size` bytes aligned to 16 (size 0 gives a
 * minimal block); NULL when out of memory (counted in failed_allocs).
 * kcalloc: n * size zeroed bytes; NULL when n * size overflows (not
 * counted as out of memory) or when out of memory.
 * krealloc: like realloc: p == NULL acts as kmalloc(size); size 0 frees p
 * and returns NULL; otherwise returns a block holding the first
 * min(old, size) bytes of p (possibly p itself). On failure returns NULL
 * and p is untouched.
 * kmemalign: `align` must be a power of two up to PAGE_SIZE (smaller than 16
 * means 16); NULL for any other align or when out of memory.
 * kfree: frees a block from any of the above; kfree(NULL) does nothing.
 * A pointer the chosen heap can tell is not a live block (its header says
 * which) is logged, counted in heap_bad_frees and ignored; anything else it
 * cannot tell is undefined.
 *
 * The heap is the one chosen in menuconfig ("Kernel heap"). With
 * AXALLOC_HEAP_FRONT, kmalloc and kfree of up to 256 bytes go through a
 * front that caches a few free blocks per size class without the lock;
 * those blocks keep their heap pages until axalloc_heap_trim, or until the
 * heap runs out of pages.
 */
void *kmalloc(size_t size);
void *kcalloc(size_t n, size_t size);
void *krealloc(void *p, size_t size);
void *kmemalign(size_t align, size_t size);
void kfree(void *p);

/* Gives the blocks the heap's front caches back to the heap, and so its free pages back. */
void axalloc_heap_trim(void);

#endif

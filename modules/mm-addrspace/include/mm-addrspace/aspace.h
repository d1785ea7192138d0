/*
 * mm-addrspace/aspace.h - ArceOS-style address spaces for the low (user)
 * half of Sv39.
 *
 * An address space owns a range [base, end) inside [USER_VA_START,
 * USER_VA_END), a page table (page-table module) and a set of memory areas.
 * Areas are sorted, never overlap, and live in an AVL tree
 * (klib/interval_tree.h), so finding the area of an address is O(log n).
 * Each area has mapping flags (MAPF_*) and a backend:
 *
 *   Linear { pa_va_offset, pgsize }  va maps to va - pa_va_offset; every page
 *                                    is mapped when the area is created.
 *   Alloc  { populate, pgsize }      frames come from axalloc, aligned to
 *                                    pgsize and zeroed; populate = true maps
 *                                    every page now, false maps nothing until
 *                                    an access faults (one whole page of the
 *                                    area's size per fault).
 *
 * pgsize is 4K, 2M or 1G; an area's start, size (and pa for Linear) are
 * multiples of it, and every page the area maps has exactly that size.
 *
 * Errors (0 or a negative errno): -EINVAL bad argument or alignment (also a
 * range that is empty, overflows or leaves [base, end)), -EEXIST overlap with
 * an existing area, -ENOENT a range that is not (fully) covered by areas or
 * an address that is not mapped, -EFAULT an access the areas forbid or an
 * address in no area, -ENOMEM out of memory. A failed call leaves the area
 * set, the page table, the frames and the statistics exactly as they were.
 *
 * Permission flags of an area must form a valid leaf: MAPF_READ and/or
 * MAPF_EXEC, MAPF_WRITE only together with MAPF_READ, plus optionally
 * MAPF_USER and MAPF_DEVICE. (There is no access-less area: unmap instead.)
 *
 * Copy-on-write (CONFIG_MM_COW): every frame of an Alloc page has a
 * reference count (axalloc/frame_ref.h; a 2M or 1G page counts on its head
 * frame): 1 when allocated, one more for every further space that maps it
 * (aspace_clone), one less when a space unmaps it; the frame is freed when
 * the count reaches 0. A PTE of an Alloc page carries write permission only
 * if its area allows writing and its frame has a single reference; a page
 * of a writable area whose PTE lacks write is "COW-pending". A write to it
 * (a write fault, aspace_write, aspace_populate for ACCESS_WRITE) breaks
 * COW: with count 1 write is restored on the same frame; otherwise the page
 * is copied into a new frame of the same page size, mapped writable, and
 * the old frame loses one reference. aspace_protect that adds write to an
 * area breaks COW on the shared pages of the range the same way (copies
 * them). An area's flags always decide what is allowed: a write to a
 * read-only area is -EFAULT, shared or not. Without CONFIG_MM_COW frames
 * have no counts, every PTE carries its area's flags, and aspace_clone
 * copies eagerly (aspace_copy).
 *
 * Transparent huge pages (CONFIG_MM_THP): in an Alloc area of 4K pages the
 * space may map a whole 2M-aligned block with one 2M page (with
 * CONFIG_MM_THP_1G, a 1G-aligned block with one 1G page) on its own. A fault
 * or populate maps one when the space's policy (aspace_set_thp_policy) and
 * the area's advice (aspace_advise) allow it, the block lies wholly inside
 * the area, nothing in the block is mapped yet, and a frame of that size is
 * free; when only the frame is missing it maps the 4K page and counts a
 * fallback. So an area may hold a mix of page sizes; aspace_query reports
 * the real one. A transparent huge page behaves as its 4K pages would: an
 * unmap, protect or advise whose range ends inside one first splits it into
 * 512 pages of the next smaller size mapping the same frames (nothing is
 * copied), and a write to a COW-pending one that is shared splits it and
 * breaks COW on the 4K page written only. aspace_collapse and
 * aspace_khugepaged_scan go the other way. Frame reference counts are kept
 * per 4K frame (axalloc/frame_ref.h), so split pages need no bookkeeping.
 * Statistics are named as in Linux's /proc/vmstat (struct aspace_stats).
 *
 * Direct compaction (CONFIG_AXALLOC_DIRECT_COMPACTION): an allocation of a
 * 2M or 1G frame that finds none free may move other Alloc pages to new
 * frames first (aspace_migrate), the space's own pages included, in the
 * middle of any operation that allocates one (a fault, populate, write,
 * protect that copies, clone, collapse, khugepaged scan). Only physical
 * addresses change: mappings, flags, sizes, counts and contents stay.
 *
 * Address spaces are not locked: callers serialise operations on one space;
 * spaces that share frames (clones) must not be changed concurrently either,
 * and aspace_create, aspace_destroy, aspace_rmap and aspace_migrate, which
 * use the list of live spaces, need serialising against each other and
 * against every operation on any space.
 */
#ifndef MM_ADDRSPACE_ASPACE_H
#define MM_ADDRSPACE_ASPACE_H

#include <axhal/mem.h>
#include <klib/interval_tree.h>
#include <klib/list.h>
#include <page-table/page_table.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Page sizes an area may use, as indexes into the per-size statistics. */
enum aspace_pgsize_index {
	ASPACE_PGSIZE_4K,
	ASPACE_PGSIZE_2M,
	ASPACE_PGSIZE_1G,
	ASPACE_NR_PGSIZES
};

/* Flags an area may carry. */
#define ASPACE_AREA_FLAGS (MAPF_READ | MAPF_WRITE | MAPF_EXEC | MAPF_USER | MAPF_DEVICE)
/* Access kinds accepted by aspace_populate / aspace_handle_page_fault. */
#define ASPACE_ACCESS_MASK (ACCESS_READ | ACCESS_WRITE | ACCESS_EXEC)

enum aspace_backend_kind {
	ASPACE_BACKEND_LINEAR,
	ASPACE_BACKEND_ALLOC,
};

struct aspace_backend {
	enum aspace_backend_kind kind;
	uint64_t pgsize; /* 4K, 2M or 1G */
	union {
		struct {
			uint64_t pa_va_offset; /* va - pa (mod 2^64) */
		} linear;
		struct {
			bool populate; /* as asked at map time; pages may be faulted in since */
		} alloc;
	};
};

/*
 * Transparent huge page policy of a space, as Linux's
 * /sys/kernel/mm/transparent_hugepage/enabled.
 */
enum aspace_thp_policy {
	ASPACE_THP_NEVER,   /* 4K pages only */
	ASPACE_THP_MADVISE, /* huge pages only where advised ASPACE_ADV_HUGEPAGE */
	ASPACE_THP_ALWAYS,  /* huge pages wherever eligible, but where ASPACE_ADV_NOHUGEPAGE */
};

/* Huge-page advice of a range (aspace_advise), as madvise's. */
enum aspace_advice {
	ASPACE_ADV_NONE,	/* no advice given (the state of a new area) */
	ASPACE_ADV_HUGEPAGE,	/* MADV_HUGEPAGE */
	ASPACE_ADV_NOHUGEPAGE,	/* MADV_NOHUGEPAGE */
};

/* One memory area. Read-only for users of the module; the tree node is first. */
struct aspace_area {
	struct interval_node node; /* node.start, node.end: the area's range */
	unsigned flags;		   /* MAPF_* permissions of the area */
	enum aspace_advice advice; /* huge-page advice of the whole area */
	struct aspace_backend backend;
};

struct aspace_stats {
	uint64_t nr_areas;
	uint64_t mapped[ASPACE_NR_PGSIZES]; /* leaf pages mapped, by page size */
	uint64_t alloc_pages_4k;	    /* 4K frames behind the mapped Alloc pages
					       (a shared frame counts in every space) */
	uint64_t pt_pages;		    /* page-table pages, root included */
	uint64_t faults;		    /* pages faulted in (fault, read, write) */
	uint64_t spurious_faults;	    /* faults on pages already mapped with the access */
	uint64_t cow_faults;		    /* COW breaks: COW-pending pages written (fault,
					       write, populate) or made writable (protect) */
	uint64_t cow_copies;		    /* of those, pages copied into a new frame */
	/* Transparent huge pages, named as in Linux's /proc/vmstat. */
	uint64_t thp_mapped[ASPACE_NR_PGSIZES]; /* of mapped[], the transparent huge pages
						   (times the size: AnonHugePages of /proc/meminfo) */
	uint64_t thp_fault_alloc;		/* faults (or populates) that mapped one */
	uint64_t thp_fault_fallback;		/* eligible blocks mapped 4K: no free frame
						   (or page table) for the huge page */
	uint64_t thp_split_pmd;			/* transparent huge pages split */
	uint64_t thp_collapse_alloc;		/* blocks collapsed into one */
	uint64_t thp_collapse_alloc_failed;	/* collapses given up: no free frame */
};

struct aspace_log;

struct aspace {
	struct list_head link;	   /* in the list of live spaces (the reverse map walks it) */
	struct aspace_log *op_log; /* private: the page log of the running operation, or NULL */
	vaddr_t base;
	vaddr_t end;
	struct page_table pt;
	struct interval_tree areas;
	uint64_t mapped[ASPACE_NR_PGSIZES];
	uint64_t alloc_pages_4k;
	uint64_t faults;
	uint64_t spurious_faults;
	uint64_t cow_faults;
	uint64_t cow_copies;
	enum aspace_thp_policy thp_policy;
	vaddr_t khugepaged_next; /* where the next aspace_khugepaged_scan starts */
	uint64_t thp_mapped[ASPACE_NR_PGSIZES];
	uint64_t thp_fault_alloc;
	uint64_t thp_fault_fallback;
	uint64_t thp_split_pmd;
	uint64_t thp_collapse_alloc;
	uint64_t thp_collapse_alloc_failed;
};

/*
 * Records the kernel's page table; every address space created afterwards
 * shares its high-half root entries (pt_share_kernel), and destroying the
 * active space switches back to it. The kernel calls this once at boot;
 * the table must outlive every space created with it. Until it is called
 * (host tests) nothing is shared; NULL stops sharing for later spaces.
 */
void aspace_set_kernel_table(struct page_table *kpt);

/*
 * Initialises *as (not a live space: never created, or destroyed) as an
 * empty address space over [base, base + size): base
 * and size 4K-aligned, size > 0, inside [USER_VA_START, USER_VA_END) (else
 * -EINVAL). Allocates the root page table (-ENOMEM). 0 on success.
 */
int aspace_create(struct aspace *as, vaddr_t base, uint64_t size);

/*
 * Unmaps every area, frees every Alloc frame, every area node and every
 * page-table page. If *as is the active space, first switches to the kernel
 * table (when one is set) and forgets it as the active space. *as may be
 * created again afterwards.
 */
void aspace_destroy(struct aspace *as);

/*
 * Makes *as the active space: loads its page table (satp, full TLB flush)
 * and routes low-half page faults to aspace_fault_handler.
 */
void aspace_activate(struct aspace *as);

/* The active space (last aspace_activate), or NULL. */
struct aspace *aspace_current(void);

/*
 * The page-fault entry given to axhal: resolves the fault against the
 * active space (aspace_handle_page_fault); -EFAULT when none is active.
 */
int aspace_fault_handler(vaddr_t va, unsigned access);

/*
 * Finds the first free range of `size` bytes that starts at or after `hint`
 * (and at or after the space's base), is aligned to `align`, overlaps no
 * area and ends at or below `limit` (and the space's end): the first gap
 * scan of seed 000, including its end-of-range check. Stores its start in
 * *out. -EINVAL: size 0, align not a power of two >= 4K. -ENOMEM: no such
 * range. Changes nothing.
 */
int aspace_find_free_area(const struct aspace *as, vaddr_t hint, uint64_t size, vaddr_t limit,
			  uint64_t align, vaddr_t *out);

/*
 * Creates a Linear area [va, va + size) -> [pa, pa + size) with `flags`
 * and maps all of it with pages of pgsize. -EINVAL: bad pgsize or flags,
 * va/pa/size not multiples of pgsize, size 0, a range that overflows or
 * leaves the space. -EEXIST: overlaps an area. -ENOMEM: no memory for the
 * area node or a page table (rolled back).
 */
int aspace_map_linear(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t size, unsigned flags,
		      uint64_t pgsize);

/*
 * Creates an Alloc area [va, va + size) with `flags` and pages of pgsize.
 * populate: every page gets a zeroed frame (axalloc, pgsize-aligned) and
 * is mapped now; otherwise nothing is mapped until touched. Errors as for
 * aspace_map_linear; -ENOMEM also for frames (everything rolled back).
 */
int aspace_map_alloc(struct aspace *as, vaddr_t va, uint64_t size, unsigned flags, bool populate,
		     uint64_t pgsize);

/*
 * Unmaps [va, va + size): every overlapping area is removed, shrunk or
 * split in two, its pages unmapped and its Alloc frames freed. Holes in the
 * range are fine. -EINVAL: va/size not 4K-aligned, size 0, a range that
 * overflows or leaves the space, or the part of an area inside the range
 * does not start and end on that area's page size (e.g. half a 2M page).
 * -ENOMEM: no memory for the node of a split. Nothing changes on error.
 */
int aspace_unmap(struct aspace *as, vaddr_t va, uint64_t size);

/*
 * Sets the flags of [va, va + size) to `flags`: areas are split at the
 * range's ends and the mapped pages' PTEs updated (lazy pages get the new
 * flags when they fault in). Adjacent areas are never merged. Where write
 * is added to an area that lacked it, its mapped pages whose frames are
 * shared are copied first (COW broken; counted in cow_faults and
 * cow_copies); in areas that keep write, shared pages stay COW-pending.
 * -EINVAL: bad range or flags, or an area boundary not on the area's page
 * size (as for unmap). -ENOENT: part of the range is in no area (a hole).
 * -ENOMEM: no memory for the split nodes or the copies. Nothing changes on
 * error.
 */
int aspace_protect(struct aspace *as, vaddr_t va, uint64_t size, unsigned flags);

/*
 * Makes every page that overlaps [va, va + size) present, as an access of
 * kind `access` (ACCESS_* bits, may be 0) would: lazy Alloc pages get their
 * (whole) frame now, and with ACCESS_WRITE every COW-pending page has COW
 * broken (counted in cow_faults / cow_copies). Lazy pages mapped do not
 * count as faults. -EINVAL: va/size not 4K-aligned, size 0, bad range or
 * access bits. -ENOENT: part of the range is in no area. -EFAULT: an area
 * in the range forbids `access`. -ENOMEM: out of memory (every page this
 * call mapped is unmapped again, every page it copied or made writable is
 * as before, and the stats are unchanged).
 */
int aspace_populate(struct aspace *as, vaddr_t va, uint64_t size, unsigned access);

/*
 * Resolves a page fault at va for `access` (one ACCESS_* kind or several).
 * A lazy page of an Alloc area gets a zeroed frame of the area's page size,
 * mapped with the area's flags: 0, counted in stats.faults. A write to a
 * COW-pending page breaks COW (see above): 0, counted in stats.cow_faults
 * (and cow_copies when copied). A page already mapped with the access: 0
 * (spurious; stats.spurious_faults). -EFAULT: va in no area, or the area's
 * flags forbid the access. -EINVAL: bad access bits. -ENOMEM: no frame or
 * page table (nothing changes).
 */
int aspace_handle_page_fault(struct aspace *as, vaddr_t va, unsigned access);

/*
 * Copy len bytes from / to the space at va, through the kernel's view of
 * physical memory (phys_to_virt). Lazy pages in the range are faulted in
 * first (counted as faults), and for aspace_write COW is broken on every
 * COW-pending page of the range (counted as cow_faults), for the whole
 * range before any byte moves, so a failed call changes nothing. len 0: 0.
 * -EFAULT: the range overflows, leaves the space, crosses a hole, or an
 * area forbids reading (aspace_read) or writing (aspace_write). -ENOMEM:
 * out of memory while faulting in or copying.
 */
int aspace_read(struct aspace *as, vaddr_t va, void *buf, size_t len);
int aspace_write(struct aspace *as, vaddr_t va, const void *buf, size_t len);

/*
 * Translates va: physical address of va itself, the PTE's flags (MAPF_*, as
 * pt_query reports them) and the page size; each pointer may be NULL.
 * -EINVAL: va outside the space. -ENOENT: not mapped (no area, or a lazy
 * page not touched yet).
 */
int aspace_query(const struct aspace *as, vaddr_t va, paddr_t *pa, unsigned *flags,
		 uint64_t *pgsize);

/* The area containing va, or NULL. The pointer stays valid until the next change. */
const struct aspace_area *aspace_find_area(const struct aspace *as, vaddr_t va);

/* Areas in address order: the first, and the one after `a` (NULL at the end). */
const struct aspace_area *aspace_first_area(const struct aspace *as);
const struct aspace_area *aspace_next_area(const struct aspace *as, const struct aspace_area *a);

/*
 * Fork-like clone of src into dst, which must be created (aspace_create)
 * and hold no area. Every area of src is re-created in dst with the same
 * range, flags and backend (page size, populate flag, Linear offset).
 * Linear areas are mapped in dst as they are in src. Alloc pages that src
 * has never touched stay lazy in dst. Every mapped Alloc page is, with
 * CONFIG_MM_COW, shared: dst maps the same frame, its count goes up by one,
 * and the PTEs in both spaces lose write permission (the areas keep their
 * flags; the next write breaks COW). Without CONFIG_MM_COW it is copied as
 * aspace_copy does. dst's fault and COW statistics are not changed.
 * Returns 0; -EINVAL: dst == src, or an area of src lies outside dst's
 * range; -EEXIST: dst has an area; -ENOMEM: out of memory for a node, a
 * page table or a frame, or a frame count would overflow. On error dst is
 * left empty as it was, and src (PTEs, counts, stats) is unchanged.
 */
int aspace_clone(struct aspace *dst, struct aspace *src);

/*
 * As aspace_clone, but every mapped Alloc page of src gets a private copy
 * in dst (a new frame of the same page size with the same bytes, mapped with
 * the area's flags); src is not changed at all. This is what aspace_clone
 * does without CONFIG_MM_COW; with it, it is the eager baseline that COW is
 * measured against. Errors as for aspace_clone (no overflow case).
 */
int aspace_copy(struct aspace *dst, const struct aspace *src);

/*
 * Sets the space's transparent huge page policy (a new space starts with
 * the Kconfig default, a clone with its source's). Pages already mapped
 * stay as they are. -EINVAL: not a policy, or any policy but
 * ASPACE_THP_NEVER without CONFIG_MM_THP (nothing changed).
 */
int aspace_set_thp_policy(struct aspace *as, enum aspace_thp_policy policy);

/* The space's transparent huge page policy. */
enum aspace_thp_policy aspace_thp_policy(const struct aspace *as);

/*
 * Gives [va, va + size) the huge-page advice ASPACE_ADV_HUGEPAGE or
 * ASPACE_ADV_NOHUGEPAGE, like madvise: areas are split at the range's ends
 * (and transparent huge pages that an end cuts are split). Pages already
 * mapped stay as they are. -EINVAL: bad range or advice, or an area boundary
 * not on the area's page size. -ENOENT: part of the range is in no area.
 * -ENOMEM: no memory for a split. Nothing changes on error.
 */
int aspace_advise(struct aspace *as, vaddr_t va, uint64_t size, enum aspace_advice advice);

/*
 * Like MADV_COLLAPSE: replaces the 4K pages of every 2M-aligned block that
 * lies wholly inside [va, va + size) and inside one Alloc area of 4K pages
 * not advised ASPACE_ADV_NOHUGEPAGE (the policy does not matter) by one
 * transparent 2M page: a new frame gets a copy of the present pages and
 * zeroes for the rest, one leaf maps it, the 4K frames are freed after the
 * TLB flush. A block is skipped (left as it is) when it is mapped by one
 * page already, when more than CONFIG_MM_THP_MAX_PTES_NONE of its pages
 * (all 512 at most) are unmapped, or when one of its pages is shared (COW).
 * Returns the number of blocks collapsed (counted in thp_collapse_alloc).
 * -EINVAL: bad range or no CONFIG_MM_THP. -ENOENT: part of the range is in
 * no area (nothing changed). -ENOMEM: no 2M frame (counted in
 * thp_collapse_alloc_failed); the block that failed is unchanged, blocks
 * before it stay collapsed.
 */
int aspace_collapse(struct aspace *as, vaddr_t va, uint64_t size);

/*
 * One step of a khugepaged-style background scan: examines up to
 * max_blocks 2M-aligned blocks of the areas where the policy and advice
 * allow transparent huge pages, from where the last step stopped (wrapping
 * to the start of the space after the last area), and collapses each one
 * aspace_collapse would. Returns the number of blocks collapsed; a block
 * without a free 2M frame is counted in thp_collapse_alloc_failed and ends
 * the step. Without CONFIG_MM_THP: 0.
 */
uint64_t aspace_khugepaged_scan(struct aspace *as, uint64_t max_blocks);

/* One mapping of a frame, as aspace_rmap finds it. */
struct aspace_mapping {
	struct aspace *as;
	vaddr_t va;	 /* start of the page that maps the frame */
	uint64_t pgsize; /* the page's size */
	paddr_t pa;	 /* the page's first frame */
};

/*
 * Reverse map (CONFIG_MM_COW): every live space that maps the 4K frame at
 * pa through a page of an Alloc area. Stores up to max of them in out[]
 * (newest space first) and returns how many there are, which may exceed
 * max; 0 when none does (a free frame, a page table, the heap, a Linear
 * page). How: every space maps an Alloc frame at one virtual address (a
 * clone keeps its source's addresses), so axalloc keeps the frame's virtual
 * page number in its owner word (axalloc/frame_ref.h, 4 bytes per frame,
 * set with the count when the frame is allocated) and the lookup walks
 * the page table of each live space at that address. Without
 * CONFIG_MM_COW: 0.
 */
int aspace_rmap(paddr_t pa, struct aspace_mapping *out, int max);

/*
 * Migrates the Alloc page that holds the 4K frame at pa (a 4K page, or a
 * transparent or fixed 2M/1G page) to a new frame of the same size and
 * alignment: copies its bytes, points every mapping aspace_rmap finds at
 * the new frame with the same flags (each pt_remap flushes the old TLB
 * entry of this hart), moves the reference counts and owner words, and
 * frees the old frame. Stores the new frame's address in *to (may be
 * NULL). -ENOENT: no space maps pa through an Alloc page. -EBUSY: the
 * spaces map it with pages of different sizes or starts (a transparent page
 * split in some of them: split it in all first), more than 64 spaces map
 * it, or an operation running on one of them still needs its frame where
 * it is (a split it may have to undo, a COW copy it may have to take back:
 * only when called from inside that operation, by direct compaction).
 * -ENOMEM: no free frame.
 * -EINVAL: without CONFIG_MM_COW. Nothing changes on error.
 */
int aspace_migrate(paddr_t pa, paddr_t *to);

/* A snapshot of the space's statistics. */
void aspace_stats(const struct aspace *as, struct aspace_stats *st);

/*
 * Number of mapped Alloc pages of the space (of any size) whose frame is
 * mapped elsewhere too (reference count > 1); 0 without CONFIG_MM_COW.
 * Visits every page of every Alloc area: O(pages).
 */
uint64_t aspace_shared_pages(const struct aspace *as);

/* Index (ASPACE_PGSIZE_*) of a page size, or -1 if it is not 4K, 2M or 1G. */
int aspace_pgsize_index(uint64_t pgsize);

#endif

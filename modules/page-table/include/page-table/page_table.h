/*
 * page-table/page_table.h - Sv39 page tables with 4K, 2M and 1G leaves.
 *
 * Three levels of 512 entries, 39-bit sign-extended virtual addresses (the
 * entry format is in <page-table/sv39.h>). Table pages come from the
 * struct pt_frame_ops the table was given at pt_init and are zeroed through
 * phys_to_virt; an intermediate table is freed when its last entry goes
 * (except the level-1 tables of a kernel half lent with pt_share_kernel).
 * The module never touches leaf frames: it neither reads, writes, allocates
 * nor frees them.
 *
 * Flags: MAPF_READ/WRITE/EXEC/USER/GLOBAL become R/W/X/U/G. A leaf needs
 * READ or EXEC (without both an entry would be a table pointer) and WRITE
 * needs READ (W without R is reserved): other combinations are -EINVAL.
 * Every leaf is written with A set, and with D set when it is writable, so
 * hardware without Svadu never traps to set them (the accessed/dirty
 * information is therefore not tracked). MAPF_ACCESSED and MAPF_DIRTY are
 * accepted as input and ignored, so flags read back with pt_query can be
 * passed to pt_protect/pt_remap. MAPF_DEVICE is kept in a software (RSW)
 * bit and, with CONFIG_RISCV_SVPBMT, also sets the Svpbmt type to IO
 * (non-cacheable, strongly ordered).
 *
 * TLB: every change to a valid leaf is followed by axhal_flush_tlb_page(va)
 * before the call returns; a call that changes more than
 * PT_FLUSH_ALL_THRESHOLD leaves, or removes a table pointer (the per-address
 * fence does not cover non-leaf entries), does one axhal_flush_tlb_all()
 * instead. Filling an empty entry needs no flush. Freed table pages go back
 * to the table's allocator only after the flush. The flushes reach this hart only (other
 * harts running the table are the caller's business). A call that fails
 * after mapping part of a region flushes what its rollback removed.
 *
 * Errors: -EINVAL bad argument (misaligned va/pa/size, zero size, bad page
 * size, bad flags, va not canonical or the range leaving its half, pa past
 * 56 bits, a write to the kernel half of a table that shares it),
 * -EEXIST already mapped, -ENOENT not mapped, -EBUSY the operation would cut
 * through a huge page, -ENOMEM no memory for a table. A failed call leaves
 * the table exactly as it was (entries, nr_table_pages, table pages held).
 *
 * Not thread-safe: callers serialise operations on one table.
 */
#ifndef PAGE_TABLE_PAGE_TABLE_H
#define PAGE_TABLE_PAGE_TABLE_H

#include <axhal/mem.h>
#include <stdbool.h>
#include <stdint.h>

/* Mapping flags (architecture independent; translated to PTE bits). */
#define MAPF_READ     (1u << 0)
#define MAPF_WRITE    (1u << 1)
#define MAPF_EXEC     (1u << 2)
#define MAPF_USER     (1u << 3)
#define MAPF_GLOBAL   (1u << 4)
#define MAPF_DEVICE   (1u << 5) /* device / uncached memory */
#define MAPF_ACCESSED (1u << 6) /* reported by pt_query: hardware A bit */
#define MAPF_DIRTY    (1u << 7) /* reported by pt_query: hardware D bit */
#define MAPF_ALL      0xffu

#define PT_FLUSH_ALL_THRESHOLD 64

/*
 * Where a table gets its table pages (one 4K page at a time; never leaf
 * frames). alloc stores the physical address of a free 4K-aligned page that
 * phys_to_virt reaches and returns 0, or returns non-zero when there is none
 * (the page-table call then fails with -ENOMEM). The page table zeroes the
 * page itself. free takes back a page alloc gave, after the TLB flush that
 * makes it unreachable; it cannot fail. Both get ctx as their first argument.
 * The ops must stay valid (and unchanged) until pt_destroy.
 */
struct pt_frame_ops {
	int (*alloc)(void *ctx, paddr_t *pa);
	void (*free)(void *ctx, paddr_t pa);
	void *ctx;
};

struct page_table {
	paddr_t root;			   /* physical address of the root table */
	uint64_t nr_table_pages;	   /* table pages owned, root included */
	const struct pt_frame_ops *frames; /* where table pages come from and go */
	bool shares_kernel; /* high-half root entries borrowed (pt_share_kernel dst) */
	bool lends_kernel;  /* high-half root entries lent (pt_share_kernel src) */
};

/*
 * Allocates a zeroed root table from `frames`, which supplies every table
 * page of this table from then on: nr_table_pages = 1. 0 or -ENOMEM.
 */
int pt_init(struct page_table *pt, const struct pt_frame_ops *frames);

/*
 * Frees every table page the table owns, root included, and leaves *pt
 * zeroed. Leaf frames are the caller's and are not freed; high-half entries
 * borrowed with pt_share_kernel are left alone. The table must not be
 * active on any hart (no TLB maintenance is done).
 */
void pt_destroy(struct page_table *pt);

/*
 * Makes dst's high half (root entries 256..511) a copy of src's, so the
 * kernel mappings are shared: later changes below those entries (in src's
 * level-1 and level-0 tables) show through, new root entries of src do not
 * (call again to refresh). dst may not map anything in its own high half
 * afterwards (-EINVAL) and pt_destroy leaves the borrowed tables alone.
 * From then on src keeps its high-half level-1 tables even when they become
 * empty (copies of the root entries point to them) until pt_destroy; destroy
 * the borrowers first. Returns 0; -EINVAL if dst == src; -EEXIST if dst
 * already has high-half mappings of its own (nothing changed).
 */
int pt_share_kernel(struct page_table *dst, struct page_table *src);

/* The satp value (Sv39 mode, ASID 0, root PPN) that activates this table. */
uint64_t pt_satp(const struct page_table *pt);

/*
 * Maps one page of pgsize (4K, 2M or 1G) at va to pa; va and pa aligned to
 * pgsize. -EEXIST if any page already maps part of it (a huge leaf covering
 * va, or a table below the entry a huge page needs). 0, -EINVAL, -EEXIST,
 * -ENOMEM.
 */
int pt_map(struct page_table *pt, vaddr_t va, paddr_t pa, uint64_t pgsize, unsigned flags);

/*
 * Maps [va, va + size) to [pa, pa + size); va, pa, size 4K-aligned, size > 0.
 * With allow_huge, each step uses the largest page (1G, 2M, 4K) whose va and
 * pa are aligned and that fits in what is left (below an empty kept table of
 * a lent kernel half, the next smaller size); otherwise only 4K pages.
 * All or nothing: on -EEXIST or -ENOMEM midway everything this call mapped
 * and every table it added are removed again.
 */
int pt_map_region(struct page_table *pt, vaddr_t va, paddr_t pa, uint64_t size, unsigned flags,
		  bool allow_huge);

/*
 * Unmaps the page that starts at va (va must be the start of a mapped page
 * of any size); stores its physical address and size when the pointers are
 * not NULL. -EINVAL va not 4K-aligned or not canonical; -ENOENT nothing
 * mapped at va; -EBUSY va is inside a huge page but not at its start.
 */
int pt_unmap(struct page_table *pt, vaddr_t va, paddr_t *pa, uint64_t *pgsize);

/*
 * Unmaps every page in [va, va + size) (4K-aligned, size > 0); holes are
 * skipped, so a range with nothing mapped succeeds. -EBUSY (and no change)
 * if a huge page straddles either end of the range. Leaf frames are not
 * freed; tables left empty are (except the lent ones, see pt_share_kernel).
 */
int pt_unmap_region(struct page_table *pt, vaddr_t va, uint64_t size);

/*
 * Sets the flags of every page in [va, va + size) (4K-aligned, size > 0),
 * keeping each page's frame. -EBUSY if a huge page straddles an end, else
 * -ENOENT if any page in the range is unmapped; nothing changes then.
 */
int pt_protect(struct page_table *pt, vaddr_t va, uint64_t size, unsigned flags);

/*
 * Points the existing mapping starting at va to pa with new flags (same
 * size; pa aligned to it). -ENOENT nothing mapped at va; -EBUSY va inside
 * a huge page but not at its start; -EINVAL bad va, pa or flags.
 */
int pt_remap(struct page_table *pt, vaddr_t va, paddr_t pa, unsigned flags);

/*
 * Splits the huge page (2M or 1G) that starts at va into 512 pages of the
 * next smaller size (2M: 4K pages, 1G: 2M pages) mapping the same physical
 * range with the same PTE bits (flags, A/D, device type): no frame is moved
 * or copied, and every address translates as before. Takes one table page
 * (nr_table_pages + 1) and flushes the huge page's TLB entry. -EINVAL va
 * not 4K-aligned or not canonical, in a borrowed kernel half, or the page
 * at va is a 4K page; -ENOENT nothing mapped at va; -EBUSY va inside a
 * huge page but not at its start, or a 1G page of a lent kernel half (other
 * tables hold copies of its root entry); -ENOMEM no table page. Nothing
 * changes on error.
 */
int pt_split(struct page_table *pt, vaddr_t va);

/*
 * Replaces whatever the table below the pgsize-aligned block at va maps
 * (pgsize 2M or 1G; smaller pages, possibly with holes) by one leaf of
 * pgsize mapping pa with flags. The leaves removed keep their frames (they
 * are the caller's); the table pages below the block are freed after one
 * full TLB flush. Cannot run out of memory. -EINVAL bad pgsize, flags, va
 * or pa (misaligned, not canonical, past 56 bits, a borrowed kernel half);
 * -ENOENT the block holds no table (nothing is mapped there, or it is a
 * single leaf already); -EBUSY a 1G block of a lent kernel half (other
 * tables hold copies of its root entry). Nothing changes on error.
 */
int pt_collapse(struct page_table *pt, vaddr_t va, uint64_t pgsize, paddr_t pa, unsigned flags);

/*
 * True if no page overlaps [va, va + size) (va and size 4K-aligned, size
 * > 0, va canonical, the range inside one half); false when one does or
 * the range is bad. Visits only the entries the range touches: one per
 * level for an empty aligned 2M block.
 */
bool pt_range_empty(const struct page_table *pt, vaddr_t va, uint64_t size);

/*
 * Translates va (any byte address): physical address of va itself, the
 * mapping's flags (MAPF_*, including DEVICE, ACCESSED, DIRTY) and its page
 * size (each pointer may be NULL). -EINVAL if va is not canonical, -ENOENT
 * if unmapped.
 */
int pt_query(const struct page_table *pt, vaddr_t va, paddr_t *pa, unsigned *flags,
	     uint64_t *pgsize);

#endif

/*
 * pt_internal.h - what the page-table source files share (private).
 *
 * Internally a virtual address is handled as its low 39 bits ("va39"): the
 * table indexes are the same as for the sign-extended address, the whole
 * space is [0, 2^39) with the kernel half at [2^38, 2^39), and range ends
 * never overflow. Addresses are sign-extended again only for TLB flushes.
 */
#ifndef PAGE_TABLE_PT_INTERNAL_H
#define PAGE_TABLE_PT_INTERNAL_H

#include <errno.h>
#include <page-table/page_table.h>
#include <page-table/sv39.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* A validated virtual range [start, end) of 39-bit addresses. */
struct pt_range {
	uint64_t start;
	uint64_t end;
};

/*
 * Leaf PTE bits (V, A, D and the R/W/X/U/G/device bits) for MAPF_* flags.
 * 0, or -EINVAL for unknown flags, neither READ nor EXEC, WRITE without READ.
 */
int pt_leaf_bits(unsigned flags, pte_t *bits);

/* MAPF_* flags of a leaf PTE (including DEVICE, ACCESSED, DIRTY). */
unsigned pt_pte_flags(pte_t pte);

/*
 * Checks [va, va + size): size > 0, both 4K-aligned, va canonical, the range
 * inside one half; with `modify`, not the borrowed kernel half of a table
 * that shares it. Stores the 39-bit range in *r. 0 or -EINVAL.
 */
int pt_check_range(const struct page_table *pt, vaddr_t va, uint64_t size, bool modify,
		   struct pt_range *r);

/*
 * pt_check_range (modifying) for a range whose ends must not cut a mapped
 * huge page. 0, -EINVAL or -EBUSY.
 */
int pt_check_region(const struct page_table *pt, vaddr_t va, uint64_t size, struct pt_range *r);

/* Checks that [pa, pa + size) is 4K-aligned and below 2^56. 0 or -EINVAL. */
int pt_check_pa(paddr_t pa, uint64_t size);

/* True for 4K, 2M and 1G. */
bool pt_pgsize_valid(uint64_t pgsize);

/* A zeroed table page from f: stores its physical address. 0 or -ENOMEM. */
static inline int pt_alloc_table(const struct pt_frame_ops *f, paddr_t *pa)
{
	if (f->alloc(f->ctx, pa) != 0)
		return -ENOMEM;
	memset(phys_to_virt(*pa), 0, PAGE_SIZE_4K);
	return 0;
}

/* Gives a table page back to f. */
static inline void pt_free_table(const struct pt_frame_ops *f, paddr_t pa)
{
	f->free(f->ctx, pa);
}

/* The table (512 entries) at physical address pa. */
static inline pte_t *pt_table_at(paddr_t pa)
{
	return (pte_t *)phys_to_virt(pa);
}

/*
 * Where the entry of span `size` that holds va39 stops covering [va39, end):
 * the next multiple of size after va39, or end if that comes first. Range
 * walks step through a table with it.
 */
static inline uint64_t pt_entry_end(uint64_t va39, uint64_t size, uint64_t end)
{
	uint64_t next = ALIGN_DOWN(va39, size) + size;
	return next < end ? next : end;
}

/*
 * True if no entry of the table is valid. The scan starts at index `hint`
 * and moves outwards, so it stops early when a valid entry is near there
 * (e.g. next to an entry just cleared).
 */
bool pt_table_empty(const pte_t *table, unsigned hint);

/*
 * Finds the leaf that maps va39: returns its entry and stores its level, or
 * NULL when va39 is not mapped.
 */
pte_t *pt_walk(const struct page_table *pt, uint64_t va39, int *level);

/*
 * Finds the leaf that starts at va39: stores its entry and page size. 0,
 * -ENOENT (va39 not mapped) or -EBUSY (va39 inside a huge page).
 */
int pt_find_leaf(const struct page_table *pt, uint64_t va39, pte_t **entry, uint64_t *size);

/* True if the boundary va39 falls strictly inside a mapped huge page. */
bool pt_cuts_huge(const struct page_table *pt, uint64_t va39);

/*
 * One modifying operation: collects the TLB maintenance and the table pages
 * to free, and carries them out in pt_op_end.
 */
struct pt_op {
	struct page_table *pt;
	uint64_t nr_changed;			  /* valid leaves changed */
	uint64_t changed[PT_FLUSH_ALL_THRESHOLD]; /* their va39, while few */
	bool flush_all;				  /* a table pointer was removed */
	uint64_t nr_dead;			  /* unlinked tables to free */
	paddr_t dead;				  /* first of them; entry 0 links the next */
	uint64_t root_made[SV39_ENTRIES / 64];	  /* root entries given a table by this op */
};

void pt_op_begin(struct pt_op *op, struct page_table *pt);

/* Records that the valid leaf mapping va39 was changed or cleared. */
void pt_op_leaf_changed(struct pt_op *op, uint64_t va39);

/*
 * Allocates a zeroed table page and points the empty entry *entry at it
 * (nr_table_pages + 1). 0 or -ENOMEM (nothing changed).
 */
int pt_op_link_table(struct pt_op *op, pte_t *entry);

/*
 * Clears *entry, a pointer to an empty table, and queues that table to be
 * freed after the TLB flush (nr_table_pages - 1).
 */
void pt_op_unlink_table(struct pt_op *op, pte_t *entry);

/* Records that root entry `index` got a new table in this operation. */
void pt_op_root_made(struct pt_op *op, unsigned index);

/*
 * True if the empty table under the entry for va at `level` must stay: a
 * level-1 table of a lent kernel half (other tables hold copies of its
 * root entry), unless this very operation made it.
 */
bool pt_op_keeps_table(const struct pt_op *op, int level, uint64_t va39);

/* Flushes the TLB as recorded, then frees the unlinked tables. */
void pt_op_end(struct pt_op *op);

/*
 * Clears every leaf in [start, end) of `table` (at `level`; the range lies in
 * the table's span and cuts no leaf) and unlinks the child tables this leaves
 * empty. Holes are skipped. Only the tables the range touches are examined.
 */
void pt_unmap_range(struct pt_op *op, pte_t *table, int level, uint64_t start, uint64_t end);

#endif

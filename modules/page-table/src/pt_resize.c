/*
 * pt_resize.c - changing the page size of a block in place: pt_split turns
 * one huge leaf into a table of 512 smaller leaves, pt_collapse turns a
 * table (whatever it maps) into one huge leaf.
 */
#include <assert.h>
#include <errno.h>

#include "pt_internal.h"

int pt_split(struct page_table *pt, vaddr_t va)
{
	struct pt_range r;
	struct pt_op op;
	pte_t *e;
	uint64_t size;
	paddr_t table_pa;
	if (pt_check_range(pt, va, PAGE_SIZE_4K, true, &r))
		return -EINVAL;
	int err = pt_find_leaf(pt, r.start, &e, &size);
	if (err)
		return err;
	if (size == PAGE_SIZE_4K)
		return -EINVAL;
	if (size == PAGE_SIZE_1G && pt->lends_kernel &&
	    sv39_index(r.start, SV39_ROOT_LEVEL) >= SV39_KERNEL_ROOT_INDEX)
		return -EBUSY; /* other tables hold copies of this root entry */
	if (pt_alloc_table(pt->frames, &table_pa) != 0)
		return -ENOMEM;
	pte_t *table = pt_table_at(table_pa);
	uint64_t child_size = size / SV39_ENTRIES;
	pte_t bits = *e & ~SV39_PTE_PPN_MASK; /* flags, A/D, software and Svpbmt bits */
	for (unsigned i = 0; i < SV39_ENTRIES; i++)
		table[i] = sv39_pte_leaf_make(sv39_pte_pa(*e) + i * child_size, bits);
	/* Other harts' walkers must see the new leaves before the pointer. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	pt_op_begin(&op, pt);
	*e = sv39_pte_table(table_pa);
	pt->nr_table_pages++;
	pt_op_leaf_changed(&op, r.start); /* the fence for va drops the huge TLB entry */
	pt_op_end(&op);
	return 0;
}

int pt_collapse(struct page_table *pt, vaddr_t va, uint64_t pgsize, paddr_t pa, unsigned flags)
{
	struct pt_range r;
	struct pt_op op;
	pte_t bits;
	if (pgsize != PAGE_SIZE_2M && pgsize != PAGE_SIZE_1G)
		return -EINVAL;
	if (pt_leaf_bits(flags, &bits) || !IS_ALIGNED(va, pgsize) || !IS_ALIGNED(pa, pgsize) ||
	    pt_check_pa(pa, pgsize) || pt_check_range(pt, va, pgsize, true, &r))
		return -EINVAL;
	int level = pgsize == PAGE_SIZE_1G ? SV39_ROOT_LEVEL : SV39_ROOT_LEVEL - 1;
	pte_t *table = pt_table_at(pt->root);
	for (int l = SV39_ROOT_LEVEL; l > level; l--) {
		pte_t e = table[sv39_index(r.start, l)];
		if (!sv39_pte_valid(e) || sv39_pte_leaf(e))
			return -ENOENT;
		table = pt_table_at(sv39_pte_pa(e));
	}
	pte_t *e = &table[sv39_index(r.start, level)];
	if (!sv39_pte_valid(*e) || sv39_pte_leaf(*e))
		return -ENOENT;
	pt_op_begin(&op, pt);
	if (pt_op_keeps_table(&op, level, r.start))
		return -EBUSY; /* other tables hold copies of this root entry */
	pt_unmap_range(&op, pt_table_at(sv39_pte_pa(*e)), level - 1, r.start, r.end);
	pt_op_unlink_table(&op, e);
	*e = sv39_pte_leaf_make(pa, bits);
	pt_op_end(&op);
	return 0;
}

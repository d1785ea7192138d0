/* pt_unmap.c - clearing leaves and freeing the tables that become empty. */
#include <assert.h>
#include <errno.h>

#include "pt_internal.h"

void pt_unmap_range(struct pt_op *op, pte_t *table, int level, uint64_t start, uint64_t end)
{
	uint64_t size = sv39_level_size(level);
	for (uint64_t va = start, next; va < end; va = next) {
		next = pt_entry_end(va, size, end);
		pte_t *e = &table[sv39_index(va, level)];
		if (!sv39_pte_valid(*e))
			continue;
		bool whole = next - va == size; /* the range covers the entry's span */
		if (sv39_pte_leaf(*e)) {
			assert(whole);
			*e = 0;
			pt_op_leaf_changed(op, va);
			continue;
		}
		pte_t *child = pt_table_at(sv39_pte_pa(*e));
		pt_unmap_range(op, child, level - 1, va, next);
		/*
		 * A fully covered child is empty now. A partly covered one is
		 * scanned once, outwards from the start of the cleared part:
		 * the scan costs at most the cleared length plus the distance
		 * to the nearest entry still valid.
		 */
		if ((whole || pt_table_empty(child, sv39_index(va, level - 1))) &&
		    !pt_op_keeps_table(op, level, va))
			pt_op_unlink_table(op, e);
	}
}

int pt_unmap(struct page_table *pt, vaddr_t va, paddr_t *pa, uint64_t *pgsize)
{
	struct pt_range r;
	struct pt_op op;
	pte_t *e;
	uint64_t size;
	if (pt_check_range(pt, va, PAGE_SIZE_4K, true, &r))
		return -EINVAL;
	int err = pt_find_leaf(pt, r.start, &e, &size);
	if (err)
		return err;
	if (pa)
		*pa = sv39_pte_pa(*e);
	if (pgsize)
		*pgsize = size;
	pt_op_begin(&op, pt);
	pt_unmap_range(&op, pt_table_at(pt->root), SV39_ROOT_LEVEL, r.start, r.start + size);
	pt_op_end(&op);
	return 0;
}

int pt_unmap_region(struct page_table *pt, vaddr_t va, uint64_t size)
{
	struct pt_range r;
	struct pt_op op;
	int err = pt_check_region(pt, va, size, &r);
	if (err)
		return err;
	pt_op_begin(&op, pt);
	pt_unmap_range(&op, pt_table_at(pt->root), SV39_ROOT_LEVEL, r.start, r.end);
	pt_op_end(&op);
	return 0;
}

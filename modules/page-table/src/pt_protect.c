/* pt_protect.c - changing existing leaves: pt_protect and pt_remap. */
#include <assert.h>
#include <errno.h>

#include "pt_internal.h"

/* True if every address in [start, end) of `table` (at `level`) is mapped. */
static bool range_mapped(const pte_t *table, int level, uint64_t start, uint64_t end)
{
	uint64_t size = sv39_level_size(level);
	for (uint64_t va = start, next; va < end; va = next) {
		next = pt_entry_end(va, size, end);
		pte_t e = table[sv39_index(va, level)];
		if (!sv39_pte_valid(e))
			return false;
		if (!sv39_pte_leaf(e) &&
		    !range_mapped(pt_table_at(sv39_pte_pa(e)), level - 1, va, next))
			return false;
	}
	return true;
}

/* Gives every leaf in [start, end) (all mapped, no leaf cut) the bits `bits`. */
static void protect_range(struct pt_op *op, pte_t *table, int level, uint64_t start, uint64_t end,
			  pte_t bits)
{
	uint64_t size = sv39_level_size(level);
	for (uint64_t va = start, next; va < end; va = next) {
		next = pt_entry_end(va, size, end);
		pte_t *e = &table[sv39_index(va, level)];
		assert(sv39_pte_valid(*e));
		if (!sv39_pte_leaf(*e)) {
			protect_range(op, pt_table_at(sv39_pte_pa(*e)), level - 1, va, next, bits);
			continue;
		}
		assert(next - va == size);
		pte_t new = sv39_pte_leaf_make(sv39_pte_pa(*e), bits);
		if (new != *e) {
			*e = new;
			pt_op_leaf_changed(op, va);
		}
	}
}

int pt_protect(struct page_table *pt, vaddr_t va, uint64_t size, unsigned flags)
{
	struct pt_range r;
	struct pt_op op;
	pte_t bits;
	if (pt_leaf_bits(flags, &bits))
		return -EINVAL;
	int err = pt_check_region(pt, va, size, &r);
	if (err)
		return err;
	pte_t *root = pt_table_at(pt->root);
	if (!range_mapped(root, SV39_ROOT_LEVEL, r.start, r.end))
		return -ENOENT;
	pt_op_begin(&op, pt);
	protect_range(&op, root, SV39_ROOT_LEVEL, r.start, r.end, bits);
	pt_op_end(&op);
	return 0;
}

int pt_remap(struct page_table *pt, vaddr_t va, paddr_t pa, unsigned flags)
{
	struct pt_range r;
	struct pt_op op;
	pte_t bits, *e;
	uint64_t size;
	if (pt_leaf_bits(flags, &bits) || pt_check_range(pt, va, PAGE_SIZE_4K, true, &r))
		return -EINVAL;
	int err = pt_find_leaf(pt, r.start, &e, &size);
	if (err)
		return err;
	if (!IS_ALIGNED(pa, size) || pt_check_pa(pa, size))
		return -EINVAL;
	pte_t new = sv39_pte_leaf_make(pa, bits);
	if (new == *e)
		return 0;
	pt_op_begin(&op, pt);
	*e = new;
	pt_op_leaf_changed(&op, r.start);
	pt_op_end(&op);
	return 0;
}

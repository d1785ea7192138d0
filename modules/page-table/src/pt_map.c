/* pt_map.c - pt_map and pt_map_region: filling entries, all or nothing. */
#include <assert.h>
#include <errno.h>

#include "pt_internal.h"

/* What one map call puts in place. */
struct map_req {
	uint64_t pa_offset; /* pa of va39 = va39 + pa_offset (mod 2^64) */
	pte_t bits;	    /* leaf bits */
	uint64_t max_pgsize;
	bool exact;    /* pt_map: a leaf of max_pgsize or nothing */
	uint64_t fail; /* on error: first va39 not mapped */
};

/*
 * Maps [start, end) inside `table` (at `level`) with the largest leaves the
 * request allows. Where a leaf would fit but a table is in the way, a region
 * goes on inside the table (it is either in use, so the first entry met
 * there is -EEXIST, or an empty kept table that smaller leaves can fill);
 * pt_map fails with -EEXIST. On error stores in req->fail the va39 where it
 * stopped ([start, fail) is mapped) and unlinks any child table made by
 * this call that it leaves empty, so the caller's rollback only has to
 * unmap [start, fail).
 */
static int map_range(struct pt_op *op, struct map_req *req, pte_t *table, int level, uint64_t start,
		     uint64_t end)
{
	uint64_t size = sv39_level_size(level);
	for (uint64_t va = start, next; va < end; va = next) {
		next = pt_entry_end(va, size, end);
		pte_t *e = &table[sv39_index(va, level)];
		paddr_t pa = va + req->pa_offset;
		bool leaf_fits =
		    size <= req->max_pgsize && next - va == size && IS_ALIGNED(pa, size);
		if (leaf_fits && !sv39_pte_valid(*e)) {
			*e = sv39_pte_leaf_make(pa, req->bits);
			continue;
		}
		if (sv39_pte_leaf(*e) || (leaf_fits && req->exact)) {
			req->fail = va;
			return -EEXIST;
		}
		assert(level > 0);
		if (!sv39_pte_valid(*e)) {
			if (pt_op_link_table(op, e) != 0) {
				req->fail = va;
				return -ENOMEM;
			}
			if (level == SV39_ROOT_LEVEL)
				pt_op_root_made(op, sv39_index(va, level));
		}
		pte_t *child = pt_table_at(sv39_pte_pa(*e));
		int err = map_range(op, req, child, level - 1, va, next);
		if (err) {
			/* Only a table made by this call (or a kept one) can be empty here. */
			if (pt_table_empty(child, sv39_index(va, level - 1)) &&
			    !pt_op_keeps_table(op, level, va))
				pt_op_unlink_table(op, e);
			return err;
		}
	}
	return 0;
}

/* Maps the checked range r at pa; on failure removes what it mapped. */
static int map_checked(struct page_table *pt, const struct pt_range *r, paddr_t pa, pte_t bits,
		       uint64_t max_pgsize, bool exact)
{
	struct pt_op op;
	struct map_req req = {
	    .pa_offset = pa - r->start, .bits = bits, .max_pgsize = max_pgsize, .exact = exact};
	pt_op_begin(&op, pt);
	int err = map_range(&op, &req, pt_table_at(pt->root), SV39_ROOT_LEVEL, r->start, r->end);
	if (err)
		pt_unmap_range(&op, pt_table_at(pt->root), SV39_ROOT_LEVEL, r->start, req.fail);
	pt_op_end(&op);
	return err;
}

int pt_map(struct page_table *pt, vaddr_t va, paddr_t pa, uint64_t pgsize, unsigned flags)
{
	struct pt_range r;
	pte_t bits;
	if (!pt_pgsize_valid(pgsize) || !IS_ALIGNED(va, pgsize) || !IS_ALIGNED(pa, pgsize))
		return -EINVAL;
	if (pt_leaf_bits(flags, &bits) || pt_check_range(pt, va, pgsize, true, &r) ||
	    pt_check_pa(pa, pgsize))
		return -EINVAL;
	return map_checked(pt, &r, pa, bits, pgsize, true);
}

int pt_map_region(struct page_table *pt, vaddr_t va, paddr_t pa, uint64_t size, unsigned flags,
		  bool allow_huge)
{
	struct pt_range r;
	pte_t bits;
	if (pt_leaf_bits(flags, &bits) || pt_check_range(pt, va, size, true, &r) ||
	    pt_check_pa(pa, size))
		return -EINVAL;
	return map_checked(pt, &r, pa, bits, allow_huge ? PAGE_SIZE_1G : PAGE_SIZE_4K, false);
}

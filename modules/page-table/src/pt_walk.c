/* pt_walk.c - read-only lookups: the walk to a leaf and pt_query. */
#include <assert.h>
#include <errno.h>

#include "pt_internal.h"

pte_t *pt_walk(const struct page_table *pt, uint64_t va39, int *level)
{
	pte_t *table = pt_table_at(pt->root);
	for (int l = SV39_ROOT_LEVEL;; l--) {
		pte_t *e = &table[sv39_index(va39, l)];
		if (!sv39_pte_valid(*e))
			return NULL;
		if (sv39_pte_leaf(*e)) {
			*level = l;
			return e;
		}
		assert(l > 0); /* a level-0 entry is always a leaf */
		table = pt_table_at(sv39_pte_pa(*e));
	}
}

int pt_find_leaf(const struct page_table *pt, uint64_t va39, pte_t **entry, uint64_t *size)
{
	int level;
	pte_t *e = pt_walk(pt, va39, &level);
	if (!e)
		return -ENOENT;
	if (!IS_ALIGNED(va39, sv39_level_size(level)))
		return -EBUSY;
	*entry = e;
	*size = sv39_level_size(level);
	return 0;
}

bool pt_cuts_huge(const struct page_table *pt, uint64_t va39)
{
	int level;
	if (va39 > SV39_VA_MASK)
		return false; /* the end of the address space cuts nothing */
	pte_t *e = pt_walk(pt, va39, &level);
	return e && !IS_ALIGNED(va39, sv39_level_size(level));
}

int pt_query(const struct page_table *pt, vaddr_t va, paddr_t *pa, unsigned *flags,
	     uint64_t *pgsize)
{
	int level;
	if (!sv39_va_canonical(va))
		return -EINVAL;
	uint64_t va39 = va & SV39_VA_MASK;
	pte_t *e = pt_walk(pt, va39, &level);
	if (!e)
		return -ENOENT;
	uint64_t size = sv39_level_size(level);
	if (pa)
		*pa = sv39_pte_pa(*e) + (va39 & (size - 1));
	if (flags)
		*flags = pt_pte_flags(*e);
	if (pgsize)
		*pgsize = size;
	return 0;
}

/* True if no leaf of `table` (at `level`) overlaps [start, end). */
static bool range_empty(const pte_t *table, int level, uint64_t start, uint64_t end)
{
	uint64_t size = sv39_level_size(level);
	for (uint64_t va = start, next; va < end; va = next) {
		next = pt_entry_end(va, size, end);
		pte_t e = table[sv39_index(va, level)];
		if (!sv39_pte_valid(e))
			continue;
		if (sv39_pte_leaf(e) ||
		    !range_empty(pt_table_at(sv39_pte_pa(e)), level - 1, va, next))
			return false;
	}
	return true;
}

bool pt_range_empty(const struct page_table *pt, vaddr_t va, uint64_t size)
{
	struct pt_range r;
	if (pt_check_range(pt, va, size, false, &r))
		return false;
	return range_empty(pt_table_at(pt->root), SV39_ROOT_LEVEL, r.start, r.end);
}

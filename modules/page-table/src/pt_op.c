/*
 * pt_op.c - table pages and TLB maintenance for one modifying operation.
 *
 * An operation records the leaves it changes and the tables it unlinks; at
 * the end it flushes once (per page while few leaves changed and no table
 * pointer went away, else the whole TLB) and only then returns the unlinked
 * table pages to the table's allocator, so no hart can walk a table after it is reused.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "pt_internal.h"

void pt_op_begin(struct pt_op *op, struct page_table *pt)
{
	op->pt = pt;
	op->nr_changed = 0;
	op->flush_all = false;
	op->nr_dead = 0;
	op->dead = 0;
	memset(op->root_made, 0, sizeof(op->root_made));
}

void pt_op_leaf_changed(struct pt_op *op, uint64_t va39)
{
	if (op->nr_changed < PT_FLUSH_ALL_THRESHOLD)
		op->changed[op->nr_changed] = va39;
	op->nr_changed++;
}

int pt_op_link_table(struct pt_op *op, pte_t *entry)
{
	paddr_t pa;
	assert(!sv39_pte_valid(*entry));
	if (pt_alloc_table(op->pt->frames, &pa) != 0)
		return -ENOMEM;
	/* Other harts' walkers must see the zeroes before the pointer (a compiler builtin). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	*entry = sv39_pte_table(pa);
	op->pt->nr_table_pages++;
	return 0;
}

void pt_op_unlink_table(struct pt_op *op, pte_t *entry)
{
	assert(sv39_pte_valid(*entry) && !sv39_pte_leaf(*entry));
	paddr_t pa = sv39_pte_pa(*entry);
	pte_t *table = pt_table_at(pa);
	assert(pt_table_empty(table, 0));
	*entry = 0;
	/* The dead table's entry 0 links the next one; V stays clear. */
	table[0] = op->dead;
	op->dead = pa;
	op->nr_dead++;
	op->flush_all = true;
	assert(op->pt->nr_table_pages > 1);
	op->pt->nr_table_pages--;
}

void pt_op_root_made(struct pt_op *op, unsigned index)
{
	op->root_made[index / 64] |= 1ULL << (index % 64);
}

bool pt_op_keeps_table(const struct pt_op *op, int level, uint64_t va39)
{
	unsigned index = sv39_index(va39, SV39_ROOT_LEVEL);
	if (level != SV39_ROOT_LEVEL || !op->pt->lends_kernel || index < SV39_KERNEL_ROOT_INDEX)
		return false;
	return !(op->root_made[index / 64] & (1ULL << (index % 64)));
}

void pt_op_end(struct pt_op *op)
{
	if (op->flush_all || op->nr_changed > PT_FLUSH_ALL_THRESHOLD) {
		axhal_flush_tlb_all();
	} else {
		for (uint64_t i = 0; i < op->nr_changed; i++)
			axhal_flush_tlb_page(sv39_va_extend(op->changed[i]));
	}
	paddr_t pa = op->dead;
	for (uint64_t i = 0; i < op->nr_dead; i++) {
		paddr_t next = pt_table_at(pa)[0];
		pt_free_table(op->pt->frames, pa);
		pa = next;
	}
	op->nr_dead = 0;
}

bool pt_table_empty(const pte_t *table, unsigned hint)
{
	/* Outwards from hint: a sequence of unmaps finds a neighbour at once. */
	for (unsigned d = 0; d < SV39_ENTRIES; d++) {
		if (hint + d < SV39_ENTRIES && sv39_pte_valid(table[hint + d]))
			return false;
		if (d <= hint && sv39_pte_valid(table[hint - d]))
			return false;
	}
	return true;
}

/*
 * page_log.c - the record of the page changes of one operation, to undo
 * them when a later step runs out of memory or to complete them when every
 * step succeeded (see aspace_internal.h).
 *
 * MAPPED and RESTORED pages are kept as runs of consecutive addresses: a
 * fresh area needs one run; only alternating present and lazy (or pending)
 * pages make many. A COPIED or SPLIT page has a record of its own, as it
 * carries the frame the page used before.
 */
#include "aspace_internal.h"

#include <assert.h>
#include <axalloc/axalloc.h>
#include <errno.h>

/* Makes log empty. */
static void log_empty(struct aspace_log *log)
{
	log->first.next = NULL;
	log->first.prev = NULL;
	log->first.nr = 0;
	log->last = &log->first;
	for (int k = 0; k < ASPACE_LOG_KINDS; k++)
		log->nr_pages[k] = 0;
	log->thp_fault_alloc = 0;
	log->thp_fault_fallback = 0;
}

void aspace_log_init(struct aspace *as, struct aspace_log *log)
{
	assert(!as->op_log); /* operations do not nest */
	log_empty(log);
	as->op_log = log;
}

bool aspace_log_pins(const struct aspace *as, vaddr_t va)
{
	const struct aspace_log *log = as->op_log;

	if (!log || log->nr_pages[ASPACE_LOG_SPLIT] == 0)
		return false;
	for (const struct aspace_log_chunk *c = &log->first; c; c = c->next)
		for (unsigned i = 0; i < c->nr; i++)
			if (c->recs[i].kind == ASPACE_LOG_SPLIT && va >= c->recs[i].start &&
			    va < c->recs[i].end)
				return true;
	return false;
}

/* True if a page of `kind` at va would extend the last record instead of adding one. */
static bool log_extends(const struct aspace_log *log, enum aspace_log_kind kind, vaddr_t va)
{
	const struct aspace_log_chunk *c = log->last;
	const struct aspace_log_rec *r = c->nr > 0 ? &c->recs[c->nr - 1] : NULL;

	return r && (kind == ASPACE_LOG_MAPPED || kind == ASPACE_LOG_RESTORED) && r->kind == kind &&
	       r->end == va;
}

int aspace_log_reserve(struct aspace_log *log, enum aspace_log_kind kind, vaddr_t va)
{
	struct aspace_log_chunk *c;

	if (log_extends(log, kind, va) || log->last->nr < ASPACE_LOG_CHUNK_RECS)
		return 0;
	c = kmalloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->next = NULL;
	c->prev = log->last;
	c->nr = 0;
	log->last->next = c;
	log->last = c;
	return 0;
}

void aspace_log_add(struct aspace_log *log, enum aspace_log_kind kind, vaddr_t va, uint64_t pgsize,
		    paddr_t old_pa)
{
	struct aspace_log_chunk *c = log->last;

	if (log_extends(log, kind, va)) {
		c->recs[c->nr - 1].end = va + pgsize;
	} else {
		assert(c->nr < ASPACE_LOG_CHUNK_RECS);
		c->recs[c->nr++] = (struct aspace_log_rec){va, va + pgsize, old_pa, kind};
	}
	log->nr_pages[kind]++;
}

/* Frees the log's heap chunks and makes it empty; the space's operation is over. */
static void log_release(struct aspace *as, struct aspace_log *log)
{
	struct aspace_log_chunk *c = log->first.next;

	while (c) {
		struct aspace_log_chunk *next = c->next;

		kfree(c);
		c = next;
	}
	log_empty(log);
	as->op_log = NULL;
}

/* Takes write permission away again from the mapped pages in [start, end). */
static void unrestore(struct aspace *as, vaddr_t start, vaddr_t end)
{
	for (vaddr_t va = start; va < end;) {
		unsigned flags;
		uint64_t pgsize;
		int err = pt_query(&as->pt, va, NULL, &flags, &pgsize);

		assert(err == 0);
		err = pt_protect(&as->pt, va, pgsize, flags & ~MAPF_WRITE);
		assert(err == 0);
		(void)err;
		va += pgsize;
	}
}

/* Maps the page at va to its old frame again (without write) and drops the copy. */
static void uncopy(struct aspace *as, vaddr_t va, paddr_t old_pa)
{
	paddr_t copy;
	unsigned flags;
	uint64_t pgsize;
	int err = pt_query(&as->pt, va, &copy, &flags, &pgsize);

	assert(err == 0);
	err = pt_remap(&as->pt, va, old_pa, flags & ~MAPF_WRITE);
	assert(err == 0);
	(void)err;
	aspace_frame_put(aspace_find_area(as, va), copy, pgsize);
}

/*
 * Unmaps the pages of [start, end), which this operation mapped, and drops
 * their frames. A run may go on from one area into the next (a populate
 * over adjacent areas), and how a frame is counted depends on its area.
 */
static void unmap_mapped(struct aspace *as, vaddr_t start, vaddr_t end)
{
	const struct aspace_area *a = NULL;

	for (vaddr_t va = start; va < end;) {
		if (!a || va >= a->node.end)
			a = aspace_find_area(as, va);
		uint64_t pgsize = aspace_drop_alloc_page(as, a, va);

		assert(pgsize != 0);
		va += pgsize;
	}
}

/* Undoes one record. */
static void undo_rec(struct aspace *as, const struct aspace_log_rec *r)
{
	switch (r->kind) {
	case ASPACE_LOG_MAPPED:
		unmap_mapped(as, r->start, r->end);
		break;
	case ASPACE_LOG_RESTORED:
		unrestore(as, r->start, r->end);
		break;
	case ASPACE_LOG_COPIED:
		uncopy(as, r->start, r->old_pa);
		break;
	case ASPACE_LOG_SPLIT:
		if (IS_ENABLED(CONFIG_MM_THP))
			aspace_thp_unsplit(as, r->start, r->end - r->start, r->old_pa);
		break;
	case ASPACE_LOG_KINDS:
		assert(false);
		break;
	}
}

void aspace_log_undo(struct aspace *as, struct aspace_log *log)
{
	/* Last change first: a split page's pages are put back before it is whole again. */
	for (const struct aspace_log_chunk *c = log->last; c; c = c->prev)
		for (unsigned i = c->nr; i-- > 0;)
			undo_rec(as, &c->recs[i]);
	log_release(as, log);
}

void aspace_log_commit(struct aspace *as, struct aspace_log *log, bool count_faults)
{
	for (const struct aspace_log_chunk *c = &log->first; c; c = c->next) {
		for (unsigned i = 0; i < c->nr; i++) {
			const struct aspace_log_rec *r = &c->recs[i];

			if (r->kind == ASPACE_LOG_COPIED)
				aspace_frame_put(aspace_find_area(as, r->start), r->old_pa,
						 r->end - r->start);
		}
	}
	if (count_faults)
		as->faults += log->nr_pages[ASPACE_LOG_MAPPED];
	as->cow_faults += log->nr_pages[ASPACE_LOG_RESTORED] + log->nr_pages[ASPACE_LOG_COPIED];
	as->cow_copies += log->nr_pages[ASPACE_LOG_COPIED];
	as->thp_split_pmd += log->nr_pages[ASPACE_LOG_SPLIT];
	as->thp_fault_alloc += log->thp_fault_alloc;
	as->thp_fault_fallback += log->thp_fault_fallback;
	log_release(as, log);
}

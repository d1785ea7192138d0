/*
 * cow.c - copy-on-write (CONFIG_MM_COW): sharing a frame with a clone, and
 * breaking the sharing when a COW-pending page is written or made writable.
 *
 * A frame's reference count (axalloc/frame_ref.h) is the number of spaces
 * that map it. Sharing raises the count and maps the frame without write;
 * a break either restores write (the count is 1: nobody else maps it any
 * more) or copies the page and maps the copy. The old frame's reference is
 * dropped only when the operation commits its page log, so a failed
 * operation can put every page back as it was.
 */
#include "aspace_internal.h"

#include <assert.h>
#include <errno.h>

int aspace_cow_copy(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t pgsize, unsigned flags,
		    struct aspace_log *log)
{
	paddr_t copy;
	int err = aspace_frame_dup(pa, pgsize, &copy);

	if (err)
		return err;
	/* The mapping exists with this page size: remapping cannot fail. */
	err = pt_remap(&as->pt, va, copy, flags);
	assert(err == 0);
	(void)err;
	aspace_log_add(log, ASPACE_LOG_COPIED, va, pgsize, pa);
	return 0;
}

int aspace_cow_break(struct aspace *as, const struct aspace_area *a, vaddr_t va, paddr_t pa,
		     struct aspace_log *log)
{
	uint64_t pgsize = a->backend.pgsize;
	int err;

	assert(aspace_frame_refs(pa) > 0 && IS_ALIGNED(va, pgsize));
	if (aspace_frame_refs(pa) > 1)
		return aspace_cow_copy(as, va, pa, pgsize, a->flags, log);
	/* The last reference: the page is this space's alone again. */
	err = pt_protect(&as->pt, va, pgsize, a->flags);
	assert(err == 0);
	(void)err;
	aspace_log_add(log, ASPACE_LOG_RESTORED, va, pgsize, 0);
	return 0;
}

int aspace_cow_unshare_for_write(struct aspace *as, vaddr_t start, vaddr_t end)
{
	struct aspace_log log;

	aspace_log_init(&log);
	for (const struct interval_node *n = interval_tree_find(&as->areas, start);
	     n && n->start < end; n = interval_tree_next(n)) {
		const struct aspace_area *a = aspace_area_of(n);
		uint64_t pgsize = a->backend.pgsize;
		vaddr_t from = start > n->start ? start : n->start;
		vaddr_t to = end < n->end ? end : n->end;

		if (a->backend.kind != ASPACE_BACKEND_ALLOC || (a->flags & MAPF_WRITE))
			continue;
		for (vaddr_t va = from; va < to; va += pgsize) {
			paddr_t pa;
			unsigned pte_flags;
			int err;

			if (pt_query(&as->pt, va, &pa, &pte_flags, NULL) != 0 ||
			    aspace_frame_refs(pa) < 2)
				continue;
			err = aspace_log_reserve(&log, ASPACE_LOG_COPIED, va);
			if (!err)
				err = aspace_cow_copy(as, va, pa, pgsize, pte_flags, &log);
			if (err) {
				aspace_log_undo(as, &log);
				return err;
			}
		}
	}
	aspace_log_commit(as, &log, false);
	return 0;
}

int aspace_cow_share_page(struct aspace *dst, const struct aspace_area *d, vaddr_t va, paddr_t pa)
{
	uint64_t pgsize = d->backend.pgsize;
	int err = frame_ref_inc(pa);

	assert(err == 0 || err == -ENOMEM); /* the frame is a managed one */
	if (err)
		return err; /* the count would overflow */
	/* On failure the source still maps the frame: the put cannot drop its count to 0. */
	return aspace_map_frame(dst, va, pa, pgsize, aspace_page_flags(d, pa));
}

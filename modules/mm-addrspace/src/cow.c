/*
 * cow.c - copy-on-write (CONFIG_MM_COW): sharing a frame with a clone, and
 * breaking the sharing when a COW-pending page is written or made writable.
 *
 * A frame's reference count (axalloc/frame_ref.h) is the number of spaces
 * that map it. Sharing raises the count and maps the frame without write;
 * a break either restores write (the count is 1: nobody else maps it any
 * more) or copies the page and maps the copy. The old frame's reference is
 * dropped only when the operation commits its page log, so a failed
 * operation can put every page back as it was. A shared transparent huge
 * page is split first, so that only the 4K pages written are copied.
 */
#include "aspace_internal.h"

#include <assert.h>
#include <errno.h>

int aspace_cow_copy(struct aspace *as, const struct aspace_area *a, vaddr_t va, paddr_t pa,
		    uint64_t pgsize, unsigned flags, struct aspace_log *log)
{
	paddr_t copy;
	int err = aspace_frame_dup(a, va, pa, pgsize, &copy);

	if (err)
		return err;
	/* The mapping exists with this page size: remapping cannot fail. */
	err = pt_remap(&as->pt, va, copy, flags);
	assert(err == 0);
	(void)err;
	aspace_log_add(log, ASPACE_LOG_COPIED, va, pgsize, pa);
	return 0;
}

/* The page that holds va: its start, frame and size. The page must be mapped. */
static void page_at(const struct aspace *as, vaddr_t va, vaddr_t *start, paddr_t *pa,
		    uint64_t *pgsize)
{
	int err = pt_query(&as->pt, va, pa, NULL, pgsize);

	assert(err == 0);
	(void)err;
	*start = ALIGN_DOWN(va, *pgsize);
	*pa -= va - *start;
}

int aspace_cow_break(struct aspace *as, const struct aspace_area *a, vaddr_t va,
		     struct aspace_log *log, vaddr_t *done)
{
	vaddr_t start;
	paddr_t pa;
	uint64_t pgsize;
	int err;

	page_at(as, va, &start, &pa, &pgsize);
	while (IS_ENABLED(CONFIG_MM_THP) && aspace_is_thp(a, pgsize) &&
	       aspace_frame_refs(a, pa, pgsize) > 1) {
		err = aspace_thp_split(as, a, start, log);
		if (err)
			return err;
		page_at(as, va, &start, &pa, &pgsize);
	}
	*done = start + pgsize;
	err = aspace_log_reserve(log, ASPACE_LOG_COPIED, start);
	if (err)
		return err;
	if (aspace_frame_refs(a, pa, pgsize) > 1)
		return aspace_cow_copy(as, a, start, pa, pgsize, a->flags, log);
	/* The last reference: the page is this space's alone again. */
	err = pt_protect(&as->pt, start, pgsize, a->flags);
	assert(err == 0);
	(void)err;
	aspace_log_add(log, ASPACE_LOG_RESTORED, start, pgsize, 0);
	return 0;
}

/*
 * Copies the mapped page at va of area a (size pgsize, frame pa, PTE
 * flags) if it is shared; a shared transparent huge page is split and its
 * pages handled one by one. Stores where the next page starts. 0 or -ENOMEM.
 */
static int unshare_page(struct aspace *as, const struct aspace_area *a, vaddr_t va, paddr_t pa,
			unsigned pte_flags, uint64_t pgsize, struct aspace_log *log, vaddr_t *next)
{
	int err;

	*next = va + pgsize;
	if (aspace_frame_refs(a, pa, pgsize) < 2)
		return 0;
	if (IS_ENABLED(CONFIG_MM_THP) && aspace_is_thp(a, pgsize)) {
		*next = va; /* visit its pages next */
		return aspace_thp_split(as, a, va, log);
	}
	err = aspace_log_reserve(log, ASPACE_LOG_COPIED, va);
	return err ? err : aspace_cow_copy(as, a, va, pa, pgsize, pte_flags, log);
}

int aspace_cow_unshare_for_write(struct aspace *as, vaddr_t start, vaddr_t end,
				 struct aspace_log *log)
{
	for (const struct interval_node *n = interval_tree_find(&as->areas, start);
	     n && n->start < end; n = interval_tree_next(n)) {
		const struct aspace_area *a = aspace_area_of(n);
		vaddr_t from = start > n->start ? start : n->start;
		vaddr_t to = end < n->end ? end : n->end;

		if (a->backend.kind != ASPACE_BACKEND_ALLOC || (a->flags & MAPF_WRITE))
			continue;
		for (vaddr_t va = from, next; va < to; va = next) {
			paddr_t pa;
			unsigned pte_flags;
			uint64_t pgsize;
			int err;

			if (pt_query(&as->pt, va, &pa, &pte_flags, &pgsize) != 0) {
				next = va + a->backend.pgsize;
				continue;
			}
			err = unshare_page(as, a, va, pa, pte_flags, pgsize, log, &next);
			if (err)
				return err;
		}
	}
	return 0;
}

int aspace_cow_share_page(struct aspace *dst, const struct aspace_area *d, vaddr_t va, paddr_t pa,
			  uint64_t pgsize)
{
	int err = frame_ref_inc_range(pa, aspace_counted_frames(d, pgsize));

	assert(err == 0 || err == -ENOMEM); /* the frames are managed ones */
	if (err)
		return err; /* a count would overflow */
	/* On failure the source still maps the frames: the put cannot drop a count to 0. */
	return aspace_map_frame(dst, d, va, pa, pgsize, aspace_page_flags(d, pa, pgsize));
}

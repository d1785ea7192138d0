/*
 * clone.c - aspace_clone (fork-like: shares the pages with CONFIG_MM_COW,
 * copies them without) and aspace_copy (always copies).
 *
 * Both re-create every area of src in dst and give dst each page src has
 * mapped; they differ only in how an Alloc page is given. Everything that
 * can fail (area nodes, page tables, frames, count overflow) happens in dst,
 * so a failure is undone by emptying dst again, which also drops every
 * reference dst took. The source changes only after every page was given:
 * when sharing, its writable PTEs lose write in a pass that cannot fail.
 */
#include "aspace_internal.h"

#include <assert.h>
#include <errno.h>

/* How dst gets src's mapped Alloc pages. */
enum clone_mode {
	CLONE_SHARE, /* the same frame, one more reference (CONFIG_MM_COW) */
	CLONE_COPY,  /* a private copy */
};

/* Checks that src can be cloned into dst. */
static int clone_check(const struct aspace *dst, const struct aspace *src)
{
	const struct interval_node *first = interval_tree_first(&src->areas);

	if (dst == src)
		return -EINVAL;
	if (dst->areas.count != 0)
		return -EEXIST;
	if (first && (first->start < dst->base || interval_tree_last(&src->areas)->end > dst->end))
		return -EINVAL;
	return 0;
}

/*
 * Maps in dst, at va of its area d, a private copy of the page of pgsize at
 * pa; a transparent huge page without a free frame of its size is copied
 * page by page of the area's size. 0 or -ENOMEM.
 */
static int copy_page(struct aspace *dst, const struct aspace_area *d, vaddr_t va, paddr_t pa,
		     uint64_t pgsize)
{
	paddr_t copy;
	int err = aspace_frame_dup(d, va, pa, pgsize, &copy);

	if (err == 0)
		return aspace_map_frame(dst, d, va, copy, pgsize, d->flags);
	for (uint64_t off = 0; aspace_is_thp(d, pgsize) && off < pgsize; off += d->backend.pgsize) {
		err = copy_page(dst, d, va + off, pa + off, d->backend.pgsize);
		if (err)
			break;
	}
	return err;
}

/* Gives dst the page of src at va (frame pa, pgsize) in dst's area d. 0 or -ENOMEM. */
static int give_page(struct aspace *dst, const struct aspace_area *d, vaddr_t va, paddr_t pa,
		     uint64_t pgsize, enum clone_mode mode)
{
	if (IS_ENABLED(CONFIG_MM_COW) && mode == CLONE_SHARE)
		return aspace_cow_share_page(dst, d, va, pa, pgsize);
	assert(mode == CLONE_COPY);
	return copy_page(dst, d, va, pa, pgsize);
}

/*
 * Gives dst's Alloc area d, the copy of an area of src, every page that src
 * has mapped in it; pages src never touched stay lazy. 0 or -ENOMEM (the
 * pages given so far stay mapped: the caller empties dst).
 */
static int clone_alloc_pages(struct aspace *dst, const struct aspace *src,
			     const struct aspace_area *d, enum clone_mode mode)
{
	for (vaddr_t va = d->node.start; va < d->node.end;) {
		paddr_t pa;
		uint64_t pgsize;
		int err;

		if (pt_query(&src->pt, va, &pa, NULL, &pgsize) != 0) {
			va += d->backend.pgsize;
			continue;
		}
		err = give_page(dst, d, va, pa, pgsize, mode);
		if (err)
			return err;
		va += pgsize;
	}
	return 0;
}

/* clone_space without its log message. */
static int clone_areas(struct aspace *dst, const struct aspace *src, enum clone_mode mode)
{
	int err = clone_check(dst, src);

	if (err)
		return err;
	for (const struct interval_node *n = interval_tree_first(&src->areas); n;
	     n = interval_tree_next(n)) {
		const struct aspace_area *a = aspace_area_of(n);
		struct aspace_area *d =
		    aspace_add_area(dst, n->start, n->end - n->start, a->flags, &a->backend);

		if (!d) {
			err = -ENOMEM;
			goto fail;
		}
		d->advice = a->advice;
		if (a->backend.kind == ASPACE_BACKEND_LINEAR) {
			/* Unmaps what it mapped when it fails. */
			err = aspace_map_linear_pages(dst, d);
			if (err) {
				aspace_remove_area(dst, d);
				goto fail;
			}
		} else {
			err = clone_alloc_pages(dst, src, d, mode);
			if (err)
				goto fail;
		}
	}
	dst->thp_policy = src->thp_policy;
	return 0;
fail:
	aspace_unmap_all(dst);
	return err;
}

/* Re-creates src's areas and pages in dst. On error dst is emptied again. */
static int clone_space(struct aspace *dst, const struct aspace *src, enum clone_mode mode)
{
	int err = clone_areas(dst, src, mode);

	if (err)
		log_debug("aspace %p: %s of aspace %p = %s", (void *)dst,
			  mode == CLONE_SHARE ? "clone" : "copy", (const void *)src, err_name(err));
	else
		log_debug("aspace %p: %s of aspace %p: %lu areas, %lu frames (4K) %s, %lu "
			  "page-table pages",
			  (void *)dst, mode == CLONE_SHARE ? "clone" : "copy", (const void *)src,
			  (unsigned long)dst->areas.count, (unsigned long)dst->alloc_pages_4k,
			  mode == CLONE_SHARE ? "shared copy-on-write" : "copied",
			  (unsigned long)dst->pt.nr_table_pages);
	return err;
}

/* Takes write away from the mapped pages of [start, end) of area a (start < end). */
static void write_protect_run(struct aspace *as, const struct aspace_area *a, vaddr_t start,
			      vaddr_t end)
{
	int err = pt_protect(&as->pt, start, end - start, a->flags & ~MAPF_WRITE);

	assert(err == 0);
	(void)err;
}

/*
 * After src's pages were shared: every mapped page of src's writable Alloc
 * areas becomes COW-pending, one pt_protect per run of mapped pages (a
 * single TLB flush for a long run). Cannot fail: every PTE exists already.
 */
static void write_protect_shared(struct aspace *src)
{
	for (const struct interval_node *n = interval_tree_first(&src->areas); n;
	     n = interval_tree_next(n)) {
		const struct aspace_area *a = aspace_area_of(n);
		vaddr_t run = 0;
		bool in_run = false;

		if (a->backend.kind != ASPACE_BACKEND_ALLOC || !(a->flags & MAPF_WRITE))
			continue;
		for (vaddr_t va = n->start; va < n->end;) {
			uint64_t pgsize = a->backend.pgsize;
			bool mapped = pt_query(&src->pt, va, NULL, NULL, &pgsize) == 0;

			if (mapped && !in_run)
				run = va;
			else if (!mapped && in_run)
				write_protect_run(src, a, run, va);
			in_run = mapped;
			va += pgsize;
		}
		if (in_run)
			write_protect_run(src, a, run, n->end);
	}
}

int aspace_clone(struct aspace *dst, struct aspace *src)
{
	int err;

	if (!IS_ENABLED(CONFIG_MM_COW))
		return clone_space(dst, src, CLONE_COPY);
	err = clone_space(dst, src, CLONE_SHARE);
	if (err == 0)
		write_protect_shared(src);
	return err;
}

int aspace_copy(struct aspace *dst, const struct aspace *src)
{
	return clone_space(dst, src, CLONE_COPY);
}

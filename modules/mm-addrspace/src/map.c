/*
 * map.c - changes to the area set: map_linear, map_alloc, unmap, protect.
 *
 * Each operation validates everything and allocates every area node it may
 * need before it touches the area set or the page table; what follows
 * cannot fail, except page-table and frame allocation while mapping, which
 * is undone page by page, and the copies of shared pages that a protect
 * adding write makes first (undone through a page log).
 */
#include "aspace_internal.h"

#include <assert.h>
#include <axalloc/axalloc.h>
#include <errno.h>
#include <page-table/sv39.h>

/* Most nodes one protect may need: a split at each end of the range. */
#define PROTECT_MAX_SPLITS 2

/* Checks the arguments shared by map_linear and map_alloc. */
static int check_new_area(const struct aspace *as, vaddr_t va, uint64_t size, unsigned flags,
			  uint64_t pgsize)
{
	if (aspace_pgsize_index(pgsize) < 0 || !aspace_flags_valid(flags))
		return -EINVAL;
	if (!IS_ALIGNED(va, pgsize) || !IS_ALIGNED(size, pgsize) || !aspace_range_ok(as, va, size))
		return -EINVAL;
	if (interval_tree_overlaps(&as->areas, va, va + size))
		return -EEXIST;
	return 0;
}

struct aspace_area *aspace_add_area(struct aspace *as, vaddr_t va, uint64_t size, unsigned flags,
				    const struct aspace_backend *backend)
{
	struct aspace_area *a = kmalloc(sizeof(*a));
	int err;

	if (!a)
		return NULL;
	a->node.start = va;
	a->node.end = va + size;
	a->flags = flags;
	a->backend = *backend;
	err = interval_tree_insert(&as->areas, &a->node);
	assert(err == 0);
	(void)err;
	return a;
}

void aspace_remove_area(struct aspace *as, struct aspace_area *a)
{
	interval_tree_remove(&as->areas, &a->node);
	kfree(a);
}

/* aspace_map_linear without its log message. */
static int map_linear(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t size, unsigned flags,
		      uint64_t pgsize)
{
	struct aspace_backend backend = {.kind = ASPACE_BACKEND_LINEAR, .pgsize = pgsize};
	struct aspace_area *a;
	int err;

	if (!IS_ALIGNED(pa, pgsize) || pa >= SV39_PA_LIMIT || size > SV39_PA_LIMIT - pa)
		return -EINVAL;
	err = check_new_area(as, va, size, flags, pgsize);
	if (err)
		return err;
	backend.linear.pa_va_offset = va - pa;
	a = aspace_add_area(as, va, size, flags, &backend);
	if (!a)
		return -ENOMEM;
	err = aspace_map_linear_pages(as, a);
	if (err)
		aspace_remove_area(as, a);
	return err;
}

int aspace_map_linear(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t size, unsigned flags,
		      uint64_t pgsize)
{
	int err = map_linear(as, va, pa, size, flags, pgsize);

	log_trace("aspace %p: map_linear(%#lx, pa %#lx, %#lx, " ASPACE_FLAGS_FMT ", %s) = %s",
		  (void *)as, (unsigned long)va, (unsigned long)pa, (unsigned long)size,
		  ASPACE_FLAGS_ARGS(flags), aspace_pgsize_name(pgsize), err_name(err));
	return err;
}

/* aspace_map_alloc without its log message. */
static int map_alloc(struct aspace *as, vaddr_t va, uint64_t size, unsigned flags, bool populate,
		     uint64_t pgsize)
{
	struct aspace_backend backend = {.kind = ASPACE_BACKEND_ALLOC, .pgsize = pgsize};
	struct aspace_area *a;
	int err;

	err = check_new_area(as, va, size, flags, pgsize);
	if (err)
		return err;
	backend.alloc.populate = populate;
	a = aspace_add_area(as, va, size, flags, &backend);
	if (!a)
		return -ENOMEM;
	if (populate) {
		err = aspace_populate_range(as, va, va + size, 0, false);
		if (err)
			aspace_remove_area(as, a);
	}
	return err;
}

int aspace_map_alloc(struct aspace *as, vaddr_t va, uint64_t size, unsigned flags, bool populate,
		     uint64_t pgsize)
{
	int err = map_alloc(as, va, size, flags, populate, pgsize);

	log_trace("aspace %p: map_alloc(%#lx, %#lx, " ASPACE_FLAGS_FMT ", %s, %s) = %s", (void *)as,
		  (unsigned long)va, (unsigned long)size, ASPACE_FLAGS_ARGS(flags),
		  populate ? "populate" : "lazy", aspace_pgsize_name(pgsize), err_name(err));
	return err;
}

/* Checks a 4K-granular range argument of unmap / protect. */
static bool range_arg_ok(const struct aspace *as, vaddr_t va, uint64_t size)
{
	return IS_ALIGNED(va, PAGE_SIZE_4K) && IS_ALIGNED(size, PAGE_SIZE_4K) &&
	       aspace_range_ok(as, va, size);
}

/* True if the part of area n inside [start, end) begins and ends on its page size. */
static bool cut_aligned(const struct interval_node *n, vaddr_t start, vaddr_t end)
{
	uint64_t pgsize = aspace_area_of(n)->backend.pgsize;
	vaddr_t s = start > n->start ? start : n->start;
	vaddr_t e = end < n->end ? end : n->end;

	return IS_ALIGNED(s, pgsize) && IS_ALIGNED(e, pgsize);
}

/*
 * Splits area a at `at` (a->start < at < a->end) using the unlinked node
 * `spare`: a keeps [start, at), spare becomes [at, end) with the same flags
 * and backend. Returns spare.
 */
static struct aspace_area *split_area(struct aspace *as, struct aspace_area *a, vaddr_t at,
				      struct aspace_area *spare)
{
	int err;

	assert(a->node.start < at && at < a->node.end);
	*spare = *a;
	spare->node.start = at;
	a->node.end = at;
	err = interval_tree_insert(&as->areas, &spare->node);
	assert(err == 0);
	(void)err;
	return spare;
}

/* aspace_unmap without its log message. */
static int unmap(struct aspace *as, vaddr_t va, uint64_t size)
{
	struct aspace_area *spare = NULL;
	struct interval_node *n, *next;
	vaddr_t end = va + size;
	bool need_split = false;

	if (!range_arg_ok(as, va, size))
		return -EINVAL;
	for (n = interval_tree_first_after(&as->areas, va); n && n->start < end;
	     n = interval_tree_next(n)) {
		if (!cut_aligned(n, va, end))
			return -EINVAL;
		/* Only an area that contains the whole range with room on both sides splits. */
		need_split |= n->start < va && n->end > end;
	}
	if (need_split) {
		spare = kmalloc(sizeof(*spare));
		if (!spare)
			return -ENOMEM;
	}
	for (n = interval_tree_first_after(&as->areas, va); n && n->start < end; n = next) {
		struct aspace_area *a = aspace_area_of(n);
		vaddr_t s = va > n->start ? va : n->start;
		vaddr_t e = end < n->end ? end : n->end;

		next = interval_tree_next(n);
		aspace_unmap_pages(as, a, s, e);
		if (s == n->start && e == n->end) {
			aspace_remove_area(as, a);
		} else if (s == n->start) {
			n->start = e;
		} else if (e == n->end) {
			n->end = s;
		} else {
			split_area(as, a, e, spare);
			n->end = s;
			spare = NULL;
		}
	}
	assert(spare == NULL);
	return 0;
}

int aspace_unmap(struct aspace *as, vaddr_t va, uint64_t size)
{
	int err = unmap(as, va, size);

	log_trace("aspace %p: unmap(%#lx, %#lx) = %s", (void *)as, (unsigned long)va,
		  (unsigned long)size, err_name(err));
	return err;
}

/* Frees the first n spare nodes. */
static void free_spares(struct aspace_area **spares, int n)
{
	while (n-- > 0)
		kfree(spares[n]);
}

/* aspace_protect without its log message. */
static int protect(struct aspace *as, vaddr_t va, uint64_t size, unsigned flags)
{
	struct aspace_area *spares[PROTECT_MAX_SPLITS];
	int nr_splits = 0, used = 0;
	vaddr_t end = va + size, covered = va;
	struct interval_node *n;

	if (!range_arg_ok(as, va, size) || !aspace_flags_valid(flags))
		return -EINVAL;
	for (n = interval_tree_first_after(&as->areas, va); n && n->start < end;
	     n = interval_tree_next(n)) {
		if (n->start > covered)
			return -ENOENT;
		if (!cut_aligned(n, va, end))
			return -EINVAL;
		nr_splits += (n->start < va) + (n->end > end);
		covered = n->end;
	}
	if (covered < end)
		return -ENOENT;
	for (int i = 0; i < nr_splits; i++) {
		spares[i] = kmalloc(sizeof(*spares[i]));
		if (!spares[i]) {
			free_spares(spares, i);
			return -ENOMEM;
		}
	}
	if (IS_ENABLED(CONFIG_MM_COW) && (flags & MAPF_WRITE)) {
		int err = aspace_cow_unshare_for_write(as, va, end);

		if (err) {
			free_spares(spares, nr_splits);
			return err;
		}
	}
	for (n = interval_tree_find(&as->areas, va); n && n->start < end;
	     n = interval_tree_next(n)) {
		struct aspace_area *a = aspace_area_of(n);

		if (a->node.start < va)
			a = split_area(as, a, va, spares[used++]);
		if (a->node.end > end)
			split_area(as, a, end, spares[used++]);
		a->flags = flags;
		aspace_protect_pages(as, a, a->node.start, a->node.end);
		n = &a->node;
	}
	assert(used == nr_splits);
	return 0;
}

int aspace_protect(struct aspace *as, vaddr_t va, uint64_t size, unsigned flags)
{
	int err = protect(as, va, size, flags);

	log_trace("aspace %p: protect(%#lx, %#lx, " ASPACE_FLAGS_FMT ") = %s", (void *)as,
		  (unsigned long)va, (unsigned long)size, ASPACE_FLAGS_ARGS(flags),
		  err_name(err));
	return err;
}

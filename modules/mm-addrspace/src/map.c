/*
 * map.c - changes to the area set: map_linear, map_alloc, unmap, protect,
 * advise.
 *
 * Each operation validates everything and allocates every area node it may
 * need before it touches the area set or the page table; what follows
 * cannot fail, except page-table and frame allocation while mapping, which
 * is undone page by page, and the steps that unmap, protect and advise take
 * first through a page log: splitting the transparent huge pages their
 * range's ends cut, and the copies of shared pages that a protect adding
 * write makes.
 */
#include "aspace_internal.h"

#include <assert.h>
#include <axalloc/axalloc.h>
#include <errno.h>
#include <page-table/sv39.h>

/* Most nodes one protect or advise may need: a split at each end of the range. */
#define RETAG_MAX_SPLITS 2

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
	a->advice = ASPACE_ADV_NONE;
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

/*
 * Splits the transparent huge pages that the ends of [va, end) cut (no-op
 * without CONFIG_MM_THP). 0 or -ENOMEM (the caller undoes log).
 */
static int cut_range_ends(struct aspace *as, vaddr_t va, vaddr_t end, struct aspace_log *log)
{
	int err = 0;

	if (IS_ENABLED(CONFIG_MM_THP)) {
		err = aspace_thp_cut(as, va, log);
		if (!err && end < as->end)
			err = aspace_thp_cut(as, end, log);
	}
	return err;
}

/* aspace_unmap without its log message. */
static int unmap(struct aspace *as, vaddr_t va, uint64_t size)
{
	struct aspace_area *spare = NULL;
	struct interval_node *n, *next;
	struct aspace_log log;
	vaddr_t end = va + size;
	bool need_split = false;
	int err;

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
	aspace_log_init(as, &log);
	err = cut_range_ends(as, va, end, &log);
	if (err) {
		aspace_log_undo(as, &log);
		kfree(spare);
		return err;
	}
	aspace_log_commit(as, &log, false);
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

/* What protect or advise gives every area of its range. */
struct retag {
	bool protect;		   /* protect: set flags; advise: set advice */
	unsigned flags;		   /* protect */
	enum aspace_advice advice; /* advise */
};

/*
 * The page-level work of a retag that can fail, recorded in log: splitting
 * the transparent huge pages cut by the range's ends and, for a protect
 * that adds write, copying shared pages. 0 or -ENOMEM (the caller undoes log).
 */
static int retag_prepare(struct aspace *as, vaddr_t va, vaddr_t end, const struct retag *t,
			 struct aspace_log *log)
{
	int err = cut_range_ends(as, va, end, log);

	if (!err && IS_ENABLED(CONFIG_MM_COW) && t->protect && (t->flags & MAPF_WRITE))
		err = aspace_cow_unshare_for_write(as, va, end, log);
	return err;
}

/* protect and advise: gives the areas of [va, va + size) what t says. */
static int retag(struct aspace *as, vaddr_t va, uint64_t size, const struct retag *t)
{
	struct aspace_area *spares[RETAG_MAX_SPLITS];
	int nr_splits = 0, used = 0, err;
	vaddr_t end = va + size, covered = va;
	struct interval_node *n;
	struct aspace_log log;

	if (!range_arg_ok(as, va, size))
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
	aspace_log_init(as, &log);
	err = retag_prepare(as, va, end, t, &log);
	if (err) {
		aspace_log_undo(as, &log);
		free_spares(spares, nr_splits);
		return err;
	}
	aspace_log_commit(as, &log, false);
	for (n = interval_tree_find(&as->areas, va); n && n->start < end;
	     n = interval_tree_next(n)) {
		struct aspace_area *a = aspace_area_of(n);

		if (a->node.start < va)
			a = split_area(as, a, va, spares[used++]);
		if (a->node.end > end)
			split_area(as, a, end, spares[used++]);
		if (t->protect) {
			a->flags = t->flags;
			aspace_protect_pages(as, a, a->node.start, a->node.end);
		} else {
			a->advice = t->advice;
		}
		n = &a->node;
	}
	assert(used == nr_splits);
	return 0;
}

/* aspace_protect without its log message. */
static int protect(struct aspace *as, vaddr_t va, uint64_t size, unsigned flags)
{
	struct retag t = {.protect = true, .flags = flags};

	if (!aspace_flags_valid(flags))
		return -EINVAL;
	return retag(as, va, size, &t);
}

int aspace_protect(struct aspace *as, vaddr_t va, uint64_t size, unsigned flags)
{
	int err = protect(as, va, size, flags);

	log_trace("aspace %p: protect(%#lx, %#lx, " ASPACE_FLAGS_FMT ") = %s", (void *)as,
		  (unsigned long)va, (unsigned long)size, ASPACE_FLAGS_ARGS(flags), err_name(err));
	return err;
}

int aspace_advise(struct aspace *as, vaddr_t va, uint64_t size, enum aspace_advice advice)
{
	struct retag t = {.protect = false, .advice = advice};
	int err = advice == ASPACE_ADV_HUGEPAGE || advice == ASPACE_ADV_NOHUGEPAGE
		      ? retag(as, va, size, &t)
		      : -EINVAL;

	log_trace("aspace %p: advise(%#lx, %#lx, %s) = %s", (void *)as, (unsigned long)va,
		  (unsigned long)size,
		  advice == ASPACE_ADV_HUGEPAGE	    ? "hugepage"
		  : advice == ASPACE_ADV_NOHUGEPAGE ? "nohugepage"
						    : "?",
		  err_name(err));
	return err;
}

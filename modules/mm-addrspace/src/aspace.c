/*
 * aspace.c - address-space life cycle and the list of live spaces,
 * activation, the global fault entry, lookups (find_free_area, query,
 * areas), statistics, and the entry points of the transparent huge page
 * policy, collapse and scan (their work is in thp.c).
 */
#include "aspace_internal.h"

#include <assert.h>
#include <axalloc/axalloc.h>
#include <errno.h>
#include <string.h>

_Static_assert(ACCESS_READ == MAPF_READ && ACCESS_WRITE == MAPF_WRITE && ACCESS_EXEC == MAPF_EXEC,
	       "access kinds are checked directly against area flags");

static struct page_table *kernel_table; /* set once at boot; lends its high half */
static struct aspace *current_space;	/* the active space */
static struct list_head live_spaces = LIST_HEAD_INIT(live_spaces); /* every created space */

/* Page-table pages come from axalloc, one 4K page at a time. */
static const struct pt_frame_ops pt_frames = {axalloc_frame_alloc, axalloc_frame_free, NULL};

static const uint64_t pgsizes[ASPACE_NR_PGSIZES] = {PAGE_SIZE_4K, PAGE_SIZE_2M, PAGE_SIZE_1G};

int aspace_pgsize_index(uint64_t pgsize)
{
	for (int i = 0; i < ASPACE_NR_PGSIZES; i++)
		if (pgsizes[i] == pgsize)
			return i;
	return -1;
}

bool aspace_range_ok(const struct aspace *as, vaddr_t va, uint64_t size)
{
	return size > 0 && va >= as->base && va < as->end && size <= as->end - va;
}

bool aspace_flags_valid(unsigned flags)
{
	if (flags & ~ASPACE_AREA_FLAGS)
		return false;
	if (!(flags & (MAPF_READ | MAPF_EXEC)))
		return false;
	return !(flags & MAPF_WRITE) || (flags & MAPF_READ);
}

void aspace_set_kernel_table(struct page_table *kpt)
{
	kernel_table = kpt;
}

/* aspace_create without its log message. */
static int create(struct aspace *as, vaddr_t base, uint64_t size)
{
	int err;

	if (size == 0 || !IS_ALIGNED(base, PAGE_SIZE_4K) || !IS_ALIGNED(size, PAGE_SIZE_4K))
		return -EINVAL;
	if (base < USER_VA_START || base >= USER_VA_END || size > USER_VA_END - base)
		return -EINVAL;
	memset(as, 0, sizeof(*as));
	err = pt_init(&as->pt, &pt_frames);
	if (err)
		return err;
	if (kernel_table) {
		/* A fresh root has no high-half entries of its own: this cannot fail. */
		err = pt_share_kernel(&as->pt, kernel_table);
		assert(err == 0);
	}
	as->base = base;
	as->end = base + size;
	as->khugepaged_next = base;
	as->thp_policy = IS_ENABLED(CONFIG_MM_THP_ALWAYS)    ? ASPACE_THP_ALWAYS
			 : IS_ENABLED(CONFIG_MM_THP_MADVISE) ? ASPACE_THP_MADVISE
							     : ASPACE_THP_NEVER;
	interval_tree_init(&as->areas);
	list_add(&as->link, &live_spaces);
	if (IS_ENABLED(CONFIG_MM_COW))
		axalloc_set_migrator(aspace_compaction_migrate);
	return 0;
}

int aspace_create(struct aspace *as, vaddr_t base, uint64_t size)
{
	int err = create(as, base, size);

	if (err)
		log_debug("aspace %p: create(%#lx, %#lx) = %s", (void *)as, (unsigned long)base,
			  (unsigned long)size, err_name(err));
	else
		log_debug("aspace %p: created [%#lx, %#lx), root page table at %#lx", (void *)as,
			  (unsigned long)as->base, (unsigned long)as->end,
			  (unsigned long)as->pt.root);
	return err;
}

void aspace_unmap_all(struct aspace *as)
{
	struct interval_node *n;

	while ((n = interval_tree_first(&as->areas)) != NULL) {
		struct aspace_area *a = aspace_area_of(n);

		aspace_unmap_pages(as, a, n->start, n->end);
		aspace_remove_area(as, a);
	}
}

void aspace_destroy(struct aspace *as)
{
	log_debug("aspace %p: destroying [%#lx, %#lx): %lu areas, %lu frames (4K), %lu page-table "
		  "pages%s",
		  (void *)as, (unsigned long)as->base, (unsigned long)as->end,
		  (unsigned long)as->areas.count, (unsigned long)as->alloc_pages_4k,
		  (unsigned long)as->pt.nr_table_pages, current_space == as ? " (active)" : "");
	if (current_space == as) {
		current_space = NULL;
		if (kernel_table)
			axhal_activate_page_table(pt_satp(kernel_table), NULL);
	}
	aspace_unmap_all(as);
	pt_destroy(&as->pt);
	list_del(&as->link);
	memset(as, 0, sizeof(*as));
}

void aspace_activate(struct aspace *as)
{
	log_debug("aspace %p: activated (satp %#lx)", (void *)as, (unsigned long)pt_satp(&as->pt));
	current_space = as;
	axhal_activate_page_table(pt_satp(&as->pt), aspace_fault_handler);
}

struct aspace *aspace_current(void)
{
	return current_space;
}

int aspace_fault_handler(vaddr_t va, unsigned access)
{
	if (!current_space) {
		log_trace("fault %#lx %s: no active address space: -EFAULT", (unsigned long)va,
			  aspace_access_name(access));
		return -EFAULT;
	}
	return aspace_handle_page_fault(current_space, va, access);
}

/* Rounds x up to align (a power of two); false if that overflows. */
static bool align_up_checked(uint64_t x, uint64_t align, uint64_t *out)
{
	if (x > UINT64_MAX - (align - 1))
		return false;
	*out = ALIGN_UP(x, align);
	return true;
}

/* aspace_find_free_area without its log message. */
static int find_free_area(const struct aspace *as, vaddr_t hint, uint64_t size, vaddr_t limit,
			  uint64_t align, vaddr_t *out)
{
	vaddr_t lo = hint > as->base ? hint : as->base;
	vaddr_t hi = limit < as->end ? limit : as->end;
	vaddr_t cand;

	if (size == 0 || align < PAGE_SIZE_4K || (align & (align - 1)) != 0)
		return -EINVAL;
	if (!align_up_checked(lo, align, &cand))
		return -ENOMEM;
	/*
	 * Walk the areas that end after the candidate: the candidate fits before
	 * the next one, or moves to that area's aligned end (this also handles
	 * a hint that falls inside an area).
	 */
	for (const struct interval_node *n = interval_tree_first_after(&as->areas, cand); n;
	     n = interval_tree_next(n)) {
		if (cand >= hi || size > hi - cand)
			return -ENOMEM;
		if (n->start >= cand && n->start - cand >= size)
			break;
		/* Area ends lie below USER_VA_END (2^38): rounding them up cannot overflow. */
		cand = ALIGN_UP(n->end, align);
	}
	/* End-of-range check: the whole range must fit below the limit. */
	if (cand >= hi || size > hi - cand)
		return -ENOMEM;
	*out = cand;
	return 0;
}

int aspace_find_free_area(const struct aspace *as, vaddr_t hint, uint64_t size, vaddr_t limit,
			  uint64_t align, vaddr_t *out)
{
	int err = find_free_area(as, hint, size, limit, align, out);

	if (err)
		log_trace(
		    "aspace %p: find_free_area(hint %#lx, size %#lx, limit %#lx, align %#lx) = %s",
		    (const void *)as, (unsigned long)hint, (unsigned long)size,
		    (unsigned long)limit, (unsigned long)align, err_name(err));
	else
		log_trace(
		    "aspace %p: find_free_area(hint %#lx, size %#lx, limit %#lx, align %#lx) = "
		    "0, %#lx",
		    (const void *)as, (unsigned long)hint, (unsigned long)size,
		    (unsigned long)limit, (unsigned long)align, (unsigned long)*out);
	return err;
}

int aspace_query(const struct aspace *as, vaddr_t va, paddr_t *pa, unsigned *flags,
		 uint64_t *pgsize)
{
	if (va < as->base || va >= as->end)
		return -EINVAL;
	return pt_query(&as->pt, va, pa, flags, pgsize);
}

const struct aspace_area *aspace_find_area(const struct aspace *as, vaddr_t va)
{
	return aspace_area_of(interval_tree_find(&as->areas, va));
}

const struct aspace_area *aspace_first_area(const struct aspace *as)
{
	return aspace_area_of(interval_tree_first(&as->areas));
}

const struct aspace_area *aspace_next_area(const struct aspace *as, const struct aspace_area *a)
{
	(void)as;
	return aspace_area_of(interval_tree_next(&a->node));
}

struct list_head *aspace_live_spaces(void)
{
	return &live_spaces;
}

int aspace_set_thp_policy(struct aspace *as, enum aspace_thp_policy policy)
{
	bool ok = policy == ASPACE_THP_NEVER ||
		  (IS_ENABLED(CONFIG_MM_THP) &&
		   (policy == ASPACE_THP_MADVISE || policy == ASPACE_THP_ALWAYS));

	log_trace("aspace %p: set_thp_policy(%d) = %s", (void *)as, (int)policy,
		  err_name(ok ? 0 : -EINVAL));
	if (!ok)
		return -EINVAL;
	as->thp_policy = policy;
	return 0;
}

enum aspace_thp_policy aspace_thp_policy(const struct aspace *as)
{
	return as->thp_policy;
}

int aspace_collapse(struct aspace *as, vaddr_t va, uint64_t size)
{
	int ret = IS_ENABLED(CONFIG_MM_THP) ? aspace_thp_collapse(as, va, size) : -EINVAL;

	if (ret < 0)
		log_trace("aspace %p: collapse(%#lx, %#lx) = %s", (void *)as, (unsigned long)va,
			  (unsigned long)size, err_name(ret));
	else
		log_trace("aspace %p: collapse(%#lx, %#lx) = %d blocks", (void *)as,
			  (unsigned long)va, (unsigned long)size, ret);
	return ret;
}

uint64_t aspace_khugepaged_scan(struct aspace *as, uint64_t max_blocks)
{
	return IS_ENABLED(CONFIG_MM_THP) ? aspace_thp_scan(as, max_blocks) : 0;
}

void aspace_stats(const struct aspace *as, struct aspace_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->nr_areas = as->areas.count;
	for (int i = 0; i < ASPACE_NR_PGSIZES; i++)
		st->mapped[i] = as->mapped[i];
	st->alloc_pages_4k = as->alloc_pages_4k;
	st->pt_pages = as->pt.nr_table_pages;
	st->faults = as->faults;
	st->spurious_faults = as->spurious_faults;
	st->cow_faults = as->cow_faults;
	st->cow_copies = as->cow_copies;
	for (int i = 0; i < ASPACE_NR_PGSIZES; i++)
		st->thp_mapped[i] = as->thp_mapped[i];
	st->thp_fault_alloc = as->thp_fault_alloc;
	st->thp_fault_fallback = as->thp_fault_fallback;
	st->thp_split_pmd = as->thp_split_pmd;
	st->thp_collapse_alloc = as->thp_collapse_alloc;
	st->thp_collapse_alloc_failed = as->thp_collapse_alloc_failed;
}

uint64_t aspace_shared_pages(const struct aspace *as)
{
	uint64_t n = 0;

	for (const struct interval_node *a = interval_tree_first(&as->areas); a;
	     a = interval_tree_next(a)) {
		const struct aspace_backend *b = &aspace_area_of(a)->backend;

		if (b->kind != ASPACE_BACKEND_ALLOC)
			continue;
		for (vaddr_t va = a->start; va < a->end;) {
			paddr_t pa;
			uint64_t pgsize;

			if (pt_query(&as->pt, va, &pa, NULL, &pgsize) != 0) {
				va += b->pgsize;
				continue;
			}
			if (aspace_frame_refs(aspace_area_of(a), pa, pgsize) > 1)
				n++;
			va += pgsize;
		}
	}
	return n;
}

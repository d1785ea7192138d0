/*
 * backend.c - page-level work of the Linear and Alloc backends: frames
 * (with their reference counts under CONFIG_MM_COW), PTEs and the
 * per-space page statistics that go with them.
 */
#include "aspace_internal.h"

#include <assert.h>
#include <axalloc/axalloc.h>
#include <errno.h>
#include <string.h>

void aspace_account(struct aspace *as, const struct aspace_area *a, uint64_t pgsize, int64_t n)
{
	int idx = aspace_pgsize_index(pgsize);

	assert(n >= 0 || as->mapped[idx] >= (uint64_t)-n);
	as->mapped[idx] += (uint64_t)n;
	if (a->backend.kind == ASPACE_BACKEND_ALLOC)
		as->alloc_pages_4k += (uint64_t)n * (pgsize / PAGE_SIZE_4K);
	if (aspace_is_thp(a, pgsize))
		as->thp_mapped[idx] += (uint64_t)n;
}

int aspace_frame_alloc(const struct aspace_area *a, vaddr_t va, uint64_t pgsize, bool zero,
		       paddr_t *pa)
{
	int err = axalloc_alloc_pages(pgsize / PAGE_SIZE_4K, pgsize, AXALLOC_MOVABLE, pa);

	if (err)
		return err;
	if (IS_ENABLED(CONFIG_MM_COW)) {
		/* A fresh frame's counts are 0 (axalloc's contract): this cannot overflow. */
		err = frame_ref_inc_range(*pa, aspace_counted_frames(a, pgsize));
		assert(err == 0);
		err = frame_owner_set(*pa, pgsize / PAGE_SIZE_4K, (uint32_t)(va >> PAGE_SHIFT));
		assert(err == 0);
	}
	if (zero)
		memset(phys_to_virt(*pa), 0, pgsize);
	return 0;
}

int aspace_frame_dup(const struct aspace_area *a, vaddr_t va, paddr_t pa, uint64_t pgsize,
		     paddr_t *copy)
{
	int err = aspace_frame_alloc(a, va, pgsize, false, copy);

	if (err)
		return err;
	memcpy(phys_to_virt(*copy), phys_to_virt(pa), pgsize);
	return 0;
}

void aspace_frame_put(const struct aspace_area *a, paddr_t pa, uint64_t pgsize)
{
	int err;

	if (IS_ENABLED(CONFIG_MM_COW) && aspace_is_thp(a, pgsize)) {
		err = frame_ref_put_range(pa, pgsize / PAGE_SIZE_4K);
	} else {
		if (IS_ENABLED(CONFIG_MM_COW)) {
			int refs = frame_ref_dec(pa);

			assert(refs >= 0);
			if (refs > 0)
				return;
		}
		err = axalloc_free_pages(pa, pgsize / PAGE_SIZE_4K);
	}
	assert(err == 0);
	(void)err;
}

unsigned aspace_page_flags(const struct aspace_area *a, paddr_t pa, uint64_t pgsize)
{
	if (a->backend.kind == ASPACE_BACKEND_ALLOC && (a->flags & MAPF_WRITE) &&
	    aspace_frame_refs(a, pa, pgsize) > 1)
		return a->flags & ~MAPF_WRITE;
	return a->flags;
}

int aspace_map_linear_pages(struct aspace *as, const struct aspace_area *a)
{
	uint64_t pgsize = a->backend.pgsize;

	for (vaddr_t va = a->node.start; va < a->node.end; va += pgsize) {
		int err =
		    pt_map(&as->pt, va, va - a->backend.linear.pa_va_offset, pgsize, a->flags);

		if (err) {
			aspace_unmap_pages(as, a, a->node.start, va);
			return err;
		}
		aspace_account(as, a, pgsize, 1);
	}
	return 0;
}

int aspace_map_frame(struct aspace *as, const struct aspace_area *a, vaddr_t va, paddr_t pa,
		     uint64_t pgsize, unsigned flags)
{
	int err = pt_map(&as->pt, va, pa, pgsize, flags);

	if (err) {
		aspace_frame_put(a, pa, pgsize);
		return err;
	}
	aspace_account(as, a, pgsize, 1);
	return 0;
}

/* Maps a new zeroed frame of pgsize at va (unmapped) of area a. 0 or -ENOMEM. */
static int map_new_frame(struct aspace *as, const struct aspace_area *a, vaddr_t va,
			 uint64_t pgsize)
{
	paddr_t pa;
	int err = aspace_frame_alloc(a, va, pgsize, true, &pa);

	if (err)
		return err;
	return aspace_map_frame(as, a, va, pa, pgsize, a->flags);
}

int aspace_fault_in(struct aspace *as, const struct aspace_area *a, vaddr_t va,
		    struct aspace_log *log, vaddr_t *start, uint64_t *pgsize)
{
	uint64_t size =
	    IS_ENABLED(CONFIG_MM_THP) ? aspace_thp_fault_size(as, a, va) : a->backend.pgsize;
	int err;

	assert(a->backend.kind == ASPACE_BACKEND_ALLOC);
	/* A huge page may start below va, where a MAPPED run cannot be extended. */
	err = aspace_log_reserve(log, aspace_is_thp(a, size) ? ASPACE_LOG_SPLIT : ASPACE_LOG_MAPPED,
				 va);
	if (err)
		return err;
	for (;;) {
		*start = ALIGN_DOWN(va, size);
		err = map_new_frame(as, a, *start, size);
		if (err == 0 || size == a->backend.pgsize)
			break;
		/*
		 * No frame (or table) for a transparent huge page: try the next
		 * size down (a 2M block inside an eligible empty 1G one is one too).
		 */
		size = size == PAGE_SIZE_1G ? PAGE_SIZE_2M : a->backend.pgsize;
		if (size == a->backend.pgsize)
			log->thp_fault_fallback++;
	}
	if (err)
		return err;
	if (aspace_is_thp(a, size))
		log->thp_fault_alloc++;
	aspace_log_add(log, ASPACE_LOG_MAPPED, *start, size, 0);
	*pgsize = size;
	return 0;
}

uint64_t aspace_drop_alloc_page(struct aspace *as, const struct aspace_area *a, vaddr_t va)
{
	paddr_t pa;
	uint64_t pgsize;

	if (pt_unmap(&as->pt, va, &pa, &pgsize) != 0)
		return 0;
	aspace_frame_put(a, pa, pgsize);
	aspace_account(as, a, pgsize, -1);
	return pgsize;
}

void aspace_unmap_pages(struct aspace *as, const struct aspace_area *a, vaddr_t start, vaddr_t end)
{
	uint64_t pgsize = a->backend.pgsize;

	assert(IS_ALIGNED(start, pgsize) && IS_ALIGNED(end, pgsize) && start <= end);
	if (start == end)
		return;
	if (a->backend.kind == ASPACE_BACKEND_LINEAR) {
		/* A Linear area is always fully mapped. */
		int err = pt_unmap_region(&as->pt, start, end - start);

		assert(err == 0);
		(void)err;
		aspace_account(as, a, pgsize, -(int64_t)((end - start) / pgsize));
		return;
	}
	for (vaddr_t va = start; va < end;) {
		uint64_t dropped = aspace_drop_alloc_page(as, a, va);

		va += dropped ? dropped : pgsize;
	}
}

void aspace_protect_pages(struct aspace *as, const struct aspace_area *a, vaddr_t start,
			  vaddr_t end)
{
	uint64_t pgsize = a->backend.pgsize;
	int err;

	assert(IS_ALIGNED(start, pgsize) && IS_ALIGNED(end, pgsize) && start < end);
	if (a->backend.kind == ASPACE_BACKEND_LINEAR) {
		err = pt_protect(&as->pt, start, end - start, a->flags);
		assert(err == 0);
		(void)err;
		return;
	}
	/* Alloc pages may be lazy (not mapped yet); a shared frame stays read-only. */
	for (vaddr_t va = start; va < end;) {
		paddr_t pa;
		uint64_t size;

		if (pt_query(&as->pt, va, &pa, NULL, &size) != 0) {
			va += pgsize;
			continue;
		}
		assert(IS_ALIGNED(va, size)); /* the range cuts no transparent huge page */
		err = pt_protect(&as->pt, va, size, aspace_page_flags(a, pa, size));
		assert(err == 0);
		va += size;
	}
}

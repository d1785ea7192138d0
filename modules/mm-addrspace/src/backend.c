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

void aspace_account_map(struct aspace *as, uint64_t pgsize, uint64_t n, bool alloc)
{
	as->mapped[aspace_pgsize_index(pgsize)] += n;
	if (alloc)
		as->alloc_pages_4k += n * (pgsize / PAGE_SIZE_4K);
}

/* Undoes aspace_account_map. */
static void account_unmap(struct aspace *as, uint64_t pgsize, uint64_t n, bool alloc)
{
	int idx = aspace_pgsize_index(pgsize);

	assert(as->mapped[idx] >= n);
	as->mapped[idx] -= n;
	if (alloc) {
		assert(as->alloc_pages_4k >= n * (pgsize / PAGE_SIZE_4K));
		as->alloc_pages_4k -= n * (pgsize / PAGE_SIZE_4K);
	}
}

int aspace_frame_alloc(uint64_t pgsize, bool zero, paddr_t *pa)
{
	int err = axalloc_alloc_pages(pgsize / PAGE_SIZE_4K, pgsize, pa);

	if (err)
		return err;
	if (IS_ENABLED(CONFIG_MM_COW)) {
		/* A fresh frame's count is 0 (axalloc's contract): this cannot overflow. */
		err = frame_ref_inc(*pa);
		assert(err == 0);
	}
	if (zero)
		memset(phys_to_virt(*pa), 0, pgsize);
	return 0;
}

int aspace_frame_dup(paddr_t pa, uint64_t pgsize, paddr_t *copy)
{
	int err = aspace_frame_alloc(pgsize, false, copy);

	if (err)
		return err;
	memcpy(phys_to_virt(*copy), phys_to_virt(pa), pgsize);
	return 0;
}

void aspace_frame_put(paddr_t pa, uint64_t pgsize)
{
	int err;

	if (IS_ENABLED(CONFIG_MM_COW)) {
		int refs = frame_ref_dec(pa);

		assert(refs >= 0);
		if (refs > 0)
			return;
	}
	err = axalloc_free_pages(pa, pgsize / PAGE_SIZE_4K);
	assert(err == 0);
	(void)err;
}

unsigned aspace_page_flags(const struct aspace_area *a, paddr_t pa)
{
	if (a->backend.kind == ASPACE_BACKEND_ALLOC && (a->flags & MAPF_WRITE) &&
	    aspace_frame_refs(pa) > 1)
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
		aspace_account_map(as, pgsize, 1, false);
	}
	return 0;
}

int aspace_map_frame(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t pgsize, unsigned flags)
{
	int err = pt_map(&as->pt, va, pa, pgsize, flags);

	if (err) {
		aspace_frame_put(pa, pgsize);
		return err;
	}
	aspace_account_map(as, pgsize, 1, true);
	return 0;
}

int aspace_map_alloc_page(struct aspace *as, const struct aspace_area *a, vaddr_t va)
{
	uint64_t pgsize = a->backend.pgsize;
	paddr_t pa;
	int err;

	assert(a->backend.kind == ASPACE_BACKEND_ALLOC && IS_ALIGNED(va, pgsize));
	err = aspace_frame_alloc(pgsize, true, &pa);
	if (err)
		return err;
	return aspace_map_frame(as, va, pa, pgsize, a->flags);
}

uint64_t aspace_drop_alloc_page(struct aspace *as, vaddr_t va)
{
	paddr_t pa;
	uint64_t pgsize;

	if (pt_unmap(&as->pt, va, &pa, &pgsize) != 0)
		return 0;
	aspace_frame_put(pa, pgsize);
	account_unmap(as, pgsize, 1, true);
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
		account_unmap(as, pgsize, (end - start) / pgsize, false);
		return;
	}
	for (vaddr_t va = start; va < end; va += pgsize)
		aspace_drop_alloc_page(as, va);
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
	for (vaddr_t va = start; va < end; va += pgsize) {
		paddr_t pa;

		if (pt_query(&as->pt, va, &pa, NULL, NULL) != 0)
			continue;
		err = pt_protect(&as->pt, va, pgsize, aspace_page_flags(a, pa));
		assert(err == 0);
	}
}

/*
 * populate.c - making pages present: populate, page faults, and read/write
 * through the space.
 *
 * A populate that runs out of memory must undo exactly what it did: unmap
 * the pages it mapped and leave alone the ones that were present before,
 * and put back every COW-pending page it wrote to. It records its changes
 * in a page log (page_log.c) and commits them when every page is done.
 */
#include "aspace_internal.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

int aspace_check_covered(const struct aspace *as, vaddr_t start, vaddr_t end, unsigned access)
{
	vaddr_t covered = start;

	for (const struct interval_node *n = interval_tree_first_after(&as->areas, start);
	     n && covered < end; n = interval_tree_next(n)) {
		if (n->start > covered)
			return -ENOENT;
		if (access & ~aspace_area_of(n)->flags)
			return -EFAULT;
		covered = n->end;
	}
	return covered < end ? -ENOENT : 0;
}

int aspace_populate_range(struct aspace *as, vaddr_t start, vaddr_t end, unsigned access,
			  bool count_faults)
{
	struct aspace_log log;
	const struct interval_node *n;
	int err = 0;

	aspace_log_init(as, &log);
	for (n = interval_tree_find(&as->areas, start); n && n->start < end;
	     n = interval_tree_next(n)) {
		const struct aspace_area *a = aspace_area_of(n);
		vaddr_t from = start > n->start ? ALIGN_DOWN(start, a->backend.pgsize) : n->start;
		vaddr_t to = end < n->end ? end : n->end;

		if (a->backend.kind != ASPACE_BACKEND_ALLOC)
			continue; /* Linear areas are always fully mapped */
		for (vaddr_t va = from, next; va < to; va = next) {
			unsigned pte_flags;
			vaddr_t page;
			uint64_t pgsize;

			if (pt_query(&as->pt, va, NULL, &pte_flags, &pgsize) == 0) {
				next = ALIGN_DOWN(va, pgsize) + pgsize;
				/* Without COW every PTE carries its area's permissions. */
				if (IS_ENABLED(CONFIG_MM_COW) && (access & ACCESS_WRITE) &&
				    aspace_cow_pending(a, pte_flags)) {
					err = aspace_cow_break(as, a, va, &log, &next);
					if (err)
						goto fail;
				}
				continue;
			}
			err = aspace_fault_in(as, a, va, &log, &page, &pgsize);
			if (err)
				goto fail;
			next = page + pgsize;
		}
	}
	aspace_log_commit(as, &log, count_faults);
	return 0;
fail:
	aspace_log_undo(as, &log);
	return err;
}

/* Start of the trace line of a page fault at va for access (see aspace_handle_page_fault). */
#define FAULT_FMT		   "aspace %p: fault %#lx %s: "
#define FAULT_ARGS(as, va, access) (void *)(as), (unsigned long)(va), aspace_access_name(access)

/* The frame mapped at va, for log messages (0 when none is). */
static paddr_t frame_at(const struct aspace *as, vaddr_t va)
{
	paddr_t pa = 0;

	pt_query(&as->pt, va, &pa, NULL, NULL);
	return pa;
}

/*
 * A write fault at va on a COW-pending page (frame pa, of pgsize) of area
 * a. 0 or -ENOMEM.
 */
static int cow_fault(struct aspace *as, const struct aspace_area *a, vaddr_t va, paddr_t pa,
		     uint64_t pgsize)
{
	struct aspace_log log;
	const struct aspace_log_rec *last;
	unsigned refs = aspace_frame_refs(a, pa, pgsize);
	vaddr_t done;
	int err;

	/* A split and one more record fit in the log's first chunk: no allocation. */
	aspace_log_init(as, &log);
	err = aspace_cow_break(as, a, va, &log, &done);
	if (err) {
		aspace_log_undo(as, &log);
		log_trace(FAULT_FMT "area " ASPACE_AREA_FMT ": COW copy of frame %#lx: %s",
			  FAULT_ARGS(as, va, ACCESS_WRITE), ASPACE_AREA_ARGS(a), (unsigned long)pa,
			  err_name(err));
		return err;
	}
	last = &log.first.recs[log.first.nr - 1];
	if (log.first.nr > 1)
		log_trace(FAULT_FMT "area " ASPACE_AREA_FMT ": split transparent %s page of frame "
				    "%#lx (%u refs)",
			  FAULT_ARGS(as, va, ACCESS_WRITE), ASPACE_AREA_ARGS(a),
			  aspace_pgsize_name(pgsize), (unsigned long)log.first.recs[0].old_pa,
			  refs);
	if (last->kind == ASPACE_LOG_COPIED)
		log_trace(FAULT_FMT "area " ASPACE_AREA_FMT ": COW copy of %s frame %#lx (%u refs) "
				    "to frame %#lx",
			  FAULT_ARGS(as, va, ACCESS_WRITE), ASPACE_AREA_ARGS(a),
			  aspace_pgsize_name(last->end - last->start), (unsigned long)last->old_pa,
			  (unsigned)aspace_frame_refs(a, last->old_pa, last->end - last->start),
			  (unsigned long)frame_at(as, last->start));
	else
		log_trace(FAULT_FMT "area " ASPACE_AREA_FMT ": COW write-restore on %s frame %#lx "
				    "(last reference)",
			  FAULT_ARGS(as, va, ACCESS_WRITE), ASPACE_AREA_ARGS(a),
			  aspace_pgsize_name(last->end - last->start),
			  (unsigned long)frame_at(as, last->start));
	aspace_log_commit(as, &log, false);
	return 0;
}

/* aspace_populate without its log message. */
static int populate(struct aspace *as, vaddr_t va, uint64_t size, unsigned access)
{
	int err;

	if (!IS_ALIGNED(va, PAGE_SIZE_4K) || !IS_ALIGNED(size, PAGE_SIZE_4K) ||
	    !aspace_range_ok(as, va, size) || (access & ~ASPACE_ACCESS_MASK))
		return -EINVAL;
	err = aspace_check_covered(as, va, va + size, access);
	if (err)
		return err;
	return aspace_populate_range(as, va, va + size, access, false);
}

int aspace_populate(struct aspace *as, vaddr_t va, uint64_t size, unsigned access)
{
	int err = populate(as, va, size, access);

	log_trace("aspace %p: populate(%#lx, %#lx, %s) = %s", (void *)as, (unsigned long)va,
		  (unsigned long)size, aspace_access_name(access), err_name(err));
	return err;
}

int aspace_handle_page_fault(struct aspace *as, vaddr_t va, unsigned access)
{
	const struct aspace_area *a;
	struct aspace_log log;
	unsigned pte_flags;
	paddr_t pa;
	vaddr_t page;
	uint64_t pgsize;
	int err;

	if (access & ~ASPACE_ACCESS_MASK) {
		log_trace("aspace %p: fault %#lx: bad access bits %#x: -EINVAL", (void *)as,
			  (unsigned long)va, access);
		return -EINVAL;
	}
	a = aspace_find_area(as, va);
	if (!a) {
		log_trace(FAULT_FMT "no area: -EFAULT", FAULT_ARGS(as, va, access));
		return -EFAULT;
	}
	if (access & ~a->flags) {
		log_trace(FAULT_FMT "area " ASPACE_AREA_FMT " forbids it: -EFAULT",
			  FAULT_ARGS(as, va, access), ASPACE_AREA_ARGS(a));
		return -EFAULT;
	}
	if (pt_query(&as->pt, va, &pa, &pte_flags, &pgsize) == 0) {
		pa -= va & (pgsize - 1);
		if (IS_ENABLED(CONFIG_MM_COW) && (access & ACCESS_WRITE) &&
		    aspace_cow_pending(a, pte_flags))
			return cow_fault(as, a, va, pa, pgsize);
		/*
		 * Present: another path mapped it first (spurious). Every PTE
		 * carries its area's permissions (but for the write of a
		 * COW-pending page), so it allows the access.
		 */
		assert(!(access & ~pte_flags));
		as->spurious_faults++;
		log_trace(FAULT_FMT "area " ASPACE_AREA_FMT
				    ": spurious, %s frame %#lx already mapped",
			  FAULT_ARGS(as, va, access), ASPACE_AREA_ARGS(a),
			  aspace_pgsize_name(pgsize), (unsigned long)pa);
		return 0;
	}
	/* Only Alloc pages are ever absent inside an area. */
	assert(a->backend.kind == ASPACE_BACKEND_ALLOC);
	aspace_log_init(as, &log); /* one record: no allocation */
	err = aspace_fault_in(as, a, va, &log, &page, &pgsize);
	if (err) {
		log_trace(FAULT_FMT "area " ASPACE_AREA_FMT ": no %s frame: %s",
			  FAULT_ARGS(as, va, access), ASPACE_AREA_ARGS(a),
			  aspace_pgsize_name(a->backend.pgsize), err_name(err));
		aspace_log_undo(as, &log);
		return err;
	}
	log_trace(FAULT_FMT "area " ASPACE_AREA_FMT ": mapped %s frame %#lx at %#lx%s",
		  FAULT_ARGS(as, va, access), ASPACE_AREA_ARGS(a), aspace_pgsize_name(pgsize),
		  (unsigned long)frame_at(as, page), (unsigned long)page,
		  log.thp_fault_fallback ? " (no frame for a transparent huge page)" : "");
	aspace_log_commit(as, &log, true);
	return 0;
}

/*
 * Moves len bytes between buf and the space at va (to_space: buf -> space),
 * after making every page of the range present for `access`.
 */
static int copy_range(struct aspace *as, vaddr_t va, void *buf, size_t len, unsigned access,
		      bool to_space)
{
	unsigned char *p = buf;
	vaddr_t start, end;
	int err;

	if (len == 0)
		return 0;
	if (!aspace_range_ok(as, va, len))
		return -EFAULT;
	start = ALIGN_DOWN(va, PAGE_SIZE_4K);
	end = ALIGN_UP(va + len, PAGE_SIZE_4K);
	err = aspace_check_covered(as, start, end, access);
	if (err)
		return -EFAULT;
	err = aspace_populate_range(as, start, end, access, true);
	if (err)
		return err;
	while (len > 0) {
		paddr_t pa;
		uint64_t pgsize;
		size_t chunk;

		err = aspace_query(as, va, &pa, NULL, &pgsize);
		assert(err == 0);
		chunk = pgsize - (va & (pgsize - 1));
		if (chunk > len)
			chunk = len;
		if (to_space)
			memcpy(phys_to_virt(pa), p, chunk);
		else
			memcpy(p, phys_to_virt(pa), chunk);
		p += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

int aspace_read(struct aspace *as, vaddr_t va, void *buf, size_t len)
{
	return copy_range(as, va, buf, len, ACCESS_READ, false);
}

int aspace_write(struct aspace *as, vaddr_t va, const void *buf, size_t len)
{
	int err = copy_range(as, va, (void *)buf, len, ACCESS_WRITE, true);

	/* Writes change the space (faults, COW breaks); reads are not logged. */
	log_trace("aspace %p: write(%#lx, len %zu) = %s", (void *)as, (unsigned long)va, len,
		  err_name(err));
	return err;
}

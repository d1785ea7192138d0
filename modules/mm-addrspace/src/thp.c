/*
 * thp.c - transparent huge pages (CONFIG_MM_THP): where a fault may map
 * one, splitting one into smaller pages (and undoing that), and collapsing
 * the 4K pages of a 2M block into one (aspace_collapse and the
 * khugepaged-style scan).
 *
 * A transparent huge page is a page larger than its area's page size; it
 * only exists in Alloc areas of 4K pages and always lies inside one area.
 * Its 4K frames carry their own reference counts, so a split changes only
 * the page table and the per-size statistics.
 */
#include "aspace_internal.h"

#include <assert.h>
#include <axalloc/axalloc.h>
#include <errno.h>
#include <string.h>

#define PAGES_PER_2M (PAGE_SIZE_2M / PAGE_SIZE_4K)

/* True if area a may hold transparent huge pages at all (whatever the policy). */
static bool thp_capable(const struct aspace_area *a)
{
	return a->backend.kind == ASPACE_BACKEND_ALLOC && a->backend.pgsize == PAGE_SIZE_4K &&
	       a->advice != ASPACE_ADV_NOHUGEPAGE;
}

/* True if the space's policy and area a's advice let faults map transparent huge pages in a. */
static bool thp_enabled(const struct aspace *as, const struct aspace_area *a)
{
	if (!thp_capable(a))
		return false;
	return as->thp_policy == ASPACE_THP_ALWAYS ||
	       (as->thp_policy == ASPACE_THP_MADVISE && a->advice == ASPACE_ADV_HUGEPAGE);
}

/* True if the block [b, b + size) lies inside area a and nothing in it is mapped. */
static bool block_free(const struct aspace *as, const struct aspace_area *a, vaddr_t b,
		       uint64_t size)
{
	return b >= a->node.start && a->node.end - b >= size && pt_range_empty(&as->pt, b, size);
}

uint64_t aspace_thp_fault_size(const struct aspace *as, const struct aspace_area *a, vaddr_t va)
{
	if (!thp_enabled(as, a))
		return a->backend.pgsize;
	if (IS_ENABLED(CONFIG_MM_THP_1G) &&
	    block_free(as, a, ALIGN_DOWN(va, PAGE_SIZE_1G), PAGE_SIZE_1G))
		return PAGE_SIZE_1G;
	if (block_free(as, a, ALIGN_DOWN(va, PAGE_SIZE_2M), PAGE_SIZE_2M))
		return PAGE_SIZE_2M;
	return a->backend.pgsize;
}

int aspace_thp_split(struct aspace *as, const struct aspace_area *a, vaddr_t va,
		     struct aspace_log *log)
{
	paddr_t pa;
	uint64_t size;
	int err = aspace_log_reserve(log, ASPACE_LOG_SPLIT, va);

	if (err)
		return err;
	err = pt_query(&as->pt, va, &pa, NULL, &size);
	assert(err == 0 && IS_ALIGNED(va, size) && aspace_is_thp(a, size));
	err = pt_split(&as->pt, va);
	if (err)
		return err;
	aspace_account(as, a, size, -1);
	aspace_account(as, a, size / PAGES_PER_2M, PAGES_PER_2M);
	aspace_log_add(log, ASPACE_LOG_SPLIT, va, size, pa);
	log_trace("aspace %p: split transparent %s page at %#lx (frame %#lx)", (void *)as,
		  aspace_pgsize_name(size), (unsigned long)va, (unsigned long)pa);
	return 0;
}

void aspace_thp_unsplit(struct aspace *as, vaddr_t va, uint64_t size, paddr_t pa)
{
	const struct aspace_area *a = aspace_find_area(as, va);
	unsigned flags;
	int err = pt_query(&as->pt, va, NULL, &flags, NULL);

	assert(err == 0);
	/* Every page of the block still maps its old frame with the old flags. */
	err = pt_collapse(&as->pt, va, size, pa, flags);
	assert(err == 0);
	(void)err;
	aspace_account(as, a, size / PAGES_PER_2M, -(int64_t)PAGES_PER_2M);
	aspace_account(as, a, size, 1);
}

int aspace_thp_cut(struct aspace *as, vaddr_t at, struct aspace_log *log)
{
	uint64_t size;

	while (pt_query(&as->pt, at, NULL, NULL, &size) == 0 && !IS_ALIGNED(at, size)) {
		int err = aspace_thp_split(as, aspace_find_area(as, at), ALIGN_DOWN(at, size), log);

		if (err)
			return err;
	}
	return 0;
}

/*
 * Collapses the 2M block at b (inside area a, which thp_capable allows)
 * into one transparent 2M page, unless it is one already, has more than
 * max_ptes_none pages unmapped, or has a shared page. 1 collapsed, 0
 * skipped, -ENOMEM (no 2M frame: counted; nothing changed).
 */
static int collapse_block(struct aspace *as, const struct aspace_area *a, vaddr_t b)
{
	paddr_t old[PAGES_PER_2M];
	uint64_t present[PAGES_PER_2M / 64] = {0};
	uint64_t nr_present = 0;
	paddr_t huge;
	char *dst;
	int err;

	for (unsigned i = 0; i < PAGES_PER_2M; i++) {
		uint64_t size;

		if (pt_query(&as->pt, b + i * PAGE_SIZE_4K, &old[i], NULL, &size) != 0)
			continue;
		if (size != PAGE_SIZE_4K || aspace_frame_refs(a, old[i], PAGE_SIZE_4K) > 1)
			return 0;
		present[i / 64] |= 1ULL << (i % 64);
		nr_present++;
	}
	if (nr_present == 0 || PAGES_PER_2M - nr_present > CONFIG_MM_THP_MAX_PTES_NONE)
		return 0;
	/* Direct compaction may move the block's pages: their frames are read again below. */
	if (aspace_frame_alloc(a, b, PAGE_SIZE_2M, false, &huge) != 0) {
		as->thp_collapse_alloc_failed++;
		log_trace("aspace %p: collapse %#lx: no 2M frame: -ENOMEM", (void *)as,
			  (unsigned long)b);
		return -ENOMEM;
	}
	dst = phys_to_virt(huge);
	for (unsigned i = 0; i < PAGES_PER_2M; i++, dst += PAGE_SIZE_4K) {
		if (present[i / 64] & (1ULL << (i % 64))) {
			err = pt_query(&as->pt, b + i * PAGE_SIZE_4K, &old[i], NULL, NULL);
			assert(err == 0);
			memcpy(dst, phys_to_virt(old[i]), PAGE_SIZE_4K);
		} else {
			memset(dst, 0, PAGE_SIZE_4K);
		}
	}
	/* Needs no memory; the old frames are unreachable once it returns (TLB flushed). */
	err = pt_collapse(&as->pt, b, PAGE_SIZE_2M, huge, a->flags);
	assert(err == 0);
	(void)err;
	for (unsigned i = 0; i < PAGES_PER_2M; i++)
		if (present[i / 64] & (1ULL << (i % 64)))
			aspace_frame_put(a, old[i], PAGE_SIZE_4K);
	aspace_account(as, a, PAGE_SIZE_4K, -(int64_t)nr_present);
	aspace_account(as, a, PAGE_SIZE_2M, 1);
	as->thp_collapse_alloc++;
	log_trace("aspace %p: collapsed %lu 4K pages at %#lx into 2M frame %#lx", (void *)as,
		  (unsigned long)nr_present, (unsigned long)b, (unsigned long)huge);
	return 1;
}

int aspace_thp_collapse(struct aspace *as, vaddr_t va, uint64_t size)
{
	vaddr_t end = va + size;
	int collapsed = 0;
	int err;

	if (!IS_ALIGNED(va, PAGE_SIZE_4K) || !IS_ALIGNED(size, PAGE_SIZE_4K) ||
	    !aspace_range_ok(as, va, size))
		return -EINVAL;
	err = aspace_check_covered(as, va, end, 0);
	if (err)
		return err;
	for (vaddr_t b = ALIGN_UP(va, PAGE_SIZE_2M); b < end && end - b >= PAGE_SIZE_2M;
	     b += PAGE_SIZE_2M) {
		const struct aspace_area *a = aspace_find_area(as, b);

		if (!thp_capable(a) || a->node.end - b < PAGE_SIZE_2M)
			continue;
		err = collapse_block(as, a, b);
		if (err < 0)
			return err;
		collapsed += err;
	}
	return collapsed;
}

/*
 * The first 2M block at or after `from` that lies inside an area where
 * transparent huge pages are enabled: stores it in *b and returns its
 * area, or NULL when there is none before the end of the space.
 */
static const struct aspace_area *next_scan_block(const struct aspace *as, vaddr_t from, vaddr_t *b)
{
	for (const struct interval_node *n = interval_tree_first_after(&as->areas, from); n;
	     n = interval_tree_next(n)) {
		const struct aspace_area *a = aspace_area_of(n);
		vaddr_t blk = ALIGN_UP(from > n->start ? from : n->start, PAGE_SIZE_2M);

		if (thp_enabled(as, a) && blk < n->end && n->end - blk >= PAGE_SIZE_2M) {
			*b = blk;
			return a;
		}
	}
	return NULL;
}

uint64_t aspace_thp_scan(struct aspace *as, uint64_t max_blocks)
{
	uint64_t collapsed = 0;
	bool wrapped = false;

	while (max_blocks > 0) {
		vaddr_t b;
		const struct aspace_area *a = next_scan_block(as, as->khugepaged_next, &b);
		int ret;

		if (!a) {
			if (wrapped)
				break;
			wrapped = true;
			as->khugepaged_next = as->base;
			continue;
		}
		max_blocks--;
		as->khugepaged_next = b + PAGE_SIZE_2M;
		ret = collapse_block(as, a, b);
		if (ret < 0)
			break;
		collapsed += (uint64_t)ret;
	}
	return collapsed;
}

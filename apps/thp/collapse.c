/*
 * collapse.c - the thp app's collapse pass: with the ballast and the
 * fragmenting pages released, a khugepaged-style scan and then
 * aspace_collapse (MADV_COLLAPSE) turn the 4K pages a fragmented run left
 * into transparent 2M pages.
 */
#include <axhal/time.h>
#include <klib/errname.h>
#include <klib/kconfig.h>
#include <stdio.h>

#include "thp.h"

/* The 2M blocks of the region the space's policy lets khugepaged scan. */
static uint64_t scanned_blocks(const struct aspace *as, uint64_t region)
{
	uint64_t blocks = region / PAGE_SIZE_2M;

	switch (aspace_thp_policy(as)) {
	case ASPACE_THP_ALWAYS:
		return blocks;
	case ASPACE_THP_MADVISE:
		return blocks / 2; /* the advised first half */
	default:
		return 0;
	}
}

/*
 * khugepaged: scan steps of CONFIG_THP_KHUGEPAGED_BLOCKS blocks until the
 * blocks the policy allows were each examined once; fills the scan fields.
 */
static void khugepaged(struct aspace *as, uint64_t region, struct thp_collapse_result *c)
{
	uint64_t step = CONFIG_THP_KHUGEPAGED_BLOCKS, blocks = scanned_blocks(as, region);
	uint64_t t0 = axhal_ticks();

	for (uint64_t done = 0; done < blocks; done += step) {
		c->scan_collapsed += aspace_khugepaged_scan(as, step);
		c->scan_steps++;
	}
	c->scan_ns = axhal_ticks_to_ns(axhal_ticks() - t0);
}

/* Checks the counters and page tables after the pass: every block one 2M page. */
static void check_after(const struct aspace *as, uint64_t region,
			const struct thp_collapse_result *c, uint64_t collapse_before)
{
	uint64_t blocks = region / PAGE_SIZE_2M;
	uint64_t want_pt = 1 + (region + PAGE_SIZE_1G - 1) / PAGE_SIZE_1G;
	struct aspace_stats st;

	aspace_stats(as, &st);
	if (c->thp_after != blocks)
		thp_fail("collapse: %lu of %lu blocks are 2M pages (%lu free 2M frames at the "
			 "start, %lu collapses failed)",
			 (unsigned long)c->thp_after, (unsigned long)blocks,
			 (unsigned long)c->free_2m, (unsigned long)c->alloc_failed);
	if (c->scan_collapsed + c->collapsed != blocks - c->thp_before)
		thp_fail("collapse: khugepaged %lu + collapse %lu blocks, expected %lu",
			 (unsigned long)c->scan_collapsed, (unsigned long)c->collapsed,
			 (unsigned long)(blocks - c->thp_before));
	if (st.thp_collapse_alloc - collapse_before != c->scan_collapsed + c->collapsed)
		thp_fail("collapse: thp_collapse_alloc rose by %lu, %lu blocks were collapsed",
			 (unsigned long)(st.thp_collapse_alloc - collapse_before),
			 (unsigned long)(c->scan_collapsed + c->collapsed));
	if (st.mapped[ASPACE_PGSIZE_4K] != 0)
		thp_fail("collapse: %lu 4K pages still mapped",
			 (unsigned long)st.mapped[ASPACE_PGSIZE_4K]);
	if (c->pt_after != want_pt)
		thp_fail("collapse: %lu page-table pages after, expected %lu",
			 (unsigned long)c->pt_after, (unsigned long)want_pt);
}

void thp_collapse_pass(struct aspace *as, vaddr_t va, uint64_t region,
		       struct thp_collapse_result *c)
{
	uint64_t collapse_before, t0;
	struct aspace_stats st;
	int ret;

	aspace_stats(as, &st);
	*c = (struct thp_collapse_result){
	    .done = true,
	    .policy = aspace_thp_policy(as),
	    .free_2m = thp_free_2m_frames(),
	    .thp_before = st.thp_mapped[ASPACE_PGSIZE_2M],
	    .pt_before = st.pt_pages,
	};
	collapse_before = st.thp_collapse_alloc;
	khugepaged(as, region, c);
	aspace_stats(as, &st);
	c->thp_after_scan = st.thp_mapped[ASPACE_PGSIZE_2M];
	t0 = axhal_ticks();
	ret = aspace_collapse(as, va, region);
	c->collapse_ns = axhal_ticks_to_ns(axhal_ticks() - t0);
	if (ret < 0)
		thp_fail("collapse: aspace_collapse over the region: %s", err_name(ret));
	else
		c->collapsed = (uint64_t)ret;
	aspace_stats(as, &st);
	c->thp_after = st.thp_mapped[ASPACE_PGSIZE_2M];
	c->alloc_failed = st.thp_collapse_alloc_failed;
	c->pt_after = st.pt_pages;
	check_after(as, region, c, collapse_before);
	thp_check_pattern("after the collapse", va, region / PAGE_SIZE_4K, UINT64_MAX);
}

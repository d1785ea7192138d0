/*
 * measure.c - one run of the thp app: fragment free memory, touch a region
 * under one policy (with or without direct compaction), time the accesses,
 * check the exact counts the setup implies, and give everything back.
 */
#include <axalloc/axalloc.h>
#include <axhal/time.h>
#include <klib/errname.h>
#include <stdio.h>

#include "thp.h"

#define NAME_LEN 48
#define PERCENT	 100
/* RAM the app declares for the kernel besides the region (APP_MEM_MB). */
#define KERNEL_MB 64

static struct aspace space;
static struct thp_ballast ballast;

/* What the setup implies for a run: see ballast.c. */
struct expect {
	uint64_t thp_2m;
	uint64_t fallbacks;
	uint64_t faults;
	uint64_t pt_pages;
	uint64_t stalls; /* with direct compaction: faults that found no free 2M frame */
};

/* The smaller of a and b. */
static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * The exact counts of a first touch in address order: the blocks the policy
 * makes eligible (all, the advised first half, none) take the N - pinned
 * free 2M frames; the eligible blocks left find none and, without direct
 * compaction, fall back to 4K; with it, each of them stalls and empties a
 * pinned block by moving its one fragmenting page into the spare pool.
 * Every 4K block needs one level-0 table besides the root and one level-1
 * table per GiB.
 */
static struct expect expected(enum aspace_thp_policy policy, bool compaction, uint64_t region,
			      uint64_t pinned)
{
	uint64_t blocks = region / PAGE_SIZE_2M;
	uint64_t eligible = policy == ASPACE_THP_ALWAYS	   ? blocks
			    : policy == ASPACE_THP_MADVISE ? blocks / 2
							   : 0;
	uint64_t free_2m = min_u64(eligible, blocks - pinned);
	uint64_t thp = compaction ? eligible : free_2m;

	return (struct expect){
	    .thp_2m = thp,
	    .fallbacks = eligible - thp,
	    .faults = thp + (blocks - thp) * THP_PAGES_PER_2M,
	    .pt_pages = 1 + (region + PAGE_SIZE_1G - 1) / PAGE_SIZE_1G + (blocks - thp),
	    .stalls = compaction ? eligible - free_2m : 0,
	};
}

/*
 * RAM (MiB) to suggest when fewer than `blocks` 2M blocks are free: those
 * blocks plus the 64 MiB the app declares for the kernel (APP_MEM_MB).
 * make run already refuses less than the app declares, so this guards
 * against memory taken by something else.
 */
static unsigned long mem_hint_mb(uint64_t blocks)
{
	return (unsigned long)(((blocks * PAGE_SIZE_2M) >> THP_MIB_SHIFT) + KERNEL_MB);
}

/* Compares one counter with its expected value; a difference is a failed check. */
static void check_count(const char *name, const char *what, uint64_t got, uint64_t want)
{
	if (got != want)
		thp_fail("%s: %s %lu, expected %lu", name, what, (unsigned long)got,
			 (unsigned long)want);
}

/* Checks the space's counters after the first touch against the setup. */
static void check_counts(const char *name, const struct thp_result *r, uint64_t region,
			 const struct aspace_stats *st)
{
	struct expect e = expected(r->policy, r->compaction, region, r->pinned);

	check_count(name, "transparent 2M pages", st->thp_mapped[ASPACE_PGSIZE_2M], e.thp_2m);
	check_count(name, "2M pages mapped", st->mapped[ASPACE_PGSIZE_2M], e.thp_2m);
	check_count(name, "thp_fault_alloc", st->thp_fault_alloc, e.thp_2m);
	check_count(name, "thp_fault_fallback", st->thp_fault_fallback, e.fallbacks);
	check_count(name, "faults", st->faults, e.faults);
	check_count(name, "page-table pages", st->pt_pages, e.pt_pages);
	check_count(name, "4K frames", st->alloc_pages_4k, region / PAGE_SIZE_4K);
	check_count(name, "spurious faults", st->spurious_faults, 0);
	check_count(name, "compact_stall", r->compact.stall, e.stalls);
	check_count(name, "compact_success", r->compact.success, e.stalls);
	check_count(name, "compact_fail", r->compact.fail, 0);
	check_count(name, "pages migrated", r->compact.migrated, e.stalls);
	check_count(name, "pages that would not move", r->compact.failed, 0);
}

/*
 * Gives the (created) space the run's policy and maps the region lazily
 * (the madvise runs advise its first half HUGEPAGE); stores its address in
 * *va. Returns an error, reported as a failed check.
 */
static int map_region(const char *name, const struct thp_result *r, uint64_t region, vaddr_t *va)
{
	int err = aspace_set_thp_policy(&space, r->policy);

	if (err) {
		thp_fail("%s: aspace_set_thp_policy: %s", name, err_name(err));
		return err;
	}
	err = aspace_find_free_area(&space, THP_SPACE_BASE, region, USER_VA_END, THP_REGION_ALIGN,
				    va);
	if (!err)
		err = aspace_map_alloc(&space, *va, region, MAPF_READ | MAPF_WRITE, false,
				       PAGE_SIZE_4K);
	if (!err && r->policy == ASPACE_THP_MADVISE)
		err = aspace_advise(&space, *va, region / 2, ASPACE_ADV_HUGEPAGE);
	if (err)
		thp_fail("%s: mapping %lu MiB lazily: %s", name,
			 (unsigned long)(region >> THP_MIB_SHIFT), err_name(err));
	return err;
}

/* Touches the region, records and checks the counters, times the random passes. */
static void run(const char *name, struct thp_result *r, vaddr_t va, uint64_t region, unsigned reps)
{
	uint64_t pages = region / PAGE_SIZE_4K, t0;
	struct aspace_stats st;

	aspace_activate(&space);
	if (r->compaction)
		thp_compaction_start();
	t0 = axhal_ticks();
	thp_touch(va, pages);
	r->touch_ns = axhal_ticks_to_ns(axhal_ticks() - t0);
	if (r->compaction)
		thp_compaction_stop(&r->compact);
	aspace_stats(&space, &st);
	r->faults = st.faults;
	r->thp_2m = st.thp_mapped[ASPACE_PGSIZE_2M];
	r->fallbacks = st.thp_fault_fallback;
	r->pt_pages = st.pt_pages;
	r->measured = true;
	check_counts(name, r, region, &st);
	if (reps > 0)
		thp_random_passes(name, va, pages, reps, &r->rand);
	thp_check_pattern(name, va, pages, UINT64_MAX);
	aspace_stats(&space, &st);
	check_count(name, "faults after the random passes", st.faults, r->faults);
}

int thp_measure(enum aspace_thp_policy policy, unsigned frag_pct, bool compaction, uint64_t region,
		unsigned reps, uint64_t baseline, struct thp_result *r,
		struct thp_collapse_result *c)
{
	int failed_before = thp_failures();
	uint64_t blocks = region / PAGE_SIZE_2M, spare = thp_spare_blocks(blocks);
	char name[NAME_LEN];
	vaddr_t va = 0;
	int err;

	snprintf(name, sizeof(name), "%s, %u %% fragmented%s", thp_policy_name(policy), frag_pct,
		 compaction ? ", direct compaction" : "");
	*r = (struct thp_result){.policy = policy,
				 .frag_pct = frag_pct,
				 .pinned = blocks * frag_pct / PERCENT,
				 .compaction = compaction};
	err = thp_frag_create(r->pinned);
	if (err) {
		thp_fail("%s: %lu fragmenting pages: %s", name, (unsigned long)r->pinned,
			 err_name(err));
		return thp_failures() - failed_before;
	}
	thp_ballast_take(&ballast, false);
	if (thp_ballast_shape(&ballast, spare, blocks, r->pinned) != 0) {
		thp_fail("%s: %lu free 2M blocks, the run needs %lu (give the guest more RAM: make "
			 "run MEM=%luM)",
			 name, (unsigned long)ballast.nr_blocks, (unsigned long)(blocks + spare),
			 mem_hint_mb(blocks + spare));
		thp_ballast_release(&ballast);
		thp_frag_destroy();
		return thp_failures() - failed_before;
	}
	err = aspace_create(&space, THP_SPACE_BASE, USER_VA_END - THP_SPACE_BASE);
	if (err) {
		thp_fail("%s: aspace_create: %s", name, err_name(err));
	} else {
		if (map_region(name, r, region, &va) == 0) {
			run(name, r, va, region, reps);
			if (c) {
				thp_frag_destroy();
				thp_ballast_release(&ballast);
				thp_collapse_pass(&space, va, region, c);
				c->frag_pct = frag_pct;
			}
		}
		aspace_destroy(&space);
	}
	thp_frag_destroy();
	thp_ballast_release(&ballast);
	r->used_after = thp_used_pages();
	if (r->used_after != baseline)
		thp_fail("%s: %lu pages used after the run, %lu before", name,
			 (unsigned long)r->used_after, (unsigned long)baseline);
	return thp_failures() - failed_before;
}

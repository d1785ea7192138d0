/*
 * thp - transparent huge pages: touches a region under each policy (never,
 * always, madvise with the first half advised) at 0 %, 50 % and 90 %
 * fragmentation of physical memory (by movable pages of another space,
 * direct compaction off) and prints faults, the share mapped by 2M pages,
 * fallbacks, page-table pages, first-touch and random-access times as a
 * table; then collapses the 4K pages of the fragmented madvise run
 * (khugepaged scan steps and aspace_collapse), runs `always` at 90 % again
 * with direct compaction on, splits one 2M page with a 4K unmap, and
 * closes with a line computed from the numbers.
 * Returns the number of failed checks (exact counts, contents, pages given
 * back), capped at MAX_STATUS; 0 = success.
 */
#include <axalloc/axalloc.h>
#include <klib/kconfig.h>
#include <stdarg.h>
#include <stdio.h>

#include "thp.h"

#define MAX_STATUS 127
/* Regions are whole pairs of 2M blocks: the madvise runs advise the first half. */
#define REGION_UNIT (2 * PAGE_SIZE_2M)

static int failures;

void thp_fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	printf("thp: FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int thp_failures(void)
{
	return failures;
}

uint64_t thp_used_pages(void)
{
	struct axalloc_stats st;

	axalloc_stats(&st);
	return st.pages.used_pages;
}

static const enum aspace_thp_policy policies[THP_NR_POLICIES] = {
    ASPACE_THP_NEVER, ASPACE_THP_ALWAYS, ASPACE_THP_MADVISE};
static const unsigned frags[THP_NR_FRAGS] = {0, 50, 90};
/* The run the collapse pass works on: it leaves 4K pages in both halves. */
#define COLLAPSE_POLICY ASPACE_THP_MADVISE
#define COLLAPSE_FRAG	90
/* The run repeated with direct compaction: every block eligible, 90 % of them pinned. */
#define COMPACTION_POLICY ASPACE_THP_ALWAYS
#define COMPACTION_FRAG	  90

/* Writes every free page once (CONFIG_THP_WARM_UP) and says how many. */
static void warm_up(void)
{
	struct thp_ballast b = {0};

	thp_ballast_take(&b, true);
	printf("thp: warm-up wrote %lu free pages\n",
	       (unsigned long)(b.nr_blocks * THP_PAGES_PER_2M + b.nr_pages));
	thp_ballast_release(&b);
}

/* One run (thp_measure) and its progress line. */
static void measure(enum aspace_thp_policy policy, unsigned frag, bool compaction, uint64_t region,
		    unsigned reps, uint64_t baseline, struct thp_result *r,
		    struct thp_collapse_result *c)
{
	int failed = thp_measure(policy, frag, compaction, region, reps, baseline, r, c);

	printf("thp: %s %s at %u %% fragmentation%s%s\n",
	       r->measured ? "measured" : "could not run", thp_policy_name(policy), frag,
	       compaction ? " with direct compaction" : "", failed ? " (checks failed)" : "");
}

int main(void)
{
	static struct thp_result res[THP_NR_RUNS];
	static struct thp_collapse_result collapse;
	uint64_t region = (uint64_t)CONFIG_THP_REGION_MB << THP_MIB_SHIFT, baseline;
	unsigned reps = CONFIG_THP_REPS;
	struct axalloc_stats st;
	int n = 0;

	/* The heap keeps one empty chunk once it has grown: grow it now, so counts compare. */
	kfree(kmalloc(1));
	axalloc_stats(&st);
	baseline = st.pages.used_pages;
	printf("thp: region %lu MiB (%lu 2M blocks), %u repetitions, seed %d, %s page allocator, "
	       "%lu MiB of RAM free, %lu pages used\n",
	       (unsigned long)(region >> THP_MIB_SHIFT), (unsigned long)(region / PAGE_SIZE_2M),
	       reps, CONFIG_THP_SEED, axalloc_page_allocator_name(),
	       (unsigned long)((st.pages.free_pages * PAGE_SIZE_4K) >> THP_MIB_SHIFT),
	       (unsigned long)baseline);
	if (region % REGION_UNIT != 0) {
		thp_fail("the region (%lu MiB) must be a multiple of 4 MiB: its first half is "
			 "advised in whole 2M blocks",
			 (unsigned long)(region >> THP_MIB_SHIFT));
		return 1;
	}
	/* Only the compaction run compacts: the other runs show what fragmentation costs. */
	axalloc_set_direct_compaction(false);
	if (IS_ENABLED(CONFIG_THP_WARM_UP))
		warm_up();
	for (int p = 0; p < THP_NR_POLICIES; p++) {
		for (int f = 0; f < THP_NR_FRAGS; f++) {
			bool collapse_here =
			    policies[p] == COLLAPSE_POLICY && frags[f] == COLLAPSE_FRAG;

			measure(policies[p], frags[f], false, region, reps, baseline, &res[n++],
				collapse_here ? &collapse : NULL);
		}
	}
	/* Its report shows what the touch got and cost: no random passes. */
	measure(COMPACTION_POLICY, COMPACTION_FRAG, true, region, 0, baseline, &res[n++], NULL);
	thp_report(res, n, &collapse, region, reps);
	thp_split_demo(baseline);
	thp_report_conclusion(res, n, &collapse, region, reps);
	printf("thp: %d failed checks\n", failures);
	return failures > MAX_STATUS ? MAX_STATUS : failures;
}

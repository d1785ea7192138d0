/*
 * hugepage - why huge pages matter: maps a region with 4K, 2M and 1G pages,
 * each populated up front and lazily, and prints map time, first-touch time,
 * page faults, page-table pages and steady-state read times as a table
 * (and, with CONFIG_HUGEPAGE_BENCH_MARKDOWN, as markdown for `make bench`),
 * with a conclusion computed from the numbers.
 * Returns the number of failed checks (fault counts, page-table pages,
 * contents, pages given back), capped at MAX_STATUS; 0 = success.
 */
#include <axalloc/axalloc.h>
#include <klib/kconfig.h>
#include <stdarg.h>
#include <stdio.h>

#include "hugepage.h"

#define MAX_STATUS 127

static int failures;

void hp_fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	printf("hugepage: FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int hp_failures(void)
{
	return failures;
}

/* The page sizes of the test, smallest first; 0 where menuconfig left one out. */
static const uint64_t pgsizes[HP_NR_PGSIZES] = {
    IS_ENABLED(CONFIG_HUGEPAGE_4K) ? PAGE_SIZE_4K : 0,
    IS_ENABLED(CONFIG_HUGEPAGE_2M) ? PAGE_SIZE_2M : 0,
    IS_ENABLED(CONFIG_HUGEPAGE_1G) ? PAGE_SIZE_1G : 0,
};

int main(void)
{
	static struct hp_result res[HP_MAX_RESULTS];
	uint64_t region = (uint64_t)CONFIG_HUGEPAGE_REGION_MB << HP_MIB_SHIFT;
	unsigned reps = CONFIG_HUGEPAGE_REPS;
	struct axalloc_stats st;
	int n = 0;

	axalloc_stats(&st);
	printf("hugepage: region %lu MiB, %u repetitions, %s page allocator, %lu MiB of RAM free\n",
	       (unsigned long)(region >> HP_MIB_SHIFT), reps, axalloc_page_allocator_name(),
	       (unsigned long)((st.pages.free_pages * PAGE_SIZE_4K) >> HP_MIB_SHIFT));
	if (IS_ENABLED(CONFIG_HUGEPAGE_WARM_UP)) {
		uint64_t touched = axalloc_touch_free_pages();

		printf("hugepage: warm-up touched %lu free pages\n", (unsigned long)touched);
		if (touched != st.pages.free_pages)
			hp_fail("warm-up touched %lu pages, but %lu were free",
				(unsigned long)touched, (unsigned long)st.pages.free_pages);
	}
	for (int i = 0; i < HP_NR_PGSIZES; i++) {
		uint64_t pgsize = pgsizes[i];

		if (pgsize == 0)
			continue;
		if (region % pgsize != 0) {
			printf("hugepage: %s pages skipped: the region is not a multiple of %s\n",
			       hp_pgsize_name(pgsize), hp_pgsize_name(pgsize));
			continue;
		}
		for (int populate = 1; populate >= 0; populate--) {
			int failed = hp_measure(region, pgsize, populate, reps, &res[n]);

			printf("hugepage: %s %s %s%s\n",
			       res[n].measured ? "measured" : "could not map",
			       hp_pgsize_name(pgsize), populate ? "populate" : "lazy",
			       failed ? " (checks failed)" : "");
			if (res[n].measured)
				n++;
		}
	}
	if (n > 0)
		hp_report(res, n, region, reps);
	else if (failures == 0)
		hp_fail("no page size measured (enable HUGEPAGE_4K, _2M or _1G)");
	printf("hugepage: %d failed checks\n", failures);
	return failures > MAX_STATUS ? MAX_STATUS : failures;
}

/*
 * split.c - the thp app's split step: a 4K unmap inside a transparent 2M
 * page splits it into 4K pages of the same frames, shown with aspace_query
 * before and after.
 */
#include <errno.h>
#include <klib/errname.h>
#include <stdio.h>

#include "thp.h"

/* Two 2M blocks, both transparent 2M pages after the touch. */
#define SPLIT_BLOCKS 2
#define SPLIT_SIZE   (SPLIT_BLOCKS * PAGE_SIZE_2M)
/* The page unmapped: the middle of the first 2M page. */
#define HOLE_PAGE (THP_PAGES_PER_2M / 2)
#define NR_PROBES 4
#define ENTRY_LEN 64
#define PERM_LEN  4

static struct aspace space;

/* What aspace_query said about one address. */
struct probe {
	int err;
	paddr_t pa;
	unsigned flags;
	uint64_t pgsize;
};

/* "4K", "2M" or "1G". */
static const char *pgsize_name(uint64_t pgsize)
{
	return pgsize == PAGE_SIZE_1G ? "1G" : pgsize == PAGE_SIZE_2M ? "2M" : "4K";
}

/* Formats a query result as "2M page, pa 0x..., rw-" or "not mapped (-ENOENT)". */
static const char *describe(char *buf, const struct probe *p)
{
	char perm[PERM_LEN] = {p->flags & MAPF_READ ? 'r' : '-', p->flags & MAPF_WRITE ? 'w' : '-',
			       p->flags & MAPF_EXEC ? 'x' : '-', '\0'};

	if (p->err)
		snprintf(buf, ENTRY_LEN, "not mapped (%s)", err_name(p->err));
	else
		snprintf(buf, ENTRY_LEN, "%s page, pa %#lx, %s", pgsize_name(p->pgsize),
			 (unsigned long)p->pa, perm);
	return buf;
}

/* Queries each of the NR_PROBES addresses va[] into p[]. */
static void query_all(const vaddr_t *va, struct probe *p)
{
	for (int i = 0; i < NR_PROBES; i++)
		p[i].err = aspace_query(&space, va[i], &p[i].pa, &p[i].flags, &p[i].pgsize);
}

/*
 * Checks the page sizes: all 2M before; after, 4K on both sides of the
 * hole on the same frames, the hole unmapped, the second block still 2M.
 */
static void check_probes(const struct probe *before, const struct probe *after)
{
	static const uint64_t want_after[NR_PROBES] = {PAGE_SIZE_4K, 0, PAGE_SIZE_4K, PAGE_SIZE_2M};

	for (int i = 0; i < NR_PROBES; i++) {
		if (before[i].err || before[i].pgsize != PAGE_SIZE_2M)
			thp_fail("split: probe %d was not in a 2M page before the unmap", i);
		if (want_after[i] == 0 && after[i].err != -ENOENT)
			thp_fail("split: the unmapped page still translates (%s)",
				 err_name(after[i].err));
		if (want_after[i] != 0 && (after[i].err || after[i].pgsize != want_after[i] ||
					   after[i].pa != before[i].pa))
			thp_fail("split: probe %d after the unmap: %s, %s page at %#lx (was %#lx)",
				 i, err_name(after[i].err), pgsize_name(after[i].pgsize),
				 (unsigned long)after[i].pa, (unsigned long)before[i].pa);
	}
}

/* Prints the probes before and after, then the counters that changed. */
static void show(const vaddr_t *va, const struct probe *before, const struct probe *after,
		 const struct aspace_stats *s0, const struct aspace_stats *s1)
{
	static const char *const what[NR_PROBES] = {"page before", "unmapped page", "page after",
						    "next 2M block"};
	char a[ENTRY_LEN], b[ENTRY_LEN];

	printf("  %-12s  %-14s  %-36s  %s\n", "address", "", "before", "after");
	for (int i = 0; i < NR_PROBES; i++)
		printf("  %#-12lx  %-14s  %-36s  %s\n", (unsigned long)va[i], what[i],
		       describe(a, &before[i]), describe(b, &after[i]));
	printf("split: thp_split_pmd %lu -> %lu; 2M pages %lu -> %lu, 4K pages %lu -> %lu; "
	       "page-table pages %lu -> %lu\n",
	       (unsigned long)s0->thp_split_pmd, (unsigned long)s1->thp_split_pmd,
	       (unsigned long)s0->mapped[ASPACE_PGSIZE_2M],
	       (unsigned long)s1->mapped[ASPACE_PGSIZE_2M],
	       (unsigned long)s0->mapped[ASPACE_PGSIZE_4K],
	       (unsigned long)s1->mapped[ASPACE_PGSIZE_4K], (unsigned long)s0->pt_pages,
	       (unsigned long)s1->pt_pages);
}

/* Checks the counters: one split, one 2M page fewer, 511 4K pages, one level-0 table. */
static void check_stats(const struct aspace_stats *s0, const struct aspace_stats *s1)
{
	if (s0->thp_mapped[ASPACE_PGSIZE_2M] != SPLIT_BLOCKS)
		thp_fail("split: %lu transparent 2M pages after the touch, expected %d",
			 (unsigned long)s0->thp_mapped[ASPACE_PGSIZE_2M], SPLIT_BLOCKS);
	if (s1->thp_split_pmd != s0->thp_split_pmd + 1 ||
	    s1->thp_mapped[ASPACE_PGSIZE_2M] != SPLIT_BLOCKS - 1 ||
	    s1->mapped[ASPACE_PGSIZE_4K] != THP_PAGES_PER_2M - 1 ||
	    s1->pt_pages != s0->pt_pages + 1)
		thp_fail("split: counters after the unmap are not one split, %d 2M page, %lu 4K "
			 "pages, one more page-table page",
			 SPLIT_BLOCKS - 1, (unsigned long)(THP_PAGES_PER_2M - 1));
}

void thp_split_demo(uint64_t baseline)
{
	struct probe before[NR_PROBES], after[NR_PROBES];
	struct aspace_stats s0, s1;
	vaddr_t va = THP_SPACE_BASE, hole, probes[NR_PROBES];
	int err;

	err = aspace_create(&space, THP_SPACE_BASE, USER_VA_END - THP_SPACE_BASE);
	if (err) {
		thp_fail("split: aspace_create: %s", err_name(err));
		return;
	}
	err = aspace_set_thp_policy(&space, ASPACE_THP_ALWAYS);
	if (!err)
		err = aspace_map_alloc(&space, va, SPLIT_SIZE, MAPF_READ | MAPF_WRITE, false,
				       PAGE_SIZE_4K);
	if (err) {
		thp_fail("split: setting up the space: %s", err_name(err));
		aspace_destroy(&space);
		return;
	}
	aspace_activate(&space);
	thp_touch(va, SPLIT_SIZE / PAGE_SIZE_4K);
	hole = va + HOLE_PAGE * PAGE_SIZE_4K;
	probes[0] = hole - PAGE_SIZE_4K;
	probes[1] = hole;
	probes[2] = hole + PAGE_SIZE_4K;
	probes[3] = va + PAGE_SIZE_2M;
	aspace_stats(&space, &s0);
	query_all(probes, before);
	err = aspace_unmap(&space, hole, PAGE_SIZE_4K);
	aspace_stats(&space, &s1);
	query_all(probes, after);
	printf("\nsplit: aspace_unmap(%#lx, 4K), one 4K page inside the first of two transparent "
	       "2M pages = %s\n",
	       (unsigned long)hole, err_name(err));
	show(probes, before, after, &s0, &s1);
	if (err)
		thp_fail("split: aspace_unmap: %s", err_name(err));
	check_probes(before, after);
	check_stats(&s0, &s1);
	if (thp_check_pattern("split", va, SPLIT_SIZE / PAGE_SIZE_4K, HOLE_PAGE) == 0)
		printf("split: nothing copied: the pages beside the hole kept their frames, and "
		       "all %lu other pages their contents\n",
		       (unsigned long)(SPLIT_SIZE / PAGE_SIZE_4K - 1));
	aspace_destroy(&space);
	if (thp_used_pages() != baseline)
		thp_fail("split: %lu pages used after destroy, %lu before",
			 (unsigned long)thp_used_pages(), (unsigned long)baseline);
}

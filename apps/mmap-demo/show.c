/*
 * show.c - how mmap-demo prints areas, statistics, translations and errors.
 */
#include <errno.h>
#include <stdio.h>

#include "mmap_demo.h"

#define KIB_SHIFT 10

const char *demo_perm(unsigned flags, char buf[4])
{
	buf[0] = flags & MAPF_READ ? 'r' : '-';
	buf[1] = flags & MAPF_WRITE ? 'w' : '-';
	buf[2] = flags & MAPF_EXEC ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

const char *demo_pgsize_name(uint64_t pgsize)
{
	return pgsize == PAGE_SIZE_1G ? "1G" : pgsize == PAGE_SIZE_2M ? "2M" : "4K";
}

int demo_nr_areas(const struct aspace *as)
{
	int n = 0;

	for (const struct aspace_area *a = aspace_first_area(as); a; a = aspace_next_area(as, a))
		n++;
	return n;
}

void demo_show_areas(const struct aspace *as)
{
	char perm[4];

	printf("    areas (%d):\n", demo_nr_areas(as));
	for (const struct aspace_area *a = aspace_first_area(as); a; a = aspace_next_area(as, a)) {
		const struct aspace_backend *b = &a->backend;

		printf("      [%#12lx, %#12lx) %6lu KiB  %s  %s %s pages\n",
		       (unsigned long)a->node.start, (unsigned long)a->node.end,
		       (unsigned long)((a->node.end - a->node.start) >> KIB_SHIFT),
		       demo_perm(a->flags, perm),
		       b->kind == ASPACE_BACKEND_LINEAR ? "linear"
		       : b->alloc.populate		? "alloc populate"
							: "alloc lazy",
		       demo_pgsize_name(b->pgsize));
	}
}

void demo_show_stats(const struct aspace *as)
{
	struct aspace_stats st;

	aspace_stats(as, &st);
	printf("    stats: %lu areas; mapped 4K %lu, 2M %lu, 1G %lu; %lu frames (4K); %lu "
	       "page-table pages; %lu faults\n",
	       (unsigned long)st.nr_areas, (unsigned long)st.mapped[ASPACE_PGSIZE_4K],
	       (unsigned long)st.mapped[ASPACE_PGSIZE_2M],
	       (unsigned long)st.mapped[ASPACE_PGSIZE_1G], (unsigned long)st.alloc_pages_4k,
	       (unsigned long)st.pt_pages, (unsigned long)st.faults);
}

void demo_show_query(const struct aspace *as, vaddr_t va)
{
	paddr_t pa;
	unsigned flags;
	uint64_t pgsize;
	char perm[4];
	int err = aspace_query(as, va, &pa, &flags, &pgsize);

	if (err)
		printf("    query %#lx: %s (not mapped)\n", (unsigned long)va, err_name(err));
	else
		printf("    query %#lx: pa %#lx, %s, %s page\n", (unsigned long)va,
		       (unsigned long)pa, demo_perm(flags, perm), demo_pgsize_name(pgsize));
}

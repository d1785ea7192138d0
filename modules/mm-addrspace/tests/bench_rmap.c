/*
 * bench_rmap.c - host benchmark of the reverse map and page migration:
 * aspace_rmap of a frame shared by 1, 2, 4 and 8 spaces (a COW clone
 * family), and aspace_migrate of 4K pages, transparent 2M pages and fixed
 * 2M pages, each next to the copy of the same bytes it has to make.
 * Medians (min-max) of REPS runs after a warm-up. Prints markdown.
 * --quick: fewer pages, one run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aspace_test_env.h"
#include "bench_util.h"

#define REPS	    7
#define VA_BASE	    0x40000000UL
#define RW	    (MAPF_READ | MAPF_WRITE)
#define MAX_SPACES  8
#define RMAP_PAGES  4096
#define QUICK_PAGES 256
#define MIGRATE_2M  64
#define QUICK_2M    8

static void check(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "bench_rmap: %s failed: %d\n", what, err);
		exit(1);
	}
}

/* Prints " median (min-max) |" of the n samples in v (sorted), scaled. */
static void print_cell(double *v, int n, double scale)
{
	double m = bench_median(v, n);

	printf(" %.3f (%.3f-%.3f) |", m * scale, v[0] * scale, v[n - 1] * scale);
}

/* A space with `pages` populated 4K pages at VA_BASE (policy never). */
static void populated(struct aspace *as, uint64_t pages)
{
	check(aspace_create(as, USER_VA_START, USER_VA_END - USER_VA_START), "create");
	check(aspace_set_thp_policy(as, ASPACE_THP_NEVER), "policy");
	check(aspace_map_alloc(as, VA_BASE, pages * PAGE_SIZE_4K, RW, true, PAGE_SIZE_4K), "map");
}

/* Time per aspace_rmap over every frame of `pages` pages shared by nr spaces. */
static double rmap_once(uint64_t pages, int nr)
{
	static struct aspace spaces[MAX_SPACES];
	struct aspace_mapping out[MAX_SPACES];
	paddr_t *frames = malloc(pages * sizeof(*frames));
	double t0, t1;

	populated(&spaces[0], pages);
	for (int i = 1; i < nr; i++) {
		check(aspace_create(&spaces[i], USER_VA_START, USER_VA_END - USER_VA_START),
		      "create");
		check(aspace_clone(&spaces[i], &spaces[0]), "clone");
	}
	for (uint64_t p = 0; p < pages; p++)
		check(aspace_query(&spaces[0], VA_BASE + p * PAGE_SIZE_4K, &frames[p], NULL, NULL),
		      "query");
	t0 = bench_now_s();
	for (uint64_t p = 0; p < pages; p++)
		if (aspace_rmap(frames[p], out, MAX_SPACES) != nr)
			check(-1, "rmap count");
	t1 = bench_now_s();
	for (int i = nr - 1; i >= 0; i--)
		aspace_destroy(&spaces[i]);
	free(frames);
	return (t1 - t0) / pages;
}

/*
 * Time per aspace_migrate of each page of an area of `pages` pages of
 * pgsize (thp: 4K area under policy always, so 2M transparent pages),
 * shared with one clone when `shared`.
 */
static double migrate_once(uint64_t pages, uint64_t pgsize, bool thp, bool shared)
{
	struct aspace as, kid;
	uint64_t area_pgsize = thp ? PAGE_SIZE_4K : pgsize;
	double t0, t1;

	check(aspace_create(&as, USER_VA_START, USER_VA_END - USER_VA_START), "create");
	check(aspace_set_thp_policy(&as, thp ? ASPACE_THP_ALWAYS : ASPACE_THP_NEVER), "policy");
	check(aspace_map_alloc(&as, VA_BASE, pages * pgsize, RW, true, area_pgsize), "map");
	if (shared) {
		check(aspace_create(&kid, USER_VA_START, USER_VA_END - USER_VA_START), "create");
		check(aspace_clone(&kid, &as), "clone");
	}
	t0 = bench_now_s();
	for (uint64_t p = 0; p < pages; p++) {
		paddr_t pa;
		uint64_t size;

		check(aspace_query(&as, VA_BASE + p * pgsize, &pa, NULL, &size), "query");
		if (size != pgsize)
			check(-1, "page size");
		check(aspace_migrate(pa, NULL), "migrate");
	}
	t1 = bench_now_s();
	if (shared)
		aspace_destroy(&kid);
	aspace_destroy(&as);
	return (t1 - t0) / pages;
}

/* Time per memcpy of pgsize bytes between two frames (what a migration must copy). */
static double copy_once(uint64_t pgsize)
{
	paddr_t a, b;
	double t0, t1;

	check(axalloc_alloc_pages(pgsize / PAGE_SIZE_4K, pgsize, AXALLOC_UNMOVABLE, &a), "alloc");
	check(axalloc_alloc_pages(pgsize / PAGE_SIZE_4K, pgsize, AXALLOC_UNMOVABLE, &b), "alloc");
	/* Both written first, as a populated page and a zeroed frame are. */
	memset(phys_to_virt(a), 1, pgsize);
	memset(phys_to_virt(b), 0, pgsize);
	t0 = bench_now_s();
	memcpy(phys_to_virt(b), phys_to_virt(a), pgsize);
	t1 = bench_now_s();
	check(axalloc_free_pages(a, pgsize / PAGE_SIZE_4K), "free");
	check(axalloc_free_pages(b, pgsize / PAGE_SIZE_4K), "free");
	return t1 - t0;
}

int main(int argc, char **argv)
{
	static const int spaces[] = {1, 2, 4, 8};
	static const struct {
		const char *name;
		uint64_t pgsize;
		bool thp, shared;
	} kinds[] = {
	    {"4K page", PAGE_SIZE_4K, false, false},
	    {"4K page shared by a clone", PAGE_SIZE_4K, false, true},
	    {"transparent 2M page", PAGE_SIZE_2M, true, false},
	    {"transparent 2M page shared by a clone", PAGE_SIZE_2M, true, true},
	    {"fixed 2M page", PAGE_SIZE_2M, false, false},
	};
	bool quick = bench_quick(argc, argv);
	int reps = quick ? 1 : REPS;
	uint64_t pages = quick ? QUICK_PAGES : RMAP_PAGES, huge = quick ? QUICK_2M : MIGRATE_2M;
	double t[REPS];

	env_init();
	printf("## Reverse map and migration (host)\n\n");
	printf("Simulated RAM 3 GiB, page allocator %s, median (min-max) of %d run%s after a "
	       "warm-up. Memory: the reverse map is one 32-bit owner word per 4K frame (the "
	       "frame's virtual page), beside its 32-bit count: 1 MiB per GiB of RAM; it is set "
	       "with the count when a frame is allocated and never touched on unmap.\n\n",
	       axalloc_page_allocator_name(), reps, reps > 1 ? "s" : "");
	printf("### aspace_rmap: the spaces that map a frame\n\n");
	printf("Every frame of %lu populated 4K pages, shared by a family of clones: one "
	       "owner-word read, then one page-table walk per live space.\n\n",
	       (unsigned long)pages);
	printf("| spaces | ns per lookup |\n|---:|---:|\n");
	for (unsigned k = 0; k < sizeof(spaces) / sizeof(spaces[0]); k++) {
		rmap_once(pages, spaces[k]);
		for (int i = 0; i < reps; i++)
			t[i] = rmap_once(pages, spaces[k]);
		printf("| %d |", spaces[k]);
		print_cell(t, reps, 1e9);
		printf("\n");
	}
	printf("\n### aspace_migrate: copy, remap every mapping, move counts\n\n");
	printf("| page | µs per migration | µs to copy its bytes |\n|---|---:|---:|\n");
	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		uint64_t n = kinds[k].pgsize == PAGE_SIZE_4K ? pages : huge;
		double c[REPS];

		migrate_once(n, kinds[k].pgsize, kinds[k].thp, kinds[k].shared);
		for (int i = 0; i < reps; i++) {
			t[i] = migrate_once(n, kinds[k].pgsize, kinds[k].thp, kinds[k].shared);
			c[i] = copy_once(kinds[k].pgsize);
		}
		printf("| %s |", kinds[k].name);
		print_cell(t, reps, 1e6);
		print_cell(c, reps, 1e6);
		printf("\n");
	}
	printf("\n");
	return 0;
}

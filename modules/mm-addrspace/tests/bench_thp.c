/*
 * bench_thp.c - host benchmark of transparent huge pages, each figure next
 * to the same work done with 4K pages in the same run: making a region
 * usable by lazy faults (policy always against never), collapsing 2M blocks
 * (aspace_collapse) against faulting their 512 4K pages in, and splitting a
 * 2M page (by a partial unmap and by a COW write) against the same
 * operation on 4K pages. The two kinds alternate within each repetition, so
 * load on the machine hits both alike. Medians of REPS runs after a
 * warm-up, with the range (min-max). Prints markdown. --quick: a smaller
 * region, one run.
 */
#include <stdio.h>
#include <stdlib.h>

#include "aspace_test_env.h"
#include "bench_util.h"

#define REPS	     7
#define REGION	     (1UL << 30)
#define QUICK_REGION (64UL << 20)
#define VA_BASE	     0x40000000UL
#define MIB	     (1UL << 20)
#define RW	     (MAPF_READ | MAPF_WRITE)

/* The two kinds compared in every table. */
enum kind { KIND_4K, KIND_THP, NR_KINDS };

static const enum aspace_thp_policy policy_of[NR_KINDS] = {ASPACE_THP_NEVER, ASPACE_THP_ALWAYS};

static void check(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "bench_thp: %s failed: %d\n", what, err);
		exit(1);
	}
}

/* Stops the benchmark when a count is not what the setup makes certain. */
static void expect(uint64_t got, uint64_t want, const char *what)
{
	if (got != want) {
		fprintf(stderr, "bench_thp: %s: %lu, expected %lu\n", what, (unsigned long)got,
			(unsigned long)want);
		exit(1);
	}
}

/* A space with one lazy RW area of 4K pages over [VA_BASE, VA_BASE + region). */
static void lazy_space(struct aspace *as, uint64_t region, enum kind k)
{
	check(aspace_create(as, USER_VA_START, USER_VA_END - USER_VA_START), "create");
	check(aspace_set_thp_policy(as, policy_of[k]), "set_thp_policy");
	check(aspace_map_alloc(as, VA_BASE, region, RW, false, PAGE_SIZE_4K), "map_alloc");
}

/* As lazy_space, with every page present (2M pages for KIND_THP). */
static void populated_space(struct aspace *as, uint64_t region, enum kind k)
{
	lazy_space(as, region, k);
	check(aspace_populate(as, VA_BASE, region, ACCESS_WRITE), "populate");
}

/*
 * Write faults at the first address of every page the kind maps (4K: every
 * 4K page; THP: every 2M block, the rest is then present); returns the
 * time and stores the fault count.
 */
static double lazy_faults(uint64_t region, enum kind k, uint64_t *faults)
{
	uint64_t step = k == KIND_THP ? PAGE_SIZE_2M : PAGE_SIZE_4K;
	struct aspace as;
	struct aspace_stats st;
	double t0, t1;

	lazy_space(&as, region, k);
	t0 = bench_now_s();
	for (vaddr_t va = VA_BASE; va < VA_BASE + region; va += step)
		check(aspace_handle_page_fault(&as, va, ACCESS_WRITE), "fault");
	t1 = bench_now_s();
	aspace_stats(&as, &st);
	expect(st.thp_mapped[ASPACE_PGSIZE_2M], k == KIND_THP ? region / PAGE_SIZE_2M : 0,
	       "2M pages after the faults");
	*faults = st.faults;
	aspace_destroy(&as);
	return t1 - t0;
}

/* The median of v[0..n) and, through the pointers, its range. Sorts v. */
static double summary(double *v, int n, double *lo, double *hi)
{
	double m = bench_median(v, n);

	*lo = v[0];
	*hi = v[n - 1];
	return m;
}

/* Prints "median (lo-hi)" of the n samples in v, scaled. */
static void print_cell(double *v, int n, double scale)
{
	double lo, hi, m = summary(v, n, &lo, &hi);

	printf(" %.2f (%.2f-%.2f) |", m * scale, lo * scale, hi * scale);
}

static void bench_faults(uint64_t region, int reps)
{
	double t[NR_KINDS][REPS];
	uint64_t faults[NR_KINDS];

	printf("### Making %lu MiB usable by lazy faults\n\n", (unsigned long)(region / MIB));
	printf("A write fault at the first address of every page of a lazy area of 4K pages: "
	       "policy never (512 faults per 2M) against always (one fault maps a zeroed 2M "
	       "page). Each fault allocates and zeroes its frame.\n\n");
	printf("| pages | faults | total ms | per fault µs | per 2M µs |\n");
	printf("|---|---:|---:|---:|---:|\n");
	for (int k = 0; k < NR_KINDS; k++)
		lazy_faults(region, k, &faults[k]);
	for (int i = 0; i < reps; i++)
		for (int k = 0; k < NR_KINDS; k++)
			t[k][i] = lazy_faults(region, k, &faults[k]);
	for (int k = 0; k < NR_KINDS; k++) {
		double per2m[REPS];

		for (int i = 0; i < reps; i++)
			per2m[i] = t[k][i] / (region / PAGE_SIZE_2M);
		printf("| %s | %lu |", k == KIND_THP ? "THP 2M" : "4K", (unsigned long)faults[k]);
		print_cell(t[k], reps, 1e3);
		print_cell(t[k], reps, 1e6 / faults[k]);
		print_cell(per2m, reps, 1e6);
		printf("\n");
	}
	double m4 = bench_median(t[KIND_4K], reps), mt = bench_median(t[KIND_THP], reps);
	printf("\nTHP makes the region usable %.2fx as fast as 4K faults. For scale, Linux on a "
	       "2-core KVM host: one THP fault 88-134 µs against 512 x 0.7-1.4 µs (360-720 µs) "
	       "for the same 2M in 4K faults. Here the host zeroes and maps simulated RAM "
	       "without a trap, so a fault costs less than a real one; what the two share is "
	       "that zeroing 2M dominates a THP fault, while 4K faults pay 512 times the "
	       "per-fault overhead.\n\n",
	       m4 / mt);
}

/*
 * A space whose region has `present` 4K pages mapped at the start of every
 * 2M block (policy never), then aspace_collapse over it, timed.
 */
static double collapse_once(uint64_t region, unsigned present)
{
	struct aspace as;
	struct aspace_stats st;
	double t0, t1;
	int n;

	lazy_space(&as, region, KIND_4K);
	for (vaddr_t b = VA_BASE; b < VA_BASE + region; b += PAGE_SIZE_2M)
		check(aspace_populate(&as, b, present * PAGE_SIZE_4K, ACCESS_WRITE), "populate");
	t0 = bench_now_s();
	n = aspace_collapse(&as, VA_BASE, region);
	t1 = bench_now_s();
	if (n < 0)
		check(n, "collapse");
	aspace_stats(&as, &st);
	expect((uint64_t)n, region / PAGE_SIZE_2M, "blocks collapsed");
	expect(st.mapped[ASPACE_PGSIZE_4K], 0, "4K pages left after the collapse");
	aspace_destroy(&as);
	return t1 - t0;
}

static void bench_collapse(uint64_t region, int reps)
{
	static const unsigned present[] = {512, 256, 1};
	double t[3][REPS], faults[REPS];
	uint64_t blocks = region / PAGE_SIZE_2M, nr_faults;

	printf("### Collapse: aspace_collapse of every 2M block of %lu MiB\n\n",
	       (unsigned long)(region / MIB));
	printf("Each block has its first N 4K pages present; a collapse allocates a 2M frame, "
	       "copies the present pages, zeroes the rest, maps one leaf and frees the 4K "
	       "frames. Next to it: the same 2M made usable by 512 4K faults.\n\n");
	printf("| work per 2M block | µs per 2M |\n");
	printf("|---|---:|\n");
	for (int p = 0; p < 3; p++)
		collapse_once(region, present[p]);
	for (int i = 0; i < reps; i++) {
		for (int p = 0; p < 3; p++)
			t[p][i] = collapse_once(region, present[p]) / blocks;
		faults[i] = lazy_faults(region, KIND_4K, &nr_faults) / blocks;
	}
	for (int p = 0; p < 3; p++) {
		printf("| collapse, %u of 512 pages present |", present[p]);
		print_cell(t[p], reps, 1e6);
		printf("\n");
	}
	printf("| 512 4K faults |");
	print_cell(faults, reps, 1e6);
	printf("\n\n");
}

/*
 * Splits: in a populated region, unmaps one 4K page inside every 2M block
 * (THP: split, then unmap) or writes one byte to every block of a COW
 * clone (THP: split, copy one 4K page); returns the time per block.
 */
static double split_once(uint64_t region, enum kind k, bool cow)
{
	uint64_t blocks = region / PAGE_SIZE_2M;
	struct aspace as, kid;
	struct aspace_stats st;
	double t0, t1;

	populated_space(&as, region, k);
	if (cow) {
		check(aspace_create(&kid, USER_VA_START, USER_VA_END - USER_VA_START), "create");
		check(aspace_clone(&kid, &as), "clone");
	}
	t0 = bench_now_s();
	for (vaddr_t b = VA_BASE; b < VA_BASE + region; b += PAGE_SIZE_2M)
		check(cow ? aspace_handle_page_fault(&kid, b + 5 * PAGE_SIZE_4K, ACCESS_WRITE)
			  : aspace_unmap(&as, b + 5 * PAGE_SIZE_4K, PAGE_SIZE_4K),
		      cow ? "COW fault" : "unmap");
	t1 = bench_now_s();
	aspace_stats(cow ? &kid : &as, &st);
	expect(st.thp_split_pmd, k == KIND_THP ? blocks : 0, "splits");
	if (cow)
		aspace_destroy(&kid);
	aspace_destroy(&as);
	return (t1 - t0) / blocks;
}

static void bench_split(uint64_t region, int reps)
{
	double t[2][NR_KINDS][REPS];

	printf("### Split: one 4K change inside each 2M block of %lu MiB\n\n",
	       (unsigned long)(region / MIB));
	printf("Unmap: aspace_unmap of one 4K page; a 2M page is split into 512 4K pages of "
	       "the same frames first (a page-table page, no copy). COW write: a write fault in "
	       "a clone; a shared 2M page is split and only the 4K page written is copied.\n\n");
	printf("| operation | 4K pages: µs | THP 2M: µs | THP / 4K |\n");
	printf("|---|---:|---:|---:|\n");
	for (int c = 0; c < 2; c++)
		for (int k = 0; k < NR_KINDS; k++)
			split_once(region, k, c);
	for (int i = 0; i < reps; i++)
		for (int c = 0; c < 2; c++)
			for (int k = 0; k < NR_KINDS; k++)
				t[c][k][i] = split_once(region, k, c);
	for (int c = 0; c < 2; c++) {
		printf("| %s |", c ? "COW write" : "unmap 4K");
		print_cell(t[c][KIND_4K], reps, 1e6);
		print_cell(t[c][KIND_THP], reps, 1e6);
		printf(" %.2f |\n",
		       bench_median(t[c][KIND_THP], reps) / bench_median(t[c][KIND_4K], reps));
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	bool quick = bench_quick(argc, argv);
	int reps = quick ? 1 : REPS;
	uint64_t region = quick ? QUICK_REGION : REGION;

	env_init();
	printf("## Transparent huge pages (host)\n\n");
	printf("Simulated RAM 3 GiB, page allocator %s, median (min-max) of %d run%s after a "
	       "warm-up, 4K and THP alternating.\n\n",
	       axalloc_page_allocator_name(), reps, reps > 1 ? "s" : "");
	bench_faults(region, reps);
	bench_collapse(quick ? region : region / 4, reps);
	bench_split(quick ? region : region / 4, reps);
	return 0;
}

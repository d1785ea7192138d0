/*
 * bench_aspace.c - host benchmark of mm-addrspace: map_alloc(populate) and
 * unmap throughput, map_linear and unmap throughput (page-table work only),
 * the cost of lazy faults per fault and per MiB made usable, clone of a
 * populated space with copy-on-write (aspace_clone) against an eager copy
 * (aspace_copy), and the cost of COW write faults (copy, or restore write
 * at one reference), for 4K, 2M and 1G pages. Medians of REPS runs after
 * one warm-up run (which also touches the simulated RAM once, so the host's
 * own page faults are out of the figures). Prints markdown. --quick: a
 * smaller region for 4K/2M, one run each.
 */
#include <stdio.h>
#include <stdlib.h>

#include "aspace_test_env.h"
#include "bench_util.h"

#define REPS	     5
#define QUICK_REPS   1
#define REGION	     (1UL << 30)
#define QUICK_REGION (64UL << 20)
#define VA_BASE	     0x40000000UL
#define MIB	     (1UL << 20)

static const uint64_t pgsizes[ASPACE_NR_PGSIZES] = {PAGE_SIZE_4K, PAGE_SIZE_2M, PAGE_SIZE_1G};
static const char *const pgnames[ASPACE_NR_PGSIZES] = {"4K", "2M", "1G"};

static void check(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "bench_aspace: %s failed: %d\n", what, err);
		exit(1);
	}
}

struct result {
	double map_s;
	double unmap_s;
	uint64_t pt_pages;
};

/* One populate (or linear) map of the region and its unmap, timed. */
static struct result map_unmap(uint64_t region, uint64_t pgsize, bool linear)
{
	struct aspace as;
	struct aspace_stats st;
	struct result r;
	double t0, t1, t2;

	check(aspace_create(&as, USER_VA_START, USER_VA_END - USER_VA_START), "create");
	t0 = bench_now_s();
	if (linear)
		check(aspace_map_linear(&as, VA_BASE, ENV_RAM_BASE + PAGE_SIZE_1G, region,
					MAPF_READ | MAPF_WRITE, pgsize),
		      "map_linear");
	else
		check(aspace_map_alloc(&as, VA_BASE, region, MAPF_READ | MAPF_WRITE, true, pgsize),
		      "map_alloc");
	t1 = bench_now_s();
	aspace_stats(&as, &st);
	check(aspace_unmap(&as, VA_BASE, region), "unmap");
	t2 = bench_now_s();
	aspace_destroy(&as);
	r.map_s = t1 - t0;
	r.unmap_s = t2 - t1;
	r.pt_pages = st.pt_pages;
	return r;
}

/* Faults in every page of a lazy area over the region; returns the time. */
static double lazy_faults(uint64_t region, uint64_t pgsize, uint64_t *faults)
{
	struct aspace as;
	struct aspace_stats st;
	double t0, t1;

	check(aspace_create(&as, USER_VA_START, USER_VA_END - USER_VA_START), "create");
	check(aspace_map_alloc(&as, VA_BASE, region, MAPF_READ | MAPF_WRITE, false, pgsize),
	      "map_alloc");
	t0 = bench_now_s();
	for (vaddr_t va = VA_BASE; va < VA_BASE + region; va += pgsize)
		check(aspace_handle_page_fault(&as, va, ACCESS_WRITE), "fault");
	t1 = bench_now_s();
	aspace_stats(&as, &st);
	*faults = st.faults;
	aspace_destroy(&as);
	return t1 - t0;
}

/* A populated RW space of `region` bytes in pages of pgsize at VA_BASE. */
static void populated_space(struct aspace *as, uint64_t region, uint64_t pgsize)
{
	check(aspace_create(as, USER_VA_START, USER_VA_END - USER_VA_START), "create");
	check(aspace_map_alloc(as, VA_BASE, region, MAPF_READ | MAPF_WRITE, true, pgsize),
	      "map_alloc");
}

struct clone_result {
	double clone_s;
	double destroy_s;
	uint64_t new_pages; /* frames and tables the clone added */
};

/* Clones (copy: eager copy) the parent into a fresh space, timed, and destroys the clone. */
static struct clone_result clone_once(struct aspace *parent, bool copy)
{
	struct aspace kid;
	struct clone_result r;
	uint64_t before;
	double t0, t1, t2;

	check(aspace_create(&kid, USER_VA_START, USER_VA_END - USER_VA_START), "create");
	before = mem_snap().pages;
	t0 = bench_now_s();
	check(copy ? aspace_copy(&kid, parent) : aspace_clone(&kid, parent), "clone");
	t1 = bench_now_s();
	r.new_pages = mem_snap().pages - before;
	aspace_destroy(&kid);
	t2 = bench_now_s();
	r.clone_s = t1 - t0;
	r.destroy_s = t2 - t1;
	return r;
}

/* Clone vs eager copy of a populated space, one row per page size. */
static void bench_clone(bool quick, int reps)
{
	double cow_t[REPS], copy_t[REPS], cow_d[REPS], copy_d[REPS];

	printf("\n### Clone of a populated space: COW sharing vs eager copy\n\n");
	printf("aspace_clone shares every page (count + 1, PTEs read-only in both spaces); "
	       "aspace_copy allocates and copies every page. \"new pages\" = frames and "
	       "page tables the clone added.\n\n");
	printf("| page size | region MiB | pages | COW clone ms | eager copy ms | eager / COW | "
	       "COW new pages | eager new pages | COW destroy ms | eager destroy ms |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int k = 0; k < ASPACE_NR_PGSIZES; k++) {
		uint64_t region = quick && pgsizes[k] < PAGE_SIZE_1G ? QUICK_REGION : REGION;
		struct clone_result cow = {0}, copy = {0};
		struct aspace parent;

		populated_space(&parent, region, pgsizes[k]);
		clone_once(&parent, false);
		clone_once(&parent, true);
		for (int i = 0; i < reps; i++) {
			cow = clone_once(&parent, false);
			copy = clone_once(&parent, true);
			cow_t[i] = cow.clone_s;
			cow_d[i] = cow.destroy_s;
			copy_t[i] = copy.clone_s;
			copy_d[i] = copy.destroy_s;
		}
		aspace_destroy(&parent);
		double c = bench_median(cow_t, reps), e = bench_median(copy_t, reps);
		printf("| %s | %lu | %lu | %.3f | %.2f | %.0fx | %lu | %lu | %.3f | %.2f |\n",
		       pgnames[k], (unsigned long)(region / MIB),
		       (unsigned long)(region / pgsizes[k]), c * 1e3, e * 1e3, e / c,
		       (unsigned long)cow.new_pages, (unsigned long)copy.new_pages,
		       bench_median(cow_d, reps) * 1e3, bench_median(copy_d, reps) * 1e3);
	}
}

/*
 * COW write faults over every page of a populated region: first in a clone
 * (the frames are shared: each fault copies), then, with the clone
 * destroyed, in the parent (one reference left: each fault restores write).
 * Returns the two times.
 */
static void cow_faults(uint64_t region, uint64_t pgsize, double *copy_s, double *restore_s)
{
	struct aspace parent, kid;
	struct aspace_stats st;
	double t0, t1;

	populated_space(&parent, region, pgsize);
	check(aspace_create(&kid, USER_VA_START, USER_VA_END - USER_VA_START), "create");
	check(aspace_clone(&kid, &parent), "clone");
	t0 = bench_now_s();
	for (vaddr_t va = VA_BASE; va < VA_BASE + region; va += pgsize)
		check(aspace_handle_page_fault(&kid, va, ACCESS_WRITE), "fault");
	t1 = bench_now_s();
	aspace_stats(&kid, &st);
	if (st.cow_copies != region / pgsize) {
		fprintf(stderr, "bench_aspace: %lu COW copies, expected %lu\n",
			(unsigned long)st.cow_copies, (unsigned long)(region / pgsize));
		exit(1);
	}
	*copy_s = t1 - t0;
	aspace_destroy(&kid);
	t0 = bench_now_s();
	for (vaddr_t va = VA_BASE; va < VA_BASE + region; va += pgsize)
		check(aspace_handle_page_fault(&parent, va, ACCESS_WRITE), "fault");
	t1 = bench_now_s();
	aspace_stats(&parent, &st);
	if (st.cow_faults != region / pgsize || st.cow_copies != 0) {
		fprintf(stderr, "bench_aspace: %lu COW faults and %lu copies, expected %lu and 0\n",
			(unsigned long)st.cow_faults, (unsigned long)st.cow_copies,
			(unsigned long)(region / pgsize));
		exit(1);
	}
	*restore_s = t1 - t0;
	aspace_destroy(&parent);
}

/* The cost of COW write faults per page size. */
static void bench_cow_faults(bool quick, int reps)
{
	double copy_t[REPS], restore_t[REPS];

	printf("\n### COW write faults: a write to every page of a cloned, populated region\n\n");
	printf("Copy: the frame is shared (count 2), so the fault allocates a frame of the page "
	       "size, copies and remaps. Restore: the other space is gone (count 1), so the "
	       "fault only gives write back.\n\n");
	printf(
	    "| page size | faults | copy: per fault µs | copy: per MiB µs | restore: per fault µs "
	    "|\n");
	printf("|---|---:|---:|---:|---:|\n");
	for (int k = 0; k < ASPACE_NR_PGSIZES; k++) {
		uint64_t region = quick && pgsizes[k] < PAGE_SIZE_1G ? QUICK_REGION : REGION;
		uint64_t faults = region / pgsizes[k];

		cow_faults(region, pgsizes[k], &copy_t[0], &restore_t[0]);
		for (int i = 0; i < reps; i++)
			cow_faults(region, pgsizes[k], &copy_t[i], &restore_t[i]);
		double c = bench_median(copy_t, reps), r = bench_median(restore_t, reps);
		printf("| %s | %lu | %.2f | %.1f | %.3f |\n", pgnames[k], (unsigned long)faults,
		       c / faults * 1e6, c * 1e6 / (region / MIB), r / faults * 1e6);
	}
}

int main(int argc, char **argv)
{
	bool quick = bench_quick(argc, argv);
	int reps = quick ? QUICK_REPS : REPS;
	double map_t[REPS], unmap_t[REPS];
	double fault_ns[ASPACE_NR_PGSIZES] = {0};

	env_init();
	printf("## mm-addrspace (host)\n\n");
	printf("Simulated RAM 3 GiB, page allocator %s, median of %d run%s after a warm-up; "
	       "region %lu MiB (1G pages: %lu MiB).\n\n",
	       axalloc_page_allocator_name(), reps, reps > 1 ? "s" : "",
	       (quick ? QUICK_REGION : REGION) / MIB, REGION / MIB);

	printf("### map_alloc(populate) then unmap: frames allocated, zeroed, mapped, freed\n\n");
	printf("| page size | pages | map ms | map pages/s | map GiB/s | unmap ms | unmap pages/s "
	       "| page-table pages |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int k = 0; k < ASPACE_NR_PGSIZES; k++) {
		uint64_t region = quick && pgsizes[k] < PAGE_SIZE_1G ? QUICK_REGION : REGION;
		uint64_t pages = region / pgsizes[k];
		struct result r = map_unmap(region, pgsizes[k], false);

		for (int i = 0; i < reps; i++) {
			r = map_unmap(region, pgsizes[k], false);
			map_t[i] = r.map_s;
			unmap_t[i] = r.unmap_s;
		}
		double m = bench_median(map_t, reps), u = bench_median(unmap_t, reps);
		printf("| %s | %lu | %.2f | %.0f | %.2f | %.3f | %.0f | %lu |\n", pgnames[k],
		       (unsigned long)pages, m * 1e3, pages / m, region / (double)PAGE_SIZE_1G / m,
		       u * 1e3, pages / u, (unsigned long)r.pt_pages);
	}

	printf("\n### map_linear then unmap: page-table work only (no frames, no zeroing)\n\n");
	printf("| page size | pages | map ms | map pages/s | unmap ms | unmap pages/s |\n");
	printf("|---|---:|---:|---:|---:|---:|\n");
	for (int k = 0; k < ASPACE_NR_PGSIZES; k++) {
		uint64_t region = REGION, pages = region / pgsizes[k];

		map_unmap(region, pgsizes[k], true);
		for (int i = 0; i < reps; i++) {
			struct result r = map_unmap(region, pgsizes[k], true);
			map_t[i] = r.map_s;
			unmap_t[i] = r.unmap_s;
		}
		double m = bench_median(map_t, reps), u = bench_median(unmap_t, reps);
		printf("| %s | %lu | %.3f | %.0f | %.3f | %.0f |\n", pgnames[k],
		       (unsigned long)pages, m * 1e3, pages / m, u * 1e3, pages / u);
	}

	printf("\n### Lazy faults: first touch of every page of a lazy Alloc area\n\n");
	printf("| page size | faults | total ms | per fault µs | per MiB made usable µs |\n");
	printf("|---|---:|---:|---:|---:|\n");
	for (int k = 0; k < ASPACE_NR_PGSIZES; k++) {
		uint64_t region = quick && pgsizes[k] < PAGE_SIZE_1G ? QUICK_REGION : REGION;
		uint64_t faults = 0;

		lazy_faults(region, pgsizes[k], &faults);
		for (int i = 0; i < reps; i++)
			map_t[i] = lazy_faults(region, pgsizes[k], &faults);
		if (faults != region / pgsizes[k]) {
			fprintf(stderr, "bench_aspace: %lu faults, expected %lu\n",
				(unsigned long)faults, (unsigned long)(region / pgsizes[k]));
			return 1;
		}
		double t = bench_median(map_t, reps);
		fault_ns[k] = t / faults * 1e9;
		printf("| %s | %lu | %.2f | %.2f | %.1f |\n", pgnames[k], (unsigned long)faults,
		       t * 1e3, fault_ns[k] / 1e3, t * 1e6 / (region / MIB));
	}
	printf("\nPer byte made usable, 2M faults cost %.2fx and 1G faults %.2fx what 4K faults "
	       "cost.\n",
	       fault_ns[1] / PAGE_SIZE_2M / (fault_ns[0] / PAGE_SIZE_4K),
	       fault_ns[2] / PAGE_SIZE_1G / (fault_ns[0] / PAGE_SIZE_4K));
	bench_clone(quick, reps);
	bench_cow_faults(quick, reps);
	return 0;
}

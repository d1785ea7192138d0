/*
 * bench_page_table.c - page-table throughput on the host: mapping and
 * unmapping 1 GiB with 4K and 2M pages (64 GiB with 1G pages, so a round
 * is more than one call), as one region call and as one call per page, and
 * the cost of a query. Table pages come from axalloc (as in the kernel)
 * over simulated RAM, through struct pt_frame_ops; leaf frames are made-up
 * addresses (never touched).
 *
 * Prints GitHub-markdown tables; every figure is the median of several
 * runs. `--quick` runs fewer and shorter rounds (a smoke test).
 */
#include <stdio.h>
#include <stdlib.h>

#include <axalloc/axalloc.h>

#include "bench_util.h"
#include "pt_test_env.h"
#include "test_rand.h"

#define REGION	   PAGE_SIZE_1G	   /* bytes mapped per round */
#define MIN_LEAVES 64		   /* ...but at least this many pages (64 GiB of 1G pages) */
#define VA_BASE	   0x1000000000ULL /* 64 GiB, 1G-aligned */
#define NR_QUERIES 4096
#define MAX_RUNS   9
#define US_PER_S   1e6

struct config {
	int runs;	    /* samples per figure (median taken) */
	uint64_t min_pages; /* pages mapped and unmapped per sample, at least */
	int query_rounds;   /* NR_QUERIES lookups each */
};

static void check(int err, const char *what)
{
	if (err) {
		printf("bench_page_table: %s failed: %d\n", what, err);
		exit(1);
	}
}

/* Table pages from axalloc, as kernel_space.c and mm-addrspace give them. */
static const struct pt_frame_ops axalloc_frames = {axalloc_frame_alloc, axalloc_frame_free, NULL};

/* axalloc's used pages. */
static uint64_t used_pages(void)
{
	struct axalloc_stats st;
	axalloc_stats(&st);
	return st.pages.used_pages;
}

/* Backs the simulated RAM and starts axalloc over it: its used pages, or UINT64_MAX. */
static uint64_t axalloc_reset(void)
{
	pt_env_back_ram();
	struct mem_range ram = {PT_ENV_RAM_BASE, PT_ENV_RAM_SIZE};
	if (axalloc_init(&ram, 1, NULL, 0) != 0)
		return UINT64_MAX;
	return used_pages();
}

/* A frame base that makes pt_map_region pick exactly pgsize pages. */
static paddr_t frame_for(uint64_t pgsize)
{
	/* 1G-aligned for 1G; 2M- but not 1G-aligned for 2M; any for 4K (huge off). */
	return PT_ENV_FRAME_BASE + (pgsize == PAGE_SIZE_1G ? 0 : PAGE_SIZE_2M);
}

/* Figures for one page size (medians). */
struct result {
	uint64_t pgsize, pages, tables;
	double map_region, unmap_region; /* pages per second */
	double map_loop, unmap_loop;	 /* pages per second, one call per page */
	double query_ns;
};

static void bench_size(struct page_table *pt, uint64_t pgsize, const struct config *cfg,
		       struct result *res)
{
	const uint64_t pages = REGION / pgsize > MIN_LEAVES ? REGION / pgsize : MIN_LEAVES;
	const uint64_t region = pages * pgsize;
	const paddr_t pa = frame_for(pgsize);
	const bool huge = pgsize != PAGE_SIZE_4K;
	const unsigned flags = MAPF_READ | MAPF_WRITE;
	/* Enough rounds that every sample handles at least cfg->min_pages pages. */
	const uint64_t rounds = pages >= cfg->min_pages ? 1 : cfg->min_pages / pages;
	double mr[MAX_RUNS], ur[MAX_RUNS], ml[MAX_RUNS], ul[MAX_RUNS], q[MAX_RUNS];
	static vaddr_t qva[NR_QUERIES];
	uint64_t rng = 88172645463325252ULL;

	for (int i = 0; i < NR_QUERIES; i++)
		qva[i] = VA_BASE + test_rand_below(&rng, region);
	/* Warm-up: the host memory behind the table pages gets touched once. */
	check(pt_map_region(pt, VA_BASE, pa, region, flags, huge), "pt_map_region");
	check(pt_unmap_region(pt, VA_BASE, region), "pt_unmap_region");
	for (int run = 0; run < cfg->runs; run++) {
		double t_map = 0, t_unmap = 0, t_mloop = 0, t_uloop = 0;
		for (uint64_t round = 0; round < rounds; round++) {
			double t0 = bench_now_s();
			check(pt_map_region(pt, VA_BASE, pa, region, flags, huge), "pt_map_region");
			double t1 = bench_now_s();
			check(pt_unmap_region(pt, VA_BASE, region), "pt_unmap_region");
			double t2 = bench_now_s();
			for (uint64_t p = 0; p < pages; p++)
				check(pt_map(pt, VA_BASE + p * pgsize, pa + p * pgsize, pgsize,
					     flags),
				      "pt_map");
			double t3 = bench_now_s();
			for (uint64_t p = 0; p < pages; p++)
				check(pt_unmap(pt, VA_BASE + p * pgsize, NULL, NULL), "pt_unmap");
			double t4 = bench_now_s();
			t_map += t1 - t0, t_unmap += t2 - t1, t_mloop += t3 - t2,
			    t_uloop += t4 - t3;
		}
		double n = (double)pages * rounds;
		mr[run] = n / t_map, ur[run] = n / t_unmap;
		ml[run] = n / t_mloop, ul[run] = n / t_uloop;

		check(pt_map_region(pt, VA_BASE, pa, region, flags, huge), "pt_map_region");
		res->tables = pt->nr_table_pages;
		volatile uint64_t sink = 0;
		double t0 = bench_now_s();
		for (int rep = 0; rep < cfg->query_rounds; rep++)
			for (int i = 0; i < NR_QUERIES; i++) {
				paddr_t qpa = 0;
				pt_query(pt, qva[i], &qpa, NULL, NULL);
				sink += qpa;
			}
		double t1 = bench_now_s();
		(void)sink;
		q[run] = (t1 - t0) * 1e9 / ((double)NR_QUERIES * cfg->query_rounds);
		check(pt_unmap_region(pt, VA_BASE, region), "pt_unmap_region");
	}
	res->pgsize = pgsize;
	res->pages = pages;
	res->map_region = bench_median(mr, cfg->runs);
	res->unmap_region = bench_median(ur, cfg->runs);
	res->map_loop = bench_median(ml, cfg->runs);
	res->unmap_loop = bench_median(ul, cfg->runs);
	res->query_ns = bench_median(q, cfg->runs);
}

static const char *size_name(uint64_t pgsize)
{
	return pgsize == PAGE_SIZE_4K ? "4K" : pgsize == PAGE_SIZE_2M ? "2M" : "1G";
}

int main(int argc, char **argv)
{
	bool quick = bench_quick(argc, argv);
	struct config cfg =
	    quick ? (struct config){3, 1 << 14, 4} : (struct config){5, 1 << 20, 64};
	static const uint64_t sizes[] = {PAGE_SIZE_4K, PAGE_SIZE_2M, PAGE_SIZE_1G};
	struct result res[3];
	struct page_table pt;

	uint64_t baseline = axalloc_reset();
	check(baseline == UINT64_MAX, "axalloc_init");
	check(pt_init(&pt, &axalloc_frames), "pt_init");
	for (int i = 0; i < 3; i++)
		bench_size(&pt, sizes[i], &cfg, &res[i]);
	pt_destroy(&pt);
	check(used_pages() != baseline, "leak check");

	printf("## Page table (host, Sv39)\n\n");
	printf("Mapping and unmapping 1 GiB with 4K and 2M pages, 64 GiB with 1G pages (table "
	       "pages from axalloc, %s allocator), median of %d runs, each run handling at least "
	       "%llu pages (the region again and again); `pt_map`/`pt_unmap` = one call per page; "
	       "query = `pt_query` at random addresses in the mapped region; *map_region per GiB* "
	       "= `pt_map_region` time per GiB of address space mapped (page-table work only: "
	       "the frames are made-up addresses, never touched).\n\n",
	       axalloc_page_allocator_name(), cfg.runs, (unsigned long long)cfg.min_pages);
	printf(
	    "| page size | pages | table pages | map_region (Mpages/s) | unmap_region (Mpages/s) "
	    "| pt_map (Mpages/s) | pt_unmap (Mpages/s) | map_region per GiB (µs) | query (ns) |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int i = 0; i < 3; i++) {
		const struct result *r = &res[i];
		printf("| %s | %llu | %llu | %.1f | %.1f | %.1f | %.1f | %.4g | %.1f |\n",
		       size_name(r->pgsize), (unsigned long long)r->pages,
		       (unsigned long long)r->tables, r->map_region / 1e6, r->unmap_region / 1e6,
		       r->map_loop / 1e6, r->unmap_loop / 1e6,
		       US_PER_S * (double)(1ULL << 30) / (r->map_region * (double)r->pgsize),
		       r->query_ns);
	}
	printf("\n");
	return 0;
}

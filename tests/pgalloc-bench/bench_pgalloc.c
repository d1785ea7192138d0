/*
 * bench_pgalloc.c - bitmap vs buddy page allocator, side by side, on the host.
 *
 * Prints GitHub markdown to stdout: timings (median of RUNS runs) over a
 * 4 GiB and a 64 GiB pool of made-up physical addresses, metadata size,
 * the three fragmentation patterns of a published bitmap-vs-buddy test (see
 * REPORT_TITLE) and a long seeded random workload, and a table of the
 * project's goals with the measured figures.
 * `--quick` uses small pools and one run (a smoke test for CI);
 * `--seed=N` changes the seed of the random parts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "pgalloc_inst.h"
#include "test_rand.h"

#define POOL_BASE    ((paddr_t)0x80000000) /* 1G-aligned made-up physical base */
#define GiB	     ((uint64_t)1 << 30)
#define KiB	     1024.0
#define PG(i)	     ((paddr_t)(i) << PAGE_SHIFT)
#define PAGES_PER_2M (PAGE_SIZE_2M >> PAGE_SHIFT)
#define PAGES_PER_1G (PAGE_SIZE_1G >> PAGE_SHIFT)
#define NR_POOLS     2
#define MAX_RUNS     5
#define DEFAULT_SEED 0x5eed000ULL
#define NR_ALLOC     PGALLOC_NR_ALLOCATORS
/*
 * Single-page loops run in this many batches and report the fastest: on a
 * shared machine that filters out batches in which the process was
 * preempted (the tables still show the median of the runs).
 */
#define PAIR_BATCHES 10

/* Sizes of the timed loops (full run / --quick). */
struct sizes {
	unsigned runs;
	uint64_t pool_bytes[NR_POOLS];
	uint64_t hot_pairs;	 /* single-page alloc+free pairs */
	uint64_t victims;	 /* allocated pages the interleaved loop frees from */
	unsigned aligned_batch;	 /* 2M allocations per timed batch */
	unsigned aligned_reps;	 /* timed batches */
	uint64_t free_pages;	 /* the random-order free target (25,000 pages) */
	uint64_t workload_pages; /* pool of the long random workload */
	uint64_t workload_ops;	 /* steady-state operations of that workload */
};

static const struct sizes full_sizes = {
    .runs = MAX_RUNS,
    .pool_bytes = {4 * GiB, 64 * GiB},
    .hot_pairs = 2000000,
    .victims = 4096,
    .aligned_batch = 256,
    .aligned_reps = 8,
    .free_pages = 25000,
    .workload_pages = 262144,
    .workload_ops = 400000,
};

static const struct sizes quick_sizes = {
    .runs = 1,
    .pool_bytes = {1 * GiB, 2 * GiB},
    .hot_pairs = 100000,
    .victims = 1024,
    .aligned_batch = 64,
    .aligned_reps = 2,
    .free_pages = 25000,
    .workload_pages = 16384,
    .workload_ops = 20000,
};

static const struct sizes *S;
static uint64_t g_seed = DEFAULT_SEED;
static volatile uint64_t sink; /* consumes results so no loop is optimised away */

static void die(const char *what, const struct pgalloc_ops *ops, int rc)
{
	fprintf(stderr, "bench_pgalloc: %s failed on %s: %d\n", what, ops->name, rc);
	exit(1);
}

static void pool_create(struct pgalloc_inst *in, const struct pgalloc_ops *ops, uint64_t bytes)
{
	pgalloc_inst_create(in, ops);
	int rc = pgalloc_inst_add(in, POOL_BASE, bytes);
	if (rc)
		die("add_memory", ops, rc);
}

static paddr_t must_alloc(struct pgalloc_inst *in, uint64_t n, uint64_t align)
{
	paddr_t pa;
	int rc = pgalloc_alloc(in->pg, n, align, PGALLOC_MOVABLE, &pa);
	if (rc)
		die("alloc", in->ops, rc);
	return pa;
}

static void must_free(struct pgalloc_inst *in, paddr_t pa, uint64_t n)
{
	int rc = pgalloc_free(in->pg, pa, n);
	if (rc)
		die("free", in->ops, rc);
}

static const char *pool_name(uint64_t bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 " GiB", bytes / GiB);
	return buf;
}

/* ---- timed measurements; each returns one figure of one run ---- */

/*
 * ns per alloc(1)+free pair on an otherwise empty pool: the fastest of
 * PAIR_BATCHES batches of S->hot_pairs / PAIR_BATCHES pairs.
 */
static double m_hot_pair(const struct pgalloc_ops *ops, uint64_t bytes, uint64_t seed)
{
	struct pgalloc_inst in;
	uint64_t per = S->hot_pairs / PAIR_BATCHES;
	double best = 0;
	(void)seed;
	pool_create(&in, ops, bytes);
	for (unsigned i = 0; i < 1000; i++)
		must_free(&in, must_alloc(&in, 1, PAGE_SIZE_4K), 1);
	for (unsigned b = 0; b < PAIR_BATCHES; b++) {
		double t0 = bench_now_ns();
		for (uint64_t i = 0; i < per; i++) {
			paddr_t pa;
			pgalloc_alloc(in.pg, 1, PAGE_SIZE_4K, PGALLOC_MOVABLE, &pa);
			pgalloc_free(in.pg, pa, 1);
			sink += pa;
		}
		double t = (bench_now_ns() - t0) / (double)per;
		if (b == 0 || t < best)
			best = t;
	}
	pgalloc_inst_destroy(&in);
	return best;
}

/*
 * ns per pair on a pool where a random half of the pages is allocated: each
 * iteration allocates one page and frees a randomly chosen allocated one
 * (from a set of S->victims pages that the new pages join), so occupancy stays
 * at 50 % and the free pages stay scattered. Includes one PRNG step.
 * Fastest of PAIR_BATCHES batches, as for m_hot_pair.
 */
static double m_random_pair(const struct pgalloc_ops *ops, uint64_t bytes, uint64_t seed)
{
	struct pgalloc_inst in;
	uint64_t rng = seed, pages = bytes >> PAGE_SHIFT;
	pool_create(&in, ops, bytes);
	if (pgalloc_alloc_at(in.pg, POOL_BASE, pages))
		die("alloc_at", ops, -1);
	paddr_t *victim = malloc(S->victims * sizeof(*victim));
	uint64_t nv = 0;
	for (uint64_t i = 0; i < pages; i++) {
		if (test_rand_next(&rng) & 1)
			must_free(&in, POOL_BASE + PG(i), 1);
		else if (nv < S->victims && test_rand_below(&rng, pages / S->victims / 2 + 1) == 0)
			victim[nv++] = POOL_BASE + PG(i);
	}
	uint64_t per = S->hot_pairs / PAIR_BATCHES;
	double best = 0;
	for (unsigned b = 0; b < PAIR_BATCHES; b++) {
		double t0 = bench_now_ns();
		for (uint64_t i = 0; i < per; i++) {
			paddr_t pa;
			pgalloc_alloc(in.pg, 1, PAGE_SIZE_4K, PGALLOC_MOVABLE, &pa);
			uint64_t j = test_rand_below(&rng, nv);
			pgalloc_free(in.pg, victim[j], 1);
			victim[j] = pa;
		}
		double t = (bench_now_ns() - t0) / (double)per;
		if (b == 0 || t < best)
			best = t;
	}
	sink += victim[0];
	free(victim);
	pgalloc_inst_destroy(&in);
	return best;
}

/*
 * The fragmented pool: one random 1G block stays entirely free; of the other
 * 2M blocks a random 1 in 16 stays entirely free and each of the rest gets
 * 1..8 single pages allocated at random offsets. So free memory is nearly
 * everything (>= 98 %), yet only ~6 % of the 2M blocks (plus the one 1G
 * block) can serve a 2M-aligned 512-page request. Returns the number of
 * entirely free 2M blocks.
 */
static uint64_t make_fragmented(struct pgalloc_inst *in, uint64_t bytes, uint64_t *rng)
{
	uint64_t nr2m = bytes / PAGE_SIZE_2M, free2m = 0;
	uint64_t keep_1g = test_rand_below(rng, bytes / PAGE_SIZE_1G);
	for (uint64_t b = 0; b < nr2m; b++) {
		if (b / (PAGE_SIZE_1G / PAGE_SIZE_2M) == keep_1g || test_rand_below(rng, 16) == 0) {
			free2m++;
			continue;
		}
		unsigned k = 1 + (unsigned)test_rand_below(rng, 8);
		for (unsigned i = 0; i < k; i++) {
			uint64_t page = test_rand_below(rng, PAGES_PER_2M);
			paddr_t pa = POOL_BASE + b * PAGE_SIZE_2M + PG(page);
			int rc = pgalloc_alloc_at(in->pg, pa, 1);
			if (rc && rc != -EEXIST)
				die("alloc_at", in->ops, rc);
		}
	}
	return free2m;
}

/*
 * ns per alloc(n, align): batches of up to `batch` allocations are timed,
 * then freed untimed, S->aligned_reps times (8x for 1G); the fastest batch
 * counts (as for m_hot_pair). The pool is empty or fragmented.
 */
static double m_aligned(const struct pgalloc_ops *ops, uint64_t bytes, uint64_t n, uint64_t align,
			bool fragmented, uint64_t seed)
{
	struct pgalloc_inst in;
	uint64_t rng = seed;
	pool_create(&in, ops, bytes);
	uint64_t avail = bytes / (n << PAGE_SHIFT);
	if (fragmented) {
		uint64_t free2m = make_fragmented(&in, bytes, &rng);
		avail = n >= PAGES_PER_1G ? 1 : free2m;
	}
	uint64_t batch = avail < S->aligned_batch ? avail : S->aligned_batch;
	paddr_t *pa = malloc(batch * sizeof(*pa));
	double best = 0;
	for (unsigned r = 0; r < S->aligned_reps * (n >= PAGES_PER_1G ? 8 : 1); r++) {
		double t0 = bench_now_ns();
		for (uint64_t i = 0; i < batch; i++)
			pa[i] = must_alloc(&in, n, align);
		double t = (bench_now_ns() - t0) / (double)batch;
		if (r == 0 || t < best)
			best = t;
		for (uint64_t i = 0; i < batch; i++)
			must_free(&in, pa[i], n);
	}
	sink += pa[0];
	free(pa);
	pgalloc_inst_destroy(&in);
	return best;
}

/* Fill the pool with single pages, then free them in random order: ns per alloc / per free. */
static void m_fill_free(const struct pgalloc_ops *ops, uint64_t bytes, uint64_t seed,
			double *alloc_ns, double *free_ns)
{
	struct pgalloc_inst in;
	uint64_t rng = seed, pages = bytes >> PAGE_SHIFT;
	pool_create(&in, ops, bytes);
	paddr_t *pa = malloc(pages * sizeof(*pa));
	double t0 = bench_now_ns();
	for (uint64_t i = 0; i < pages; i++)
		pgalloc_alloc(in.pg, 1, PAGE_SIZE_4K, PGALLOC_MOVABLE, &pa[i]);
	*alloc_ns = (bench_now_ns() - t0) / (double)pages;
	test_rand_shuffle(&rng, pa, pages);
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < pages; i++)
		pgalloc_free(in.pg, pa[i], 1);
	*free_ns = (bench_now_ns() - t0) / (double)pages;
	struct pgalloc_stats st;
	pgalloc_inst_stats(&in, &st);
	if (st.used_pages != 0)
		die("fill/free", ops, -1);
	free(pa);
	pgalloc_inst_destroy(&in);
}

/* ms to free S->free_pages single pages (allocated one by one) in random order. */
static double m_free_25k(const struct pgalloc_ops *ops, uint64_t bytes, uint64_t seed)
{
	struct pgalloc_inst in;
	uint64_t rng = seed;
	pool_create(&in, ops, bytes);
	paddr_t *pa = malloc(S->free_pages * sizeof(*pa));
	for (uint64_t i = 0; i < S->free_pages; i++)
		pa[i] = must_alloc(&in, 1, PAGE_SIZE_4K);
	test_rand_shuffle(&rng, pa, S->free_pages);
	double t0 = bench_now_ns();
	for (uint64_t i = 0; i < S->free_pages; i++)
		pgalloc_free(in.pg, pa[i], 1);
	double t = (bench_now_ns() - t0) / 1e6;
	free(pa);
	pgalloc_inst_destroy(&in);
	return t;
}

/* ms for add_memory of the whole pool (metadata buffer already touched). */
static double m_init(const struct pgalloc_ops *ops, uint64_t bytes, uint64_t seed)
{
	struct pgalloc_inst in;
	(void)seed;
	pgalloc_inst_create(&in, ops);
	size_t mb = pgalloc_meta_bytes(ops, POOL_BASE, bytes);
	void *meta = malloc(mb);
	memset(meta, PGALLOC_META_JUNK, mb);
	double t0 = bench_now_ns();
	int rc = pgalloc_add_memory(in.pg, POOL_BASE, bytes, meta);
	double t = (bench_now_ns() - t0) / 1e6;
	if (rc)
		die("add_memory", ops, rc);
	free(meta);
	pgalloc_inst_destroy(&in);
	return t;
}

typedef double (*measure_fn)(const struct pgalloc_ops *ops, uint64_t bytes, uint64_t seed);

/* Median over S->runs runs (seed + run number each). */
static double med(measure_fn f, const struct pgalloc_ops *ops, uint64_t bytes)
{
	double v[MAX_RUNS];
	for (unsigned r = 0; r < S->runs; r++)
		v[r] = f(ops, bytes, g_seed + r);
	return bench_median(v, (int)S->runs);
}

/* ---- measured figures kept for the targets table ---- */

struct results {
	double hot[NR_POOLS][NR_ALLOC];
	double frag2m[NR_POOLS][NR_ALLOC];
	double free25k[NR_POOLS][NR_ALLOC];
	double meta_kib_per_gib[NR_POOLS][NR_ALLOC];
	double frag_failed[3][NR_ALLOC];
};

static struct results R;

static void print_header(void)
{
	struct utsname u;
	char cpu[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');
			if (strncmp(line, "model name", 10) == 0 && colon) {
				snprintf(cpu, sizeof(cpu), "%s", colon + 2);
				cpu[strcspn(cpu, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	double load[1] = {-1};
	uname(&u);
	getloadavg(load, 1);
	printf("## Page allocators: bitmap vs buddy (host)\n\n");
	printf("Machine: %s %s %s, CPU %s, %ld online CPUs, load average %.2f at start. ",
	       u.sysname, u.release, u.machine, cpu, sysconf(_SC_NPROCESSORS_ONLN), load[0]);
	printf("Built -O2 -DNDEBUG. %s; seed %#" PRIx64 " (run r uses seed + r). ",
	       S->runs > 1 ? "Times are medians of 5 runs" : "QUICK smoke run: 1 run, small pools",
	       g_seed);
	printf("Pools start at physical %#" PRIx64 " (made up; metadata in malloc'ed buffers). ",
	       POOL_BASE);
	printf("Reproduce: `make bench` or `build/host/bench/tests/pgalloc-bench/bench_pgalloc "
	       "[--quick] [--seed=N]`.\n\n");
}

static void section_single_page(void)
{
	char pn[32];
	printf("## Single-page alloc+free (ns per pair)\n\n");
	printf("Hot loop: alloc(1 page) then free it, %" PRIu64 " times, on an empty pool. "
	       "Random 50%%: a random half of the pages allocated; each iteration allocates a page "
	       "and frees a randomly chosen allocated one (from %" PRIu64 " live pages), so the "
	       "pool stays 50%% full with scattered holes (includes one PRNG step). Each run "
	       "reports its fastest of %d equal batches (filters out preemption on a shared "
	       "machine); the table shows the median of the runs.\n\n",
	       S->hot_pairs, S->victims, PAIR_BATCHES);
	printf("| pool | pattern | bitmap | buddy |\n|---|---|---:|---:|\n");
	for (unsigned p = 0; p < NR_POOLS; p++) {
		uint64_t b = S->pool_bytes[p];
		double rnd[NR_ALLOC];
		for (unsigned k = 0; k < NR_ALLOC; k++) {
			R.hot[p][k] = med(m_hot_pair, pgalloc_all_ops[k], b);
			rnd[k] = med(m_random_pair, pgalloc_all_ops[k], b);
		}
		pool_name(b, pn, sizeof(pn));
		printf("| %s | hot loop | %.1f | %.1f |\n", pn, R.hot[p][0], R.hot[p][1]);
		printf("| %s | random 50%% full | %.1f | %.1f |\n", pn, rnd[0], rnd[1]);
	}
	printf("\n");
}

struct aligned_case {
	const char *name;
	uint64_t n, align;
	bool fragmented;
};

/* The case m_aligned_case measures (med() takes a plain measure_fn). */
static const struct aligned_case *g_case;

static double m_aligned_case(const struct pgalloc_ops *ops, uint64_t bytes, uint64_t seed)
{
	return m_aligned(ops, bytes, g_case->n, g_case->align, g_case->fragmented, seed);
}

static void section_aligned(void)
{
	static const struct aligned_case cases[] = {
	    {"2M-aligned 512 pages, empty pool", PAGES_PER_2M, PAGE_SIZE_2M, false},
	    {"2M-aligned 512 pages, fragmented pool", PAGES_PER_2M, PAGE_SIZE_2M, true},
	    {"1G-aligned 262144 pages, empty pool", PAGES_PER_1G, PAGE_SIZE_1G, false},
	    {"1G-aligned 262144 pages, fragmented pool", PAGES_PER_1G, PAGE_SIZE_1G, true},
	};
	char pn[32];
	printf("## Huge-page-sized aligned allocations (ns per alloc)\n\n");
	printf("Batches of allocations are timed, then freed untimed; each run reports its "
	       "fastest batch. Fragmented pool: one random "
	       "1G block left entirely free; of the other 2M blocks a random 1 in 16 left entirely "
	       "free and each of the rest holding 1-8 single pages allocated at random offsets "
	       "(so >= 98%% of memory is free, but only ~6%% of the 2M blocks, and one 1G block, "
	       "can serve the request).\n\n");
	printf("| pool | request | bitmap | buddy |\n|---|---|---:|---:|\n");
	for (unsigned p = 0; p < NR_POOLS; p++) {
		uint64_t b = S->pool_bytes[p];
		pool_name(b, pn, sizeof(pn));
		for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			double v[NR_ALLOC];
			g_case = &cases[c];
			for (unsigned k = 0; k < NR_ALLOC; k++)
				v[k] = med(m_aligned_case, pgalloc_all_ops[k], b);
			if (c == 1)
				for (unsigned k = 0; k < NR_ALLOC; k++)
					R.frag2m[p][k] = v[k];
			printf("| %s | %s | %.1f | %.1f |\n", pn, cases[c].name, v[0], v[1]);
		}
	}
	printf("\n");
}

static void section_fill_free(void)
{
	char pn[32];
	printf("## Fill with single pages, free in random order\n\n");
	printf("Fill: alloc(1 page) until the pool is full; then the pages are shuffled and freed "
	       "one by one (ns per op). 25,000 pages: %" PRIu64 " single pages allocated from an "
	       "empty pool, then freed in random order (total ms).\n\n",
	       S->free_pages);
	printf("| pool | op | bitmap | buddy |\n|---|---|---:|---:|\n");
	for (unsigned p = 0; p < NR_POOLS; p++) {
		uint64_t b = S->pool_bytes[p];
		double a[NR_ALLOC][MAX_RUNS], f[NR_ALLOC][MAX_RUNS], am[NR_ALLOC], fm[NR_ALLOC];
		for (unsigned k = 0; k < NR_ALLOC; k++) {
			for (unsigned r = 0; r < S->runs; r++)
				m_fill_free(pgalloc_all_ops[k], b, g_seed + r, &a[k][r], &f[k][r]);
			am[k] = bench_median(a[k], (int)S->runs);
			fm[k] = bench_median(f[k], (int)S->runs);
			R.free25k[p][k] = med(m_free_25k, pgalloc_all_ops[k], b);
		}
		pool_name(b, pn, sizeof(pn));
		printf("| %s | fill: alloc, ns/op | %.1f | %.1f |\n", pn, am[0], am[1]);
		printf("| %s | random-order free, ns/op | %.1f | %.1f |\n", pn, fm[0], fm[1]);
		printf("| %s | random-order free of %" PRIu64 " pages, ms total | %.3f | %.3f |\n",
		       pn, S->free_pages, R.free25k[p][0], R.free25k[p][1]);
	}
	printf("\n");
}

static void section_init(void)
{
	char pn[32];
	printf("## Init and metadata\n\n");
	printf("add_memory of the whole pool (the metadata buffer is touched beforehand, so page "
	       "faults are not counted); metadata is what pgalloc_meta_bytes asks for.\n\n");
	printf("| pool | figure | bitmap | buddy |\n|---|---|---:|---:|\n");
	for (unsigned p = 0; p < NR_POOLS; p++) {
		uint64_t b = S->pool_bytes[p];
		double t[NR_ALLOC];
		for (unsigned k = 0; k < NR_ALLOC; k++) {
			t[k] = med(m_init, pgalloc_all_ops[k], b);
			size_t mb = pgalloc_all_ops[k]->meta_bytes(POOL_BASE, b);
			R.meta_kib_per_gib[p][k] = (double)mb / KiB / (double)(b / GiB);
		}
		pool_name(b, pn, sizeof(pn));
		printf("| %s | add_memory, ms | %.3f | %.3f |\n", pn, t[0], t[1]);
		printf("| %s | metadata, KiB per GiB | %.1f | %.1f |\n", pn,
		       R.meta_kib_per_gib[p][0], R.meta_kib_per_gib[p][1]);
	}
	printf("\n");
}

/* ---- fragmentation ---- */

/*
 * The fragmentation test of a report on huge pages in an ArceOS-style memory
 * manager (2025 spring/summer open-source OS training camp), which compares
 * ArceOS's bitmap and buddy page allocators: 2 MiB pool, sizes by a fixed
 * formula, free every 3rd and 5th, 12 x 24 pages.
 */
#define REPORT_TITLE                                                                               \
	"the 2025 spring/summer open-source OS training camp summary report on huge pages "        \
	"(2025春夏季开源操作系统训练营总结报告)"
#define FRAG_POOL_PAGES	  512
#define FRAG_PROBE_PAGES  24
#define FRAG_PROBES	  12
#define FRAG_INDEX_ORDERS 10

enum frag_pattern { RANDOM_SMALL, MIXED_SIZE, POWER_OF_2, NR_PATTERNS };

static const char *const pattern_name[NR_PATTERNS] = {"random small", "mixed size", "power-of-2"};
/* % of failed 24-page allocations given in the report. */
static const double report_bitmap[NR_PATTERNS] = {50.0, 41.7, 16.7};
static const double report_buddy[NR_PATTERNS] = {83.3, 33.3, 33.3};

/* Request i of a pattern (the report's formulas) and the number of requests. */
static unsigned pattern_requests(enum frag_pattern p)
{
	return p == RANDOM_SMALL ? 80 : p == MIXED_SIZE ? 150 : 120;
}

static uint64_t pattern_size(enum frag_pattern p, unsigned i)
{
	switch (p) {
	case RANDOM_SMALL:
		return 1 + (i * 7 + 13) % 8;
	case MIXED_SIZE:
		if (i % 7 <= 3)
			return 1 + i % 4;
		if (i % 7 <= 5)
			return 8 + i % 16;
		return 32 + i % 32;
	default:
		return 1ULL << (i % 7);
	}
}

struct pattern_result {
	unsigned ok_requests;	  /* requests of the pattern that succeeded */
	uint64_t used_after_free; /* pages in use when the 24-page probes start */
	unsigned probes_failed;
	int unusable[FRAG_INDEX_ORDERS]; /* before the probes */
};

static void run_pattern(const struct pgalloc_ops *ops, enum frag_pattern p,
			struct pattern_result *res)
{
	struct pgalloc_inst in;
	struct pgalloc_stats st;
	paddr_t addr[150];
	uint64_t size[150];
	unsigned nr = 0;
	memset(res, 0, sizeof(*res));
	pool_create(&in, ops, PG(FRAG_POOL_PAGES));
	for (unsigned i = 0; i < pattern_requests(p); i++) {
		uint64_t n = pattern_size(p, i);
		if (pgalloc_alloc(in.pg, n, PAGE_SIZE_4K, PGALLOC_MOVABLE, &addr[nr]) == 0)
			size[nr++] = n;
	}
	res->ok_requests = nr;
	for (unsigned j = 0; j < nr; j++)
		if (j % 3 == 0 || j % 5 == 0)
			must_free(&in, addr[j], size[j]);
	pgalloc_inst_stats(&in, &st);
	res->used_after_free = st.used_pages;
	for (unsigned o = 0; o < FRAG_INDEX_ORDERS; o++)
		res->unusable[o] = pgalloc_unusable_index(&st, o);
	for (unsigned i = 0; i < FRAG_PROBES; i++) {
		paddr_t pa;
		if (pgalloc_alloc(in.pg, FRAG_PROBE_PAGES, PAGE_SIZE_4K, PGALLOC_MOVABLE, &pa) != 0)
			res->probes_failed++;
	}
	pgalloc_inst_destroy(&in);
}

static double pct(unsigned part, unsigned whole)
{
	return whole ? 100.0 * part / whole : 0;
}

static void section_report_patterns(void)
{
	struct pattern_result res[NR_PATTERNS][NR_ALLOC];
	printf("## Fragmentation: three patterns from a published bitmap-vs-buddy test\n\n");
	printf("Reproduces step for step the fragmentation test (`test_fragmentation_comparison`) "
	       "of %s, which compared ArceOS's bitmap and buddy page allocators; its figures are "
	       "the *report* columns. A 2 MiB pool of 512 pages (at physical 0x80000000 here, at "
	       "0 there: the same 2M alignment); ",
	       REPORT_TITLE);
	printf("*random small* = 80 requests of 1 + (7i + 13) mod 8 pages (a fixed formula, "
	       "no PRNG); *mixed size* = 150 requests, i mod 7 in 0-3: 1 + i mod 4, "
	       "4-5: 8 + i mod 16, 6: 32 + i mod 32 pages; *power-of-2* = 120 requests of "
	       "2^(i mod 7) pages; all 4K-aligned, failures skipped. ");
	printf("Then the successful allocations with list index j mod 3 = 0 or j mod 5 = 0 are "
	       "freed, and twelve 24-page allocations are tried (successes stay allocated); "
	       "%% failed = failed / 12.\n\n");
	printf("| pattern | requests ok (bitmap / buddy) | pages in use before probes | bitmap "
	       "%% failed | buddy %% failed | report bitmap | report buddy |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	for (unsigned p = 0; p < NR_PATTERNS; p++) {
		for (unsigned k = 0; k < NR_ALLOC; k++) {
			run_pattern(pgalloc_all_ops[k], (enum frag_pattern)p, &res[p][k]);
			R.frag_failed[p][k] = pct(res[p][k].probes_failed, FRAG_PROBES);
		}
		printf("| %s | %u / %u | %" PRIu64 " / %" PRIu64 " | %.1f | %.1f | %.1f | %.1f |\n",
		       pattern_name[p], res[p][0].ok_requests, res[p][1].ok_requests,
		       res[p][0].used_after_free, res[p][1].used_after_free, R.frag_failed[p][0],
		       R.frag_failed[p][1], report_bitmap[p], report_buddy[p]);
	}
	printf("\nLinux unusable-free index (thousandths) per order after the frees, before the "
	       "24-page probes (order 5 = 32 pages is the first order a 24-page request can need "
	       "in a buddy):\n\n");
	printf("| pattern | allocator |");
	for (unsigned o = 0; o < FRAG_INDEX_ORDERS; o++)
		printf(" o%u |", o);
	printf("\n|---|---|");
	for (unsigned o = 0; o < FRAG_INDEX_ORDERS; o++)
		printf("---:|");
	printf("\n");
	for (unsigned p = 0; p < NR_PATTERNS; p++)
		for (unsigned k = 0; k < NR_ALLOC; k++) {
			printf("| %s | %s |", pattern_name[p], pgalloc_all_ops[k]->name);
			for (unsigned o = 0; o < FRAG_INDEX_ORDERS; o++)
				printf(" %d |", res[p][k].unusable[o]);
			printf("\n");
		}
	printf("\n");
}

/* Request size of the long workload: mostly single pages, some runs, a few 2M blocks. */
static void workload_request(uint64_t *rng, uint64_t *n, uint64_t *align)
{
	unsigned r = (unsigned)test_rand_below(rng, 100);
	*align = PAGE_SIZE_4K;
	if (r < 60) {
		*n = 1;
	} else if (r < 85) {
		*n = test_rand_range(rng, 2, 16);
	} else if (r < 97) {
		*n = test_rand_range(rng, 17, 256);
	} else {
		*n = PAGES_PER_2M;
		*align = test_rand_below(rng, 2) ? PAGE_SIZE_2M : PAGE_SIZE_4K;
	}
}

struct workload_result {
	uint64_t attempts, failed;
	int unusable[FRAG_INDEX_ORDERS];
};

/*
 * Seeded random workload: allocate until `occ_pct` of the pool is in use,
 * then S->workload_ops steps, each freeing a random live allocation when
 * usage is at or above the target and allocating otherwise. Counts failed
 * allocations in the steady state; the unusable index is taken at the end.
 */
static void run_workload(const struct pgalloc_ops *ops, unsigned occ_pct, uint64_t seed,
			 struct workload_result *res)
{
	struct pgalloc_inst in;
	struct pgalloc_stats st;
	uint64_t rng = seed, pages = S->workload_pages, used = 0, nlive = 0;
	uint64_t target = pages * occ_pct / 100;
	struct {
		paddr_t pa;
		uint64_t n;
	} *live = malloc(pages * sizeof(*live));
	memset(res, 0, sizeof(*res));
	pool_create(&in, ops, PG(pages));
	for (uint64_t fill_fail = 0; used < target && fill_fail < 64;) {
		uint64_t n, align;
		workload_request(&rng, &n, &align);
		if (pgalloc_alloc(in.pg, n, align, PGALLOC_MOVABLE, &live[nlive].pa) == 0) {
			live[nlive++].n = n;
			used += n;
		} else {
			fill_fail++;
		}
	}
	for (uint64_t step = 0; step < S->workload_ops; step++) {
		if (used >= target && nlive > 0) {
			uint64_t j = test_rand_below(&rng, nlive);
			must_free(&in, live[j].pa, live[j].n);
			used -= live[j].n;
			live[j] = live[--nlive];
		} else {
			uint64_t n, align;
			workload_request(&rng, &n, &align);
			res->attempts++;
			if (pgalloc_alloc(in.pg, n, align, PGALLOC_MOVABLE, &live[nlive].pa) == 0) {
				live[nlive++].n = n;
				used += n;
			} else {
				res->failed++;
			}
		}
	}
	pgalloc_inst_stats(&in, &st);
	for (unsigned o = 0; o < FRAG_INDEX_ORDERS; o++)
		res->unusable[o] = pgalloc_unusable_index(&st, o);
	free(live);
	pgalloc_inst_destroy(&in);
}

static void section_workload(void)
{
	static const unsigned occ[] = {50, 90};
	printf("## Fragmentation: long random workload\n\n");
	printf("Pool of %" PRIu64 " pages (%" PRIu64 " MiB), seed %#" PRIx64 ". Requests: 60%% one "
	       "page, 25%% 2-16 pages, 12%% 17-256 pages, 3%% 512 pages (half of them 2M-aligned). "
	       "Allocate up to the occupancy target, then %" PRIu64 " steps: free a random live "
	       "allocation when at or above the target, else allocate. %% failed counts the "
	       "steady-state allocations; the unusable index (thousandths) is taken at the "
	       "end.\n\n",
	       S->workload_pages, S->workload_pages * PAGE_SIZE_4K >> 20, g_seed, S->workload_ops);
	printf("| occupancy | allocator | allocations | %% failed |");
	for (unsigned o = 0; o < FRAG_INDEX_ORDERS; o++)
		printf(" o%u |", o);
	printf("\n|---|---|---:|---:|");
	for (unsigned o = 0; o < FRAG_INDEX_ORDERS; o++)
		printf("---:|");
	printf("\n");
	for (unsigned i = 0; i < sizeof(occ) / sizeof(occ[0]); i++)
		for (unsigned k = 0; k < NR_ALLOC; k++) {
			struct workload_result res;
			run_workload(pgalloc_all_ops[k], occ[i], g_seed, &res);
			double failed =
			    res.attempts ? 100.0 * (double)res.failed / (double)res.attempts : 0.0;
			printf("| %u%% | %s | %" PRIu64 " | %.2f |", occ[i],
			       pgalloc_all_ops[k]->name, res.attempts, failed);
			for (unsigned o = 0; o < FRAG_INDEX_ORDERS; o++)
				printf(" %d |", res.unusable[o]);
			printf("\n");
		}
	printf("\n");
}

/* ---- targets ---- */

/* One row: met when got <= goal; figures printed with `dec` decimals. */
static void target_row(const char *what, const char *alloc, double got, double goal, int dec,
		       const char *unit)
{
	printf("| %s | %s | %.*f %s | <= %.*f %s | %s |\n", what, alloc, dec, got, unit, dec, goal,
	       unit, got <= goal ? "met" : "**missed**");
}

static void section_targets(void)
{
	const unsigned big = NR_POOLS - 1;
	char pn[32];
	pool_name(S->pool_bytes[big], pn, sizeof(pn));
	printf("## Goals\n\n");
	printf("What the two page allocators were built to reach (host, -O2), against the figures "
	       "above. The fragmentation goal: on each pattern of the published test, fail no more "
	       "often than the better of the two allocators in that report.\n\n");
	if (S->runs == 1)
		printf("QUICK run: pools are smaller than the goals assume; figures are "
		       "indicative only.\n\n");
	printf("| measure | allocator | measured | goal | result |\n|---|---|---:|---:|---|\n");
	double hot_worst[NR_ALLOC];
	for (unsigned k = 0; k < NR_ALLOC; k++) {
		hot_worst[k] = 0;
		for (unsigned p = 0; p < NR_POOLS; p++)
			if (R.hot[p][k] > hot_worst[k])
				hot_worst[k] = R.hot[p][k];
	}
	target_row("single-page alloc+free, hot loop (worst pool)", "bitmap", hot_worst[0], 15, 1,
		   "ns");
	target_row("single-page alloc+free, hot loop (worst pool)", "buddy", hot_worst[1], 30, 1,
		   "ns");
	char what[128];
	snprintf(what, sizeof(what), "2M-aligned alloc, fragmented %s pool", pn);
	for (unsigned k = 0; k < NR_ALLOC; k++)
		target_row(what, pgalloc_all_ops[k]->name, R.frag2m[big][k], 1000, 1, "ns");
	snprintf(what, sizeof(what), "random-order free of %" PRIu64 " pages (%s pool)",
		 S->free_pages, pn);
	for (unsigned k = 0; k < NR_ALLOC; k++)
		target_row(what, pgalloc_all_ops[k]->name, R.free25k[big][k], 2, 3, "ms");
	target_row("metadata per GiB", "bitmap", R.meta_kib_per_gib[big][0], 40, 1, "KiB");
	for (unsigned p = 0; p < NR_PATTERNS; p++) {
		/* the report rounds to 0.1 %: compare exact shares of the 12 probes */
		double better =
		    report_bitmap[p] < report_buddy[p] ? report_bitmap[p] : report_buddy[p];
		unsigned goal_failures = (unsigned)(better * FRAG_PROBES / 100 + 0.5);
		double goal = pct(goal_failures, FRAG_PROBES);
		snprintf(what, sizeof(what), "published test, %s: %% failed", pattern_name[p]);
		for (unsigned k = 0; k < NR_ALLOC; k++)
			target_row(what, pgalloc_all_ops[k]->name, R.frag_failed[p][k], goal, 1,
				   "%");
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	bool quick = false;

	if (!bench_args(argc, argv, &quick, &g_seed))
		return 2;
	S = quick ? &quick_sizes : &full_sizes;
	print_header();
	section_single_page();
	section_aligned();
	section_fill_free();
	section_init();
	section_report_patterns();
	section_workload();
	section_targets();
	return 0;
}

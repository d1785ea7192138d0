/*
 * bench_kheap.c - every kernel heap side by side with glibc malloc and the
 * kernel's kmalloc, on ArceOS's allocator benchmark and our own workloads
 * (apps/heaptest/workloads: the same code the kernel app runs).
 *
 * Each heap runs directly through the kheap API, without a lock, over a
 * page source of its own (tests/kheap's bitmap-managed arena); the kmalloc
 * column is axalloc on the host as the kernel has it by default: the heap
 * front (a lock-free cache of small free blocks) and then the lock and the
 * counters around the heap it is built with. Before anything is timed, every workload runs once per
 * allocator with its content checks on, and the allocator must be back to
 * empty afterwards (the run stops otherwise); the timed runs leave blocks
 * unfilled, as ArceOS's benchmark does.
 *
 * Prints GitHub markdown: milliseconds per workload (median and min-max of
 * the runs), the ratios to glibc next to ArceOS's published ratios, ns per
 * alloc+free pair per size class, the memory held at each workload's peak
 * against what it asked for, and the fragmentation workload's overhead and
 * largest allocation. `--quick`: one run, fewer pairs and steps (a smoke
 * test); `--seed=N`: the seed of every workload.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "kb_allocs.h"
#include "workloads.h"

#define DEFAULT_SEED 0xdeadbeefULL /* the seed of ArceOS's benchmark */
#define MAX_RUNS     5
/* The pool of ArceOS's benchmark: 128 MiB. */
#define ARENA_BYTES (128UL << 20)
#define MiB	    (1024.0 * 1024.0)
#define NS_PER_MS   1e6
#define NS_PER_S    1e9

/* Sizes of a run (full / --quick). */
struct sizes {
	int runs;
	uint64_t pairs;	     /* alloc+free pairs per size class */
	uint64_t frag_steps; /* steps of the fragmentation workload */
	uint64_t frag_live;  /* its slots */
};

static const struct sizes full_sizes = {
    .runs = MAX_RUNS, .pairs = 1000000, .frag_steps = 1000000, .frag_live = 4096};
static const struct sizes quick_sizes = {
    .runs = 1, .pairs = 50000, .frag_steps = 50000, .frag_live = 4096};

static const struct sizes *S;
static uint64_t g_seed = DEFAULT_SEED;

/*
 * ArceOS's published results (arceos-org/allocator, benches/collections.rs,
 * Criterion on an i7-6700K), ms: the system allocator, TLSF, slab, buddy.
 */
#define NR_ARCEOS_ALLOCS 4
static const char *const arceos_alloc_name[NR_ARCEOS_ALLOCS] = {"System", "TLSF", "slab", "buddy"};
static const double arceos_ms[WL_NR_ARCEOS][NR_ARCEOS_ALLOCS] = {
    {4.23, 5.41, 5.39, 5.42},	 /* vec_push_3M */
    {2.73, 1.95, 2.79, 1643},	 /* vec_rand_free_25K_64 */
    {0.795, 0.699, 380, 402},	 /* vec_rand_free_7500_520 */
    {11.08, 11.35, 10.73, 1282}, /* btree_map_50K */
};

/* A row of the timing tables: a workload at full size and the ArceOS figures it compares with. */
struct row {
	const char *name;
	wl_fn run;
	uint64_t n;
	size_t size;
	int arceos; /* index into arceos_ms */
};

/*
 * ArceOS's four workloads as the issue defines them, and three rows as
 * ArceOS's code runs them: its blocks are Vec<u64> of capacity 64 and 520
 * (512 and 4160 bytes), and its map loop removes the first key a fifth of
 * the time.
 */
#define NR_ROWS (WL_NR_ARCEOS + 3)
static struct row rows[NR_ROWS];

static void init_rows(void)
{
	for (int i = 0; i < WL_NR_ARCEOS; i++)
		rows[i] = (struct row){wl_arceos[i].name, wl_arceos[i].run, wl_arceos[i].n,
				       wl_arceos[i].size, i};
	rows[WL_NR_ARCEOS] = (struct row){"vec_rand_free_25K_64, 512 B blocks (ArceOS's code)",
					  wl_rand_free, 25000, 64 * 8, 1};
	rows[WL_NR_ARCEOS + 1] =
	    (struct row){"vec_rand_free_7500_520, 4160 B blocks (ArceOS's code)", wl_rand_free,
			 7500, 520 * 8, 2};
	rows[WL_NR_ARCEOS + 2] = (struct row){"btree_map_50K, ArceOS's loop (1/5 pop_first)",
					      wl_btree_churn, 50000, 0, 3};
}

static struct kb_alloc allocs[KB_MAX_ALLOCS];
static int nr_allocs;

/* Stops the benchmark: a workload failed its checks or left the allocator not empty. */
static void die(const char *what, const struct kb_alloc *k, const char *why)
{
	fprintf(stderr, "bench_kheap: %s on %s: %s (seed %#" PRIx64 ")\n", what, k->name, why,
		g_seed);
	exit(1);
}

/*
 * The CPU time of this thread, in ns: unlike the wall clock it does not run
 * while the thread waits for a CPU, which on a shared, loaded machine is
 * most of the time. Page faults count (the kernel's time on our behalf).
 */
static double cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * NS_PER_S + (double)ts.tv_nsec;
}

/*
 * Runs one workload on allocator k; returns its CPU time in ns. Dies on an
 * error or a leak. Without `sample` the workload gets no usage hook, so its
 * samples read 0: timed runs take none, as mallinfo2 walks glibc's free
 * lists and axalloc_stats the page bitmap.
 */
static double run_one(struct kb_alloc *k, const char *what, wl_fn fn, const struct wl_params *p,
		      bool sample, struct wl_result *r)
{
	struct wl_allocator a = k->a;
	char why[160];

	if (!sample)
		a.usage = NULL;
	*r = (struct wl_result){0};
	double t0 = cpu_now_ns();
	fn(&a, p, r);
	double t = cpu_now_ns() - t0;
	if (r->errors != 0)
		die(what, k, r->error);
	if (kb_alloc_empty(k, why, sizeof(why)) != 0)
		die(what, k, why);
	return t;
}

/* The median, minimum and maximum of n samples. */
struct stat3 {
	double med, min, max;
};

static struct stat3 stat_of(const double *v, int n)
{
	double s[MAX_RUNS];
	struct stat3 st = {0, v[0], v[0]};

	for (int i = 0; i < n; i++) {
		s[i] = v[i];
		if (v[i] < st.min)
			st.min = v[i];
		if (v[i] > st.max)
			st.max = v[i];
	}
	st.med = bench_median(s, n);
	return st;
}

/* Bytes the page-fault probe touches. */
#define FAULT_PROBE_BYTES (16UL << 20)

/* The CPU cost of a first write to a fresh anonymous page of the process, in µs. */
static double fault_us(void)
{
	size_t n = FAULT_PROBE_BYTES;
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 0;
	double t0 = cpu_now_ns();
	for (size_t i = 0; i < n; i += PAGE_SIZE)
		p[i] = 1;
	double t = cpu_now_ns() - t0;
	munmap(p, n);
	return t / (double)(n / PAGE_SIZE) / 1000;
}

/* Prints the machine, the load and how the figures were taken. */
static void print_header(void)
{
	struct utsname u;
	char cpu[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");
	double load[1] = {-1};

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
	uname(&u);
	getloadavg(load, 1);
	printf("## Kernel heaps vs glibc malloc (host)\n\n");
	printf("Machine: %s %s %s, CPU %s, %ld online CPUs, load average %.2f at start. The "
	       "machine may be shared with other work, so single figures can be noisy; compare "
	       "within one table (min-max shows the spread). ",
	       u.sysname, u.release, u.machine, cpu, sysconf(_SC_NPROCESSORS_ONLN), load[0]);
	printf("Built -O2 -DNDEBUG. %s; seed %#" PRIx64 ". Times are the thread's CPU time "
	       "(CLOCK_THREAD_CPUTIME_ID, page faults included), not the wall clock: time spent "
	       "waiting for a CPU on a loaded machine does not count, cache and TLB sharing still "
	       "do. ",
	       S->runs > 1 ? "Medians of 5 runs, min-max in parentheses"
			   : "QUICK smoke run: 1 run, fewer pairs and steps",
	       g_seed);
	printf(
	    "Each heap runs through the kheap API without a lock over a %lu MiB page source of "
	    "its own (a bitmap page allocator over host memory, as in the heap tests); the "
	    "kmalloc column is axalloc's kmalloc over %lu MiB of host \"RAM\": the kernel's path "
	    "as configured by default, blocks of up to 256 bytes through the heap front (a "
	    "cache of free blocks per size class, no lock), the rest and the front's refills "
	    "under the allocator lock, with its counters. Every workload first runs once per "
	    "allocator with "
	    "every block filled and verified before it is freed, and each allocator must then "
	    "be empty again (no live block, its check passing, its pages within its bound once "
	    "empty; kmalloc's front trimmed first); the timed runs do not fill. "
	    "The workloads are apps/heaptest/workloads, the code the kernel app runs. ",
	    ARENA_BYTES >> 20, ARENA_BYTES >> 20);
	printf(
	    "A first write to a fresh page of the process costs %.2f µs here: glibc pays it "
	    "whenever it maps memory afresh (its blocks of 128 KiB and more come from mmap until "
	    "its threshold has risen to the size of one it freed, and it unmaps and trims what "
	    "it frees), the heaps only in the checking run, which wrote their page sources. "
	    "The largest allocation of the fragmentation table depends on where the unmovable "
	    "page grouping puts the heaps' pages, so on the page source's address (ASLR): "
	    "`setarch -R` repeats it exactly. ",
	    fault_us());
	printf("Reproduce: `make bench` or `build/host/bench/tests/kheap-bench/bench_kheap "
	       "[--quick] [--seed=N]`.\n\n");
}

/* Timed figures of the rows, [row][allocator][run] in ns, and the samples of the checking run. */
static double row_ns[NR_ROWS][KB_MAX_ALLOCS][MAX_RUNS];
static struct wl_result row_res[NR_ROWS][KB_MAX_ALLOCS];

/* Runs every row: the checking run, then S->runs timed runs with the allocators interleaved. */
static void measure_rows(void)
{
	for (int w = 0; w < NR_ROWS; w++) {
		struct wl_params p = {.n = rows[w].n, .size = rows[w].size, .seed = g_seed};
		struct wl_result r;

		p.check = true;
		for (int k = 0; k < nr_allocs; k++)
			run_one(&allocs[k], rows[w].name, rows[w].run, &p, true, &row_res[w][k]);
		p.check = false;
		for (int run = 0; run < S->runs; run++)
			for (int k = 0; k < nr_allocs; k++)
				row_ns[w][k][run] =
				    run_one(&allocs[k], rows[w].name, rows[w].run, &p, false, &r);
	}
}

/* The table header: "| what | <allocator> | ...". */
static void print_alloc_header(const char *what)
{
	printf("| %s |", what);
	for (int k = 0; k < nr_allocs; k++)
		printf(" %s |", allocs[k].name);
	printf("\n|---|");
	for (int k = 0; k < nr_allocs; k++)
		printf("---:|");
	printf("\n");
}

static void print_times(void)
{
	printf("### ArceOS's allocator benchmark: ms per workload (lower is better)\n\n");
	printf(
	    "vec_push_3M: 3,000,000 4-byte items pushed onto an array grown by realloc to twice "
	    "its capacity (4, 8, 16, ...), as Rust's Vec does. vec_rand_free_N_S: N blocks of S "
	    "bytes, then freed in a seeded random order (the pointer and order arrays come from "
	    "the allocator too). btree_map_50K: 50,000 distinct random 64-bit keys inserted into "
	    "a B-tree shaped like Rust's BTreeMap (B = 6: 5-11 keys a node; leaves 184 bytes, "
	    "internal nodes 280), each key with a \"key_<n>\" string of its own (6-15 bytes), all "
	    "looked up, then all removed in a scrambled order. The last three rows run what "
	    "ArceOS's code runs: its blocks are `Vec<u64>` of capacity 64 and 520, so 512 and "
	    "4160 bytes, and its map loop does 50,000 steps that remove the smallest key one "
	    "time in five and otherwise insert a random 32-bit key with a new string (freed "
	    "again when the key is there), then clears the map.\n\n");
	print_alloc_header("workload");
	for (int w = 0; w < NR_ROWS; w++) {
		printf("| %s |", rows[w].name);
		for (int k = 0; k < nr_allocs; k++) {
			struct stat3 st = stat_of(row_ns[w][k], S->runs);

			printf(" %.2f (%.2f-%.2f) |", st.med / NS_PER_MS, st.min / NS_PER_MS,
			       st.max / NS_PER_MS);
		}
		printf("\n");
	}
	printf("\n");
}

static void print_ratios(void)
{
	printf("### Ratios to glibc, next to ArceOS's published ratios\n\n");
	printf("Median time of each allocator / median time of glibc in the table above (below 1: "
	       "faster than glibc). ArceOS's columns are its published figures (its allocator "
	       "crate's `benches/collections.rs`, Criterion, i7-6700K) divided by its system "
	       "allocator's, in ms: vec_push_3M System 4.23, TLSF 5.41, slab 5.39, buddy 5.42; "
	       "vec_rand_free_25K_64 2.73, 1.95, 2.79, 1643; vec_rand_free_7500_520 0.795, 0.699, "
	       "380, 402; btree_map_50K 11.08, 11.35, 10.73, 1282. They are set next to both the "
	       "issue's rows and the rows as ArceOS's code runs them.\n\n");
	printf("| workload |");
	for (int k = 1; k < nr_allocs; k++)
		printf(" %s |", allocs[k].name);
	for (int a = 1; a < NR_ARCEOS_ALLOCS; a++)
		printf(" ArceOS %s |", arceos_alloc_name[a]);
	printf("\n|---|");
	for (int k = 1; k < nr_allocs + NR_ARCEOS_ALLOCS - 1; k++)
		printf("---:|");
	printf("\n");
	for (int w = 0; w < NR_ROWS; w++) {
		double glibc = stat_of(row_ns[w][0], S->runs).med;

		printf("| %s |", rows[w].name);
		for (int k = 1; k < nr_allocs; k++)
			printf(" %.2f |", stat_of(row_ns[w][k], S->runs).med / glibc);
		for (int a = 1; a < NR_ARCEOS_ALLOCS; a++)
			printf(" %.2f |",
			       arceos_ms[rows[w].arceos][a] / arceos_ms[rows[w].arceos][0]);
		printf("\n");
	}
	printf("\n");
}

static void print_pairs(void)
{
	double ns[WL_NR_PAIR_SIZES][KB_MAX_ALLOCS][MAX_RUNS];
	struct wl_result r;

	for (int s = 0; s < WL_NR_PAIR_SIZES; s++) {
		struct wl_params p = {.n = S->pairs, .size = wl_pair_sizes[s], .seed = g_seed};

		p.check = true;
		for (int k = 0; k < nr_allocs; k++)
			run_one(&allocs[k], "small_pairs", wl_small_pairs, &p, true, &r);
		p.check = false;
		for (int run = 0; run < S->runs; run++)
			for (int k = 0; k < nr_allocs; k++)
				ns[s][k][run] = run_one(&allocs[k], "small_pairs", wl_small_pairs,
							&p, false, &r) /
						(double)S->pairs;
	}
	printf("### Small alloc+free pairs: ns per pair\n\n");
	printf("%" PRIu64 " times: allocate a block of the size, write its first byte, free it "
	       "(an empty allocator apart from what earlier workloads left it).\n\n",
	       S->pairs);
	print_alloc_header("size");
	for (int s = 0; s < WL_NR_PAIR_SIZES; s++) {
		printf("| %zu B |", wl_pair_sizes[s]);
		for (int k = 0; k < nr_allocs; k++) {
			struct stat3 st = stat_of(ns[s][k], S->runs);

			printf(" %.1f (%.1f-%.1f) |", st.med, st.min, st.max);
		}
		printf("\n");
	}
	printf("\n");
}

static void print_overhead(void)
{
	printf("### Memory at each workload's peak: held / asked for\n\n");
	printf("At the peak (every block of the workload live, before it frees them): the bytes "
	       "the allocator holds (heap pages x 4096, plus bookkeeping outside them: none for "
	       "our heaps) divided by the bytes the workload asked for, then the same divided by "
	       "the usable bytes of the live blocks (what kheap_usable_size adds up; the heaps' "
	       "round-up is the difference), taken in the checking run. Then what each allocator "
	       "still holds when the workload has freed everything, in KiB. glibc is left out: "
	       "its figures (mallinfo2) are the whole process's, and its main arena keeps what "
	       "earlier workloads freed below a small live chunk, even after malloc_trim; it "
	       "appears in the fragmentation table, measured before anything else ran.\n\n");
	print_alloc_header("workload: held / asked (held / usable)");
	for (int w = 0; w < NR_ROWS; w++) {
		printf("| %s |", rows[w].name);
		for (int k = 0; k < nr_allocs; k++) {
			const struct wl_sample *pk = &row_res[w][k].peak;

			if (allocs[k].kind == KB_GLIBC)
				printf(" - |");
			else
				printf(" %.2f (%.2f) |", (double)pk->u.held / (double)pk->requested,
				       (double)pk->u.held / (double)pk->u.usable);
		}
		printf("\n");
	}
	printf("\n");
	print_alloc_header("workload: KiB held at the end");
	for (int w = 0; w < NR_ROWS; w++) {
		printf("| %s |", rows[w].name);
		for (int k = 0; k < nr_allocs; k++)
			if (allocs[k].kind == KB_GLIBC)
				printf(" - |");
			else
				printf(" %.0f |", (double)row_res[w][k].end.u.held / 1024);
		printf("\n");
	}
	printf("\n");
}

/* The fragmentation workload's parameters, results and times (ms) per allocator. */
static struct wl_params frag_p;
static struct wl_result frag_res[KB_MAX_ALLOCS];
static double frag_ms[KB_MAX_ALLOCS];

/* Runs the fragmentation workload once per allocator, checks on. Runs first: glibc is fresh. */
static void measure_fragment(void)
{
	frag_p = (struct wl_params){.n = S->frag_steps,
				    .live = S->frag_live,
				    .limit = ARENA_BYTES,
				    .seed = g_seed,
				    .check = true};
	for (int k = 0; k < nr_allocs; k++)
		frag_ms[k] =
		    run_one(&allocs[k], "fragment", wl_fragment, &frag_p, true, &frag_res[k]) /
		    NS_PER_MS;
}

static void print_fragment(void)
{
	const struct wl_params p = frag_p;
	const struct wl_result *r = frag_res;
	const double *ms = frag_ms;

	printf("### Fragmentation: a long random workload of mixed sizes\n\n");
	printf("%" PRIu64 " seeded steps over %" PRIu64 " slots: each step picks a slot at random "
	       "and frees its block, or fills it when empty with a block of log-uniform size "
	       "below a bound that changes every quarter of the steps (256 B, 4 KiB, 512 B, "
	       "32 KiB), so the holes one phase leaves rarely suit the next; every block filled "
	       "and verified; this runs before any other workload. At the end: the bytes held "
	       "against those asked for and the usable "
	       "bytes of the live blocks, the most held at any sample (every %d steps), and the "
	       "largest block still allocatable (binary search with the allocator's own alloc, "
	       "to %d bytes, up to the %lu MiB of the page source: glibc gets it all from "
	       "mmap).\n\n",
	       p.n, p.live, WL_SAMPLE_STEPS, WL_LARGEST_STEP, ARENA_BYTES >> 20);
	print_alloc_header("measure");
	printf("| ms (checks and samples included) |");
	for (int k = 0; k < nr_allocs; k++)
		printf(" %.1f |", ms[k]);
	printf("\n| live blocks / MiB asked for |");
	for (int k = 0; k < nr_allocs; k++)
		printf(" %" PRIu64 " / %.2f |", r[k].end.blocks, r[k].end.requested / MiB);
	printf("\n| MiB held at the end |");
	for (int k = 0; k < nr_allocs; k++)
		printf(" %.2f |", r[k].end.u.held / MiB);
	printf("\n| held / asked (held / usable) |");
	for (int k = 0; k < nr_allocs; k++)
		printf(" %.2f (%.2f) |", (double)r[k].end.u.held / (double)r[k].end.requested,
		       r[k].end.u.usable ? (double)r[k].end.u.held / (double)r[k].end.u.usable
					 : 0.0);
	printf("\n| most MiB held |");
	for (int k = 0; k < nr_allocs; k++)
		printf(" %.2f |", r[k].peak.u.held / MiB);
	printf("\n| largest allocation, MiB |");
	for (int k = 0; k < nr_allocs; k++)
		printf(" %s%.2f |", r[k].largest >= p.limit ? ">= " : "", r[k].largest / MiB);
	printf("\n\n");
}

int main(int argc, char **argv)
{
	bool quick = false;

	if (!bench_args(argc, argv, &quick, &g_seed))
		return 2;
	S = quick ? &quick_sizes : &full_sizes;
	init_rows();
	nr_allocs = kb_allocs_create(allocs, ARENA_BYTES);
	print_header();
	measure_fragment();
	measure_rows();
	print_times();
	print_ratios();
	print_pairs();
	print_overhead();
	print_fragment();
	kb_allocs_destroy(allocs, nr_allocs);
	return 0;
}

/*
 * bench_heap.c - the byte heap (TLSF over the page allocator) against the
 * host's libc malloc, in the same run.
 *
 * Two workloads per size (16 B .. 64 KiB), each timed as the median of
 * RUNS runs, in ns per kmalloc+kfree pair:
 *   hot pair: p = alloc(size); touch; free(p), in a loop (best case);
 *   batch:    BATCH allocations, then all freed in a shuffled order
 *             (free lists and merging do real work).
 * Prints GitHub-markdown tables. `--quick` runs a short smoke version.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "hal_host.h"
#include <axalloc/axalloc.h>

#define RAM_BASE 0x80000000UL
#define RAM_SIZE (256UL << 20)
#define RUNS	 5
#define BATCH	 1000

static const size_t sizes[] = {16, 64, 256, 1024, 4096, 65536};
#define NR_SIZES (sizeof(sizes) / sizeof(sizes[0]))

/* Written so that the compiler cannot drop an allocation and its free. */
static void *volatile sink;

typedef void *(*alloc_fn)(size_t);
typedef void (*free_fn)(void *);

/* ns per alloc+free pair of the hot loop. */
static double run_hot(alloc_fn alloc, free_fn release, size_t size, long iters)
{
	double t0 = bench_now_ns();
	for (long i = 0; i < iters; i++) {
		char *p = alloc(size);
		if (!p) {
			fprintf(stderr, "bench_heap: allocation of %zu failed\n", size);
			exit(1);
		}
		p[0] = (char)i;
		sink = p;
		release(p);
	}
	return (bench_now_ns() - t0) / (double)iters;
}

/* ns per alloc+free pair of `rounds` batches freed in the shuffled order `order`. */
static double run_batch(alloc_fn alloc, free_fn release, size_t size, long rounds, const int *order)
{
	static void *p[BATCH];
	double t0 = bench_now_ns();
	for (long r = 0; r < rounds; r++) {
		for (int i = 0; i < BATCH; i++) {
			p[i] = alloc(size);
			if (!p[i]) {
				fprintf(stderr, "bench_heap: allocation of %zu failed\n", size);
				exit(1);
			}
			((char *)p[i])[0] = (char)i;
		}
		sink = p[BATCH / 2];
		for (int i = 0; i < BATCH; i++)
			release(p[order[i]]);
	}
	return (bench_now_ns() - t0) / (double)(rounds * BATCH);
}

/* A fixed pseudo-random permutation of 0..BATCH-1. */
static void shuffle(int *order)
{
	uint64_t x = 0x2545f4914f6cdd1dULL;
	for (int i = 0; i < BATCH; i++)
		order[i] = i;
	for (int i = BATCH - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int j = (int)(x % (uint64_t)(i + 1));
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

int main(int argc, char **argv)
{
	int quick = bench_quick(argc, argv);
	long hot_iters = quick ? 20000 : 1000000;
	long batch_rounds = quick ? 3 : 100;
	static const struct mem_range ram = {RAM_BASE, RAM_SIZE};
	static int order[BATCH];
	double hot[2][NR_SIZES], batch[2][NR_SIZES];

	hal_host_map_phys(RAM_BASE, RAM_SIZE);
	if (axalloc_init(&ram, 1, NULL, 0) != 0) {
		fprintf(stderr, "bench_heap: axalloc_init failed\n");
		return 1;
	}
	shuffle(order);
	for (unsigned s = 0; s < NR_SIZES; s++) {
		double v[2][2][RUNS];
		for (int r = 0; r < RUNS; r++) {
			v[0][0][r] = run_hot(kmalloc, kfree, sizes[s], hot_iters);
			v[0][1][r] = run_hot(malloc, free, sizes[s], hot_iters);
			v[1][0][r] = run_batch(kmalloc, kfree, sizes[s], batch_rounds, order);
			v[1][1][r] = run_batch(malloc, free, sizes[s], batch_rounds, order);
		}
		for (int k = 0; k < 2; k++) {
			hot[k][s] = bench_median(v[0][k], RUNS);
			batch[k][s] = bench_median(v[1][k], RUNS);
		}
	}

	struct axalloc_stats st;
	axalloc_stats(&st);
	printf(
	    "## Heap: kmalloc/kfree (TLSF over the %s page allocator) vs host libc malloc/free\n\n",
	    axalloc_page_allocator_name());
	printf("Host, -O2, median of %d runs; ns per alloc+free pair (lower is better). "
	       "Hot pair: %ld alloc+free loops. Batch: %d allocations, then freed in shuffled "
	       "order, %ld rounds.%s\n\n",
	       RUNS, hot_iters, BATCH, batch_rounds, quick ? " (--quick run)" : "");
	printf("| size | kmalloc hot | libc hot | kmalloc batch | libc batch |\n");
	printf("|-----:|------------:|---------:|--------------:|-----------:|\n");
	for (unsigned s = 0; s < NR_SIZES; s++)
		printf("| %zu | %.1f | %.1f | %.1f | %.1f |\n", sizes[s], hot[0][s], hot[1][s],
		       batch[0][s], batch[1][s]);
	printf("\nAfter the run: heap_pages %llu, heap_used_bytes %llu, failed_allocs %llu.\n",
	       (unsigned long long)st.heap_pages, (unsigned long long)st.heap_used_bytes,
	       (unsigned long long)st.failed_allocs);
	return 0;
}

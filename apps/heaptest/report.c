/*
 * report.c - heaptest's output: the workload table on the console and, with
 * CONFIG_HEAPTEST_BENCH_MARKDOWN, as markdown between BENCH-BEGIN and
 * BENCH-END for `make bench`.
 */
#include <axalloc/axalloc.h>
#include <klib/kconfig.h>
#include <klib/spread.h>
#include <stdio.h>

#include "heaptest.h"

#define NUM_LEN	  32
#define NS_PER_MS 1000000
#define KIB_SHIFT 10
#define MIB_SHIFT 20
/* Ratios are printed in hundredths. */
#define HUNDREDTHS 100

/* held / live in hundredths as "1.23", or "-" without live bytes; buf holds NUM_LEN bytes. */
static const char *ratio(char *buf, const struct wl_sample *s)
{
	if (s->u.usable == 0)
		return "-";
	return fixed_fmt(buf, NUM_LEN, s->u.held * HUNDREDTHS / s->u.usable, HUNDREDTHS, 2);
}

void ht_print_header(void)
{
	printf("times include %sthe usage samples (fragment: one every %d steps); held = heap "
	       "pages x %lu bytes,\nlive = usable bytes of the live blocks; peak = every block of "
	       "the workload live, end = when it is done\n(fragment: after its steps, blocks still "
	       "live)\n",
	       IS_ENABLED(CONFIG_HEAPTEST_CHECK) ? "the checks and " : "", WL_SAMPLE_STEPS,
	       (unsigned long)PAGE_SIZE);
	printf("%-24s %8s %10s %14s %10s %10s %13s %10s %10s\n", "workload", "count", "ms",
	       "peak held KiB", "live KiB", "held/live", "end held KiB", "live KiB", "held/live");
}

void ht_print_row(const struct ht_row *row)
{
	const struct wl_result *r = &row->r;
	char ms[NUM_LEN], pr[NUM_LEN], er[NUM_LEN];

	printf("%-24s %8lu %10s %14lu %10lu %10s %13lu %10lu %10s\n", row->name,
	       (unsigned long)row->n, fixed_fmt(ms, NUM_LEN, row->ns, NS_PER_MS, 3),
	       (unsigned long)(r->peak.u.held >> KIB_SHIFT),
	       (unsigned long)(r->peak.u.usable >> KIB_SHIFT), ratio(pr, &r->peak),
	       (unsigned long)(r->end.u.held >> KIB_SHIFT),
	       (unsigned long)(r->end.u.usable >> KIB_SHIFT), ratio(er, &r->end));
}

/* One markdown row of the workload table. */
static void markdown_row(const struct ht_row *row)
{
	const struct wl_result *r = &row->r;
	char ms[NUM_LEN], pr[NUM_LEN], er[NUM_LEN];

	printf("| %s | %lu | %s | %lu | %lu | %s | %lu | %lu | %s |\n", row->name,
	       (unsigned long)row->n, fixed_fmt(ms, NUM_LEN, row->ns, NS_PER_MS, 3),
	       (unsigned long)(r->peak.u.held >> KIB_SHIFT),
	       (unsigned long)(r->peak.u.usable >> KIB_SHIFT), ratio(pr, &r->peak),
	       (unsigned long)(r->end.u.held >> KIB_SHIFT),
	       (unsigned long)(r->end.u.usable >> KIB_SHIFT), ratio(er, &r->end));
}

void ht_print_markdown(const struct ht_row *rows, int n, const uint64_t *pair_ns, int nr_pairs,
		       const struct ht_row *frag)
{
	char num[NUM_LEN];

	printf("BENCH-BEGIN\n");
	printf("## Kernel heap under QEMU (apps/heaptest, %s heap, %s page allocator)\n\n",
	       axalloc_heap_name(), axalloc_page_allocator_name());
	printf(
	    "kmalloc/kfree/krealloc in the kernel under QEMU TCG (axalloc's heap front, lock and "
	    "counters included), one run, seed %d, ArceOS's counts at %d %%; every block %s; %s. "
	    "The random workload runs first, on a fresh heap, and the heap front is trimmed "
	    "before each workload. held = heap pages x 4096 bytes, live = usable bytes of the "
	    "live blocks; peak = every block of the workload live, end = when it is done "
	    "(fragment: after its steps, with its blocks still live; the others: everything "
	    "freed, the front's cached blocks still holding their pages).\n\n",
	    CONFIG_HEAPTEST_SEED, CONFIG_HEAPTEST_PERCENT,
	    IS_ENABLED(CONFIG_HEAPTEST_CHECK) ? "filled and verified, in the times"
					      : "left unfilled, as ArceOS's benchmark does",
	    IS_ENABLED(CONFIG_HEAPTEST_WARM_UP)
		? "every free page was written once before anything was timed (QEMU's host "
		  "backs guest RAM on first write)"
		: "no warm-up: the times include the host's first-write faults on QEMU's RAM");
	printf(
	    "| workload | count | ms | peak held KiB | peak live KiB | held / live | end held KiB "
	    "| end live KiB | held / live |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int i = 0; i < n; i++)
		markdown_row(&rows[i]);
	markdown_row(frag);
	printf("\nkmalloc+kfree pairs, ns per pair:");
	for (int s = 0; s < nr_pairs; s++)
		printf(" %zu B %s%s", wl_pair_sizes[s], fixed_fmt(num, NUM_LEN, pair_ns[s], 10, 1),
		       s + 1 < nr_pairs ? "," : ".");
	printf(" Largest allocation still possible after the random workload: %s MiB.\n",
	       fixed_fmt(num, NUM_LEN, (frag->r.largest * HUNDREDTHS) >> MIB_SHIFT, HUNDREDTHS, 2));
	printf("BENCH-END\n");
}

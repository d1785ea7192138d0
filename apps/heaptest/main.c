/*
 * heaptest - the kernel heap chosen in menuconfig under a long random
 * workload of mixed sizes (first, on a fresh heap), ArceOS's allocator
 * benchmark (vec_push, vec_rand_free, btree_map) and kmalloc+kfree pairs
 * per size class, with the contents of every block checked
 * (CONFIG_HEAPTEST_CHECK). Prints each workload's time and the memory the
 * heap held at its peak and its end against the live bytes, the largest
 * allocation still possible after the random workload, and checks after
 * each workload and at the end that the heap is back to its baseline.
 * Returns the number of failed checks, capped at MAX_STATUS; 0 = success.
 */
#include <axalloc/axalloc.h>
#include <axhal/time.h>
#include <klib/kconfig.h>
#include <klib/spread.h>
#include <stdarg.h>
#include <stdio.h>

#include "heaptest.h"

#define MAX_STATUS 127
#define PERCENT	   100
/* Full-size counts of our own workloads (ArceOS's are in wl_arceos). */
#define PAIRS_FULL	200000
#define FRAG_STEPS_FULL 200000
#define FRAG_SLOTS	4096
#define MIB_SHIFT	20
#define NUM_LEN		32

static int failures;
static struct axalloc_stats base; /* the heap before the first workload */

void ht_fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	printf("heaptest: FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* A full-size count scaled to CONFIG_HEAPTEST_PERCENT, at least 1. */
static uint64_t scaled(uint64_t full)
{
	uint64_t n = full * CONFIG_HEAPTEST_PERCENT / PERCENT;

	return n ? n : 1;
}

/*
 * Checks that the workload `what` reported no error and left the heap as
 * it found it: as many live blocks as at the start, no bad free, the
 * heap's own check passing.
 */
static void check_after(const char *what, const struct wl_result *r)
{
	struct axalloc_stats st;

	if (r->errors != 0)
		ht_fail("%s: %s", what, r->error);
	axalloc_stats(&st);
	if (st.heap_allocs - st.heap_frees != base.heap_allocs - base.heap_frees)
		ht_fail("%s: %lu live blocks after it, %lu before", what,
			(unsigned long)(st.heap_allocs - st.heap_frees),
			(unsigned long)(base.heap_allocs - base.heap_frees));
	if (st.heap_bad_frees != base.heap_bad_frees)
		ht_fail("%s: %lu bad frees", what,
			(unsigned long)(st.heap_bad_frees - base.heap_bad_frees));
	if (axalloc_heap_check() != 0)
		ht_fail("%s: the heap's check fails", what);
}

/*
 * Runs fn on the kernel heap; returns its time in ns. The heap's front gives
 * its cached blocks back first, so that each workload's figures start from
 * the heap's own state, not from what the one before left cached.
 */
static uint64_t run_timed(wl_fn fn, const struct wl_params *p, struct wl_result *r)
{
	axalloc_heap_trim();
	*r = (struct wl_result){0};
	uint64_t t0 = axhal_ticks();
	fn(&wl_kmalloc, p, r);
	return axhal_ticks_to_ns(axhal_ticks() - t0);
}

/* The small alloc+free pairs: ns per pair of each size class into pair_ns[]. */
static void small_pairs(uint64_t *pair_ns)
{
	char num[NUM_LEN];

	printf("small pairs: %lu kmalloc+kfree pairs per size, ns per pair:",
	       (unsigned long)scaled(PAIRS_FULL));
	for (int s = 0; s < WL_NR_PAIR_SIZES; s++) {
		struct wl_params p = {.n = scaled(PAIRS_FULL),
				      .size = wl_pair_sizes[s],
				      .seed = CONFIG_HEAPTEST_SEED,
				      .check = IS_ENABLED(CONFIG_HEAPTEST_CHECK)};
		struct wl_result r;
		uint64_t ns = run_timed(wl_small_pairs, &p, &r);

		check_after("small_pairs", &r);
		/* tenths of a ns */
		pair_ns[s] = ns * 10 / p.n;
		printf(" %zu B %s%s", wl_pair_sizes[s], fixed_fmt(num, NUM_LEN, pair_ns[s], 10, 1),
		       s + 1 < WL_NR_PAIR_SIZES ? "," : "\n");
	}
}

/* The random workload of mixed sizes, then the largest allocation still possible. */
static void fragment(struct ht_row *row)
{
	struct axalloc_stats st;
	char num[NUM_LEN];

	axalloc_stats(&st);
	struct wl_params p = {.n = scaled(FRAG_STEPS_FULL),
			      .live = FRAG_SLOTS,
			      .limit = st.pages.free_pages * PAGE_SIZE,
			      .seed = CONFIG_HEAPTEST_SEED,
			      .check = IS_ENABLED(CONFIG_HEAPTEST_CHECK)};
	*row = (struct ht_row){.name = "fragment", .n = p.n};
	row->ns = run_timed(wl_fragment, &p, &row->r);
	check_after("fragment", &row->r);
	ht_print_row(row);
	axalloc_stats(&st);
	printf("fragment: %lu blocks live at the end, %lu KiB asked for; the largest allocation "
	       "still possible then: %s MiB (searched up to the %lu MiB of free pages before "
	       "the workload)\n",
	       (unsigned long)row->r.end.blocks, (unsigned long)(row->r.end.requested >> 10),
	       fixed_fmt(num, NUM_LEN, (row->r.largest * 100) >> MIB_SHIFT, 100, 2),
	       (unsigned long)(p.limit >> MIB_SHIFT));
}

/*
 * The heap after every workload: back to its baseline and, once the heap's
 * front has given its cached blocks back (axalloc_heap_trim), within its
 * page bound.
 */
static void check_baseline(void)
{
	struct axalloc_stats before_trim, st;
	uint64_t kept = heaptest_kept_pages();

	axalloc_stats(&before_trim);
	axalloc_heap_trim();
	axalloc_stats(&st);
	int check = axalloc_heap_check();
	printf("heaptest: the heap's front cached %lu free blocks, on %lu heap pages; trimmed\n",
	       (unsigned long)before_trim.heap_cached, (unsigned long)before_trim.heap_pages);
	printf(
	    "heaptest: heap back to its baseline: %lu live blocks (%lu at the start), heap check "
	    "%d, %lu heap pages (%lu at the start; %s keeps at most %lu once all is freed)\n",
	    (unsigned long)(st.heap_allocs - st.heap_frees),
	    (unsigned long)(base.heap_allocs - base.heap_frees), check,
	    (unsigned long)st.heap_pages, (unsigned long)base.heap_pages, axalloc_heap_name(),
	    (unsigned long)kept);
	if (st.heap_allocs - st.heap_frees != base.heap_allocs - base.heap_frees)
		ht_fail("live blocks not back to the baseline");
	if (check != 0)
		ht_fail("heap check: %d", check);
	if (st.heap_pages > base.heap_pages + kept)
		ht_fail("the heap holds %lu pages, more than %lu + %lu",
			(unsigned long)st.heap_pages, (unsigned long)base.heap_pages,
			(unsigned long)kept);
}

int main(void)
{
	static struct ht_row rows[WL_NR_ARCEOS], frag;
	uint64_t pair_ns[WL_NR_PAIR_SIZES];

	axalloc_stats(&base);
	printf("heaptest: kernel heap %s, %s page allocator, seed %d, workloads at %d %% of "
	       "ArceOS's counts, block contents %s\n",
	       axalloc_heap_name(), axalloc_page_allocator_name(), CONFIG_HEAPTEST_SEED,
	       CONFIG_HEAPTEST_PERCENT,
	       IS_ENABLED(CONFIG_HEAPTEST_CHECK) ? "filled and verified (times include it)"
						 : "not checked");
	if (IS_ENABLED(CONFIG_HEAPTEST_WARM_UP)) {
		uint64_t touched = axalloc_touch_free_pages();
		struct axalloc_stats st;

		axalloc_stats(&st);
		printf("heaptest: warm-up wrote %lu free pages\n", (unsigned long)touched);
		if (touched != st.pages.free_pages)
			ht_fail("warm-up wrote %lu pages, but %lu are free", (unsigned long)touched,
				(unsigned long)st.pages.free_pages);
	}
	ht_print_header();
	/* first, on a fresh heap: its largest allocation is then the random workload's doing */
	fragment(&frag);
	for (int i = 0; i < WL_NR_ARCEOS; i++) {
		struct wl_params p = {.n = scaled(wl_arceos[i].n),
				      .size = wl_arceos[i].size,
				      .seed = CONFIG_HEAPTEST_SEED,
				      .check = IS_ENABLED(CONFIG_HEAPTEST_CHECK)};

		rows[i] = (struct ht_row){.name = wl_arceos[i].name, .n = p.n};
		rows[i].ns = run_timed(wl_arceos[i].run, &p, &rows[i].r);
		check_after(rows[i].name, &rows[i].r);
		ht_print_row(&rows[i]);
	}
	small_pairs(pair_ns);
	check_baseline();
	if (IS_ENABLED(CONFIG_HEAPTEST_BENCH_MARKDOWN))
		ht_print_markdown(rows, WL_NR_ARCEOS, pair_ns, WL_NR_PAIR_SIZES, &frag);
	printf("heaptest: %d failed checks\n", failures);
	return failures > MAX_STATUS ? MAX_STATUS : failures;
}

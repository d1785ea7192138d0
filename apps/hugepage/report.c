/*
 * report.c - the hugepage app's output: an aligned table, the lazy-fault
 * cost per page size, a conclusion computed from the numbers, and, with
 * CONFIG_HUGEPAGE_BENCH_MARKDOWN, the same as markdown between BENCH-BEGIN
 * and BENCH-END for `make bench`.
 */
#include <axalloc/axalloc.h>
#include <axhal/time.h>
#include <klib/kconfig.h>
#include <stdio.h>

#include "hugepage.h"

#define NUM_LEN 32
/* "median (min-max)" of a per-read time. */
#define SPREAD_LEN 64
#define LINE_LEN   512
#ifdef CONFIG_HUGEPAGE_WARM_UP
#define WARM_UP_NOTE                                                                               \
	"Every free page was written once before anything was timed, so the host had backed "      \
	"QEMU's RAM."
#else
#define WARM_UP_NOTE "No warm-up: times include the host's first-write faults on QEMU's RAM."
#endif
/* Ratios are computed in tenths. */
#define TENTHS 10

/* Lazy-fault cost of one page size, derived from its populate and lazy rows. */
struct fault_cost {
	uint64_t pgsize;
	uint64_t faults;
	uint64_t ns_per_fault;	   /* (lazy touch - populate touch) / faults */
	uint64_t fault_ns_per_mib; /* (lazy touch - populate touch) / MiB */
	uint64_t lazy_ns_per_mib;  /* lazy map + touch, per MiB */
	uint64_t pop_ns_per_mib;   /* populate map + touch, per MiB */
};

static const char *ms(char *buf, uint64_t ns)
{
	return fixed_fmt(buf, NUM_LEN, ns, HP_NS_PER_MS, 3);
}

static const char *ns_of_ps(char *buf, uint64_t ps)
{
	return fixed_fmt(buf, NUM_LEN, ps, HP_PS_PER_NS, 2);
}

/* Formats a per-read time as "median (min-max)" in ns; buf holds SPREAD_LEN bytes. */
static const char *spread_ns(char *buf, const struct spread *s)
{
	char lo[NUM_LEN], med[NUM_LEN], hi[NUM_LEN];

	snprintf(buf, SPREAD_LEN, "%s (%s-%s)", ns_of_ps(med, s->median), ns_of_ps(lo, s->min),
		 ns_of_ps(hi, s->max));
	return buf;
}

const char *hp_pgsize_name(uint64_t pgsize)
{
	return pgsize == PAGE_SIZE_1G ? "1G" : pgsize == PAGE_SIZE_2M ? "2M" : "4K";
}

static const char *mode_name(const struct hp_result *r)
{
	return r->populate ? "populate" : "lazy";
}

static const struct hp_result *find(const struct hp_result *res, int n, uint64_t pgsize,
				    bool populate)
{
	for (int i = 0; i < n; i++)
		if (res[i].pgsize == pgsize && res[i].populate == populate)
			return &res[i];
	return NULL;
}

/* Fills the fault costs of every page size with both rows; returns how many. */
static int fault_costs(const struct hp_result *res, int n, uint64_t region, struct fault_cost *fc)
{
	uint64_t mib = region >> HP_MIB_SHIFT;
	int nfc = 0;

	for (int i = 0; i < n; i++) {
		const struct hp_result *lazy = &res[i], *pop;

		if (lazy->populate || !(pop = find(res, n, lazy->pgsize, true)))
			continue;
		uint64_t extra =
		    lazy->touch_ns > pop->touch_ns ? lazy->touch_ns - pop->touch_ns : 0;

		fc[nfc++] = (struct fault_cost){
		    .pgsize = lazy->pgsize,
		    .faults = lazy->faults,
		    .ns_per_fault = lazy->faults ? extra / lazy->faults : 0,
		    .fault_ns_per_mib = extra / mib,
		    .lazy_ns_per_mib = (lazy->map_ns + lazy->touch_ns) / mib,
		    .pop_ns_per_mib = (pop->map_ns + pop->touch_ns) / mib,
		};
	}
	return nfc;
}

/* Appends "X.Yx faster" / "X.Yx slower" (base time vs other time) to line. */
static void ratio(char *line, size_t len, size_t *pos, const char *what, uint64_t base,
		  uint64_t other)
{
	uint64_t hi = base >= other ? base : other, lo = base >= other ? other : base;
	const char *dir = base >= other ? "faster" : "slower";

	if (*pos >= len)
		return;
	if (lo == 0) {
		*pos += snprintf(line + *pos, len - *pos, ", %s not comparable", what);
		return;
	}
	uint64_t r = (hi * TENTHS + lo / 2) / lo;

	*pos += snprintf(line + *pos, len - *pos, ", %s %lu.%lux %s", what,
			 (unsigned long)(r / TENTHS), (unsigned long)(r % TENTHS), dir);
}

/* The conclusion: every larger page size against the smallest one measured. */
static void conclusion(const struct hp_result *res, int n, char *line, size_t len)
{
	uint64_t small = 0;
	size_t pos = 0;

	for (int i = 0; i < n; i++)
		if (small == 0 || res[i].pgsize < small)
			small = res[i].pgsize;
	const struct hp_result *sl = find(res, n, small, false), *sp = find(res, n, small, true);

	line[0] = '\0';
	for (int i = 0; i < n && sl && sp; i++) {
		const struct hp_result *l = &res[i], *p;

		if (l->populate || l->pgsize == small || !(p = find(res, n, l->pgsize, true)))
			continue;
		if (pos < len)
			pos +=
			    snprintf(line + pos, len - pos, "%s%s pages vs %s: %lux fewer faults",
				     pos ? "; " : "", hp_pgsize_name(l->pgsize),
				     hp_pgsize_name(small), (unsigned long)(l->pgsize / small));
		ratio(line, len, &pos, "lazy first touch", sl->touch_ns, l->touch_ns);
		ratio(line, len, &pos, "populate map", sp->map_ns, p->map_ns);
		ratio(line, len, &pos, "random reads", (sl->rand.median + sp->rand.median) / 2,
		      (l->rand.median + p->rand.median) / 2);
	}
	if (line[0] == '\0')
		snprintf(line, len, "only one page size measured, nothing to compare");
}

/* The read times are "median (min-max)" over the `reps` passes. */
static void print_table(const struct hp_result *res, int n, unsigned reps)
{
	char a[NUM_LEN], b[NUM_LEN], c[SPREAD_LEN], d[SPREAD_LEN];

	printf("map and first touch: one measurement each; reads: median of %u passes "
	       "(fastest-slowest)\n",
	       reps);
	printf("%-4s  %-8s  %10s  %14s  %8s  %8s  %-22s  %s\n", "page", "mode", "map ms",
	       "first touch ms", "faults", "PT pages", "seq ns/read (min-max)",
	       "random ns/read (min-max)");
	for (int i = 0; i < n; i++) {
		const struct hp_result *r = &res[i];

		printf("%-4s  %-8s  %10s  %14s  %8lu  %8lu  %-22s  %s\n", hp_pgsize_name(r->pgsize),
		       mode_name(r), ms(a, r->map_ns), ms(b, r->touch_ns), (unsigned long)r->faults,
		       (unsigned long)r->pt_pages, spread_ns(c, &r->seq), spread_ns(d, &r->rand));
	}
}

static void print_fault_costs(const struct fault_cost *fc, int nfc)
{
	printf("lazy-fault cost  %8s  %12s  %16s  %16s  %16s\n", "faults", "ns per fault",
	       "fault ns per MiB", "lazy ns/MiB", "populate ns/MiB");
	for (int i = 0; i < nfc; i++)
		printf("%-15s  %8lu  %12lu  %16lu  %16lu  %16lu\n", hp_pgsize_name(fc[i].pgsize),
		       (unsigned long)fc[i].faults, (unsigned long)fc[i].ns_per_fault,
		       (unsigned long)fc[i].fault_ns_per_mib, (unsigned long)fc[i].lazy_ns_per_mib,
		       (unsigned long)fc[i].pop_ns_per_mib);
}

static void print_markdown(const struct hp_result *res, int n, const struct fault_cost *fc, int nfc,
			   uint64_t region, unsigned reps, const char *concl)
{
	char a[NUM_LEN], b[NUM_LEN], c[SPREAD_LEN], d[SPREAD_LEN];
	struct axalloc_stats st;

	axalloc_stats(&st);
	printf("BENCH-BEGIN\n");
	printf("## Huge pages under QEMU (apps/hugepage, %s page allocator)\n\n",
	       axalloc_page_allocator_name());
	printf("Region %lu MiB at a 1G-aligned address; the guest has %lu MiB of RAM for axalloc "
	       "(%s page allocator); timebase %lu Hz.\n",
	       (unsigned long)(region >> HP_MIB_SHIFT),
	       (unsigned long)((st.pages.total_pages * PAGE_SIZE_4K) >> HP_MIB_SHIFT),
	       axalloc_page_allocator_name(), (unsigned long)axhal_timebase_hz());
	printf("*map*: `aspace_map_alloc` (populate allocates, zeroes and maps every page). "
	       "*first touch*: one write into every 4K of the region (lazy: including the page "
	       "faults). Both are measured once per row. *seq*: one read per %lu bytes in address "
	       "order; *random*: one read per 4K, stepping about 0.618 of the region each time; "
	       "each pass runs %u times: the median, then the fastest and slowest pass in "
	       "parentheses. *PT pages*: page-table pages of the space, root included. %s QEMU's "
	       "software TLB caches translations per 4K whatever the leaf size, so here huge pages "
	       "win mostly through fewer faults and shorter page walks, not TLB reach.\n\n",
	       (unsigned long)HP_SEQ_STEP, reps, WARM_UP_NOTE);
	printf("| page | mode | map (ms) | first touch (ms) | faults | PT pages | seq (ns/read, "
	       "median (min-max)) | random (ns/read, median (min-max)) |\n");
	printf("|---|---|--:|--:|--:|--:|--:|--:|\n");
	for (int i = 0; i < n; i++) {
		const struct hp_result *r = &res[i];

		printf("| %s | %s | %s | %s | %lu | %lu | %s | %s |\n", hp_pgsize_name(r->pgsize),
		       mode_name(r), ms(a, r->map_ns), ms(b, r->touch_ns), (unsigned long)r->faults,
		       (unsigned long)r->pt_pages, spread_ns(c, &r->seq), spread_ns(d, &r->rand));
	}
	printf("\nLazy-fault cost per page size: *ns per fault* = (lazy first touch - populate "
	       "first touch) / faults, i.e. trap, frame allocation, zeroing and mapping; *fault "
	       "ns per MiB* = the same extra time per MiB made usable; the last two columns are "
	       "map + first touch per MiB for each mode.\n\n");
	printf("| page | faults | ns per fault | fault ns per MiB | lazy ns per MiB | populate ns "
	       "per MiB |\n");
	printf("|---|--:|--:|--:|--:|--:|\n");
	for (int i = 0; i < nfc; i++)
		printf("| %s | %lu | %lu | %lu | %lu | %lu |\n", hp_pgsize_name(fc[i].pgsize),
		       (unsigned long)fc[i].faults, (unsigned long)fc[i].ns_per_fault,
		       (unsigned long)fc[i].fault_ns_per_mib, (unsigned long)fc[i].lazy_ns_per_mib,
		       (unsigned long)fc[i].pop_ns_per_mib);
	printf("\n**Conclusion:** %s.\n", concl);
	printf("BENCH-END\n");
}

void hp_report(const struct hp_result *res, int n, uint64_t region, unsigned reps)
{
	struct fault_cost fc[HP_MAX_RESULTS];
	char concl[LINE_LEN];
	int nfc = fault_costs(res, n, region, fc);

	conclusion(res, n, concl, sizeof(concl));
	printf("\n");
	print_table(res, n, reps);
	printf("\n");
	print_fault_costs(fc, nfc);
	printf("\nconclusion: %s\n\n", concl);
	if (IS_ENABLED(CONFIG_HUGEPAGE_BENCH_MARKDOWN))
		print_markdown(res, n, fc, nfc, region, reps, concl);
}

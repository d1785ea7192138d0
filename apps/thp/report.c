/*
 * report.c - the thp app's output: the table of the runs, the collapse
 * pass, the run with direct compaction, a closing line computed from the
 * numbers and, with CONFIG_THP_BENCH_MARKDOWN, the same as markdown
 * between BENCH-BEGIN and BENCH-END for `make bench`.
 */
#include <axalloc/axalloc.h>
#include <axhal/time.h>
#include <klib/kconfig.h>
#include <stdio.h>

#include "thp.h"

#define NUM_LEN	   32
#define SPREAD_LEN 64
#define LINE_LEN   512
#define TENTHS	   10

/* Nanoseconds as milliseconds with 3 decimals. */
static const char *ms(char *buf, uint64_t ns)
{
	return fixed_fmt(buf, NUM_LEN, ns, THP_NS_PER_MS, 3);
}

/* A share in tenths of a percent as "12.5 %". */
static const char *pct(char *buf, uint64_t permille)
{
	snprintf(buf, NUM_LEN, "%lu.%lu %%", (unsigned long)(permille / TENTHS),
		 (unsigned long)(permille % TENTHS));
	return buf;
}

/* A per-access time as "median (min-max)" in ns; buf holds SPREAD_LEN bytes. */
static const char *spread_ns(char *buf, const struct spread *s)
{
	char lo[NUM_LEN], med[NUM_LEN], hi[NUM_LEN];

	snprintf(buf, SPREAD_LEN, "%s (%s-%s)",
		 fixed_fmt(med, NUM_LEN, s->median, THP_PS_PER_NS, 2),
		 fixed_fmt(lo, NUM_LEN, s->min, THP_PS_PER_NS, 2),
		 fixed_fmt(hi, NUM_LEN, s->max, THP_PS_PER_NS, 2));
	return buf;
}

uint64_t thp_share_permille(uint64_t thp_2m, uint64_t region)
{
	return thp_2m * PAGE_SIZE_2M * THP_PERMILLE / region;
}

const char *thp_policy_name(enum aspace_thp_policy policy)
{
	return policy == ASPACE_THP_ALWAYS    ? "always"
	       : policy == ASPACE_THP_MADVISE ? "madvise"
					      : "never";
}

/* The measured run of `policy` at `frag_pct`, with direct compaction or not, or NULL. */
static const struct thp_result *find(const struct thp_result *res, int n,
				     enum aspace_thp_policy policy, unsigned frag_pct,
				     bool compaction)
{
	for (int i = 0; i < n; i++)
		if (res[i].measured && res[i].policy == policy && res[i].frag_pct == frag_pct &&
		    res[i].compaction == compaction)
			return &res[i];
	return NULL;
}

/* The run with direct compaction, or NULL. */
static const struct thp_result *find_compaction(const struct thp_result *res, int n)
{
	for (int i = 0; i < n; i++)
		if (res[i].measured && res[i].compaction)
			return &res[i];
	return NULL;
}

/* The table of the runs without direct compaction: one row per (policy, fragmentation). */
static void print_table(const struct thp_result *res, int n, uint64_t region, unsigned reps)
{
	char a[NUM_LEN], b[NUM_LEN], c[SPREAD_LEN];

	printf("first touch: one byte written per 4K page in address order, once; random: %lu "
	       "reads at seeded random addresses, median of %u passes (fastest-slowest); "
	       "pinned: blocks holding one movable 4K page of another space; direct compaction "
	       "off\n",
	       (unsigned long)(region / PAGE_SIZE_4K), reps);
	printf("%-8s  %5s  %6s  %8s  %8s  %9s  %8s  %14s  %-27s  %s\n", "policy", "frag", "pinned",
	       "faults", "2M share", "fallbacks", "PT pages", "first touch ms",
	       "random ns/access (min-max)", "used pages after");
	for (int i = 0; i < n; i++) {
		const struct thp_result *r = &res[i];

		if (!r->measured || r->compaction)
			continue;
		printf("%-8s  %3u %%  %6lu  %8lu  %8s  %9lu  %8lu  %14s  %-27s  %lu\n",
		       thp_policy_name(r->policy), r->frag_pct, (unsigned long)r->pinned,
		       (unsigned long)r->faults, pct(a, thp_share_permille(r->thp_2m, region)),
		       (unsigned long)r->fallbacks, (unsigned long)r->pt_pages, ms(b, r->touch_ns),
		       spread_ns(c, &r->rand), (unsigned long)r->used_after);
	}
}

/* "s" unless n is 1: the plural ending of a count's noun. */
static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* Time per collapsed block, or 0 when none was collapsed. */
static uint64_t per_block(uint64_t ns, uint64_t blocks)
{
	return blocks ? ns / blocks : 0;
}

/* The collapse pass: free 2M frames, the khugepaged steps, aspace_collapse. */
static void print_collapse(const struct thp_collapse_result *c, uint64_t region)
{
	char a[NUM_LEN], b[NUM_LEN], d[NUM_LEN], e[NUM_LEN];
	uint64_t blocks = region / PAGE_SIZE_2M;

	printf("\ncollapse: the %s run at %u %%, ballast and fragmenting pages released: %lu free "
	       "2M frames; 2M share "
	       "%s\n",
	       thp_policy_name(c->policy), c->frag_pct, (unsigned long)c->free_2m,
	       pct(a, thp_share_permille(c->thp_before, region)));
	if (c->free_2m < blocks - c->thp_before)
		printf("collapse: fewer free 2M frames than blocks to collapse (%lu): the 4K "
		       "frames each collapse frees were allocated lowest address first, so they "
		       "empty whole 2M frames for the next ones\n",
		       (unsigned long)(blocks - c->thp_before));
	printf("collapse: khugepaged: %lu step%s of %d blocks collapsed %lu block%s in %s ms (%s "
	       "ms per block); 2M share %s -> %s\n",
	       (unsigned long)c->scan_steps, plural(c->scan_steps), CONFIG_THP_KHUGEPAGED_BLOCKS,
	       (unsigned long)c->scan_collapsed, plural(c->scan_collapsed), ms(a, c->scan_ns),
	       ms(b, per_block(c->scan_ns, c->scan_collapsed)),
	       pct(d, thp_share_permille(c->thp_before, region)),
	       pct(e, thp_share_permille(c->thp_after_scan, region)));
	printf("collapse: aspace_collapse over the region collapsed %lu block%s in %s ms (%s ms "
	       "per block); 2M share %s -> %s; page-table pages %lu -> %lu; "
	       "thp_collapse_alloc_failed %lu\n",
	       (unsigned long)c->collapsed, plural(c->collapsed), ms(a, c->collapse_ns),
	       ms(b, per_block(c->collapse_ns, c->collapsed)),
	       pct(d, thp_share_permille(c->thp_after_scan, region)),
	       pct(e, thp_share_permille(c->thp_after, region)), (unsigned long)c->pt_before,
	       (unsigned long)c->pt_after, (unsigned long)c->alloc_failed);
}

/*
 * The run with direct compaction against the same run without: what the
 * touch got and cost, and the compact_* counters.
 */
static void print_compaction(const struct thp_result *res, int n, uint64_t region)
{
	const struct thp_result *c = find_compaction(res, n);
	const struct thp_result *off = c ? find(res, n, c->policy, c->frag_pct, false) : NULL;
	char a[NUM_LEN], b[NUM_LEN], d[NUM_LEN], e[NUM_LEN];

	if (!c || !off)
		return;
	printf("\ncompaction: %s at %u %% again, direct compaction on: %lu pinned blocks, each "
	       "holding one movable 4K page of another space\n",
	       thp_policy_name(c->policy), c->frag_pct, (unsigned long)c->pinned);
	printf("compaction: faults %lu -> %lu, 2M share %s -> %s, fallbacks %lu -> %lu, "
	       "page-table pages %lu -> %lu, first touch %s -> %s ms\n",
	       (unsigned long)off->faults, (unsigned long)c->faults,
	       pct(a, thp_share_permille(off->thp_2m, region)),
	       pct(b, thp_share_permille(c->thp_2m, region)), (unsigned long)off->fallbacks,
	       (unsigned long)c->fallbacks, (unsigned long)off->pt_pages,
	       (unsigned long)c->pt_pages, ms(d, off->touch_ns), ms(e, c->touch_ns));
	printf("compaction: compact_stall %lu, compact_success %lu, compact_fail %lu, "
	       "compact_migrate_scanned %lu, pages migrated %lu, pages that would not move "
	       "%lu\n",
	       (unsigned long)c->compact.stall, (unsigned long)c->compact.success,
	       (unsigned long)c->compact.fail, (unsigned long)c->compact.scanned,
	       (unsigned long)c->compact.migrated, (unsigned long)c->compact.failed);
}

/* "X.Yx" of hi / lo (lo > 0). */
static const char *ratio(char *buf, uint64_t hi, uint64_t lo)
{
	return fixed_fmt(buf, NUM_LEN, (hi * TENTHS + lo / 2) / lo, TENTHS, 1);
}

/* Appends how 2M pages changed one time against 4K: "cut <what> by X %" or "raised ...". */
static void change(char *line, size_t len, size_t *pos, const char *what, uint64_t t4k,
		   uint64_t t2m)
{
	uint64_t diff = t4k >= t2m ? t4k - t2m : t2m - t4k;
	char buf[NUM_LEN];

	if (*pos >= len || t4k == 0)
		return;
	*pos += snprintf(line + *pos, len - *pos, "%s %s by %s", t4k >= t2m ? "cut" : "raised",
			 what, pct(buf, diff * THP_PERMILLE / t4k));
}

/* The closing line: 4K against 2M at 0 %, and what fragmentation and collapse did. */
static void conclusion(const struct thp_result *res, int n, const struct thp_collapse_result *c,
		       uint64_t region, char *line, size_t len)
{
	const struct thp_result *small = find(res, n, ASPACE_THP_NEVER, 0, false);
	const struct thp_result *huge = find(res, n, ASPACE_THP_ALWAYS, 0, false);
	const struct thp_result *frag = find(res, n, ASPACE_THP_ALWAYS, 90, false);
	const struct thp_result *compacted = find(res, n, ASPACE_THP_ALWAYS, 90, true);
	char a[NUM_LEN], b[NUM_LEN], d[NUM_LEN];
	size_t pos = 0;

	line[0] = '\0';
	if (small && huge && huge->pt_pages && huge->touch_ns) {
		pos +=
		    snprintf(line, len, "at 0 %% fragmentation 2M pages (always against never) ");
		change(line, len, &pos, "first-touch time", small->touch_ns, huge->touch_ns);
		if (pos < len)
			pos += snprintf(line + pos, len - pos, ", ");
		change(line, len, &pos, "random-access time", small->rand.median,
		       huge->rand.median);
		if (pos < len)
			pos += snprintf(line + pos, len - pos,
					" and needed %sx fewer page-table pages",
					ratio(a, small->pt_pages, huge->pt_pages));
	}
	if (frag && pos < len)
		pos += snprintf(line + pos, len - pos,
				"%sat 90 %% fragmentation `always` got 2M pages for only %s of the "
				"region",
				pos ? "; " : "", pct(a, thp_share_permille(frag->thp_2m, region)));
	if (frag && compacted && pos < len)
		pos += snprintf(line + pos, len - pos, ", with direct compaction for %s",
				pct(a, thp_share_permille(compacted->thp_2m, region)));
	if (c->done && pos < len)
		pos += snprintf(line + pos, len - pos,
				"%son the %s run at %u %% khugepaged and collapse raised the 2M "
				"share from %s to %s",
				pos ? (frag ? ", and " : "; ") : "", thp_policy_name(c->policy),
				c->frag_pct, pct(b, thp_share_permille(c->thp_before, region)),
				pct(d, thp_share_permille(c->thp_after, region)));
	if (line[0] == '\0')
		snprintf(line, len, "not enough runs measured to compare");
}

/* The run with direct compaction against the same run without, as a markdown paragraph. */
static void print_compaction_markdown(const struct thp_result *res, int n, uint64_t region)
{
	const struct thp_result *c = find_compaction(res, n);
	const struct thp_result *off = c ? find(res, n, c->policy, c->frag_pct, false) : NULL;
	char a[NUM_LEN], b[NUM_LEN], d[NUM_LEN], e[NUM_LEN];

	if (!c || !off)
		return;
	printf("\nDirect compaction, %s at %u %% again (the pinned pages are movable pages of "
	       "another space): 2M share %s -> %s, first touch %s -> %s ms; compact_stall %lu, "
	       "compact_success %lu, compact_fail %lu, compact_migrate_scanned %lu, %lu pages "
	       "migrated, %lu would not move.\n",
	       thp_policy_name(c->policy), c->frag_pct,
	       pct(a, thp_share_permille(off->thp_2m, region)),
	       pct(b, thp_share_permille(c->thp_2m, region)), ms(d, off->touch_ns),
	       ms(e, c->touch_ns), (unsigned long)c->compact.stall,
	       (unsigned long)c->compact.success, (unsigned long)c->compact.fail,
	       (unsigned long)c->compact.scanned, (unsigned long)c->compact.migrated,
	       (unsigned long)c->compact.failed);
}

/* The runs, the collapse pass and the closing line as markdown for `make bench`. */
static void print_markdown(const struct thp_result *res, int n, const struct thp_collapse_result *c,
			   uint64_t region, unsigned reps, const char *concl)
{
	char a[NUM_LEN], b[NUM_LEN], e[NUM_LEN], d[SPREAD_LEN];

	printf("BENCH-BEGIN\n");
	printf("## Transparent huge pages under QEMU (apps/thp, %s page allocator)\n\n",
	       axalloc_page_allocator_name());
	printf("Region %lu MiB (%lu 2M blocks) touched lazily under each policy; *frag*: share of "
	       "the blocks given to the run with one pinned 4K page, a movable page of another "
	       "space (the rest of RAM is held back), direct compaction off; *first touch*: one "
	       "byte written per 4K page in address order, once; "
	       "*random*: %lu reads at seeded random addresses, median of %u passes (fastest-"
	       "slowest); timebase %lu Hz. QEMU's software TLB caches translations per 4K "
	       "whatever the leaf size, so 2M pages win through fewer faults and shorter walks, "
	       "not TLB reach.\n\n",
	       (unsigned long)(region >> THP_MIB_SHIFT), (unsigned long)(region / PAGE_SIZE_2M),
	       (unsigned long)(region / PAGE_SIZE_4K), reps, (unsigned long)axhal_timebase_hz());
	printf("| policy | frag | pinned | faults | 2M share | fallbacks | PT pages | first touch "
	       "(ms) | random (ns/access, median (min-max)) |\n");
	printf("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
	for (int i = 0; i < n; i++) {
		const struct thp_result *r = &res[i];

		if (r->measured && !r->compaction)
			printf("| %s | %u %% | %lu | %lu | %s | %lu | %lu | %s | %s |\n",
			       thp_policy_name(r->policy), r->frag_pct, (unsigned long)r->pinned,
			       (unsigned long)r->faults,
			       pct(a, thp_share_permille(r->thp_2m, region)),
			       (unsigned long)r->fallbacks, (unsigned long)r->pt_pages,
			       ms(b, r->touch_ns), spread_ns(d, &r->rand));
	}
	if (c->done)
		printf("\nCollapse on the %s run at %u %%: khugepaged collapsed %lu block%s in %s "
		       "ms, aspace_collapse %lu block%s in %s ms; 2M share %s -> %s.\n",
		       thp_policy_name(c->policy), c->frag_pct, (unsigned long)c->scan_collapsed,
		       plural(c->scan_collapsed), ms(a, c->scan_ns), (unsigned long)c->collapsed,
		       plural(c->collapsed), ms(b, c->collapse_ns),
		       pct(d, thp_share_permille(c->thp_before, region)),
		       pct(e, thp_share_permille(c->thp_after, region)));
	print_compaction_markdown(res, n, region);
	printf("\n**Conclusion:** %s.\n", concl);
	printf("BENCH-END\n");
}

void thp_report(const struct thp_result *res, int n, const struct thp_collapse_result *c,
		uint64_t region, unsigned reps)
{
	printf("\n");
	print_table(res, n, region, reps);
	if (c->done)
		print_collapse(c, region);
	print_compaction(res, n, region);
}

void thp_report_conclusion(const struct thp_result *res, int n, const struct thp_collapse_result *c,
			   uint64_t region, unsigned reps)
{
	char concl[LINE_LEN];

	conclusion(res, n, c, region, concl, sizeof(concl));
	printf("\nconclusion: %s\n\n", concl);
	if (IS_ENABLED(CONFIG_THP_BENCH_MARKDOWN))
		print_markdown(res, n, c, region, reps, concl);
}

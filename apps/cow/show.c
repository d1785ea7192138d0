/*
 * show.c - how the cow demo prints and checks what the spaces see: a table
 * of probe pages by space (whose word is there, and the frame's reference
 * count), each space's COW statistics, and the frames in use against what
 * eager copies would hold.
 */
#include <axalloc/axalloc.h>
#include <axalloc/frame_ref.h>
#include <klib/kconfig.h>
#include <stdarg.h>
#include <stdio.h>

#include "cow.h"

#define CELL_LEN 16
#define WORD	 sizeof(uint64_t)
#define MIB	 (1UL << 20)

void cow_check(struct cow_demo *d, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		d->failures++;
	printf("  %s ", ok ? "ok:" : "FAILED:");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

uint64_t cow_frames_in_use(const struct cow_demo *d)
{
	struct axalloc_stats st;
	uint64_t tables = 0;

	axalloc_stats(&st);
	for (int s = 0; s < COW_NR_SPACES; s++) {
		struct aspace_stats as;

		if (!d->live[s])
			continue;
		aspace_stats(&d->spaces[s], &as);
		tables += as.pt_pages;
	}
	return st.pages.used_pages - st.heap_pages - d->base_pages - tables;
}

/* The reference count of the frame behind va in space s (0 without counts). */
static uint32_t frame_refs(const struct aspace *as, vaddr_t va)
{
	paddr_t pa;

	if (!IS_ENABLED(CONFIG_MM_COW) || aspace_query(as, va, &pa, NULL, NULL) != 0)
		return 0;
	return frame_ref_get(pa);
}

/*
 * Prints the cell of space s, probe p: who wrote the word there, and with
 * COW the frame's count ("kid1:1"). Returns the number of mismatches with
 * the expectations (words at both ends of the page, count).
 */
static int show_cell(struct cow_demo *d, int s, int p)
{
	const struct cow_probe *pr = &d->probes[p];
	struct aspace *as = &d->spaces[s];
	uint64_t head = 0, tail = 0;
	uint32_t refs = frame_refs(as, pr->va);
	char cell[CELL_LEN];
	int bad = 0;

	bad += aspace_read(as, pr->va, &head, WORD) != 0 || head != d->value[s][p];
	bad +=
	    aspace_read(as, pr->va + pr->pgsize - WORD, &tail, WORD) != 0 || tail != d->value[s][p];
	if (COW_SHARES) {
		bad += refs != cow_expected_refs(d, s, p);
		snprintf(cell, sizeof(cell), "%s:%u", cow_value_owner(head), refs);
	} else {
		snprintf(cell, sizeof(cell), "%s", cow_value_owner(head));
	}
	printf(" %-12s%s", cell, bad ? "!" : " ");
	return bad;
}

void cow_show(struct cow_demo *d, const char *title)
{
	uint64_t eager = 0, in_use = cow_frames_in_use(d), expected = cow_expected_frames(d);
	struct axalloc_stats ax;
	int bad = 0, cells = 0;

	printf("\n# %s\n", title);
	printf("  %-7s", "space");
	for (int p = 0; p < d->nr_probes; p++)
		printf(" %-13s", d->probes[p].name);
	printf(" %10s %7s\n", "cow-faults", "copies");
	for (int s = 0; s < COW_NR_SPACES; s++) {
		struct aspace_stats st;

		if (!d->live[s])
			continue;
		aspace_stats(&d->spaces[s], &st);
		eager += st.alloc_pages_4k;
		printf("  %-7s", cow_space_name(s));
		for (int p = 0; p < d->nr_probes; p++, cells++)
			bad += show_cell(d, s, p);
		printf(" %10lu %7lu\n", (unsigned long)st.cow_faults, (unsigned long)st.cow_copies);
		bad += st.cow_faults != d->cow_faults[s] || st.cow_copies != d->cow_copies[s];
	}
	if (COW_SHARES)
		printf("  (cell: who wrote the word the space sees there : references to its "
		       "frame)\n");
	cow_check(d, bad == 0, "isolation: %d probe pages read as expected in every space%s", cells,
		  COW_SHARES ? ", counts and COW statistics exact" : "");
	axalloc_stats(&ax);
	printf("  frames of Alloc pages in use: %lu (%lu MiB); eager copies would hold %lu "
	       "(%lu MiB%s): %lu MiB saved\n",
	       (unsigned long)in_use, (unsigned long)(in_use * PAGE_SIZE_4K / MIB),
	       (unsigned long)eager, (unsigned long)(eager * PAGE_SIZE_4K / MIB),
	       eager > ax.pages.total_pages ? ", more than the RAM has" : "",
	       (unsigned long)((eager - in_use) * PAGE_SIZE_4K / MIB));
	cow_check(d, in_use == expected, "frames in use: %lu, expected %lu", (unsigned long)in_use,
		  (unsigned long)expected);
}

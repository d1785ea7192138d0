/*
 * hugepage.h - what the parts of the hugepage app share: one measured
 * configuration (page size x populate/lazy) and the failed-check counter.
 */
#ifndef APPS_HUGEPAGE_HUGEPAGE_H
#define APPS_HUGEPAGE_HUGEPAGE_H

#include <klib/spread.h>
#include <stdbool.h>
#include <stdint.h>

/* The first touch writes one word into every TOUCH_STEP bytes of the region. */
#define HP_TOUCH_STEP 4096UL
/* The sequential pass reads one word per cache line. */
#define HP_SEQ_STEP 64UL
/* Picoseconds per nanosecond: per-read times are kept in picoseconds. */
#define HP_PS_PER_NS 1000UL
#define HP_NS_PER_MS 1000000UL
#define HP_MIB_SHIFT 20
/* Page sizes x modes (populate, lazy). */
#define HP_NR_PGSIZES  3
#define HP_MAX_RESULTS (HP_NR_PGSIZES * 2)

/* Everything measured for one page size in one mode. */
struct hp_result {
	uint64_t pgsize;
	bool populate;
	bool measured;	    /* the region could be mapped: the numbers below are valid */
	uint64_t map_ns;    /* aspace_map_alloc */
	uint64_t touch_ns;  /* first write to every 4K of the region (lazy: with the faults) */
	uint64_t faults;    /* aspace stats: faults handled during the first touch */
	uint64_t pt_pages;  /* aspace stats: page-table pages after the touch, root included */
	struct spread seq;  /* time per read of the sequential pass, in picoseconds */
	struct spread rand; /* time per read of the random-stride pass, in picoseconds */
};

/*
 * Records a failed check: prints "hugepage: FAILED: <message>" and counts
 * it. hp_failures() returns the count so far.
 */
void hp_fail(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
int hp_failures(void);

/*
 * Measures one configuration: creates an address space, maps a region of
 * `region` bytes (a multiple of pgsize) with Alloc pages of pgsize
 * (populate or lazy), touches it, runs `reps` sequential and random-stride
 * read passes, checks fault and page-table counts and the contents, then
 * destroys the space and checks that axalloc got every page back. Fills *r
 * (r->measured false if the region could not be mapped, e.g. for lack of
 * memory) and returns the number of failed checks (each also reported by
 * hp_fail).
 */
int hp_measure(uint64_t region, uint64_t pgsize, bool populate, unsigned reps, struct hp_result *r);

/* "4K", "2M" or "1G". */
const char *hp_pgsize_name(uint64_t pgsize);

/*
 * Prints the aligned table, the lazy-fault cost table and the conclusion
 * line; with CONFIG_HUGEPAGE_BENCH_MARKDOWN also the same as markdown
 * between BENCH-BEGIN and BENCH-END lines (for `make bench`).
 * res[0..n) in measuring order (page size ascending, populate then lazy).
 */
void hp_report(const struct hp_result *res, int n, uint64_t region, unsigned reps);

#endif

/*
 * thp.h - what the parts of the thp app share: the ballast and the
 * fragmenting pages that shape physical memory, one measured run (policy x
 * fragmentation, with or without direct compaction), the collapse pass,
 * and the failed-check counter.
 */
#ifndef APPS_THP_THP_H
#define APPS_THP_THP_H

#include <axhal/mem.h>
#include <klib/spread.h>
#include <mm-addrspace/aspace.h>
#include <stdbool.h>
#include <stdint.h>

#define THP_MIB_SHIFT	 20
#define THP_PAGES_PER_2M (PAGE_SIZE_2M / PAGE_SIZE_4K)
#define THP_NS_PER_MS	 1000000UL
#define THP_PS_PER_NS	 1000UL
#define THP_NR_POLICIES	 3
#define THP_NR_FRAGS	 3
#define THP_NR_RUNS	 (THP_NR_POLICIES * THP_NR_FRAGS + 1) /* and the compaction run */
/* The space covers the low half from 1 GiB up; regions start on a 1G boundary. */
#define THP_SPACE_BASE	 PAGE_SIZE_1G
#define THP_REGION_ALIGN PAGE_SIZE_1G
/* Percent values are kept in tenths of a percent. */
#define THP_PERMILLE 1000

/*
 * Ballast: the free memory the app holds so that a run sees exactly what it
 * should. Blocks (2M, naturally aligned) and pages (4K) are kept in two
 * lists linked through their own first word, so holding them costs no heap.
 */
struct thp_ballast {
	paddr_t blocks;	    /* list of held 2M blocks */
	paddr_t pages;	    /* list of held single pages */
	uint64_t nr_blocks; /* held 2M blocks */
	uint64_t nr_pages;  /* held single pages */
	paddr_t give_floor; /* lowest block given back whole or pinned (thp_ballast_shape) */
};

/* What direct compaction did during a first touch: axalloc_stats' compact_* differences. */
struct thp_compaction {
	uint64_t stall;	   /* compact_stall: faults that compacted */
	uint64_t success;  /* compact_success */
	uint64_t fail;	   /* compact_fail */
	uint64_t scanned;  /* compact_migrate_scanned */
	uint64_t migrated; /* compact_pages_migrated */
	uint64_t failed;   /* compact_pages_failed */
};

/* Everything measured for one policy at one fragmentation level. */
struct thp_result {
	enum aspace_thp_policy policy;
	unsigned frag_pct;   /* share of the region's blocks pinned, in percent */
	uint64_t pinned;     /* blocks given back with one movable 4K page of another space */
	bool compaction;     /* direct compaction was on during the first touch */
	bool measured;	     /* the run happened: the numbers below are valid */
	uint64_t faults;     /* aspace stats: faults of the first touch */
	uint64_t thp_2m;     /* transparent 2M pages mapped after the first touch */
	uint64_t fallbacks;  /* thp_fault_fallback */
	uint64_t pt_pages;   /* page-table pages, root included */
	uint64_t touch_ns;   /* first touch: one byte written per 4K page, in order */
	struct spread rand;  /* time per access of the random-access passes */
	uint64_t used_after; /* axalloc used pages after the run gave everything back */
	struct thp_compaction compact; /* with compaction: what it did */
};

/* The collapse pass over one run's space (thp_collapse_pass). */
struct thp_collapse_result {
	bool done;
	enum aspace_thp_policy policy; /* of the run it worked on */
	unsigned frag_pct;
	uint64_t free_2m;	      /* free 2M frames once the ballast was released */
	uint64_t thp_before;	      /* 2M pages when the pass started */
	uint64_t scan_steps;	      /* aspace_khugepaged_scan calls */
	uint64_t scan_collapsed;      /* blocks they collapsed */
	uint64_t scan_ns;	      /* their time */
	uint64_t thp_after_scan;      /* 2M pages after the scan */
	uint64_t collapsed;	      /* blocks aspace_collapse collapsed */
	uint64_t collapse_ns;	      /* its time */
	uint64_t thp_after;	      /* 2M pages after both */
	uint64_t alloc_failed;	      /* thp_collapse_alloc_failed */
	uint64_t pt_before, pt_after; /* page-table pages before and after the pass */
};

/*
 * Records a failed check: prints "thp: FAILED: <message>" and counts it.
 * thp_failures() returns the count so far.
 */
void thp_fail(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));
int thp_failures(void);

/*
 * Takes every free 2M-aligned 2M block (until -ENOMEM), then every free 4K
 * page left, into *b (which must be empty). With `warm`, writes every page
 * taken once (the host backs QEMU's RAM on first write). Returns the number
 * of 2M blocks taken.
 */
uint64_t thp_ballast_take(struct thp_ballast *b, bool warm);

/*
 * Gives back what a run may use, all of it above the spare pool: `give`
 * blocks, `pinned` of them (spread evenly) with fragmenting page 0, 1, ...
 * (thp_frag_create made them) moved into their first frame and the others
 * whole, and the `spare` lowest held blocks with two pages of each kept
 * (510 free pages each, never a free 2M block). So exactly give - pinned
 * 2M blocks are free. Checks that a single page now comes from the spare
 * pool (the allocator takes the lowest address first) and records the
 * lowest given block in b->give_floor. -ENOMEM (nothing given back) if
 * fewer than spare + give blocks are held.
 */
int thp_ballast_shape(struct thp_ballast *b, uint64_t spare, uint64_t give, uint64_t pinned);

/* Frees every held block and page; *b is empty afterwards. */
void thp_ballast_release(struct thp_ballast *b);

/*
 * Spare-pool blocks (511 free pages each) a run over `blocks` 2M blocks
 * needs for page tables, the heap and the pages its pinned blocks lack.
 */
uint64_t thp_spare_blocks(uint64_t blocks);

/*
 * Free 2M frames now: the page allocator's free blocks of order 9 and up,
 * counted in 2M units.
 */
uint64_t thp_free_2m_frames(void);

/*
 * The fragmenting pages (fragment.c): `pages` 4K pages of a space of their
 * own (policy never), populated and stamped. thp_frag_create returns 0 or
 * an error (nothing created); call it before taking the ballast.
 * thp_frag_move migrates page i, whose frame it stores in *from, and
 * checks that it lands in `to` (the caller made that the only free frame):
 * 0 or aspace_migrate's error. thp_frag_destroy checks every stamp (a
 * failed check each wrong one) and destroys the space.
 */
int thp_frag_create(uint64_t pages);
int thp_frag_move(uint64_t i, paddr_t to, paddr_t *from);
void thp_frag_destroy(void);

/*
 * Direct compaction around a first touch (compaction.c): start turns it on
 * with the fragmented memory in place, stop turns it off again and stores
 * what it did in *c. Direct compaction is off everywhere else in the app.
 */
void thp_compaction_start(void);
void thp_compaction_stop(struct thp_compaction *c);

/*
 * One run: fragments free memory (frag_pct % of the region's blocks
 * pinned), creates a space with `policy` (madvise: the first half of the
 * region advised HUGEPAGE), touches one byte of every 4K page in order
 * through the MMU (with direct compaction on when `compaction`), runs
 * `reps` random-access passes (none when 0), checks the exact counts the setup implies
 * and the contents, then destroys the space, releases the ballast and
 * checks that the used pages are back at `baseline`. With c != NULL, runs
 * the collapse pass on the space before destroying it. Fills *r; returns
 * the number of failed checks.
 */
int thp_measure(enum aspace_thp_policy policy, unsigned frag_pct, bool compaction, uint64_t region,
		unsigned reps, uint64_t baseline, struct thp_result *r,
		struct thp_collapse_result *c);

/*
 * The collapse pass on a run's space `as` (active, the region at va, the
 * ballast and the fragmenting pages already released): khugepaged scan
 * steps over the areas its policy allows, then aspace_collapse over the
 * whole region; times both, checks the counters, the page tables and the
 * contents (byte thp_pattern(i) at the start of page i). Fills *c.
 */
void thp_collapse_pass(struct aspace *as, vaddr_t va, uint64_t region,
		       struct thp_collapse_result *c);

/*
 * The split step: in a space of its own with policy always, touches two
 * transparent 2M pages, unmaps one 4K page inside the first and prints
 * aspace_query around it before and after, with thp_split_pmd; checks the
 * page sizes, the counters, the contents and that the used pages are back
 * at `baseline` after destroy.
 */
void thp_split_demo(uint64_t baseline);

/* The byte the first touch writes at the start of 4K page i of a region (never 0). */
static inline uint8_t thp_pattern(uint64_t i)
{
	return (uint8_t)(i * 37 + 1) | 1;
}

/*
 * Writes thp_pattern(i) into the first byte of each 4K page i of the
 * `pages` pages at va, in address order, through the MMU: the first touch.
 */
void thp_touch(vaddr_t va, uint64_t pages);

/*
 * Reads the first byte of each page back through the MMU; every mismatch
 * is a failed check (the first one and the count are reported, named
 * `what`). `skip` is a page index not to check (a hole), or UINT64_MAX.
 * Returns the number of pages that read back wrong.
 */
uint64_t thp_check_pattern(const char *what, vaddr_t va, uint64_t pages, uint64_t skip);

/*
 * Runs `reps` random-access passes over the `pages` pages at va: each pass
 * reads `pages` bytes at the same seeded random addresses (CONFIG_THP_SEED)
 * and must find the pattern where the first touch wrote it and 0 elsewhere.
 * Stores the minimum, median and maximum time per access in *s.
 */
void thp_random_passes(const char *what, vaddr_t va, uint64_t pages, unsigned reps,
		       struct spread *s);

/* Share of `region` that `thp_2m` 2M pages map, in tenths of a percent. */
uint64_t thp_share_permille(uint64_t thp_2m, uint64_t region);

/* "never", "always" or "madvise". */
const char *thp_policy_name(enum aspace_thp_policy policy);

/* Used pages of axalloc's page allocator now. */
uint64_t thp_used_pages(void);

/*
 * Prints the table of the runs (res[0..n), those not measured left out)
 * and, when c->done, the collapse pass.
 */
void thp_report(const struct thp_result *res, int n, const struct thp_collapse_result *c,
		uint64_t region, unsigned reps);

/*
 * Prints the closing line computed from the runs and the collapse pass;
 * with CONFIG_THP_BENCH_MARKDOWN also the table, the collapse pass and
 * that line as markdown between BENCH-BEGIN and BENCH-END lines (for
 * `make bench`).
 */
void thp_report_conclusion(const struct thp_result *res, int n, const struct thp_collapse_result *c,
			   uint64_t region, unsigned reps);

#endif

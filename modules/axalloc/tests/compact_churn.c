/*
 * compact_churn.c - how many 2M blocks compaction gets back after long
 * churn (issue 11's targets), over the page allocator the program is built
 * with.
 *
 * A pool of 1 GiB, fresh for every row. Allocations are movable runs of 1
 * to 4 pages (uniform), or, in the second workload, 2M-aligned runs of 512
 * pages for 1 % of them. Allocate up to the occupancy target, then OPS
 * steps: free a random live allocation (so lifetimes are random) when at or
 * above the target, else allocate. Every page holds a tag of its
 * allocation and its index in its first word.
 *
 * The benchmark is its own migrator (axalloc_set_migrator) over its table
 * of live allocations: a per-frame owner index finds the allocation that
 * holds a frame. check_only answers 1 (one frame) for any frame of a live allocation.
 * Moving is done in one of two ways, one pass each:
 *   whole: the whole allocation moves to a new movable run of the same size
 *          and alignment (contents copied, old frames freed); -ENOMEM when
 *          no such run is free;
 *   4K:    only the 4K frame asked for moves, to any free page, as
 *          mm-addrspace's migrator moves the 4K pages of an Alloc area (an
 *          allocation may then be scattered); 2M allocations still move whole.
 *
 * Then, per row: free pages; the ideal number of 2M blocks (free pages /
 * 512); the 2M blocks allocatable before compaction (taken until one fails,
 * and kept); then, per pass, axalloc_compact(9) and taking the freed block
 * until compaction fails, with the time of that loop and compaction's
 * counters (the whole pass first, then the 4K pass from where it stopped);
 * and every page's tag, which must have survived. The blocks taken are then
 * given back. The 90 % row of the first workload also prints its block map
 * (axalloc_block_map) before and after each pass, for scripts/plot-block-map.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "compact_churn.h"
#include "hal_host.h"
#include "test_rand.h"
#include "test_seed.h"
#include <axalloc/axalloc.h>

#define POOL_BASE    0x80000000UL
#define PAGES_2M     (PAGE_SIZE_2M / PAGE_SIZE)
#define MAX_SMALL    4 /* pages of the largest small allocation */
#define DEFAULT_SEED 0x5eed2024ULL
#define MAP_LINE     64 /* blocks per line of a printed map */
#define MAP_OCC	     90 /* the occupancy whose maps are printed */
#define NR_OCC	     3
#define NR_WORKLOADS 2
#define NR_ROWS	     (NR_WORKLOADS * NR_OCC)

static const unsigned occupancies[NR_OCC] = {50, 75, 90};
/* Per workload: allocations of 512 pages per thousand, and its name. */
static const unsigned huge_permille[NR_WORKLOADS] = {0, 10};
static const char *const workload_name[NR_WORKLOADS] = {"1-4 pages", "1-4 pages, 1 % 2M"};

/* The two ways of moving an allocation, one compaction pass each, in this order. */
enum move_mode { MOVE_WHOLE, MOVE_4K, NR_MODES };
static const char *const mode_name[NR_MODES] = {"whole allocations", "4K frames"};

/* Sizes of a full run and of --quick. */
struct sizes {
	uint64_t pool_bytes;
	uint64_t ops;
};
static const struct sizes full_sizes = {1UL << 30, 4000000};
static const struct sizes quick_sizes = {64UL << 20, 20000};

/*
 * One live allocation: n pages; a 2M one is always the contiguous run at
 * frame[0], a small one has its own frame per page.
 */
struct allocation {
	paddr_t frame[MAX_SMALL];
	uint32_t n;
	uint32_t id; /* what its pages' tags are made of */
};

/* The live allocations, the owner index of the pool's frames and the move mode. */
static struct {
	struct allocation *live;
	uint64_t nr_live;
	uint32_t *owner; /* per frame from POOL_BASE: 1 + index into live, 0 for none */
	uint64_t nr_frames;
	uint64_t used_pages;
	uint32_t next_id;
	enum move_mode mode;
} T;

/* What one compaction pass of a row did. */
struct pass {
	uint64_t blocks;  /* 2M blocks held after it (those before included) */
	uint64_t calls;	  /* axalloc_compact calls, the failing last one included */
	double ms;	  /* time of all of them */
	double median_ms; /* median time of one successful call */
	struct axalloc_compact_result sum;
};

/* One row of the tables. */
struct row {
	unsigned workload, occ;
	uint64_t alloc_fails; /* churn allocations that failed */
	uint64_t free_pages, ideal, before;
	struct pass pass[NR_MODES];
};

static uint64_t page_tag(uint32_t id, uint64_t i)
{
	return ((uint64_t)id << 32 | i) * 0x9e3779b97f4a7c15ULL;
}

static uint64_t align_of(uint64_t n)
{
	return n == PAGES_2M ? PAGE_SIZE_2M : PAGE_SIZE;
}

/* The frame of page i of a. */
static paddr_t frame_of(const struct allocation *a, uint64_t i)
{
	return a->n == PAGES_2M ? a->frame[0] + i * PAGE_SIZE : a->frame[i];
}

/* Sets the owner word of the n frames from pa. */
static void set_owner(paddr_t pa, uint64_t n, uint32_t owner)
{
	uint64_t f = (pa - POOL_BASE) / PAGE_SIZE;

	for (uint64_t i = 0; i < n; i++)
		T.owner[f + i] = owner;
}

/* Gives back the frames of a and clears their owner words. */
static void free_frames(const struct allocation *a)
{
	uint64_t runs = a->n == PAGES_2M ? 1 : a->n, len = a->n == PAGES_2M ? PAGES_2M : 1;

	for (uint64_t i = 0; i < runs; i++) {
		set_owner(a->frame[i], len, 0);
		if (axalloc_free_pages(a->frame[i], len) != 0)
			abort(); /* the frames were allocated: a bug */
	}
}

/* Moves the whole allocation `owner` to a new run: 0 or -ENOMEM. */
static int move_whole(uint32_t owner)
{
	struct allocation *a = &T.live[owner - 1], old = *a;
	paddr_t to;

	if (axalloc_alloc_pages(a->n, align_of(a->n), AXALLOC_MOVABLE, &to) != 0)
		return -ENOMEM;
	for (uint64_t i = 0; i < a->n; i++)
		memcpy(phys_to_virt(to + i * PAGE_SIZE), phys_to_virt(frame_of(&old, i)),
		       PAGE_SIZE);
	free_frames(&old);
	for (uint64_t i = 0; i < (a->n == PAGES_2M ? 1 : a->n); i++)
		a->frame[i] = to + i * PAGE_SIZE;
	set_owner(to, a->n, owner);
	return 0;
}

/* Moves the frame at pa of the small allocation `owner` to any free page: 0 or -ENOMEM. */
static int move_4k(uint32_t owner, paddr_t pa)
{
	struct allocation *a = &T.live[owner - 1];
	uint32_t i = 0;
	paddr_t to;

	while (i < a->n && a->frame[i] != pa)
		i++;
	if (i == a->n)
		abort(); /* the owner index is wrong: a bug */
	if (axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_MOVABLE, &to) != 0)
		return -ENOMEM;
	memcpy(phys_to_virt(to), phys_to_virt(pa), PAGE_SIZE);
	set_owner(pa, 1, 0);
	if (axalloc_free_pages(pa, 1) != 0)
		abort();
	a->frame[i] = to;
	set_owner(to, 1, owner);
	return 0;
}

/* The migrator: moves what holds the frame at pa, as T.mode says. */
static int churn_migrate(paddr_t pa, bool check_only)
{
	uint64_t f = (pa - POOL_BASE) / PAGE_SIZE;
	uint32_t owner;

	if (pa < POOL_BASE || f >= T.nr_frames || (owner = T.owner[f]) == 0)
		return -ENOENT;
	if (check_only)
		return 1; /* one frame at a time: its allocation may start below pa */
	if (T.mode == MOVE_4K && T.live[owner - 1].n != PAGES_2M)
		return move_4k(owner, pa);
	return move_whole(owner);
}

/* Allocates a run of n pages and tags it; false when out of memory. */
static bool alloc_one(uint64_t n)
{
	struct allocation *a = &T.live[T.nr_live];
	paddr_t pa;

	if (axalloc_alloc_pages(n, align_of(n), AXALLOC_MOVABLE, &pa) != 0)
		return false;
	a->n = (uint32_t)n;
	a->id = T.next_id++;
	for (uint64_t i = 0; i < (n == PAGES_2M ? 1 : n); i++)
		a->frame[i] = pa + i * PAGE_SIZE;
	for (uint64_t i = 0; i < n; i++)
		*(uint64_t *)phys_to_virt(pa + i * PAGE_SIZE) = page_tag(a->id, i);
	set_owner(pa, n, (uint32_t)++T.nr_live);
	T.used_pages += n;
	return true;
}

/* Frees live[i]; the last allocation takes its slot. */
static void free_one(uint64_t i)
{
	struct allocation *a = &T.live[i];

	free_frames(a);
	T.used_pages -= a->n;
	*a = T.live[--T.nr_live];
	if (i == T.nr_live)
		return;
	for (uint64_t k = 0; k < (a->n == PAGES_2M ? 1 : a->n); k++)
		set_owner(a->frame[k], a->n == PAGES_2M ? PAGES_2M : 1, (uint32_t)(i + 1));
}

/* The size of the next allocation. */
static uint64_t next_size(unsigned workload, uint64_t *rng)
{
	if (test_rand_below(rng, 1000) < huge_permille[workload])
		return PAGES_2M;
	return test_rand_range(rng, 1, MAX_SMALL);
}

/* Fills the pool to `target` used pages, then churns for `ops` steps; returns failed allocations.
 */
static uint64_t churn(unsigned workload, uint64_t target, uint64_t ops, uint64_t *rng)
{
	uint64_t fails = 0;

	while (T.used_pages < target)
		if (!alloc_one(next_size(workload, rng)) && ++fails > target)
			break; /* cannot reach the target */
	for (uint64_t s = 0; s < ops; s++) {
		if (T.used_pages >= target && T.nr_live > 0)
			free_one(test_rand_below(rng, T.nr_live));
		else if (!alloc_one(next_size(workload, rng)))
			fails++;
	}
	return fails;
}

/* Number of live allocations with a page whose tag changed. */
static uint64_t corrupted(void)
{
	uint64_t bad = 0;

	for (uint64_t k = 0; k < T.nr_live; k++) {
		const struct allocation *a = &T.live[k];

		for (uint64_t i = 0; i < a->n; i++)
			if (*(uint64_t *)phys_to_virt(frame_of(a, i)) != page_tag(a->id, i)) {
				bad++;
				break;
			}
	}
	return bad;
}

/* A fresh pool of `bytes`: 0, or -1 when axalloc_init fails. */
static int fresh_pool(uint64_t bytes)
{
	const struct mem_range ram = {POOL_BASE, bytes};

	hal_host_unmap_all();
	hal_host_map_phys(POOL_BASE, bytes);
	if (axalloc_init(&ram, 1, NULL, 0) != 0)
		return -1;
	T.nr_frames = bytes / PAGE_SIZE;
	memset(T.owner, 0, T.nr_frames * sizeof(*T.owner));
	T.nr_live = 0;
	T.used_pages = 0;
	axalloc_set_migrator(churn_migrate);
	return 0;
}

/* The maps of a row: before compaction, then after each pass; `size` bytes each. */
struct maps {
	char *map[NR_MODES + 1];
	uint64_t size, count;
};
static const char *const map_name[NR_MODES + 1] = {"before", "after-whole", "after-4k"};

/*
 * Prints the maps, each as an HTML comment naming it (what
 * scripts/plot-block-map looks for) and a code block of lines of MAP_LINE
 * blocks, each after the address of its first block.
 */
static void print_maps(const struct maps *m)
{
	struct axalloc_range r;
	paddr_t first;

	axalloc_get_ranges(&r, 1);
	first = ALIGN_DOWN(r.base, PAGE_SIZE_2M);
	for (int k = 0; k <= NR_MODES; k++) {
		printf("<!-- block-map %s %s -->\n```text\n", axalloc_page_allocator_name(),
		       map_name[k]);
		for (uint64_t i = 0; i < m->count; i += MAP_LINE)
			printf("%#lx %.*s\n", (unsigned long)(first + i * PAGE_SIZE_2M),
			       (int)(m->count - i < MAP_LINE ? m->count - i : MAP_LINE),
			       m->map[k] + i);
		printf("```\n\n");
	}
}

/*
 * One compaction pass: axalloc_compact(9) then taking the freed block into
 * blocks[] (*nr so far, room for `room`), until compaction fails.
 */
static void compact_pass(enum move_mode mode, paddr_t *blocks, uint64_t *nr, uint64_t room,
			 struct pass *p)
{
	double *call_ms = malloc((room + 1) * sizeof(*call_ms));
	uint64_t ok = 0;

	if (!call_ms)
		abort();
	T.mode = mode;
	while (*nr < room) {
		struct axalloc_compact_result r;
		double t0 = bench_now_ns();
		int err = axalloc_compact(9, &r);
		double ms = (bench_now_ns() - t0) / 1e6;

		p->calls++;
		p->ms += ms;
		p->sum.blocks_tried += r.blocks_tried;
		p->sum.pages_scanned += r.pages_scanned;
		p->sum.pages_migrated += r.pages_migrated;
		p->sum.pages_failed += r.pages_failed;
		if (err != 0 ||
		    axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_MOVABLE, &blocks[*nr]) != 0)
			break;
		call_ms[ok++] = ms;
		(*nr)++;
	}
	p->blocks = *nr;
	p->median_ms = ok ? bench_median(call_ms, (int)ok) : 0;
	free(call_ms);
}

/*
 * Runs one row and fills *row; with maps, takes the block map before and
 * after each pass into them. Returns 0, or 1 when the set-up failed or some
 * contents did not survive.
 */
static int run_row(const struct sizes *sz, unsigned workload, unsigned occ, uint64_t *rng,
		   struct row *row, struct maps *maps)
{
	struct axalloc_stats st;
	paddr_t *blocks;
	uint64_t nr = 0, bad;

	if (fresh_pool(sz->pool_bytes) != 0)
		return 1;
	axalloc_stats(&st);
	*row = (struct row){.workload = workload, .occ = occ};
	row->alloc_fails = churn(workload, st.pages.total_pages * occ / 100, sz->ops, rng);
	axalloc_stats(&st);
	row->free_pages = st.pages.free_pages;
	row->ideal = row->free_pages / PAGES_2M;
	if (maps)
		maps->count = axalloc_block_map(maps->map[0], maps->size);
	/* Room for every block the free pages could make: no pass can take more. */
	blocks = malloc((row->ideal + 1) * sizeof(*blocks));
	if (!blocks)
		abort();
	while (nr < row->ideal &&
	       axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_MOVABLE, &blocks[nr]) == 0)
		nr++;
	row->before = nr;
	for (int m = 0; m < NR_MODES; m++) {
		compact_pass((enum move_mode)m, blocks, &nr, row->ideal, &row->pass[m]);
		if (maps) {
			/* The blocks taken go back for the picture, then are taken again. */
			for (uint64_t i = 0; i < nr; i++)
				if (axalloc_free_pages(blocks[i], PAGES_2M) != 0)
					abort();
			axalloc_block_map(maps->map[m + 1], maps->size);
			for (uint64_t i = 0; i < nr; i++)
				if (axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_MOVABLE,
							&blocks[i]) != 0)
					abort(); /* nothing else allocates meanwhile */
		}
	}
	while (nr > 0)
		if (axalloc_free_pages(blocks[--nr], PAGES_2M) != 0)
			abort();
	free(blocks);
	bad = corrupted();
	if (bad)
		fprintf(stderr, "bench_compact: %lu allocations lost their contents (%s, %u %%)\n",
			(unsigned long)bad, workload_name[workload], occ);
	return bad != 0;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 100.0;
}

/* The two tables of the rows. */
static void print_tables(const struct row *rows, int n)
{
	printf("| allocations | occupancy | failed allocations | free pages | ideal 2M | before | "
	       "after, moving %s | after, then moving %s |\n",
	       mode_name[MOVE_WHOLE], mode_name[MOVE_4K]);
	printf("|:--|--:|--:|--:|--:|--:|--:|--:|\n");
	for (int i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		printf(
		    "| %s | %u %% | %lu | %lu | %lu | %lu (%.1f %%) | %lu (%.1f %%) | %lu (%.1f "
		    "%%) "
		    "|\n",
		    workload_name[r->workload], r->occ, (unsigned long)r->alloc_fails,
		    (unsigned long)r->free_pages, (unsigned long)r->ideal, (unsigned long)r->before,
		    pct(r->before, r->ideal), (unsigned long)r->pass[MOVE_WHOLE].blocks,
		    pct(r->pass[MOVE_WHOLE].blocks, r->ideal),
		    (unsigned long)r->pass[MOVE_4K].blocks, pct(r->pass[MOVE_4K].blocks, r->ideal));
	}
	printf("\nCompaction per pass: `axalloc_compact(9)` calls (the failing last one included), "
	       "their total time and the median successful call, and compaction's counters "
	       "summed over the calls (migrated: 4K pages moved out of the blocks tried).\n\n");
	printf("| allocations | occupancy | moving | calls | ms | median call ms | blocks tried | "
	       "pages scanned | migrated | failed |\n");
	printf("|:--|--:|:--|--:|--:|--:|--:|--:|--:|--:|\n");
	for (int i = 0; i < n; i++)
		for (int m = 0; m < NR_MODES; m++) {
			const struct pass *p = &rows[i].pass[m];

			printf("| %s | %u %% | %s | %lu | %.1f | %.2f | %lu | %lu | %lu | %lu |\n",
			       workload_name[rows[i].workload], rows[i].occ, mode_name[m],
			       (unsigned long)p->calls, p->ms, p->median_ms,
			       (unsigned long)p->sum.blocks_tried,
			       (unsigned long)p->sum.pages_scanned,
			       (unsigned long)p->sum.pages_migrated,
			       (unsigned long)p->sum.pages_failed);
		}
}

int compact_churn_main(int argc, char **argv)
{
	bool quick = bench_quick(argc, argv);
	const struct sizes *sz = quick ? &quick_sizes : &full_sizes;
	uint64_t seed = host_test_seed(DEFAULT_SEED), rng = seed;
	uint64_t frames = sz->pool_bytes / PAGE_SIZE;
	struct maps maps = {.size = sz->pool_bytes / PAGE_SIZE_2M + 1};
	struct row rows[NR_ROWS];
	double t0 = bench_now_s();
	int status = 0, n = 0;

	T.live = malloc(frames * sizeof(*T.live));
	T.owner = malloc(frames * sizeof(*T.owner));
	for (int k = 0; k <= NR_MODES; k++)
		maps.map[k] = malloc(maps.size);
	if (!T.live || !T.owner || !maps.map[0] || !maps.map[1] || !maps.map[2]) {
		fprintf(stderr, "bench_compact: out of host memory\n");
		return 1;
	}
	for (unsigned w = 0; w < NR_WORKLOADS; w++)
		for (unsigned o = 0; o < NR_OCC; o++) {
			bool with_maps = w == 0 && occupancies[o] == MAP_OCC;

			status |= run_row(sz, w, occupancies[o], &rng, &rows[n++],
					  with_maps ? &maps : NULL);
		}
	axalloc_set_migrator(NULL);
	printf("## Compaction after churn (%s page allocator)\n\n", axalloc_page_allocator_name());
	printf(
	    "Host, -O2, seed %#llx (`TEST_SEED=%#llx`), one run per row. A fresh %lu MiB pool "
	    "per row; movable allocations of 1-4 pages (or, in the second workload, 2M-aligned "
	    "512 pages for 1 %% of them), filled to the occupancy, then %lu steps: free a random "
	    "live allocation when at or above it, else allocate. Ideal: free pages / 512. "
	    "Before: 2M blocks allocated until one fails (kept). After: plus "
	    "`axalloc_compact(9)` then taking the freed block, until compaction fails, first "
	    "with a migrator that moves the whole allocation holding a frame to a new run of "
	    "the same size (it needs a free run of 1-4 pages), then, from there, with one "
	    "that moves only the 4K frame, as mm-addrspace moves Alloc pages (2M allocations "
	    "move whole in both).%s Whole run: %.1f s.\n\n",
	    (unsigned long long)seed, (unsigned long long)seed,
	    (unsigned long)(sz->pool_bytes >> 20), (unsigned long)sz->ops,
	    quick ? " (--quick run)" : "", bench_now_s() - t0);
	print_tables(rows, n);
	printf("\nBlock maps of the %u %% pool of the first workload, one character per 2M block "
	       "('.' free, 'M' movable pages in use), before compaction and after each pass "
	       "(the blocks taken given back); scripts/plot-block-map draws them as "
	       "docs/block-map.svg.\n\n",
	       MAP_OCC);
	print_maps(&maps);
	for (int k = 0; k <= NR_MODES; k++)
		free(maps.map[k]);
	free(T.live);
	free(T.owner);
	return status;
}

/*
 * test_grouping.c - the grouping-by-mobility part of the page-allocator
 * contract (pgalloc/pgalloc.h, src/grouping.c), run against both
 * allocators: unmovable pages stay in a region of whole 2M groups that
 * ends at the pivot and grows down only when full, apart from movable
 * pages; the floor comes back up over groups freed again; requests cross
 * into the other part only when nothing else fits, and are counted.
 *
 * The random case is seeded (TEST_SEED, default GROUPING_SEED), prints its
 * seed and names it in every failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <axalloc-bitmap/bitmap.h>
#include <axalloc-buddy/buddy.h>

#include "pgalloc_inst.h"
#include "test_rand.h"
#include "test_seed.h"

#define BASE	     0x80000000ULL /* 1G-aligned */
#define PG(i)	     ((paddr_t)(i) << PAGE_SHIFT)
#define PAGES_PER_2M (PAGE_SIZE_2M >> PAGE_SHIFT)
#define POOL_2M	     32 /* blocks of the small pool: 64 MiB */

#define GROUPING_SEED 20261203ULL

static int setup(void **state)
{
	const struct pgalloc_ops *ops = *state;
	struct pgalloc_inst *in = calloc(1, sizeof(*in));

	assert_non_null(in);
	pgalloc_inst_create(in, ops);
	*state = in;
	return 0;
}

static int teardown(void **state)
{
	pgalloc_inst_destroy(*state);
	free(*state);
	return 0;
}

static struct pgalloc_grouping grouping_of(const struct pgalloc_inst *in)
{
	struct pgalloc_grouping g;

	pgalloc_grouping(in->pg, &g);
	return g;
}

/* One page of mobility mob that must be allocated. */
static paddr_t page_ok(struct pgalloc_inst *in, enum pgalloc_mobility mob)
{
	paddr_t pa = 0;

	assert_int_equal(pgalloc_alloc(in->pg, 1, PAGE_SIZE_4K, mob, &pa), 0);
	return pa;
}

/* Which kinds of page each 2M block of the pool holds: bit 0 movable, bit 1 unmovable. */
struct block_kinds {
	unsigned kinds[POOL_2M];
};

static void note_page(struct block_kinds *k, paddr_t pa, enum pgalloc_mobility mob)
{
	k->kinds[(pa - BASE) / PAGE_SIZE_2M] |= mob == PGALLOC_MOVABLE ? 1u : 2u;
}

/* The empty region sits at the pivot: the top of a pool smaller than 1G, 1G above BASE otherwise.
 */
static void test_region_starts_empty_at_pivot(void **state)
{
	struct pgalloc_inst *in = *state;

	assert_int_equal(pgalloc_inst_add(in, BASE, PG(POOL_2M * PAGES_PER_2M)), 0);
	assert_int_equal(grouping_of(in).pivot, BASE + POOL_2M * PAGE_SIZE_2M);
	assert_int_equal(grouping_of(in).unmovable_floor, grouping_of(in).pivot);
	assert_int_equal(pgalloc_inst_add(in, BASE + 2 * PAGE_SIZE_1G, PAGE_SIZE_2M), 0);
	assert_int_equal(grouping_of(in).pivot, BASE + PAGE_SIZE_1G);
	assert_int_equal(grouping_of(in).unmovable_floor, BASE + PAGE_SIZE_1G);
}

/*
 * Single pages of both kinds in a seeded random order, with random frees,
 * below half occupancy: no 2M block ever holds both kinds, every
 * unmovable page lies in [floor, pivot) and every movable one below the
 * floor, the region is exactly as many groups as the most unmovable pages
 * live at once need, and nothing spills.
 */
static void test_kinds_never_share_a_block(void **state)
{
	struct pgalloc_inst *in = *state;
	uint64_t seed = host_test_seed(GROUPING_SEED), rng = seed;
	enum { N = 6000 };
	static paddr_t pa[N];
	static enum pgalloc_mobility mob[N];
	uint64_t live = 0, live_unmovable = 0, peak_unmovable = 0;
	struct block_kinds k = {{0}};

	print_message("%s: kinds_never_share_a_block: TEST_SEED=%llu\n", in->ops->name,
		      (unsigned long long)seed);
	assert_int_equal(pgalloc_inst_add(in, BASE, PG(POOL_2M * PAGES_PER_2M)), 0);
	for (int step = 0; step < 40000; step++) {
		if (live > 0 && (live == N || test_rand_below(&rng, 100) < 45)) {
			uint64_t i = test_rand_below(&rng, live);

			assert_int_equal(pgalloc_free(in->pg, pa[i], 1), 0);
			live_unmovable -= mob[i] == PGALLOC_UNMOVABLE;
			pa[i] = pa[--live];
			mob[i] = mob[live];
			continue;
		}
		mob[live] = test_rand_below(&rng, 100) < 15 ? PGALLOC_UNMOVABLE : PGALLOC_MOVABLE;
		pa[live] = page_ok(in, mob[live]);
		live_unmovable += mob[live] == PGALLOC_UNMOVABLE;
		if (live_unmovable > peak_unmovable)
			peak_unmovable = live_unmovable;
		live++;
	}
	struct pgalloc_grouping g = grouping_of(in);
	for (uint64_t i = 0; i < live; i++) {
		note_page(&k, pa[i], mob[i]);
		if ((mob[i] == PGALLOC_UNMOVABLE) != (pa[i] >= g.unmovable_floor))
			fail_msg("TEST_SEED=%llu: %s page %#llx on the wrong side of floor %#llx",
				 (unsigned long long)seed,
				 mob[i] == PGALLOC_MOVABLE ? "movable" : "unmovable",
				 (unsigned long long)pa[i], (unsigned long long)g.unmovable_floor);
	}
	for (int b = 0; b < POOL_2M; b++)
		if (k.kinds[b] == 3)
			fail_msg("TEST_SEED=%llu: 2M block %d holds both kinds",
				 (unsigned long long)seed, b);
	assert_int_equal((g.pivot - g.unmovable_floor) / PAGE_SIZE_2M,
			 (peak_unmovable + PAGES_PER_2M - 1) / PAGES_PER_2M);
	assert_int_equal(g.spills, 0);
	assert_int_equal(pgalloc_check(in->pg), 0);
}

/*
 * Unmovable pages fill two groups and are freed; movable pages then fill
 * everything below the floor, and the next ones take the free groups back
 * (the floor rises to the pivot) rather than spill.
 */
static void test_floor_comes_back(void **state)
{
	struct pgalloc_inst *in = *state;
	static paddr_t pa[2 * PAGES_PER_2M];
	paddr_t top = BASE + POOL_2M * PAGE_SIZE_2M, got;

	assert_int_equal(pgalloc_inst_add(in, BASE, PG(POOL_2M * PAGES_PER_2M)), 0);
	for (unsigned i = 0; i < 2 * PAGES_PER_2M; i++)
		pa[i] = page_ok(in, PGALLOC_UNMOVABLE);
	assert_int_equal(grouping_of(in).unmovable_floor, top - 2 * PAGE_SIZE_2M);
	for (unsigned i = 0; i < 2 * PAGES_PER_2M; i++)
		assert_int_equal(pgalloc_free(in->pg, pa[i], 1), 0);
	for (unsigned i = 0; i < POOL_2M - 2; i++)
		assert_int_equal(
		    pgalloc_alloc(in->pg, PAGES_PER_2M, PAGE_SIZE_2M, PGALLOC_MOVABLE, &got), 0);
	got = page_ok(in, PGALLOC_MOVABLE);
	assert_int_equal(got, top - 2 * PAGE_SIZE_2M);
	assert_int_equal(grouping_of(in).unmovable_floor, top - PAGE_SIZE_2M);
	assert_int_equal(pgalloc_alloc(in->pg, PAGES_PER_2M, PAGE_SIZE_2M, PGALLOC_MOVABLE, &got),
			 0);
	assert_int_equal(got, top - PAGE_SIZE_2M);
	assert_int_equal(grouping_of(in).unmovable_floor, top);
	assert_int_equal(grouping_of(in).spills, 0);
	assert_int_equal(pgalloc_check(in->pg), 0);
}

/*
 * Crossing over, counted: with every page below the pivot taken by movable
 * pages, an unmovable page goes above it; with the rest full too, a movable
 * page spills into the region's free page.
 */
static void test_spills_counted(void **state)
{
	struct pgalloc_inst *in = *state;
	paddr_t pivot = BASE + PAGE_SIZE_1G, pa, region_page;

	assert_int_equal(pgalloc_inst_add(in, BASE, PAGE_SIZE_1G + PAGE_SIZE_2M), 0);
	region_page = page_ok(in, PGALLOC_UNMOVABLE);
	assert_int_equal(region_page, pivot - PAGE_SIZE_2M);
	while (pgalloc_alloc(in->pg, 1, PAGE_SIZE_4K, PGALLOC_MOVABLE, &pa) == 0 && pa < pivot)
		;
	/* The first movable page above the pivot came after every page below was taken. */
	assert_int_equal(pa, pivot);
	assert_int_equal(pgalloc_free(in->pg, pa, 1), 0);
	assert_int_equal(grouping_of(in).spills, 0);
	assert_int_equal(pgalloc_free(in->pg, region_page, 1), 0);
	pa = page_ok(in, PGALLOC_MOVABLE); /* the region's group is wholly free: taken back */
	assert_int_equal(pa, region_page);
	assert_int_equal(grouping_of(in).unmovable_floor, pivot);
	assert_int_equal(pgalloc_free(in->pg, pa, 1), 0);
	pa = page_ok(in, PGALLOC_UNMOVABLE);
	assert_int_equal(pa, pivot - PAGE_SIZE_2M);
	/* Everything but the region and above the pivot is full: unmovable stays in the region. */
	assert_int_equal(page_ok(in, PGALLOC_UNMOVABLE), pivot - PAGE_SIZE_2M + PAGE_SIZE_4K);
	for (unsigned i = 0; i < PAGES_PER_2M; i++)
		assert_true(page_ok(in, PGALLOC_MOVABLE) >= pivot);
	assert_int_equal(grouping_of(in).spills, 0);
	pa = page_ok(in, PGALLOC_MOVABLE);
	assert_int_equal(pa, pivot - PAGE_SIZE_2M + 2 * PAGE_SIZE_4K);
	assert_int_equal(grouping_of(in).spills, 1);
	assert_int_equal(pgalloc_check(in->pg), 0);
}

/* A mobility that is neither kind: -EINVAL, nothing taken, the region unchanged. */
static void test_bad_mobility(void **state)
{
	struct pgalloc_inst *in = *state;
	struct pgalloc_stats before, after;
	struct pgalloc_grouping g0, g1;
	paddr_t pa = 0;

	assert_int_equal(pgalloc_inst_add(in, BASE, PG(POOL_2M * PAGES_PER_2M)), 0);
	pgalloc_inst_stats(in, &before);
	g0 = grouping_of(in);
	assert_int_equal(pgalloc_alloc(in->pg, 1, PAGE_SIZE_4K, (enum pgalloc_mobility)2, &pa),
			 -EINVAL);
	assert_int_equal(pa, 0);
	pgalloc_inst_stats(in, &after);
	g1 = grouping_of(in);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_memory_equal(&g0, &g1, sizeof(g0));
}

/* Unmovable requests larger than a group grow the region by as many groups as they need. */
static void test_large_unmovable_grows_by_groups(void **state)
{
	struct pgalloc_inst *in = *state;
	paddr_t top = BASE + POOL_2M * PAGE_SIZE_2M, pa;

	assert_int_equal(pgalloc_inst_add(in, BASE, PG(POOL_2M * PAGES_PER_2M)), 0);
	assert_int_equal(
	    pgalloc_alloc(in->pg, 3 * PAGES_PER_2M, PAGE_SIZE_4K, PGALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(pa, top - 3 * PAGE_SIZE_2M);
	assert_int_equal(grouping_of(in).unmovable_floor, top - 3 * PAGE_SIZE_2M);
	assert_int_equal(pgalloc_alloc(in->pg, 1, PAGE_SIZE_2M, PGALLOC_MOVABLE, &pa), 0);
	assert_true(pa < top - 3 * PAGE_SIZE_2M);
	assert_int_equal(pgalloc_check(in->pg), 0);
}

/* Takes single pages of mobility mob until none is left; returns how many. */
static uint64_t take_all(struct pgalloc_inst *in, enum pgalloc_mobility mob, paddr_t *pa,
			 uint64_t max)
{
	uint64_t n = 0;

	while (n < max && pgalloc_alloc(in->pg, 1, PAGE_SIZE_4K, mob, &pa[n]) == 0)
		n++;
	return n;
}

static void free_all(struct pgalloc_inst *in, const paddr_t *pa, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pgalloc_free(in->pg, pa[i], 1), 0);
}

/*
 * A range that starts one page into its 2M block: the region, grown down to
 * the bottom and emptied again, is taken back whole by movable pages, its
 * first group only partly managed (pages outside every range count as
 * free).
 */
static void test_floor_back_over_partly_managed_group(void **state)
{
	struct pgalloc_inst *in = *state;
	enum { PAGES = 4 * PAGES_PER_2M - 1 };
	static paddr_t pa[PAGES];

	assert_int_equal(pgalloc_inst_add(in, BASE + PAGE_SIZE_4K, PG(PAGES)), 0);
	assert_int_equal(take_all(in, PGALLOC_UNMOVABLE, pa, PAGES), PAGES);
	assert_int_equal(grouping_of(in).unmovable_floor, BASE);
	free_all(in, pa, PAGES);
	assert_int_equal(take_all(in, PGALLOC_MOVABLE, pa, PAGES), PAGES);
	assert_int_equal(grouping_of(in).spills, 0);
	assert_int_equal(grouping_of(in).unmovable_floor, grouping_of(in).pivot);
	assert_int_equal(pgalloc_check(in->pg), 0);
}

/* A top that is not 2M-aligned: the cut group at the pivot is grown into and taken back. */
static void test_unaligned_top(void **state)
{
	struct pgalloc_inst *in = *state;
	enum { PAGES = 4 * PAGES_PER_2M + PAGES_PER_2M / 2 };
	static paddr_t pa[PAGES];
	paddr_t one;

	assert_int_equal(pgalloc_inst_add(in, BASE, PG(PAGES)), 0);
	one = page_ok(in, PGALLOC_UNMOVABLE);
	assert_true(one >= BASE + 4 * PAGE_SIZE_2M);
	assert_int_equal(grouping_of(in).unmovable_floor, BASE + 4 * PAGE_SIZE_2M);
	assert_int_equal(pgalloc_free(in->pg, one, 1), 0);
	assert_int_equal(take_all(in, PGALLOC_MOVABLE, pa, PAGES), PAGES);
	assert_int_equal(grouping_of(in).spills, 0);
	assert_int_equal(grouping_of(in).unmovable_floor, BASE + PG(PAGES));
	assert_int_equal(pgalloc_check(in->pg), 0);
}

/*
 * Every page movable but one freed in the cut group below an unaligned
 * pivot: an unmovable page takes it, growing the region over it, without a
 * spill.
 */
static void test_unmovable_in_cut_group(void **state)
{
	struct pgalloc_inst *in = *state;
	enum { PAGES = PAGES_PER_2M + PAGES_PER_2M / 2 };
	static paddr_t pa[PAGES];
	paddr_t hole = BASE + PAGE_SIZE_2M + 2 * PAGE_SIZE_4K;

	assert_int_equal(pgalloc_inst_add(in, BASE, PG(PAGES)), 0);
	assert_int_equal(take_all(in, PGALLOC_MOVABLE, pa, PAGES), PAGES);
	assert_int_equal(pgalloc_free(in->pg, hole, 1), 0);
	assert_int_equal(page_ok(in, PGALLOC_UNMOVABLE), hole);
	assert_int_equal(grouping_of(in).spills, 0);
	assert_int_equal(grouping_of(in).unmovable_floor, BASE + PAGE_SIZE_2M);
}

/*
 * A 2 GiB range: an unmovable request of 6M aligned to 4M lies wholly
 * below the pivot (the end of the first GiB), never across it.
 */
static void test_unmovable_stays_below_pivot(void **state)
{
	struct pgalloc_inst *in = *state;
	paddr_t pa;

	assert_int_equal(pgalloc_inst_add(in, BASE, 2 * PAGE_SIZE_1G), 0);
	assert_int_equal(
	    pgalloc_alloc(in->pg, 3 * PAGES_PER_2M, 2 * PAGE_SIZE_2M, PGALLOC_UNMOVABLE, &pa), 0);
	assert_true(pa + 3 * PAGE_SIZE_2M <= BASE + PAGE_SIZE_1G);
	assert_int_equal(grouping_of(in).spills, 0);
	assert_int_equal(pgalloc_check(in->pg), 0);
}

/* A range added below memory already in use leaves the pivot (and the region) where they are. */
static void test_pivot_kept_once_used(void **state)
{
	struct pgalloc_inst *in = *state;
	paddr_t first, second;

	assert_int_equal(pgalloc_inst_add(in, BASE + PAGE_SIZE_1G, PAGE_SIZE_1G), 0);
	first = page_ok(in, PGALLOC_UNMOVABLE);
	struct pgalloc_grouping g = grouping_of(in);
	assert_int_equal(pgalloc_inst_add(in, BASE, PG(POOL_2M * PAGES_PER_2M)), 0);
	assert_int_equal(grouping_of(in).unmovable_floor, g.unmovable_floor);
	assert_int_equal(grouping_of(in).pivot, g.pivot);
	second = page_ok(in, PGALLOC_UNMOVABLE);
	assert_true(second >= g.unmovable_floor && second < g.pivot && second != first);
	assert_int_equal(grouping_of(in).unmovable_floor, g.unmovable_floor);
}

#define T(fn, X)                                                                                   \
	{                                                                                          \
#X "_" #fn, fn, setup, teardown, (void *)&X##_pgalloc_ops                          \
	}
#define GROUPING_TESTS(X)                                                                          \
	{                                                                                          \
		T(test_region_starts_empty_at_pivot, X), T(test_kinds_never_share_a_block, X),     \
		    T(test_floor_comes_back, X), T(test_spills_counted, X),                        \
		    T(test_bad_mobility, X), T(test_large_unmovable_grows_by_groups, X),           \
		    T(test_floor_back_over_partly_managed_group, X), T(test_unaligned_top, X),     \
		    T(test_unmovable_in_cut_group, X), T(test_unmovable_stays_below_pivot, X),     \
		    T(test_pivot_kept_once_used, X),                                               \
	}

int main(void)
{
	const struct CMUnitTest bitmap_tests[] = GROUPING_TESTS(bitmap);
	const struct CMUnitTest buddy_tests[] = GROUPING_TESTS(buddy);
	int failed = 0;

	failed += cmocka_run_group_tests_name("bitmap", bitmap_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("buddy", buddy_tests, NULL, NULL);
	return failed ? 1 : 0;
}

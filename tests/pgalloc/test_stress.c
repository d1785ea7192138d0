/*
 * test_stress.c - seeded random stress of both page allocators against the
 * shadow model (pgalloc_model.h, driven through pgalloc_checker.h).
 *
 * After every operation the checker verifies the return code against the
 * model, that failed calls left the stats unchanged, that every allocation is
 * aligned, inside one managed range and overlaps nothing allocated, and that
 * free/used pages and the free-block histogram equal the model's; the
 * allocator's own checker runs every CHECK_EVERY operations. A share of the
 * operations are deliberately bad (unaligned, outside, never allocated,
 * already freed, straddling, overlapping, bad arguments). Freeing
 * everything at the end must restore the pristine statistics, and on an
 * aligned pool one fully free block with unusable index 0 for every order
 * that fits.
 *
 * The seed comes from TEST_SEED (decimal or 0x-hex), default STRESS_SEED;
 * it is printed with every failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include <axalloc-bitmap/bitmap.h>
#include <axalloc-buddy/buddy.h>

#include "pgalloc_checker.h"
#include "pgalloc_inst.h"
#include "test_rand.h"
#include "test_seed.h"

#define STRESS_SEED  20250601ULL
#define CHECK_EVERY  16
#define PG(i)	     ((paddr_t)(i) << PAGE_SHIFT)
#define PAGES_PER_2M (PAGE_SIZE_2M >> PAGE_SHIFT)
#define PAGES_PER_1G (PAGE_SIZE_1G >> PAGE_SHIFT)

/* Operation counts per phase (sized for a few seconds under ASan). */
#define MIXED_OPS   60000
#define HUGE_OPS    6000
#define ALIGNED_OPS 20000
/* Keep occupancy below this share of the pool (percent) before freeing more. */
#define HIGH_WATER_PCT 85

static uint64_t g_seed;

struct range_spec {
	paddr_t base;
	uint64_t pages;
};

/* Small ranges, none aligned beyond 4K at either end, one spanning a 4G boundary. */
static const struct range_spec mixed_ranges[] = {
    {0x80003000ULL, 3001},	     {0x90000000ULL - PG(5), 2 * PAGES_PER_2M + 77},
    {0xfffff000ULL - PG(600), 1300}, {0x200007000ULL, 1},
    {0x300001000ULL, 129},
};

/* A range holding one whole 1G block plus unaligned edges. */
static const struct range_spec huge_ranges[] = {
    {0xbfffd000ULL, PAGES_PER_1G + PAGES_PER_2M + 16},
    {0x200000000ULL + PG(1), 700},
};

/* One naturally aligned 2^ALIGNED_ORDER-page pool. */
#define ALIGNED_ORDER 11
static const struct range_spec aligned_ranges[] = {
    {0x80000000ULL, 1ULL << ALIGNED_ORDER},
};

/* How large requests of a phase may get. */
struct profile {
	unsigned big_pct;   /* share of allocations of 65..1100 pages */
	unsigned huge_pct;  /* share of 2M/1G-aligned whole-block allocations */
	uint64_t max_align; /* largest alignment of ordinary requests */
};

static uint64_t pick_align(uint64_t *rng, uint64_t max_align)
{
	unsigned max_shift = pgm_log2(max_align);
	if (test_rand_below(rng, 100) < 70)
		return PAGE_SIZE_4K;
	return 1ULL << test_rand_range(rng, PAGE_SHIFT, max_shift);
}

static uint64_t pick_n(uint64_t *rng, const struct profile *p)
{
	unsigned r = (unsigned)test_rand_below(rng, 100);
	if (r < p->big_pct) {
		if (test_rand_below(rng, 4) == 0)
			return 513;
		return test_rand_range(rng, 65, 1100);
	}
	if (r < p->big_pct + 15)
		return 1ULL << test_rand_below(rng, 7);
	if (r < p->big_pct + 35)
		return test_rand_range(rng, 9, 64);
	return test_rand_range(rng, 1, 8);
}

/* A random page-aligned address of a random managed range, with its range index. */
static paddr_t pick_page(uint64_t *rng, const struct pgalloc_model *m, int *ri)
{
	*ri = (int)test_rand_below(rng, m->nr_ranges);
	const struct pgm_range *r = &m->range[*ri];
	return r->base + PG(test_rand_below(rng, r->pages));
}

static void op_alloc(struct pgalloc_checker *c, uint64_t *rng, const struct profile *p)
{
	if (test_rand_below(rng, 100) < p->huge_pct) {
		bool g = test_rand_below(rng, 4) == 0;
		uint64_t align = g ? PAGE_SIZE_1G : PAGE_SIZE_2M;
		uint64_t n =
		    test_rand_below(rng, 2) ? align >> PAGE_SHIFT : test_rand_range(rng, 1, 3);
		pgc_assert_seeded(c, g_seed, pgc_alloc(c, n, align, PGALLOC_MOVABLE, NULL));
		return;
	}
	/* One request in eight is unmovable: the grouping is checked with every placement. */
	enum pgalloc_mobility mob =
	    test_rand_below(rng, 8) == 0 ? PGALLOC_UNMOVABLE : PGALLOC_MOVABLE;
	pgc_assert_seeded(c, g_seed,
			  pgc_alloc(c, pick_n(rng, p), pick_align(rng, p->max_align), mob, NULL));
}

static void op_alloc_at(struct pgalloc_checker *c, uint64_t *rng)
{
	int ri;
	paddr_t addr = pick_page(rng, &c->model, &ri);
	pgc_assert_seeded(c, g_seed, pgc_alloc_at(c, addr, test_rand_range(rng, 1, 24)));
}

/* Frees a whole extent, a piece of one, or a run of allocated pages across extents. */
static void op_free(struct pgalloc_checker *c, uint64_t *rng)
{
	struct pgalloc_model *m = &c->model;
	if (m->nr_ext == 0)
		return;
	struct pgm_extent e = m->ext[test_rand_below(rng, m->nr_ext)];
	unsigned r = (unsigned)test_rand_below(rng, 100);
	if (r < 65) {
		pgc_assert_seeded(c, g_seed, pgc_free(c, e.addr, e.n));
	} else if (r < 90) {
		uint64_t first = test_rand_below(rng, e.n);
		uint64_t n = test_rand_range(rng, 1, e.n - first);
		pgc_assert_seeded(c, g_seed, pgc_free(c, e.addr + PG(first), n));
	} else {
		/* from inside e to the end of the allocated run it belongs to */
		const struct pgm_range *rg = &m->range[pgm_find_range(m, e.addr, e.n)];
		uint64_t first = (e.addr - rg->base) >> PAGE_SHIFT;
		uint64_t end = pgm_next(rg, first, false);
		pgc_assert_seeded(c, g_seed, pgc_free(c, e.addr, end - first));
	}
}

/* One deliberately bad call; the checker requires the model's error and no change. */
static void op_bad(struct pgalloc_checker *c, uint64_t *rng)
{
	struct pgalloc_model *m = &c->model;
	int ri;
	paddr_t page = pick_page(rng, m, &ri);
	const struct pgm_range *r = &m->range[ri];
	paddr_t rend = r->base + PG(r->pages);
	struct pgm_extent e = {page, 1};
	if (m->nr_ext)
		e = m->ext[test_rand_below(rng, m->nr_ext)];

	switch (test_rand_below(rng, 14)) {
	case 0: /* unaligned free */
		pgc_assert_seeded(
		    c, g_seed, pgc_free(c, e.addr + test_rand_range(rng, 1, PAGE_SIZE_4K - 1), 1));
		break;
	case 1: { /* free outside every range: just below or just past a range */
		paddr_t at =
		    test_rand_below(rng, 2) ? r->base - PG(test_rand_range(rng, 1, 4)) : rend;
		pgc_assert_seeded(c, g_seed, pgc_free(c, at, test_rand_range(rng, 1, 4)));
		break;
	}
	case 2: /* free running past the end of a range */
		pgc_assert_seeded(c, g_seed, pgc_free(c, rend - PG(1), test_rand_range(rng, 2, 8)));
		break;
	case 3: { /* free of never-allocated / already-freed pages */
		uint64_t idx = pgm_next(r, (page - r->base) >> PAGE_SHIFT, false);
		if (idx < r->pages)
			pgc_assert_seeded(c, g_seed, pgc_free(c, r->base + PG(idx), 1));
		break;
	}
	case 4: /* free straddling an allocated extent and what follows it */
		pgc_assert_seeded(c, g_seed, pgc_free(c, e.addr, e.n + test_rand_range(rng, 1, 8)));
		break;
	case 5: /* free straddling what precedes an extent and the extent */
		pgc_assert_seeded(c, g_seed, pgc_free(c, e.addr - PG(1), e.n + 1));
		break;
	case 6: /* zero pages */
		pgc_assert_seeded(c, g_seed, pgc_free(c, e.addr, 0));
		break;
	case 7: /* alloc_at over a partly used range */
		pgc_assert_seeded(c, g_seed,
				  pgc_alloc_at(c, e.addr - PG(test_rand_below(rng, 3)), e.n + 2));
		break;
	case 8: /* alloc_at unaligned or of zero pages */
		pgc_assert_seeded(c, g_seed,
				  pgc_alloc_at(c, page + (test_rand_below(rng, 2) ? 0x10 : 0),
					       test_rand_below(rng, 2) ? 0 : 1));
		break;
	case 9: { /* alloc of zero pages or with n * 4K overflowing */
		uint64_t n =
		    test_rand_below(rng, 2) ? 0 : PGALLOC_MAX_PAGES + 1 + test_rand_below(rng, 9);
		pgc_assert_seeded(c, g_seed, pgc_alloc(c, n, PAGE_SIZE_4K, PGALLOC_MOVABLE, NULL));
		break;
	}
	case 10: { /* alloc with an alignment that is not a power of two, too small or too big */
		static const uint64_t bad_align[] = {
		    0,
		    1,
		    2048,
		    3 * PAGE_SIZE_4K,
		    PAGE_SIZE_4K + 1,
		    2 * PAGE_SIZE_1G,
		    1ULL << 63,
		    UINT64_MAX,
		};
		pgc_assert_seeded(
		    c, g_seed,
		    pgc_alloc(c, 1, bad_align[test_rand_below(rng, 8)], PGALLOC_MOVABLE, NULL));
		break;
	}
	case 11: /* add_memory overlapping an existing range */
		pgc_assert_seeded(c, g_seed,
				  pgc_add_memory(c, page - PG(test_rand_below(rng, 3)),
						 PG(test_rand_range(rng, 3, 9))));
		break;
	case 12: /* add_memory with a bad size or base */
		pgc_assert_seeded(
		    c, g_seed,
		    pgc_add_memory(c, 0x7000000000ULL + (test_rand_below(rng, 2) ? 0x200 : 0),
				   test_rand_below(rng, 2) ? 0 : PG(3) + 8));
		break;
	default: /* more than all memory */
		pgc_assert_seeded(
		    c, g_seed,
		    pgc_alloc(c, m->total_pages + 1, PAGE_SIZE_4K, PGALLOC_MOVABLE, NULL));
		break;
	}
}

/* nops random operations; occupancy is pushed down when above HIGH_WATER_PCT. */
static void run_random(struct pgalloc_checker *c, uint64_t *rng, unsigned nops,
		       const struct profile *p)
{
	const struct pgalloc_model *m = &c->model;
	for (unsigned i = 0; i < nops; i++) {
		unsigned r = (unsigned)test_rand_below(rng, 100);
		if (m->used_pages * 100 > m->total_pages * HIGH_WATER_PCT && r < 60)
			r += 40;
		if (r < 42)
			op_alloc(c, rng, p);
		else if (r < 50)
			op_alloc_at(c, rng);
		else if (r < 88)
			op_free(c, rng);
		else
			op_bad(c, rng);
	}
}

static void add_ranges(struct pgalloc_checker *c, const struct range_spec *r, unsigned nr)
{
	for (unsigned i = 0; i < nr; i++) {
		pgc_assert_seeded(c, g_seed, pgc_add_memory(c, r[i].base, PG(r[i].pages)));
		assert_int_equal(c->last_rc, 0);
	}
}

/*
 * Random phase over `ranges`; freeing everything must restore the pristine
 * stats, which are stored in *final.
 */
static void run_phase(const struct pgalloc_ops *ops, const struct range_spec *ranges, unsigned nr,
		      unsigned nops, const struct profile *p, uint64_t seed,
		      struct pgalloc_stats *final)
{
	struct pgalloc_checker c;
	struct pgalloc_stats pristine, now;
	uint64_t rng = seed;
	pgc_create(&c, ops, CHECK_EVERY);
	add_ranges(&c, ranges, nr);
	pgalloc_inst_stats(&c.inst, &pristine);
	run_random(&c, &rng, nops, p);
	pgc_assert_seeded(&c, g_seed, pgc_verify_check(&c));
	pgc_assert_seeded(&c, g_seed, pgc_free_all(&c));
	pgalloc_inst_stats(&c.inst, &now);
	if (memcmp(&pristine, &now, sizeof(now)) != 0)
		fail_msg("TEST_SEED=%llu: %s: stats after freeing everything are not the pristine "
			 "ones",
			 (unsigned long long)g_seed, ops->name);
	*final = now;
	pgc_destroy(&c);
}

static void test_mixed(void **state)
{
	const struct pgalloc_ops *ops = *state;
	const struct profile p = {.big_pct = 8, .huge_pct = 3, .max_align = PAGE_SIZE_2M};
	struct pgalloc_stats st;
	run_phase(ops, mixed_ranges, sizeof(mixed_ranges) / sizeof(mixed_ranges[0]), MIXED_OPS, &p,
		  g_seed, &st);
	assert_int_equal(st.used_pages, 0);
}

static void test_huge(void **state)
{
	const struct pgalloc_ops *ops = *state;
	const struct profile p = {.big_pct = 10, .huge_pct = 25, .max_align = PAGE_SIZE_1G};
	struct pgalloc_stats st;
	run_phase(ops, huge_ranges, sizeof(huge_ranges) / sizeof(huge_ranges[0]), HUGE_OPS, &p,
		  g_seed ^ 0x5eedULL, &st);
	assert_int_equal(st.free_blocks[PGALLOC_MAX_ORDER], 1);
}

/* On a naturally aligned pool, freeing everything leaves zero fragmentation. */
static void test_aligned_pool_merges_back(void **state)
{
	const struct pgalloc_ops *ops = *state;
	const struct profile p = {.big_pct = 5, .huge_pct = 0, .max_align = PG(64)};
	struct pgalloc_stats st;
	run_phase(ops, aligned_ranges, 1, ALIGNED_OPS, &p, g_seed ^ 0xa11ULL, &st);
	assert_int_equal(st.free_pages, 1ULL << ALIGNED_ORDER);
	assert_int_equal(st.free_blocks[ALIGNED_ORDER], 1);
	assert_int_equal(st.largest_free_order, ALIGNED_ORDER);
	for (unsigned o = 0; o <= ALIGNED_ORDER; o++) {
		assert_int_equal(pgalloc_unusable_index(&st, o), 0);
		assert_int_equal(pgalloc_fragmentation_index(&st, o), -1000);
	}
}

/* Test X_fn: fn run on allocator X (bitmap or buddy). */
#define T(fn, X)                                                                                   \
	{                                                                                          \
#X "_" #fn, fn, NULL, NULL, (void *)&X##_pgalloc_ops                               \
	}
#define STRESS_TESTS(X)                                                                            \
	{                                                                                          \
		T(test_mixed, X), T(test_huge, X), T(test_aligned_pool_merges_back, X),            \
	}

int main(void)
{
	g_seed = host_test_seed(STRESS_SEED);
	printf("test_stress: TEST_SEED=%llu\n", (unsigned long long)g_seed);
	const struct CMUnitTest bitmap_tests[] = STRESS_TESTS(bitmap);
	const struct CMUnitTest buddy_tests[] = STRESS_TESTS(buddy);
	int failed = 0;
	failed += cmocka_run_group_tests_name("bitmap", bitmap_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("buddy", buddy_tests, NULL, NULL);
	return failed ? 1 : 0;
}

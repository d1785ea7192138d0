/*
 * test_contract.c - the page-allocator contract suite, run against both
 * allocators (cmocka groups "bitmap" and "buddy"), plus a group "both" that
 * drives the two side by side and compares their statistics.
 *
 * Every bad input of issue 3 checks the error code AND that the stats are
 * byte-for-byte unchanged AND that the allocator's consistency checker
 * passes afterwards.
 *
 * Two seeded cases free a huge block in pieces in a random order (TEST_SEED
 * picks the seed, default CONTRACT_SEED; it is printed, and named in every
 * failure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <axalloc-bitmap/bitmap.h>
#include <axalloc-buddy/buddy.h>

#include "pgalloc_checker.h"
#include "pgalloc_inst.h"
#include "test_rand.h"
#include "test_seed.h"

/* A made-up, 1G-aligned physical base. */
#define BASE	     0x80000000ULL
#define PG(i)	     ((paddr_t)(i) << PAGE_SHIFT)
#define PAGES_PER_2M (PAGE_SIZE_2M >> PAGE_SHIFT)
#define PAGES_PER_1G (PAGE_SIZE_1G >> PAGE_SHIFT)

/* The seed of the randomised cases when $TEST_SEED is not set. */
#define CONTRACT_SEED 20261203ULL

struct fix {
	struct pgalloc_inst in;
};

static int setup(void **state)
{
	const struct pgalloc_ops *ops = *state;
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	pgalloc_inst_create(&f->in, ops);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	pgalloc_inst_destroy(&f->in);
	free(f);
	return 0;
}

static struct pgalloc_stats stats_of(struct fix *f)
{
	struct pgalloc_stats st;
	pgalloc_inst_stats(&f->in, &st);
	return st;
}

static void assert_consistent(struct fix *f)
{
	assert_int_equal(pgalloc_check(f->in.pg), 0);
}

/* Runs `call`, which must return `err` and leave stats unchanged and consistent. */
#define assert_fails_unchanged(f, call, err) assert_pgalloc_fails_unchanged((f)->in.pg, call, err)

static int do_alloc(struct fix *f, uint64_t n, uint64_t align)
{
	paddr_t pa = 0;
	return pgalloc_alloc(f->in.pg, n, align, PGALLOC_MOVABLE, &pa);
}

static int do_alloc_at(struct fix *f, paddr_t addr, uint64_t n)
{
	return pgalloc_alloc_at(f->in.pg, addr, n);
}

static int do_free(struct fix *f, paddr_t addr, uint64_t n)
{
	return pgalloc_free(f->in.pg, addr, n);
}

static void add_ok(struct fix *f, paddr_t base, uint64_t pages)
{
	assert_int_equal(pgalloc_inst_add(&f->in, base, PG(pages)), 0);
	assert_consistent(f);
}

/* alloc that must succeed with an aligned address; used pages grow by exactly n. */
static paddr_t alloc_ok(struct fix *f, uint64_t n, uint64_t align)
{
	struct pgalloc_stats before = stats_of(f);
	paddr_t pa = 0;
	assert_int_equal(pgalloc_alloc(f->in.pg, n, align, PGALLOC_MOVABLE, &pa), 0);
	assert_true(IS_ALIGNED(pa, align));
	struct pgalloc_stats after = stats_of(f);
	assert_int_equal(after.used_pages, before.used_pages + n);
	assert_int_equal(after.free_pages, before.free_pages - n);
	assert_consistent(f);
	return pa;
}

static void alloc_at_ok(struct fix *f, paddr_t addr, uint64_t n)
{
	struct pgalloc_stats before = stats_of(f);
	assert_int_equal(do_alloc_at(f, addr, n), 0);
	assert_int_equal(stats_of(f).used_pages, before.used_pages + n);
	assert_consistent(f);
}

static void free_ok(struct fix *f, paddr_t addr, uint64_t n)
{
	struct pgalloc_stats before = stats_of(f);
	assert_int_equal(do_free(f, addr, n), 0);
	assert_int_equal(stats_of(f).used_pages, before.used_pages - n);
	assert_consistent(f);
}

/* ---- bad input ---- */

static void test_empty_pool(void **state)
{
	struct fix *f = *state;
	struct pgalloc_stats st = stats_of(f);
	assert_int_equal(st.total_pages, 0);
	assert_int_equal(st.free_pages, 0);
	assert_int_equal(pgalloc_unusable_index(&st, 0), 1000);
	assert_int_equal(pgalloc_fragmentation_index(&st, 0), 0);
	assert_fails_unchanged(f, do_alloc(f, 1, PAGE_SIZE_4K), -ENOMEM);
	assert_fails_unchanged(f, do_alloc_at(f, BASE, 1), -EINVAL);
	assert_fails_unchanged(f, do_free(f, BASE, 1), -EINVAL);
}

static void test_add_memory_bad(void **state)
{
	struct fix *f = *state;
	assert_fails_unchanged(f, pgalloc_inst_add(&f->in, BASE, 0), -EINVAL);
	assert_fails_unchanged(f, pgalloc_inst_add(&f->in, BASE + 0x800, PG(4)), -EINVAL);
	assert_fails_unchanged(f, pgalloc_inst_add(&f->in, BASE, PG(4) + 1), -EINVAL);
	/* base + size wraps past 2^64 */
	assert_fails_unchanged(f, pgalloc_inst_add(&f->in, 0xfffffffffffff000ULL, PG(2)), -EINVAL);
	assert_fails_unchanged(f, pgalloc_inst_add(&f->in, PG(2), UINT64_MAX & ~0xfffULL), -EINVAL);

	add_ok(f, BASE + PG(16), 64); /* [16, 80) */
	assert_fails_unchanged(f, pgalloc_inst_add(&f->in, BASE + PG(16), PG(64)), -EEXIST);
	assert_fails_unchanged(f, pgalloc_inst_add(&f->in, BASE, PG(17)), -EEXIST);
	assert_fails_unchanged(f, pgalloc_inst_add(&f->in, BASE + PG(79), PG(8)), -EEXIST);
	assert_fails_unchanged(f, pgalloc_inst_add(&f->in, BASE + PG(20), PG(4)), -EEXIST);
	assert_fails_unchanged(f, pgalloc_inst_add(&f->in, BASE, PG(128)), -EEXIST);

	/* Touching ranges do not overlap. */
	add_ok(f, BASE, 16);
	add_ok(f, BASE + PG(80), 8);
	assert_int_equal(stats_of(f).total_pages, 88);
	assert_int_equal(stats_of(f).free_pages, 88);
}

static void test_add_memory_too_many_ranges(void **state)
{
	struct fix *f = *state;
	for (unsigned i = 0; i < PGALLOC_MAX_RANGES; i++)
		add_ok(f, BASE + PG(100) * i + PG(i), 3 + i);
	assert_fails_unchanged(f, pgalloc_inst_add(&f->in, BASE + PG(100) * 50, PG(4)), -ENOMEM);
	struct pgalloc_stats st = stats_of(f);
	uint64_t total = 0;
	for (unsigned i = 0; i < PGALLOC_MAX_RANGES; i++)
		total += 3 + i;
	assert_int_equal(st.total_pages, total);
}

static void test_alloc_bad_args(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE, 64);
	alloc_at_ok(f, BASE, 2); /* the only 1G-aligned page */
	assert_fails_unchanged(f, do_alloc(f, 0, PAGE_SIZE_4K), -EINVAL);
	/* align not a power of two, below 4K, above 1G */
	assert_fails_unchanged(f, do_alloc(f, 1, 0), -EINVAL);
	assert_fails_unchanged(f, do_alloc(f, 1, 3 * PAGE_SIZE_4K), -EINVAL);
	assert_fails_unchanged(f, do_alloc(f, 1, PAGE_SIZE_4K + 1), -EINVAL);
	assert_fails_unchanged(f, do_alloc(f, 1, 1), -EINVAL);
	assert_fails_unchanged(f, do_alloc(f, 1, PAGE_SIZE_4K / 2), -EINVAL);
	assert_fails_unchanged(f, do_alloc(f, 1, 2 * PAGE_SIZE_1G), -EINVAL);
	assert_fails_unchanged(f, do_alloc(f, 1, 1ULL << 63), -EINVAL);
	/* n * 4K overflows */
	assert_fails_unchanged(f, do_alloc(f, PGALLOC_MAX_PAGES + 1, PAGE_SIZE_4K), -EINVAL);
	assert_fails_unchanged(f, do_alloc(f, UINT64_MAX, PAGE_SIZE_4K), -EINVAL);
	/* valid but too big */
	assert_fails_unchanged(f, do_alloc(f, 63, PAGE_SIZE_4K), -ENOMEM);
	assert_fails_unchanged(f, do_alloc(f, 65, PAGE_SIZE_4K), -ENOMEM);
	assert_fails_unchanged(f, do_alloc(f, 1, PAGE_SIZE_1G), -ENOMEM);
}

static void test_free_bad(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE, 64);
	alloc_at_ok(f, BASE + PG(8), 4);
	/* unaligned address, zero pages, n * 4K overflowing */
	assert_fails_unchanged(f, do_free(f, BASE + PG(8) + 1, 1), -EINVAL);
	assert_fails_unchanged(f, do_free(f, BASE + PG(8) + 0x800, 1), -EINVAL);
	assert_fails_unchanged(f, do_free(f, BASE + PG(8), 0), -EINVAL);
	assert_fails_unchanged(f, do_free(f, BASE + PG(8), PGALLOC_MAX_PAGES + 1), -EINVAL);
	assert_fails_unchanged(f, do_free(f, BASE + PG(8), PGALLOC_MAX_PAGES), -EINVAL);
	/* outside every managed range */
	assert_fails_unchanged(f, do_free(f, BASE - PG(4), 1), -EINVAL);
	assert_fails_unchanged(f, do_free(f, BASE + PG(64), 1), -EINVAL);
	assert_fails_unchanged(f, do_free(f, 0, 1), -EINVAL);
	assert_fails_unchanged(f, do_free(f, 0xfffffffffffff000ULL, 1), -EINVAL);
	/* never allocated */
	assert_fails_unchanged(f, do_free(f, BASE, 1), -ENOENT);
	assert_fails_unchanged(f, do_free(f, BASE + PG(20), 8), -ENOENT);
	/* straddling an allocated and a free block, either way round */
	assert_fails_unchanged(f, do_free(f, BASE + PG(8), 8), -ENOENT);
	assert_fails_unchanged(f, do_free(f, BASE + PG(6), 4), -ENOENT);
	assert_fails_unchanged(f, do_free(f, BASE + PG(11), 2), -ENOENT);
	/* already freed */
	free_ok(f, BASE + PG(8), 4);
	assert_fails_unchanged(f, do_free(f, BASE + PG(8), 4), -ENOENT);
	assert_fails_unchanged(f, do_free(f, BASE + PG(9), 1), -ENOENT);
}

/* A free that starts inside a range and runs past its end covers pages of no range. */
static void test_free_past_range_end(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE, 16);
	add_ok(f, BASE + PG(32), 16);
	alloc_at_ok(f, BASE + PG(12), 4);
	alloc_at_ok(f, BASE + PG(32), 4);
	assert_fails_unchanged(f, do_free(f, BASE + PG(12), 8), -EINVAL);
	assert_fails_unchanged(f, do_free(f, BASE + PG(28), 8), -EINVAL);
	assert_fails_unchanged(f, do_free(f, BASE + PG(12), 24), -EINVAL);
}

static void test_alloc_at_bad(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE, 64);
	add_ok(f, BASE + PG(128), 16);
	alloc_at_ok(f, BASE + PG(10), 4);
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PG(3) + 8, 1), -EINVAL);
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PG(3), 0), -EINVAL);
	assert_fails_unchanged(f, do_alloc_at(f, BASE, PGALLOC_MAX_PAGES + 1), -EINVAL);
	assert_fails_unchanged(f, do_alloc_at(f, BASE - PG(1), 1), -EINVAL);
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PG(100), 4), -EINVAL);
	/* past a range's end, and across the gap between two ranges */
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PG(60), 8), -EINVAL);
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PG(60), 80), -EINVAL);
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PG(120), 10), -EINVAL);
	/* partly and fully used */
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PG(8), 4), -EEXIST);
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PG(13), 4), -EEXIST);
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PG(0), 64), -EEXIST);
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PG(10), 4), -EEXIST);
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PG(11), 1), -EEXIST);
}

static void test_alloc_too_fragmented(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE, 16);
	/* even pages in use: the free ones are single and none is 8K-aligned */
	for (unsigned i = 0; i < 16; i += 2)
		alloc_at_ok(f, BASE + PG(i), 1);
	struct pgalloc_stats st = stats_of(f);
	assert_int_equal(st.free_pages, 8);
	assert_int_equal(st.free_blocks[0], 8);
	assert_int_equal(st.largest_free_order, 0);
	assert_int_equal(pgalloc_unusable_index(&st, 1), 1000);
	assert_fails_unchanged(f, do_alloc(f, 2, PAGE_SIZE_4K), -ENOMEM);
	assert_fails_unchanged(f, do_alloc(f, 1, 2 * PAGE_SIZE_4K), -ENOMEM);
	for (unsigned i = 0; i < 8; i++) {
		paddr_t pa = alloc_ok(f, 1, PAGE_SIZE_4K);
		assert_true(pa >= BASE && pa < BASE + PG(16));
		assert_true(((pa - BASE) >> PAGE_SHIFT) % 2 == 1);
	}
	/* now the pool is empty */
	assert_fails_unchanged(f, do_alloc(f, 1, PAGE_SIZE_4K), -ENOMEM);
	assert_int_equal(stats_of(f).free_pages, 0);
}

/* ---- positive behaviour ---- */

/* A fresh range's free memory is its maximal aligned blocks, the largest 1G. */
static void test_fresh_range_histogram(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE + PG(1), 1023);		       /* one block each of orders 0..9 */
	add_ok(f, 4 * PAGE_SIZE_1G, 3 * PAGES_PER_1G); /* three 1G blocks, never one larger */
	struct pgalloc_stats st = stats_of(f);
	assert_int_equal(st.total_pages, 1023 + 3 * PAGES_PER_1G);
	assert_int_equal(st.free_pages, st.total_pages);
	assert_int_equal(st.used_pages, 0);
	for (unsigned o = 0; o < PGALLOC_MAX_ORDER; o++)
		assert_int_equal(st.free_blocks[o], o <= 9 ? 1 : 0);
	assert_int_equal(st.free_blocks[PGALLOC_MAX_ORDER], 3);
	assert_int_equal(st.largest_free_order, PGALLOC_MAX_ORDER);
}

/* A range ending one page below 2^64: no arithmetic may overflow. */
static void test_top_of_address_space(void **state)
{
	struct fix *f = *state;
	const paddr_t top = 0ULL - PAGE_SIZE_4K, base = 0ULL - 3 * PAGE_SIZE_2M;
	add_ok(f, base, (top - base) >> PAGE_SHIFT);
	assert_fails_unchanged(f, pgalloc_inst_add(&f->in, top, PG(1)), -EINVAL);
	/* two whole 2M blocks, [base, base + 4M) */
	paddr_t a = alloc_ok(f, PAGES_PER_2M, PAGE_SIZE_2M);
	paddr_t b = alloc_ok(f, 1, PAGE_SIZE_2M);
	assert_true(a >= base && a < top && b >= base && b < top && a != b);
	assert_fails_unchanged(f, do_alloc(f, 1, PAGE_SIZE_1G), -ENOMEM);
	assert_fails_unchanged(f, do_alloc_at(f, top - PG(1), 2), -EINVAL);
	assert_fails_unchanged(f, do_free(f, top - PG(1), 2), -EINVAL);
	assert_fails_unchanged(f, do_free(f, top, 1), -EINVAL);
	alloc_at_ok(f, top - PG(1), 1);
	free_ok(f, top - PG(1), 1);
	free_ok(f, a, PAGES_PER_2M);
	free_ok(f, b, 1);
}

/* A range with no useful natural alignment that still holds one whole 1G block. */
#define ALIGN_RANGE_BASE 0x3fffb000ULL
#define ALIGN_RANGE_SIZE (PAGE_SIZE_1G + PAGE_SIZE_2M + PG(8))

static void test_alignment_every_align(void **state)
{
	struct fix *f = *state;
	add_ok(f, ALIGN_RANGE_BASE, ALIGN_RANGE_SIZE >> PAGE_SHIFT);
	/* one page in use at the start so that the lowest free address is unaligned */
	alloc_at_ok(f, ALIGN_RANGE_BASE, 1);
	struct pgalloc_stats pristine = stats_of(f);
	for (uint64_t align = PAGE_SIZE_4K; align <= PAGE_SIZE_1G; align <<= 1) {
		uint64_t ns[] = {1, 3, 7, 513, align >> PAGE_SHIFT};
		for (unsigned i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
			paddr_t pa = alloc_ok(f, ns[i], align);
			assert_true(pa >= ALIGN_RANGE_BASE);
			assert_true(pa + PG(ns[i]) <= ALIGN_RANGE_BASE + ALIGN_RANGE_SIZE);
			free_ok(f, pa, ns[i]);
			struct pgalloc_stats now = stats_of(f);
			assert_memory_equal(&now, &pristine, sizeof(now));
		}
	}
}

/* Two allocations at the same alignment never overlap, and both stay aligned. */
static void test_alignment_two_blocks(void **state)
{
	struct fix *f = *state;
	/* [BASE + 3 pages, BASE + 8M): exactly three whole 2M blocks, at 2M, 4M and 6M */
	add_ok(f, BASE + PG(3), 4 * PAGES_PER_2M - 3);
	paddr_t c = alloc_ok(f, PAGES_PER_2M, PAGE_SIZE_2M);
	paddr_t a = alloc_ok(f, 1, PAGE_SIZE_2M);
	paddr_t b = alloc_ok(f, 1, PAGE_SIZE_2M);
	assert_true(a != b && c != a && c != b);
	assert_true(a < c || a >= c + PAGE_SIZE_2M);
	assert_true(b < c || b >= c + PAGE_SIZE_2M);
	/* no fourth 2M-aligned page exists in the range */
	assert_fails_unchanged(f, do_alloc(f, 1, PAGE_SIZE_2M), -ENOMEM);
	free_ok(f, a, 1);
	free_ok(f, b, 1);
	free_ok(f, c, PAGES_PER_2M);
}

static int cmp_paddr(const void *x, const void *y)
{
	paddr_t a = *(const paddr_t *)x, b = *(const paddr_t *)y;
	return a < b ? -1 : a > b;
}

static void test_multiple_ranges_unaligned_bases(void **state)
{
	struct fix *f = *state;
	static const struct {
		paddr_t base;
		uint64_t pages;
	} r[] = {
	    {0x80003000ULL, 37}, {0x90001000ULL, 100}, {0xa0007000ULL, 5}, {0x1fffff000ULL, 700}};
	uint64_t total = 0;
	for (unsigned i = 0; i < 4; i++) {
		add_ok(f, r[i].base, r[i].pages);
		total += r[i].pages;
	}
	struct pgalloc_stats pristine = stats_of(f);
	assert_int_equal(pristine.total_pages, total);
	assert_int_equal(pristine.free_pages, total);
	assert_int_equal(pristine.used_pages, 0);

	paddr_t *pa = calloc(total, sizeof(*pa));
	assert_non_null(pa);
	for (uint64_t i = 0; i < total; i++) {
		assert_int_equal(pgalloc_alloc(f->in.pg, 1, PAGE_SIZE_4K, PGALLOC_MOVABLE, &pa[i]),
				 0);
		bool inside = false;
		for (unsigned k = 0; k < 4; k++)
			inside |= pa[i] >= r[k].base && pa[i] < r[k].base + PG(r[k].pages);
		assert_true(inside);
	}
	assert_fails_unchanged(f, do_alloc(f, 1, PAGE_SIZE_4K), -ENOMEM);
	struct pgalloc_stats full = stats_of(f);
	assert_int_equal(full.used_pages, total);
	assert_int_equal(full.free_pages, 0);
	for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++)
		assert_int_equal(full.free_blocks[o], 0);
	qsort(pa, total, sizeof(*pa), cmp_paddr);
	for (uint64_t i = 1; i < total; i++)
		assert_true(pa[i] != pa[i - 1]);
	/* free in a scrambled but fixed order: stride coprime to the count */
	for (uint64_t i = 0, k = 0; i < total; i++, k = (k + 101) % total)
		assert_int_equal(do_free(f, pa[k], 1), 0);
	struct pgalloc_stats now = stats_of(f);
	assert_memory_equal(&now, &pristine, sizeof(now));
	assert_consistent(f);
	free(pa);
}

static void test_alloc_at_exact(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE, 64);
	alloc_at_ok(f, BASE + PG(10), 5);
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PG(10), 5), -EEXIST);
	for (unsigned i = 0; i < 59; i++) {
		paddr_t pa = alloc_ok(f, 1, PAGE_SIZE_4K);
		assert_false(pa >= BASE + PG(10) && pa < BASE + PG(15));
	}
	assert_fails_unchanged(f, do_alloc(f, 1, PAGE_SIZE_4K), -ENOMEM);
	free_ok(f, BASE + PG(10), 5);
	assert_int_equal(stats_of(f).free_pages, 5);
	/* the freed pages can be reserved again */
	assert_int_equal(do_alloc_at(f, BASE + PG(11), 3), 0);
	assert_consistent(f);
}

static void test_partial_free(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE, 64);
	struct pgalloc_stats pristine = stats_of(f);
	paddr_t pa = alloc_ok(f, 8, PAGE_SIZE_4K);
	free_ok(f, pa + PG(3), 2); /* middle */
	assert_int_equal(stats_of(f).used_pages, 6);
	assert_fails_unchanged(f, do_free(f, pa + PG(3), 2), -ENOENT);
	assert_fails_unchanged(f, do_free(f, pa + PG(2), 2), -ENOENT);
	free_ok(f, pa, 3); /* head */
	assert_int_equal(stats_of(f).used_pages, 3);
	free_ok(f, pa + PG(7), 1); /* tail */
	free_ok(f, pa + PG(5), 2);
	struct pgalloc_stats now = stats_of(f);
	assert_memory_equal(&now, &pristine, sizeof(now));

	/* one free covering two separate allocations */
	alloc_at_ok(f, BASE + PG(20), 3);
	alloc_at_ok(f, BASE + PG(23), 5);
	free_ok(f, BASE + PG(21), 6);
	free_ok(f, BASE + PG(20), 1);
	free_ok(f, BASE + PG(27), 1);
	now = stats_of(f);
	assert_memory_equal(&now, &pristine, sizeof(now));
}

/* n = 513 costs exactly 513 pages (no power-of-two round-up kept by a buddy). */
static void test_exact_page_counts(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE, 2048);
	struct pgalloc_stats pristine = stats_of(f);
	paddr_t a = alloc_ok(f, 513, PAGE_SIZE_4K);
	struct pgalloc_stats st = stats_of(f);
	assert_int_equal(st.used_pages, 513);
	assert_int_equal(st.free_pages, 2048 - 513);
	paddr_t b = alloc_ok(f, 513, PAGE_SIZE_4K);
	assert_true(b >= a + PG(513) || a >= b + PG(513));
	assert_int_equal(stats_of(f).used_pages, 1026);
	paddr_t c = alloc_ok(f, 3, PAGE_SIZE_4K);
	paddr_t d = alloc_ok(f, 100, PAGE_SIZE_4K);
	assert_int_equal(stats_of(f).used_pages, 1129);
	free_ok(f, a, 1);
	free_ok(f, a + PG(1), 512);
	free_ok(f, b, 513);
	free_ok(f, c, 3);
	free_ok(f, d + PG(50), 50);
	free_ok(f, d, 50);
	struct pgalloc_stats now = stats_of(f);
	assert_memory_equal(&now, &pristine, sizeof(now));
}

/* 16-page aligned pool with pages 1 and 6 in use: free blocks 0 | 2-3 4-5 | 7 | 8-15. */
static void test_indexes_known_state(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE, 16);
	struct pgalloc_stats st = stats_of(f);
	assert_int_equal(st.free_blocks[4], 1);
	assert_int_equal(st.largest_free_order, 4);
	for (unsigned o = 0; o <= 4; o++) {
		assert_int_equal(pgalloc_unusable_index(&st, o), 0);
		assert_int_equal(pgalloc_fragmentation_index(&st, o), -1000);
	}
	assert_int_equal(pgalloc_unusable_index(&st, 5), 1000);
	/* 1000 - (1000 + 16 * 1000 / 32) / 1 */
	assert_int_equal(pgalloc_fragmentation_index(&st, 5), -500);

	alloc_at_ok(f, BASE + PG(1), 1);
	alloc_at_ok(f, BASE + PG(6), 1);
	st = stats_of(f);
	assert_int_equal(st.free_pages, 14);
	assert_int_equal(st.used_pages, 2);
	assert_int_equal(st.free_blocks[0], 2);
	assert_int_equal(st.free_blocks[1], 2);
	assert_int_equal(st.free_blocks[2], 0);
	assert_int_equal(st.free_blocks[3], 1);
	assert_int_equal(st.free_blocks[4], 0);
	assert_int_equal(st.largest_free_order, 3);
	/* unusable: (14 - usable) * 1000 / 14 with usable 14, 12, 8, 8, 0 */
	assert_int_equal(pgalloc_unusable_index(&st, 0), 0);
	assert_int_equal(pgalloc_unusable_index(&st, 1), 142);
	assert_int_equal(pgalloc_unusable_index(&st, 2), 428);
	assert_int_equal(pgalloc_unusable_index(&st, 3), 428);
	assert_int_equal(pgalloc_unusable_index(&st, 4), 1000);
	/* fragmentation: 5 free blocks; 1000 - (1000 + 14000 / 16) / 5 and ... / 32 */
	assert_int_equal(pgalloc_fragmentation_index(&st, 3), -1000);
	assert_int_equal(pgalloc_fragmentation_index(&st, 4), 625);
	assert_int_equal(pgalloc_fragmentation_index(&st, 5), 713);

	/* everything in use */
	for (unsigned i = 0; i < 14; i++)
		alloc_ok(f, 1, PAGE_SIZE_4K);
	st = stats_of(f);
	assert_int_equal(pgalloc_unusable_index(&st, 0), 1000);
	assert_int_equal(pgalloc_fragmentation_index(&st, 0), 0);
}

/* Pool [BASE + 3 pages, BASE + 16 pages): free blocks 3 | 4-7 | 8-15. */
static void test_indexes_unaligned_base(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE + PG(3), 13);
	struct pgalloc_stats st = stats_of(f);
	assert_int_equal(st.free_blocks[0], 1);
	assert_int_equal(st.free_blocks[1], 0);
	assert_int_equal(st.free_blocks[2], 1);
	assert_int_equal(st.free_blocks[3], 1);
	assert_int_equal(st.largest_free_order, 3);
	/* usable 13, 12, 12, 8, 0 of 13 */
	assert_int_equal(pgalloc_unusable_index(&st, 0), 0);
	assert_int_equal(pgalloc_unusable_index(&st, 1), 76);
	assert_int_equal(pgalloc_unusable_index(&st, 2), 76);
	assert_int_equal(pgalloc_unusable_index(&st, 3), 384);
	assert_int_equal(pgalloc_unusable_index(&st, 4), 1000);
	/* 1000 - (1000 + 13000 / 16) / 3 */
	assert_int_equal(pgalloc_fragmentation_index(&st, 4), 396);
	/* an 8-page request with 8-page alignment takes the only order-3 block */
	paddr_t pa = alloc_ok(f, 8, PG(8));
	assert_int_equal(pa, BASE + PG(8));
	st = stats_of(f);
	assert_int_equal(st.largest_free_order, 2);
	assert_int_equal(pgalloc_unusable_index(&st, 2), 200);
}

/* ---- metadata, exhaustion, range edges ---- */

/* meta_bytes is 0 for an invalid range; add_memory refuses a NULL or misaligned buffer. */
static void test_meta_bytes_and_buffer(void **state)
{
	struct fix *f = *state;
	const struct pgalloc_ops *ops = f->in.ops;
	assert_int_equal(pgalloc_meta_bytes(ops, BASE, 0), 0);
	assert_int_equal(pgalloc_meta_bytes(ops, BASE + 1, PG(1)), 0);
	assert_int_equal(pgalloc_meta_bytes(ops, BASE, PG(1) + 1), 0);
	assert_int_equal(pgalloc_meta_bytes(ops, 0xfffffffffffff000ULL, PG(2)), 0);
	/* an odd first frame still needs metadata */
	assert_true(pgalloc_meta_bytes(ops, BASE + PG(1), PG(1)) > 0);

	size_t bytes = pgalloc_meta_bytes(ops, BASE, PG(64));
	uint64_t *meta = calloc(bytes / sizeof(uint64_t) + 1, sizeof(uint64_t));
	assert_non_null(meta);
	assert_fails_unchanged(f, pgalloc_add_memory(f->in.pg, BASE, PG(64), NULL), -EINVAL);
	assert_fails_unchanged(f, pgalloc_add_memory(f->in.pg, BASE, PG(64), (char *)meta + 4),
			       -EINVAL);
	free(meta);

	/* the stats count the metadata of every range added */
	add_ok(f, BASE, PAGES_PER_1G);
	add_ok(f, BASE + 3 * PAGE_SIZE_1G + PG(1), 7);
	struct pgalloc_stats st = stats_of(f);
	assert_int_equal(st.meta_bytes,
			 pgalloc_meta_bytes(ops, BASE, PAGE_SIZE_1G) +
			     pgalloc_meta_bytes(ops, BASE + 3 * PAGE_SIZE_1G + PG(1), PG(7)));
	assert_int_equal(st.total_pages, PAGES_PER_1G + 7);
	assert_int_equal(st.free_pages, PAGES_PER_1G + 7);
	assert_int_equal(st.largest_free_order, PGALLOC_MAX_ORDER);
}

/* Allocate until -ENOMEM, free everything, and do it again with other sizes. */
static void test_exhaustion_and_refill(void **state)
{
	struct fix *f = *state;
	static const uint64_t sizes[] = {1, 3, 16, 64};
	const uint64_t total = 556;
	add_ok(f, BASE, 256);
	add_ok(f, 0x90001000ULL, 300);
	struct pgalloc_stats pristine = stats_of(f);
	paddr_t *got = calloc(total, sizeof(*got));
	assert_non_null(got);
	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t n = sizes[s], count = 0;
		while (pgalloc_alloc(f->in.pg, n, PAGE_SIZE_4K, PGALLOC_MOVABLE, &got[count]) == 0)
			count++;
		assert_consistent(f);
		struct pgalloc_stats st = stats_of(f);
		assert_int_equal(count * n + st.free_pages, total);
		assert_fails_unchanged(f, do_alloc(f, n, PAGE_SIZE_4K), -ENOMEM);
		if (n == 1)
			assert_int_equal(st.free_pages, 0);
		while (count > 0) {
			count--;
			assert_int_equal(do_free(f, got[count], n), 0);
		}
		struct pgalloc_stats now = stats_of(f);
		assert_memory_equal(&now, &pristine, sizeof(now));
		assert_consistent(f);
	}
	free(got);
}

/* Adjacent ranges stay apart: no allocation, free or free block spans both. */
static void test_adjacent_ranges_apart(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE + PAGE_SIZE_2M, PAGES_PER_2M);
	add_ok(f, BASE, PAGES_PER_2M);
	struct pgalloc_stats pristine = stats_of(f);
	/* the two 2M ranges are order-9 buddies by address, yet two blocks */
	assert_int_equal(pristine.free_blocks[9], 2);
	assert_int_equal(pristine.largest_free_order, 9);
	assert_fails_unchanged(f, do_alloc(f, 2 * PAGES_PER_2M, PAGE_SIZE_4K), -ENOMEM);
	assert_fails_unchanged(f, do_alloc(f, 600, PAGE_SIZE_4K), -ENOMEM);
	assert_fails_unchanged(f, do_alloc(f, PAGES_PER_2M + 1, PAGE_SIZE_2M), -ENOMEM);
	assert_fails_unchanged(f, do_alloc_at(f, BASE + PAGE_SIZE_2M - PG(1), 2), -EINVAL);
	paddr_t a = alloc_ok(f, PAGES_PER_2M, PAGE_SIZE_2M);
	paddr_t b = alloc_ok(f, PAGES_PER_2M, PAGE_SIZE_2M);
	assert_true(a != b);
	assert_fails_unchanged(f, do_free(f, BASE, 2 * PAGES_PER_2M), -EINVAL);
	assert_fails_unchanged(f, do_free(f, BASE + PAGE_SIZE_2M - PG(1), 2), -EINVAL);
	free_ok(f, a, PAGES_PER_2M);
	free_ok(f, b, PAGES_PER_2M);
	struct pgalloc_stats now = stats_of(f);
	assert_memory_equal(&now, &pristine, sizeof(now));
}

/* A failed alloc does not write *out. */
static void test_alloc_error_keeps_out(void **state)
{
	struct fix *f = *state;
	paddr_t pa = 0x1234;
	add_ok(f, BASE + PAGE_SIZE_2M, PAGES_PER_2M); /* 2M- but not 4M-aligned */
	assert_int_equal(pgalloc_alloc(f->in.pg, 0, PAGE_SIZE_4K, PGALLOC_MOVABLE, &pa), -EINVAL);
	assert_int_equal(pgalloc_alloc(f->in.pg, 1, 3 * PAGE_SIZE_4K, PGALLOC_MOVABLE, &pa),
			 -EINVAL);
	assert_int_equal(
	    pgalloc_alloc(f->in.pg, PGALLOC_MAX_PAGES, PAGE_SIZE_4K, PGALLOC_MOVABLE, &pa),
	    -ENOMEM);
	assert_int_equal(
	    pgalloc_alloc(f->in.pg, PAGES_PER_2M + 1, PAGE_SIZE_4K, PGALLOC_MOVABLE, &pa), -ENOMEM);
	assert_int_equal(pgalloc_alloc(f->in.pg, 1, 2 * PAGE_SIZE_2M, PGALLOC_MOVABLE, &pa),
			 -ENOMEM);
	assert_int_equal(pa, 0x1234);
}

/* Frame number 0 is an ordinary frame, aligned to everything. */
static void test_range_at_zero(void **state)
{
	struct fix *f = *state;
	add_ok(f, 0, PAGES_PER_2M + 1);
	struct pgalloc_stats pristine = stats_of(f);
	assert_int_equal(pristine.free_blocks[0], 1);
	assert_int_equal(pristine.free_blocks[9], 1);
	assert_int_equal(alloc_ok(f, 1, PAGE_SIZE_1G), 0);
	alloc_at_ok(f, PAGE_SIZE_2M, 1);
	assert_fails_unchanged(f, do_alloc_at(f, 0, 2), -EEXIST);
	free_ok(f, 0, 1);
	free_ok(f, PAGE_SIZE_2M, 1);
	struct pgalloc_stats now = stats_of(f);
	assert_memory_equal(&now, &pristine, sizeof(now));
}

/* Requests above 1G are runs across several 1G blocks. */
static void test_larger_than_1g(void **state)
{
	struct fix *f = *state;
	add_ok(f, BASE, 4 * PAGES_PER_1G);
	struct pgalloc_stats pristine = stats_of(f);
	paddr_t p = alloc_ok(f, PAGES_PER_1G + 1, PAGE_SIZE_1G);
	free_ok(f, p, PAGES_PER_1G + 1);
	assert_int_equal(alloc_ok(f, 4 * PAGES_PER_1G, PAGE_SIZE_1G), BASE);
	assert_fails_unchanged(f, do_alloc(f, 1, PAGE_SIZE_4K), -ENOMEM);
	free_ok(f, BASE + PAGE_SIZE_1G, 2 * PAGES_PER_1G);
	assert_fails_unchanged(f, do_alloc(f, 2 * PAGES_PER_1G + 1, PAGE_SIZE_4K), -ENOMEM);
	assert_int_equal(alloc_ok(f, 2 * PAGES_PER_1G, PAGE_SIZE_1G), BASE + PAGE_SIZE_1G);
	free_ok(f, BASE, 4 * PAGES_PER_1G);
	struct pgalloc_stats now = stats_of(f);
	assert_memory_equal(&now, &pristine, sizeof(now));
}

/* ---- a huge block given back in pieces (transparent huge pages) ---- */

/*
 * Allocates the one block of block_pages pages aligned to its size that a
 * range with a few pages to spare at either end holds, then frees it
 * piece_pages at a time in a seeded random order. Between the frees it
 * allocates single pages and, for pieces larger than a page, whole
 * piece-aligned pieces, and frees some of those again. Every call goes
 * through the checker (its model predicts each result and the stats, and
 * the allocator's own consistency checker runs after every step); an
 * allocation must also never overlap a piece of the block still held. When
 * everything is freed the stats are the pristine ones.
 */
static void free_block_in_pieces(const struct pgalloc_ops *ops, uint64_t block_pages,
				 uint64_t piece_pages, uint64_t seed)
{
	const paddr_t block = 4 * PAGE_SIZE_1G;
	const uint64_t npieces = block_pages / piece_pages;
	struct pgalloc_checker c;
	struct pgalloc_stats pristine, now;
	uint64_t rng = seed;
	uint64_t *order = calloc(npieces, sizeof(*order));
	bool *held = calloc(npieces, sizeof(*held));
	struct pgm_extent *live = calloc(npieces, sizeof(*live)); /* allocated meanwhile */
	size_t nr_live = 0;
	assert_non_null(order);
	assert_non_null(held);
	assert_non_null(live);

	pgc_create(&c, ops, 1);
	pgc_assert_seeded(&c, seed, pgc_add_memory(&c, block - PG(3), PG(block_pages + 8)));
	pgalloc_inst_stats(&c.inst, &pristine);
	paddr_t pa;
	pgc_assert_seeded(&c, seed,
			  pgc_alloc(&c, block_pages, PG(block_pages), PGALLOC_MOVABLE, &pa));
	if (pa != block)
		fail_msg("TEST_SEED=%llu: %s: the block is at %#llx, not %#llx",
			 (unsigned long long)seed, ops->name, (unsigned long long)pa,
			 (unsigned long long)block);
	for (uint64_t i = 0; i < npieces; i++) {
		order[i] = i;
		held[i] = true;
	}
	test_rand_shuffle(&rng, order, npieces);

	for (uint64_t i = 0; i < npieces; i++) {
		pgc_assert_seeded(&c, seed,
				  pgc_free(&c, block + PG(order[i] * piece_pages), piece_pages));
		if (c.last_rc != 0)
			fail_msg("TEST_SEED=%llu: %s: freeing piece %llu of the block: %d",
				 (unsigned long long)seed, ops->name, (unsigned long long)order[i],
				 c.last_rc);
		held[order[i]] = false;
		uint64_t what = test_rand_below(&rng, 4);
		if (what == 3 && nr_live > 0) {
			size_t k = test_rand_below(&rng, nr_live);
			pgc_assert_seeded(&c, seed, pgc_free(&c, live[k].addr, live[k].n));
			live[k] = live[--nr_live];
			continue;
		}
		uint64_t n = what == 2 && piece_pages > 1 ? piece_pages : 1;
		pgc_assert_seeded(&c, seed, pgc_alloc(&c, n, PG(n), PGALLOC_MOVABLE, &pa));
		if (c.last_rc != 0)
			continue;
		for (uint64_t p = 0; p < n; p++) {
			uint64_t off = (pa + PG(p) - block) >> PAGE_SHIFT;
			if (pa + PG(p) >= block && off < block_pages && held[off / piece_pages])
				fail_msg("TEST_SEED=%llu: %s: alloc(n=%llu) returned %#llx, inside "
					 "piece %llu of the block, still allocated",
					 (unsigned long long)seed, ops->name, (unsigned long long)n,
					 (unsigned long long)pa,
					 (unsigned long long)(off / piece_pages));
		}
		live[nr_live++] = (struct pgm_extent){pa, n};
	}
	/* What is left is what was allocated meanwhile. */
	pgc_assert_seeded(&c, seed, pgc_free_all(&c));
	pgalloc_inst_stats(&c.inst, &now);
	if (memcmp(&pristine, &now, sizeof(now)) != 0)
		fail_msg("TEST_SEED=%llu: %s: stats after freeing everything are not the pristine "
			 "ones",
			 (unsigned long long)seed, ops->name);
	pgc_destroy(&c);
	free(order);
	free(held);
	free(live);
}

/* A 2M block freed one 4K frame at a time. */
static void test_free_2m_block_by_4k(void **state)
{
	struct fix *f = *state;
	uint64_t seed = host_test_seed(CONTRACT_SEED);
	print_message("%s: free_2m_block_by_4k: TEST_SEED=%llu\n", f->in.ops->name,
		      (unsigned long long)seed);
	free_block_in_pieces(f->in.ops, PAGES_PER_2M, 1, seed);
}

/* A 1G block freed one 2M piece at a time. */
static void test_free_1g_block_by_2m(void **state)
{
	struct fix *f = *state;
	uint64_t seed = host_test_seed(CONTRACT_SEED);
	print_message("%s: free_1g_block_by_2m: TEST_SEED=%llu\n", f->in.ops->name,
		      (unsigned long long)seed);
	free_block_in_pieces(f->in.ops, PAGES_PER_1G, PAGES_PER_2M, seed);
}

/* Test X_fn: fn run on allocator X (bitmap or buddy). */
#define T(fn, X)                                                                                   \
	{                                                                                          \
#X "_" #fn, fn, setup, teardown, (void *)&X##_pgalloc_ops                          \
	}
#define CONTRACT_TESTS(X)                                                                          \
	{                                                                                          \
		T(test_empty_pool, X), T(test_add_memory_bad, X),                                  \
		    T(test_add_memory_too_many_ranges, X), T(test_alloc_bad_args, X),              \
		    T(test_free_bad, X), T(test_free_past_range_end, X), T(test_alloc_at_bad, X),  \
		    T(test_alloc_too_fragmented, X), T(test_fresh_range_histogram, X),             \
		    T(test_top_of_address_space, X), T(test_alignment_every_align, X),             \
		    T(test_alignment_two_blocks, X), T(test_multiple_ranges_unaligned_bases, X),   \
		    T(test_alloc_at_exact, X), T(test_partial_free, X),                            \
		    T(test_exact_page_counts, X), T(test_indexes_known_state, X),                  \
		    T(test_indexes_unaligned_base, X), T(test_meta_bytes_and_buffer, X),           \
		    T(test_exhaustion_and_refill, X), T(test_adjacent_ranges_apart, X),            \
		    T(test_alloc_error_keeps_out, X), T(test_range_at_zero, X),                    \
		    T(test_larger_than_1g, X), T(test_free_2m_block_by_4k, X),                     \
		    T(test_free_1g_block_by_2m, X),                                                \
	}

/* ---- both allocators side by side ---- */

/* Applies one scripted step to a checker; fails the test on any mismatch with the model. */
static void step(struct pgalloc_checker *c, char kind, paddr_t addr, uint64_t n)
{
	bool ok = kind == 'a' ? pgc_alloc_at(c, addr, n) : pgc_free(c, addr, n);
	if (!ok)
		fail_msg("%s", c->err);
	assert_int_equal(c->last_rc, 0);
}

static void test_same_histogram_both(void **state)
{
	(void)state;
	static const struct {
		char kind; /* 'a' alloc_at, 'f' free */
		uint64_t page;
		uint64_t n;
	} script[] = {
	    {'a', 3, 1},     {'a', 4, 4},      {'a', 100, 413}, {'a', 600, 30},
	    {'f', 5, 2},     {'a', 1024, 512}, {'f', 1100, 7},	{'a', 2000, 3},
	    {'f', 101, 200}, {'f', 3, 1},      {'f', 2000, 2},	{'a', 5000, 300},
	    {'f', 4, 1},     {'f', 1024, 76},  {'a', 4000, 1},	{'f', 600, 15},
	};
	struct pgalloc_checker c[PGALLOC_NR_ALLOCATORS];
	for (unsigned k = 0; k < PGALLOC_NR_ALLOCATORS; k++) {
		pgc_create(&c[k], pgalloc_all_ops[k], 1);
		/* a 1G-aligned range and one that starts and ends off any 2M boundary */
		if (!pgc_add_memory(&c[k], BASE, PG(4096)) ||
		    !pgc_add_memory(&c[k], BASE + PAGE_SIZE_1G + PG(1), PG(6001)))
			fail_msg("%s", c[k].err);
	}
	for (unsigned i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		paddr_t addr = (script[i].page < 4096 ? BASE : BASE + PAGE_SIZE_1G - PG(4096)) +
			       PG(script[i].page);
		struct pgalloc_stats st[PGALLOC_NR_ALLOCATORS];
		for (unsigned k = 0; k < PGALLOC_NR_ALLOCATORS; k++) {
			step(&c[k], script[i].kind, addr, script[i].n);
			pgalloc_inst_stats(&c[k].inst, &st[k]);
			st[k].meta_bytes = 0;
		}
		assert_memory_equal(&st[0], &st[1], sizeof(st[0]));
	}
	for (unsigned k = 0; k < PGALLOC_NR_ALLOCATORS; k++) {
		if (!pgc_free_all(&c[k]))
			fail_msg("%s", c[k].err);
		pgc_destroy(&c[k]);
	}
}

int main(void)
{
	const struct CMUnitTest bitmap_tests[] = CONTRACT_TESTS(bitmap);
	const struct CMUnitTest buddy_tests[] = CONTRACT_TESTS(buddy);
	const struct CMUnitTest both_tests[] = {
	    cmocka_unit_test(test_same_histogram_both),
	};
	int failed = 0;
	failed += cmocka_run_group_tests_name("bitmap", bitmap_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("buddy", buddy_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("both", both_tests, NULL, NULL);
	return failed ? 1 : 0;
}

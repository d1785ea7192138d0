/*
 * test_buddy.c - behaviour of axalloc-buddy beyond the page-allocator
 * contract (tests/pgalloc runs the contract and the random stress for both
 * allocators): metadata size, split and merge, tail return, the deferred
 * split, merging up to 1G, block cutting of unaligned ranges, alloc_at
 * carving, zone placement of single pages, first fit and its budget, the
 * fragmentation counts of the benchmark's patterns, and zones of a large
 * range. Physical addresses are made up: the allocator never touches them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <axalloc-buddy/buddy.h>
#include <klib/list.h>

#include "pgalloc_inst.h"
#include "test_rand.h"
#include "test_seed.h"

#define PG	     PAGE_SIZE_4K
#define BASE	     0x80000000UL
#define ALIGN_2M     PAGE_SIZE_2M
#define ALIGN_1G     PAGE_SIZE_1G
#define PAGES_1G     (PAGE_SIZE_1G / PG)
#define ORDER_2M     9
#define DEFAULT_SEED 0x5eed2025UL

/* A buddy allocator over host metadata buffers, and its state seen inside. */
struct fixture {
	struct pgalloc_inst in;
	struct buddy_pgalloc *a;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	pgalloc_inst_create(&f->in, &buddy_pgalloc_ops);
	f->a = container_of(f->in.pg, struct buddy_pgalloc, pgalloc);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	pgalloc_inst_destroy(&f->in);
	free(f);
	return 0;
}

/* Adds [base, base + size) with a fresh metadata buffer; returns add_memory's result. */
static int add_range(struct fixture *f, paddr_t base, uint64_t size)
{
	return pgalloc_inst_add(&f->in, base, size);
}

static struct pgalloc_stats stats_of(const struct buddy_pgalloc *a)
{
	struct pgalloc_stats st;
	pgalloc_stats(&a->pgalloc, &st);
	return st;
}

static void assert_stats_equal(const struct pgalloc_stats *x, const struct pgalloc_stats *y)
{
	if (memcmp(x, y, sizeof(*x)) != 0) {
		pgalloc_dump("expected", x);
		pgalloc_dump("actual", y);
		fail_msg("stats differ");
	}
}

/* A copy of the allocator and all its metadata, to prove a failed call changed nothing. */
struct snapshot {
	struct buddy_pgalloc a;
	void *meta[PGALLOC_MAX_RANGES];
	unsigned nr_meta;
};

static struct snapshot *snapshot_take(const struct fixture *f)
{
	struct snapshot *s = malloc(sizeof(*s));
	assert_non_null(s);
	s->a = *f->a;
	s->nr_meta = f->in.nr_meta;
	for (unsigned i = 0; i < f->in.nr_meta; i++) {
		s->meta[i] = malloc(f->in.meta_size[i]);
		assert_non_null(s->meta[i]);
		memcpy(s->meta[i], f->in.meta[i], f->in.meta_size[i]);
	}
	return s;
}

/* Asserts that f is byte for byte what s recorded, then frees s. */
static void snapshot_check(const struct fixture *f, struct snapshot *s)
{
	assert_int_equal(s->nr_meta, f->in.nr_meta);
	assert_memory_equal(&s->a, f->a, sizeof(s->a));
	for (unsigned i = 0; i < f->in.nr_meta; i++) {
		assert_memory_equal(s->meta[i], f->in.meta[i], f->in.meta_size[i]);
		free(s->meta[i]);
	}
	free(s);
}

/*
 * Asserts that `call` returned err, left the stats (compared whole) and
 * every byte of the allocator and its metadata unchanged, and the
 * allocator consistent.
 */
#define EXPECT_FAIL(f, err, call)                                                                  \
	do {                                                                                       \
		struct pgalloc_stats before_ = stats_of((f)->a);                                   \
		struct snapshot *snap_ = snapshot_take(f);                                         \
		assert_int_equal((call), (err));                                                   \
		struct pgalloc_stats after_ = stats_of((f)->a);                                    \
		assert_stats_equal(&before_, &after_);                                             \
		snapshot_check(f, snap_);                                                          \
		assert_int_equal(pgalloc_check((f)->in.pg), 0);                                    \
	} while (0)

static paddr_t alloc_ok(struct fixture *f, uint64_t n, uint64_t align)
{
	paddr_t pa = 0;
	assert_int_equal(pgalloc_alloc(f->in.pg, n, align, PGALLOC_MOVABLE, &pa), 0);
	assert_true(IS_ALIGNED(pa, align));
	assert_int_equal(pgalloc_check(f->in.pg), 0);
	return pa;
}

static void free_ok(struct fixture *f, paddr_t pa, uint64_t n)
{
	assert_int_equal(pgalloc_free(f->in.pg, pa, n), 0);
	assert_int_equal(pgalloc_check(f->in.pg), 0);
}

/* Asserts free_blocks[o] == want[o] for every order (orders past the list: 0). */
static void assert_histogram(const struct buddy_pgalloc *a, const uint64_t *want, unsigned nr)
{
	struct pgalloc_stats st = stats_of(a);
	for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++) {
		uint64_t w = o < nr ? want[o] : 0;
		if (st.free_blocks[o] != w) {
			pgalloc_dump("actual", &st);
			fail_msg("order %u: %lu free blocks, want %lu", o,
				 (unsigned long)st.free_blocks[o], (unsigned long)w);
		}
	}
}

/* ------------------------------------------------------------------------- */

/* The metadata size of the layout in docs/buddy.md, and the largest range. */
static void test_meta_bytes(void **state)
{
	struct fixture *f = *state;
	uint64_t meta[8];
	/* (131072 pairs + 512 zones * 19 list heads) * 8 + 4096 used words * 8
	 * + (19 + 1) * (8 + 1) zone words * 8 + 512 zone masks * 4 + 131072 head bytes */
	assert_int_equal(pgalloc_meta_bytes(&buddy_pgalloc_ops, BASE, PAGE_SIZE_1G), 1293728);
	/* An odd first frame needs the pair it shares with the frame below. */
	assert_true(pgalloc_meta_bytes(&buddy_pgalloc_ops, BASE + PG, PG) >=
		    sizeof(struct buddy_link) + 8 + 1);
	assert_int_equal(
	    pgalloc_meta_bytes(&buddy_pgalloc_ops, 0, (BUDDY_MAX_RANGE_FRAMES + 1) * PG), 0);
	EXPECT_FAIL(f, -EINVAL,
		    pgalloc_add_memory(f->in.pg, 0, (BUDDY_MAX_RANGE_FRAMES + 1) * PG, meta));
}

/* One page out of a free 2M block leaves one free block of each order 0..8. */
static void test_split_and_merge(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(add_range(f, BASE, PAGE_SIZE_2M), 0);
	struct pgalloc_stats initial = stats_of(f->a);
	uint64_t one_2m[] = {[ORDER_2M] = 1};
	assert_histogram(f->a, one_2m, ORDER_2M + 1);

	paddr_t pa = alloc_ok(f, 1, PG);
	assert_int_equal(pa, BASE);
	uint64_t split[ORDER_2M + 1] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
	assert_histogram(f->a, split, ORDER_2M + 1);
	struct pgalloc_stats st = stats_of(f->a);
	assert_int_equal(st.free_pages, 511);
	assert_int_equal(st.used_pages, 1);
	assert_int_equal(st.largest_free_order, ORDER_2M - 1);

	/* The second page is the order-0 buddy: no further split. */
	paddr_t pb = alloc_ok(f, 1, PG);
	assert_int_equal(pb, BASE + PG);
	uint64_t after2[ORDER_2M + 1] = {0, 1, 1, 1, 1, 1, 1, 1, 1, 0};
	assert_histogram(f->a, after2, ORDER_2M + 1);

	free_ok(f, pa, 1);
	assert_histogram(f->a, split, ORDER_2M + 1);
	free_ok(f, pb, 1);
	st = stats_of(f->a);
	assert_stats_equal(&initial, &st);
}

/* n = 513 takes 513 pages, not 1024, and free(addr, 513) gives them back. */
static void test_tail_return(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(add_range(f, BASE, 1024 * PG), 0);
	struct pgalloc_stats initial = stats_of(f->a);

	paddr_t pa = alloc_ok(f, 513, PG);
	assert_int_equal(pa, BASE);
	struct pgalloc_stats st = stats_of(f->a);
	assert_int_equal(st.free_pages, initial.free_pages - 513);
	assert_int_equal(st.used_pages, 513);
	uint64_t tail[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	assert_histogram(f->a, tail, 9);

	/* The 511 returned pages are usable as one run spanning nine blocks. */
	paddr_t pb = alloc_ok(f, 511, PG);
	assert_int_equal(pb, BASE + 513 * PG);
	st = stats_of(f->a);
	assert_int_equal(st.free_pages, 0);
	paddr_t pc;
	EXPECT_FAIL(f, -ENOMEM, pgalloc_alloc(f->in.pg, 1, PG, PGALLOC_MOVABLE, &pc));

	free_ok(f, pb, 511);
	free_ok(f, pa, 513);
	st = stats_of(f->a);
	assert_stats_equal(&initial, &st);

	/* Other non-powers of two: exactly n pages each. */
	for (uint64_t n = 1; n <= 1024; n += 37) {
		paddr_t p = alloc_ok(f, n, PG);
		st = stats_of(f->a);
		assert_int_equal(st.used_pages, n);
		free_ok(f, p, n);
		st = stats_of(f->a);
		assert_stats_equal(&initial, &st);
	}
}

/*
 * A block split for one page or a block-aligned request stays listed, its
 * tail unlisted, until the next call; the exact free right after undoes the
 * split. (Other requests are placed by first fit and never defer.)
 */
static void test_deferred_tail(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(add_range(f, BASE, PAGE_SIZE_2M), 0);
	struct pgalloc_stats initial = stats_of(f->a);
	uint64_t split[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	struct snapshot *before = snapshot_take(f);

	/* alloc + exact free: back to one 2M block, no list touched. */
	paddr_t p = alloc_ok(f, 1, PG);
	assert_histogram(f->a, split, 9);
	assert_int_equal(f->a->nr_free[ORDER_2M], 1); /* still listed, not free */
	assert_int_equal(f->a->nr_free[0], 0);
	free_ok(f, p, 1);
	struct pgalloc_stats st = stats_of(f->a);
	assert_stats_equal(&initial, &st);
	before->a.deferred = f->a->deferred; /* its fields but n keep the last split */
	snapshot_check(f, before);

	/* Failed frees in between change nothing, and the undo still works. */
	p = alloc_ok(f, 3, 4 * PG);
	EXPECT_FAIL(f, -ENOENT, pgalloc_free(f->in.pg, p, 4));
	EXPECT_FAIL(f, -ENOENT, pgalloc_free(f->in.pg, p + 3 * PG, 1));
	EXPECT_FAIL(f, -EINVAL, pgalloc_free(f->in.pg, p + 1, 3));
	EXPECT_FAIL(f, -EEXIST, pgalloc_alloc_at(f->in.pg, p + 2 * PG, 1));
	free_ok(f, p, 3);
	st = stats_of(f->a);
	assert_stats_equal(&initial, &st);

	/* Any other call lists the tail first. */
	p = alloc_ok(f, 5, 8 * PG);
	free_ok(f, p + PG, 1);
	free_ok(f, p, 1);
	free_ok(f, p + 2 * PG, 3);
	st = stats_of(f->a);
	assert_stats_equal(&initial, &st);

	p = alloc_ok(f, 5, 8 * PG);
	assert_int_equal(pgalloc_alloc_at(f->in.pg, p + 5 * PG, 1), 0);
	assert_int_equal(pgalloc_check(f->in.pg), 0);
	free_ok(f, p, 6);
	st = stats_of(f->a);
	assert_stats_equal(&initial, &st);

	p = alloc_ok(f, 5, 8 * PG);
	paddr_t q = alloc_ok(f, 1, PG);
	assert_int_equal(q, p + 5 * PG);
	free_ok(f, p, 5); /* not the last allocation: an ordinary free */
	free_ok(f, q, 1); /* its tail was listed by the free before */
	st = stats_of(f->a);
	assert_stats_equal(&initial, &st);

	/* Adding a range lists the tail of the range it came from. */
	p = alloc_ok(f, 1, PG);
	assert_int_equal(add_range(f, BASE - PAGE_SIZE_2M, PAGE_SIZE_2M), 0);
	assert_int_equal(pgalloc_check(f->in.pg), 0);
	free_ok(f, p, 1);
	st = stats_of(f->a);
	assert_int_equal(st.free_blocks[ORDER_2M], 2);
	assert_int_equal(st.free_pages, 1024);
}

/* Splits reach down from 1G and merges climb back; 1G buddies stay apart. */
static void test_merge_up_to_1g(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(add_range(f, BASE, 2 * PAGE_SIZE_1G), 0);
	struct pgalloc_stats initial = stats_of(f->a);
	uint64_t two_1g[PGALLOC_NR_ORDERS] = {[PGALLOC_MAX_ORDER] = 2};
	assert_histogram(f->a, two_1g, PGALLOC_NR_ORDERS);

	paddr_t pa = alloc_ok(f, 1, PG);
	uint64_t split[PGALLOC_NR_ORDERS];
	for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++)
		split[o] = 1;
	assert_histogram(f->a, split, PGALLOC_NR_ORDERS);
	free_ok(f, pa, 1);
	struct pgalloc_stats st = stats_of(f->a);
	assert_stats_equal(&initial, &st);

	/* Fill one 1G block with single pages, free them in random order. */
	uint64_t n = PAGES_1G;
	paddr_t *pages = malloc(n * sizeof(*pages));
	assert_non_null(pages);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pgalloc_alloc_at(f->in.pg, BASE + PAGE_SIZE_1G + i * PG, 1), 0);
	for (uint64_t i = 0; i < n; i++)
		pages[i] = BASE + PAGE_SIZE_1G + i * PG;
	uint64_t one_1g[PGALLOC_NR_ORDERS] = {[PGALLOC_MAX_ORDER] = 1};
	assert_histogram(f->a, one_1g, PGALLOC_NR_ORDERS);
	assert_int_equal(pgalloc_check(f->in.pg), 0);
	uint64_t seed = host_test_seed(DEFAULT_SEED);
	print_message("random-order free: seed %#llx (TEST_SEED replays it)\n",
		      (unsigned long long)seed);
	test_rand_shuffle(&seed, pages, n);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(pgalloc_free(f->in.pg, pages[i], 1), 0);
	free(pages);
	assert_int_equal(pgalloc_check(f->in.pg), 0);
	st = stats_of(f->a);
	assert_stats_equal(&initial, &st);
}

/* A range at 0x80200000 is cut into physically aligned blocks. */
static void test_unaligned_base(void **state)
{
	struct fixture *f = *state;
	const paddr_t base = 0x80200000UL;
	assert_int_equal(add_range(f, base, PAGE_SIZE_1G), 0);
	struct pgalloc_stats initial = stats_of(f->a);
	/* 2M@0x80200000, 4M, 8M, ... 512M@0xa0000000, then 2M@0xc0000000 */
	uint64_t cut[PGALLOC_NR_ORDERS] = {[9] = 2, 1, 1, 1, 1, 1, 1, 1, 1};
	assert_histogram(f->a, cut, PGALLOC_NR_ORDERS);
	assert_int_equal(initial.largest_free_order, 17);

	/* The whole range as one run. */
	paddr_t all = alloc_ok(f, PAGES_1G, PG);
	assert_int_equal(all, base);
	free_ok(f, all, PAGES_1G);
	struct pgalloc_stats st = stats_of(f->a);
	assert_stats_equal(&initial, &st);

	/* The only 1G-aligned page is the head of the last 2M block. */
	paddr_t p1g = alloc_ok(f, 1, ALIGN_1G);
	assert_int_equal(p1g, 0xc0000000UL);
	paddr_t pa;
	EXPECT_FAIL(f, -ENOMEM, pgalloc_alloc(f->in.pg, 1, ALIGN_1G, PGALLOC_MOVABLE, &pa));
	paddr_t p2m = alloc_ok(f, 512, ALIGN_2M);
	assert_int_equal(p2m, base);
	paddr_t p4m = alloc_ok(f, 1, 2 * ALIGN_2M);
	assert_true(IS_ALIGNED(p4m, 2 * ALIGN_2M));
	paddr_t odd = alloc_ok(f, 3, PG);
	assert_true(odd >= base && odd + 3 * PG <= base + PAGE_SIZE_1G);
	free_ok(f, odd, 3);
	free_ok(f, p4m, 1);
	free_ok(f, p2m, 512);
	free_ok(f, p1g, 1);
	st = stats_of(f->a);
	assert_stats_equal(&initial, &st);
}

/* alloc_at splits the covering free blocks and keeps the rest free. */
static void test_alloc_at_split(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(add_range(f, BASE, PAGE_SIZE_2M), 0);
	struct pgalloc_stats initial = stats_of(f->a);

	assert_int_equal(pgalloc_alloc_at(f->in.pg, BASE + 5 * PG, 3), 0);
	assert_int_equal(pgalloc_check(f->in.pg), 0);
	/* free: [0,4) o2, [4] o0, [8,16) o3, [16,32) o4, ... [256,512) o8 */
	uint64_t carved[] = {1, 0, 1, 1, 1, 1, 1, 1, 1};
	assert_histogram(f->a, carved, 9);
	struct pgalloc_stats st = stats_of(f->a);
	assert_int_equal(st.free_pages, 509);

	EXPECT_FAIL(f, -EEXIST, pgalloc_alloc_at(f->in.pg, BASE + 5 * PG, 3));
	EXPECT_FAIL(f, -EEXIST, pgalloc_alloc_at(f->in.pg, BASE + 7 * PG, 2));
	EXPECT_FAIL(f, -EEXIST, pgalloc_alloc_at(f->in.pg, BASE, 6));

	/* Spanning two free blocks ([0,4) and [4]). */
	assert_int_equal(pgalloc_alloc_at(f->in.pg, BASE + PG, 4), 0);
	assert_int_equal(pgalloc_check(f->in.pg), 0);
	uint64_t carved2[] = {1, 0, 0, 1, 1, 1, 1, 1, 1};
	assert_histogram(f->a, carved2, 9);
	free_ok(f, BASE + PG, 7);
	st = stats_of(f->a);
	assert_stats_equal(&initial, &st);

	/* Everything but both ends; then the ends. */
	assert_int_equal(pgalloc_alloc_at(f->in.pg, BASE + PG, 510), 0);
	uint64_t ends[] = {2};
	assert_histogram(f->a, ends, 1);
	assert_int_equal(pgalloc_alloc_at(f->in.pg, BASE, 1), 0);
	assert_int_equal(pgalloc_alloc_at(f->in.pg, BASE + 511 * PG, 1), 0);
	st = stats_of(f->a);
	assert_int_equal(st.free_pages, 0);
	assert_int_equal(st.largest_free_order, 0);
	free_ok(f, BASE, 512);
	st = stats_of(f->a);
	assert_stats_equal(&initial, &st);

	/* A carve across many blocks of a split pool. */
	paddr_t p0 = alloc_ok(f, 1, PG);
	assert_int_equal(p0, BASE);
	assert_int_equal(pgalloc_alloc_at(f->in.pg, BASE + 3 * PG, 100), 0);
	assert_int_equal(pgalloc_check(f->in.pg), 0);
	st = stats_of(f->a);
	assert_int_equal(st.used_pages, 101);
	free_ok(f, BASE + 3 * PG, 100);
	free_ok(f, p0, 1);
	st = stats_of(f->a);
	assert_stats_equal(&initial, &st);
}

/*
 * One page comes from the lowest zone that lists any block (the smallest
 * block of that zone), even when a higher zone has a smaller one; a
 * block-aligned request takes a block of the smallest order that fits.
 */
static void test_single_page_lowest_zone(void **state)
{
	struct fixture *f = *state;
	const uint64_t pages = 4 * PAGE_SIZE_2M / PG; /* four 2M zones */
	const paddr_t zone1 = BASE + PAGE_SIZE_2M, zone2 = BASE + 2 * PAGE_SIZE_2M;
	const paddr_t zone3 = BASE + 3 * PAGE_SIZE_2M;
	assert_int_equal(add_range(f, BASE, pages * PG), 0);
	assert_int_equal(f->a->range[0].nr_zones, 4);
	assert_int_equal(pgalloc_alloc_at(f->in.pg, BASE, pages), 0);
	/* Free one page in zones 3, 1, 2, in that order (a LIFO list would give zone 2's). */
	static const unsigned zones[] = {3, 1, 2};
	for (unsigned i = 0; i < 3; i++)
		free_ok(f, BASE + zones[i] * PAGE_SIZE_2M + 5 * PG, 1);
	for (unsigned z = 1; z <= 3; z++)
		assert_int_equal(alloc_ok(f, 1, PG), BASE + z * PAGE_SIZE_2M + 5 * PG);

	free_ok(f, zone1 + 64 * PG, 4); /* order 2 */
	free_ok(f, zone2 + 7 * PG, 1);	/* order 0, in a higher zone */
	free_ok(f, zone1 + 9 * PG, 1);	/* order 0 */
	assert_int_equal(alloc_ok(f, 1, PG), zone1 + 9 * PG);
	assert_int_equal(alloc_ok(f, 1, PG), zone1 + 64 * PG);
	assert_int_equal(alloc_ok(f, 1, PG), zone1 + 65 * PG); /* its tail: [65] and [66, 68) */

	free_ok(f, zone3 + 16 * PG, 8);	 /* order 3 */
	free_ok(f, zone2 + 32 * PG, 16); /* order 4, in a lower zone */
	assert_int_equal(alloc_ok(f, 2, 2 * PG), zone1 + 66 * PG);
	assert_int_equal(alloc_ok(f, 4, 4 * PG), zone3 + 16 * PG);
	assert_int_equal(alloc_ok(f, 1, PG), zone2 + 7 * PG);
	assert_int_equal(alloc_ok(f, 1, PG), zone2 + 32 * PG);
}

/*
 * Requests with less alignment than their block order go to the lowest
 * aligned run of n free pages, which may span blocks and zones, and take
 * exactly n pages.
 */
static void test_first_fit(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(add_range(f, BASE, 2 * PAGE_SIZE_2M), 0); /* two zones */
	struct pgalloc_stats initial = stats_of(f->a);
	assert_int_equal(pgalloc_alloc_at(f->in.pg, BASE, 1024), 0);

	free_ok(f, BASE + 5 * PG, 3);	 /* [5] o0, [6, 8) o1 */
	free_ok(f, BASE + 20 * PG, 10);	 /* [20, 24) o2, [24, 28) o2, [28, 30) o1 */
	free_ok(f, BASE + 33 * PG, 3);	 /* [33] o0, [34, 36) o1 */
	free_ok(f, BASE + 41 * PG, 4);	 /* [41] o0, [42, 44) o1, [44] o0 */
	free_ok(f, BASE + 508 * PG, 32); /* [508, 512) o2 in zone 0; o4, o3, o2 in zone 1 */
	struct pgalloc_stats st = stats_of(f->a);
	assert_int_equal(st.free_pages, 52);

	assert_int_equal(alloc_ok(f, 3, PG), BASE + 5 * PG);
	assert_int_equal(alloc_ok(f, 6, PG), BASE + 20 * PG);
	/* A power of two with 4K alignment is placed by run too: 26 is not 4-aligned. */
	assert_int_equal(alloc_ok(f, 4, PG), BASE + 26 * PG);
	/* 3 pages aligned to 2: [34, 37) is not free, [42, 45) is. */
	assert_int_equal(alloc_ok(f, 3, 2 * PG), BASE + 42 * PG);
	/* Only zone 1 lists blocks of order >= 3, but the run starts in zone 0. */
	assert_int_equal(alloc_ok(f, 30, PG), BASE + 508 * PG);
	st = stats_of(f->a);
	assert_int_equal(st.free_pages, 52 - 3 - 6 - 4 - 3 - 30);
	/* Left: [33, 36), [41], [538, 540). */
	paddr_t pa;
	EXPECT_FAIL(f, -ENOMEM, pgalloc_alloc(f->in.pg, 4, PG, PGALLOC_MOVABLE, &pa));
	assert_int_equal(alloc_ok(f, 3, PG), BASE + 33 * PG);
	assert_int_equal(alloc_ok(f, 2, PG), BASE + 538 * PG);
	assert_int_equal(alloc_ok(f, 1, PG), BASE + 41 * PG);

	free_ok(f, BASE, 1024);
	st = stats_of(f->a);
	assert_stats_equal(&initial, &st);
}

/*
 * A first-fit search gives up after BUDDY_FIT_BUDGET blocks that hold no
 * run and places the request as a block of its order instead.
 */
static void test_first_fit_budget(void **state)
{
	struct fixture *f = *state;
	const uint64_t holes = BUDDY_FIT_BUDGET; /* 2-page holes, 128 per 2M zone */
	const uint64_t fit = 4 * holes + 1;	 /* a 3-page run in the zone after them */
	const uint64_t top = 4 * holes + 512;	 /* a free 2M block in the last zone */
	const uint64_t pages = 4 * holes + 1024;
	assert_int_equal(holes % 128, 0);
	assert_int_equal(add_range(f, BASE, pages * PG), 0);
	struct pgalloc_stats initial = stats_of(f->a);
	assert_int_equal(pgalloc_alloc_at(f->in.pg, BASE, pages), 0);
	for (uint64_t i = 0; i < holes; i++)
		assert_int_equal(pgalloc_free(f->in.pg, BASE + 4 * i * PG, 2), 0);
	free_ok(f, BASE + fit * PG, 3);
	free_ok(f, BASE + top * PG, 512);

	/* Every 2-page hole is a candidate for 3 pages, and none holds them. */
	paddr_t p = alloc_ok(f, 3, PG);
	assert_int_equal(p, BASE + top * PG);
	free_ok(f, p, 3);
	/* One hole less: the search reaches the run. */
	assert_int_equal(pgalloc_alloc_at(f->in.pg, BASE, 2), 0);
	assert_int_equal(alloc_ok(f, 3, PG), BASE + fit * PG);

	/* Free what is in use: the first hole again, between the holes, up to the top block. */
	assert_int_equal(pgalloc_free(f->in.pg, BASE, 2), 0);
	for (uint64_t i = 0; i < holes; i++)
		assert_int_equal(pgalloc_free(f->in.pg, BASE + (4 * i + 2) * PG, 2), 0);
	free_ok(f, BASE + 4 * holes * PG, top - 4 * holes);
	struct pgalloc_stats st = stats_of(f->a);
	assert_stats_equal(&initial, &st);
}

/*
 * The three fragmentation patterns of seed 000 (as tests/pgalloc-bench
 * runs them): a 2 MiB pool, a fixed sequence of 4K-aligned requests
 * (failures skipped), the successful ones at list index j with j % 3 == 0
 * or j % 5 == 0 freed, then twelve 24-page requests. The counts are exact:
 * first fit for everything but single pages fails 6, 5 and 2 of the twelve
 * (the bitmap allocator's figures); the old smallest-block placement
 * failed 9, 6 and 3.
 */
#define SEED_REQUESTS_MAX 150
#define SEED_PROBES	  12
#define SEED_PROBE_PAGES  24

static uint64_t seed_request(unsigned pattern, unsigned i)
{
	switch (pattern) {
	case 0: /* random small */
		return 1 + (i * 7 + 13) % 8;
	case 1: /* mixed size */
		if (i % 7 <= 3)
			return 1 + i % 4;
		if (i % 7 <= 5)
			return 8 + i % 16;
		return 32 + i % 32;
	default: /* power of 2 */
		return 1ULL << (i % 7);
	}
}

static void test_seed_patterns(void **state)
{
	struct fixture *f = *state;
	static const unsigned requests[3] = {80, 150, 120};
	static const unsigned want_ok[3] = {80, 48, 31};
	static const uint64_t want_used[3] = {190, 233, 191};
	static const unsigned want_failed[3] = {6, 5, 2};

	for (unsigned p = 0; p < 3; p++) {
		struct buddy_pgalloc *a = f->a;
		paddr_t addr[SEED_REQUESTS_MAX];
		uint64_t size[SEED_REQUESTS_MAX];
		unsigned ok = 0, failed = 0;
		pgalloc_init(&a->pgalloc, &buddy_pgalloc_ops);
		assert_int_equal(add_range(f, BASE, PAGE_SIZE_2M), 0);
		for (unsigned i = 0; i < requests[p]; i++) {
			uint64_t n = seed_request(p, i);
			if (pgalloc_alloc(&a->pgalloc, n, PG, PGALLOC_MOVABLE, &addr[ok]) == 0)
				size[ok++] = n;
		}
		assert_int_equal(ok, want_ok[p]);
		for (unsigned j = 0; j < ok; j++)
			if (j % 3 == 0 || j % 5 == 0)
				free_ok(f, addr[j], size[j]);
		assert_int_equal(stats_of(a).used_pages, want_used[p]);
		for (unsigned i = 0; i < SEED_PROBES; i++) {
			paddr_t pa;
			failed += pgalloc_alloc(&a->pgalloc, SEED_PROBE_PAGES, PG, PGALLOC_MOVABLE, &pa) != 0;
		}
		assert_int_equal(pgalloc_check(&a->pgalloc), 0);
		if (failed != want_failed[p])
			fail_msg("pattern %u: %u of %u probes failed, want %u", p, failed,
				 SEED_PROBES, want_failed[p]);
	}
}

/* A range of 64 GiB with an odd first frame: 2049 zones of 32 MiB; the same rules hold. */
static void test_large_range(void **state)
{
	struct fixture *f = *state;
	const paddr_t base = 0x80201000UL;
	const uint64_t size = 64 * PAGE_SIZE_1G;
	assert_int_equal(add_range(f, base, size), 0);
	const struct buddy_range *r = &f->a->range[0];
	assert_int_equal(r->zone_shift, 13); /* 16 MiB zones would be 4097 */
	assert_int_equal(r->nr_zones, 2049);
	assert_int_equal(pgalloc_check(f->in.pg), 0);
	struct pgalloc_stats initial = stats_of(f->a);

	paddr_t p1 = alloc_ok(f, 1, PG);
	assert_int_equal(p1, base); /* the odd first frame is an order-0 block */
	/* The only order-9 block is at the top; below are orders 0..8 and 10..18. */
	paddr_t p2m = alloc_ok(f, 512, ALIGN_2M);
	assert_int_equal(p2m, 0x1080000000UL);
	paddr_t p1g = alloc_ok(f, 1, ALIGN_1G);
	assert_int_equal(p1g, 0xc0000000UL);
	paddr_t big = alloc_ok(f, 3 * PAGES_1G + 5, PG);
	assert_true(big >= base && big + (3 * PAGES_1G + 5) * PG <= base + size);
	assert_int_equal(pgalloc_alloc_at(f->in.pg, base + size - PG, 1), 0);
	assert_int_equal(pgalloc_check(f->in.pg), 0);
	free_ok(f, big, 3 * PAGES_1G + 5);
	free_ok(f, p1g, 1);
	free_ok(f, p2m, 512);
	free_ok(f, p1, 1);
	free_ok(f, base + size - PG, 1);
	struct pgalloc_stats st = stats_of(f->a);
	assert_stats_equal(&initial, &st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_meta_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split_and_merge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tail_return, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deferred_tail, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_merge_up_to_1g, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unaligned_base, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_at_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_single_page_lowest_zone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_fit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_fit_budget, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seed_patterns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_range, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_bitmap.c - what only the bitmap page allocator promises or has: its
 * metadata size, lowest-address placement (every alignment, unaligned range
 * bases, ranges kept sorted), the 2M / 1G chunk counters and their search
 * bounds, and a checker that notices corrupted metadata. What every page
 * allocator promises is tested once for both in tests/pgalloc (the contract
 * suite; the stress test and the fuzzer also hold the bitmap allocator to
 * the lowest fit).
 *
 * All addresses are made up: the allocator must never touch managed memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <axalloc-bitmap/bitmap.h>
#include <klib/list.h>

#include "pgalloc_inst.h"
#include "test_rand.h"

#define GiB	     (1ULL << 30)
#define MiB	     (1ULL << 20)
#define KiB	     (1ULL << 10)
#define PG	     PAGE_SIZE_4K

/* ---- Helpers ---- */

/* The allocator of the running test, over host metadata buffers. */
static struct pgalloc_inst in;

static int teardown(void **state)
{
	(void)state;
	pgalloc_inst_destroy(&in);
	return 0;
}

/* A new empty bitmap allocator (the previous one, if any, is released). */
static struct bitmap_pgalloc *fresh(void)
{
	pgalloc_inst_destroy(&in);
	pgalloc_inst_create(&in, &bitmap_pgalloc_ops);
	return container_of(in.pg, struct bitmap_pgalloc, pgalloc);
}

/* Adds [base, base + size) to the test's allocator a; returns add_memory's result. */
static int add(struct bitmap_pgalloc *a, paddr_t base, uint64_t size)
{
	assert_ptr_equal(&a->pgalloc, in.pg);
	return pgalloc_inst_add(&in, base, size);
}

static struct pgalloc_stats stats_of(const struct bitmap_pgalloc *a)
{
	struct pgalloc_stats st;
	pgalloc_stats(&a->pgalloc, &st);
	return st;
}

static paddr_t must_alloc(struct bitmap_pgalloc *a, uint64_t n, uint64_t align)
{
	paddr_t p = 0;
	assert_int_equal(pgalloc_alloc(&a->pgalloc, n, align, PGALLOC_MOVABLE, &p), 0);
	assert_true(IS_ALIGNED(p, align));
	return p;
}

/* ---- Metadata size ---- */

static void test_meta_bytes(void **state)
{
	(void)state;
	size_t one = pgalloc_meta_bytes(&bitmap_pgalloc_ops, GiB, GiB);
	size_t big = pgalloc_meta_bytes(&bitmap_pgalloc_ops, 4 * GiB, 64 * GiB);

	/* Leaf bitmap alone is 32 KiB per GiB; the target is <= 40 KiB per GiB. */
	assert_true(one >= 32 * KiB && one <= 40 * KiB);
	assert_true(big >= 64 * 32 * KiB && big <= 64 * 40 * KiB);
	assert_true(pgalloc_meta_bytes(&bitmap_pgalloc_ops, 0x80000000 + PG, GiB) <= 40 * KiB + 64);
	assert_int_equal(pgalloc_meta_bytes(&bitmap_pgalloc_ops, 0x80000000, PG) % 8, 0);
	assert_true(pgalloc_meta_bytes(&bitmap_pgalloc_ops, 0x80000000, PG) > 0);
	/* Invalid ranges need nothing. */
	assert_int_equal(pgalloc_meta_bytes(&bitmap_pgalloc_ops, 0x80000000, 0), 0);
	assert_int_equal(pgalloc_meta_bytes(&bitmap_pgalloc_ops, 0x80000001, PG), 0);
	assert_int_equal(pgalloc_meta_bytes(&bitmap_pgalloc_ops, 0x80000000, PG + 1), 0);
	assert_int_equal(pgalloc_meta_bytes(&bitmap_pgalloc_ops, UINT64_MAX - PG + 1, PG), 0);

	/* stats report the metadata in use. */
	struct bitmap_pgalloc *a = fresh();
	assert_int_equal(add(a, GiB, GiB), 0);
	assert_int_equal(stats_of(a).meta_bytes, one);
}

/* ---- Alignment ---- */

/* n = 1 with every alignment 4K..1G, on ranges whose base is not 2M / 1G aligned. */
static void test_align_single_page(void **state)
{
	static const paddr_t bases[] = {0x7fe01000, 0x80200000, 0x3fffff000};
	(void)state;
	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		paddr_t base = bases[b];
		uint64_t size = GiB + 8 * MiB;

		for (uint64_t align = PG; align <= PGALLOC_MAX_ALIGN; align <<= 1) {
			struct bitmap_pgalloc *a = fresh();
			paddr_t first = ALIGN_UP(base, align), second = first + align, p;

			assert_int_equal(add(a, base, size), 0);
			p = must_alloc(a, 1, align);
			assert_int_equal(p, first);
			if (second + PG <= base + size)
				assert_int_equal(must_alloc(a, 1, align), second);
			else
				assert_pgalloc_fails_unchanged(
				    &a->pgalloc, pgalloc_alloc(&a->pgalloc, 1, align, PGALLOC_MOVABLE, &p), -ENOMEM);
			assert_int_equal(pgalloc_check(&a->pgalloc), 0);
		}
	}
}

/* Larger n with awkward alignments gives the lowest fitting aligned address. */
static void test_align_general(void **state)
{
	(void)state;
	struct bitmap_pgalloc *a = fresh();
	paddr_t base = 0x80000000 + 3 * PG;

	assert_int_equal(add(a, base, 64 * MiB), 0);
	assert_int_equal(must_alloc(a, 513, 8 * KiB), base + PG);
	assert_int_equal(must_alloc(a, 3000, 2 * MiB), 0x80000000 + 4 * MiB);
	/* 3000 pages = 11.7 MiB from 2G + 4M: next 2M boundary after it is 2G + 16M. */
	assert_int_equal(must_alloc(a, 1, 2 * MiB), 0x80000000 + 16 * MiB);
	/* The hole before 2G + 4M (just under 2 MiB) takes a 300-page block. */
	assert_int_equal(must_alloc(a, 300, PG), base + PG + 513 * PG);
	/* n >= 1023 without a 2M alignment (the "contains a free 2M chunk" path). */
	assert_int_equal(must_alloc(a, 1500, 64 * KiB), 0x80000000 + 16 * MiB + 64 * KiB);
	assert_int_equal(pgalloc_check(&a->pgalloc), 0);
	/* 511 pages at 2M alignment fit a 2M chunk whose last page is used. */
	assert_int_equal(pgalloc_alloc_at(&a->pgalloc, 0x80000000 + 24 * MiB - PG, 1), 0);
	assert_int_equal(must_alloc(a, BITMAP_PAGES_2M - 1, 2 * MiB), 0x80000000 + 22 * MiB);
	/* 32 MiB at 32M alignment: 2G + 32M is the only candidate that fits. */
	assert_int_equal(must_alloc(a, 8192, 32 * MiB), 0x80000000 + 32 * MiB);
	paddr_t p;
	assert_pgalloc_fails_unchanged(&a->pgalloc, pgalloc_alloc(&a->pgalloc, 4096, 32 * MiB, PGALLOC_MOVABLE, &p),
				       -ENOMEM);
	assert_int_equal(pgalloc_check(&a->pgalloc), 0);
}

/*
 * A run of n >= 2 * chunk - 1 pages contains a whole free chunk; the lowest fit
 * may end exactly where the first whole free chunk ends (the bound is tight).
 */
static void test_contain_bound_tight(void **state)
{
	(void)state;
	struct bitmap_pgalloc *a = fresh();
	paddr_t b2 = 0x80000000, b1 = 4 * GiB;

	assert_int_equal(add(a, b2, 8 * MiB), 0);
	assert_int_equal(pgalloc_alloc_at(&a->pgalloc, b2, 1), 0);
	assert_int_equal(pgalloc_alloc_at(&a->pgalloc, b2 + 4 * MiB, 1), 0);
	assert_int_equal(must_alloc(a, 2 * BITMAP_PAGES_2M - 1, PG), b2 + PG);

	assert_int_equal(add(a, b1, 3 * GiB), 0);
	assert_int_equal(pgalloc_alloc_at(&a->pgalloc, b1, 1), 0);
	assert_int_equal(pgalloc_alloc_at(&a->pgalloc, b1 + 2 * GiB, 1), 0);
	assert_int_equal(must_alloc(a, 2 * BITMAP_PAGES_1G - 1, PG), b1 + PG);
	assert_int_equal(pgalloc_check(&a->pgalloc), 0);
}

/* Requests of more than 2 GiB go through the "contains a free 1G chunk" bound. */
static void test_align_multi_gib(void **state)
{
	(void)state;
	struct bitmap_pgalloc *a = fresh();
	paddr_t base = GiB + MiB, p;

	assert_int_equal(add(a, base, 4 * GiB), 0);
	assert_int_equal(pgalloc_alloc_at(&a->pgalloc, 2 * GiB + 5 * PG, 1), 0);
	/* Below 2G only 1G - 1M + 5 pages are free: the fit starts after the used page. */
	assert_int_equal(must_alloc(a, 600000, 64 * KiB), 2 * GiB + 64 * KiB);
	assert_pgalloc_fails_unchanged(&a->pgalloc, pgalloc_alloc(&a->pgalloc, 600000, PG, PGALLOC_MOVABLE, &p),
				       -ENOMEM);
	assert_int_equal(pgalloc_free(&a->pgalloc, 2 * GiB + 64 * KiB, 600000), 0);
	/* 1G alignment with a partial tail: 262145 pages at 3G (2G's chunk is broken). */
	assert_int_equal(must_alloc(a, BITMAP_PAGES_1G + 1, GiB), 3 * GiB);
	/* 2G's chunk is whole again but its tail page 3G is taken; 4G's chunk lost page 4G. */
	assert_int_equal(pgalloc_free(&a->pgalloc, 2 * GiB + 5 * PG, 1), 0);
	assert_pgalloc_fails_unchanged(
	    &a->pgalloc, pgalloc_alloc(&a->pgalloc, BITMAP_PAGES_1G + 1, GiB, PGALLOC_MOVABLE, &p), -ENOMEM);
	assert_int_equal(must_alloc(a, BITMAP_PAGES_1G, GiB), 2 * GiB);
	assert_int_equal(pgalloc_free(&a->pgalloc, 3 * GiB, BITMAP_PAGES_1G + 1), 0);
	assert_int_equal(must_alloc(a, BITMAP_PAGES_1G + 1, GiB), 3 * GiB);
	assert_int_equal(pgalloc_check(&a->pgalloc), 0);
}

/* ---- 2M / 1G chunk counters ---- */

static const struct bitmap_chunks *chunks(const struct bitmap_pgalloc *a, unsigned r, unsigned L)
{
	return &a->ranges[r].chunks[L];
}

static uint16_t cnt_at(const struct bitmap_pgalloc *a, unsigned L, paddr_t addr)
{
	const struct bitmap_chunks *ch = chunks(a, 0, L);
	unsigned shift = L == BITMAP_CHUNK_2M ? BITMAP_SHIFT_2M : BITMAP_SHIFT_1G;
	return ch->full_cnt[((addr >> PAGE_SHIFT) >> shift) - ch->origin];
}

static bool full_at(const struct bitmap_pgalloc *a, unsigned L, paddr_t addr)
{
	const struct bitmap_chunks *ch = chunks(a, 0, L);
	unsigned shift = L == BITMAP_CHUNK_2M ? BITMAP_SHIFT_2M : BITMAP_SHIFT_1G;
	return level_bitmap_test(&ch->full, ((addr >> PAGE_SHIFT) >> shift) - ch->origin);
}

static void test_chunk_counters(void **state)
{
	(void)state;
	struct bitmap_pgalloc *a = fresh();
	/* 1G + 2M .. 3G + 1M: 1G chunk 1 lacks its first 2M, chunk 2 is whole, chunk 3 partial. */
	paddr_t base = GiB + 2 * MiB, end = 3 * GiB + MiB, p;

	assert_int_equal(add(a, base, end - base), 0);
	assert_int_equal(cnt_at(a, BITMAP_CHUNK_2M, base), 512);
	assert_true(full_at(a, BITMAP_CHUNK_2M, base));
	assert_int_equal(cnt_at(a, BITMAP_CHUNK_2M, 3 * GiB), 256);
	assert_false(full_at(a, BITMAP_CHUNK_2M, 3 * GiB));
	assert_int_equal(cnt_at(a, BITMAP_CHUNK_1G, GiB), 511);
	assert_false(full_at(a, BITMAP_CHUNK_1G, GiB));
	assert_int_equal(cnt_at(a, BITMAP_CHUNK_1G, 2 * GiB), 512);
	assert_true(full_at(a, BITMAP_CHUNK_1G, 2 * GiB));
	assert_int_equal(cnt_at(a, BITMAP_CHUNK_1G, 3 * GiB), 0);

	/* The only whole 1G chunk is the one at 2G. */
	assert_int_equal(must_alloc(a, BITMAP_PAGES_1G, GiB), 2 * GiB);
	assert_int_equal(cnt_at(a, BITMAP_CHUNK_1G, 2 * GiB), 0);
	assert_false(full_at(a, BITMAP_CHUNK_1G, 2 * GiB));
	assert_int_equal(cnt_at(a, BITMAP_CHUNK_2M, 2 * GiB + 100 * MiB), 0);
	assert_pgalloc_fails_unchanged(
	    &a->pgalloc, pgalloc_alloc(&a->pgalloc, BITMAP_PAGES_1G, GiB, PGALLOC_MOVABLE, &p), -ENOMEM);
	/* 1 GiB - 2 MiB is free below 2G but as a 2M-aligned run it is too short. */
	assert_pgalloc_fails_unchanged(
	    &a->pgalloc, pgalloc_alloc(&a->pgalloc, BITMAP_PAGES_1G, 2 * MiB, PGALLOC_MOVABLE, &p), -ENOMEM);
	assert_int_equal(must_alloc(a, BITMAP_PAGES_1G - 512, 2 * MiB), base);

	/* One page taken from a whole 2M chunk clears its full bit; freeing restores it. */
	assert_int_equal(pgalloc_free(&a->pgalloc, 2 * GiB, BITMAP_PAGES_1G), 0);
	assert_true(full_at(a, BITMAP_CHUNK_1G, 2 * GiB));
	assert_int_equal(pgalloc_alloc_at(&a->pgalloc, 2 * GiB + 6 * MiB + 5 * PG, 1), 0);
	assert_int_equal(cnt_at(a, BITMAP_CHUNK_2M, 2 * GiB + 6 * MiB), 511);
	assert_false(full_at(a, BITMAP_CHUNK_2M, 2 * GiB + 6 * MiB));
	assert_int_equal(cnt_at(a, BITMAP_CHUNK_1G, 2 * GiB), 511);
	assert_false(full_at(a, BITMAP_CHUNK_1G, 2 * GiB));
	/* 2M requests skip the broken chunk. */
	assert_int_equal(must_alloc(a, 512, 2 * MiB), 2 * GiB);
	assert_int_equal(must_alloc(a, 1024, 2 * MiB), 2 * GiB + 2 * MiB);
	assert_int_equal(must_alloc(a, 512, 2 * MiB), 2 * GiB + 8 * MiB);
	assert_int_equal(pgalloc_free(&a->pgalloc, 2 * GiB + 6 * MiB + 5 * PG, 1), 0);
	assert_true(full_at(a, BITMAP_CHUNK_2M, 2 * GiB + 6 * MiB));
	assert_int_equal(cnt_at(a, BITMAP_CHUNK_1G, 2 * GiB), 512 - 4);
	assert_int_equal(pgalloc_check(&a->pgalloc), 0);
	/* The 1G chunk at 3G is partial: never full, whatever is freed. */
	assert_false(full_at(a, BITMAP_CHUNK_1G, 3 * GiB));
}

/* bitmap_check notices each kind of corrupted metadata (and the repaired state passes again). */
static void test_check_detects_corruption(void **state)
{
	(void)state;
	struct bitmap_pgalloc *a = fresh();
	struct bitmap_range *r;
	uint64_t saved;

	assert_int_equal(add(a, 0x80000000 + 3 * PG, 6 * MiB), 0);
	assert_int_equal(pgalloc_alloc_at(&a->pgalloc, 0x80000000 + 2 * MiB + 9 * PG, 1), 0);
	r = &a->ranges[0];
	assert_int_equal(pgalloc_check(&a->pgalloc), 0);

	r->chunks[BITMAP_CHUNK_2M].full_cnt[1]++; /* counter disagrees with the leaf bits */
	assert_int_equal(pgalloc_check(&a->pgalloc), -1);
	r->chunks[BITMAP_CHUNK_2M].full_cnt[1]--;
	r->chunks[BITMAP_CHUNK_1G].full_cnt[0]--; /* 1G counter disagrees with the 2M bits */
	assert_int_equal(pgalloc_check(&a->pgalloc), -1);
	r->chunks[BITMAP_CHUNK_1G].full_cnt[0]++;
	r->free.lvl[0][0] |= 1; /* free bit below base_pfn */
	assert_int_equal(pgalloc_check(&a->pgalloc), -1);
	r->free.lvl[0][0] &= ~1ULL;
	saved = r->free.lvl[1][0];
	r->free.lvl[1][0] = 0; /* summary level says nothing is free */
	assert_int_equal(pgalloc_check(&a->pgalloc), -1);
	r->free.lvl[1][0] = saved;
	r->hint = 2; /* words below the hint hold free pages */
	assert_int_equal(pgalloc_check(&a->pgalloc), -1);
	r->hint = 0;
	a->free_pages++;
	assert_int_equal(pgalloc_check(&a->pgalloc), -1);
	a->free_pages--;
	assert_int_equal(pgalloc_check(&a->pgalloc), 0);
}

/* A fragmented 64 GiB pool at a made-up, 1G-unaligned base: huge requests find their chunk. */
static void test_large_fragmented_pool(void **state)
{
	(void)state;
	struct bitmap_pgalloc *a = fresh();
	paddr_t base = 0x1000000000ULL + 2 * MiB, end = base + 64 * GiB, p;

	assert_int_equal(add(a, base, 64 * GiB), 0);
	/* One used page in every 2M chunk of the first 62 GiB. */
	for (paddr_t c = base; c + 2 * MiB <= base + 62 * GiB; c += 2 * MiB)
		assert_int_equal(pgalloc_alloc_at(&a->pgalloc, c + 7 * PG, 1), 0);
	p = must_alloc(a, 512, 2 * MiB);
	assert_int_equal(p, base + 62 * GiB);
	assert_int_equal(pgalloc_free(&a->pgalloc, p, 512), 0);
	/* The free 2 GiB [126G + 2M, 128G + 2M) hold one whole 1G chunk. */
	assert_int_equal(must_alloc(a, BITMAP_PAGES_1G, GiB), 127 * GiB);
	assert_pgalloc_fails_unchanged(
	    &a->pgalloc, pgalloc_alloc(&a->pgalloc, BITMAP_PAGES_1G, GiB, PGALLOC_MOVABLE, &p), -ENOMEM);
	assert_pgalloc_fails_unchanged(
	    &a->pgalloc, pgalloc_alloc(&a->pgalloc, BITMAP_PAGES_1G, 2 * MiB, PGALLOC_MOVABLE, &p), -ENOMEM);
	assert_int_equal(must_alloc(a, BITMAP_PAGES_1G - 512, 2 * MiB), base + 62 * GiB);
	assert_int_equal(pgalloc_free(&a->pgalloc, 127 * GiB, BITMAP_PAGES_1G), 0);
	/* Single pages still come from the lowest address. */
	assert_int_equal(must_alloc(a, 1, PG), base);
	assert_true(end > base);
	assert_int_equal(pgalloc_check(&a->pgalloc), 0);
}

/* ---- Exhaustion and refill ---- */

static void test_exhaustion_refill(void **state)
{
	(void)state;
	struct bitmap_pgalloc *a = fresh();
	paddr_t base = 0x80000000 + 5 * PG, p;
	uint64_t npages = 1000 + 37;
	paddr_t *pages = malloc(npages * sizeof(*pages));
	struct pgalloc_stats empty, st;
	uint64_t seed = 3;

	assert_int_equal(add(a, base, npages * PG), 0);
	empty = stats_of(a);
	for (int round = 0; round < 3; round++) {
		for (uint64_t i = 0; i < npages; i++) {
			pages[i] = must_alloc(a, 1, PG);
			assert_int_equal(pages[i], base + i * PG); /* lowest first */
		}
		st = stats_of(a);
		assert_int_equal(st.free_pages, 0);
		assert_int_equal(st.used_pages, npages);
		assert_pgalloc_fails_unchanged(&a->pgalloc, pgalloc_alloc(&a->pgalloc, 1, PG, PGALLOC_MOVABLE, &p),
					       -ENOMEM);
		assert_pgalloc_fails_unchanged(&a->pgalloc,
					       pgalloc_alloc(&a->pgalloc, 1, 2 * MiB, PGALLOC_MOVABLE, &p), -ENOMEM);
		assert_pgalloc_fails_unchanged(&a->pgalloc, pgalloc_alloc(&a->pgalloc, 3, PG, PGALLOC_MOVABLE, &p),
					       -ENOMEM);
		test_rand_shuffle(&seed, pages, npages);
		for (uint64_t i = 0; i < npages; i++)
			assert_int_equal(pgalloc_free(&a->pgalloc, pages[i], 1), 0);
		assert_int_equal(pgalloc_check(&a->pgalloc), 0);
		st = stats_of(a);
		assert_memory_equal(&st, &empty, sizeof(st));
	}
	/* Fill with the largest aligned blocks, then free them all. */
	uint64_t total = 0, nblocks = 0;
	for (uint64_t order = 9; order != UINT64_MAX; order--) {
		while (pgalloc_alloc(&a->pgalloc, 1ULL << order, PG << order, PGALLOC_MOVABLE, &p) == 0) {
			pages[nblocks++] = p;
			total += 1ULL << order;
			assert_true(IS_ALIGNED(p, PG << order));
		}
	}
	assert_int_equal(total, npages);
	/* Same decomposition as the free-block histogram of the empty pool. */
	uint64_t blocks = 0;
	for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++)
		blocks += empty.free_blocks[o];
	assert_int_equal(nblocks, blocks);
	assert_int_equal(pgalloc_check(&a->pgalloc), 0);
	free(pages);
}

/* ---- Several ranges ---- */

static void test_multiple_ranges(void **state)
{
	(void)state;
	struct bitmap_pgalloc *a = fresh();
	paddr_t p;

	/* Added out of order: kept sorted, allocation goes to the lowest address first. */
	assert_int_equal(add(a, 0x200000000ULL, 4 * MiB), 0);
	assert_int_equal(add(a, 0x80000000, MiB), 0);
	assert_int_equal(add(a, 0x80100000, MiB), 0); /* adjacent to the previous one */
	assert_int_equal(add(a, 0x100000000ULL + 64 * KiB, 2 * MiB), 0);
	assert_int_equal(a->ranges[0].base_pfn, 0x80000);
	assert_int_equal(a->ranges[3].base_pfn, 0x200000);
	assert_int_equal(pgalloc_check(&a->pgalloc), 0);
	assert_int_equal(stats_of(a).total_pages, (4 + 1 + 1 + 2) * 256);

	assert_int_equal(must_alloc(a, 1, PG), 0x80000000);
	/* A block never spans two ranges, even adjacent ones. */
	assert_int_equal(must_alloc(a, 256, PG), 0x80100000);
	assert_pgalloc_fails_unchanged(&a->pgalloc, pgalloc_free(&a->pgalloc, 0x80100000 - PG, 2),
				       -EINVAL);
	assert_pgalloc_fails_unchanged(&a->pgalloc,
				       pgalloc_alloc_at(&a->pgalloc, 0x80100000 - PG, 2), -EINVAL);
	/* 2M alignment: the range at 4G + 64K has no whole 2M chunk; the one at 8G does. */
	assert_int_equal(must_alloc(a, 512, 2 * MiB), 0x200000000ULL);
	assert_int_equal(must_alloc(a, 300, 2 * MiB), 0x200000000ULL + 2 * MiB);
	/* One page needs no whole chunk: 4G + 2M lies inside the 4G + 64K range. */
	assert_int_equal(must_alloc(a, 1, 2 * MiB), 0x100200000ULL);
	assert_pgalloc_fails_unchanged(&a->pgalloc, pgalloc_alloc(&a->pgalloc, 1, 2 * MiB, PGALLOC_MOVABLE, &p),
				       -ENOMEM);
	/* 1 page at 1M alignment: 2G + 1M is used by the 256-page block; next is 4G + 1M. */
	assert_int_equal(must_alloc(a, 1, MiB), 0x100100000ULL);
	/* The free-block histogram never merges across ranges. */
	assert_int_equal(pgalloc_free(&a->pgalloc, 0x80100000, 256), 0);
	assert_int_equal(pgalloc_free(&a->pgalloc, 0x80000000, 1), 0);
	struct pgalloc_stats st = stats_of(a);
	assert_int_equal(st.free_blocks[8] >= 2, true); /* two 1M blocks, not one 2M block */
	assert_int_equal(st.free_blocks[9], 0);
	assert_int_equal(pgalloc_check(&a->pgalloc), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_meta_bytes, teardown),
	    cmocka_unit_test_teardown(test_align_single_page, teardown),
	    cmocka_unit_test_teardown(test_align_general, teardown),
	    cmocka_unit_test_teardown(test_align_multi_gib, teardown),
	    cmocka_unit_test_teardown(test_contain_bound_tight, teardown),
	    cmocka_unit_test_teardown(test_chunk_counters, teardown),
	    cmocka_unit_test_teardown(test_check_detects_corruption, teardown),
	    cmocka_unit_test_teardown(test_large_fragmented_pool, teardown),
	    cmocka_unit_test_teardown(test_exhaustion_refill, teardown),
	    cmocka_unit_test_teardown(test_multiple_ranges, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

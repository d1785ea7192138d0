/*
 * test_contract.c - the byte-heap contract suite (<kheap/kheap.h>), run
 * against every heap of kheap_all[] (one cmocka group a heap, named after
 * it).
 *
 * Every case drives the heap through the checker (kheap_checker.h), which
 * after every call checks the answer against the contract and the shadow
 * model: alignment, usable size, no overlap, contents of every block,
 * counters, pages held, kheap_check, and that a refused or failed request
 * leaves the stats byte for byte as they were (but for `failed` where the
 * contract counts it). Bad frees are asserted only where the heap's
 * header says it detects them (kheap_desc.detects).
 *
 * The seeded cases take TEST_SEED (default CONTRACT_SEED) and name it in
 * every failure.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <klib/bitops.h>

#include "kheap_all.h"
#include "kheap_checker.h"
#include "test_rand.h"
#include "test_seed.h"
#include "test_src.h"

/* The seed of the randomised cases when $TEST_SEED is not set. */
#define CONTRACT_SEED 20250714ULL

/*
 * The arena of every case; the stress test's is larger, and the out-of-pages
 * case, which makes one per page allocation of its workload, smaller (a few
 * times what the workload holds).
 */
#define ARENA_BYTES	   (64UL << 20)
#define STRESS_ARENA_BYTES (256UL << 20)
#define OOM_ARENA_BYTES	   (16UL << 20)
#define MIB		   ((size_t)1 << 20)

/* The seeded stress: operations, and how often the heap's checker and the full read-back run. */
#define STRESS_OPS	    200000
#define STRESS_CHECK_EVERY  64
#define STRESS_VERIFY_EVERY 8192
#define STRESS_MAX_LIVE	    1024

/* The random workloads of the page-return case: rounds of this many operations. */
#define RETURN_ROUNDS 3
#define RETURN_OPS    8000

static uint64_t g_seed;

struct fix {
	struct kheap_checker c;
};

/* Makes *state, the case's heap description, a fixture: a checker over an empty heap of that kind.
 */
static int setup(void **state)
{
	const struct kheap_desc *d = *state;
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	kc_create(&f->c, d, ARENA_BYTES, 1);
	f->c.trace = getenv("KHEAP_TRACE") != NULL;
	*state = f;
	return 0;
}

/* Releases the fixture, whatever the case left allocated. */
static int teardown(void **state)
{
	struct fix *f = *state;

	kc_destroy(&f->c);
	free(f);
	return 0;
}

/* The model's block that the last operation made (c->last must be a live block). */
static struct kbm_block *last_block(struct kheap_checker *c)
{
	struct kbm_block *b = kbm_find(&c->model, c->last);

	assert_non_null(b);
	return b;
}

/* Allocates `size` bytes, which must succeed; returns the model's block. */
static struct kbm_block *alloc_ok(struct kheap_checker *c, size_t size)
{
	kc_assert(c, kc_alloc(c, size));
	return last_block(c);
}

/* Frees every live block in a seeded order; the heap must keep at most its bound. */
static void free_all(struct kheap_checker *c, uint64_t seed)
{
	struct test_src src = test_src_seed(seed);

	kc_assert_seeded(c, seed, kc_free_all(c, &src));
}

/* kheap_stats of the checker's heap. */
static struct kheap_stats stats_of(struct kheap_checker *c)
{
	struct kheap_stats st;

	kheap_stats(c->inst.h, &st);
	return st;
}

/* ---- the empty heap ---- */

static void test_empty(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	struct kheap_stats st = stats_of(c);

	assert_int_equal(st.pages, 0);
	assert_int_equal(st.used_bytes, 0);
	assert_int_equal(st.live, 0);
	assert_int_equal(st.allocs + st.frees + st.failed + st.bad_frees, 0);
	assert_int_equal(c->inst.tp.held, 0);
	assert_int_equal(kheap_check(c->inst.h), 0);
	/* kfree(NULL): nothing, counted nowhere. */
	assert_kheap_unchanged(c->inst.h, kheap_free(c->inst.h, NULL), 0, 0, 0);
	kc_assert(c, kc_verify(c));
}

/* ---- sizes ---- */

static void test_sizes_small(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	static const size_t sizes[] = {0, 1, 15, 16, 17};

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct kbm_block *b = alloc_ok(c, sizes[i]);
		assert_true(kheap_usable_size(c->inst.h, b->p) >= sizes[i]);
		assert_true(IS_ALIGNED((uintptr_t)b->p, KHEAP_MIN_ALIGN));
	}
	kc_assert(c, kc_verify(c));
	/* Size 0 twice: two distinct minimal blocks. */
	void *z1 = alloc_ok(c, 0)->p;
	void *z2 = alloc_ok(c, 0)->p;
	assert_ptr_not_equal(z1, z2);
	free_all(c, g_seed);
}

static void test_sizes_to_600(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;

	/* Every size 0..600 live at once, then every other freed and the holes refilled. */
	for (size_t size = 0; size <= 600; size++)
		alloc_ok(c, size);
	kc_assert(c, kc_verify(c));
	/* Backwards: a free moves the last live block into the freed one's place. */
	for (size_t i = c->model.nr_live; i-- > 0;)
		if (c->model.live[i]->size % 2)
			kc_assert(c, kc_free(c, c->model.live[i]));
	for (size_t size = 600; size > 0; size -= 3)
		alloc_ok(c, size);
	kc_assert(c, kc_verify(c));
	free_all(c, g_seed);
}

static void test_sizes_powers_of_two(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;

	/* 2^k - 1, 2^k, 2^k + 1 up to 1 MiB, all live at once. */
	for (unsigned k = 0; k <= 20; k++) {
		size_t p2 = (size_t)1 << k;
		alloc_ok(c, p2 - 1);
		alloc_ok(c, p2);
		alloc_ok(c, p2 + 1);
	}
	kc_assert(c, kc_verify(c));
	free_all(c, g_seed);
	/* And one at a time, each freed at once. */
	for (unsigned k = 0; k <= 20; k++)
		for (int d = -1; d <= 1; d++)
			kc_assert(c, kc_free(c, alloc_ok(c, ((size_t)1 << k) + (size_t)d)));
	free_all(c, g_seed);
}

/* ---- alignment ---- */

static void test_alignment(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	static const size_t sizes[] = {0,    1,	   17,	  100,	 512,	4095,
				       4096, 4097, 20000, 33000, 40000, 100000};

	for (size_t align = 1; align <= PAGE_SIZE; align <<= 1) {
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			kc_assert(c, kc_memalign(c, align, sizes[i]));
			assert_non_null(c->last);
			assert_true(IS_ALIGNED((uintptr_t)c->last, align));
		}
	}
	kc_assert(c, kc_verify(c));
	free_all(c, g_seed);
}

static void test_alignment_bad(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	static const size_t bad[] = {0,
				     3,
				     5,
				     24,
				     48,
				     100,
				     PAGE_SIZE - 1,
				     PAGE_SIZE + 1,
				     PAGE_SIZE + KHEAP_MIN_ALIGN,
				     2 * PAGE_SIZE,
				     PAGE_SIZE_2M,
				     (size_t)1 << 63,
				     SIZE_MAX};
	static const size_t sizes[] = {0, 1, 100, 5000, 100000};

	/* On an empty heap and on one with blocks (and pages). */
	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			for (unsigned j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
				/* NULL, stats byte for byte unchanged, kheap_check 0. */
				kc_assert(c, kc_memalign(c, bad[i], sizes[j]));
				assert_null(c->last);
				assert_kheap_unchanged(c->inst.h,
						       kheap_memalign(c->inst.h, bad[i], sizes[j]),
						       NULL, 0, 0);
			}
		}
		alloc_ok(c, 100);
		alloc_ok(c, 40000);
		kc_assert(c, kc_memalign(c, PAGE_SIZE, 10));
	}
	free_all(c, g_seed);
}

/* ---- contents ---- */

static void test_contents_preserved(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	uint64_t rng = g_seed;
	static const size_t sizes[] = {1, 16, 24, 100, 256, 1000, 3000, 4096, 9000, 40000};
	const size_t nr_sizes = sizeof(sizes) / sizeof(sizes[0]);

	/* Blocks that stay live throughout while others come and go around them. */
	for (int i = 0; i < 200; i++)
		alloc_ok(c, sizes[test_rand_below(&rng, nr_sizes)] + test_rand_below(&rng, 8));
	c->verify_every = 50;
	for (int round = 0; round < 2000; round++) {
		struct kheap_model *m = &c->model;
		struct kbm_block *b = m->live[test_rand_below(&rng, m->nr_live)];
		size_t size = sizes[test_rand_below(&rng, nr_sizes)];
		switch (test_rand_below(&rng, 4)) {
		case 0:
			kc_assert_seeded(c, g_seed, kc_free(c, b));
			break;
		case 1:
			kc_assert_seeded(c, g_seed, kc_realloc(c, b, size));
			break;
		case 2:
			kc_assert_seeded(c, g_seed, kc_memalign(c, 64, size));
			break;
		default:
			kc_assert_seeded(c, g_seed, kc_alloc(c, size));
			break;
		}
	}
	kc_assert_seeded(c, g_seed, kc_verify(c));
	free_all(c, g_seed);
}

/* ---- calloc ---- */

static void test_calloc_zeroes(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	static const size_t pairs[][2] = {{0, 0},     {0, 5},	  {5, 0},     {1, 1},
					  {3, 5},     {10, 100},  {1000, 10}, {7, 7000},
					  {100, 400}, {2, 100000}};
	static const size_t dirty[] = {24, 200, 3000, 40000};

	for (unsigned i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		/* The checker reads back n * size zero bytes. */
		kc_assert(c, kc_calloc(c, pairs[i][0], pairs[i][1]));
		assert_non_null(c->last);
	}
	/* Memory that held a pattern comes back zeroed. */
	for (unsigned i = 0; i < sizeof(dirty) / sizeof(dirty[0]); i++) {
		kc_assert(c, kc_free(c, alloc_ok(c, dirty[i])));
		kc_assert(c, kc_calloc(c, 1, dirty[i]));
		kc_assert(c, kc_calloc(c, dirty[i] / 8, 8));
	}
	free_all(c, g_seed);
}

static void test_calloc_overflow(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	static const size_t over[][2] = {
	    {SIZE_MAX / 2 + 1, 2},
	    {2, SIZE_MAX / 2 + 1},
	    {SIZE_MAX, SIZE_MAX},
	    {SIZE_MAX, 2},
	    {(size_t)1 << 32, (size_t)1 << 32},
	    {SIZE_MAX / 3 + 1, 3},
	};

	alloc_ok(c, 100);
	for (unsigned i = 0; i < sizeof(over) / sizeof(over[0]); i++) {
		/* NULL, not even counted as failed. */
		kc_assert(c, kc_calloc(c, over[i][0], over[i][1]));
		assert_null(c->last);
		assert_kheap_unchanged(c->inst.h, kheap_calloc(c->inst.h, over[i][0], over[i][1]),
				       NULL, 0, 0);
	}
	/* No overflow, but above KHEAP_MAX_SIZE: NULL, counted as failed. */
	kc_assert(c, kc_calloc(c, (size_t)1 << 21, (size_t)1 << 20));
	assert_null(c->last);
	free_all(c, g_seed);
}

/* ---- realloc ---- */

static void test_realloc_null_is_alloc(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	static const size_t sizes[] = {0, 1, 100, 5000, 50000};

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t allocs = stats_of(c).allocs;
		kc_assert(c, kc_realloc(c, NULL, sizes[i]));
		assert_non_null(c->last);
		assert_int_equal(stats_of(c).allocs, allocs + 1);
	}
	free_all(c, g_seed);
}

static void test_realloc_zero_frees(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	static const size_t sizes[] = {1, 100, 5000, 50000};

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct kbm_block *b = alloc_ok(c, sizes[i]);
		uint64_t frees = stats_of(c).frees;
		kc_assert(c, kc_realloc(c, b, 0));
		assert_null(c->last);
		assert_int_equal(stats_of(c).frees, frees + 1);
		assert_int_equal(stats_of(c).live, 0);
	}
	free_all(c, g_seed);
}

/* Grows one block through `sizes` and shrinks it back; with neighbours, one is placed after every
 * step. */
static void grow_shrink(struct kheap_checker *c, bool neighbours)
{
	static const size_t sizes[] = {1,    2,	    15,	   16,	  17,	 100,	500,	1000,
				       4000, 16000, 32768, 32769, 40000, 70000, 200000, MIB};
	const int n = (int)(sizeof(sizes) / sizeof(sizes[0]));
	struct kbm_block *b = alloc_ok(c, sizes[0]);

	/* The checker verifies the first min(old usable, size) bytes at every step. */
	for (int i = 1; i < n; i++) {
		kc_assert(c, kc_realloc(c, b, sizes[i]));
		b = last_block(c);
		if (neighbours)
			alloc_ok(c, sizes[i] / 4);
	}
	for (int i = n - 2; i >= 0; i--) {
		kc_assert(c, kc_realloc(c, b, sizes[i]));
		b = last_block(c);
		if (neighbours)
			alloc_ok(c, 32);
	}
	/* The same size, and a few bytes either way. */
	kc_assert(c, kc_realloc(c, b, b->size));
	b = last_block(c);
	kc_assert(c, kc_realloc(c, b, b->size + 5));
	b = last_block(c);
	kc_assert(c, kc_realloc(c, b, b->size - 5));
}

static void test_realloc_grow_shrink(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;

	grow_shrink(c, false);
	free_all(c, g_seed);
	grow_shrink(c, true);
	free_all(c, g_seed);
	/* A block from memalign keeps its contents too. */
	kc_assert(c, kc_memalign(c, PAGE_SIZE, 3000));
	kc_assert(c, kc_realloc(c, last_block(c), 9000));
	kc_assert(c, kc_realloc(c, last_block(c), 100));
	free_all(c, g_seed);
}

static void test_realloc_failure(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	static const size_t grow[] = {5000, 40000, 200000};

	for (long n = 0; n <= 3; n++) {
		for (unsigned i = 0; i < sizeof(grow) / sizeof(grow[0]); i++) {
			struct kbm_block *b = alloc_ok(c, 100);
			void *p = b->p;
			kc_fail_next(c, n);
			/* NULL leaves p and its contents intact and the heap unchanged. */
			kc_assert(c, kc_realloc(c, b, grow[i]));
			if (n == 0 && grow[i] == 200000)
				assert_null(c->last);
			if (!c->last)
				assert_non_null(kbm_find(&c->model, p));
		}
		/* A shrink with no pages: the block itself, moved or not. */
		struct kbm_block *big = alloc_ok(c, 100000);
		kc_fail_next(c, n);
		kc_assert(c, kc_realloc(c, big, 10));
		assert_non_null(c->last);
		kc_assert(c, kc_verify(c));
	}
	free_all(c, g_seed);
}

/* ---- too large ---- */

static void test_too_large(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	struct kbm_block *b = alloc_ok(c, 100);
	static const size_t huge[] = {KHEAP_MAX_SIZE, KHEAP_MAX_SIZE + 1, SIZE_MAX / 2,
				      SIZE_MAX - 1, SIZE_MAX};

	/* NULL, counted as failed, the heap otherwise unchanged. */
	for (unsigned i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		kc_assert(c, kc_alloc(c, huge[i]));
		assert_null(c->last);
		kc_assert(c, kc_memalign(c, PAGE_SIZE, huge[i]));
		assert_null(c->last);
		kc_assert(c, kc_calloc(c, 1, huge[i]));
		assert_null(c->last);
		kc_assert(c, kc_realloc(c, b, huge[i]));
		assert_null(c->last);
		kc_assert(c, kc_realloc(c, NULL, huge[i]));
		assert_null(c->last);
	}
	assert_kheap_unchanged(c->inst.h, kheap_alloc(c->inst.h, SIZE_MAX), NULL, 1, 0);
	c->model.failed++; /* that call went past the checker */
	free_all(c, g_seed);
}

/* ---- bad frees ---- */

static void test_double_free(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	const struct kheap_desc *d = c->inst.desc;
	const size_t sizes[] = {1,    16,   100,
				1000, 5000, d->double_free_max < MIB ? d->double_free_max : MIB};

	if (!(d->detects & KHEAP_DETECT_DOUBLE))
		skip();
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i] > d->double_free_max)
			continue; /* its pages go back: a second free is undefined */
		/* b between two live blocks of its size: its memory stays the heap's. */
		alloc_ok(c, sizes[i]);
		struct kbm_block *b = alloc_ok(c, sizes[i]);
		alloc_ok(c, sizes[i]);
		kc_assert(c, kc_double_free(c, b, true));
		assert_int_equal(c->last_rc, -ENOENT);
	}
	kc_assert(c, kc_verify(c));
	free_all(c, g_seed);
}

static void test_bad_free_interior(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	const struct kheap_desc *d = c->inst.desc;
	static const size_t sizes[] = {17, 32, 100, 1000, 5000, 40000, 100000};
	static const size_t offs[] = {1, 8, 15, 16, 32, 48, 64, 4096};

	if (!(d->detects & (KHEAP_DETECT_MISALIGNED | KHEAP_DETECT_INTERIOR)))
		skip();
	for (unsigned i = 0; i <= sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* The last round: a page-aligned block. */
		if (i < sizeof(sizes) / sizeof(sizes[0]))
			alloc_ok(c, sizes[i]);
		else
			kc_assert(c, kc_memalign(c, PAGE_SIZE, 3 * PAGE_SIZE));
		struct kbm_block *b = last_block(c);
		size_t mid = ALIGN_DOWN(b->usable / 2, KHEAP_MIN_ALIGN);
		size_t end = ALIGN_DOWN(b->usable - 1, KHEAP_MIN_ALIGN);
		for (unsigned j = 0; j < sizeof(offs) / sizeof(offs[0]) + 2; j++) {
			size_t off = j < sizeof(offs) / sizeof(offs[0])	   ? offs[j]
				     : j == sizeof(offs) / sizeof(offs[0]) ? mid
									   : end;
			unsigned need =
			    off % KHEAP_MIN_ALIGN ? KHEAP_DETECT_MISALIGNED : KHEAP_DETECT_INTERIOR;
			/* -EINVAL, the heap unchanged but for bad_frees, the block intact. */
			kc_assert(c, kc_bad_free(c, b, off));
			if (off > 0 && off < b->usable && (d->detects & need))
				assert_int_equal(c->last_rc, -EINVAL);
		}
	}
	kc_assert(c, kc_verify(c));
	free_all(c, g_seed);
}

/* Word `i` of forged contents of kind `kind` for a block at p (variant v): things that look like
 * heap headers. */
static uint64_t forged_word(const char *p, size_t i, unsigned kind, unsigned v)
{
	uintptr_t at = (uintptr_t)(p + 8 * i);

	switch (kind) {
	case 0:
		return 0;
	case 1:
		return ~0ULL;
	case 2: /* pointers to themselves */
		return at;
	case 3: /* pointers to the block's start */
		return (uintptr_t)p;
	case 4: /* (page of this word, pages | flags) pairs */
		return i % 2 ? (uint64_t)(1 + v / 16) * PAGE_SIZE | (v % 16)
			     : ALIGN_DOWN(at, PAGE_SIZE);
	default: /* (the block's own header, its size | flags) pairs */
		return i % 2 ? (uint64_t)(at - (uintptr_t)p + 16 * (1 + v / 16)) | (v % 16)
			     : (uintptr_t)p - 16;
	}
}

static void test_bad_free_forged_contents(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	const struct kheap_desc *d = c->inst.desc;
	struct kheap *h = c->inst.h;
	static const size_t sizes[] = {100, 5000, 40000};
	void *blocks[4];

	if (!(d->detects & KHEAP_DETECT_FORGED))
		skip();
	/* The heap is driven by hand here: the blocks hold forged words, not the model's pattern.
	 */
	for (unsigned i = 0; i < 3; i++)
		blocks[i] = kheap_alloc(h, sizes[i]);
	blocks[3] = kheap_memalign(h, PAGE_SIZE, 3 * PAGE_SIZE);
	for (unsigned i = 0; i < 4; i++) {
		char *p = blocks[i];
		assert_non_null(p);
		size_t usable = kheap_usable_size(h, p);
		for (unsigned kind = 0; kind < 6; kind++) {
			for (unsigned v = 0; v < (kind >= 4 ? 48u : 1u); v++) {
				for (size_t w = 0; w < usable / 8; w++)
					((uint64_t *)p)[w] = forged_word(p, w, kind, v);
				/* Just past the start, and at and past every page boundary. */
				for (size_t off = 16; off <= 64 && off < usable; off += 16)
					assert_kheap_unchanged(h, kheap_free(h, p + off), -EINVAL,
							       0, 1);
				for (char *q = (char *)ALIGN_UP((uintptr_t)p + 1, PAGE_SIZE);
				     q + 16 < p + usable; q += PAGE_SIZE) {
					assert_kheap_unchanged(h, kheap_free(h, q), -EINVAL, 0, 1);
					assert_kheap_unchanged(h, kheap_free(h, q + 16), -EINVAL, 0,
							       1);
				}
			}
		}
	}
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(kheap_free(h, blocks[i]), 0);
	assert_int_equal(kheap_check(h), 0);
	assert_true(c->inst.tp.held <= d->pages_bound);
}

/* ---- out of pages ---- */

/*
 * A fixed workload on checker c that stops at its first NULL: small, large
 * and aligned blocks, calloc and realloc. Returns whether it met a NULL.
 */
static bool oom_workload(struct kheap_checker *c)
{
	static const size_t sizes[] = {16, 100, 5000, 40000, 100, 300, 70000, 1000, 64, 200000};

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		kc_assert(c, kc_alloc(c, sizes[i]));
		if (!c->last)
			return true;
		kc_assert(c, kc_memalign(c, (size_t)16 << (i % 9), sizes[i] / 3));
		if (!c->last)
			return true;
		kc_assert(c, kc_calloc(c, 10, sizes[i] / 10));
		if (!c->last)
			return true;
		kc_assert(c, kc_realloc(c, last_block(c), 2 * sizes[i] + 100));
		if (!c->last)
			return true;
	}
	for (int i = 0; i < 200; i++) {
		kc_assert(c, kc_alloc(c, 24 + 40 * (size_t)i));
		if (!c->last)
			return true;
	}
	return false;
}

static void test_out_of_pages_everywhere(void **state)
{
	const struct kheap_desc *d = ((struct fix *)*state)->c.inst.desc;
	struct kheap_checker c;

	/* Page allocations the workload makes when none fails. */
	kc_create(&c, d, OOM_ARENA_BYTES, 1);
	assert_false(oom_workload(&c));
	uint64_t k = c.inst.tp.calls;
	free_all(&c, g_seed);
	kc_destroy(&c);
	assert_true(k > 0);

	for (uint64_t n = 0; n <= k; n++) {
		kc_create(&c, d, OOM_ARENA_BYTES, 1);
		kc_fail_after(&c, (long)n);
		/* Each NULL on the way has left the heap as it was (the checker's rule). */
		bool met_null = oom_workload(&c);
		if (n < k && !met_null)
			fail_msg("%s: the workload never met a NULL with %llu of %llu page "
				 "allocations",
				 d->ops->name, (unsigned long long)n, (unsigned long long)k);
		kc_fail_after(&c, -1);
		kc_assert(&c, kc_verify(&c));
		free_all(&c, g_seed);
		assert_true(c.inst.tp.held <= d->pages_bound);
		kc_destroy(&c);
	}
}

/* ---- pages come back ---- */

static void test_pages_come_back(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;
	struct test_src src = test_src_seed(g_seed);

	c->max_live = 2000;
	c->check_every = 256;
	for (int round = 0; round < RETURN_ROUNDS; round++) {
		for (int i = 0; i < RETURN_OPS; i++)
			kc_assert_seeded(c, g_seed, kc_step(c, &src));
		/* In a random order, down to at most the heap's bound. */
		kc_assert_seeded(c, g_seed, kc_free_all(c, &src));
		assert_true(c->inst.tp.held <= c->inst.desc->pages_bound);
	}
	/* The workload did need more pages than the bound. */
	assert_true(c->inst.tp.peak > c->inst.desc->pages_bound);
}

/* ---- the overhead figures ---- */

static void test_overhead_figures(void **state)
{
	struct kheap_checker *c = &((struct fix *)*state)->c;

	/* The checker checks these after every operation; here they are said out loud. */
	for (size_t i = 0; i < 1200; i++) {
		kc_assert(c, kc_alloc(c, i % 100 == 99 ? 40000 + i : 1 + i % 300));
		struct kheap_stats st = stats_of(c);
		assert_true(st.pages * PAGE_SIZE >= st.used_bytes);
		assert_int_equal(st.pages, c->inst.tp.held);
		assert_int_equal(st.live, i + 1);
	}
	struct kheap_model *m = &c->model;
	while (m->nr_live) {
		kc_assert(c, kc_free(c, m->live[m->nr_live / 2]));
		struct kheap_stats st = stats_of(c);
		assert_true(st.pages * PAGE_SIZE >= st.used_bytes);
		assert_int_equal(st.pages, c->inst.tp.held);
	}
	free_all(c, g_seed);
}

/* ---- seeded stress ---- */

static void test_stress(void **state)
{
	const struct kheap_desc *d = ((struct fix *)*state)->c.inst.desc;
	struct kheap_checker c;
	struct test_src src = test_src_seed(g_seed);

	kc_create(&c, d, STRESS_ARENA_BYTES, STRESS_CHECK_EVERY);
	c.verify_every = STRESS_VERIFY_EVERY;
	c.max_live = STRESS_MAX_LIVE;
	c.trace = getenv("KHEAP_TRACE") != NULL;
	for (int i = 0; i < STRESS_OPS; i++) {
		kc_assert_seeded(&c, g_seed, kc_step(&c, &src));
		if (i == STRESS_OPS / 2)
			kc_assert_seeded(&c, g_seed, kc_free_all(&c, &src));
	}
	kc_assert_seeded(&c, g_seed, kc_verify(&c));
	kc_assert_seeded(&c, g_seed, kc_free_all(&c, &src));
	kc_destroy(&c);
}

/* The cases, run once per heap. */
static const struct {
	const char *name;
	CMUnitTestFunction fn;
} cases[] = {
#define CASE(fn)                                                                                   \
	{                                                                                          \
#fn, fn                                                                            \
	}
    CASE(test_empty),
    CASE(test_sizes_small),
    CASE(test_sizes_to_600),
    CASE(test_sizes_powers_of_two),
    CASE(test_alignment),
    CASE(test_alignment_bad),
    CASE(test_contents_preserved),
    CASE(test_calloc_zeroes),
    CASE(test_calloc_overflow),
    CASE(test_realloc_null_is_alloc),
    CASE(test_realloc_zero_frees),
    CASE(test_realloc_grow_shrink),
    CASE(test_realloc_failure),
    CASE(test_too_large),
    CASE(test_double_free),
    CASE(test_bad_free_interior),
    CASE(test_bad_free_forged_contents),
    CASE(test_out_of_pages_everywhere),
    CASE(test_pages_come_back),
    CASE(test_overhead_figures),
    CASE(test_stress),
#undef CASE
};

#define NR_CASES (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
	static char names[16][NR_CASES][80];
	int failed = 0;

	if (kheap_nr_heaps > 16)
		abort();
	g_seed = host_test_seed(CONTRACT_SEED);
	print_message("kheap contract: seed %llu (TEST_SEED=<n> to change)\n",
		      (unsigned long long)g_seed);
	for (unsigned k = 0; k < kheap_nr_heaps; k++) {
		struct CMUnitTest tests[NR_CASES];
		for (unsigned i = 0; i < NR_CASES; i++) {
			snprintf(names[k][i], sizeof(names[k][i]), "%s_%s", kheap_all[k].ops->name,
				 cases[i].name);
			tests[i] = (struct CMUnitTest){.name = names[k][i],
						       .test_func = cases[i].fn,
						       .setup_func = setup,
						       .teardown_func = teardown,
						       .initial_state = (void *)&kheap_all[k]};
		}
		failed +=
		    _cmocka_run_group_tests(kheap_all[k].ops->name, tests, NR_CASES, NULL, NULL);
	}
	return failed ? 1 : 0;
}

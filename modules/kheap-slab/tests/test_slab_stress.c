/*
 * test_slab_stress.c - the slab heap under load: a seeded random mix of
 * alloc, calloc, memalign, realloc and free against a model of the live
 * blocks (no two overlap, each keeps its contents, the counters agree),
 * and the pattern that made ArceOS's slab slow (thousands of 520-byte
 * blocks freed in random order) with its partial slabs found again.
 * TEST_SEED replays a run.
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

#include "slab_fixture.h"
#include "test_rand.h"
#include "test_seed.h"

#define PG PAGE_SIZE

/* A live block of the model. */
struct model_block {
	char *p;       /* NULL: the slot is empty */
	size_t size;   /* bytes asked for, holding the pattern of `seed` */
	size_t usable; /* kheap_usable_size when it was allocated or resized */
	uint64_t seed;
};

/* A request size: mostly small, some across the class limit, a few runs of many pages. */
static size_t random_size(uint64_t *rng)
{
	uint64_t r = test_rand_below(rng, 100);

	if (r < 60)
		return (size_t)test_rand_range(rng, 1, 256);
	if (r < 85)
		return (size_t)test_rand_range(rng, 257, SLAB_LARGEST_OBJECT);
	if (r < 97)
		return (size_t)test_rand_range(rng, SLAB_LARGEST_OBJECT + 1, 4 * PG);
	return (size_t)test_rand_range(rng, 4 * PG + 1, 64 * PG);
}

static int by_address(const void *a, const void *b)
{
	const struct model_block *x = a, *y = b;

	return x->p < y->p ? -1 : x->p > y->p;
}

/*
 * Fails the test unless the model's live blocks are pairwise disjoint
 * (usable bytes included) and the heap's counters match the model.
 */
static void assert_model_matches(const struct model_block *blocks, size_t n)
{
	struct model_block *live = malloc(n * sizeof(*live));
	size_t nlive = 0;
	uint64_t used = 0;

	assert_non_null(live);
	for (size_t i = 0; i < n; i++) {
		if (blocks[i].p) {
			live[nlive++] = blocks[i];
			used += blocks[i].usable;
		}
	}
	qsort(live, nlive, sizeof(*live), by_address);
	for (size_t i = 1; i < nlive; i++)
		assert_true(live[i - 1].p + live[i - 1].usable <= live[i].p);
	struct kheap_stats st = slab_stats(&fx);
	assert_int_equal(st.live, nlive);
	assert_int_equal(st.used_bytes, used);
	assert_heap_consistent(&fx);
	free(live);
}

/* Seeded random alloc / calloc / memalign / realloc / free against the model. */
static void test_random_stress(void **state)
{
	(void)state;
	enum { SLOTS = 500, OPS = 60000, CHECK_EVERY = 500 };
	struct model_block *blocks = calloc(SLOTS, sizeof(*blocks));
	struct kheap *h = &fx.h.heap;
	uint64_t rng = slab_seed_for(__func__);

	assert_non_null(blocks);
	for (int op = 0; op < OPS; op++) {
		struct model_block *b = &blocks[test_rand_below(&rng, SLOTS)];
		size_t size = random_size(&rng);
		uint64_t kind = test_rand_below(&rng, 10);

		if (!b->p) {
			size_t align = KHEAP_MIN_ALIGN;
			if (kind < 6) {
				b->p = kheap_alloc(h, size);
			} else if (kind < 8) {
				b->p = kheap_calloc(h, 1, size);
				assert_non_null(b->p);
				for (size_t k = 0; k < size; k++)
					assert_int_equal(b->p[k], 0);
			} else {
				align = (size_t)1 << test_rand_range(&rng, 0, 12);
				b->p = kheap_memalign(h, align, size);
			}
			assert_non_null(b->p);
			assert_true(IS_ALIGNED((uintptr_t)b->p, align));
			b->size = size;
			b->seed = test_rand_next(&rng);
		} else if (kind < 5) {
			assert_true(has_pattern(b->p, b->size, b->seed));
			assert_int_equal(kheap_free(h, b->p), 0);
			b->p = NULL;
			continue;
		} else {
			char *q = kheap_realloc(h, b->p, size);
			assert_non_null(q);
			assert_true(has_pattern(q, b->size < size ? b->size : size, b->seed));
			b->p = q;
			b->size = size;
		}
		b->usable = kheap_usable_size(h, b->p);
		assert_true(b->usable >= b->size);
		fill_pattern(b->p, b->size, b->seed);
		if (op % CHECK_EVERY == 0)
			assert_model_matches(blocks, SLOTS);
	}
	assert_model_matches(blocks, SLOTS);
	for (size_t i = 0; i < SLOTS; i++) {
		if (blocks[i].p) {
			assert_true(has_pattern(blocks[i].p, blocks[i].size, blocks[i].seed));
			assert_int_equal(kheap_free(h, blocks[i].p), 0);
		}
	}
	assert_heap_empty(&fx);
	free(blocks);
}

/*
 * 7,500 blocks of 520 bytes (class 768, 5 a slab) freed in random order:
 * every slab goes back as it empties. Then, with one object freed in many
 * full slabs, new objects fill those partial slabs before any new page.
 */
static void test_random_order_free_520(void **state)
{
	(void)state;
	enum { N = 7500, PER_SLAB = 5, HOLES = 1000 };
	void **v = malloc(N * sizeof(*v));
	struct kheap *h = &fx.h.heap;
	uint64_t rng = slab_seed_for(__func__);

	assert_non_null(v);
	for (int i = 0; i < N; i++) {
		v[i] = kheap_alloc(h, 520);
		assert_non_null(v[i]);
	}
	assert_int_equal(fx.tp.held, N / PER_SLAB);
	assert_heap_consistent(&fx);
	free_in_random_order(&fx, v, N, &rng);
	assert_heap_empty(&fx);

	for (int i = 0; i < N; i++)
		v[i] = kheap_alloc(h, 520);
	/* Object 0 of HOLES random full slabs (slab s holds v[5s .. 5s + 4]). */
	uint64_t *slabs = malloc((N / PER_SLAB) * sizeof(*slabs));
	assert_non_null(slabs);
	for (uint64_t s = 0; s < N / PER_SLAB; s++)
		slabs[s] = s;
	test_rand_shuffle(&rng, slabs, N / PER_SLAB);
	for (int i = 0; i < HOLES; i++) {
		void **slot = &v[slabs[i] * PER_SLAB];
		assert_int_equal(ALIGN_DOWN((uintptr_t)*slot, PG),
				 ALIGN_DOWN((uintptr_t)slot[PER_SLAB - 1], PG));
		assert_int_equal(kheap_free(h, *slot), 0);
		*slot = NULL;
	}
	assert_int_equal(fx.tp.held, N / PER_SLAB);
	uint64_t calls = fx.tp.calls;
	for (int i = 0; i < HOLES; i++) {
		void **slot = &v[slabs[i] * PER_SLAB];
		*slot = kheap_alloc(h, 520);
		assert_non_null(*slot);
	}
	assert_int_equal(fx.tp.calls, calls); /* every hole refilled, no page asked for */
	assert_heap_consistent(&fx);
	free_in_random_order(&fx, v, N, &rng);
	assert_heap_empty(&fx);
	free(slabs);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_random_stress, slab_setup, slab_teardown),
	    cmocka_unit_test_setup_teardown(test_random_order_free_520, slab_setup, slab_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

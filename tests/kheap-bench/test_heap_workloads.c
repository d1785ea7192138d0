/*
 * test_heap_workloads.c - the workloads of apps/heaptest on the host: the
 * B-tree against a model, the fill pattern, the search for the largest
 * block, that a corrupted block and a failed allocation are reported, and
 * every workload with its checks on over glibc, each heap and kmalloc,
 * which must each be back to empty afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "btree.h"
#include "kb_allocs.h"
#include "test_rand.h"
#include "test_seed.h"
#include "workloads.h"

#define DEFAULT_SEED 0x5eedb7ee
#define ARENA_BYTES  (64UL << 20)
/* Keys of the model test: few, so inserts hit existing keys and removals find them. */
#define MODEL_KEYS  1500
#define MODEL_STEPS 60000

/* glibc behind a wl_allocator that counts, fails and corrupts on request. */
struct testing {
	long live;	 /* blocks out */
	long allocs;	 /* successful allocations (alloc and realloc) */
	long fail_after; /* allocations left before every one fails; -1: never */
	long corrupt_at; /* at this allocation, flip a byte of the previous block; -1: never */
	unsigned char *last;
	long limit; /* requests above this fail (-1: none) */
};

static void *t_alloc(void *ctx, size_t size)
{
	struct testing *t = ctx;
	unsigned char *p;

	if (t->fail_after == 0 || (t->limit >= 0 && size > (size_t)t->limit))
		return NULL;
	p = malloc(size);
	if (p == NULL)
		return NULL;
	if (t->fail_after > 0)
		t->fail_after--;
	if (++t->allocs == t->corrupt_at && t->last != NULL)
		t->last[0] ^= 0xff;
	t->last = p;
	t->live++;
	return p;
}

static void t_free(void *ctx, void *p)
{
	struct testing *t = ctx;

	if (p == NULL)
		return;
	if (p == t->last)
		t->last = NULL;
	t->live--;
	free(p);
}

static void *t_realloc(void *ctx, void *p, size_t size)
{
	struct testing *t = ctx;
	void *q;

	if (p == NULL)
		return t_alloc(ctx, size);
	if (t->fail_after == 0)
		return NULL;
	q = realloc(p, size);
	if (q != NULL) {
		if (t->fail_after > 0)
			t->fail_after--;
		t->allocs++;
		if (p == t->last)
			t->last = q;
	}
	return q;
}

static struct wl_allocator testing_alloc(struct testing *t)
{
	*t = (struct testing){.fail_after = -1, .corrupt_at = -1, .limit = -1};
	return (struct wl_allocator){t_alloc, t_free, t_realloc, NULL, t};
}

/* Seeded inserts, lookups and removals of MODEL_KEYS keys against a presence map. */
static void test_btree_matches_model(void **state)
{
	uint64_t seed = host_test_seed(DEFAULT_SEED), rng = seed;
	static bool present[MODEL_KEYS];
	struct testing tc;
	struct wl_allocator a = testing_alloc(&tc);
	struct btree t;
	uint64_t size = 0;

	(void)state;
	print_message("btree model: TEST_SEED=%llu\n", (unsigned long long)seed);
	memset(present, 0, sizeof(present));
	bt_init(&t, &a);
	for (int step = 0; step < MODEL_STEPS; step++) {
		/* keys spread over 64 bits, in the same order as their index */
		uint64_t i = test_rand_below(&rng, MODEL_KEYS), key = i << 40 | 7;
		unsigned op = (unsigned)test_rand_below(&rng, 3);
		void *v = NULL;

		/* the first half grows the tree, the second empties it */
		if (op == 0 && step < MODEL_STEPS / 2) {
			int ret = bt_insert(&t, key, (void *)(uintptr_t)(key + 1), &v);

			assert_int_equal(ret, present[i] ? 1 : 0);
			if (ret == 1)
				assert_ptr_equal(v, (void *)(uintptr_t)(key + 1));
			size += !present[i];
			present[i] = true;
		} else if (op == 1) {
			assert_int_equal(bt_get(&t, key, &v), present[i]);
		} else {
			assert_int_equal(bt_remove(&t, key, &v), present[i]);
			if (present[i])
				assert_ptr_equal(v, (void *)(uintptr_t)(key + 1));
			size -= present[i];
			present[i] = false;
		}
		assert_int_equal(t.size, size);
		if (step % 97 == 0 && bt_check(&t) != 0)
			fail_msg("TEST_SEED=%llu: tree broken at step %d", (unsigned long long)seed,
				 step);
	}
	assert_int_equal(bt_check(&t), 0);
	for (uint64_t i = 0, key; bt_first(&t, &key); i++) {
		void *v;

		assert_true(bt_remove(&t, key, &v));
		assert_int_equal(bt_check(&t), 0);
	}
	assert_null(t.root);
	assert_int_equal(t.nodes, 0);
	assert_int_equal(tc.live, 0);
}

/* A node allocation that fails leaves the key out and the tree valid. */
static void test_btree_insert_failure(void **state)
{
	struct testing tc;
	struct wl_allocator a = testing_alloc(&tc);
	struct btree t;
	int failed = 0;
	void *v;

	(void)state;
	bt_init(&t, &a);
	for (uint64_t k = 0; k < 2000; k++) {
		tc.fail_after = k % 7 == 3 ? 0 : -1;
		int ret = bt_insert(&t, k * 2654435761u, (void *)1, &v);

		assert_true(ret == 0 || ret == -1);
		assert_int_equal(bt_check(&t), 0);
		if (ret == -1) {
			failed++;
			assert_false(bt_get(&t, k * 2654435761u, &v));
		}
	}
	tc.fail_after = -1;
	assert_true(failed > 0);
	for (uint64_t key; bt_first(&t, &key);)
		assert_true(bt_remove(&t, key, &v));
	assert_int_equal(t.nodes, 0);
	assert_int_equal(tc.live, 0);
}

/* Every changed byte of a filled block is seen, for sizes with and without a tail. */
static void test_fill_pattern(void **state)
{
	unsigned char b[72];

	(void)state;
	for (size_t size = 1; size <= sizeof(b); size++) {
		wl_fill(b, size, 42);
		assert_true(wl_verify(b, size, 42));
		assert_false(wl_verify(b, size, 43));
		for (size_t i = 0; i < size; i++) {
			b[i] ^= 1;
			assert_false(wl_verify(b, size, 42));
			b[i] ^= 1;
		}
	}
}

/* The largest block found is within WL_LARGEST_STEP below what the allocator grants. */
static void test_largest_block(void **state)
{
	static const long caps[] = {0, 100, 4096, 70000, 1 << 20, 3 << 20};
	struct testing tc;
	struct wl_allocator a = testing_alloc(&tc);
	struct wl_params p = {.n = 2000, .live = 64, .limit = 4 << 20, .seed = 1, .check = true};

	(void)state;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct wl_result r = {0};

		/* the workload's own blocks stay below 32K: only the search meets the cap */
		tc.limit = caps[i] < 32768 ? 32768 : caps[i];
		wl_fragment(&a, &p, &r);
		assert_int_equal(r.errors, 0);
		assert_true(r.largest <= (uint64_t)tc.limit);
		assert_true(r.largest + WL_LARGEST_STEP >= (uint64_t)tc.limit);
		assert_int_equal(tc.live, 0);
	}
	tc.limit = -1;
	struct wl_result r = {0};
	wl_fragment(&a, &p, &r);
	assert_int_equal(r.largest, p.limit);
}

/* The small workloads' parameters: every workload, a few thousand steps each. */
static const struct {
	const char *name;
	wl_fn run;
	struct wl_params p;
} small[] = {
    {"vec_push", wl_vec_push, {.n = 20000}},
    {"rand_free 64", wl_rand_free, {.n = 2000, .size = 64}},
    {"rand_free 520", wl_rand_free, {.n = 700, .size = 520}},
    {"rand_free 4160", wl_rand_free, {.n = 300, .size = 4160}},
    {"btree_map", wl_btree_map, {.n = 4000}},
    {"btree_churn", wl_btree_churn, {.n = 6000}},
    {"small_pairs 16", wl_small_pairs, {.n = 500, .size = 16}},
    {"small_pairs 256", wl_small_pairs, {.n = 500, .size = 256}},
    {"fragment", wl_fragment, {.n = 30000, .live = 512, .limit = 8 << 20}},
};
#define NR_SMALL (sizeof(small) / sizeof(small[0]))

/* A block overwritten while live is reported by the workloads that check it, and nothing leaks. */
static void test_corruption_reported(void **state)
{
	struct testing tc;
	struct wl_allocator a = testing_alloc(&tc);

	(void)state;
	for (size_t i = 0; i < NR_SMALL; i++) {
		struct wl_params p = small[i].p;
		struct wl_result r = {0};

		if (small[i].run == wl_small_pairs || small[i].run == wl_vec_push)
			continue; /* one block at a time: nothing live to overwrite */
		p.check = true;
		p.seed = 9;
		a = testing_alloc(&tc);
		tc.corrupt_at = 300;
		small[i].run(&a, &p, &r);
		if (r.errors != 1 || strstr(r.error, "changed") == NULL)
			fail_msg("%s: %lu errors (%s)", small[i].name, (unsigned long)r.errors,
				 r.error);
		assert_int_equal(tc.live, 0);
	}
}

/* An allocation that fails is reported and the workload gives back what it held. */
static void test_failure_reported(void **state)
{
	struct testing tc;
	struct wl_allocator a = testing_alloc(&tc);

	(void)state;
	for (size_t i = 0; i < NR_SMALL; i++) {
		struct wl_params p = small[i].p;
		struct wl_result r = {0};
		long total;

		p.check = true;
		a = testing_alloc(&tc);
		small[i].run(&a, &p, &r);
		total = tc.allocs;
		/* the search for the largest block may fail: fail before it */
		for (long after = 0; after < total - 1; after += total / 9 + 1) {
			r = (struct wl_result){0};
			a = testing_alloc(&tc);
			tc.fail_after = after;
			small[i].run(&a, &p, &r);
			if (r.errors != 1)
				fail_msg("%s failing after %ld: %lu errors", small[i].name, after,
					 (unsigned long)r.errors);
			assert_int_equal(tc.live, 0);
		}
	}
}

static struct kb_alloc allocs[KB_MAX_ALLOCS];
static int nr_allocs;

/* Every small workload, checks on, over each allocator; each back to empty after each. */
static void test_workloads_over_every_allocator(void **state)
{
	uint64_t seed = host_test_seed(DEFAULT_SEED);

	(void)state;
	print_message("workloads: TEST_SEED=%llu\n", (unsigned long long)seed);
	for (int k = 0; k < nr_allocs; k++) {
		for (size_t i = 0; i < NR_SMALL; i++) {
			struct wl_params p = small[i].p;
			struct wl_result r = {0};
			char why[160];

			p.check = true;
			p.seed = seed + i;
			small[i].run(&allocs[k].a, &p, &r);
			if (r.errors != 0)
				fail_msg("TEST_SEED=%llu: %s on %s: %s", (unsigned long long)seed,
					 small[i].name, allocs[k].name, r.error);
			if (kb_alloc_empty(&allocs[k], why, sizeof(why)) != 0)
				fail_msg("after %s: %s", small[i].name, why);
			if (allocs[k].kind != KB_GLIBC && small[i].run != wl_small_pairs) {
				/* the heaps count every usable byte: at least what was asked for */
				assert_true(r.peak.u.usable >= r.peak.requested);
				assert_true(r.peak.u.held >= r.peak.u.usable);
				assert_int_equal(r.end.u.usable,
						 small[i].run == wl_fragment ? r.end.u.usable : 0);
			}
		}
	}
}

static int setup_allocs(void **state)
{
	(void)state;
	nr_allocs = kb_allocs_create(allocs, ARENA_BYTES);
	return 0;
}

static int teardown_allocs(void **state)
{
	(void)state;
	kb_allocs_destroy(allocs, nr_allocs);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_btree_matches_model),
	    cmocka_unit_test(test_btree_insert_failure),
	    cmocka_unit_test(test_fill_pattern),
	    cmocka_unit_test(test_largest_block),
	    cmocka_unit_test(test_corruption_reported),
	    cmocka_unit_test(test_failure_reported),
	    cmocka_unit_test_setup_teardown(test_workloads_over_every_allocator, setup_allocs,
					    teardown_allocs),
	};

	return cmocka_run_group_tests_name("heap workloads", tests, NULL, NULL);
}

/*
 * test_interval_tree.c - the interval AVL tree: insertion, overlap rejection,
 * lookups, removal of every node shape, shrink and split in place, and a
 * seeded random run against a plain array (TEST_SEED overrides the seed).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include <klib/interval_tree.h>

#include "console_capture.h"

#include "test_rand.h"
#include "test_seed.h"

#define STRESS_SLOTS 512
#define STRESS_OPS   20000
#define STRESS_UNIT  0x1000UL
#define DEFAULT_SEED 0x5eed7ee5ULL

static struct interval_node *mk(struct interval_node *n, uint64_t start, uint64_t end)
{
	n->start = start;
	n->end = end;
	return n;
}

/* Collects the in-order starts (and checks next/prev agree). */
static size_t collect(const struct interval_tree *t, uint64_t *out, size_t max)
{
	size_t k = 0;
	const struct interval_node *last = NULL;

	for (const struct interval_node *n = interval_tree_first(t); n; n = interval_tree_next(n)) {
		assert_true(k < max);
		assert_ptr_equal(interval_tree_prev(n), last);
		out[k++] = n->start;
		last = n;
	}
	assert_ptr_equal(interval_tree_last(t), last);
	return k;
}

static void test_empty(void **state)
{
	(void)state;
	struct interval_tree t;

	interval_tree_init(&t);
	assert_null(interval_tree_first(&t));
	assert_null(interval_tree_last(&t));
	assert_null(interval_tree_find(&t, 0));
	assert_null(interval_tree_first_after(&t, 0));
	assert_false(interval_tree_overlaps(&t, 0, UINT64_MAX));
	assert_true(interval_tree_check(&t));
}

static void test_insert_reject(void **state)
{
	(void)state;
	struct interval_tree t;
	struct interval_node a, b, c, bad;

	interval_tree_init(&t);
	assert_int_equal(interval_tree_insert(&t, mk(&a, 0x2000, 0x4000)), 0);
	/* Touching intervals are not overlapping. */
	assert_int_equal(interval_tree_insert(&t, mk(&b, 0x4000, 0x5000)), 0);
	assert_int_equal(interval_tree_insert(&t, mk(&c, 0x1000, 0x2000)), 0);
	assert_int_equal(t.count, 3);
	assert_int_equal(interval_tree_insert(&t, mk(&bad, 0x3000, 0x3001)), -EEXIST);
	assert_int_equal(interval_tree_insert(&t, mk(&bad, 0x0, 0x1001)), -EEXIST);
	assert_int_equal(interval_tree_insert(&t, mk(&bad, 0x4fff, 0x9000)), -EEXIST);
	assert_int_equal(interval_tree_insert(&t, mk(&bad, 0x0, 0x9000)), -EEXIST);
	assert_int_equal(interval_tree_insert(&t, mk(&bad, 0x8000, 0x8000)), -EINVAL);
	assert_int_equal(interval_tree_insert(&t, mk(&bad, 0x9000, 0x8000)), -EINVAL);
	assert_int_equal(t.count, 3);
	assert_true(interval_tree_check(&t));
	uint64_t starts[4];
	assert_int_equal(collect(&t, starts, 4), 3);
	assert_int_equal(starts[0], 0x1000);
	assert_int_equal(starts[1], 0x2000);
	assert_int_equal(starts[2], 0x4000);
}

static void test_lookup(void **state)
{
	(void)state;
	struct interval_tree t;
	struct interval_node a, b;

	interval_tree_init(&t);
	interval_tree_insert(&t, mk(&a, 0x1000, 0x3000));
	interval_tree_insert(&t, mk(&b, 0x8000, 0x9000));
	assert_null(interval_tree_find(&t, 0xfff));
	assert_ptr_equal(interval_tree_find(&t, 0x1000), &a);
	assert_ptr_equal(interval_tree_find(&t, 0x2fff), &a);
	assert_null(interval_tree_find(&t, 0x3000));
	assert_ptr_equal(interval_tree_find(&t, 0x8abc), &b);
	assert_null(interval_tree_find(&t, 0x9000));
	assert_ptr_equal(interval_tree_first_after(&t, 0), &a);
	assert_ptr_equal(interval_tree_first_after(&t, 0x2fff), &a);
	assert_ptr_equal(interval_tree_first_after(&t, 0x3000), &b);
	assert_ptr_equal(interval_tree_first_after(&t, 0x8fff), &b);
	assert_null(interval_tree_first_after(&t, 0x9000));
	assert_true(interval_tree_overlaps(&t, 0x2fff, 0x3000));
	assert_false(interval_tree_overlaps(&t, 0x3000, 0x8000));
	assert_true(interval_tree_overlaps(&t, 0x3000, 0x8001));
}

/* Builds the tree of nodes[i] = [i*unit, (i+1)*unit) for i < n in the given order. */
static void build(struct interval_tree *t, struct interval_node *nodes, const int *order, int n)
{
	interval_tree_init(t);
	for (int i = 0; i < n; i++) {
		int k = order[i];
		assert_int_equal(
		    interval_tree_insert(t, mk(&nodes[k], k * STRESS_UNIT, (k + 1) * STRESS_UNIT)),
		    0);
		assert_true(interval_tree_check(t));
	}
}

static void test_sorted_inserts_stay_balanced(void **state)
{
	(void)state;
	enum { N = 1000 };
	static struct interval_node nodes[N];
	static int order[N];
	struct interval_tree t;

	for (int i = 0; i < N; i++)
		order[i] = i;
	build(&t, nodes, order, N);
	/* AVL height bound: < 1.45 log2(n + 2). */
	assert_true(t.root->height <= (int)(1.45 * log2(N + 2)));
	for (int i = 0; i < N; i++)
		order[i] = N - 1 - i;
	build(&t, nodes, order, N);
	assert_true(t.root->height <= (int)(1.45 * log2(N + 2)));
}

static void test_remove_shapes(void **state)
{
	(void)state;
	enum { N = 15 };
	struct interval_node nodes[N];
	/* Inserted in this order the tree is perfect: root 7, its children 3 and 11, ... */
	const int order[N] = {7, 3, 11, 1, 5, 9, 13, 0, 2, 4, 6, 8, 10, 12, 14};
	struct interval_tree t;
	uint64_t starts[N];

	build(&t, nodes, order, N);
	assert_ptr_equal(t.root, &nodes[7]);
	interval_tree_remove(&t, &nodes[0]); /* leaf */
	assert_true(interval_tree_check(&t));
	interval_tree_remove(&t, &nodes[1]); /* one child (2) */
	assert_true(interval_tree_check(&t));
	interval_tree_remove(&t, &nodes[11]); /* two children, successor 12 deeper down */
	assert_true(interval_tree_check(&t));
	assert_ptr_equal(nodes[12].right, &nodes[13]);
	interval_tree_remove(&t, &nodes[12]); /* two children, successor 13 its right child */
	assert_true(interval_tree_check(&t));
	interval_tree_remove(&t, t.root); /* the root */
	assert_true(interval_tree_check(&t));
	assert_int_equal(t.count, N - 5);
	size_t k = collect(&t, starts, N);
	const int left[] = {2, 3, 4, 5, 6, 8, 9, 10, 13, 14};
	assert_int_equal(k, sizeof(left) / sizeof(left[0]));
	for (size_t i = 0; i < k; i++)
		assert_int_equal(starts[i], left[i] * STRESS_UNIT);
	while (t.root) {
		interval_tree_remove(&t, t.root);
		assert_true(interval_tree_check(&t));
	}
	assert_int_equal(t.count, 0);
}

static void test_shrink_and_split(void **state)
{
	(void)state;
	struct interval_tree t;
	struct interval_node a, b, right;

	interval_tree_init(&t);
	interval_tree_insert(&t, mk(&a, 0x10000, 0x20000));
	interval_tree_insert(&t, mk(&b, 0x30000, 0x40000));
	/* Shrink a from the front and b from the back, in place. */
	a.start = 0x12000;
	b.end = 0x38000;
	assert_true(interval_tree_check(&t));
	assert_null(interval_tree_find(&t, 0x11000));
	assert_ptr_equal(interval_tree_find(&t, 0x12000), &a);
	assert_null(interval_tree_find(&t, 0x38000));
	/* Split a at 0x18000: shrink a, insert the right part. */
	a.end = 0x18000;
	assert_int_equal(interval_tree_insert(&t, mk(&right, 0x18000, 0x20000)), 0);
	assert_true(interval_tree_check(&t));
	assert_ptr_equal(interval_tree_next(&a), &right);
	assert_ptr_equal(interval_tree_next(&right), &b);
	assert_ptr_equal(interval_tree_find(&t, 0x1ffff), &right);
}

/*
 * Slot i may hold the interval [i*unit, i*unit + len) with len up to 3 units,
 * so neighbours can collide; the array says which slots are linked.
 */
static void test_random_vs_array(void **state)
{
	(void)state;
	static struct interval_node nodes[STRESS_SLOTS];
	static bool linked[STRESS_SLOTS];
	uint64_t seed = host_test_seed(DEFAULT_SEED);
	uint64_t rng = seed;
	struct interval_tree t;

	interval_tree_init(&t);
	for (int op = 0; op < STRESS_OPS; op++) {
		int i = (int)test_rand_below(&rng, STRESS_SLOTS);
		uint64_t probe = test_rand_below(&rng, (STRESS_SLOTS + 3) * STRESS_UNIT);

		if (!linked[i]) {
			uint64_t len = test_rand_range(&rng, 1, 3) * STRESS_UNIT;
			uint64_t s = i * STRESS_UNIT, e = s + len;
			bool overlap = false;
			for (int j = 0; j < STRESS_SLOTS; j++)
				if (linked[j] && nodes[j].start < e && s < nodes[j].end)
					overlap = true;
			int err = interval_tree_insert(&t, mk(&nodes[i], s, e));
			if (err != (overlap ? -EEXIST : 0))
				fail_msg("seed %#llx op %d: insert %d -> %d",
					 (unsigned long long)seed, op, i, err);
			linked[i] = !overlap;
		} else {
			interval_tree_remove(&t, &nodes[i]);
			linked[i] = false;
		}
		const struct interval_node *want = NULL;
		for (int j = 0; j < STRESS_SLOTS; j++)
			if (linked[j] && nodes[j].start <= probe && probe < nodes[j].end)
				want = &nodes[j];
		if (interval_tree_find(&t, probe) != want || !interval_tree_check(&t))
			fail_msg("seed %#llx op %d: tree broken", (unsigned long long)seed, op);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_insert_reject),
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_sorted_inserts_stay_balanced),
	    cmocka_unit_test(test_remove_shapes),
	    cmocka_unit_test(test_shrink_and_split),
	    cmocka_unit_test(test_random_vs_array),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

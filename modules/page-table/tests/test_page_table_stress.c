/*
 * test_page_table_stress.c - seeded random sequences of map, unmap,
 * protect, remap, query, split and collapse against the shadow model
 * (pt_shadow.h), in four windows (the ends of both halves of the address
 * space), with allocation failures injected now and then, a full unmap
 * midway and a leak check at the end.
 *
 * TEST_SEED=<n> picks the seed (default below); a mismatch prints it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pt_shadow.h"
#include "test_rand.h"
#include "test_seed.h"

#define DEFAULT_SEED 20240611ULL
#define NR_OPS	     3000
#define VERIFY_EVERY 16

static void run_window(unsigned window)
{
	struct pt_shadow sh;
	uint64_t seed = host_test_seed(DEFAULT_SEED);
	assert_int_equal(sh_init(&sh, window, seed), 0);
	struct test_src r = test_src_seed(seed ^ (TEST_RAND_GAMMA * (window + 1)));
	struct sh_op op;

	for (int i = 0; i < NR_OPS; i++) {
		sh_gen_op(&sh, &r, &op);
		sh_apply(&sh, &op, i % VERIFY_EVERY == 0);
		if (i == NR_OPS / 2) {
			/* Everything away: only the root may remain. */
			op = (struct sh_op){.kind = SH_UNMAP_REGION,
					    .va = sh.base,
					    .size = SH_WINDOW,
					    .fail_after = -1};
			sh_apply(&sh, &op, true);
			assert_int_equal(sh.pt.nr_table_pages, 1);
			assert_int_equal(sh.nr_present, 0);
		}
	}
	sh_verify(&sh, NULL);
	sh_fini(&sh);
}

static void test_low_start(void **state)
{
	(void)state;
	run_window(0);
}

static void test_low_end(void **state)
{
	(void)state;
	run_window(1);
}

static void test_high_start(void **state)
{
	(void)state;
	run_window(2);
}

static void test_high_end(void **state)
{
	(void)state;
	run_window(3);
}

/* A shadow mismatch (printed already) fails the running case. */
static void fail_case(void)
{
	fail();
}

int main(void)
{
	sh_fail = fail_case;
	printf("page-table stress: seed %llu (set TEST_SEED to change)\n",
	       (unsigned long long)host_test_seed(DEFAULT_SEED));
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_low_start),
	    cmocka_unit_test(test_low_end),
	    cmocka_unit_test(test_high_start),
	    cmocka_unit_test(test_high_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

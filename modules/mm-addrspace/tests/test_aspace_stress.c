/*
 * test_aspace_stress.c - a seeded random run of map/unmap/protect/populate/
 * fault/read/write/query/find_free and of the transparent huge page
 * operations set_thp_policy/advise/collapse/khugepaged_scan (some with
 * allocation failure injected) against the shadow model in aspace_model.h,
 * with a full page-by-page comparison every FULL_CHECK_EVERY operations and
 * a leak check after destroy. Odd rounds start with the THP policy always,
 * even ones with the default (madvise). TEST_SEED=<n> replays another seed;
 * a failure prints the seed and the operation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "aspace_model.h"
#include "test_seed.h"

#define DEFAULT_SEED	 0x6711e5dee17dd91aULL
#define STRESS_ROUNDS	 4
#define STRESS_OPS	 8000
#define FULL_CHECK_EVERY 64
#define SPACE_BASE	 0x40000000UL
#define SPACE_SIZE	 (32UL << 20)

static void test_stress(void **state)
{
	(void)state;
	static struct model m;
	uint64_t seed = host_test_seed(DEFAULT_SEED);
	unsigned long scans_collapsing = 0;
	uint64_t collapses_failed = 0;

	/* Each round starts over with a fresh allocator and space. */
	for (int round = 0; round < STRESS_ROUNDS; round++) {
		struct test_src src = test_src_seed(seed + round);

		printf("stress round %d: seed %#llx\n", round, (unsigned long long)(seed + round));
		model_init(&m, SPACE_BASE, SPACE_SIZE, seed + round);
		if (round % 2)
			model_set_policy(&m, ASPACE_THP_ALWAYS);
		for (int i = 0; i < STRESS_OPS; i++) {
			struct model_op op = model_gen(&m, &src);

			model_run(&m, &op);
			if (i % FULL_CHECK_EVERY == 0)
				model_check_full(&m);
		}
		model_check_full(&m);
		model_print_outcomes(&m);
		printf("  THP: %llu faults, %llu splits, %llu collapsed, %llu collapses without a "
		       "frame\n",
		       (unsigned long long)m.thp_fault_alloc, (unsigned long long)m.thp_split,
		       (unsigned long long)m.thp_collapse,
		       (unsigned long long)m.thp_collapse_failed);
		/* The generator reached both sides of every operation (a scan that collapses:
		 * below). */
		for (int k = 0; k < MOP_NR; k++)
			if ((m.outcomes[k][MODEL_OK] == 0 && k != MOP_KHUGEPAGED) ||
			    m.outcomes[k][MODEL_ERROR] == 0)
				fail_msg("round %d: %s never succeeded or never failed", round,
					 model_op_name(k));
		scans_collapsing += m.outcomes[MOP_KHUGEPAGED][MODEL_OK];
		for (int k = MOP_MAP_ALLOC; k <= MOP_READ; k++)
			if (k != MOP_UNMAP && k != MOP_PROTECT &&
			    m.outcomes[k][MODEL_INJECTED] == 0)
				fail_msg("round %d: no injected failure of %s", round,
					 model_op_name(k));
		/* Transparent pages were made, split and collapsed. */
		assert_true(m.thp_fault_alloc > 0 && m.thp_split > 0 && m.thp_collapse > 0);
		collapses_failed += m.thp_collapse_failed;
		model_fini(&m);
	}
	/* Over the run: scan steps that collapsed, collapses that ran out of frames. */
	assert_true(scans_collapsing > 0 && collapses_failed > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

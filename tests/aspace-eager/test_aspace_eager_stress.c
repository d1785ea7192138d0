/*
 * test_aspace_eager_stress.c - the copy-on-write world of mm-addrspace
 * (modules/mm-addrspace/tests/aspace_world.c) without CONFIG_MM_COW:
 * clones copy eagerly, and the shadow models, which predict that, must
 * still agree on every space's bytes, flags, frames and memory in use.
 * TEST_SEED=<n> replays another seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "aspace_world.h"
#include "test_seed.h"

#define DEFAULT_SEED 0x6711e5dee17dd91aULL
#define ROUNDS	     2
#define OPS	     4000

static void test_eager_stress(void **state)
{
	(void)state;
	world_run(host_test_seed(DEFAULT_SEED), ROUNDS, OPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eager_stress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

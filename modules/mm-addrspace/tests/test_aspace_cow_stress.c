/*
 * test_aspace_cow_stress.c - a seeded random run of clone / copy / destroy
 * and every single-space operation (writes, faults, populate, protect,
 * unmap, ...) over several address spaces that share frames, against the
 * shadow models of aspace_world.h: each space's visible bytes, every
 * frame's reference count, the frames and tables in use. TEST_SEED=<n>
 * replays another seed; a failure prints the seed and the operation.
 * tests/aspace-eager runs the same world without CONFIG_MM_COW.
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
#define ROUNDS	     3
#define OPS	     8000

static void test_cow_stress(void **state)
{
	(void)state;
	world_run(host_test_seed(DEFAULT_SEED), ROUNDS, OPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cow_stress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_aspace_compact_stress.c - the seeded differential run of
 * test_aspace_cow_stress (several spaces that clone, copy, destroy and
 * share frames, against the shadow models of aspace_world.h) with
 * compaction interleaved at random: between operations every free 2M block
 * is held and axalloc_compact (order 9, 10 or 18, some runs with an
 * allocation failing) migrates the spaces' pages; every check of the world
 * (bytes, flags, page sizes, reference counts, frames shared, the
 * allocator's pages) must still hold, the frames followed to where they
 * moved. TEST_SEED=<n> replays another seed; a failure prints the seed and
 * the operation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "aspace_world.h"
#include "test_seed.h"

#define DEFAULT_SEED	0x3c0a9ac7c0ffee11ULL
#define ROUNDS		2
#define OPS		3000
#define COMPACT_PERCENT 2

static void test_compact_stress(void **state)
{
	(void)state;
	world_run_compact(host_test_seed(DEFAULT_SEED), ROUNDS, OPS, COMPACT_PERCENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compact_stress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

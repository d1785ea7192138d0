/* test_seed.c - $TEST_SEED, the seed of randomised host tests (see test_seed.h). */
#include "test_seed.h"

#include <stdlib.h>

uint64_t host_test_seed(uint64_t dflt)
{
	const char *env = getenv("TEST_SEED");

	return env && *env ? strtoull(env, NULL, 0) : dflt;
}

/*
 * test_seed.h - the seed of a randomised host test, taken from the
 * environment so that a failing run can be replayed. Header-only.
 */
#ifndef HOST_TEST_SEED_H
#define HOST_TEST_SEED_H

#include <stdint.h>
#include <stdlib.h>

/*
 * The number in $TEST_SEED (decimal, 0x-hex or 0-octal, as strtoull with
 * base 0 reads it) when the variable is set, else dflt.
 */
static inline uint64_t host_test_seed(uint64_t dflt)
{
	const char *env = getenv("TEST_SEED");

	return env ? strtoull(env, NULL, 0) : dflt;
}

#endif

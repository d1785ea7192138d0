/*
 * test_seed.h - the seed of a randomised host test, taken from the
 * environment so that a failing run can be replayed: every randomised test
 * takes its seed here and prints it when it fails.
 */
#ifndef HOST_TEST_SEED_H
#define HOST_TEST_SEED_H

#include <stdint.h>

/*
 * The number in $TEST_SEED (decimal, 0x-hex or 0-octal, as strtoull with
 * base 0 reads it) when the variable is set and not empty, else dflt.
 */
uint64_t host_test_seed(uint64_t dflt);

#endif

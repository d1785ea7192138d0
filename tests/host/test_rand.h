/*
 * test_rand.h - the pseudo-random generator of the host tests (splitmix64).
 * The state is one uint64_t, seeded by assigning it (any value, 0 too); a
 * seed always gives the same sequence, so a run replays from its seed
 * (test_seed.h).
 */
#ifndef HOST_TEST_RAND_H
#define HOST_TEST_RAND_H

#include <stdint.h>

/* The next 64 random bits; advances *state. */
uint64_t test_rand_next(uint64_t *state);

/* A value in [0, n) (0 when n is 0); advances *state. */
uint64_t test_rand_below(uint64_t *state, uint64_t n);

/* A value in [lo, hi] (lo <= hi, not all 2^64 values); advances *state. */
uint64_t test_rand_range(uint64_t *state, uint64_t lo, uint64_t hi);

#endif

/*
 * test_rand.h - the pseudo-random generator of the host tests (splitmix64).
 * The state is one uint64_t, seeded by assigning it (any value, 0 too); a
 * seed always gives the same sequence, so a run replays from its seed
 * (test_seed.h). Inline because benchmarks draw from it inside timed loops.
 */
#ifndef HOST_TEST_RAND_H
#define HOST_TEST_RAND_H

#include <stddef.h>
#include <stdint.h>

#define TEST_RAND_GAMMA 0x9e3779b97f4a7c15ULL

/* The next 64 random bits; advances *state. */
static inline uint64_t test_rand_next(uint64_t *state)
{
	uint64_t z = (*state += TEST_RAND_GAMMA);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A value in [0, n) (0 when n is 0); advances *state. */
static inline uint64_t test_rand_below(uint64_t *state, uint64_t n)
{
	uint64_t v = test_rand_next(state);

	return n ? v % n : 0;
}

/* A value in [lo, hi] (lo <= hi, not all 2^64 values); advances *state. */
static inline uint64_t test_rand_range(uint64_t *state, uint64_t lo, uint64_t hi)
{
	return lo + test_rand_below(state, hi - lo + 1);
}

/* Puts v[0..n) in a random order (Fisher-Yates); advances *state. */
void test_rand_shuffle(uint64_t *state, uint64_t *v, size_t n);

#endif

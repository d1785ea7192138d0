/* test_rand.c - splitmix64, the host tests' generator (see test_rand.h). */
#include "test_rand.h"

#define SPLITMIX_GAMMA 0x9e3779b97f4a7c15ULL

uint64_t test_rand_next(uint64_t *state)
{
	uint64_t z = (*state += SPLITMIX_GAMMA);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t test_rand_below(uint64_t *state, uint64_t n)
{
	uint64_t v = test_rand_next(state);

	return n ? v % n : 0;
}

uint64_t test_rand_range(uint64_t *state, uint64_t lo, uint64_t hi)
{
	return lo + test_rand_below(state, hi - lo + 1);
}

/* test_rand.c - what the host tests' generator does beyond single draws (see test_rand.h). */
#include "test_rand.h"

void test_rand_shuffle(uint64_t *state, uint64_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)test_rand_below(state, i);
		uint64_t t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/*
 * pgalloc_rand.h - a small seeded PRNG (splitmix64) for the page-allocator
 * stress test and benchmark, so that every run is reproducible from its seed.
 */
#ifndef TESTS_PGALLOC_RAND_H
#define TESTS_PGALLOC_RAND_H

#include <stdint.h>
#include <stdlib.h>

/* Next 64 random bits; advances *state. */
static inline uint64_t pgr_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform-enough value in [0, n), n > 0. */
static inline uint64_t pgr_below(uint64_t *state, uint64_t n)
{
	return pgr_next(state) % n;
}

/* Value in [lo, hi], lo <= hi. */
static inline uint64_t pgr_range(uint64_t *state, uint64_t lo, uint64_t hi)
{
	return lo + pgr_below(state, hi - lo + 1);
}

/* Seed from the environment variable `name` (decimal or 0x-hex), else `dflt`. */
static inline uint64_t pgr_seed_from_env(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

#endif

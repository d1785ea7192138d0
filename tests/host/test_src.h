/*
 * test_src.h - where a randomised test draws its decisions from: test_rand
 * from a seed (stress tests, replayable with TEST_SEED) or the bytes of a
 * fuzzer input (fuzz targets), so one generator of operations serves both.
 */
#ifndef HOST_TEST_SRC_H
#define HOST_TEST_SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct test_src {
	const uint8_t *data; /* fuzzer input, or NULL for test_rand */
	size_t len;
	size_t pos;
	uint64_t rng; /* test_rand state */
};

/* A source drawing from test_rand seeded with `seed`; it never runs out. */
struct test_src test_src_seed(uint64_t seed);

/* A source drawing from data[0..len) (not copied: it must outlive the source). */
struct test_src test_src_bytes(const uint8_t *data, size_t len);

/* True when a byte source has used up its input (then it draws zeros). */
bool test_src_done(const struct test_src *s);

/* A value in [0, n) (0 when n <= 1); a byte source takes as few bytes as n needs. */
uint64_t test_src_below(struct test_src *s, uint64_t n);

/* True with probability pct / 100. */
bool test_src_chance(struct test_src *s, unsigned pct);

#endif

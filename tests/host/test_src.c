/* test_src.c - decisions from a seed or from fuzzer bytes (see test_src.h). */
#include "test_src.h"

#include "test_rand.h"

/* The largest span a byte source reads for one value: 7 bytes. */
#define TEST_SRC_MAX_SPAN (1ULL << 56)

struct test_src test_src_seed(uint64_t seed)
{
	return (struct test_src){.rng = seed};
}

struct test_src test_src_bytes(const uint8_t *data, size_t len)
{
	return (struct test_src){.data = data, .len = len};
}

bool test_src_done(const struct test_src *s)
{
	return s->data && s->pos >= s->len;
}

uint64_t test_src_below(struct test_src *s, uint64_t n)
{
	uint64_t v = 0;

	if (n <= 1)
		return 0;
	if (!s->data)
		return test_rand_below(&s->rng, n);
	for (uint64_t span = 1; span < n && span < TEST_SRC_MAX_SPAN; span <<= 8)
		v = (v << 8) | (s->pos < s->len ? s->data[s->pos++] : 0);
	return v % n;
}

bool test_src_chance(struct test_src *s, unsigned pct)
{
	return test_src_below(s, 100) < pct;
}

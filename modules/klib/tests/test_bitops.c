/* test_bitops.c - <klib/bitops.h> against bit-by-bit reference loops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <klib/bitops.h>

#include "console_capture.h"
#include "test_rand.h"
#include "test_seed.h"

#define NR_RANDOM 20000
#define DEFAULT_SEED 1

static int ref_ctz(uint64_t x)
{
	int n = 0;

	while (n < 64 && !(x >> n & 1))
		n++;
	return n;
}

static int ref_clz(uint64_t x)
{
	int n = 0;

	while (n < 64 && !(x >> (63 - n) & 1))
		n++;
	return n;
}

static int ref_popcount(uint64_t x)
{
	int n = 0;

	for (int i = 0; i < 64; i++)
		n += (int)(x >> i & 1);
	return n;
}

/* Checks every function on x against the references. */
static void check_value(uint64_t x)
{
	int ctz = ref_ctz(x), clz = ref_clz(x);

	assert_int_equal(ctz64(x), ctz);
	assert_int_equal(clz64(x), clz);
	assert_int_equal(popcount64(x), ref_popcount(x));
	assert_int_equal(ffs64(x), x ? ctz + 1 : 0);
	assert_int_equal(fls64(x), 64 - clz);
	assert_int_equal(is_pow2(x), ref_popcount(x) == 1);
	assert_int_equal(log2_floor64(x), 63 - clz);

	int ceil = 0;
	while (ceil < 64 && (UINT64_C(1) << ceil) < x)
		ceil++;
	assert_int_equal(log2_ceil64(x), ceil);
}

static void test_edges(void **state)
{
	(void)state;
	assert_int_equal(ctz64(0), 64);
	assert_int_equal(clz64(0), 64);
	assert_int_equal(popcount64(0), 0);
	assert_int_equal(ffs64(0), 0);
	assert_int_equal(fls64(0), 0);
	assert_false(is_pow2(0));
	assert_int_equal(log2_floor64(0), -1);
	assert_int_equal(log2_ceil64(0), 0);

	assert_int_equal(ctz64(1), 0);
	assert_int_equal(clz64(1), 63);
	assert_int_equal(ffs64(1), 1);
	assert_int_equal(fls64(1), 1);
	assert_true(is_pow2(1));
	assert_int_equal(log2_floor64(1), 0);
	assert_int_equal(log2_ceil64(1), 0);

	uint64_t top = UINT64_C(1) << 63;
	assert_int_equal(ctz64(top), 63);
	assert_int_equal(clz64(top), 0);
	assert_int_equal(ffs64(top), 64);
	assert_int_equal(fls64(top), 64);
	assert_true(is_pow2(top));
	assert_int_equal(log2_floor64(top), 63);
	assert_int_equal(log2_ceil64(top), 63);
	assert_int_equal(log2_ceil64(top + 1), 64);

	assert_int_equal(popcount64(UINT64_MAX), 64);
	assert_int_equal(ctz64(UINT64_MAX), 0);
	assert_int_equal(clz64(UINT64_MAX), 0);
	assert_false(is_pow2(UINT64_MAX));
	assert_int_equal(log2_ceil64(UINT64_MAX), 64);

	assert_int_equal(log2_ceil64(2), 1);
	assert_int_equal(log2_ceil64(3), 2);
	assert_int_equal(log2_ceil64(513), 10);
	assert_int_equal(log2_floor64(513), 9);
}

/* Every single bit, every low mask, and their neighbours. */
static void test_every_bit(void **state)
{
	(void)state;
	for (int i = 0; i < 64; i++) {
		uint64_t bit = UINT64_C(1) << i;

		check_value(bit);
		check_value(bit - 1);
		check_value(bit + 1);
		check_value(~bit);
		check_value(~(bit - 1));
		check_value(bit | 1);
	}
}

/* Random words with random numbers of bits. Seed from TEST_SEED. */
static void test_random(void **state)
{
	(void)state;
	uint64_t seed = host_test_seed(DEFAULT_SEED);
	uint64_t rng = seed;

	print_message("seed %llu\n", (unsigned long long)seed);
	for (int i = 0; i < NR_RANDOM; i++) {
		uint64_t s = test_rand_next(&rng);
		uint64_t x = s >> (s % 64);	/* vary the magnitude too */
		check_value(x);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_every_bit),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

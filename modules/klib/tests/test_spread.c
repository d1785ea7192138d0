/* test_spread.c - <klib/spread.h>: spread_of and fixed_fmt against known answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <klib/spread.h>

/* Odd and even counts, unsorted input, scaling by mul / div. */
static void test_spread_of(void **state)
{
	(void)state;
	uint64_t one[] = {7};
	uint64_t odd[] = {30, 10, 50, 20, 40};
	uint64_t even[] = {4, 1, 3, 2};

	struct spread s = spread_of(one, 1, 1, 1);
	assert_int_equal(s.min, 7);
	assert_int_equal(s.median, 7);
	assert_int_equal(s.max, 7);
	s = spread_of(odd, 5, 1000, 10);
	assert_int_equal(s.min, 1000);
	assert_int_equal(s.median, 3000);
	assert_int_equal(s.max, 5000);
	for (int i = 1; i < 5; i++)
		assert_true(odd[i - 1] <= odd[i]); /* sorted in place */
	s = spread_of(even, 4, 1, 1);
	assert_int_equal(s.min, 1);
	assert_int_equal(s.median, 3); /* the upper middle sample */
	assert_int_equal(s.max, 4);
}

/* Rounding, zero decimals, leading zeros of the fraction, truncation to len. */
static void test_fixed_fmt(void **state)
{
	(void)state;
	char buf[32], small[4];

	assert_string_equal(fixed_fmt(buf, sizeof(buf), 12345, 1000, 2), "12.35");
	assert_string_equal(fixed_fmt(buf, sizeof(buf), 12344, 1000, 2), "12.34");
	assert_string_equal(fixed_fmt(buf, sizeof(buf), 1005, 1000, 3), "1.005");
	assert_string_equal(fixed_fmt(buf, sizeof(buf), 1500, 1000, 0), "2");
	assert_string_equal(fixed_fmt(buf, sizeof(buf), 999, 1000, 1), "1.0");
	assert_string_equal(fixed_fmt(buf, sizeof(buf), 0, 10, 1), "0.0");
	assert_string_equal(fixed_fmt(small, sizeof(small), 123456, 1000, 2), "123");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spread_of),
	    cmocka_unit_test(test_fixed_fmt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_level_bitmap.c - the multi-level bitmap: sizes of the levels, the
 * search across level boundaries, range assignment, direct level-0 edits
 * with set_from/clear_from, the checker, and a seeded random run of set /
 * clear / assign against a byte-per-bit shadow on bitmaps of awkward sizes
 * (TEST_SEED overrides the seed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include <klib/level_bitmap.h>

#include "console_capture.h"

#include "test_rand.h"
#include "test_seed.h"

#define GARBAGE	     0xa5
#define DEFAULT_SEED 7

/* A bitmap of nbits bits over heap words filled with garbage first. */
static uint64_t *make(struct level_bitmap *b, uint64_t nbits)
{
	size_t n = level_bitmap_words(nbits);
	uint64_t *words = malloc(n * sizeof(uint64_t));

	assert_non_null(words);
	memset(words, GARBAGE, n * sizeof(uint64_t));
	level_bitmap_attach(b, nbits, words);
	return words;
}

static uint64_t naive_next(const uint8_t *bits, uint64_t nbits, uint64_t from)
{
	for (uint64_t i = from; i < nbits; i++)
		if (bits[i])
			return i;
	return LEVEL_BITMAP_NONE;
}

static void compare(const struct level_bitmap *b, const uint8_t *shadow, uint64_t nbits)
{
	assert_int_equal(level_bitmap_check(b), 0);
	for (uint64_t i = 0; i < nbits; i++)
		assert_int_equal(level_bitmap_test(b, i), shadow[i]);
}

static void test_sizes(void **state)
{
	struct level_bitmap b;
	uint64_t *w;

	(void)state;
	assert_int_equal(level_bitmap_words(1), 1);
	assert_int_equal(level_bitmap_words(64), 1);
	assert_int_equal(level_bitmap_words(65), 3);
	assert_int_equal(level_bitmap_words(4096), 64 + 1);
	assert_int_equal(level_bitmap_words(4097), 65 + 2 + 1);
	assert_int_equal(level_bitmap_words(262144), 4096 + 64 + 1);
	w = make(&b, 4097);
	assert_int_equal(b.nlevels, 3);
	assert_int_equal(level_bitmap_level_words(&b, 0), 65);
	assert_int_equal(level_bitmap_level_words(&b, 1), 2);
	assert_int_equal(level_bitmap_level_words(&b, 2), 1);
	assert_ptr_equal(b.lvl[1], w + 65);
	assert_ptr_equal(b.lvl[2], w + 67);
	free(w);
}

/* The search climbs to a summary level and descends again, and stops at nbits. */
static void test_find_next(void **state)
{
	struct level_bitmap b;
	uint64_t *w = make(&b, 300000);

	(void)state;
	assert_int_equal(level_bitmap_find_next(&b, 0), LEVEL_BITMAP_NONE);
	level_bitmap_set(&b, 5);
	level_bitmap_set(&b, 299999);
	assert_int_equal(level_bitmap_find_next(&b, 0), 5);
	assert_int_equal(level_bitmap_find_next(&b, 5), 5);
	assert_int_equal(level_bitmap_find_next(&b, 6), 299999);
	assert_int_equal(level_bitmap_find_next(&b, 299999), 299999);
	assert_int_equal(level_bitmap_find_next(&b, 300000), LEVEL_BITMAP_NONE);
	assert_int_equal(level_bitmap_find_next(&b, UINT64_MAX), LEVEL_BITMAP_NONE);
	level_bitmap_clear(&b, 299999);
	assert_int_equal(level_bitmap_find_next(&b, 6), LEVEL_BITMAP_NONE);
	level_bitmap_clear(&b, 5);
	/* Every summary word is zero again. */
	for (unsigned k = 1; k < b.nlevels; k++)
		for (uint64_t i = 0; i < level_bitmap_level_words(&b, k); i++)
			assert_int_equal(b.lvl[k][i], 0);
	assert_int_equal(level_bitmap_check(&b), 0);
	free(w);
}

/* Assigning a range keeps edge words that still hold bits in the summaries. */
static void test_assign(void **state)
{
	struct level_bitmap b;
	uint64_t *w = make(&b, 10000);

	(void)state;
	level_bitmap_assign(&b, 0, 10000, true);
	assert_int_equal(level_bitmap_check(&b), 0);
	assert_int_equal(b.lvl[0][156], (1ULL << 16) - 1); /* bits 9984..9999 only */
	level_bitmap_assign(&b, 10, 9990, false);
	assert_int_equal(level_bitmap_check(&b), 0);
	assert_int_equal(level_bitmap_find_next(&b, 0), 0);
	assert_int_equal(level_bitmap_find_next(&b, 10), 9990);
	level_bitmap_assign(&b, 0, 10, false);
	level_bitmap_assign(&b, 9990, 10000, false);
	assert_int_equal(level_bitmap_find_next(&b, 0), LEVEL_BITMAP_NONE);
	assert_int_equal(level_bitmap_check(&b), 0);
	level_bitmap_assign(&b, 4095, 4097, true); /* across a level-1 word boundary */
	assert_int_equal(level_bitmap_check(&b), 0);
	assert_int_equal(level_bitmap_find_next(&b, 0), 4095);
	assert_int_equal(level_bitmap_find_next(&b, 4096), 4096);
	free(w);
}

/* A caller editing level-0 words directly keeps the summaries with set_from / clear_from. */
static void test_direct_edit(void **state)
{
	struct level_bitmap b;
	uint64_t *w = make(&b, 64 * 64 * 3);

	(void)state;
	b.lvl[0][100] = 0xf0;
	level_bitmap_set_from(&b, 1, 100);
	assert_int_equal(level_bitmap_check(&b), 0);
	assert_int_equal(level_bitmap_find_next(&b, 0), 100 * 64 + 4);
	b.lvl[0][100] = 0;
	level_bitmap_clear_from(&b, 1, 100);
	assert_int_equal(level_bitmap_check(&b), 0);
	assert_int_equal(level_bitmap_find_next(&b, 0), LEVEL_BITMAP_NONE);
	/* Or recompute everything after a bulk write. */
	b.lvl[0][3] = 1;
	b.lvl[0][191] = 1ULL << 63;
	assert_int_equal(level_bitmap_check(&b), -1);
	level_bitmap_rebuild(&b);
	assert_int_equal(level_bitmap_check(&b), 0);
	assert_int_equal(level_bitmap_find_next(&b, 193), 191 * 64 + 63);
	free(w);
}

/* The checker catches a bit at or beyond nbits and a wrong summary bit. */
static void test_check(void **state)
{
	struct level_bitmap b;
	uint64_t *w = make(&b, 100);

	(void)state;
	assert_int_equal(level_bitmap_check(&b), 0);
	b.lvl[0][1] |= 1ULL << 36; /* bit 100 */
	assert_int_equal(level_bitmap_check(&b), -1);
	b.lvl[0][1] = 0;
	b.lvl[1][0] = 1;
	assert_int_equal(level_bitmap_check(&b), -1);
	free(w);
}

/* Random set / clear / assign on bitmaps of awkward sizes, with find_next against a naive scan. */
static void test_random(void **state)
{
	static const uint64_t sizes[] = {1, 63, 64, 65, 127, 4095, 4096, 4097, 262145, 300000};
	uint64_t seed = host_test_seed(DEFAULT_SEED), rng = seed;

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t nbits = sizes[s];
		struct level_bitmap b;
		uint64_t *words = make(&b, nbits);
		uint8_t *shadow = calloc(nbits, 1);

		assert_non_null(shadow);
		compare(&b, shadow, nbits);
		assert_int_equal(level_bitmap_find_next(&b, 0), LEVEL_BITMAP_NONE);
		for (int op = 0; op < 300; op++) {
			uint64_t i = test_rand_below(&rng, nbits);
			switch (test_rand_below(&rng, 4)) {
			case 0:
				level_bitmap_set(&b, i);
				shadow[i] = 1;
				break;
			case 1:
				level_bitmap_clear(&b, i);
				shadow[i] = 0;
				break;
			default: {
				uint64_t len = test_rand_range(&rng, 1, test_rand_below(&rng, 2) ? 70 : 5000);
				uint64_t end = i + len > nbits ? nbits : i + len;
				bool val = test_rand_below(&rng, 2);
				level_bitmap_assign(&b, i, end, val);
				memset(shadow + i, val, end - i);
			}
			}
			if (level_bitmap_check(&b) != 0)
				fail_msg("seed %#llx size %llu op %d: summaries broken",
					 (unsigned long long)seed, (unsigned long long)nbits, op);
			for (int q = 0; q < 8; q++) {
				uint64_t from = test_rand_below(&rng, nbits + 2);
				assert_int_equal(level_bitmap_find_next(&b, from),
						 naive_next(shadow, nbits, from));
			}
		}
		compare(&b, shadow, nbits);
		/* Rebuilding from level 0 alone gives the same summaries. */
		level_bitmap_rebuild(&b);
		compare(&b, shadow, nbits);
		/* A corrupted summary bit is caught by the checker. */
		if (b.nlevels > 1) {
			b.lvl[1][0] ^= 1;
			assert_int_equal(level_bitmap_check(&b), -1);
			b.lvl[1][0] ^= 1;
		}
		free(words);
		free(shadow);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes),  cmocka_unit_test(test_find_next),
	    cmocka_unit_test(test_assign), cmocka_unit_test(test_direct_edit),
	    cmocka_unit_test(test_check),  cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

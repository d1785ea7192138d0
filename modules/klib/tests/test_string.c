/*
 * test_string.c - klib's memory and string functions (src/string.c), checked
 * against byte-by-byte reference loops at every alignment and small length.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "console_capture.h"

#define AREA 160		/* bytes in a test area */
#define MAX_OFFSET 16		/* offsets 0..15 cover every word alignment twice */
#define MAX_LEN 72		/* lengths 0..71 cover several words plus head and tail bytes */
#define BIG 4099		/* a copy long enough to be mostly words */

/* Fills p[0..n) with a pattern that differs for every seed and position. */
static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + 1);
}

static int ref_memeq(const unsigned char *a, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static void test_memcpy(void **state)
{
	(void)state;
	unsigned char src[AREA], dst[AREA], expect[AREA];

	for (size_t so = 0; so < MAX_OFFSET; so++) {
		for (size_t dof = 0; dof < MAX_OFFSET; dof++) {
			for (size_t n = 0; n < MAX_LEN; n++) {
				fill(src, AREA, 1);
				fill(dst, AREA, 2);
				fill(expect, AREA, 2);
				for (size_t i = 0; i < n; i++)
					expect[dof + i] = src[so + i];
				assert_ptr_equal(memcpy(dst + dof, src + so, n), dst + dof);
				assert_true(ref_memeq(dst, expect, AREA));
			}
		}
	}
}

static void test_memcpy_big(void **state)
{
	(void)state;
	unsigned char *src = test_malloc(BIG + 8), *dst = test_malloc(BIG + 8);

	for (size_t off = 0; off < 8; off++) {
		fill(src, BIG + 8, 3);
		fill(dst, BIG + 8, 4);
		memcpy(dst + off, src + 8 - off, BIG);
		assert_true(ref_memeq(dst + off, src + 8 - off, BIG));
		memcpy(dst, src, BIG + 8);
		assert_true(ref_memeq(dst, src, BIG + 8));
	}
	test_free(src);
	test_free(dst);
}

/* memmove within one area, source and destination overlapping either way. */
static void test_memmove(void **state)
{
	(void)state;
	unsigned char area[AREA], expect[AREA], tmp[AREA];

	for (size_t so = 0; so < 2 * MAX_OFFSET; so++) {
		for (size_t dof = 0; dof < 2 * MAX_OFFSET; dof++) {
			for (size_t n = 0; n < MAX_LEN; n++) {
				fill(area, AREA, 5);
				fill(expect, AREA, 5);
				for (size_t i = 0; i < n; i++)
					tmp[i] = expect[so + i];
				for (size_t i = 0; i < n; i++)
					expect[dof + i] = tmp[i];
				assert_ptr_equal(memmove(area + dof, area + so, n), area + dof);
				assert_true(ref_memeq(area, expect, AREA));
			}
		}
	}
}

static void test_memmove_big_overlap(void **state)
{
	(void)state;
	unsigned char *area = test_malloc(BIG + 64), *copy = test_malloc(BIG + 64);
	const size_t shifts[] = { 1, 7, 8, 9, 63 };

	for (size_t k = 0; k < sizeof(shifts) / sizeof(shifts[0]); k++) {
		size_t s = shifts[k];

		fill(area, BIG + 64, 6);
		fill(copy, BIG + 64, 6);
		memmove(area + s, area, BIG);		/* up: must copy backwards */
		assert_true(ref_memeq(area + s, copy, BIG));
		assert_true(ref_memeq(area, copy, s));

		fill(area, BIG + 64, 6);
		memmove(area, area + s, BIG);		/* down: must copy forwards */
		assert_true(ref_memeq(area, copy + s, BIG));
		assert_true(ref_memeq(area + BIG, copy + BIG, 64));
	}
	test_free(area);
	test_free(copy);
}

static void test_memset(void **state)
{
	(void)state;
	unsigned char area[AREA], expect[AREA];

	for (size_t off = 0; off < MAX_OFFSET; off++) {
		for (size_t n = 0; n < MAX_LEN; n++) {
			fill(area, AREA, 7);
			fill(expect, AREA, 7);
			for (size_t i = 0; i < n; i++)
				expect[off + i] = 0xab;
			/* Only the low byte of c is used. */
			assert_ptr_equal(memset(area + off, 0x1ab, n), area + off);
			assert_true(ref_memeq(area, expect, AREA));
		}
	}
	memset(area, 0, AREA);
	for (size_t i = 0; i < AREA; i++)
		assert_int_equal(area[i], 0);
}

static void test_memcmp(void **state)
{
	(void)state;
	unsigned char a[AREA], b[AREA];

	fill(a, AREA, 8);
	fill(b, AREA, 8);
	assert_int_equal(memcmp(a, b, AREA), 0);
	assert_int_equal(memcmp(a, b, 0), 0);
	for (size_t i = 0; i < AREA; i += 13) {
		b[i] ^= 0x80;	/* differs first at i; unsigned order decides the sign */
		int expect = a[i] < b[i] ? -1 : 1;
		assert_true(memcmp(a, b, AREA) * expect > 0);
		assert_true(memcmp(b, a, AREA) * expect < 0);
		assert_int_equal(memcmp(a, b, i), 0);
		assert_int_equal(memcmp(a + i + 1, b + i + 1, AREA - i - 1), 0);
		b[i] ^= 0x80;
	}
	assert_true(memcmp("\x80", "\x01", 1) > 0);
	assert_true(memcmp("abc", "abd", 3) < 0);
	assert_int_equal(memcmp("abc", "abd", 2), 0);
}

static void test_memchr(void **state)
{
	(void)state;
	const char s[] = "abcabc\0z";

	assert_ptr_equal(memchr(s, 'c', sizeof(s)), s + 2);
	assert_ptr_equal(memchr(s, 'a', sizeof(s)), s);
	assert_ptr_equal(memchr(s, 'z', sizeof(s)), s + 7);
	assert_ptr_equal(memchr(s, '\0', sizeof(s)), s + 6);
	assert_null(memchr(s, 'z', 7));
	assert_null(memchr(s, 'q', sizeof(s)));
	assert_null(memchr(s, 'a', 0));
	assert_ptr_equal(memchr(s, 0x100 + 'b', sizeof(s)), s + 1);
	const char high[] = "\xff";
	assert_ptr_equal(memchr(high, -1, 1), high);	/* c is converted to unsigned char */
}

static void test_strlen(void **state)
{
	(void)state;
	assert_int_equal(strlen(""), 0);
	assert_int_equal(strlen("a"), 1);
	assert_int_equal(strlen("hello\0world"), 5);
	assert_int_equal(strnlen("hello", 0), 0);
	assert_int_equal(strnlen("hello", 3), 3);
	assert_int_equal(strnlen("hello", 5), 5);
	assert_int_equal(strnlen("hello", 6), 5);
	assert_int_equal(strnlen("hello", SIZE_MAX), 5);

	/* strnlen reads no further than maxlen (ASan checks this buffer's bounds). */
	char *raw = test_malloc(4);
	raw[0] = raw[1] = raw[2] = raw[3] = 'x';
	assert_int_equal(strnlen(raw, 4), 4);
	test_free(raw);
}

static void test_strcmp(void **state)
{
	(void)state;
	assert_int_equal(strcmp("", ""), 0);
	assert_int_equal(strcmp("abc", "abc"), 0);
	assert_true(strcmp("abc", "abd") < 0);
	assert_true(strcmp("abd", "abc") > 0);
	assert_true(strcmp("abc", "abcd") < 0);
	assert_true(strcmp("abcd", "abc") > 0);
	assert_true(strcmp("", "a") < 0);
	assert_true(strcmp("\x80", "a") > 0);	/* chars compare as unsigned */

	assert_int_equal(strncmp("abc", "abd", 0), 0);
	assert_int_equal(strncmp("abc", "abd", 2), 0);
	assert_true(strncmp("abc", "abd", 3) < 0);
	assert_int_equal(strncmp("abc", "abc", 100), 0);
	assert_true(strncmp("ab", "abc", 3) < 0);
	assert_true(strncmp("\x80", "a", 1) > 0);
	/* Stops at the NUL: bytes after it are not compared. */
	assert_int_equal(strncmp("ab\0x", "ab\0y", 4), 0);
}

static void test_strchr(void **state)
{
	(void)state;
	const char *s = "hello";

	assert_ptr_equal(strchr(s, 'l'), s + 2);
	assert_ptr_equal(strchr(s, 'h'), s);
	assert_ptr_equal(strchr(s, 'o'), s + 4);
	assert_ptr_equal(strchr(s, '\0'), s + 5);
	assert_null(strchr(s, 'z'));
	assert_ptr_equal(strchr(s, 0x100 + 'e'), s + 1);
	assert_null(strchr("", 'a'));

	assert_ptr_equal(strrchr(s, 'l'), s + 3);
	assert_ptr_equal(strrchr(s, 'h'), s);
	assert_ptr_equal(strrchr(s, '\0'), s + 5);
	assert_null(strrchr(s, 'z'));
	const char *empty = "";
	assert_ptr_equal(strrchr(empty, '\0'), empty);
}

static void test_strcpy(void **state)
{
	(void)state;
	char buf[8];

	memset(buf, 'X', sizeof(buf));
	assert_ptr_equal(strcpy(buf, "abc"), buf);
	assert_string_equal(buf, "abc");
	assert_int_equal(buf[4], 'X');
	assert_ptr_equal(strcpy(buf, ""), buf);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'b');
}

static void test_strncpy(void **state)
{
	(void)state;
	char buf[8];

	/* A short source is padded with NULs up to n. */
	memset(buf, 'X', sizeof(buf));
	assert_ptr_equal(strncpy(buf, "ab", 6), buf);
	assert_true(ref_memeq((unsigned char *)buf, (const unsigned char *)"ab\0\0\0\0XX", 8));

	/* A long source fills n chars and is not terminated. */
	memset(buf, 'X', sizeof(buf));
	strncpy(buf, "abcdefgh", 4);
	assert_true(ref_memeq((unsigned char *)buf, (const unsigned char *)"abcdXXXX", 8));

	memset(buf, 'X', sizeof(buf));
	strncpy(buf, "abc", 0);
	assert_int_equal(buf[0], 'X');
}

static void test_strlcpy(void **state)
{
	(void)state;
	char buf[8];

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(strlcpy(buf, "abc", sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(buf[4], 'X');

	assert_int_equal(strlcpy(buf, "abcdefghij", sizeof(buf)), 10);
	assert_string_equal(buf, "abcdefg");

	assert_int_equal(strlcpy(buf, "abcdefg", sizeof(buf)), 7);	/* exact fit */
	assert_string_equal(buf, "abcdefg");

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(strlcpy(buf, "abc", 1), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'X');

	assert_int_equal(strlcpy(buf, "abc", 0), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'X');
	assert_int_equal(strlcpy(NULL, "abc", 0), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcpy),
		cmocka_unit_test(test_memcpy_big),
		cmocka_unit_test(test_memmove),
		cmocka_unit_test(test_memmove_big_overlap),
		cmocka_unit_test(test_memset),
		cmocka_unit_test(test_memcmp),
		cmocka_unit_test(test_memchr),
		cmocka_unit_test(test_strlen),
		cmocka_unit_test(test_strcmp),
		cmocka_unit_test(test_strchr),
		cmocka_unit_test(test_strcpy),
		cmocka_unit_test(test_strncpy),
		cmocka_unit_test(test_strlcpy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

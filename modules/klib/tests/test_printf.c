/*
 * test_printf.c - klib's snprintf/vsnprintf and the console functions
 * printf/vprintf/putchar/puts (console_write is captured below).
 *
 * Every CHECK runs the format through vsnprintf with every buffer size from
 * 0 to one past the full length (checking truncation, the NUL and the
 * return value) and through vprintf (checking the console output).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "console_capture.h"

#define PRINTF_CHUNK 256	/* printf's buffer in src/stdio.c */
#define GUARD 'X'

/* Test oracles that do not depend on klib's own string functions. */
static size_t ref_strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

static int ref_memeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* Checks that fmt formats to expected through vsnprintf (all sizes) and vprintf. */
static void check_fmt(const char *file, int line, const char *expected, const char *fmt, ...)
	__attribute__((format(__printf__, 4, 5)));

static void check_fmt(const char *file, int line, const char *expected, const char *fmt, ...)
{
	char buf[600];
	size_t len = ref_strlen(expected);
	va_list ap, aq;

	_assert_true(len + 2 <= sizeof(buf), "expected fits the test buffer", file, line);
	va_start(ap, fmt);
	for (size_t size = 0; size <= len + 1; size++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = GUARD;
		va_copy(aq, ap);
		int ret = vsnprintf(size == 0 ? NULL : buf, size, fmt, aq);
		va_end(aq);
		_assert_int_equal(ret, len, file, line);
		if (size > 0) {
			size_t kept = size - 1 < len ? size - 1 : len;

			_assert_true(ref_memeq(buf, expected, kept), "truncated", file, line);
			_assert_int_equal(buf[kept], '\0', file, line);
			_assert_int_equal(buf[kept + 1], GUARD, file, line);
		} else {
			_assert_int_equal(buf[0], GUARD, file, line);
		}
	}
	/* The full buffer, printed for a readable failure. */
	va_copy(aq, ap);
	vsnprintf(buf, sizeof(buf), fmt, aq);
	va_end(aq);
	_assert_string_equal(buf, expected, file, line);

	console_reset();
	va_copy(aq, ap);
	int ret = vprintf(fmt, aq);
	va_end(aq);
	va_end(ap);
	_assert_int_equal(ret, len, file, line);
	_assert_int_equal(console_len, len, file, line);
	_assert_true(ref_memeq(console, expected, len), "console output", file, line);
	_assert_int_equal(console_calls, len > 0 ? 1 : 0, file, line);
}

#define CHECK(expected, ...) check_fmt(__FILE__, __LINE__, expected, __VA_ARGS__)

static void test_literal(void **state)
{
	(void)state;
	CHECK("", "");
	CHECK("hello, world\n", "hello, world\n");
	CHECK("%", "%%");
	CHECK("a%b%%c", "a%%b%%%%c");
}

static void test_signed_int(void **state)
{
	(void)state;
	CHECK("0", "%d", 0);
	CHECK("1", "%d", 1);
	CHECK("-1", "%d", -1);
	CHECK("42 -42", "%i %i", 42, -42);
	CHECK("2147483647", "%d", INT_MAX);
	CHECK("-2147483648", "%d", INT_MIN);
	CHECK("-2147483648", "%i", INT_MIN);
}

static void test_unsigned_int(void **state)
{
	(void)state;
	CHECK("0", "%u", 0u);
	CHECK("4294967295", "%u", UINT_MAX);
	CHECK("0 0", "%x %X", 0u, 0u);
	CHECK("deadbeef DEADBEEF", "%x %X", 0xdeadbeefu, 0xdeadbeefu);
	CHECK("ffffffff", "%x", UINT_MAX);
	CHECK("1234abcd", "%x", 0x1234abcdu);
}

static void test_long(void **state)
{
	(void)state;
	CHECK("0 0 0", "%ld %lu %lx", 0L, 0UL, 0UL);
	CHECK("-9223372036854775808", "%ld", LONG_MIN);
	CHECK("9223372036854775807", "%ld", LONG_MAX);
	CHECK("18446744073709551615", "%lu", ULONG_MAX);
	CHECK("ffffffffffffffff FFFFFFFFFFFFFFFF", "%lx %lX", ULONG_MAX, ULONG_MAX);
	CHECK("-9223372036854775808", "%lld", (long long)INT64_MIN);
	CHECK("9223372036854775807", "%lli", (long long)INT64_MAX);
	CHECK("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	CHECK("ffffffffffffffff", "%llx", (unsigned long long)UINT64_MAX);
	CHECK("8000000000000000", "%llx", 1ULL << 63);
	CHECK("1 4294967296", "%lu %llu", 1UL, 1ULL << 32);
}

static void test_size_ptrdiff_intmax(void **state)
{
	(void)state;
	CHECK("0 0", "%zu %zx", (size_t)0, (size_t)0);
	CHECK("18446744073709551615", "%zu", SIZE_MAX);
	CHECK("ffffffffffffffff", "%zx", SIZE_MAX);
	CHECK("4096 1000", "%zu %zx", (size_t)4096, (size_t)4096);
	CHECK("-5", "%zd", (ptrdiff_t)-5);
	CHECK("-7 7", "%td %tu", (ptrdiff_t)-7, (ptrdiff_t)7);
	CHECK("-9223372036854775808", "%jd", INTMAX_MIN);
	CHECK("18446744073709551615", "%ju", UINTMAX_MAX);
}

static void test_pointer(void **state)
{
	(void)state;
	CHECK("0x0", "%p", (void *)0);
	CHECK("0x1000", "%p", (void *)0x1000);
	CHECK("0xffffffffffffffff", "%p", (void *)UINTPTR_MAX);
	CHECK("0xdeadbeef", "%p", (void *)0xdeadbeefUL);
	CHECK("      0x1000", "%12p", (void *)0x1000);
	CHECK("0x1000      |", "%-12p|", (void *)0x1000);
}

static void test_string(void **state)
{
	(void)state;
	CHECK("abc", "%s", "abc");
	CHECK("", "%s", "");
	CHECK("(null)", "%s", (char *)NULL);
	CHECK("  abc", "%5s", "abc");
	CHECK("abc  |", "%-5s|", "abc");
	CHECK("abcdef", "%3s", "abcdef");
	CHECK("ab", "%.2s", "abc");
	CHECK("", "%.0s", "abc");
	CHECK("abc", "%.10s", "abc");
	CHECK("   ab", "%5.2s", "abc");
	CHECK("ab   |", "%-5.2s|", "abc");
	CHECK("(nu", "%.3s", (char *)NULL);
	CHECK("a b c", "%s %s %s", "a", "b", "c");

	/* With a precision the string need not be NUL-terminated (ASan checks the reads). */
	char *raw = test_malloc(3);
	raw[0] = 'x';
	raw[1] = 'y';
	raw[2] = 'z';
	CHECK("xyz", "%.3s", raw);
	CHECK("xy", "%.*s", 2, raw);
	test_free(raw);
}

static void test_char(void **state)
{
	(void)state;
	CHECK("A", "%c", 'A');
	CHECK("  A", "%3c", 'A');
	CHECK("A  |", "%-3c|", 'A');
	CHECK("ab", "%c%c", 'a', 'b');
	CHECK("\xff", "%c", 0xff);
	CHECK("A", "%c", 0x100 + 'A');

	/* %c of 0 writes a NUL that counts in the length. */
	char buf[8] = "XXXXXXX";
	assert_int_equal(snprintf(buf, sizeof(buf), "a%cb", 0), 3);
	assert_true(buf[0] == 'a' && buf[1] == '\0' && buf[2] == 'b' && buf[3] == '\0');
}

static void test_width_and_flags(void **state)
{
	(void)state;
	CHECK("   42", "%5d", 42);
	CHECK("42   |", "%-5d|", 42);
	CHECK("00042", "%05d", 42);
	CHECK("-0042", "%05d", -42);
	CHECK("  -42", "%5d", -42);
	CHECK("-42  |", "%-5d|", -42);
	CHECK("12345", "%2d", 12345);
	CHECK("12345", "%05d", 12345);
	CHECK("0000beef", "%08x", 0xbeefu);
	CHECK("    BEEF", "%8X", 0xbeefu);
	CHECK("00000000", "%08x", 0u);
	CHECK("+5 -5", "%+d %+d", 5, -5);
	CHECK("+0", "%+d", 0);
	CHECK(" 5 -5", "% d % d", 5, -5);
	CHECK("+0005", "%+05d", 5);
	CHECK("   +5", "%+5d", 5);
	CHECK("    5", "% 5d", 5);
	CHECK("0xff 0XFF", "%#x %#X", 255u, 255u);
	CHECK("0", "%#x", 0u);
	CHECK("0x000000ff", "%#010x", 255u);
	CHECK("      0xff", "%#10x", 255u);
	CHECK("0xff      |", "%-#10x|", 255u);
	CHECK("0x00000000000000ff", "%#018lx", 255UL);
	CHECK("00000000000000000000018446744073709551615", "%041lu", ULONG_MAX);
}

static void test_precision(void **state)
{
	(void)state;
	CHECK("00042", "%.5d", 42);
	CHECK("-00042", "%.5d", -42);
	CHECK("   00042", "%8.5d", 42);
	CHECK("00042   |", "%-8.5d|", 42);
	CHECK("42", "%.1d", 42);
	CHECK("", "%.0d", 0);
	CHECK("     ", "%5.0d", 0);
	CHECK("", "%.0x", 0u);
	CHECK("", "%.d", 0);
	CHECK("5", "%.d", 5);
	CHECK("00a", "%.3x", 0xau);
	CHECK("+", "%+.0d", 0);
	CHECK("0x00ff", "%#.4x", 255u);
}

static void test_star(void **state)
{
	(void)state;
	CHECK("   42", "%*d", 5, 42);
	CHECK("42   |", "%*d|", -5, 42);
	CHECK("42   |", "%-*d|", 5, 42);
	CHECK("007", "%.*d", 3, 7);
	CHECK("7", "%.*d", -1, 7);
	CHECK("  007", "%*.*d", 5, 3, 7);
	CHECK("  ab|", "%*.*s|", 4, 2, "abc");
	CHECK("abc  |", "%*s|", -5, "abc");
}

/* Formats the compiler would reject (-Wformat) but the formatter must still handle. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat"
#pragma clang diagnostic ignored "-Wformat-invalid-specifier"
#pragma clang diagnostic ignored "-Wformat-extra-args"
static void test_char_short(void **state)
{
	(void)state;
	/* An int argument is converted to the modifier's type. */
	CHECK("-1 255", "%hhd %hhu", 255, 255);
	CHECK("7 -128", "%hhu %hhd", 256 + 7, 128);
	CHECK("ff", "%hhx", 0x1ff);
	CHECK("-1 65535", "%hd %hu", 65535, 65535);
	CHECK("3 2345", "%hu %hx", 65536 + 3, 0x12345);
	CHECK("-32768", "%hd", 32768);
}

static void test_odd_formats(void **state)
{
	(void)state;
	/* '0' is ignored with '-', and with a precision. */
	CHECK("42   |", "%-05d|", 42);
	CHECK("beef    |", "%-08x|", 0xbeefu);
	CHECK("   00042", "%08.5d", 42);
	/* '+' wins over ' '. */
	CHECK("+5", "%+ d", 5);
	/* '+' and ' ' only apply to signed conversions. */
	CHECK("5 5", "%+u % u", 5u, 5u);
	/* '0' pads %p after its 0x. */
	CHECK("0x0000001000", "%012p", (void *)0x1000);
	/* An unknown conversion is copied as written and takes no argument. */
	CHECK("%q", "%q");
	CHECK("%-5q 7", "%-5q %d", 7);
	CHECK("%lq", "%lq");
	/* A format that ends inside a conversion. */
	CHECK("a%", "a%");
	CHECK("%-", "%-");
	CHECK("%5.2l", "%5.2l");
	/* A width that does not fit an int saturates (checked here without output). */
	assert_int_equal(snprintf(NULL, 0, "%.99999999999999999999s", "abc"), 3);
}
#pragma clang diagnostic pop

static void test_snprintf_truncation(void **state)
{
	(void)state;
	char buf[16];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = GUARD;
	assert_int_equal(snprintf(buf, 5, "hello world"), 11);
	assert_string_equal(buf, "hell");
	assert_int_equal(buf[5], GUARD);

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = GUARD;
	assert_int_equal(snprintf(buf, 1, "hello"), 5);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], GUARD);

	buf[0] = GUARD;
	assert_int_equal(snprintf(buf, 0, "hello %d", 12), 8);
	assert_int_equal(buf[0], GUARD);
	assert_int_equal(snprintf(NULL, 0, "%lu", ULONG_MAX), 20);

	assert_int_equal(snprintf(buf, 4, "%d", 123456), 6);
	assert_string_equal(buf, "123");
	assert_int_equal(snprintf(buf, 6, "%s", "hello"), 5);
	assert_string_equal(buf, "hello");
	assert_int_equal(snprintf(buf, 5, "%s", "hello"), 5);
	assert_string_equal(buf, "hell");
}

static void test_printf_chunks(void **state)
{
	(void)state;
	char line[1001];

	for (size_t i = 0; i < sizeof(line) - 1; i++)
		line[i] = (char)('a' + i % 26);
	line[sizeof(line) - 1] = '\0';

	console_reset();
	assert_int_equal(printf("<%s>", line), 1002);
	assert_int_equal(console_len, 1002);
	assert_int_equal(console[0], '<');
	assert_true(ref_memeq(console + 1, line, 1000));
	assert_int_equal(console[1001], '>');
	assert_int_equal(console_calls, (1002 + PRINTF_CHUNK - 1) / PRINTF_CHUNK);
	assert_int_equal(console_max_write, PRINTF_CHUNK);

	/* Exactly one chunk: one write. */
	console_reset();
	assert_int_equal(printf("%.*s", PRINTF_CHUNK, line), PRINTF_CHUNK);
	assert_int_equal(console_calls, 1);
	assert_int_equal(console_len, PRINTF_CHUNK);

	console_reset();
	assert_int_equal(printf("%s", ""), 0);
	assert_int_equal(console_calls, 0);
}

static void test_putchar_puts(void **state)
{
	(void)state;
	console_reset();
	assert_int_equal(putchar('A'), 'A');
	assert_int_equal(putchar(0x100 + 'b'), 'b');
	assert_int_equal(putchar(-1), 0xff);
	assert_int_equal(console_len, 3);
	assert_true(ref_memeq(console, "Ab\xff", 3));

	console_reset();
	assert_int_equal(puts("hi"), 3);
	assert_int_equal(puts(""), 1);
	assert_int_equal(console_len, 4);
	assert_true(ref_memeq(console, "hi\n\n", 4));
	assert_int_equal(console_calls, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_signed_int),
		cmocka_unit_test(test_unsigned_int),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_size_ptrdiff_intmax),
		cmocka_unit_test(test_char_short),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_char),
		cmocka_unit_test(test_width_and_flags),
		cmocka_unit_test(test_precision),
		cmocka_unit_test(test_star),
		cmocka_unit_test(test_odd_formats),
		cmocka_unit_test(test_snprintf_truncation),
		cmocka_unit_test(test_printf_chunks),
		cmocka_unit_test(test_putchar_puts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

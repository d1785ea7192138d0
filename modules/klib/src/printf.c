/*
 * printf.c - the formatter behind snprintf and printf.
 *
 * A conversion is %[flags][width][.precision][length]conversion:
 *   flags       '-' left-justify, '0' pad with zeros (integers, ignored with
 *               '-' or a precision), '+' / ' ' sign for non-negative signed
 *               numbers, '#' prefix 0x / 0X to non-zero %x / %X
 *   width       minimum field width, digits or '*' (an int argument; a
 *               negative one means '-' and its absolute value)
 *   precision   '.' then digits or '*' (a negative '*' means none): the
 *               minimum number of digits of an integer (0 prints nothing for
 *               the value 0), the maximum number of chars of %s
 *   length      hh h (none) l ll z t j: char short int long long-long
 *               size_t ptrdiff_t intmax_t
 *   conversion  d i (signed decimal), u (unsigned decimal), x X (hex),
 *               c (char), s (string, NULL prints "(null)"), p (pointer:
 *               0x and lower-case hex, even for NULL: "0x0"), % (a '%')
 * An unknown conversion is copied to the output as written.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

enum {
	FLAG_LEFT = 1 << 0,	/* '-' */
	FLAG_ZERO = 1 << 1,	/* '0' */
	FLAG_PLUS = 1 << 2,	/* '+' */
	FLAG_SPACE = 1 << 3,	/* ' ' */
	FLAG_ALT = 1 << 4,	/* '#' */
};

enum length { LEN_HH, LEN_H, LEN_INT, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

#define NO_PRECISION (-1)

/* Enough for the digits of any 64-bit value in base 10 or 16. */
#define MAX_DIGITS 20

struct spec {
	unsigned flags;
	int width;
	int precision;	/* NO_PRECISION when not given */
};

_Static_assert(sizeof(intmax_t) == sizeof(int64_t), "integers are formatted as 64-bit");
_Static_assert(sizeof(size_t) == sizeof(ptrdiff_t), "%zd reads a ptrdiff_t");

/* Appends one char to out (see struct klib_out). */
static void out_char(struct klib_out *out, char c)
{
	out->total++;
	if (out->used == out->cap) {
		if (out->flush == NULL)
			return;
		out->flush(out->buf, out->used);
		out->used = 0;
	}
	out->buf[out->used++] = c;
}

/* Appends n copies of c. A negative n appends nothing. */
static void out_repeat(struct klib_out *out, char c, long n)
{
	for (; n > 0; n--)
		out_char(out, c);
}

/* Appends the n chars at s. */
static void out_chars(struct klib_out *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out_char(out, s[i]);
}

/*
 * Reads a decimal number at *p, advances *p past it and returns it,
 * saturated at INT_MAX.
 */
static int parse_uint(const char **p)
{
	int v = 0;

	for (; **p >= '0' && **p <= '9'; (*p)++) {
		int digit = **p - '0';

		v = v > (INT_MAX - digit) / 10 ? INT_MAX : v * 10 + digit;
	}
	return v;
}

/* Reads a signed integer argument of the given length. */
static int64_t arg_signed(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_INT:
		return va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z:
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	}
	return 0;
}

/* Reads an unsigned integer argument of the given length. */
static uint64_t arg_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_INT:
		return va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_T:
		return (uint64_t)va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	}
	return 0;
}

/*
 * Appends an integer: sign (a char or 0 for none), then prefix (e.g. "0x"),
 * then the digits of magnitude in base 10 or 16, padded as spec says.
 */
static void format_int(struct klib_out *out, const struct spec *spec, char sign,
		       const char *prefix, uint64_t magnitude, unsigned base, bool upper)
{
	const char *digit_chars = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[MAX_DIGITS];
	int ndigits = 0;

	if (magnitude != 0 || spec->precision != 0) {
		do {
			digits[ndigits++] = digit_chars[magnitude % base];
			magnitude /= base;
		} while (magnitude != 0);
	}

	size_t prefix_len = strlen(prefix);
	long zeros = spec->precision > ndigits ? spec->precision - ndigits : 0;
	long len = (sign ? 1 : 0) + (long)prefix_len + zeros + ndigits;
	long pad = spec->width > len ? spec->width - len : 0;

	if ((spec->flags & (FLAG_ZERO | FLAG_LEFT)) == FLAG_ZERO &&
	    spec->precision == NO_PRECISION) {
		zeros += pad;
		pad = 0;
	}
	if (!(spec->flags & FLAG_LEFT))
		out_repeat(out, ' ', pad);
	if (sign)
		out_char(out, sign);
	out_chars(out, prefix, prefix_len);
	out_repeat(out, '0', zeros);
	while (ndigits > 0)
		out_char(out, digits[--ndigits]);
	if (spec->flags & FLAG_LEFT)
		out_repeat(out, ' ', pad);
}

/* Appends the n chars at s, padded to the field width. */
static void format_chars(struct klib_out *out, const struct spec *spec, const char *s, size_t n)
{
	long pad = (size_t)spec->width > n ? spec->width - (long)n : 0;

	if (!(spec->flags & FLAG_LEFT))
		out_repeat(out, ' ', pad);
	out_chars(out, s, n);
	if (spec->flags & FLAG_LEFT)
		out_repeat(out, ' ', pad);
}

/* Returns the sign char to print before the signed value v (0 for none). */
static char sign_char(int64_t v, unsigned flags)
{
	if (v < 0)
		return '-';
	if (flags & FLAG_PLUS)
		return '+';
	if (flags & FLAG_SPACE)
		return ' ';
	return 0;
}

/* Reads the flags at *p and advances *p past them. */
static unsigned parse_flags(const char **p)
{
	unsigned flags = 0;

	for (;; (*p)++) {
		switch (**p) {
		case '-':
			flags |= FLAG_LEFT;
			break;
		case '0':
			flags |= FLAG_ZERO;
			break;
		case '+':
			flags |= FLAG_PLUS;
			break;
		case ' ':
			flags |= FLAG_SPACE;
			break;
		case '#':
			flags |= FLAG_ALT;
			break;
		default:
			return flags;
		}
	}
}

/* Reads the length modifier at *p (if any) and advances *p past it. */
static enum length parse_length(const char **p)
{
	const char *s = *p;
	enum length len;

	switch (*s) {
	case 'h':
		len = s[1] == 'h' ? LEN_HH : LEN_H;
		break;
	case 'l':
		len = s[1] == 'l' ? LEN_LL : LEN_L;
		break;
	case 'z':
		len = LEN_Z;
		break;
	case 't':
		len = LEN_T;
		break;
	case 'j':
		len = LEN_J;
		break;
	default:
		return LEN_INT;
	}
	*p += (len == LEN_HH || len == LEN_LL) ? 2 : 1;
	return len;
}

/*
 * Formats the conversion that starts at *p (just after its '%') with the
 * arguments at ap, and advances *p past it. start points at the '%'.
 */
static void format_one(struct klib_out *out, const char *start, const char **p, va_list *ap)
{
	struct spec spec = { .flags = parse_flags(p), .width = 0, .precision = NO_PRECISION };

	if (**p == '*') {
		int w = va_arg(*ap, int);

		(*p)++;
		if (w < 0) {
			spec.flags |= FLAG_LEFT;
			w = w == INT_MIN ? INT_MAX : -w;
		}
		spec.width = w;
	} else {
		spec.width = parse_uint(p);
	}
	if (**p == '.') {
		(*p)++;
		if (**p == '*') {
			int prec = va_arg(*ap, int);

			(*p)++;
			spec.precision = prec < 0 ? NO_PRECISION : prec;
		} else {
			spec.precision = parse_uint(p);
		}
	}

	enum length len = parse_length(p);
	char conv = **p;

	if (conv == '\0') {		/* the format ends inside the conversion */
		out_chars(out, start, (size_t)(*p - start));
		return;
	}
	(*p)++;

	switch (conv) {
	case 'd':
	case 'i': {
		int64_t v = arg_signed(ap, len);
		uint64_t magnitude = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

		format_int(out, &spec, sign_char(v, spec.flags), "", magnitude, 10, false);
		break;
	}
	case 'u':
		format_int(out, &spec, 0, "", arg_unsigned(ap, len), 10, false);
		break;
	case 'x':
	case 'X': {
		uint64_t v = arg_unsigned(ap, len);
		const char *prefix = "";

		if ((spec.flags & FLAG_ALT) && v != 0)
			prefix = conv == 'x' ? "0x" : "0X";

		format_int(out, &spec, 0, prefix, v, 16, conv == 'X');
		break;
	}
	case 'p':
		format_int(out, &spec, 0, "0x", (uintptr_t)va_arg(*ap, void *), 16, false);
		break;
	case 'c': {
		char c = (char)va_arg(*ap, int);

		format_chars(out, &spec, &c, 1);
		break;
	}
	case 's': {
		const char *s = va_arg(*ap, const char *);

		if (s == NULL)
			s = "(null)";
		if (spec.precision == NO_PRECISION)
			format_chars(out, &spec, s, strlen(s));
		else
			format_chars(out, &spec, s, strnlen(s, (size_t)spec.precision));
		break;
	}
	case '%':
		out_char(out, '%');
		break;
	default:
		out_chars(out, start, (size_t)(*p - start));
		break;
	}
}

int klib_vformat(struct klib_out *out, const char *fmt, va_list ap)
{
	va_list args;
	const char *p = fmt;

	va_copy(args, ap);
	while (*p != '\0') {
		if (*p != '%') {
			out_char(out, *p++);
			continue;
		}
		const char *start = p++;
		format_one(out, start, &p, &args);
	}
	va_end(args);
	return out->total > INT_MAX ? -1 : (int)out->total;
}

/*
 * Formats fmt with the arguments ap into buf[0..size): at most size - 1
 * chars and a terminating NUL when size > 0; nothing is written when
 * size == 0 (buf may then be NULL). Returns the length the whole output
 * would have (not counting the NUL; the output was truncated iff it is
 * >= size), or -1 if that length exceeds INT_MAX.
 */
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
	struct klib_out out = { .buf = buf, .cap = size > 0 ? size - 1 : 0 };
	int ret = klib_vformat(&out, fmt, ap);

	if (size > 0)
		buf[out.used] = '\0';
	return ret;
}

/* snprintf(buf, size, fmt, ...) = vsnprintf(buf, size, fmt, the arguments). */
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int ret = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return ret;
}

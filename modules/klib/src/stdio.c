/*
 * stdio.c - console output: printf, vprintf, putchar and puts write through
 * console_write() (<klib/console.h>).
 *
 * printf formats into a buffer on the stack and hands it to console_write
 * each time it fills up, so an output of at most PRINTF_CHUNK chars reaches
 * the console in a single console_write call.
 */
#include <stdio.h>
#include <klib/console.h>

#include "format.h"

#define PRINTF_CHUNK 256

/*
 * Formats fmt with the arguments ap (see printf.c) and writes the result to
 * the console. Returns the number of chars written, or -1 if it exceeds
 * INT_MAX (everything is written anyway).
 */
int vprintf(const char *restrict fmt, va_list ap)
{
	char buf[PRINTF_CHUNK];
	struct klib_out out = { .buf = buf, .cap = sizeof(buf), .flush = console_write };
	int ret = klib_vformat(&out, fmt, ap);

	if (out.used > 0)
		console_write(buf, out.used);
	return ret;
}

/* printf(fmt, ...) = vprintf(fmt, the arguments). */
int printf(const char *restrict fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int ret = vprintf(fmt, ap);
	va_end(ap);
	return ret;
}

/* Writes (unsigned char)c to the console. Returns (unsigned char)c. */
int putchar(int c)
{
	char ch = (char)c;

	console_write(&ch, 1);
	return (unsigned char)c;
}

/*
 * Writes the string s and a newline to the console (in one console_write
 * call when they fit in PRINTF_CHUNK). Returns the number of chars written.
 */
int puts(const char *s)
{
	return printf("%s\n", s);
}

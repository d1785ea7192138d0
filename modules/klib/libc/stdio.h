/*
 * stdio.h - formatted output of the kernel's freestanding C library.
 *
 * There are no streams: everything goes to the console through
 * console_write() (see <klib/console.h>). The formatter (vsnprintf) knows
 * the flags '-' '0' '+' ' ' '#', a width and a precision (digits or '*'),
 * the length modifiers hh h l ll z t j and the conversions d i u x X c s p %.
 * See modules/klib/src/printf.c for the details.
 */
#ifndef KLIB_LIBC_STDIO_H
#define KLIB_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

int printf(const char *restrict fmt, ...) __attribute__((format(__printf__, 1, 2)));
int vprintf(const char *restrict fmt, va_list ap) __attribute__((format(__printf__, 1, 0)));
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__attribute__((format(__printf__, 3, 4)));
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
	__attribute__((format(__printf__, 3, 0)));
int putchar(int c);
int puts(const char *s);

#endif

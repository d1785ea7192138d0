/*
 * panic.c - panic(), the assert() failure hook and the exit path.
 */
#include "backtrace.h"
#include <axhal/panic.h>
#include <axhal/platform.h>
#include <stdarg.h>
#include <stdio.h>

void axhal_exit(int code)
{
	platform_exit(code);
}

void axhal_panic(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("\npanic at %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	axhal_backtrace(0, (uint64_t)__builtin_frame_address(0));
	printf("kernel panic (exit status %d)\n", AXHAL_EXIT_PANIC);
	axhal_exit(AXHAL_EXIT_PANIC);
}

void __assert_fail(const char *expr, const char *file, int line, const char *func)
{
	axhal_panic(file, line, "assertion failed in %s(): %s", func, expr);
}

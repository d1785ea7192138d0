/*
 * console_capture.h - console_write() for klib's host tests: the output of
 * printf/putchar/puts lands in console[] instead of on a device.
 *
 * Every program of this directory links klib's stdio.c, which needs
 * console_write, so each test file includes this header (it defines
 * functions: include it from exactly one file of a program).
 */
#ifndef KLIB_TEST_CONSOLE_CAPTURE_H
#define KLIB_TEST_CONSOLE_CAPTURE_H

#include <stddef.h>
#include <klib/console.h>

#define CONSOLE_CAP 8192

static char console[CONSOLE_CAP];	/* everything written since console_reset() */
static size_t console_len;
static unsigned console_calls;		/* console_write calls since console_reset() */
static size_t console_max_write;	/* longest single write since console_reset() */

void console_write(const char *buf, size_t len)
{
	assert_true(console_len + len <= CONSOLE_CAP);
	for (size_t i = 0; i < len; i++)
		console[console_len + i] = buf[i];
	console_len += len;
	console_calls++;
	if (len > console_max_write)
		console_max_write = len;
}

/* Forgets the captured output. */
static inline void console_reset(void)
{
	console_len = 0;
	console_calls = 0;
	console_max_write = 0;
}

#endif

/* console_capture.c - klib's console as a buffer, for its host tests (see console_capture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "console_capture.h"

char console[CONSOLE_CAP];
size_t console_len;
unsigned console_calls;
size_t console_max_write;

/* Appends buf[0..len) to console[]; fails the test if it does not fit. */
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

void console_reset(void)
{
	console_len = 0;
	console_calls = 0;
	console_max_write = 0;
}

/* log_capture.c - axlog's lines into a buffer, for its tests (see log_capture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <axlog/log.h>

#include "log_capture.h"

char captured[CAPTURE_CAP];
size_t captured_len;
unsigned captured_lines;

/* The output function: appends one line; fails the test if it does not fit. */
static void capture_write(const char *line, size_t len)
{
	assert_int_equal(line[len], '\0');
	assert_true(captured_len + len < CAPTURE_CAP);
	memcpy(captured + captured_len, line, len);
	captured_len += len;
	captured[captured_len] = '\0';
	captured_lines++;
}

void capture_start(void)
{
	captured_len = 0;
	captured_lines = 0;
	captured[0] = '\0';
	axlog_set_output(capture_write);
}

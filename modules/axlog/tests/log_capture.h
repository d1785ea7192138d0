/*
 * log_capture.h - an axlog output that records lines, for axlog's tests
 * (defines functions: include it from exactly one file of a program).
 */
#ifndef AXLOG_TEST_LOG_CAPTURE_H
#define AXLOG_TEST_LOG_CAPTURE_H

#include <stddef.h>
#include <string.h>

#define CAPTURE_CAP 4096

static char captured[CAPTURE_CAP];	/* all lines since capture_start(), NUL-terminated */
static size_t captured_len;
static unsigned captured_lines;		/* output calls since capture_start() */

static void capture_write(const char *line, size_t len)
{
	assert_int_equal(line[len], '\0');
	assert_true(captured_len + len < CAPTURE_CAP);
	memcpy(captured + captured_len, line, len);
	captured_len += len;
	captured[captured_len] = '\0';
	captured_lines++;
}

/* Routes axlog's lines into captured[], emptied. */
static inline void capture_start(void)
{
	captured_len = 0;
	captured_lines = 0;
	captured[0] = '\0';
	axlog_set_output(capture_write);
}

#endif

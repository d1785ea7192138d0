/*
 * log_capture.h - an axlog output that records lines, for axlog's tests
 * (log_capture.c).
 */
#ifndef AXLOG_TEST_LOG_CAPTURE_H
#define AXLOG_TEST_LOG_CAPTURE_H

#include <stddef.h>

#define CAPTURE_CAP 4096

extern char captured[CAPTURE_CAP]; /* all lines since capture_start(), NUL-terminated */
extern size_t captured_len;
extern unsigned captured_lines; /* output calls since capture_start() */

/* Routes axlog's lines into captured[], emptied. */
void capture_start(void);

#endif

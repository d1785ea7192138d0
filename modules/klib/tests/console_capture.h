/*
 * console_capture.h - console_write() for klib's host tests: the output of
 * printf/putchar/puts lands in console[] instead of on a device.
 * console_capture.c defines it; every program of this directory links it
 * (klib's stdio.c needs a console_write).
 */
#ifndef KLIB_TEST_CONSOLE_CAPTURE_H
#define KLIB_TEST_CONSOLE_CAPTURE_H

#include <klib/console.h>
#include <stddef.h>

#define CONSOLE_CAP 8192

extern char console[CONSOLE_CAP]; /* everything written since console_reset() */
extern size_t console_len;
extern unsigned console_calls;	 /* console_write calls since console_reset() */
extern size_t console_max_write; /* longest single write since console_reset() */

/* Forgets the captured output. */
void console_reset(void);

#endif

/*
 * klib/console.h - the console sink of printf, vprintf, putchar and puts.
 *
 * klib only declares console_write(); in the kernel axhal implements it
 * (the SBI / UART console), host tests define their own to capture output.
 */
#ifndef KLIB_CONSOLE_H
#define KLIB_CONSOLE_H

#include <stddef.h>

/*
 * Writes the len bytes at buf to the console, all of them, in order, before
 * returning. buf need not be NUL-terminated; len may be 0.
 */
void console_write(const char *buf, size_t len);

#endif

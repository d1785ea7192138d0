/*
 * axhal/console.h - console set-up (the writer is klib's console_write).
 */
#ifndef AXHAL_CONSOLE_H
#define AXHAL_CONSOLE_H

/* Chooses the SBI console method (DBCN if present). Call before printing. */
void axhal_console_init(void);

/* "SBI DBCN" or "SBI legacy putchar". */
const char *axhal_console_name(void);

#endif

/*
 * axhal/sbi.h - calls into the SBI firmware (OpenSBI).
 */
#ifndef AXHAL_SBI_H
#define AXHAL_SBI_H

#include <stdint.h>

struct sbiret {
	long error;
	long value;
};

#define SBI_EXT_BASE 0x10
#define SBI_EXT_DBCN 0x4442434e
#define SBI_EXT_SRST 0x53525354
#define SBI_LEGACY_PUTCHAR 0x01

/* Raw ecall with extension id `eid`, function id `fid` and three arguments. */
struct sbiret sbi_call(long eid, long fid, long a0, long a1, long a2);

/* Non-zero when the firmware implements extension `eid`. */
long sbi_probe_extension(long eid);

/* Writes one byte to the debug console: DBCN when present, else legacy. */
void sbi_console_putchar(int c, int use_dbcn);

/* System reset (SRST) shutdown; cannot report failure, returns if absent. */
void sbi_shutdown(void);

#endif

/*
 * sbi.c - SBI calls: the base extension probe, the debug console and the
 * system reset extension.
 */
#include <axhal/sbi.h>

#define SBI_BASE_PROBE_EXTENSION 3
#define SBI_DBCN_WRITE_BYTE 2
#define SBI_SRST_RESET 0
#define SBI_SRST_SHUTDOWN 0
#define SBI_SRST_NO_REASON 0

struct sbiret sbi_call(long eid, long fid, long a0, long a1, long a2)
{
	register long r_a0 __asm__("a0") = a0;
	register long r_a1 __asm__("a1") = a1;
	register long r_a2 __asm__("a2") = a2;
	register long r_a6 __asm__("a6") = fid;
	register long r_a7 __asm__("a7") = eid;

	__asm__ volatile("ecall"
			 : "+r"(r_a0), "+r"(r_a1)
			 : "r"(r_a2), "r"(r_a6), "r"(r_a7)
			 : "memory");
	return (struct sbiret){ r_a0, r_a1 };
}

long sbi_probe_extension(long eid)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, eid, 0, 0);
	return r.error ? 0 : r.value;
}

void sbi_console_putchar(int c, int use_dbcn)
{
	if (use_dbcn)
		sbi_call(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, c & 0xff, 0, 0);
	else
		sbi_call(SBI_LEGACY_PUTCHAR, 0, c, 0, 0);
}

void sbi_shutdown(void)
{
	sbi_call(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_SHUTDOWN, SBI_SRST_NO_REASON, 0);
}

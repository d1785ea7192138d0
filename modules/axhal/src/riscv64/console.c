/*
 * console.c - the kernel console (klib's printf sink) on the SBI debug
 * console: DBCN when the firmware has it, the legacy putchar otherwise.
 */
#include <axhal/console.h>
#include <axhal/sbi.h>
#include <klib/console.h>
#include <stddef.h>

static int use_dbcn;

void axhal_console_init(void)
{
	use_dbcn = sbi_probe_extension(SBI_EXT_DBCN) != 0;
}

const char *axhal_console_name(void)
{
	return use_dbcn ? "SBI DBCN" : "SBI legacy putchar";
}

void console_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sbi_console_putchar(buf[i], use_dbcn);
}

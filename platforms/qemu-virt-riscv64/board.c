/*
 * board.c - QEMU virt machine specifics: the sifive_test exit device and the
 * MMIO ranges the kernel maps as device memory.
 */
#include <axhal/mem.h>
#include <axhal/platform.h>
#include <axhal/sbi.h>
#include <stdint.h>

#define SIFIVE_TEST_BASE 0x100000UL
#define SIFIVE_TEST_PASS 0x5555u
#define SIFIVE_TEST_FAIL 0x3333u

static const struct mem_range mmio[] = {
	{ SIFIVE_TEST_BASE, 0x1000 }, /* sifive_test finisher */
	{ 0x0c000000, 0x400000 },     /* PLIC */
	{ 0x10000000, 0x1000 },	      /* UART 16550 */
};

const char *platform_name(void)
{
	return "qemu-virt-riscv64";
}

const struct mem_range *platform_mmio_ranges(int *n)
{
	*n = (int)(sizeof(mmio) / sizeof(mmio[0]));
	return mmio;
}

void platform_exit(int code)
{
	volatile uint32_t *finisher = phys_to_virt(SIFIVE_TEST_BASE);
	unsigned status = (unsigned)code & 0xff;

	if (code != 0 && status == 0)
		status = 1; /* keep failure visible in the 8-bit host status */
	*finisher = code == 0 ? SIFIVE_TEST_PASS : (status << 16) | SIFIVE_TEST_FAIL;
	/* no finisher (another machine model): power off, without a status */
	sbi_shutdown();
	for (;;)
		__asm__ volatile("wfi");
}

/*
 * boot.c - early boot in C, on the boot hart, already in the high half:
 * traps, console, device tree, the list of reserved physical memory; then
 * the runtime.
 */
#include "boot.h"
#include <axhal/boot_info.h>
#include <axhal/console.h>
#include "cpu.h"
#include <axhal/panic.h>
#include <axhal/time.h>
#include "trap.h"
#include <errno.h>

extern char _kernel_start[], _kernel_end[];
extern uint64_t boot_page_table[];

static struct boot_info boot_info;

/* Adds [base, base + size) to the reserved list; stops the boot rather than drop it. */
static void reserve(struct boot_info *bi, paddr_t base, uint64_t size)
{
	if (bi->nr_reserved == BOOT_MAX_RESERVED)
		panic("more than %d reserved memory ranges (BOOT_MAX_RESERVED)", BOOT_MAX_RESERVED);
	bi->reserved[bi->nr_reserved++] = (struct mem_range){ base, size };
}

/*
 * Called by entry.S with the hart id, the device tree's physical address and
 * the time counter at _start. Never returns.
 */
void axhal_boot_main(unsigned long hartid, paddr_t dtb_pa, uint64_t boot_ticks)
{
	struct boot_info *bi = &boot_info;

	/* the identity map only served the switch to the high half */
	for (int i = 0; i < BOOT_PT_IDENTITY_ENTRIES; i++)
		boot_page_table[i] = 0;
	axhal_flush_tlb_all();
	axhal_trap_init();
	csr_set(sstatus, SSTATUS_FS_INITIAL);
	axhal_console_init();

	bi->hartid = hartid;
	bi->dtb_pa = dtb_pa;
	bi->boot_ticks = boot_ticks;
	int err = fdt_parse(phys_to_virt(dtb_pa), &bi->fdt);
	if (err == -ENOSPC)
		panic("the device tree lists more than %d RAM or reserved ranges (FDT_MAX_RANGES)",
		      FDT_MAX_RANGES);
	if (err)
		panic("invalid device tree at %#lx", (unsigned long)dtb_pa);
	if (bi->fdt.nr_ram == 0)
		panic("the device tree lists no memory");
	axhal_time_init(bi->fdt.timebase_hz);

	bi->kernel.base = virt_to_phys(_kernel_start);
	bi->kernel.size = (uint64_t)(_kernel_end - _kernel_start);
	for (int i = 0; i < bi->fdt.nr_reserved; i++)
		reserve(bi, bi->fdt.reserved[i].base, bi->fdt.reserved[i].size);
	for (int i = 0; i < bi->fdt.nr_ram; i++) {
		const struct mem_range *r = &bi->fdt.ram[i];
		/* firmware (OpenSBI) occupies RAM from its base up to the kernel */
		if (r->base < CONFIG_KERNEL_LOAD_PA && CONFIG_KERNEL_LOAD_PA - r->base < r->size)
			reserve(bi, r->base, CONFIG_KERNEL_LOAD_PA - r->base);
	}
	reserve(bi, bi->kernel.base, bi->kernel.size);
	reserve(bi, dtb_pa, bi->fdt.size);

	axruntime_main(bi);
}

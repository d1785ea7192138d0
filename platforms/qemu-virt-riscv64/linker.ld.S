/*
 * Kernel image layout: linked in the high half at CONFIG_PHYS_VIRT_OFFSET +
 * CONFIG_KERNEL_LOAD_PA, loaded at physical CONFIG_KERNEL_LOAD_PA (both from
 * options.Kconfig; the build runs this file through the C preprocessor into
 * $(O)/linker.ld). Sections are page aligned so the kernel address space can
 * give each its own permissions. PHYS_VIRT_OFFSET is also an absolute symbol
 * of the ELF, for the gdb helpers.
 */
OUTPUT_ARCH(riscv)
ENTRY(_start)

PHYS_VIRT_OFFSET = CONFIG_PHYS_VIRT_OFFSET;

SECTIONS
{
	. = PHYS_VIRT_OFFSET + CONFIG_KERNEL_LOAD_PA;
	_kernel_start = .;

	.text : AT(CONFIG_KERNEL_LOAD_PA) {
		_stext = .;
		*(.text.entry)
		*(.text .text.*)
		. = ALIGN(4K);
		_etext = .;
	}

	.rodata : {
		_srodata = .;
		*(.rodata .rodata.*)
		*(.srodata .srodata.*)
		. = ALIGN(4K);
		_erodata = .;
	}

	.data : {
		_sdata = .;
		*(.data.boot_page_table)
		*(.data .data.*)
		*(.sdata .sdata.*)
		. = ALIGN(4K);
		_edata = .;
	}

	.bss (NOLOAD) : {
		_sbss = .;
		*(.bss.stack)
		_sbss_clear = .;
		*(.bss .bss.*)
		*(.sbss .sbss.*)
		*(COMMON)
		. = ALIGN(4K);
		_ebss = .;
	}

	_kernel_end = .;

	/DISCARD/ : {
		*(.eh_frame) *(.eh_frame_hdr) *(.comment)
	}
}

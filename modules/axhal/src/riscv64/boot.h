/*
 * boot.h - constants of the boot assembly (entry.S). Plain integers,
 * no C suffixes, so the assembler can use them. The linear map's offset is
 * the platform's CONFIG_PHYS_VIRT_OFFSET (1G-aligned).
 */
#ifndef AXHAL_BOOT_H
#define AXHAL_BOOT_H

#define BOOT_STACK_SIZE (64 * 1024)
#define SATP_MODE_SV39	(8 << 60)

/* Boot page table: 1G leaves, V R W X G A D. */
#define BOOT_PTE_FLAGS		 0xef
#define BOOT_PTE_GIB_SHIFT	 28 /* (i GiB >> 12) << 10 == i << 28 */
#define BOOT_PT_IDENTITY_ENTRIES 4  /* identity map of the first 4 GiB */
/* Root entry HIGH_INDEX + i (up to 511) maps PA i GiB at CONFIG_PHYS_VIRT_OFFSET. */
#define BOOT_PT_HIGH_INDEX   ((CONFIG_PHYS_VIRT_OFFSET >> 30) & 511)
#define BOOT_PT_HIGH_ENTRIES (512 - BOOT_PT_HIGH_INDEX)
#define BOOT_PT_HIGH_OFFSET  (BOOT_PT_HIGH_INDEX * 8) /* its byte offset */

#endif

/*
 * axhal/boot.h - constants of the boot assembly (entry.S). Plain integers,
 * no C suffixes, so the assembler can use them.
 */
#ifndef AXHAL_BOOT_H
#define AXHAL_BOOT_H

#define BOOT_PHYS_VIRT_OFFSET 0xffffffc000000000 /* = PHYS_VIRT_OFFSET */

#define BOOT_STACK_SIZE (64 * 1024)
#define SATP_MODE_SV39 (8 << 60)

/* Boot page table: 1G leaves, V R W X G A D. */
#define BOOT_PTE_FLAGS 0xef
#define BOOT_PTE_GIB_SHIFT 28	      /* (i GiB >> 12) << 10 == i << 28 */
#define BOOT_PT_IDENTITY_ENTRIES 4    /* identity map of the first 4 GiB */
#define BOOT_PT_HIGH_ENTRIES 256      /* 256 GiB at PHYS_VIRT_OFFSET */
#define BOOT_PT_HIGH_OFFSET (256 * 8) /* byte offset of root entry 256 */

#endif

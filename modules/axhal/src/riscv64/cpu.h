/*
 * cpu.h - riscv64 CSR access and cause codes (architecture code only;
 * portable modules must not include this).
 */
#ifndef AXHAL_CPU_H
#define AXHAL_CPU_H

#include <stdint.h>

#define csr_read(csr)                                          \
	({                                                     \
		uint64_t __v;                                  \
		__asm__ volatile("csrr %0, " #csr : "=r"(__v)); \
		__v;                                           \
	})
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"rK"((uint64_t)(val)) : "memory")
#define csr_set(csr, bits) __asm__ volatile("csrs " #csr ", %0" ::"rK"((uint64_t)(bits)) : "memory")

#define SSTATUS_SUM (1UL << 18)
#define SSTATUS_FS_INITIAL (1UL << 13)

#define SCAUSE_INTERRUPT (1UL << 63)
#define EXC_INST_PAGE_FAULT 12
#define EXC_LOAD_PAGE_FAULT 13
#define EXC_STORE_PAGE_FAULT 15

#endif

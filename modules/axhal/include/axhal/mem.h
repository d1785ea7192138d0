/*
 * axhal/mem.h - the hardware hooks portable modules may use.
 *
 * Portable modules (allocators, page-table, mm-addrspace) contain no inline
 * assembly: they reach physical memory and the TLB only through these
 * functions. In the kernel axhal implements them; host tests link
 * tests/host/hal_host.c, where "physical memory" is a host buffer and TLB
 * flushes only count calls.
 */
#ifndef AXHAL_MEM_H
#define AXHAL_MEM_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;
typedef uint64_t vaddr_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE_4K (1UL << 12)
#define PAGE_SIZE_2M (1UL << 21)
#define PAGE_SIZE_1G (1UL << 30)
#define PAGE_SIZE PAGE_SIZE_4K

/* Lowest and one-past-highest user (low-half) virtual address under Sv39. */
#define USER_VA_START 0x1000UL
#define USER_VA_END 0x4000000000UL

/* A physical memory range [base, base + size). */
struct mem_range {
	paddr_t base;
	uint64_t size;
};

#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define ALIGN_UP(x, a) ALIGN_DOWN((x) + (a)-1, (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)

/*
 * Returns a kernel pointer through which physical address pa can be accessed
 * (in the kernel, the linear map: pa + the platform's Kconfig PHYS_VIRT_OFFSET).
 */
void *phys_to_virt(paddr_t pa);

/* Inverse of phys_to_virt for pointers into the linear map. */
paddr_t virt_to_phys(const void *va);

/* Invalidates the TLB entry of one virtual address (all address spaces). */
void axhal_flush_tlb_page(vaddr_t va);

/* Invalidates the whole TLB of this hart. */
void axhal_flush_tlb_all(void);

/* Kinds of access reported for a page fault (same values as MAPF_READ/WRITE/EXEC). */
#define ACCESS_READ (1u << 0)
#define ACCESS_WRITE (1u << 1)
#define ACCESS_EXEC (1u << 2)

/*
 * Resolves a page fault at va: returns 0 when the access can be retried,
 * a negative errno when it cannot (the trap handler then reports it).
 */
typedef int (*axhal_fault_handler_t)(vaddr_t va, unsigned access);

/*
 * Switches this hart to the page table whose satp value is `satp` (full TLB
 * flush) and routes page faults on low-half addresses to `handler`
 * (NULL: such faults are fatal).
 */
void axhal_activate_page_table(uint64_t satp, axhal_fault_handler_t handler);

#endif

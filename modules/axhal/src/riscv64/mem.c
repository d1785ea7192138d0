/*
 * mem.c - the axhal memory hooks on riscv64: the linear map, TLB flushes and
 * switching page tables.
 */
#include "cpu.h"
#include <axhal/mem.h>

#include "fault.h"

void *phys_to_virt(paddr_t pa)
{
	return (void *)(pa + CONFIG_PHYS_VIRT_OFFSET);
}

paddr_t virt_to_phys(const void *va)
{
	return (paddr_t)va - CONFIG_PHYS_VIRT_OFFSET;
}

void axhal_flush_tlb_page(vaddr_t va)
{
	__asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory");
}

void axhal_flush_tlb_all(void)
{
	__asm__ volatile("sfence.vma" ::: "memory");
}

void axhal_activate_page_table(uint64_t satp, axhal_fault_handler_t handler)
{
	axhal_fault_handler = handler;
	csr_write(satp, satp);
	axhal_flush_tlb_all();
}

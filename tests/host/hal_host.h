/*
 * hal_host.h - the axhal hooks for host tests: "physical memory" is host
 * memory, TLB flushes are counted.
 */
#ifndef HAL_HOST_H
#define HAL_HOST_H

#include <axhal/mem.h>
#include <stdint.h>

/*
 * Backs the physical range [base, base + size) with zeroed host memory
 * (reserved lazily, so gigabytes cost nothing until touched). Up to
 * HAL_HOST_MAX_RANGES ranges at once; aborts on misuse.
 */
#define HAL_HOST_MAX_RANGES 8
void hal_host_map_phys(paddr_t base, uint64_t size);

/* Releases every range mapped with hal_host_map_phys. */
void hal_host_unmap_all(void);

/* Number of axhal_flush_tlb_page / axhal_flush_tlb_all calls so far. */
extern unsigned long hal_host_tlb_page_flushes;
extern unsigned long hal_host_tlb_all_flushes;
/* The address the last axhal_flush_tlb_page call was given. */
extern vaddr_t hal_host_tlb_last_page;

/* Last values given to axhal_activate_page_table. */
extern uint64_t hal_host_satp;
extern axhal_fault_handler_t hal_host_fault_handler;

#endif

/* hal_host.c - host implementation of the axhal memory hooks (see hal_host.h). */
#include "hal_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

struct host_range {
	paddr_t base;
	uint64_t size;
	unsigned char *mem;
};

static struct host_range ranges[HAL_HOST_MAX_RANGES];
static int nr_ranges;

unsigned long hal_host_tlb_page_flushes;
unsigned long hal_host_tlb_all_flushes;
vaddr_t hal_host_tlb_last_page;

void hal_host_map_phys(paddr_t base, uint64_t size)
{
	if (nr_ranges == HAL_HOST_MAX_RANGES || size == 0) {
		fprintf(stderr, "hal_host_map_phys: too many ranges or empty range\n");
		abort();
	}
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		perror("hal_host_map_phys: mmap");
		abort();
	}
	ranges[nr_ranges++] = (struct host_range){base, size, mem};
}

void hal_host_unmap_all(void)
{
	for (int i = 0; i < nr_ranges; i++)
		munmap(ranges[i].mem, ranges[i].size);
	nr_ranges = 0;
}

void *phys_to_virt(paddr_t pa)
{
	for (int i = 0; i < nr_ranges; i++)
		if (pa >= ranges[i].base && pa - ranges[i].base < ranges[i].size)
			return ranges[i].mem + (pa - ranges[i].base);
	fprintf(stderr, "phys_to_virt: %#llx is not backed by host memory\n",
		(unsigned long long)pa);
	abort();
}

paddr_t virt_to_phys(const void *va)
{
	const unsigned char *p = va;
	for (int i = 0; i < nr_ranges; i++)
		if (p >= ranges[i].mem && (uint64_t)(p - ranges[i].mem) < ranges[i].size)
			return ranges[i].base + (uint64_t)(p - ranges[i].mem);
	fprintf(stderr, "virt_to_phys: %p is not in simulated physical memory\n", va);
	abort();
}

void axhal_flush_tlb_page(vaddr_t va)
{
	hal_host_tlb_last_page = va;
	hal_host_tlb_page_flushes++;
}

void axhal_flush_tlb_all(void)
{
	hal_host_tlb_all_flushes++;
}

uint64_t hal_host_satp;
axhal_fault_handler_t hal_host_fault_handler;

void axhal_activate_page_table(uint64_t satp, axhal_fault_handler_t handler)
{
	hal_host_satp = satp;
	hal_host_fault_handler = handler;
	hal_host_tlb_all_flushes++;
}

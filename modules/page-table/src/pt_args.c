/*
 * pt_args.c - caller arguments to PTE bits and 39-bit ranges: flag
 * translation and the checks every operation starts with.
 */
#include <errno.h>
#include <klib/kconfig.h>

#include "pt_internal.h"

/* MAPF_* flag and the PTE bit it becomes, one to one. */
static const struct {
	unsigned mapf;
	pte_t bit;
} flag_bits[] = {
    {MAPF_READ, SV39_PTE_R},	 {MAPF_WRITE, SV39_PTE_W},  {MAPF_EXEC, SV39_PTE_X},
    {MAPF_USER, SV39_PTE_U},	 {MAPF_GLOBAL, SV39_PTE_G}, {MAPF_DEVICE, SV39_PTE_SW_DEVICE},
    {MAPF_ACCESSED, SV39_PTE_A}, {MAPF_DIRTY, SV39_PTE_D},
};

#define NR_FLAG_BITS (sizeof(flag_bits) / sizeof(flag_bits[0]))

/* Flags a caller may pass in; ACCESSED and DIRTY are computed, not taken. */
#define MAPF_INPUT_COMPUTED (MAPF_ACCESSED | MAPF_DIRTY)

int pt_leaf_bits(unsigned flags, pte_t *bits)
{
	if (flags & ~MAPF_ALL)
		return -EINVAL;
	if (!(flags & (MAPF_READ | MAPF_EXEC)))
		return -EINVAL;
	if ((flags & MAPF_WRITE) && !(flags & MAPF_READ))
		return -EINVAL;
	flags &= ~MAPF_INPUT_COMPUTED;
	/* A always, D with W: no trap on first access when there is no Svadu. */
	pte_t b = SV39_PTE_V | SV39_PTE_A;
	if (flags & MAPF_WRITE)
		b |= SV39_PTE_D;
	for (unsigned i = 0; i < NR_FLAG_BITS; i++)
		if (flags & flag_bits[i].mapf)
			b |= flag_bits[i].bit;
	if (IS_ENABLED(CONFIG_RISCV_SVPBMT) && (flags & MAPF_DEVICE))
		b |= SV39_PBMT_IO << SV39_PTE_PBMT_SHIFT;
	*bits = b;
	return 0;
}

unsigned pt_pte_flags(pte_t pte)
{
	unsigned flags = 0;
	for (unsigned i = 0; i < NR_FLAG_BITS; i++)
		if (pte & flag_bits[i].bit)
			flags |= flag_bits[i].mapf;
	return flags;
}

int pt_check_range(const struct page_table *pt, vaddr_t va, uint64_t size, bool modify,
		   struct pt_range *r)
{
	if (size == 0 || !IS_ALIGNED(va, PAGE_SIZE_4K) || !IS_ALIGNED(size, PAGE_SIZE_4K))
		return -EINVAL;
	uint64_t last = va + (size - 1);
	if (last < va || !sv39_va_canonical(va) || !sv39_va_canonical(last))
		return -EINVAL;
	uint64_t half_bit = 1ULL << (SV39_VA_BITS - 1);
	if ((va ^ last) & half_bit)
		return -EINVAL; /* the range crosses the non-canonical hole */
	if (modify && pt->shares_kernel && (va & half_bit))
		return -EINVAL;
	r->start = va & SV39_VA_MASK;
	r->end = r->start + size;
	return 0;
}

int pt_check_region(const struct page_table *pt, vaddr_t va, uint64_t size, struct pt_range *r)
{
	if (pt_check_range(pt, va, size, true, r))
		return -EINVAL;
	if (pt_cuts_huge(pt, r->start) || pt_cuts_huge(pt, r->end))
		return -EBUSY;
	return 0;
}

int pt_check_pa(paddr_t pa, uint64_t size)
{
	if (!IS_ALIGNED(pa, PAGE_SIZE_4K) || pa >= SV39_PA_LIMIT || size > SV39_PA_LIMIT - pa)
		return -EINVAL;
	return 0;
}

bool pt_pgsize_valid(uint64_t pgsize)
{
	return pgsize == PAGE_SIZE_4K || pgsize == PAGE_SIZE_2M || pgsize == PAGE_SIZE_1G;
}

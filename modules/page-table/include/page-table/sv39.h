/*
 * page-table/sv39.h - the RISC-V Sv39 page-table entry format.
 *
 * A page-table entry (PTE) is 64 bits:
 *
 *   63   62-61  60-54     53-10  9-8  7 6 5 4 3 2 1 0
 *   N    PBMT   reserved  PPN    RSW  D A G U X W R V
 *
 * V = 0: invalid (every other bit is ignored by the hardware).
 * V = 1 and R = W = X = 0: pointer to the next-level table (then D, A, U,
 * PBMT must be 0). Otherwise a leaf whose size depends on the level it sits
 * at: level 2 (the root) 1 GiB, level 1 2 MiB, level 0 4 KiB; a leaf's PPN
 * must be aligned to its size. W without R is reserved. RSW is for software;
 * this module keeps the device attribute there (SV39_PTE_SW_DEVICE). PBMT
 * (Svpbmt) overrides the memory type: 0 = PMA, 1 = NC, 2 = IO.
 *
 * Virtual addresses are 39 bits, sign-extended: bits 63..39 equal bit 38.
 * Index of va at level L: bits (12 + 9L) .. (20 + 9L).
 */
#ifndef PAGE_TABLE_SV39_H
#define PAGE_TABLE_SV39_H

#include <axhal/mem.h>
#include <stdbool.h>
#include <stdint.h>

typedef uint64_t pte_t;

#define SV39_LEVELS	3
#define SV39_ROOT_LEVEL 2
#define SV39_ENTRIES	512
#define SV39_INDEX_BITS 9
#define SV39_VA_BITS	39
#define SV39_PA_BITS	56
#define SV39_VA_MASK	((1ULL << SV39_VA_BITS) - 1)
#define SV39_PA_LIMIT	(1ULL << SV39_PA_BITS)
/* Root entries from this index on map the high (kernel) half. */
#define SV39_KERNEL_ROOT_INDEX (SV39_ENTRIES / 2)

#define SV39_PTE_V	   (1ULL << 0)
#define SV39_PTE_R	   (1ULL << 1)
#define SV39_PTE_W	   (1ULL << 2)
#define SV39_PTE_X	   (1ULL << 3)
#define SV39_PTE_U	   (1ULL << 4)
#define SV39_PTE_G	   (1ULL << 5)
#define SV39_PTE_A	   (1ULL << 6)
#define SV39_PTE_D	   (1ULL << 7)
#define SV39_PTE_SW_DEVICE (1ULL << 8) /* RSW bit 0: mapping is device memory */
#define SV39_PTE_RWX	   (SV39_PTE_R | SV39_PTE_W | SV39_PTE_X)

#define SV39_PTE_PPN_SHIFT 10
#define SV39_PTE_PPN_BITS  44
#define SV39_PTE_PPN_MASK  (((1ULL << SV39_PTE_PPN_BITS) - 1) << SV39_PTE_PPN_SHIFT)

#define SV39_PTE_PBMT_SHIFT 61
#define SV39_PTE_PBMT_MASK  (3ULL << SV39_PTE_PBMT_SHIFT)
#define SV39_PBMT_PMA	    0ULL
#define SV39_PBMT_NC	    1ULL
#define SV39_PBMT_IO	    2ULL

/* satp: MODE in bits 63..60 (8 = Sv39), ASID 59..44, root PPN 43..0. */
#define SV39_SATP_MODE_SHIFT 60
#define SV39_SATP_MODE	     8ULL

/* Bytes mapped by one entry at `level` (0, 1, 2): 4K, 2M, 1G. */
static inline uint64_t sv39_level_size(int level)
{
	return 1ULL << (PAGE_SHIFT + SV39_INDEX_BITS * level);
}

/* Index of va in the table at `level`. */
static inline unsigned sv39_index(uint64_t va, int level)
{
	return (unsigned)(va >> (PAGE_SHIFT + SV39_INDEX_BITS * level)) & (SV39_ENTRIES - 1);
}

/* True if va is sign-extended from bit 38. */
static inline bool sv39_va_canonical(uint64_t va)
{
	uint64_t upper = va >> (SV39_VA_BITS - 1); /* bits 63..38 */
	return upper == 0 || upper == (~0ULL >> (SV39_VA_BITS - 1));
}

/* Sign-extends a 39-bit address to a canonical virtual address. */
static inline vaddr_t sv39_va_extend(uint64_t va39)
{
	if (va39 & (1ULL << (SV39_VA_BITS - 1)))
		return va39 | ~SV39_VA_MASK;
	return va39;
}

static inline bool sv39_pte_valid(pte_t pte)
{
	return pte & SV39_PTE_V;
}

/* A valid entry with any of R, W, X is a leaf; without, a table pointer. */
static inline bool sv39_pte_leaf(pte_t pte)
{
	return (pte & SV39_PTE_V) && (pte & SV39_PTE_RWX);
}

/* Physical address the entry points to (a frame or the next table). */
static inline paddr_t sv39_pte_pa(pte_t pte)
{
	return ((pte & SV39_PTE_PPN_MASK) >> SV39_PTE_PPN_SHIFT) << PAGE_SHIFT;
}

/* A non-leaf entry pointing to the table at pa. */
static inline pte_t sv39_pte_table(paddr_t pa)
{
	return ((pa >> PAGE_SHIFT) << SV39_PTE_PPN_SHIFT) | SV39_PTE_V;
}

/* A leaf entry for the frame at pa with the flag bits `bits` (V included). */
static inline pte_t sv39_pte_leaf_make(paddr_t pa, pte_t bits)
{
	return ((pa >> PAGE_SHIFT) << SV39_PTE_PPN_SHIFT) | bits;
}

#endif

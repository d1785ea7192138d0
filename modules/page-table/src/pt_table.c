/* pt_table.c - a table's life: pt_init, pt_share_kernel, pt_satp, pt_destroy. */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "pt_internal.h"

int pt_init(struct page_table *pt, const struct pt_frame_ops *frames)
{
	paddr_t pa;
	if (pt_alloc_table(frames, &pa) != 0)
		return -ENOMEM;
	pt->root = pa;
	pt->frames = frames;
	pt->nr_table_pages = 1;
	pt->shares_kernel = false;
	pt->lends_kernel = false;
	return 0;
}

int pt_share_kernel(struct page_table *dst, struct page_table *src)
{
	if (dst == src || dst->root == src->root)
		return -EINVAL;
	pte_t *d = pt_table_at(dst->root);
	const pte_t *s = pt_table_at(src->root);
	if (!dst->shares_kernel)
		for (unsigned i = SV39_KERNEL_ROOT_INDEX; i < SV39_ENTRIES; i++)
			if (sv39_pte_valid(d[i]))
				return -EEXIST;
	memcpy(&d[SV39_KERNEL_ROOT_INDEX], &s[SV39_KERNEL_ROOT_INDEX],
	       (SV39_ENTRIES - SV39_KERNEL_ROOT_INDEX) * sizeof(pte_t));
	dst->shares_kernel = true;
	src->lends_kernel = true;
	return 0;
}

uint64_t pt_satp(const struct page_table *pt)
{
	return (SV39_SATP_MODE << SV39_SATP_MODE_SHIFT) | (pt->root >> PAGE_SHIFT);
}

/* Frees the table at pa (at `level`) and every table below it; returns how many. */
static uint64_t free_tables(const struct page_table *pt, paddr_t pa, int level, unsigned first,
			    unsigned last)
{
	pte_t *table = pt_table_at(pa);
	uint64_t n = 1;
	if (level > 0)
		for (unsigned i = first; i <= last; i++)
			if (sv39_pte_valid(table[i]) && !sv39_pte_leaf(table[i]))
				n += free_tables(pt, sv39_pte_pa(table[i]), level - 1, 0,
						 SV39_ENTRIES - 1);
	pt_free_table(pt->frames, pa);
	return n;
}

void pt_destroy(struct page_table *pt)
{
	unsigned last = pt->shares_kernel ? SV39_KERNEL_ROOT_INDEX - 1 : SV39_ENTRIES - 1;
	uint64_t n = free_tables(pt, pt->root, SV39_ROOT_LEVEL, 0, last);
	assert(n == pt->nr_table_pages);
	(void)n;
	memset(pt, 0, sizeof(*pt));
}

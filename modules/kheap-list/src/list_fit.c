/*
 * list_fit.c - the one thing the first-fit and the best-fit heap do
 * differently: which free block a request goes into. And their ops tables,
 * which share everything else.
 */
#include "list_internal.h"

/* First fit: the first block on the free list that fits, or NULL. */
static struct list_block *first_fit(struct list_kheap *lh, size_t need, size_t align)
{
	struct list_head *l;

	for (l = lh->free.next; l != &lh->free; l = l->next) {
		struct list_block *b = link_block(l);

		if (list_fits(b, need, align))
			return b;
	}
	return NULL;
}

/*
 * Best fit: the smallest free block that fits (the first of them on the
 * list), or NULL; a block of exactly `need` bytes ends the search at once.
 */
static struct list_block *best_fit(struct list_kheap *lh, size_t need, size_t align)
{
	struct list_block *best = NULL;
	struct list_head *l;

	for (l = lh->free.next; l != &lh->free; l = l->next) {
		struct list_block *b = link_block(l);

		if (!list_fits(b, need, align))
			continue;
		if (b->size == need)
			return b;
		if (best == NULL || b->size < best->size)
			best = b;
	}
	return best;
}

/* ops->alloc of the first-fit heap. */
static void *firstfit_alloc(struct kheap *h, size_t size, size_t align)
{
	return listheap_alloc(h, size, align, first_fit);
}

/* ops->alloc of the best-fit heap. */
static void *bestfit_alloc(struct kheap *h, size_t size, size_t align)
{
	return listheap_alloc(h, size, align, best_fit);
}

const struct kheap_ops firstfit_kheap_ops = {
    .name = "firstfit",
    .state_size = sizeof(struct list_kheap),
    .init = listheap_init,
    .alloc = firstfit_alloc,
    .free = listheap_free,
    .usable_size = listheap_usable_size,
    .live_size = listheap_live_size,
    .resize = listheap_resize,
    .stats = listheap_stats,
    .check = listheap_check,
};

const struct kheap_ops bestfit_kheap_ops = {
    .name = "bestfit",
    .state_size = sizeof(struct list_kheap),
    .init = listheap_init,
    .alloc = bestfit_alloc,
    .free = listheap_free,
    .usable_size = listheap_usable_size,
    .live_size = listheap_live_size,
    .resize = listheap_resize,
    .stats = listheap_stats,
    .check = listheap_check,
};

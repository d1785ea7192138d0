/*
 * list.c - the list heap's state and its allocation: a request goes to a
 * large run of its own, or to the free block the search (first fit or best
 * fit) chooses, or to a new chunk when no free block fits.
 */
#include "list_internal.h"

/* ops->init: makes lh an empty heap that holds no pages. */
void listheap_init(struct kheap *h)
{
	struct list_kheap *lh = list_of(h);

	list_init(&lh->free);
	list_init(&lh->chunks);
	lh->pages = 0;
	lh->used_bytes = 0;
	lh->live = 0;
	lh->free_blocks = 0;
	lh->empty_chunks = 0;
}

/*
 * ops->alloc with `fit` as the search: a live block of at least `size`
 * bytes whose payload is aligned to `align`, or NULL when the page source
 * has no pages for it (the heap then unchanged). Takes pages (one chunk or
 * one large run) only when no free block fits.
 */
void *listheap_alloc(struct kheap *h, size_t size, size_t align, list_fit_fn *fit)
{
	struct list_kheap *lh = list_of(h);
	size_t need = list_need(size);
	struct list_block *b;

	if (!list_in_chunk(size, align))
		return large_alloc(lh, size, align);
	b = fit(lh, need, align);
	if (b == NULL)
		b = chunk_add(lh); /* a whole chunk: it fits, list_in_chunk said so */
	if (b == NULL)
		return NULL;
	return block_take(lh, b, need, align);
}

/*
 * list_resize.c - the size of a live block, and resizing it in place:
 * shrinking by splitting its tail off, growing into a free right neighbour.
 */
#include "list_internal.h"

/* ops->usable_size: the bytes from p to the end of its block. */
size_t listheap_usable_size(const struct kheap *h, const void *p)
{
	const struct list_block *b = block_of(p);

	(void)h;
	return b->tag == LIST_TAG_LARGE ? large_usable(b) : b->size - LIST_HDR;
}

/*
 * ops->resize: makes the live block p hold `size` bytes without moving it
 * and returns true; or returns false, p unchanged. A chunk's block shrinks
 * by giving its tail back as a free block (when the tail can make one) and
 * grows by swallowing its right neighbour when that is free and big
 * enough; it does not grow out of its chunk. A large block: large_resize.
 */
bool listheap_resize(struct kheap *h, void *p, size_t size)
{
	struct list_kheap *lh = list_of(h);
	struct list_block *b = block_of(p);
	size_t old = b->size, need = list_need(size);

	if (b->tag == LIST_TAG_LARGE)
		return large_resize(lh, b, size);
	if (!list_in_chunk(size, KHEAP_MIN_ALIGN))
		return false;
	if (need > b->size) {
		struct list_block *next = block_next(b);

		if (block_is_last(b) || next->tag != LIST_TAG_FREE || b->size + next->size < need)
			return false;
		free_list_remove(lh, next);
		block_absorb_next(b);
	}
	block_trim(lh, b, need);
	lh->used_bytes = lh->used_bytes - old + b->size;
	return true;
}

/*
 * list_free.c - kfree: finds the block a pointer names, refusing what is
 * not a live block of this heap (as far as the headers can tell), then
 * frees it in O(1); and the same lookup without the free (live_size).
 */
#include <errno.h>

#include "list_internal.h"

/*
 * True if the LIVE block b of a chunk agrees with its neighbours: a size
 * that stays in the chunk, and boundary tags that match on both sides.
 */
static bool live_block_fits_chunk(const struct list_block *b)
{
	/* A size that keeps it inside the chunk. */
	if (b->size < LIST_MIN_BLOCK || !IS_ALIGNED(b->size, (uint32_t)KHEAP_MIN_ALIGN) ||
	    b->size > LIST_CHUNK_BYTES - b->offset)
		return false;
	/* The left neighbour's size is b's prev_size, or b starts the chunk. */
	if (block_is_first(b) && b->offset != LIST_CHUNK_HDR)
		return false;
	if (!block_is_first(b) &&
	    (b->prev_size > b->offset - LIST_CHUNK_HDR || block_prev(b)->size != b->prev_size))
		return false;
	/* The right neighbour's prev_size is b's size, or b ends the chunk. */
	return block_is_last(b) || block_next(b)->prev_size == b->size;
}

/*
 * The header of the block whose payload is p, in *bp: 0 for a live block
 * of this heap, -ENOENT for a freed block whose header is intact, -EINVAL
 * for anything else (see <kheap-list/list.h>). Reads the 16 bytes below p
 * and, when they look like a header, the chunk header it leads to and the
 * neighbours' headers; changes nothing.
 */
static int lookup(const struct list_kheap *lh, const void *p, struct list_block **bp)
{
	struct list_block *b = block_of((void *)p);
	const struct list_chunk *c;

	if (!IS_ALIGNED((uintptr_t)p, (uintptr_t)KHEAP_MIN_ALIGN))
		return -EINVAL;
	if (b->tag != LIST_TAG_LIVE && b->tag != LIST_TAG_FREE && b->tag != LIST_TAG_LARGE)
		return -EINVAL;
	/* Every header lies between its chunk's header and the chunk's end. */
	if (b->offset < LIST_CHUNK_HDR || b->offset > LIST_CHUNK_BYTES - LIST_MIN_BLOCK)
		return -EINVAL;
	c = block_chunk(b);
	if (!IS_ALIGNED((uintptr_t)c, (uintptr_t)PAGE_SIZE) || c->magic != LIST_CHUNK_MAGIC ||
	    c->heap != lh)
		return -EINVAL;
	*bp = b;
	if (b->tag == LIST_TAG_LARGE)
		return c->large_block == b->offset ? 0 : -EINVAL;
	if (c->large_block != 0)
		return -EINVAL;
	if (b->tag == LIST_TAG_FREE)
		return -ENOENT;
	return live_block_fits_chunk(b) ? 0 : -EINVAL;
}

/*
 * ops->free: frees the live block p in O(1) (merging it with its free
 * neighbours, giving back a chunk or large run that becomes free) and
 * returns 0; or returns -EINVAL / -ENOENT (lookup), the heap unchanged.
 */
int listheap_free(struct kheap *h, void *p)
{
	struct list_kheap *lh = list_of(h);
	struct list_block *b;
	int err = lookup(lh, p, &b);

	if (err != 0)
		return err;
	if (b->tag == LIST_TAG_LARGE) {
		large_free(lh, b);
		return 0;
	}
	lh->live--;
	lh->used_bytes -= b->size - LIST_HDR;
	block_release(lh, b);
	return 0;
}

/* ops->live_size: the usable size of p when lookup finds it live, else 0. */
size_t listheap_live_size(const struct kheap *h, const void *p)
{
	struct list_block *b;

	return lookup(list_of((struct kheap *)h), p, &b) == 0 ? listheap_usable_size(h, p) : 0;
}

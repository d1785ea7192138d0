/*
 * list_block.c - the blocks of a chunk: the free list, splitting a block,
 * taking a free block for a request, and freeing a block with coalescing.
 * Every function here is O(1).
 */
#include "list_internal.h"

/* Tags b FREE and puts it at the front of the free list (b not on it). */
void free_list_push(struct list_kheap *lh, struct list_block *b)
{
	b->tag = LIST_TAG_FREE;
	list_add(block_link(b), &lh->free);
	lh->free_blocks++;
}

/* Takes the free block b off the free list; its tag stays FREE. */
void free_list_remove(struct list_kheap *lh, struct list_block *b)
{
	list_del(block_link(b));
	lh->free_blocks--;
}

/*
 * Cuts block b in two at `size` bytes (a multiple of 16; both parts at
 * least LIST_MIN_BLOCK): b keeps the first `size` bytes, the rest becomes a
 * new block tagged `tag`, which is returned. The boundary tag of the block
 * after it is updated; the free list is not touched.
 */
struct list_block *block_split(struct list_block *b, size_t size, uint32_t tag)
{
	struct list_block *rest = (struct list_block *)((char *)b + size);

	rest->size = b->size - size;
	rest->prev_size = size;
	rest->offset = b->offset + size;
	rest->tag = tag;
	b->size = size;
	if (!block_is_last(rest))
		block_next(rest)->prev_size = rest->size;
	return rest;
}

/*
 * Block b (not the last) swallows its right neighbour, which must be off
 * the free list. The neighbour's old header is left as it was (a FREE one
 * still says so: a second kfree of it gives -ENOENT).
 */
void block_absorb_next(struct list_block *b)
{
	b->size += block_next(b)->size;
	if (!block_is_last(b))
		block_next(b)->prev_size = b->size;
}

/*
 * Turns the free block b, which fits `need` bytes aligned to `align`
 * (list_fits), into a live block and returns its payload: the alignment
 * gap in front of it and the bytes behind it that can make a block become
 * free blocks of their own. Counts the live block.
 */
void *block_take(struct list_kheap *lh, struct list_block *b, size_t need, size_t align)
{
	size_t gap = list_gap(b, align);

	free_list_remove(lh, b);
	if (block_spans_chunk(b))
		lh->empty_chunks--;
	if (gap != 0) {
		/* The gap's left neighbour is live (no two free blocks touch), so is the rest. */
		struct list_block *gap_block = b;

		b = block_split(gap_block, gap, LIST_TAG_LIVE);
		free_list_push(lh, gap_block);
	}
	b->tag = LIST_TAG_LIVE;
	block_trim(lh, b, need);
	lh->live++;
	lh->used_bytes += b->size - LIST_HDR;
	return block_payload(b);
}

/*
 * Shortens the live block b to `size` bytes (a multiple of 16, at least
 * LIST_MIN_BLOCK, at most b->size) when the bytes cut off can make a block:
 * they are freed (merged with a free right neighbour). Otherwise b stays as
 * it is. The caller counts b's new usable size.
 */
void block_trim(struct list_kheap *lh, struct list_block *b, size_t size)
{
	if (b->size - size >= LIST_MIN_BLOCK)
		block_release(lh, block_split(b, size, LIST_TAG_LIVE));
}

/*
 * Frees block b, which is not on the free list and no longer counted as
 * live: it is merged with its left and right neighbours when they are
 * free, and the result goes on the free list, unless it is a whole chunk
 * and LIST_KEEP_CHUNKS wholly free chunks are kept already: then the chunk
 * goes back to the page source.
 */
void block_release(struct list_kheap *lh, struct list_block *b)
{
	b->tag = LIST_TAG_FREE; /* stays in the header even if b is merged left */
	if (!block_is_last(b) && block_next(b)->tag == LIST_TAG_FREE) {
		free_list_remove(lh, block_next(b));
		block_absorb_next(b);
	}
	if (!block_is_first(b) && block_prev(b)->tag == LIST_TAG_FREE) {
		b = block_prev(b);
		free_list_remove(lh, b);
		block_absorb_next(b);
	}
	if (block_spans_chunk(b)) {
		if (lh->empty_chunks >= LIST_KEEP_CHUNKS) {
			chunk_put(lh, block_chunk(b));
			return;
		}
		lh->empty_chunks++;
	}
	free_list_push(lh, b);
}

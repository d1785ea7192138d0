/*
 * list_check.c - the consistency checker of a list heap, for tests: walks
 * every chunk block by block and the free list, and recomputes every
 * counter from what it finds.
 */
#include <errno.h>

#include "list_internal.h"

/* What the walk over the chunks finds. */
struct tally {
	uint64_t pages, used_bytes, live, free_blocks, empty_chunks;
};

/*
 * Checks the chunk c of blocks: its blocks tile it exactly, each with a
 * good tag and boundary tags that match its neighbours', no two free
 * blocks adjacent. Adds what it holds to *t.
 */
static int check_chunk(const struct list_chunk *c, struct tally *t)
{
	size_t off = LIST_CHUNK_HDR, prev_size = 0;
	bool prev_free = false;

	if (c->npages != LIST_CHUNK_PAGES)
		return -EFAULT;
	while (off < LIST_CHUNK_BYTES) {
		const struct list_block *b = (const struct list_block *)((const char *)c + off);
		bool is_free = b->tag == LIST_TAG_FREE;

		if (b->offset != off || b->prev_size != prev_size || b->size < LIST_MIN_BLOCK ||
		    !IS_ALIGNED(b->size, (uint32_t)KHEAP_MIN_ALIGN) ||
		    b->size > LIST_CHUNK_BYTES - off)
			return -EFAULT;
		if (!is_free && b->tag != LIST_TAG_LIVE)
			return -EFAULT;
		if (is_free && prev_free)
			return -EFAULT;
		if (is_free) {
			t->free_blocks++;
			t->empty_chunks += block_spans_chunk(b);
		} else {
			t->live++;
			t->used_bytes += b->size - LIST_HDR;
		}
		prev_free = is_free;
		prev_size = b->size;
		off += b->size;
	}
	return 0;
}

/* Checks the large run c: its one block, tagged LARGE, where the run says, inside the run. */
static int check_large(const struct list_chunk *c, struct tally *t)
{
	const struct list_block *b = (const struct list_block *)((const char *)c + c->large_block);

	if (c->large_block < LIST_CHUNK_HDR || c->large_block + LIST_HDR > PAGE_SIZE ||
	    !IS_ALIGNED(c->large_block, (uint32_t)KHEAP_MIN_ALIGN) || b->tag != LIST_TAG_LARGE ||
	    b->offset != c->large_block || b->size != 0 || b->prev_size != 0 ||
	    c->npages * PAGE_SIZE <= c->large_block + LIST_HDR)
		return -EFAULT;
	t->live++;
	t->used_bytes += large_usable(b);
	return 0;
}

/*
 * Checks that the block on the free list at l is a free block of one of
 * lh's chunks: a FREE tag, the chunk header its offset leads to, boundary
 * tags that match its neighbours' (so it is not a stale, merged header).
 */
static int check_free_block(const struct list_kheap *lh, struct list_head *l)
{
	const struct list_block *b = link_block(l);
	const struct list_chunk *c;

	if (b->tag != LIST_TAG_FREE || b->offset < LIST_CHUNK_HDR ||
	    b->offset > LIST_CHUNK_BYTES - LIST_MIN_BLOCK)
		return -EFAULT;
	c = block_chunk(b);
	if (!IS_ALIGNED((uintptr_t)c, (uintptr_t)PAGE_SIZE) || c->magic != LIST_CHUNK_MAGIC ||
	    c->heap != lh || c->large_block != 0)
		return -EFAULT;
	if (!block_is_first(b) && block_prev(b)->size != b->prev_size)
		return -EFAULT;
	if (!block_is_last(b) && block_next(b)->prev_size != b->size)
		return -EFAULT;
	return 0;
}

/*
 * ops->check: every chunk and large run (magic, owner, links), every
 * block, the free list (each entry a real free block, as many as the
 * chunks hold), and every counter. 0, or -EFAULT. Changes nothing.
 */
int listheap_check(const struct kheap *h)
{
	const struct list_kheap *lh = list_of(h);
	struct tally t = {0};
	const struct list_head *l;
	uint64_t n;

	/* Each chunk holds a page at least: no more than lh->pages of them. */
	for (l = lh->chunks.next, n = 0; l != &lh->chunks; l = l->next, n++) {
		const struct list_chunk *c = container_of(l, struct list_chunk, link);

		if (n >= lh->pages || l->next->prev != l || c->magic != LIST_CHUNK_MAGIC ||
		    c->heap != lh || !IS_ALIGNED((uintptr_t)c, (uintptr_t)PAGE_SIZE))
			return -EFAULT;
		if ((c->large_block != 0 ? check_large(c, &t) : check_chunk(c, &t)) != 0)
			return -EFAULT;
		t.pages += c->npages;
	}
	if (t.pages != lh->pages || t.used_bytes != lh->used_bytes || t.live != lh->live ||
	    t.free_blocks != lh->free_blocks || t.empty_chunks != lh->empty_chunks ||
	    t.empty_chunks > LIST_KEEP_CHUNKS)
		return -EFAULT;
	/* A well-linked list of distinct real free blocks, as many as the chunks hold: all of them.
	 */
	for (l = lh->free.next, n = 0; l != &lh->free; l = l->next, n++) {
		if (n >= t.free_blocks || l->next->prev != l ||
		    check_free_block(lh, (struct list_head *)l) != 0)
			return -EFAULT;
	}
	return n == t.free_blocks ? 0 : -EFAULT;
}

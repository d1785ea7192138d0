/*
 * list_chunk.c - the pages of the heap: chunks of blocks taken from the
 * page source and given back, and the large runs that hold one block each.
 */
#include "list_internal.h"

/* Fills in the header of c, `npages` pages just taken, and counts them held. */
static void chunk_setup(struct list_kheap *lh, struct list_chunk *c, size_t npages,
			uint32_t large_block)
{
	c->magic = LIST_CHUNK_MAGIC;
	c->heap = lh;
	c->npages = npages;
	c->large_block = large_block;
	list_add(&c->link, &lh->chunks);
	lh->pages += npages;
}

/*
 * Takes a chunk from the page source and makes it one free block, on the
 * free list and counted as a wholly free chunk; returns that block. Returns
 * NULL, the heap unchanged, when the page source has no pages.
 */
struct list_block *chunk_add(struct list_kheap *lh)
{
	struct list_chunk *c = kheap_pages_get(&lh->heap, LIST_CHUNK_PAGES, PAGE_SIZE);
	struct list_block *b;

	if (c == NULL)
		return NULL;
	chunk_setup(lh, c, LIST_CHUNK_PAGES, 0);
	b = (struct list_block *)(c + 1);
	b->size = LIST_CHUNK_SPACE;
	b->prev_size = 0;
	b->offset = LIST_CHUNK_HDR;
	lh->empty_chunks++;
	free_list_push(lh, b);
	return b;
}

/*
 * Gives chunk or large run c back to the page source. Its blocks must be
 * off the free list and uncounted (a chunk's: one free block, no longer
 * counted as a wholly free chunk).
 */
void chunk_put(struct list_kheap *lh, struct list_chunk *c)
{
	size_t npages = c->npages;

	list_del(&c->link);
	c->magic = 0;
	lh->pages -= npages;
	kheap_pages_put(&lh->heap, c, npages);
}

/*
 * A run of pages of its own for a request of `size` bytes aligned to
 * `align` that does not fit in a chunk: the chunk header, the block header
 * right below the aligned payload, as many pages as that needs. Returns
 * the payload, or NULL (heap unchanged) when the page source has no pages.
 */
void *large_alloc(struct list_kheap *lh, size_t size, size_t align)
{
	size_t payload = ALIGN_UP(LIST_CHUNK_HDR + LIST_HDR, align);
	size_t npages = ALIGN_UP(payload + size, (size_t)PAGE_SIZE) / PAGE_SIZE;
	struct list_chunk *c = kheap_pages_get(&lh->heap, npages, PAGE_SIZE);
	struct list_block *b;

	if (c == NULL)
		return NULL;
	chunk_setup(lh, c, npages, payload - LIST_HDR);
	b = (struct list_block *)((char *)c + payload) - 1;
	b->size = 0;
	b->prev_size = 0;
	b->offset = payload - LIST_HDR;
	b->tag = LIST_TAG_LARGE;
	lh->live++;
	lh->used_bytes += large_usable(b);
	return block_payload(b);
}

/* The usable bytes of the LARGE block b: from its payload to the end of its run. */
size_t large_usable(const struct list_block *b)
{
	return block_chunk(b)->npages * PAGE_SIZE - b->offset - LIST_HDR;
}

/* Frees the LARGE block b: its whole run goes back to the page source. */
void large_free(struct list_kheap *lh, struct list_block *b)
{
	lh->live--;
	lh->used_bytes -= large_usable(b);
	chunk_put(lh, block_chunk(b));
}

/*
 * Resizes the LARGE block b in place to `size` bytes, if that size still
 * needs a run of its own (a smaller one belongs in a chunk: false, so that
 * kheap_realloc moves it there) and fits in b's pages (false otherwise: a
 * run cannot grow). The pages past the new end go back to the page source.
 */
bool large_resize(struct list_kheap *lh, struct list_block *b, size_t size)
{
	struct list_chunk *c = block_chunk(b);
	size_t keep;

	if (list_in_chunk(size, KHEAP_MIN_ALIGN) || size > large_usable(b))
		return false;
	keep = ALIGN_UP(b->offset + LIST_HDR + size, (size_t)PAGE_SIZE) / PAGE_SIZE;
	if (keep < c->npages) {
		lh->used_bytes -= large_usable(b);
		kheap_pages_put(&lh->heap, (char *)c + keep * PAGE_SIZE, c->npages - keep);
		lh->pages -= c->npages - keep;
		c->npages = keep;
		lh->used_bytes += large_usable(b);
	}
	return true;
}

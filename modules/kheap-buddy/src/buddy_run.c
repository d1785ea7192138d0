/*
 * buddy_run.c - a block larger than any arena block gets a run of pages of
 * its own, aligned like an arena so that its header is found the same way.
 */
#include "buddy_internal.h"

/* Pages holding `bytes` bytes. */
static size_t bk_pages_for(size_t bytes)
{
	return (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
}

/*
 * A block of size (> BUDDY_KHEAP_MAX_BLOCK) bytes aligned to align
 * (<= PAGE_SIZE) in a new run: the header, then the block at the first
 * multiple of align after it. NULL, nothing changed, when the page source
 * has no such run.
 */
void *bk_run_alloc(struct buddy_kheap *b, size_t size, size_t align)
{
	size_t offset = ALIGN_UP(sizeof(struct bk_run), align);
	size_t npages = bk_pages_for(offset + size);
	struct bk_run *r = kheap_pages_get(&b->heap, npages, BK_ARENA);

	if (!r)
		return NULL;
	*r = (struct bk_run){
	    .head = {.magic = BK_MAGIC_RUN, .heap = b},
	    .npages = npages,
	    .offset = offset,
	};
	list_add(&r->head.link, &b->runs);
	b->pages += npages;
	return bk_run_block(r);
}

/* Takes run r off the heap's list and gives its pages back. */
void bk_run_free(struct buddy_kheap *b, struct bk_run *r)
{
	size_t npages = r->npages;

	list_del(&r->head.link);
	r->head.magic = 0;
	kheap_pages_put(&b->heap, r, npages);
	b->pages -= npages;
}

/*
 * Resizes run r's block to size bytes in place: when size still needs a
 * run (> BUDDY_KHEAP_MAX_BLOCK) and fits in the run's pages, the pages past
 * the block's new end go back and it returns true; false otherwise, nothing
 * changed (a block that an arena could hold moves there).
 */
bool bk_run_resize(struct buddy_kheap *b, struct bk_run *r, size_t size)
{
	size_t need = bk_pages_for(r->offset + size);

	if (size <= BUDDY_KHEAP_MAX_BLOCK || need > r->npages)
		return false;
	if (need < r->npages) {
		kheap_pages_put(&b->heap, (char *)r + need * PAGE_SIZE, r->npages - need);
		b->pages -= r->npages - need;
		r->npages = need;
	}
	return true;
}

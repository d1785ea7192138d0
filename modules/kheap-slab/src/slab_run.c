/*
 * slab_run.c - large blocks: each one alone in a run of whole pages, after
 * a header at the start of the run (see kheap-slab/slab.h).
 */
#include "slab_internal.h"

/* Pages of a run whose block starts at `offset` and holds `size` bytes. */
static size_t run_pages(size_t offset, size_t size)
{
	return (offset + size + PAGE_SIZE - 1) / PAGE_SIZE;
}

void *slab_run_alloc(struct slab_kheap *h, size_t size, size_t align)
{
	size_t offset = ALIGN_UP(sizeof(struct slab_run), align); /* PAGE_SIZE at most */
	size_t npages = run_pages(offset, size);
	struct slab_run *r = kheap_pages_get(&h->heap, npages, PAGE_SIZE);

	if (!r)
		return NULL;
	r->key = run_key(h);
	r->block_offset = offset;
	r->npages = npages;
	list_add(&r->link, &h->runs);
	h->pages += npages;
	h->live++;
	h->used_bytes += slab_run_usable(r);
	return (char *)r + offset;
}

void slab_run_free(struct slab_kheap *h, struct slab_run *r)
{
	list_del(&r->link);
	h->pages -= r->npages;
	h->live--;
	h->used_bytes -= slab_run_usable(r);
	r->key = 0;
	kheap_pages_put(&h->heap, r, r->npages);
}

bool slab_run_resize(struct slab_kheap *h, struct slab_run *r, size_t size)
{
	if (size <= SLAB_LARGEST_OBJECT) /* a small block belongs in a slab */
		return false;
	size_t npages = run_pages(r->block_offset, size);
	if (npages > r->npages)
		return false;
	size_t surplus = r->npages - npages;
	if (surplus) {
		kheap_pages_put(&h->heap, (char *)r + npages * PAGE_SIZE, surplus);
		r->npages = npages;
		h->pages -= surplus;
		h->used_bytes -= surplus * PAGE_SIZE;
	}
	return true;
}

/*
 * slab_check.c - what the slab heap reports (kheap_stats) and the walk that
 * checks it (kheap_check): every slab and run is reached from the heap's
 * lists, its header verified, and the counters recomputed from them.
 */
#include <errno.h>

#include <klib/bitops.h>

#include "slab_internal.h"

void slab_kheap_stats(const struct kheap *heap, struct kheap_stats *st)
{
	const struct slab_kheap *h = to_slab_kheap(heap);

	st->pages = h->pages;
	st->used_bytes = h->used_bytes;
	st->live = h->live;
	st->meta_bytes = 0; /* every header is inside the pages held */
}

/* What a walk found: pages, live blocks and their usable bytes. */
struct slab_tally {
	uint64_t pages;
	uint64_t live;
	uint64_t used_bytes;
};

/* True when list entry e is linked both ways. */
static bool linked(const struct list_head *e)
{
	return e->next->prev == e && e->prev->next == e;
}

/*
 * True when s is a well-formed slab of class cls of h whose free count is
 * in [min_free, max_free]; adds it to *t.
 */
static bool slab_ok(const struct slab_kheap *h, const struct slab *s, unsigned cls,
		    unsigned min_free, unsigned max_free, struct slab_tally *t)
{
	const struct slab_class *c = &slab_classes[cls];
	unsigned nfree = 0;

	if (!IS_ALIGNED((uintptr_t)s, PAGE_SIZE) || s->key != slab_key(h) || s->cls != cls)
		return false;
	for (unsigned w = 0; w < SLAB_BITMAP_WORDS; w++) {
		if (s->free_bits[w] & ~slab_object_bits(c->count, w)) /* past the last object */
			return false;
		nfree += (unsigned)popcount64(s->free_bits[w]);
	}
	if (nfree != s->nfree || nfree < min_free || nfree > max_free)
		return false;
	t->pages++;
	t->live += c->count - nfree;
	t->used_bytes += (uint64_t)(c->count - nfree) * c->size;
	return true;
}

/*
 * True when every entry of `list` is a well-formed slab of class cls with
 * a free count in [min_free, max_free]; adds them to *t. Stops at more
 * slabs than h holds pages (a cycle).
 */
static bool slab_list_ok(const struct slab_kheap *h, const struct list_head *list, unsigned cls,
			 unsigned min_free, unsigned max_free, struct slab_tally *t)
{
	if (!linked(list))
		return false;
	for (const struct list_head *e = list->next; e != list; e = e->next) {
		if (t->pages >= h->pages || !linked(e) ||
		    !slab_ok(h, container_of(e, struct slab, link), cls, min_free, max_free, t))
			return false;
	}
	return true;
}

/* True when every run on h->runs is well formed; adds them to *t. */
static bool run_list_ok(const struct slab_kheap *h, struct slab_tally *t)
{
	if (!linked(&h->runs))
		return false;
	for (const struct list_head *e = h->runs.next; e != &h->runs; e = e->next) {
		const struct slab_run *r = container_of(e, struct slab_run, link);
		if (t->pages >= h->pages || !linked(e) || !IS_ALIGNED((uintptr_t)r, PAGE_SIZE) ||
		    r->key != run_key(h) || r->npages == 0 || r->npages > h->pages - t->pages ||
		    r->block_offset < sizeof(*r) || r->block_offset > PAGE_SIZE ||
		    !IS_ALIGNED(r->block_offset, KHEAP_MIN_ALIGN) ||
		    r->block_offset >= r->npages * PAGE_SIZE)
			return false;
		t->pages += r->npages;
		t->live++;
		t->used_bytes += slab_run_usable(r);
	}
	return true;
}

int slab_kheap_check(const struct kheap *heap)
{
	const struct slab_kheap *h = to_slab_kheap(heap);
	struct slab_tally t = {0};

	for (unsigned cls = 0; cls < SLAB_NR_CLASSES; cls++) {
		unsigned count = slab_classes[cls].count;
		if (!slab_list_ok(h, &h->partial[cls], cls, 1, count - 1, &t) ||
		    !slab_list_ok(h, &h->full[cls], cls, 0, 0, &t))
			return -EFAULT;
	}
	const struct slab *spare = h->spare;
	if (spare &&
	    (t.pages >= h->pages || !list_empty(&spare->link) || spare->cls >= SLAB_NR_CLASSES ||
	     !slab_ok(h, spare, spare->cls, slab_classes[spare->cls].count,
		      slab_classes[spare->cls].count, &t)))
		return -EFAULT;
	if (!run_list_ok(h, &t))
		return -EFAULT;
	if (t.pages != h->pages || t.live != h->live || t.used_bytes != h->used_bytes)
		return -EFAULT;
	return 0;
}

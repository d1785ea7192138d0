/*
 * slab.c - the slab heap's operations: each request goes to a size class
 * (slab_object.c) or to a run of its own (slab_run.c), and each block is
 * found again through its header page (see kheap-slab/slab.h).
 */
#include <errno.h>

#include "slab_internal.h"

/* Makes the heap empty: no slab, no run, no page held. */
static void slab_kheap_init(struct kheap *heap)
{
	struct slab_kheap *h = to_slab_kheap(heap);

	for (unsigned cls = 0; cls < SLAB_NR_CLASSES; cls++) {
		list_init(&h->partial[cls]);
		list_init(&h->full[cls]);
	}
	list_init(&h->runs);
	h->spare = NULL;
	h->pages = 0;
	h->live = 0;
	h->used_bytes = 0;
}

/* An object of the class that fits (size, align), or a run when none does. */
static void *slab_kheap_alloc(struct kheap *heap, size_t size, size_t align)
{
	struct slab_kheap *h = to_slab_kheap(heap);
	unsigned cls = slab_class_of(size, align);

	if (cls < SLAB_NR_CLASSES)
		return slab_object_alloc(h, cls);
	return slab_run_alloc(h, size, align);
}

/*
 * Frees p through its header page: an object of a slab of this heap or the
 * block of one of its runs; -EINVAL or -ENOENT (kheap-slab/slab.h) else.
 */
static int slab_kheap_free(struct kheap *heap, void *p)
{
	struct slab_kheap *h = to_slab_kheap(heap);

	if (!IS_ALIGNED((uintptr_t)p, KHEAP_MIN_ALIGN))
		return -EINVAL;
	const uintptr_t *head = header_word_of(p);
	if (*head == slab_key(h)) {
		struct slab *s = (struct slab *)head;
		int i = slab_object_find(s, p);
		if (i < 0)
			return i;
		slab_object_free(h, s, (unsigned)i);
		return 0;
	}
	if (*head == run_key(h) && slab_run_is_block((struct slab_run *)head, p)) {
		slab_run_free(h, (struct slab_run *)head);
		return 0;
	}
	return -EINVAL;
}

/* Any p: its usable size when free would take it as a live block, else 0. */
static size_t slab_kheap_live_size(const struct kheap *heap, const void *p)
{
	const struct slab_kheap *h = to_slab_kheap(heap);

	if (!IS_ALIGNED((uintptr_t)p, KHEAP_MIN_ALIGN))
		return 0;
	const uintptr_t *head = header_word_of(p);
	if (*head == slab_key(h)) {
		const struct slab *s = (const struct slab *)head;
		return slab_object_find(s, p) >= 0 ? slab_classes[s->cls].size : 0;
	}
	if (*head == run_key(h) && slab_run_is_block((const struct slab_run *)head, p))
		return slab_run_usable((const struct slab_run *)head);
	return 0;
}

/* A live object holds its class size; a run's block holds up to the run's end. */
static size_t slab_kheap_usable_size(const struct kheap *heap, const void *p)
{
	const struct slab_kheap *h = to_slab_kheap(heap);
	const uintptr_t *head = header_word_of(p);

	if (*head == slab_key(h))
		return slab_classes[((const struct slab *)head)->cls].size;
	return slab_run_usable((const struct slab_run *)head);
}

/* In place when `size` keeps the object's class, or still needs a run no longer than p's. */
static bool slab_kheap_resize(struct kheap *heap, void *p, size_t size)
{
	struct slab_kheap *h = to_slab_kheap(heap);
	const uintptr_t *head = header_word_of(p);

	if (*head == slab_key(h))
		return slab_object_resize((const struct slab *)head, size);
	return slab_run_resize(h, (struct slab_run *)head, size);
}

const struct kheap_ops slab_kheap_ops = {
    .name = "slab",
    .state_size = sizeof(struct slab_kheap),
    .init = slab_kheap_init,
    .alloc = slab_kheap_alloc,
    .free = slab_kheap_free,
    .usable_size = slab_kheap_usable_size,
    .live_size = slab_kheap_live_size,
    .resize = slab_kheap_resize,
    .stats = slab_kheap_stats,
    .check = slab_kheap_check,
};

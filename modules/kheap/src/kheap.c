/*
 * kheap.c - the malloc family over any heap: the arguments are checked here,
 * once, so that every heap sees only well-formed requests.
 */
#include <errno.h>
#include <string.h>

#include <kheap/kheap.h>
#include <klib/bitops.h>

void kheap_init(struct kheap *h, const struct kheap_ops *ops, const struct kheap_pages *pages)
{
	h->ops = ops;
	h->pages = *pages;
	ops->init(h);
}

void *kheap_memalign(struct kheap *h, size_t align, size_t size)
{
	if (!is_pow2(align) || align > KHEAP_MAX_ALIGN || size > KHEAP_MAX_SIZE)
		return NULL;
	return h->ops->alloc(h, size == 0 ? 1 : size,
			     align < KHEAP_MIN_ALIGN ? KHEAP_MIN_ALIGN : align);
}

void *kheap_alloc(struct kheap *h, size_t size)
{
	if (size > KHEAP_MAX_SIZE)
		return NULL;
	return h->ops->alloc(h, size == 0 ? 1 : size, KHEAP_MIN_ALIGN);
}

void *kheap_calloc(struct kheap *h, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	void *p = kheap_alloc(h, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *kheap_realloc(struct kheap *h, void *p, size_t size)
{
	if (!p)
		return kheap_alloc(h, size);
	if (size == 0) {
		kheap_free(h, p);
		return NULL;
	}
	if (size <= KHEAP_MAX_SIZE && h->ops->resize(h, p, size))
		return p;
	size_t old = h->ops->usable_size(h, p);
	void *q = kheap_alloc(h, size);
	if (!q)
		return size <= old ? p : NULL; /* a shrink that cannot move keeps its block */
	memcpy(q, p, old < size ? old : size);
	h->ops->free(h, p);
	return q;
}

int kheap_free(struct kheap *h, void *p)
{
	return p ? h->ops->free(h, p) : 0;
}

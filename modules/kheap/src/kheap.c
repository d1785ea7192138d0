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
	*h = (struct kheap){.ops = ops, .pages = *pages};
	ops->init(h);
}

/* ops->alloc of a request with a good align, counted; larger than any heap can hold: NULL. */
static void *alloc_counted(struct kheap *h, size_t size, size_t align)
{
	void *p = size <= KHEAP_MAX_SIZE ? h->ops->alloc(h, size == 0 ? 1 : size, align) : NULL;

	if (p)
		h->allocs++;
	else
		h->failed++;
	return p;
}

void *kheap_memalign(struct kheap *h, size_t align, size_t size)
{
	if (!is_pow2(align) || align > KHEAP_MAX_ALIGN)
		return NULL;
	return alloc_counted(h, size, align < KHEAP_MIN_ALIGN ? KHEAP_MIN_ALIGN : align);
}

void *kheap_alloc(struct kheap *h, size_t size)
{
	return alloc_counted(h, size, KHEAP_MIN_ALIGN);
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
	kheap_free(h, p);
	return q;
}

int kheap_free(struct kheap *h, void *p)
{
	if (!p)
		return 0;
	int err = h->ops->free(h, p);
	if (err == 0)
		h->frees++;
	else
		h->bad_frees++;
	return err;
}

void kheap_stats(const struct kheap *h, struct kheap_stats *st)
{
	h->ops->stats(h, st);
	st->allocs = h->allocs;
	st->frees = h->frees;
	st->failed = h->failed;
	st->bad_frees = h->bad_frees;
}

int kheap_check(const struct kheap *h)
{
	struct kheap_stats st;

	kheap_stats(h, &st);
	if (st.live != st.allocs - st.frees)
		return -EFAULT;
	return h->ops->check(h);
}

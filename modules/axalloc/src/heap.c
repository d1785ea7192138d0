/*
 * heap.c - the kernel heap: kmalloc and friends over the byte heap chosen
 * in menuconfig ("Kernel heap"), fed with unmovable pages from the page
 * allocator, everything under axalloc_lock.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "axalloc_priv.h"
#include <axlog/log.h>
#include <kheap/kheap.h>
#include <klib/kconfig.h>

#if defined(CONFIG_AXALLOC_HEAP_SLAB)
#include <kheap-slab/slab.h>
#define HEAP_OPS   slab_kheap_ops
#define HEAP_STATE struct slab_kheap
#elif defined(CONFIG_AXALLOC_HEAP_BUDDY)
#include <kheap-buddy/buddy.h>
#define HEAP_OPS   buddy_kheap_ops
#define HEAP_STATE struct buddy_kheap
#elif defined(CONFIG_AXALLOC_HEAP_FIRSTFIT)
#include <kheap-list/list.h>
#define HEAP_OPS   firstfit_kheap_ops
#define HEAP_STATE struct list_kheap
#elif defined(CONFIG_AXALLOC_HEAP_BESTFIT)
#include <kheap-list/list.h>
#define HEAP_OPS   bestfit_kheap_ops
#define HEAP_STATE struct list_kheap
#else
#include <kheap-tlsf/tlsf.h>
#define HEAP_OPS   tlsf_kheap_ops
#define HEAP_STATE struct tlsf_kheap
#endif

static union {
	struct kheap head;
	HEAP_STATE state;
} heap;

/* The page source of the heap: n unmovable pages aligned to `align`. */
static void *heap_pages_alloc(void *ctx, size_t npages, size_t align)
{
	paddr_t pa;
	(void)ctx;

	if (axalloc_pages_alloc_locked(npages, align, AXALLOC_UNMOVABLE, &pa) != 0)
		return NULL;
	return phys_to_virt(pa);
}

static void heap_pages_free(void *ctx, void *p, size_t npages)
{
	(void)ctx;
	axalloc_pages_free_locked(virt_to_phys(p), npages);
}

void axalloc_heap_reset_locked(void)
{
	static const struct kheap_pages pages = {.alloc = heap_pages_alloc,
						 .free = heap_pages_free};

	kheap_init(&heap.head, &HEAP_OPS, &pages);
	heap_front_reset_locked(&heap.head);
}

struct kheap *axalloc_heap(void)
{
	if (__builtin_expect(heap.head.ops == NULL, 0))
		axalloc_heap_reset_locked();
	return &heap.head;
}

void axalloc_heap_stats_locked(struct axalloc_stats *st)
{
	struct kheap_stats hs;

	kheap_stats(axalloc_heap(), &hs);
	st->heap_pages = hs.pages;
	st->heap_used_bytes = hs.used_bytes;
	st->heap_allocs = hs.allocs;
	st->heap_frees = hs.frees;
	st->heap_bad_frees = hs.bad_frees;
	st->failed_allocs += hs.failed;
	heap_front_stats_locked(st);
}

const char *axalloc_heap_name(void)
{
	return HEAP_OPS.name;
}

/*
 * Whether the heap operation that saw `failed` failures before it ran
 * failed for want of pages while the front held blocks, which are now
 * given back: then it is worth running again, and its failure is not
 * counted (the retry's is).
 */
static bool retry_after_drain(uint64_t failed)
{
	struct kheap *h = axalloc_heap();

	if (h->failed == failed || !heap_front_drain_locked())
		return false;
	h->failed--;
	return true;
}

void *axalloc_heap_alloc_locked(size_t size)
{
	uint64_t failed = axalloc_heap()->failed;
	void *p = kheap_alloc(axalloc_heap(), size);

	if (!p && retry_after_drain(failed))
		p = kheap_alloc(axalloc_heap(), size);
	return p;
}

void *kmalloc(size_t size)
{
	if (IS_ENABLED(CONFIG_AXALLOC_HEAP_FRONT) && size <= FRONT_MAX_BYTES)
		return heap_front_alloc(size);
	spin_lock(&axalloc_lock);
	void *p = axalloc_heap_alloc_locked(size);
	spin_unlock(&axalloc_lock);
	return p;
}

void *kcalloc(size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	void *p = kmalloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *kmemalign(size_t align, size_t size)
{
	spin_lock(&axalloc_lock);
	uint64_t failed = axalloc_heap()->failed;
	void *p = kheap_memalign(axalloc_heap(), align, size);
	if (!p && retry_after_drain(failed))
		p = kheap_memalign(axalloc_heap(), align, size);
	spin_unlock(&axalloc_lock);
	return p;
}

void *krealloc(void *p, size_t size)
{
	spin_lock(&axalloc_lock);
	uint64_t failed = axalloc_heap()->failed;
	void *q = kheap_realloc(axalloc_heap(), p, size);
	if (!q && retry_after_drain(failed))
		q = kheap_realloc(axalloc_heap(), p, size);
	spin_unlock(&axalloc_lock);
	return q;
}

void kfree(void *p)
{
	int err = 0;

	if (!p)
		return;
	if (IS_ENABLED(CONFIG_AXALLOC_HEAP_FRONT))
		err = heap_front_free(p);
	if (err > 0 || !IS_ENABLED(CONFIG_AXALLOC_HEAP_FRONT)) {
		spin_lock(&axalloc_lock);
		err = kheap_free(axalloc_heap(), p);
		spin_unlock(&axalloc_lock);
	}
	if (err != 0)
		log_error("kfree(%p): %s, ignored", p,
			  err == -ENOENT ? "already free" : "not a heap block");
}

void axalloc_heap_trim(void)
{
	spin_lock(&axalloc_lock);
	heap_front_drain_locked();
	spin_unlock(&axalloc_lock);
}

int axalloc_heap_check(void)
{
	spin_lock(&axalloc_lock);
	int ret = kheap_check(axalloc_heap());
	if (ret == 0)
		ret = heap_front_check_locked();
	spin_unlock(&axalloc_lock);
	return ret;
}

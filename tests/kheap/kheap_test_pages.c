/*
 * kheap_test_pages.c - the host page source of the heap tests (see the
 * header).
 */
#include "kheap_test_pages.h"

#include <axalloc-bitmap/bitmap.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TP_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TP_ASAN 1
#endif

#ifdef TP_ASAN
#include <sanitizer/asan_interface.h>
#define tp_poison(p, n)	  ASAN_POISON_MEMORY_REGION(p, n)
#define tp_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define tp_poison(p, n)	  ((void)(p), (void)(n))
#define tp_unpoison(p, n) ((void)(p), (void)(n))
#endif

static void *tp_alloc(void *ctx, size_t npages, size_t align)
{
	struct kheap_test_pages *tp = ctx;
	paddr_t pa;

	if (tp->fail_after == 0)
		return NULL;
	if (pgalloc_alloc(tp->pg, npages, align, PGALLOC_UNMOVABLE, &pa) != 0)
		return NULL;
	if (tp->fail_after > 0)
		tp->fail_after--;
	tp->calls++;
	tp->held += npages;
	if (tp->held > tp->peak)
		tp->peak = tp->held;
	tp_unpoison((void *)(uintptr_t)pa, npages * PAGE_SIZE);
	return (void *)(uintptr_t)pa;
}

static void tp_free(void *ctx, void *p, size_t npages)
{
	struct kheap_test_pages *tp = ctx;
	int err = pgalloc_free(tp->pg, (paddr_t)(uintptr_t)p, npages);

	if (err != 0) {
		fprintf(stderr, "kheap_test_pages: %zu pages at %p given back wrongly (%d)\n",
			npages, p, err);
		abort();
	}
	tp->held -= npages;
	tp_poison(p, npages * PAGE_SIZE);
}

void kheap_test_pages_create(struct kheap_test_pages *tp, size_t bytes)
{
	/* Aligned to 2M: any alignment a heap asks for up to that is possible. */
	size_t span = bytes + PAGE_SIZE_2M;
	char *raw = mmap(NULL, span, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	size_t meta_bytes = pgalloc_meta_bytes(&bitmap_pgalloc_ops, 0, bytes);

	*tp = (struct kheap_test_pages){.arena_bytes = span, .fail_after = -1};
	tp->pg = malloc(bitmap_pgalloc_ops.state_size);
	tp->meta = aligned_alloc(8, (meta_bytes + 7) & ~(size_t)7);
	if (raw == MAP_FAILED || tp->pg == NULL || tp->meta == NULL) {
		fprintf(stderr, "kheap_test_pages: out of host memory\n");
		abort();
	}
	tp->arena = raw;
	pgalloc_init(tp->pg, &bitmap_pgalloc_ops);
	char *base = (char *)(((uintptr_t)raw + PAGE_SIZE_2M - 1) & ~(uintptr_t)(PAGE_SIZE_2M - 1));
	if (pgalloc_add_memory(tp->pg, (paddr_t)(uintptr_t)base, bytes, tp->meta) != 0) {
		fprintf(stderr, "kheap_test_pages: bad arena size %zu\n", bytes);
		abort();
	}
	tp->base = base;
	tp_poison(base, bytes);
	tp->src = (struct kheap_pages){.alloc = tp_alloc, .free = tp_free, .ctx = tp};
}

void kheap_test_pages_destroy(struct kheap_test_pages *tp)
{
	tp_unpoison(tp->base, tp->arena_bytes - PAGE_SIZE_2M);
	munmap(tp->arena, tp->arena_bytes);
	free(tp->pg);
	free(tp->meta);
	*tp = (struct kheap_test_pages){0};
}

void kheap_test_pages_fail_after(struct kheap_test_pages *tp, long n)
{
	tp->fail_after = n < 0 ? -1 : n;
}

/*
 * kb_allocs.c - glibc, the heaps and kmalloc as struct wl_allocator (see
 * kb_allocs.h).
 */
#include "kb_allocs.h"

#include <axalloc/axalloc.h>
#include <klib/kconfig.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal_host.h"

/* Made-up physical base of kmalloc's RAM (1G-aligned, as on the board). */
#define KB_RAM_BASE 0x80000000UL

static void *glibc_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void glibc_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void *glibc_realloc(void *ctx, void *p, size_t size)
{
	(void)ctx;
	return realloc(p, size);
}

/* glibc's own figures: the main arena and mmapped chunks, held and in use. */
static void glibc_usage(void *ctx, struct wl_usage *u)
{
	struct mallinfo2 mi = mallinfo2();

	(void)ctx;
	u->held = mi.arena + mi.hblkhd;
	u->usable = mi.uordblks + mi.hblkhd;
}

static void *heap_alloc(void *ctx, size_t size)
{
	return kheap_alloc(ctx, size);
}

static void heap_free(void *ctx, void *p)
{
	if (kheap_free(ctx, p) != 0) {
		fprintf(stderr, "kb_allocs: %s: free of %p refused\n",
			((struct kheap *)ctx)->ops->name, p);
		abort();
	}
}

static void *heap_realloc(void *ctx, void *p, size_t size)
{
	return kheap_realloc(ctx, p, size);
}

static void heap_usage(void *ctx, struct wl_usage *u)
{
	struct kheap_stats st;

	kheap_stats(ctx, &st);
	u->held = st.pages * PAGE_SIZE + st.meta_bytes;
	u->usable = st.used_bytes;
}

int kb_allocs_create(struct kb_alloc *out, size_t arena_bytes)
{
	const struct mem_range ram = {KB_RAM_BASE, arena_bytes};
	int n = 0;

	out[n] = (struct kb_alloc){.kind = KB_GLIBC};
	snprintf(out[n].name, sizeof(out[n].name), "glibc");
	out[n].a = (struct wl_allocator){glibc_alloc, glibc_free, glibc_realloc, glibc_usage, NULL};
	n++;
	for (unsigned i = 0; i < kheap_nr_heaps; i++, n++) {
		struct kb_alloc *k = &out[n];

		*k = (struct kb_alloc){.kind = KB_HEAP};
		snprintf(k->name, sizeof(k->name), "%s", kheap_all[i].ops->name);
		kheap_inst_create(&k->heap, &kheap_all[i], arena_bytes);
		k->a = (struct wl_allocator){heap_alloc, heap_free, heap_realloc, heap_usage,
					     k->heap.h};
	}
	hal_host_map_phys(KB_RAM_BASE, arena_bytes);
	if (axalloc_init(&ram, 1, NULL, 0) != 0) {
		fprintf(stderr, "kb_allocs: axalloc_init failed\n");
		abort();
	}
	out[n] = (struct kb_alloc){.kind = KB_KMALLOC};
	snprintf(out[n].name, sizeof(out[n].name), "kmalloc (%s%s)", axalloc_heap_name(),
		 IS_ENABLED(CONFIG_AXALLOC_HEAP_FRONT) ? " + front" : "");
	out[n].a = wl_kmalloc;
	return n + 1;
}

void kb_allocs_destroy(struct kb_alloc *all, int n)
{
	for (int i = 0; i < n; i++) {
		if (all[i].kind == KB_HEAP)
			kheap_inst_destroy(&all[i].heap);
	}
	hal_host_unmap_all();
}

/* The page bound of kmalloc's heap: its kheap_all[] row's, found by name; no bound if unlisted. */
static size_t kmalloc_bound(void)
{
	for (unsigned i = 0; i < kheap_nr_heaps; i++)
		if (strcmp(kheap_all[i].ops->name, axalloc_heap_name()) == 0)
			return kheap_all[i].pages_bound;
	return SIZE_MAX;
}

int kb_alloc_empty(const struct kb_alloc *k, char *why, size_t len)
{
	struct kheap_stats hs;
	struct axalloc_stats as;

	switch (k->kind) {
	case KB_GLIBC:
		return 0;
	case KB_HEAP:
		kheap_stats(k->heap.h, &hs);
		if (hs.live != 0 || kheap_check(k->heap.h) != 0 ||
		    hs.pages > k->heap.desc->pages_bound || hs.pages != k->heap.tp.held) {
			snprintf(why, len,
				 "%s: %lu live blocks, check %d, %lu pages (bound %zu, %lu out)",
				 k->name, (unsigned long)hs.live, kheap_check(k->heap.h),
				 (unsigned long)hs.pages, k->heap.desc->pages_bound,
				 (unsigned long)k->heap.tp.held);
			return -1;
		}
		return 0;
	case KB_KMALLOC:
		/* the front's cached blocks keep their pages: give them back first */
		axalloc_heap_trim();
		axalloc_stats(&as);
		if (as.heap_allocs != as.heap_frees || axalloc_heap_check() != 0 ||
		    as.heap_bad_frees != 0 || as.heap_pages > kmalloc_bound()) {
			snprintf(
			    why, len,
			    "%s: %lu live blocks, check %d, %lu bad frees, %lu pages (bound %zu)",
			    k->name, (unsigned long)(as.heap_allocs - as.heap_frees),
			    axalloc_heap_check(), (unsigned long)as.heap_bad_frees,
			    (unsigned long)as.heap_pages, kmalloc_bound());
			return -1;
		}
		return 0;
	}
	return 0;
}

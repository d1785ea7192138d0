/*
 * kmalloc_allocator.c - the kernel heap (kmalloc, kfree, krealloc: axalloc's
 * lock around the heap chosen in menuconfig) as the workloads' allocator,
 * for the kernel app and for the host benchmark's kmalloc column.
 */
#include <axalloc/axalloc.h>

#include "workloads.h"

static void *k_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return kmalloc(size);
}

static void k_free(void *ctx, void *p)
{
	(void)ctx;
	kfree(p);
}

static void *k_realloc(void *ctx, void *p, size_t size)
{
	(void)ctx;
	return krealloc(p, size);
}

/* held: the heap's pages; usable: the usable bytes of the live kmalloc blocks. */
static void k_usage(void *ctx, struct wl_usage *u)
{
	struct axalloc_stats st;

	(void)ctx;
	axalloc_stats(&st);
	u->held = st.heap_pages * PAGE_SIZE;
	u->usable = st.heap_used_bytes;
}

const struct wl_allocator wl_kmalloc = {k_alloc, k_free, k_realloc, k_usage, NULL};

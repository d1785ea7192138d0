/*
 * kb_allocs.h - the allocators the heap benchmark and its test run the
 * workloads of apps/heaptest on, each as a struct wl_allocator: glibc
 * malloc, every heap directly through the kheap API (no lock) over a page
 * source of its own, and axalloc's kmalloc (the kernel's path: its lock
 * and counters around its configured heap) over host "RAM".
 */
#ifndef KHEAP_BENCH_KB_ALLOCS_H
#define KHEAP_BENCH_KB_ALLOCS_H

#include <kheap/kheap.h>
#include <stddef.h>

#include "kheap_all.h"
#include "workloads.h"

/* glibc, the heaps, kmalloc. */
#define KB_MAX_ALLOCS 16

enum kb_kind { KB_GLIBC, KB_HEAP, KB_KMALLOC };

struct kb_alloc {
	enum kb_kind kind;
	char name[48];		/* column title */
	struct wl_allocator a;	/* what the workloads call */
	struct kheap_inst heap; /* KB_HEAP: the heap over a page source of its own */
};

/*
 * Sets up out[0..n): glibc, then every heap of kheap_all[] (a page source
 * of `arena_bytes` each, a multiple of 2M), then kmalloc over `arena_bytes` of RAM (axalloc_init,
 * so call it once). Returns n. Aborts when host memory runs out.
 */
int kb_allocs_create(struct kb_alloc *out, size_t arena_bytes);

/* Releases what kb_allocs_create set up. */
void kb_allocs_destroy(struct kb_alloc *all, int n);

/*
 * 0 when the allocator is back to empty: no live block, its own check
 * passes (heaps, kmalloc), no bad free (kmalloc), and a heap holds no more
 * pages than its bound once empty (kheap_all[]) and exactly the pages its
 * page source has out; kmalloc's front is trimmed first (axalloc_heap_trim:
 * its cached blocks keep their pages). Otherwise -1 with a reason in why
 * (len bytes).
 */
int kb_alloc_empty(const struct kb_alloc *k, char *why, size_t len);

#endif

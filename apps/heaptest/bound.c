/*
 * bound.c - how many pages the configured kernel heap may keep once every
 * block is freed: each heap states it in its header, under a name of its
 * own, so this is the one place that knows them (as axalloc's heap.c
 * knows each heap's ops and state).
 */
#include <axhal/mem.h>

#include "heaptest.h"

#if defined(CONFIG_AXALLOC_HEAP_SLAB)
#include <kheap-slab/slab.h>
#define KEPT_PAGES SLAB_KEPT_PAGES
#elif defined(CONFIG_AXALLOC_HEAP_BUDDY)
#include <kheap-buddy/buddy.h>
#define KEPT_PAGES BUDDY_KHEAP_ARENA_PAGES
#elif defined(CONFIG_AXALLOC_HEAP_FIRSTFIT) || defined(CONFIG_AXALLOC_HEAP_BESTFIT)
#include <kheap-list/list.h>
#define KEPT_PAGES (LIST_KEEP_CHUNKS * LIST_CHUNK_PAGES)
#elif defined(CONFIG_AXALLOC_HEAP_TLSF)
#include <kheap-tlsf/tlsf.h>
#define KEPT_PAGES (2 * TLSF_CHUNK_BYTES / PAGE_SIZE)
#else
#error "heaptest: bound.c does not know how many pages this kernel heap keeps"
#endif

uint64_t heaptest_kept_pages(void)
{
	return KEPT_PAGES;
}

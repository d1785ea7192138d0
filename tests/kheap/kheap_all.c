/* kheap_all.c - the heaps under test and their instances (see kheap_all.h). */
#include "kheap_all.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef CONFIG_KHEAP_TLSF
#include <kheap-tlsf/tlsf.h>
#endif
#ifdef CONFIG_KHEAP_SLAB
#include <kheap-slab/slab.h>
#endif
#ifdef CONFIG_KHEAP_BUDDY
#include <kheap-buddy/buddy.h>
#endif
#ifdef CONFIG_KHEAP_LIST
#include <kheap-list/list.h>
#endif

/*
 * One row a heap, from what its header states: the pages it may keep once
 * empty, the bad frees it answers and up to which request size it tells a
 * double free.
 */
const struct kheap_desc kheap_all[] = {
#ifdef CONFIG_KHEAP_TLSF
    /*
     * Every region's header names its kind, so interior pointers are told
     * (a TLSF block's back link is checked inside its chunk); forged
     * contents can still fake a block of a chunk, so no FORGED. A large
     * run's double free is undefined (its pages are gone): double_free_max
     * is the largest request served from a chunk.
     */
    {&tlsf_kheap_ops, 2 * TLSF_CHUNK_BYTES / PAGE_SIZE,
     KHEAP_DETECT_MISALIGNED | KHEAP_DETECT_INTERIOR | KHEAP_DETECT_DOUBLE, TLSF_CHUNK_BYTES / 2},
#endif
#ifdef CONFIG_KHEAP_SLAB
    /*
     * A slab's header and free bitmap tell interior pointers and double
     * frees; a header page's first word can be forged by data, so no
     * FORGED. A run's double free is undefined: up to the largest object.
     */
    {&slab_kheap_ops, SLAB_KEPT_PAGES,
     KHEAP_DETECT_MISALIGNED | KHEAP_DETECT_INTERIOR | KHEAP_DETECT_DOUBLE, SLAB_LARGEST_OBJECT},
#endif
#ifdef CONFIG_KHEAP_BUDDY
    /*
     * The byte map tells every granule's state, whatever the blocks hold:
     * interior pointers and forged contents are told. A run's double free
     * is undefined: up to the largest arena block.
     */
    {&buddy_kheap_ops, BUDDY_KHEAP_ARENA_PAGES,
     KHEAP_DETECT_MISALIGNED | KHEAP_DETECT_INTERIOR | KHEAP_DETECT_DOUBLE | KHEAP_DETECT_FORGED,
     BUDDY_KHEAP_MAX_BLOCK},
#endif
#ifdef CONFIG_KHEAP_LIST
    /*
     * Block tags, the chunk's magic and owner and both neighbours' boundary
     * tags check a pointer; data can still forge them, so no FORGED. A
     * large run's double free is undefined: up to half a chunk.
     */
    {&firstfit_kheap_ops, LIST_KEEP_CHUNKS *LIST_CHUNK_PAGES,
     KHEAP_DETECT_MISALIGNED | KHEAP_DETECT_INTERIOR | KHEAP_DETECT_DOUBLE,
     LIST_CHUNK_PAGES *PAGE_SIZE / 2},
    {&bestfit_kheap_ops, LIST_KEEP_CHUNKS *LIST_CHUNK_PAGES,
     KHEAP_DETECT_MISALIGNED | KHEAP_DETECT_INTERIOR | KHEAP_DETECT_DOUBLE,
     LIST_CHUNK_PAGES *PAGE_SIZE / 2},
#endif
};

const unsigned kheap_nr_heaps = sizeof(kheap_all) / sizeof(kheap_all[0]);

const struct kheap_desc *kheap_desc_of(const struct kheap_ops *ops)
{
	for (unsigned i = 0; i < kheap_nr_heaps; i++)
		if (kheap_all[i].ops == ops)
			return &kheap_all[i];
	fprintf(stderr, "kheap_all: heap %s is not listed\n", ops->name);
	abort();
}

size_t kheap_pages_bound(const struct kheap_ops *ops)
{
	return kheap_desc_of(ops)->pages_bound;
}

void kheap_inst_create(struct kheap_inst *in, const struct kheap_desc *d, size_t arena_bytes)
{
	memset(in, 0, sizeof(*in));
	in->desc = d;
	kheap_test_pages_create(&in->tp, arena_bytes);
	in->h = malloc(d->ops->state_size);
	if (!in->h)
		abort();
	/* Any contents: kheap_init must not rely on zeroed state. */
	memset(in->h, 0xa5, d->ops->state_size);
	kheap_init(in->h, d->ops, &in->tp.src);
}

void kheap_inst_destroy(struct kheap_inst *in)
{
	free(in->h);
	kheap_test_pages_destroy(&in->tp);
	memset(in, 0, sizeof(*in));
}

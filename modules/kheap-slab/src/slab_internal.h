/*
 * slab_internal.h - what the slab heap's sources share: the two page
 * headers (a slab's, a run's), the size-class table and the functions of
 * each part (slab_object.c: small blocks, slab_run.c: large blocks,
 * slab_check.c: stats and check; slab.c dispatches between them).
 */
#ifndef KHEAP_SLAB_INTERNAL_H
#define KHEAP_SLAB_INTERNAL_H

#include <kheap-slab/slab.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The first word of every page that starts a slab or a run is the address
 * of its heap xor one of these, so one compare tells this heap's slabs and
 * runs from each other, from other heaps' and from anything else. A page
 * going back to the page source has its first word cleared.
 */
#define SLAB_KEY_SLAB 0x51ab51ab51ab51abULL
#define SLAB_KEY_RUN  0x5255e5255e5255e5ULL

static inline uintptr_t slab_key(const struct slab_kheap *h)
{
	return (uintptr_t)h ^ SLAB_KEY_SLAB;
}

static inline uintptr_t run_key(const struct slab_kheap *h)
{
	return (uintptr_t)h ^ SLAB_KEY_RUN;
}

/* The first word of the block p's header page: the page holding the byte before p. */
static inline const uintptr_t *header_word_of(const void *p)
{
	return (const uintptr_t *)ALIGN_DOWN((uintptr_t)p - 1, PAGE_SIZE);
}

/* Free-object bitmap words per slab: 256 bits cover the 252 16-byte objects. */
#define SLAB_BITMAP_WORDS 4

/*
 * The header at the start of a slab page (64 bytes). Object i is at
 * (char *)slab + slab_classes[cls].first + i * slab_classes[cls].size.
 */
struct slab {
	uintptr_t key;	       /* slab_key(heap) */
	uint16_t cls;	       /* its size class: index into slab_classes */
	uint16_t nfree;	       /* free objects */
	struct list_head link; /* on heap->partial[cls] or ->full[cls]; unlinked when the spare */
	uint64_t free_bits[SLAB_BITMAP_WORDS]; /* bit i set: object i is free; none past count */
};

/*
 * The header at the start of a run's first page. The block is at
 * (char *)run + block_offset and can hold up to the run's end.
 */
struct slab_run {
	uintptr_t key;	       /* run_key(heap) */
	uint64_t block_offset; /* sizeof(struct slab_run) rounded up to the block's alignment */
	struct list_head link; /* on heap->runs */
	uint64_t npages;       /* pages of the run */
};

/* A size class: its objects' size, where object 0 starts in a slab, objects per slab. */
struct slab_class {
	uint16_t size;
	uint16_t first;
	uint16_t count;
};

extern const struct slab_class slab_classes[SLAB_NR_CLASSES];

/* The bits of bitmap word w that stand for objects, in a slab of `count` objects. */
static inline uint64_t slab_object_bits(unsigned count, unsigned w)
{
	unsigned from_word = count > 64 * w ? count - 64 * w : 0;

	return from_word >= 64 ? ~0ULL : (1ULL << from_word) - 1;
}

/* The largest power of two dividing a class size: its objects' alignment. */
static inline size_t slab_class_align(const struct slab_class *c)
{
	return (size_t)c->size & -(size_t)c->size;
}

/*
 * The smallest class of at least `size` bytes whose objects are aligned to
 * `align` (a power of two >= 16), or SLAB_NR_CLASSES when there is none (the
 * block needs a run).
 */
unsigned slab_class_of(size_t size, size_t align);

/* A new object of class cls, or NULL when a new slab was needed and the page source had none. */
void *slab_object_alloc(struct slab_kheap *h, unsigned cls);

/*
 * The index of the live object p of slab s (p any address whose header page
 * is s), or -EINVAL (p not an object's start) / -ENOENT (an object already
 * free).
 */
int slab_object_find(const struct slab *s, const void *p);

/* Frees object i, live, of slab s of h. */
void slab_object_free(struct slab_kheap *h, struct slab *s, unsigned i);

/* True when `size` bytes take the class of slab s's objects: a live one holds them in place. */
bool slab_object_resize(const struct slab *s, size_t size);

/*
 * A block of `size` bytes aligned to `align` in a new run of its own, or
 * NULL when the page source has no pages for it.
 */
void *slab_run_alloc(struct slab_kheap *h, size_t size, size_t align);

/* True when p, an address whose header page is run r, is r's block. */
static inline bool slab_run_is_block(const struct slab_run *r, const void *p)
{
	return (const char *)p == (const char *)r + r->block_offset;
}

/* Frees the run r of h and its block. */
void slab_run_free(struct slab_kheap *h, struct slab_run *r);

/*
 * Resizes the block of run r in place to `size` bytes: true when `size` is
 * still a large block that fits the run (the pages past the new end go
 * back), false otherwise (nothing changes).
 */
bool slab_run_resize(struct slab_kheap *h, struct slab_run *r, size_t size);

/* The bytes the block of run r can hold. */
static inline size_t slab_run_usable(const struct slab_run *r)
{
	return r->npages * PAGE_SIZE - r->block_offset;
}

/* kheap_ops.stats and kheap_ops.check (slab_check.c). */
void slab_kheap_stats(const struct kheap *heap, struct kheap_stats *st);
int slab_kheap_check(const struct kheap *heap);

/* The slab heap whose head is `heap`. */
#define to_slab_kheap(kh) container_of(kh, struct slab_kheap, heap)

#endif

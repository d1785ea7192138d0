/*
 * slab_object.c - small blocks: the size classes and the one-page slabs
 * that hold their objects (see kheap-slab/slab.h for the design).
 */
#include <errno.h>

#include <klib/bitops.h>

#include "slab_internal.h"

/* Where object 0 of a class of sz bytes starts: past the header, aligned to sz's lowest bit. */
#define FIRST_OBJECT(sz)                                                                           \
	((sz & -sz) > (int)sizeof(struct slab) ? (sz & -sz) : (int)sizeof(struct slab))
#define CLASS(sz)                                                                                  \
	{                                                                                          \
		.size = sz, .first = FIRST_OBJECT(sz),                                             \
		.count = (PAGE_SIZE - FIRST_OBJECT(sz)) / sz                                       \
	}

const struct slab_class slab_classes[SLAB_NR_CLASSES] = {
    CLASS(16),	CLASS(32),  CLASS(48),	CLASS(64),  CLASS(96),	 CLASS(128),  CLASS(192),
    CLASS(256), CLASS(384), CLASS(512), CLASS(768), CLASS(1024), CLASS(1536),
};

_Static_assert(sizeof(struct slab) == 64, "a slab header is 64 bytes");
_Static_assert((PAGE_SIZE - sizeof(struct slab)) / 16 <= 64 * SLAB_BITMAP_WORDS,
	       "the bitmap covers every 16-byte object");

/*
 * The smallest class of at least `size` bytes (1 .. SLAB_LARGEST_OBJECT),
 * whatever its alignment: 16 or 32; else, for 2^(k-1) < size <= 2^k, the
 * midpoint 3 * 2^(k-2) (index 2k - 10) or 2^k itself (index 2k - 9).
 */
static unsigned class_of_size(size_t size)
{
	if (size <= 32)
		return size <= 16 ? 0 : 1;
	unsigned k = (unsigned)log2_ceil64(size);
	return size <= (size_t)3 << (k - 2) ? 2 * k - 10 : 2 * k - 9;
}

unsigned slab_class_of(size_t size, size_t align)
{
	size_t need = size > align ? size : align;
	if (need > SLAB_LARGEST_OBJECT)
		return SLAB_NR_CLASSES;
	unsigned cls = class_of_size(need);
	/*
	 * Only a midpoint class 3 * 2^j can be too little aligned (to 2^j, for
	 * align 2^(j+1)); the class after it, 2^(j+2), is aligned enough.
	 */
	if (slab_class_align(&slab_classes[cls]) < align)
		cls++;
	return cls;
}

/* Makes page s an empty slab of class cls of h, on no list. */
static void slab_format(struct slab_kheap *h, struct slab *s, unsigned cls)
{
	unsigned count = slab_classes[cls].count;

	s->key = slab_key(h);
	s->cls = (uint16_t)cls;
	s->nfree = (uint16_t)count;
	list_init(&s->link);
	for (unsigned w = 0; w < SLAB_BITMAP_WORDS; w++)
		s->free_bits[w] = slab_object_bits(count, w);
}

/*
 * An empty slab of class cls, on no list: the spare (formatted anew if it
 * was of another class) or a new page; NULL when the page source has none.
 */
static struct slab *slab_new(struct slab_kheap *h, unsigned cls)
{
	struct slab *s = h->spare;

	if (s) {
		h->spare = NULL;
		if (s->cls == cls)
			return s;
	} else {
		s = kheap_pages_get(&h->heap, 1, PAGE_SIZE);
		if (!s)
			return NULL;
		h->pages++;
	}
	slab_format(h, s, cls);
	return s;
}

/* Slab s of h has just become empty and is on no list: the spare if there is none, else gone. */
static void slab_retire(struct slab_kheap *h, struct slab *s)
{
	if (!h->spare) {
		h->spare = s;
		return;
	}
	s->key = 0;
	kheap_pages_put(&h->heap, s, 1);
	h->pages--;
}

/* Marks the lowest free object of slab s (which has one) live; returns its index. */
static unsigned take_lowest_free(struct slab *s)
{
	unsigned w = 0;

	while (s->free_bits[w] == 0)
		w++;
	unsigned bit = (unsigned)ctz64(s->free_bits[w]);
	s->free_bits[w] &= s->free_bits[w] - 1;
	s->nfree--;
	return 64 * w + bit;
}

void *slab_object_alloc(struct slab_kheap *h, unsigned cls)
{
	const struct slab_class *c = &slab_classes[cls];
	struct list_head *partial = &h->partial[cls];
	struct slab *s;

	if (list_empty(partial)) {
		s = slab_new(h, cls);
		if (!s)
			return NULL;
		list_add(&s->link, partial);
	} else {
		s = list_first_entry(partial, struct slab, link);
	}
	unsigned i = take_lowest_free(s);
	if (s->nfree == 0) {
		list_del(&s->link);
		list_add(&s->link, &h->full[cls]);
	}
	h->live++;
	h->used_bytes += c->size;
	return (char *)s + c->first + (size_t)i * c->size;
}

int slab_object_find(const struct slab *s, const void *p)
{
	const struct slab_class *c = &slab_classes[s->cls];
	size_t offset = (uintptr_t)p - (uintptr_t)s; /* 1 .. PAGE_SIZE */

	if (offset < c->first)
		return -EINVAL;
	size_t i = (offset - c->first) / c->size;
	if (i >= c->count || c->first + i * c->size != offset)
		return -EINVAL;
	if (s->free_bits[i / 64] & (1ULL << (i % 64)))
		return -ENOENT;
	return (int)i;
}

void slab_object_free(struct slab_kheap *h, struct slab *s, unsigned i)
{
	const struct slab_class *c = &slab_classes[s->cls];

	s->free_bits[i / 64] |= 1ULL << (i % 64);
	h->live--;
	h->used_bytes -= c->size;
	if (s->nfree++ == 0) { /* was full */
		list_del(&s->link);
		list_add(&s->link, &h->partial[s->cls]);
	}
	if (s->nfree == c->count) {
		list_del(&s->link);
		slab_retire(h, s);
	}
}

bool slab_object_resize(const struct slab *s, size_t size)
{
	return slab_class_of(size, KHEAP_MIN_ALIGN) == s->cls;
}

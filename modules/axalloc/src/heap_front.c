/*
 * heap_front.c - the kernel heap's fast path: a small cache of free blocks
 * of up to FRONT_MAX_BYTES per size class in front of the chosen heap, as
 * Linux's per-cpu lists are in front of its page allocator.
 *
 * kmalloc of up to FRONT_MAX_BYTES pops a block of its class (16-byte
 * steps) without the allocator lock; kfree pushes a block that the heap
 * sees is live and small (kheap_live_size) onto the list of the largest
 * class it holds. An empty class takes FRONT_BATCH blocks from the heap
 * under one lock, a full one (FRONT_DEPTH blocks) gives FRONT_BATCH back.
 * A cached block's second word holds a key derived from its address and
 * usable size, so a second kfree of a cached block is caught as a double
 * free instead of caching it twice.
 *
 * Cached blocks stay allocated in the heap, so they keep its pages:
 * heap_front_drain_locked gives them all back (axalloc_heap_trim, and
 * before a heap allocation that found no pages gives up). The statistics
 * count them as free.
 *
 * Per hart: the kernel runs on one hart with interrupts off, so today there
 * is one front and no lock around it. With several harts each gets its own
 * (reached through tp, used with interrupts off) and a heap's live_size
 * must read only the block's own header.
 */
#include <errno.h>
#include <stdint.h>

#include "axalloc_priv.h"

#define FRONT_CLASSES (FRONT_MAX_BYTES / KHEAP_MIN_ALIGN)
#define FRONT_DEPTH   32
#define FRONT_BATCH   16
#define FRONT_KEY     0x5a17c0ffee0dd5e0UL /* xor address and size: "cached" */

struct front_class {
	void *head; /* cached blocks, linked through their first word */
	uint32_t count;
};

struct heap_front {
	struct kheap *heap; /* the heap behind the front; NULL before its first reset */
	struct front_class cls[FRONT_CLASSES];
	uint64_t cached_bytes;	/* usable bytes of the cached blocks */
	uint64_t pops, pushes;	/* blocks handed out from / cached by kmalloc and kfree */
	uint64_t refilled;	/* blocks the heap handed to a class beyond the one returned */
	uint64_t drained;	/* blocks given back to the heap */
	uint64_t bad_frees;	/* second kfree of a cached block */
	uint64_t refill_failed; /* heap allocations of a refill beyond its first that failed */
};

static struct heap_front front;

/* The bytes every block of class c holds: requests of ((c) * 16, (c + 1) * 16] use it. */
static size_t class_bytes(unsigned c)
{
	return (size_t)(c + 1) * KHEAP_MIN_ALIGN;
}

/*
 * The class a free block of usable size n (>= 16) is cached in: the
 * largest whose requests it holds. A block the heap handed to a refill may
 * be a little larger than FRONT_MAX_BYTES and is then cached in the last
 * class; kfree caches nothing larger.
 */
static unsigned class_of_block(size_t n)
{
	return (unsigned)((n < FRONT_MAX_BYTES ? n : FRONT_MAX_BYTES) / KHEAP_MIN_ALIGN) - 1;
}

/* The key a cached block at p of usable size n carries in its second word. */
static uintptr_t cached_key(const void *p, size_t n)
{
	return FRONT_KEY ^ (uintptr_t)p ^ n;
}

/* Caches the block p of usable size n in class k. */
static void push(struct front_class *k, void *p, size_t n)
{
	uintptr_t *w = p;

	w[0] = (uintptr_t)k->head;
	w[1] = cached_key(p, n);
	k->head = p;
	k->count++;
	front.cached_bytes += n;
}

/* Takes a cached block from class k (there is one). */
static void *pop(struct front_class *k)
{
	uintptr_t *w = k->head;

	k->head = (void *)w[0];
	front.cached_bytes -= cached_key(w, w[1]); /* the size, by the key's xor */
	w[1] = 0;
	k->count--;
	return w;
}

/* Gives up to n cached blocks of class k back to the heap; under the lock. */
static void drain_class_locked(struct front_class *k, uint32_t n)
{
	while (n-- > 0 && k->count > 0) {
		void *p = pop(k);
		kheap_free(front.heap, p);
		front.drained++;
	}
}

/* A full class k: gives FRONT_BATCH of its blocks back to the heap. */
static __attribute__((noinline)) void drain_some(struct front_class *k)
{
	spin_lock(&axalloc_lock);
	drain_class_locked(k, FRONT_BATCH);
	spin_unlock(&axalloc_lock);
}

bool heap_front_drain_locked(void)
{
	uint64_t before = front.drained;

	for (unsigned c = 0; c < FRONT_CLASSES; c++)
		drain_class_locked(&front.cls[c], UINT32_MAX);
	return front.drained != before;
}

/*
 * An empty class c: takes FRONT_BATCH blocks from the heap, returns one (or
 * NULL). Out of line, like drain_some, so the fast paths stay small.
 */
static __attribute__((noinline)) void *refill(unsigned c)
{
	void *p;

	spin_lock(&axalloc_lock);
	p = axalloc_heap_alloc_locked(class_bytes(c));
	for (unsigned i = 1; p && i < FRONT_BATCH; i++) {
		void *q = kheap_alloc(front.heap, class_bytes(c));
		if (!q) {
			front.refill_failed++; /* the heap counted it; the caller got a block */
			break;
		}
		size_t n = kheap_usable_size(front.heap, q);
		struct front_class *k = &front.cls[class_of_block(n)];
		if (k->count == FRONT_DEPTH) { /* a larger block, for a full class */
			kheap_free(front.heap, q);
			front.refilled++; /* in and out of the front: not the caller's */
			front.drained++;
			break;
		}
		push(k, q, n);
		front.refilled++;
	}
	spin_unlock(&axalloc_lock);
	return p;
}

void *heap_front_alloc(size_t size)
{
	unsigned c = size == 0 ? 0 : (unsigned)((size - 1) / KHEAP_MIN_ALIGN);
	struct front_class *k = &front.cls[c];

	if (k->count == 0)
		return refill(c);
	front.pops++;
	return pop(k);
}

int heap_front_free(void *p)
{
	size_t n = front.heap ? kheap_live_size(front.heap, p) : 0;
	struct front_class *k;

	if (n < KHEAP_MIN_ALIGN || n > FRONT_MAX_BYTES)
		return 1; /* not live, or not small: the heap's own free says which */
	if (((uintptr_t *)p)[1] == cached_key(p, n)) {
		front.bad_frees++;
		return -ENOENT;
	}
	k = &front.cls[class_of_block(n)];
	if (k->count == FRONT_DEPTH)
		drain_some(k);
	push(k, p, n);
	front.pushes++;
	return 0;
}

void heap_front_stats_locked(struct axalloc_stats *st)
{
	uint64_t cached = front.refilled + front.pushes - front.pops - front.drained;

	st->heap_allocs = st->heap_allocs - front.refilled + front.pops;
	st->heap_frees = st->heap_frees - front.drained + front.pushes;
	st->heap_used_bytes -= front.cached_bytes;
	st->heap_bad_frees += front.bad_frees;
	st->failed_allocs -= front.refill_failed;
	st->heap_cached = cached;
}

int heap_front_check_locked(void)
{
	uint64_t blocks = 0, bytes = 0;

	for (unsigned c = 0; c < FRONT_CLASSES; c++) {
		uint32_t count = 0;
		for (uintptr_t *w = front.cls[c].head; w; w = (uintptr_t *)w[0]) {
			size_t n = kheap_live_size(front.heap, w);
			if (++count > FRONT_DEPTH || class_of_block(n) != c ||
			    w[1] != cached_key(w, n))
				return -EFAULT;
			bytes += n;
		}
		if (count != front.cls[c].count)
			return -EFAULT;
		blocks += count;
	}
	if (bytes != front.cached_bytes ||
	    blocks != front.refilled + front.pushes - front.pops - front.drained)
		return -EFAULT;
	return 0;
}

void heap_front_reset_locked(struct kheap *h)
{
	front = (struct heap_front){.heap = h};
}

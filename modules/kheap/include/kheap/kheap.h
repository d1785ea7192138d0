/*
 * kheap/kheap.h - the interface every byte heap exports.
 *
 * A heap (kheap-tlsf, kheap-slab, kheap-buddy, kheap-list) is a state struct
 * whose first member is a struct kheap, plus one constant struct kheap_ops
 * table of its operations (tlsf_kheap_ops, slab_kheap_ops, buddy_kheap_ops,
 * firstfit_kheap_ops, bestfit_kheap_ops). Callers (axalloc, the contract
 * tests, the benchmarks, apps/heaptest) hold a struct kheap * and call the
 * kheap_*() functions below: they check the arguments once, for every heap,
 * and dispatch through the table. So the ops see only well-formed requests.
 *
 * A heap takes its memory from a page source (struct kheap_pages: in the
 * kernel axalloc's unmovable pages, on the host test memory) and gives
 * whole pages back as soon as its own rule says they are free: each heap
 * states in its header how many pages it may keep once everything is freed.
 * A heap does no locking: axalloc calls it under its lock.
 *
 * Module kheap (CONFIG_KHEAP, selected by each heap and by axalloc) is this
 * header and the argument checks (src/kheap.c): it sits below the heaps and
 * needs only klib and axhal.
 */
#ifndef KHEAP_KHEAP_H
#define KHEAP_KHEAP_H

#include <axhal/mem.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every block is aligned to at least this. */
#define KHEAP_MIN_ALIGN 16
/* The largest alignment kheap_memalign accepts. */
#define KHEAP_MAX_ALIGN PAGE_SIZE
/* The largest request: larger ones fail plainly (no heap could map them). */
#define KHEAP_MAX_SIZE ((size_t)1 << 40)

/*
 * Where a heap gets its pages. alloc returns npages (>= 1) contiguous pages
 * whose address is a multiple of `align` (a power of two, PAGE_SIZE or
 * more), or NULL when there are none. free gives back npages pages from p,
 * any whole pages of earlier allocations. ctx is passed to both.
 */
struct kheap_pages {
	void *(*alloc)(void *ctx, size_t npages, size_t align);
	void (*free)(void *ctx, void *p, size_t npages);
	void *ctx;
};

/*
 * A snapshot of a heap. The heap's stats op fills the first four fields;
 * kheap_stats adds the counters the kheap_*() functions keep.
 */
struct kheap_stats {
	uint64_t pages;	     /* pages held from the page source */
	uint64_t used_bytes; /* usable bytes of the live blocks (kheap_usable_size) */
	uint64_t live;	     /* live blocks */
	uint64_t meta_bytes; /* bytes of bookkeeping outside the pages held (0 if none) */
	uint64_t allocs;     /* blocks handed out (a realloc that moves: one) */
	uint64_t frees;	     /* blocks freed (a realloc that moves: one); live = allocs - frees */
	uint64_t failed;     /* allocations answered with NULL: no pages, or above KHEAP_MAX_SIZE */
	uint64_t bad_frees;  /* frees answered with -EINVAL or -ENOENT */
};

struct kheap;

/* One heap's operations; the kheap_*() functions below say what each must do. */
struct kheap_ops {
	const char *name;  /* "tlsf", "slab", "buddy", "firstfit", "bestfit" */
	size_t state_size; /* bytes of the heap's state struct */
	/* Makes the heap empty; its head is already filled in. */
	void (*init)(struct kheap *h);
	/* 1 <= size <= KHEAP_MAX_SIZE; align a power of two, 16 .. KHEAP_MAX_ALIGN. */
	void *(*alloc)(struct kheap *h, size_t size, size_t align);
	/* p != NULL. */
	int (*free)(struct kheap *h, void *p);
	/* p a live block. */
	size_t (*usable_size)(const struct kheap *h, const void *p);
	/*
	 * Any p: its usable size when the heap sees a live block there (with
	 * the checks its free makes), else 0. Changes nothing.
	 */
	size_t (*live_size)(const struct kheap *h, const void *p);
	/* p a live block, 1 <= size <= KHEAP_MAX_SIZE: resizes in place or returns false. */
	bool (*resize)(struct kheap *h, void *p, size_t size);
	void (*stats)(const struct kheap *h, struct kheap_stats *st);
	int (*check)(const struct kheap *h);
};

/* The head of every heap's state. */
struct kheap {
	const struct kheap_ops *ops;
	struct kheap_pages pages;
	uint64_t allocs, frees, failed, bad_frees; /* see struct kheap_stats */
};

/*
 * Makes `h`, the head of ops->state_size bytes of storage (any contents), an
 * empty heap of kind `ops` over the page source `pages` (copied). Takes no
 * pages yet. Never fails.
 */
void kheap_init(struct kheap *h, const struct kheap_ops *ops, const struct kheap_pages *pages);

/*
 * A block of at least `size` bytes whose address is a multiple of `align`
 * (a power of two up to KHEAP_MAX_ALIGN; below KHEAP_MIN_ALIGN means
 * KHEAP_MIN_ALIGN). Size 0 gives a minimal block (not NULL). Returns NULL
 * for a bad align, a size above KHEAP_MAX_SIZE, or when the page source has
 * no pages left; the heap is then as it was.
 */
void *kheap_memalign(struct kheap *h, size_t align, size_t size);

/* kheap_memalign(h, KHEAP_MIN_ALIGN, size). */
void *kheap_alloc(struct kheap *h, size_t size);

/*
 * n * size zeroed bytes, 16-aligned; NULL when n * size overflows or as
 * kheap_alloc.
 */
void *kheap_calloc(struct kheap *h, size_t n, size_t size);

/*
 * Like realloc: p == NULL is kheap_alloc(size); size 0 frees p and returns
 * NULL; otherwise a block holding the first min(old, size) bytes of p (p
 * itself when the heap can resize it in place). On failure returns NULL
 * and p is untouched (a shrink that cannot move keeps p and returns it).
 */
void *kheap_realloc(struct kheap *h, void *p, size_t size);

/*
 * Frees the block p (NULL: nothing). Returns 0, -EINVAL (p is not a block
 * this heap handed out) or -ENOENT (p was already freed), each where the
 * heap's design can tell; the heap is then unchanged. What a heap cannot
 * tell is undefined: its header says which.
 */
int kheap_free(struct kheap *h, void *p);

/* For the heaps: npages pages aligned to `align` from h's page source, or NULL. */
static inline void *kheap_pages_get(struct kheap *h, size_t npages, size_t align)
{
	return h->pages.alloc(h->pages.ctx, npages, align);
}

/* For the heaps: gives npages pages from p back to h's page source. */
static inline void kheap_pages_put(struct kheap *h, void *p, size_t npages)
{
	h->pages.free(h->pages.ctx, p, npages);
}

/* The bytes the live block p can hold (at least what was asked for). */
static inline size_t kheap_usable_size(const struct kheap *h, const void *p)
{
	return h->ops->usable_size(h, p);
}

/*
 * The usable size of p if the heap can tell p is a live block (the checks
 * kheap_free makes, in its header's words), else 0. Changes nothing.
 */
static inline size_t kheap_live_size(const struct kheap *h, const void *p)
{
	return h->ops->live_size(h, p);
}

/* Fills *st. */
void kheap_stats(const struct kheap *h, struct kheap_stats *st);

/*
 * Walks the heap's whole state and checks its invariants (the counters of
 * kheap_stats included). Returns 0 or -EFAULT. Changes nothing.
 */
int kheap_check(const struct kheap *h);

#endif

/*
 * buddy_internal.h - what the buddy heap's sources share: the arena and run
 * headers, the byte map and the functions of each source. Blocks are named
 * by their arena and their byte offset in it.
 */
#ifndef KHEAP_BUDDY_INTERNAL_H
#define KHEAP_BUDDY_INTERNAL_H

#include <kheap-buddy/buddy.h>
#include <klib/bitops.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BK_MIN_ORDER BUDDY_KHEAP_MIN_ORDER
#define BK_MAX_ORDER BUDDY_KHEAP_MAX_ORDER
#define BK_ARENA     BUDDY_KHEAP_ARENA_BYTES
/* Granules (of the smallest block) in an arena: the map's entries. */
#define BK_GRANULES (BK_ARENA >> BK_MIN_ORDER)
/* The arena's first block holds the header and the map: 4 KiB, order 12. */
#define BK_META_BYTES ((size_t)BK_GRANULES)
#define BK_META_ORDER (BUDDY_KHEAP_ARENA_SHIFT - BK_MIN_ORDER)

_Static_assert(BK_META_BYTES == (size_t)1 << BK_META_ORDER, "the map is one block");
_Static_assert(BK_META_ORDER < BK_MAX_ORDER, "blocks fit beside the map");

/* Header magics: an arena, a run of pages. */
#define BK_MAGIC_ARENA 0x6275646479617265ULL /* "buddyare" */
#define BK_MAGIC_RUN   0x627564647972756eULL /* "buddyrun" */

/* The start of an arena or a run. */
struct bk_head {
	uint64_t magic;		  /* BK_MAGIC_ARENA or BK_MAGIC_RUN */
	struct buddy_kheap *heap; /* the owner */
	struct list_head link;	  /* on heap->arenas or heap->runs */
};

/* An arena: this header, then map[] up to BK_META_BYTES, then blocks. */
struct bk_arena {
	struct bk_head head;
	size_t used; /* bytes of its live blocks */
};

/* A run of pages for one large block. */
struct bk_run {
	struct bk_head head;
	size_t npages; /* pages of the run */
	size_t offset; /* of the block from the run's start */
};

/* The header overlays the map entries of the map's own granules. */
_Static_assert(sizeof(struct bk_arena) <= (BK_META_BYTES >> BK_MIN_ORDER), "header too big");

/* Map entries: no block starts here / a live / a free block of order k. */
#define BK_NONE	    0
#define BK_USED(k)  ((uint8_t)(k))
#define BK_FREE(k)  ((uint8_t)(0x80 | (k)))
#define BK_FREE_BIT 0x80

/* The state of heap h. */
static inline struct buddy_kheap *bk_of(struct kheap *h)
{
	return container_of(h, struct buddy_kheap, heap);
}

static inline const struct buddy_kheap *bk_of_const(const struct kheap *h)
{
	return container_of(h, const struct buddy_kheap, heap);
}

/* The header any pointer into an arena or a run's first 64 KiB lies under. */
static inline struct bk_head *bk_base(const void *p)
{
	return (struct bk_head *)((uintptr_t)p & ~(uintptr_t)(BK_ARENA - 1));
}

/* The map entry of the granule at byte offset off of arena a. */
static inline uint8_t *bk_entry(struct bk_arena *a, size_t off)
{
	return (uint8_t *)a + (off >> BK_MIN_ORDER);
}

static inline uint8_t bk_entry_of(const struct bk_arena *a, size_t off)
{
	return ((const uint8_t *)a)[off >> BK_MIN_ORDER];
}

/* The order of a map entry that starts a block. */
static inline unsigned bk_order(uint8_t e)
{
	return e & ~BK_FREE_BIT;
}

/*
 * The order a block of `size` (1 .. BUDDY_KHEAP_MAX_BLOCK) bytes aligned to
 * `align` (a power of two) needs: the smallest 2^k, k >= BK_MIN_ORDER, that
 * is at least both (a block is aligned to its size).
 */
static inline unsigned bk_order_for(size_t size, size_t align)
{
	size_t need = size > align ? size : align;

	return need <= ((size_t)1 << BK_MIN_ORDER) ? BK_MIN_ORDER : (unsigned)fls64(need - 1);
}

/* The free list of order k. */
static inline struct list_head *bk_list(struct buddy_kheap *b, unsigned k)
{
	return &b->free[k - BK_MIN_ORDER];
}

/*
 * The header of the arena or run of b that p (in memory the heap may read)
 * lies in: its 64K-aligned base when that holds b's magic, b as owner and
 * consistent list links; NULL otherwise.
 */
static inline struct bk_head *bk_head_of(const struct buddy_kheap *b, const void *p)
{
	struct bk_head *hd = bk_base(p);

	if (hd->magic != BK_MAGIC_ARENA && hd->magic != BK_MAGIC_RUN)
		return NULL;
	if (hd->heap != b || hd->link.next->prev != &hd->link || hd->link.prev->next != &hd->link)
		return NULL;
	return hd;
}

/* ---- buddy_block.c: blocks of arenas ---- */

/*
 * Takes a free block of order k (BK_MIN_ORDER..BK_MAX_ORDER), splitting the
 * smallest larger one when none is free, marks it live and counts it in its
 * arena. NULL when no free block is large enough.
 */
void *bk_block_take(struct buddy_kheap *b, unsigned k);

/*
 * Frees the live block at offset off of arena a, merging it with its free
 * buddies; when the arena is then empty, keeps it or gives it back
 * (bk_arena_emptied). Returns the block's order.
 */
unsigned bk_block_give(struct buddy_kheap *b, struct bk_arena *a, size_t off);

/*
 * 0 if offset off of arena a starts a live block, -ENOENT if it lies in a
 * free block, -EINVAL otherwise (not aligned, in the map, inside a live
 * block).
 */
int bk_block_state(const struct bk_arena *a, size_t off);

/*
 * Resizes the live block at offset off of arena a from order k to order nk
 * in place: smaller by freeing its upper halves; larger when each buddy
 * above it up to nk is free and of the order reached (else returns false,
 * nothing changed).
 */
bool bk_block_resize(struct buddy_kheap *b, struct bk_arena *a, size_t off, unsigned nk);

/* Makes the block at offset off of arena a (not on a list) a free block of order k. */
void bk_block_push(struct buddy_kheap *b, struct bk_arena *a, size_t off, unsigned k);

/* Takes the free block at offset off of arena a, of order k, off its list. */
void bk_block_unlink(struct buddy_kheap *b, struct bk_arena *a, size_t off, unsigned k);

/* ---- buddy_arena.c: arenas ---- */

/* A new arena from the page source whose space is all free; false when there are no pages. */
bool bk_arena_new(struct buddy_kheap *b);

/* Arena a has just lost its last live block: keeps it if no other is empty, else gives it back. */
void bk_arena_emptied(struct buddy_kheap *b, struct bk_arena *a);

/* ---- buddy_run.c: runs of pages for large blocks ---- */

/* A block of size (> BUDDY_KHEAP_MAX_BLOCK) bytes aligned to align in a new run, or NULL. */
void *bk_run_alloc(struct buddy_kheap *b, size_t size, size_t align);

/* Gives run r back to the page source. */
void bk_run_free(struct buddy_kheap *b, struct bk_run *r);

/* The block of run r. */
static inline void *bk_run_block(const struct bk_run *r)
{
	return (char *)r + r->offset;
}

/* The usable bytes of run r's block. */
static inline size_t bk_run_usable(const struct bk_run *r)
{
	return r->npages * PAGE_SIZE - r->offset;
}

/*
 * Resizes run r's block to size bytes in place: true when size is above
 * BUDDY_KHEAP_MAX_BLOCK and fits in the run's pages (the pages past it go
 * back); false otherwise, nothing changed.
 */
bool bk_run_resize(struct buddy_kheap *b, struct bk_run *r, size_t size);

/* ---- buddy_check.c ---- */

/*
 * Walks every arena's map, every run and every free list and checks them
 * against each other and the heap's counters. 0 or -EFAULT (printed).
 */
int bk_check(const struct kheap *h);

#endif

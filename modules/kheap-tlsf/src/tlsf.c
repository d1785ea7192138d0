/*
 * tlsf.c - TLSF, a two-level segregated-fit byte heap, over chunks of pages
 * from the heap's page source.
 *
 * Blocks. A chunk is CHUNK_PAGES pages, aligned to its size:
 *
 *   [ chunk header | block | block | ... | block | sentinel ]
 *
 * Every block starts with a 16-byte header: a pointer to the previous block
 * of the chunk (NULL for the first) and its size in bytes (a multiple of 16,
 * header included) with flag bits below. A free block also holds the links
 * of its free list where the payload would be. The sentinel is a header of
 * size 0 that is never free. With these boundary tags both neighbours of a
 * block are found in O(1), so a freed block merges with them at once and
 * no two free blocks are ever adjacent.
 *
 * Free lists. Free block sizes are split into classes: the first level is
 * the power of two below the size, the second level cuts each power-of-two
 * range into SL_COUNT equal parts (sizes under SMALL_BLOCK are one class per
 * 16 bytes). A bitmap of non-empty first levels and one per first level of
 * non-empty second-level lists find, with two count-trailing-zeros, the
 * smallest class whose every block fits the request (good fit, O(1)). The
 * request is rounded up to the start of the next class for that.
 *
 * Pages. The heap grows by one chunk when no free block fits. A chunk whose
 * blocks have all been freed goes back to the page source, except that
 * one such empty chunk (SPARE_CHUNKS) is kept, so a kmalloc/kfree loop does
 * not call the page allocator every time. Requests larger than
 * LARGE_THRESHOLD get a run of pages of their own, with a header recording
 * the run just before the returned pointer, and give it back when freed.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tlsf_internal.h"
#include <axlog/log.h>
#include <klib/bitops.h>

#define HEAP_ALIGN_SHIFT 4
#define HEAP_ALIGN	 (1UL << HEAP_ALIGN_SHIFT)

/* Second level: each power-of-two range is cut into SL_COUNT classes. */
#define SL_SHIFT TLSF_SL_SHIFT
#define SL_COUNT TLSF_SL_COUNT
/* Sizes below SMALL_BLOCK are in first level 0, one class per HEAP_ALIGN bytes. */
#define FL_SHIFT    (SL_SHIFT + HEAP_ALIGN_SHIFT)
#define SMALL_BLOCK (1UL << FL_SHIFT)

#define CHUNK_SHIFT 16
#define CHUNK_BYTES TLSF_CHUNK_BYTES
#define CHUNK_PAGES (CHUNK_BYTES / PAGE_SIZE)
/* Every block is smaller than a chunk, so its log2 is below CHUNK_SHIFT. */
#define FL_COUNT (CHUNK_SHIFT - FL_SHIFT + 1)
/* Requests above this get their own pages. */
#define LARGE_THRESHOLD (CHUNK_BYTES / 2)
/* Empty chunks kept instead of being given back. */
#define SPARE_CHUNKS 1

/* Flag bits in tlsf_block.size. */
#define BLOCK_FREE  1UL
#define BLOCK_FLAGS (HEAP_ALIGN - 1)

struct tlsf_block {
	struct tlsf_block *prev_phys; /* previous block in the chunk, NULL for the first */
	size_t size;		      /* bytes, header included, | BLOCK_* flags */
	struct tlsf_block *next_free; /* free blocks only: links of the free list */
	struct tlsf_block *prev_free;
};

#define BLOCK_HDR offsetof(struct tlsf_block, next_free)
#define BLOCK_MIN sizeof(struct tlsf_block)

_Static_assert(BLOCK_HDR == HEAP_ALIGN, "block header keeps payloads 16-aligned");
_Static_assert(sizeof(struct tlsf_region) % HEAP_ALIGN == 0, "chunk header keeps alignment");
_Static_assert(CHUNK_BYTES % PAGE_SIZE == 0, "chunks are whole pages");
_Static_assert(CHUNK_BYTES == 1UL << CHUNK_SHIFT, "one chunk size");
_Static_assert(FL_COUNT == TLSF_FL_COUNT, "the header sizes the free lists");
_Static_assert(FL_COUNT < 32 && SL_COUNT <= 32, "class bitmaps are 32-bit words");

static size_t block_size(const struct tlsf_block *b)
{
	return b->size & ~BLOCK_FLAGS;
}

static bool block_is_free(const struct tlsf_block *b)
{
	return b->size & BLOCK_FREE;
}

static struct tlsf_block *block_next(const struct tlsf_block *b)
{
	return (struct tlsf_block *)((char *)b + block_size(b));
}

static void *block_payload(struct tlsf_block *b)
{
	return (char *)b + BLOCK_HDR;
}

static struct tlsf_block *payload_block(void *p)
{
	return (struct tlsf_block *)((char *)p - BLOCK_HDR);
}

static struct tlsf_block *chunk_first_block(struct tlsf_region *c)
{
	return (struct tlsf_block *)(c + 1);
}

static struct tlsf_block *chunk_sentinel(struct tlsf_region *c)
{
	return (struct tlsf_block *)((char *)c + c->npages * PAGE_SIZE - BLOCK_HDR);
}

/* Whether the free block b spans its whole chunk. */
static bool block_is_whole_chunk(const struct tlsf_block *b)
{
	return b->prev_phys == NULL && block_size(block_next(b)) == 0;
}

/* Block size (header included) that holds `size` payload bytes; size <= LARGE_THRESHOLD. */
static size_t block_size_for(size_t size)
{
	size_t bytes = ALIGN_UP(size, HEAP_ALIGN) + BLOCK_HDR;
	return bytes < BLOCK_MIN ? BLOCK_MIN : bytes;
}

/* The class of a free block of `size` bytes. */
static void mapping_insert(size_t size, unsigned *fl, unsigned *sl)
{
	if (size < SMALL_BLOCK) {
		*fl = 0;
		*sl = (unsigned)(size >> HEAP_ALIGN_SHIFT);
		return;
	}
	unsigned lg = (unsigned)log2_floor64(size);
	*fl = lg - FL_SHIFT + 1;
	*sl = (unsigned)(size >> (lg - SL_SHIFT)) & (SL_COUNT - 1);
}

/* The lowest class all of whose blocks hold `size` bytes. */
static void mapping_search(size_t size, unsigned *fl, unsigned *sl)
{
	if (size >= SMALL_BLOCK)
		size += (1UL << ((unsigned)log2_floor64(size) - SL_SHIFT)) - 1;
	mapping_insert(size, fl, sl);
}

static void free_list_insert(struct tlsf_kheap *t, struct tlsf_block *b)
{
	unsigned fl, sl;

	mapping_insert(block_size(b), &fl, &sl);
	assert(fl < FL_COUNT);
	struct tlsf_block *head = t->free_lists[fl][sl];
	b->next_free = head;
	b->prev_free = NULL;
	if (head)
		head->prev_free = b;
	t->free_lists[fl][sl] = b;
	t->fl_bitmap |= 1U << fl;
	t->sl_bitmap[fl] |= 1U << sl;
}

static void free_list_remove(struct tlsf_kheap *t, struct tlsf_block *b)
{
	unsigned fl, sl;

	mapping_insert(block_size(b), &fl, &sl);
	if (b->prev_free)
		b->prev_free->next_free = b->next_free;
	else
		t->free_lists[fl][sl] = b->next_free;
	if (b->next_free)
		b->next_free->prev_free = b->prev_free;
	if (!t->free_lists[fl][sl]) {
		t->sl_bitmap[fl] &= ~(1U << sl);
		if (!t->sl_bitmap[fl])
			t->fl_bitmap &= ~(1U << fl);
	}
}

/* A free block of at least `size` bytes, still in its list, or NULL. O(1). */
static struct tlsf_block *find_free_block(struct tlsf_kheap *t, size_t size)
{
	unsigned fl, sl;

	mapping_search(size, &fl, &sl);
	if (fl >= FL_COUNT)
		return NULL;
	uint32_t sl_map = t->sl_bitmap[fl] & (~0U << sl);
	if (!sl_map) {
		uint32_t fl_map = t->fl_bitmap & (~0U << (fl + 1));
		if (!fl_map)
			return NULL;
		fl = (unsigned)ctz64(fl_map);
		sl_map = t->sl_bitmap[fl];
	}
	sl = (unsigned)ctz64(sl_map);
	return t->free_lists[fl][sl];
}

/* Takes the free block b out of its list and marks it in use. */
static void take_free_block(struct tlsf_kheap *t, struct tlsf_block *b)
{
	free_list_remove(t, b);
	if (block_is_whole_chunk(b))
		t->spare_chunks--;
	b->size &= ~BLOCK_FREE;
}

/*
 * Cuts the in-use block b down to `size` bytes and returns the remainder as
 * a block that is in no list, or NULL when the remainder would be smaller
 * than BLOCK_MIN (b is then left whole).
 */
static struct tlsf_block *split_block(struct tlsf_block *b, size_t size)
{
	size_t total = block_size(b);

	if (total - size < BLOCK_MIN)
		return NULL;
	struct tlsf_block *rest = (struct tlsf_block *)((char *)b + size);
	rest->prev_phys = b;
	rest->size = total - size;
	block_next(rest)->prev_phys = rest;
	b->size = size | (b->size & BLOCK_FLAGS);
	return rest;
}

/* Appends the free block `next`, taken out of its list, to b. */
static void absorb_next(struct tlsf_kheap *t, struct tlsf_block *b, struct tlsf_block *next)
{
	free_list_remove(t, next);
	b->size += block_size(next);
	block_next(b)->prev_phys = b;
}

void region_link(struct tlsf_region **head, struct tlsf_region *r)
{
	r->prev = NULL;
	r->next = *head;
	if (*head)
		(*head)->prev = r;
	*head = r;
}

void region_unlink(struct tlsf_region **head, struct tlsf_region *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		*head = r->next;
	if (r->next)
		r->next->prev = r->prev;
}

/* Gives the chunk c, all of whose blocks are free, back to the page source. */
static void release_chunk(struct tlsf_kheap *t, struct tlsf_region *c)
{
	uint64_t npages = c->npages;

	region_unlink(&t->chunks, c);
	c->magic = 0;
	t->chunk_pages -= npages;
	kheap_pages_put(&t->heap, c, npages);
	log_debug("tlsf: shrank by %lu pages at %p, %lu pages left in chunks",
		  (unsigned long)npages, (void *)c, (unsigned long)t->chunk_pages);
}

/*
 * Makes b, which is in no list, free: merges it with its free neighbours,
 * then files the result, or gives its chunk back when it is a whole chunk
 * and a spare one is already kept.
 */
static void release_block(struct tlsf_kheap *t, struct tlsf_block *b)
{
	b->size |= BLOCK_FREE;
	struct tlsf_block *next = block_next(b);
	if (block_is_free(next))
		absorb_next(t, b, next);
	struct tlsf_block *prev = b->prev_phys;
	if (prev && block_is_free(prev)) {
		free_list_remove(t, prev);
		prev->size += block_size(b);
		block_next(prev)->prev_phys = prev;
		b = prev;
	}
	if (block_is_whole_chunk(b)) {
		if (t->spare_chunks >= SPARE_CHUNKS) {
			release_chunk(t, (struct tlsf_region *)b - 1);
			return;
		}
		t->spare_chunks++;
	}
	free_list_insert(t, b);
}

/* Adds one chunk of free memory to the heap; false when no pages are left. */
static bool grow(struct tlsf_kheap *t)
{
	struct tlsf_region *c = kheap_pages_get(&t->heap, CHUNK_PAGES, CHUNK_BYTES);

	if (!c)
		return false;
	c->npages = CHUNK_PAGES;
	c->magic = REGION_BLOCKS;
	region_link(&t->chunks, c);
	t->chunk_pages += CHUNK_PAGES;

	struct tlsf_block *b = chunk_first_block(c);
	struct tlsf_block *sentinel = chunk_sentinel(c);
	b->prev_phys = NULL;
	b->size = (size_t)((char *)sentinel - (char *)b) | BLOCK_FREE;
	sentinel->prev_phys = b;
	sentinel->size = 0;
	t->spare_chunks++;
	free_list_insert(t, b);
	log_debug("tlsf: grew by %lu pages at %p, %lu pages in chunks", (unsigned long)CHUNK_PAGES,
		  (void *)c, (unsigned long)t->chunk_pages);
	return true;
}

/*
 * Moves the start of the in-use block b up so that its payload is aligned
 * to `align` (> HEAP_ALIGN); the cut-off front becomes a free block. b must
 * be at least align + BLOCK_MIN bytes longer than what is needed after it.
 */
static struct tlsf_block *align_block(struct tlsf_kheap *t, struct tlsf_block *b, size_t align)
{
	uintptr_t payload = (uintptr_t)block_payload(b);
	size_t gap = ALIGN_UP(payload, align) - payload;

	if (gap == 0)
		return b;
	if (gap < BLOCK_MIN)
		gap += align;
	struct tlsf_block *aligned = (struct tlsf_block *)((char *)b + gap);
	aligned->prev_phys = b;
	aligned->size = block_size(b) - gap;
	block_next(aligned)->prev_phys = aligned;
	b->size = gap;
	release_block(t, b);
	return aligned;
}

/* A block from the chunks (size <= LARGE_THRESHOLD, align <= PAGE_SIZE); NULL when out of pages. */
static void *pool_alloc(struct tlsf_kheap *t, size_t size, size_t align)
{
	size_t bsize = block_size_for(size);
	size_t search = align > HEAP_ALIGN ? bsize + align + BLOCK_MIN : bsize;

	struct tlsf_block *b = find_free_block(t, search);
	if (!b) {
		if (!grow(t))
			return NULL;
		b = find_free_block(t, search);
		assert(b);
	}
	take_free_block(t, b);
	if (align > HEAP_ALIGN)
		b = align_block(t, b, align);
	struct tlsf_block *rest = split_block(b, bsize);
	if (rest)
		release_block(t, rest);
	t->used_bytes += block_size(b) - BLOCK_HDR;
	t->live++;
	return block_payload(b);
}

/* Payload offset of a large allocation aligned to `align` inside its run. */
static size_t large_offset(size_t align)
{
	return ALIGN_UP(sizeof(struct tlsf_region), align);
}

/* Pages of a large allocation of `size` bytes at offset `off`; 0 when too big. */
static uint64_t large_pages_for(size_t size, size_t off)
{
	if (size > SIZE_MAX - off - PAGE_SIZE)
		return 0;
	return (off + size + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* A run of pages of its own for `size` bytes aligned to `align`; NULL when out of pages. */
static void *large_alloc(struct tlsf_kheap *t, size_t size, size_t align)
{
	size_t off = large_offset(align);
	uint64_t npages = large_pages_for(size, off);
	struct tlsf_region *r = npages ? kheap_pages_get(&t->heap, npages, CHUNK_BYTES) : NULL;

	if (!r)
		return NULL;
	r->npages = npages;
	r->magic = REGION_LARGE;
	r->payload = off;
	region_link(&t->large, r);
	t->large_pages += npages;
	t->large_runs++;
	t->used_bytes += npages * PAGE_SIZE - off;
	t->live++;
	log_trace("tlsf: %zu bytes get %lu pages of their own at %p", size, (unsigned long)npages,
		  (void *)r);
	return (char *)r + off;
}

/* Whether p is where the payload of the large run r starts. */
static bool is_large_payload(const struct tlsf_region *r, const void *p)
{
	return (size_t)((const char *)p - (const char *)r) == r->payload;
}

/* Usable bytes of the large run r's payload at p. */
static size_t large_usable(const struct tlsf_region *r, const void *p)
{
	return (size_t)((const char *)r + r->npages * PAGE_SIZE - (const char *)p);
}

static void *tlsf_alloc(struct kheap *h, size_t size, size_t align)
{
	struct tlsf_kheap *t = (struct tlsf_kheap *)h;

	if (size <= TLSF_SMALL_MAX && align == HEAP_ALIGN)
		return small_alloc(t, size);
	if (size > LARGE_THRESHOLD)
		return large_alloc(t, size, align);
	return pool_alloc(t, size, align);
}

/*
 * Whether p is the payload of a block of chunk c: its back link points to
 * a block header below it in the same chunk whose size leads to it. Reads
 * only c's pages, whatever the words below p hold.
 */
static bool is_chunk_payload(struct tlsf_region *c, const void *p)
{
	struct tlsf_block *b = (struct tlsf_block *)((char *)p - BLOCK_HDR);
	struct tlsf_block *prev = b->prev_phys;

	if (b < chunk_first_block(c) || b >= chunk_sentinel(c))
		return false;
	if (!prev)
		return b == chunk_first_block(c);
	return prev >= chunk_first_block(c) && prev < b &&
	       IS_ALIGNED((uintptr_t)prev, HEAP_ALIGN) && block_next(prev) == b;
}

static size_t tlsf_live_size(const struct kheap *h, const void *p)
{
	struct tlsf_region *r = region_of(p);
	const struct tlsf_block *b = (const struct tlsf_block *)((const char *)p - BLOCK_HDR);
	(void)h;

	if (!IS_ALIGNED((uintptr_t)p, HEAP_ALIGN))
		return 0;
	switch (r->magic) {
	case REGION_SMALL:
		return small_live_size(p);
	case REGION_LARGE:
		return is_large_payload(r, p) ? large_usable(r, p) : 0;
	case REGION_BLOCKS:
		return is_chunk_payload(r, p) && !block_is_free(b) ? block_size(b) - BLOCK_HDR : 0;
	default:
		return 0;
	}
}

/* p is a live block: its region's kind says where its size is, no check needed. */
static size_t tlsf_usable_size(const struct kheap *h, const void *p)
{
	const struct tlsf_region *r = region_of(p);
	(void)h;

	if (r->magic == REGION_SMALL)
		return small_usable_size(p);
	if (r->magic == REGION_LARGE)
		return large_usable(r, p);
	return block_size((const struct tlsf_block *)((const char *)p - BLOCK_HDR)) - BLOCK_HDR;
}

static int tlsf_free(struct kheap *h, void *p)
{
	struct tlsf_kheap *t = (struct tlsf_kheap *)h;
	struct tlsf_region *r = region_of(p);
	struct tlsf_block *b = payload_block(p);

	if (!IS_ALIGNED((uintptr_t)p, HEAP_ALIGN))
		return -EINVAL;
	switch (r->magic) {
	case REGION_SMALL:
		return small_free(t, p);
	case REGION_LARGE:
		if (!is_large_payload(r, p))
			return -EINVAL;
		t->used_bytes -= large_usable(r, p);
		t->large_pages -= r->npages;
		t->large_runs--;
		t->live--;
		region_unlink(&t->large, r);
		r->magic = 0;
		kheap_pages_put(h, r, r->npages);
		return 0;
	case REGION_BLOCKS:
		if (!is_chunk_payload(r, p))
			return -EINVAL;
		if (block_is_free(b))
			return -ENOENT;
		t->used_bytes -= block_size(b) - BLOCK_HDR;
		t->live--;
		release_block(t, b);
		return 0;
	default:
		return -EINVAL;
	}
}

static bool tlsf_resize(struct kheap *h, void *p, size_t size)
{
	struct tlsf_kheap *t = (struct tlsf_kheap *)h;
	struct tlsf_region *r = region_of(p);
	struct tlsf_block *b = payload_block(p);

	if (r->magic == REGION_SMALL) /* in place within its class */
		return size <= small_live_size(p);
	if (r->magic == REGION_LARGE)
		return size > LARGE_THRESHOLD &&
		       large_pages_for(size, (size_t)((char *)p - (char *)r)) == r->npages;
	if (size > LARGE_THRESHOLD)
		return false;
	size_t bsize = block_size_for(size);
	size_t old = block_size(b);
	if (bsize > old) {
		struct tlsf_block *next = block_next(b);
		if (!block_is_free(next) || old + block_size(next) < bsize)
			return false;
		absorb_next(t, b, next);
	}
	struct tlsf_block *rest = split_block(b, bsize);
	if (rest)
		release_block(t, rest);
	t->used_bytes = t->used_bytes - (old - BLOCK_HDR) + (block_size(b) - BLOCK_HDR);
	return true;
}

/*
 * Checks the blocks of chunk c; adds its free blocks, spare chunks, used
 * blocks and used bytes to the totals.
 */
static int check_chunk(struct tlsf_region *c, uint64_t *nr_free, unsigned *spare, uint64_t *nr_used,
		       uint64_t *used)
{
	if (c->magic != REGION_BLOCKS || c->npages != CHUNK_PAGES)
		return -EFAULT;
	struct tlsf_block *sentinel = chunk_sentinel(c);
	struct tlsf_block *prev = NULL;
	struct tlsf_block *b = chunk_first_block(c);
	while (b < sentinel) {
		size_t size = block_size(b);
		if (b->prev_phys != prev || size < BLOCK_MIN ||
		    (b->size & BLOCK_FLAGS & ~BLOCK_FREE) ||
		    size > (size_t)((char *)sentinel - (char *)b))
			return -EFAULT;
		if (block_is_free(b)) {
			if (prev && block_is_free(prev))
				return -EFAULT;
			(*nr_free)++;
			if (block_is_whole_chunk(b))
				(*spare)++;
		} else {
			(*nr_used)++;
			*used += size - BLOCK_HDR;
		}
		prev = b;
		b = block_next(b);
	}
	if (b != sentinel || b->prev_phys != prev || b->size != 0)
		return -EFAULT;
	return 0;
}

/* Checks that the free lists hold exactly nr_free valid free blocks and match the bitmaps. */
static int check_free_lists(const struct tlsf_kheap *t, uint64_t nr_free)
{
	uint64_t listed = 0;

	for (unsigned fl = 0; fl < FL_COUNT; fl++) {
		if (((t->fl_bitmap >> fl) & 1) != (t->sl_bitmap[fl] != 0))
			return -EFAULT;
		for (unsigned sl = 0; sl < SL_COUNT; sl++) {
			struct tlsf_block *b = t->free_lists[fl][sl];
			if (((t->sl_bitmap[fl] >> sl) & 1) != (b != NULL))
				return -EFAULT;
			for (struct tlsf_block *prev = NULL; b; prev = b, b = b->next_free) {
				unsigned bfl, bsl;
				if (++listed > nr_free || !block_is_free(b) || b->prev_free != prev)
					return -EFAULT;
				mapping_insert(block_size(b), &bfl, &bsl);
				if (bfl != fl || bsl != sl)
					return -EFAULT;
			}
		}
	}
	return listed == nr_free ? 0 : -EFAULT;
}

/* Whether the list of regions from head is well linked, every one aligned and of kind magic. */
static bool regions_linked(const struct tlsf_region *head, uint64_t magic)
{
	for (const struct tlsf_region *r = head; r; r = r->next)
		if ((r->next && r->next->prev != r) || !IS_ALIGNED((uintptr_t)r, CHUNK_BYTES) ||
		    r->magic != magic)
			return false;
	return true;
}

static int tlsf_check(const struct kheap *h)
{
	const struct tlsf_kheap *t = (const struct tlsf_kheap *)h;
	uint64_t nr_free = 0, nr_used = 0, used = 0, pages = 0, runs = 0, large_pages = 0;
	uint64_t small_live, small_bytes, large_used;
	unsigned spare = 0;

	if (!regions_linked(t->chunks, REGION_BLOCKS) || !regions_linked(t->large, REGION_LARGE))
		return -EFAULT;
	for (struct tlsf_region *c = t->chunks; c; c = c->next) {
		if (check_chunk(c, &nr_free, &spare, &nr_used, &used) != 0)
			return -EFAULT;
		pages += c->npages;
	}
	if (pages != t->chunk_pages || spare != t->spare_chunks || spare > SPARE_CHUNKS)
		return -EFAULT;
	for (const struct tlsf_region *r = t->large; r; r = r->next) {
		runs++;
		large_pages += r->npages;
	}
	if (runs != t->large_runs || large_pages != t->large_pages)
		return -EFAULT;
	if (small_check(t, &small_live, &small_bytes) != 0)
		return -EFAULT;
	if (nr_used + runs + small_live != t->live || used + small_bytes > t->used_bytes)
		return -EFAULT;
	/* What is left of used_bytes is the large runs' payloads, at most a page from their start.
	 */
	large_used = t->used_bytes - used - small_bytes;
	if (large_used > large_pages * PAGE_SIZE - runs * sizeof(struct tlsf_region) ||
	    large_used + runs * PAGE_SIZE < large_pages * PAGE_SIZE)
		return -EFAULT;
	return check_free_lists(t, nr_free);
}

static void tlsf_init(struct kheap *h)
{
	struct tlsf_kheap *t = (struct tlsf_kheap *)h;
	struct kheap head = *h;

	*t = (struct tlsf_kheap){.heap = head};
}

static void tlsf_stats(const struct kheap *h, struct kheap_stats *st)
{
	const struct tlsf_kheap *t = (const struct tlsf_kheap *)h;

	*st = (struct kheap_stats){.pages = t->chunk_pages + t->large_pages + t->small_region_pages,
				   .used_bytes = t->used_bytes,
				   .live = t->live};
}

const struct kheap_ops tlsf_kheap_ops = {
    .name = "tlsf",
    .state_size = sizeof(struct tlsf_kheap),
    .init = tlsf_init,
    .alloc = tlsf_alloc,
    .free = tlsf_free,
    .usable_size = tlsf_usable_size,
    .live_size = tlsf_live_size,
    .resize = tlsf_resize,
    .stats = tlsf_stats,
    .check = tlsf_check,
};

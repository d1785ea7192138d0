/*
 * heap.c - the byte heap (kmalloc and friends): TLSF, a two-level
 * segregated-fit allocator, over chunks of pages from the page allocator.
 *
 * Blocks. A chunk is CHUNK_PAGES pages:
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
 * blocks have all been freed goes back to the page allocator, except that
 * one such empty chunk (SPARE_CHUNKS) is kept, so a kmalloc/kfree loop does
 * not call the page allocator every time. Requests larger than
 * LARGE_THRESHOLD get a run of pages of their own, with a header recording
 * the run just before the returned pointer, and give it back on kfree.
 *
 * Everything runs under axalloc_lock.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "axalloc_priv.h"
#include <axlog/log.h>
#include <klib/bitops.h>

#define HEAP_ALIGN_SHIFT 4
#define HEAP_ALIGN	 (1UL << HEAP_ALIGN_SHIFT)

/* Second level: each power-of-two range is cut into SL_COUNT classes. */
#define SL_SHIFT 4
#define SL_COUNT (1U << SL_SHIFT)
/* Sizes below SMALL_BLOCK are in first level 0, one class per HEAP_ALIGN bytes. */
#define FL_SHIFT    (SL_SHIFT + HEAP_ALIGN_SHIFT)
#define SMALL_BLOCK (1UL << FL_SHIFT)

#define CHUNK_SHIFT 16
#define CHUNK_BYTES (1UL << CHUNK_SHIFT)
#define CHUNK_PAGES (CHUNK_BYTES / PAGE_SIZE)
/* Every block is smaller than a chunk, so its log2 is below CHUNK_SHIFT. */
#define FL_COUNT (CHUNK_SHIFT - FL_SHIFT + 1)
/* Requests above this get their own pages. */
#define LARGE_THRESHOLD (CHUNK_BYTES / 2)
/* Empty chunks kept instead of being given back. */
#define SPARE_CHUNKS 1
#define CHUNK_MAGIC  0x6b686561704b4348UL

/* Flag bits in hblock.size. */
#define BLOCK_FREE  1UL
#define BLOCK_LARGE 2UL
#define BLOCK_FLAGS (HEAP_ALIGN - 1)

struct hblock {
	struct hblock *prev_phys; /* previous block in the chunk, NULL for the first */
	size_t size;		  /* bytes, header included, | BLOCK_* flags */
	struct hblock *next_free; /* free blocks only: links of the free list */
	struct hblock *prev_free;
};

#define BLOCK_HDR offsetof(struct hblock, next_free)
#define BLOCK_MIN sizeof(struct hblock)

/* The header of a large allocation, just below the pointer returned. */
struct large_hdr {
	void *run;   /* first byte of the run of pages */
	size_t size; /* bytes of the run | BLOCK_LARGE */
};

struct heap_chunk {
	struct heap_chunk *next;
	struct heap_chunk *prev;
	uint64_t npages;
	uint64_t magic;
};

_Static_assert(BLOCK_HDR == HEAP_ALIGN, "block header keeps payloads 16-aligned");
_Static_assert(sizeof(struct large_hdr) == BLOCK_HDR, "large header is a block header");
_Static_assert(offsetof(struct large_hdr, size) == offsetof(struct hblock, size),
	       "the size word is where kfree looks for it");
_Static_assert(sizeof(struct heap_chunk) % HEAP_ALIGN == 0, "chunk header keeps alignment");
_Static_assert(CHUNK_BYTES % PAGE_SIZE == 0, "chunks are whole pages");
_Static_assert(FL_COUNT < 32 && SL_COUNT <= 32, "class bitmaps are 32-bit words");

static struct heap {
	uint32_t fl_bitmap;
	uint32_t sl_bitmap[FL_COUNT];
	struct hblock *free_lists[FL_COUNT][SL_COUNT];
	struct heap_chunk *chunks;
	unsigned spare_chunks; /* chunks that are one whole free block */
	uint64_t chunk_pages;
	uint64_t large_pages;
	uint64_t used_bytes;
	uint64_t allocs;
	uint64_t frees;
} heap;

static size_t block_size(const struct hblock *b)
{
	return b->size & ~BLOCK_FLAGS;
}

static bool block_is_free(const struct hblock *b)
{
	return b->size & BLOCK_FREE;
}

static struct hblock *block_next(const struct hblock *b)
{
	return (struct hblock *)((char *)b + block_size(b));
}

static void *block_payload(struct hblock *b)
{
	return (char *)b + BLOCK_HDR;
}

static struct hblock *payload_block(void *p)
{
	return (struct hblock *)((char *)p - BLOCK_HDR);
}

static struct hblock *chunk_first_block(struct heap_chunk *c)
{
	return (struct hblock *)(c + 1);
}

static struct hblock *chunk_sentinel(struct heap_chunk *c)
{
	return (struct hblock *)((char *)c + c->npages * PAGE_SIZE - BLOCK_HDR);
}

/* Whether the free block b spans its whole chunk. */
static bool block_is_whole_chunk(const struct hblock *b)
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

static void free_list_insert(struct hblock *b)
{
	unsigned fl, sl;

	mapping_insert(block_size(b), &fl, &sl);
	assert(fl < FL_COUNT);
	struct hblock *head = heap.free_lists[fl][sl];
	b->next_free = head;
	b->prev_free = NULL;
	if (head)
		head->prev_free = b;
	heap.free_lists[fl][sl] = b;
	heap.fl_bitmap |= 1U << fl;
	heap.sl_bitmap[fl] |= 1U << sl;
}

static void free_list_remove(struct hblock *b)
{
	unsigned fl, sl;

	mapping_insert(block_size(b), &fl, &sl);
	if (b->prev_free)
		b->prev_free->next_free = b->next_free;
	else
		heap.free_lists[fl][sl] = b->next_free;
	if (b->next_free)
		b->next_free->prev_free = b->prev_free;
	if (!heap.free_lists[fl][sl]) {
		heap.sl_bitmap[fl] &= ~(1U << sl);
		if (!heap.sl_bitmap[fl])
			heap.fl_bitmap &= ~(1U << fl);
	}
}

/* A free block of at least `size` bytes, still in its list, or NULL. O(1). */
static struct hblock *find_free_block(size_t size)
{
	unsigned fl, sl;

	mapping_search(size, &fl, &sl);
	if (fl >= FL_COUNT)
		return NULL;
	uint32_t sl_map = heap.sl_bitmap[fl] & (~0U << sl);
	if (!sl_map) {
		uint32_t fl_map = heap.fl_bitmap & (~0U << (fl + 1));
		if (!fl_map)
			return NULL;
		fl = (unsigned)ctz64(fl_map);
		sl_map = heap.sl_bitmap[fl];
	}
	sl = (unsigned)ctz64(sl_map);
	return heap.free_lists[fl][sl];
}

/* Takes the free block b out of its list and marks it in use. */
static void take_free_block(struct hblock *b)
{
	free_list_remove(b);
	if (block_is_whole_chunk(b))
		heap.spare_chunks--;
	b->size &= ~BLOCK_FREE;
}

/*
 * Cuts the in-use block b down to `size` bytes and returns the remainder as
 * a block that is in no list, or NULL when the remainder would be smaller
 * than BLOCK_MIN (b is then left whole).
 */
static struct hblock *split_block(struct hblock *b, size_t size)
{
	size_t total = block_size(b);

	if (total - size < BLOCK_MIN)
		return NULL;
	struct hblock *rest = (struct hblock *)((char *)b + size);
	rest->prev_phys = b;
	rest->size = total - size;
	block_next(rest)->prev_phys = rest;
	b->size = size | (b->size & BLOCK_FLAGS);
	return rest;
}

/* Appends the free block `next`, taken out of its list, to b. */
static void absorb_next(struct hblock *b, struct hblock *next)
{
	free_list_remove(next);
	b->size += block_size(next);
	block_next(b)->prev_phys = b;
}

static void chunk_unlink(struct heap_chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		heap.chunks = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

/* Gives the chunk c, all of whose blocks are free, back to the page allocator. */
static void release_chunk(struct heap_chunk *c)
{
	uint64_t npages = c->npages;

	chunk_unlink(c);
	c->magic = 0;
	heap.chunk_pages -= npages;
	axalloc_pages_free_locked(virt_to_phys(c), npages);
	log_debug("heap: shrank by %lu pages at %#lx, %lu pages left in chunks",
		  (unsigned long)npages, (unsigned long)virt_to_phys(c),
		  (unsigned long)heap.chunk_pages);
}

/*
 * Makes b, which is in no list, free: merges it with its free neighbours,
 * then files the result, or gives its chunk back when it is a whole chunk
 * and a spare one is already kept.
 */
static void release_block(struct hblock *b)
{
	b->size |= BLOCK_FREE;
	struct hblock *next = block_next(b);
	if (block_is_free(next))
		absorb_next(b, next);
	struct hblock *prev = b->prev_phys;
	if (prev && block_is_free(prev)) {
		free_list_remove(prev);
		prev->size += block_size(b);
		block_next(prev)->prev_phys = prev;
		b = prev;
	}
	if (block_is_whole_chunk(b)) {
		if (heap.spare_chunks >= SPARE_CHUNKS) {
			release_chunk((struct heap_chunk *)b - 1);
			return;
		}
		heap.spare_chunks++;
	}
	free_list_insert(b);
}

/* Adds one chunk of free memory to the heap; false when no pages are left. */
static bool grow_locked(void)
{
	paddr_t pa;

	if (axalloc_pages_alloc_locked(CHUNK_PAGES, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa) != 0)
		return false;
	struct heap_chunk *c = phys_to_virt(pa);
	c->npages = CHUNK_PAGES;
	c->magic = CHUNK_MAGIC;
	c->prev = NULL;
	c->next = heap.chunks;
	if (heap.chunks)
		heap.chunks->prev = c;
	heap.chunks = c;
	heap.chunk_pages += CHUNK_PAGES;

	struct hblock *b = chunk_first_block(c);
	struct hblock *sentinel = chunk_sentinel(c);
	b->prev_phys = NULL;
	b->size = (size_t)((char *)sentinel - (char *)b) | BLOCK_FREE;
	sentinel->prev_phys = b;
	sentinel->size = 0;
	heap.spare_chunks++;
	free_list_insert(b);
	log_debug("heap: grew by %lu pages at %#lx, %lu pages in chunks",
		  (unsigned long)CHUNK_PAGES, (unsigned long)pa, (unsigned long)heap.chunk_pages);
	return true;
}

/*
 * Moves the start of the in-use block b up so that its payload is aligned
 * to `align` (> HEAP_ALIGN); the cut-off front becomes a free block. b must
 * be at least align + BLOCK_MIN bytes longer than what is needed after it.
 */
static struct hblock *align_block(struct hblock *b, size_t align)
{
	uintptr_t payload = (uintptr_t)block_payload(b);
	size_t gap = ALIGN_UP(payload, align) - payload;

	if (gap == 0)
		return b;
	if (gap < BLOCK_MIN)
		gap += align;
	struct hblock *aligned = (struct hblock *)((char *)b + gap);
	aligned->prev_phys = b;
	aligned->size = block_size(b) - gap;
	block_next(aligned)->prev_phys = aligned;
	b->size = gap;
	release_block(b);
	return aligned;
}

/* A block from the chunks (size <= LARGE_THRESHOLD, align <= PAGE_SIZE); NULL when out of pages. */
static void *pool_alloc_locked(size_t size, size_t align)
{
	size_t bsize = block_size_for(size);
	size_t search = align > HEAP_ALIGN ? bsize + align + BLOCK_MIN : bsize;

	struct hblock *b = find_free_block(search);
	if (!b) {
		if (!grow_locked())
			return NULL;
		b = find_free_block(search);
		assert(b);
	}
	take_free_block(b);
	if (align > HEAP_ALIGN)
		b = align_block(b, align);
	struct hblock *rest = split_block(b, bsize);
	if (rest)
		release_block(rest);
	heap.used_bytes += block_size(b) - BLOCK_HDR;
	heap.allocs++;
	return block_payload(b);
}

/* Payload offset of a large allocation aligned to `align` inside its run. */
static size_t large_offset(size_t align)
{
	return align > BLOCK_HDR ? align : BLOCK_HDR;
}

/* Pages of a large allocation of `size` bytes at offset `off`; 0 when too big. */
static uint64_t large_pages_for(size_t size, size_t off)
{
	if (size > SIZE_MAX - off - PAGE_SIZE)
		return 0;
	return (off + size + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* A run of pages of its own for `size` bytes aligned to `align`; NULL when out of pages. */
static void *large_alloc_locked(size_t size, size_t align)
{
	size_t off = large_offset(align);
	uint64_t npages = large_pages_for(size, off);
	paddr_t pa;

	if (npages == 0 ||
	    axalloc_pages_alloc_locked(npages, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa) != 0)
		return NULL;
	char *run = phys_to_virt(pa);
	struct large_hdr *h = (struct large_hdr *)(run + off - BLOCK_HDR);
	h->run = run;
	h->size = npages * PAGE_SIZE | BLOCK_LARGE;
	heap.large_pages += npages;
	heap.used_bytes += npages * PAGE_SIZE - off;
	heap.allocs++;
	log_trace("heap: %zu bytes get %lu pages of their own at %#lx", size, (unsigned long)npages,
		  (unsigned long)pa);
	return run + off;
}

/* kmalloc's core: NULL when out of memory (the caller counts the failure). */
static void *alloc_locked(size_t size, size_t align)
{
	if (size > LARGE_THRESHOLD)
		return large_alloc_locked(size, align);
	return pool_alloc_locked(size, align);
}

/* Usable bytes of the block at p. */
static size_t usable_size(void *p)
{
	struct hblock *b = payload_block(p);

	if (b->size & BLOCK_LARGE) {
		struct large_hdr *h = (struct large_hdr *)b;
		return (size_t)((char *)h->run + (h->size & ~BLOCK_FLAGS) - (char *)p);
	}
	return block_size(b) - BLOCK_HDR;
}

static void free_locked(void *p)
{
	struct hblock *b = payload_block(p);

	heap.used_bytes -= usable_size(p);
	heap.frees++;
	if (b->size & BLOCK_LARGE) {
		struct large_hdr *h = (struct large_hdr *)b;
		uint64_t npages = (h->size & ~BLOCK_FLAGS) / PAGE_SIZE;
		heap.large_pages -= npages;
		axalloc_pages_free_locked(virt_to_phys(h->run), npages);
		return;
	}
	assert(!block_is_free(b));
	release_block(b);
}

/* Resizes the block at p to hold `size` bytes without moving it; false when it must move. */
static bool resize_in_place_locked(void *p, size_t size)
{
	struct hblock *b = payload_block(p);

	if (b->size & BLOCK_LARGE) {
		struct large_hdr *h = (struct large_hdr *)b;
		size_t off = (size_t)((char *)p - (char *)h->run);
		return size > LARGE_THRESHOLD &&
		       large_pages_for(size, off) == (h->size & ~BLOCK_FLAGS) / PAGE_SIZE;
	}
	if (size > LARGE_THRESHOLD)
		return false;
	size_t bsize = block_size_for(size);
	size_t old = block_size(b);
	if (bsize > old) {
		struct hblock *next = block_next(b);
		if (!block_is_free(next) || old + block_size(next) < bsize)
			return false;
		absorb_next(b, next);
	}
	struct hblock *rest = split_block(b, bsize);
	if (rest)
		release_block(rest);
	heap.used_bytes = heap.used_bytes - (old - BLOCK_HDR) + (block_size(b) - BLOCK_HDR);
	return true;
}

void axalloc_heap_reset_locked(void)
{
	memset(&heap, 0, sizeof(heap));
}

void axalloc_heap_stats_locked(struct axalloc_stats *st)
{
	st->heap_pages = heap.chunk_pages + heap.large_pages;
	st->heap_used_bytes = heap.used_bytes;
	st->heap_allocs = heap.allocs;
	st->heap_frees = heap.frees;
}

/* alloc_locked under the allocator lock, counting a failure. */
static void *alloc_counted(size_t size, size_t align)
{
	spin_lock(&axalloc_lock);
	void *p = alloc_locked(size, align);
	if (!p)
		axalloc_count_failure_locked();
	spin_unlock(&axalloc_lock);
	return p;
}

void *kmalloc(size_t size)
{
	return alloc_counted(size, HEAP_ALIGN);
}

void *kcalloc(size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	void *p = kmalloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *kmemalign(size_t align, size_t size)
{
	if (!is_pow2(align) || align > PAGE_SIZE)
		return NULL;
	if (align < HEAP_ALIGN)
		align = HEAP_ALIGN;
	return alloc_counted(size, align);
}

void *krealloc(void *p, size_t size)
{
	if (!p)
		return kmalloc(size);
	if (size == 0) {
		kfree(p);
		return NULL;
	}
	spin_lock(&axalloc_lock);
	void *q = p;
	if (!resize_in_place_locked(p, size)) {
		size_t old = usable_size(p);
		q = alloc_locked(size, HEAP_ALIGN);
		if (q) {
			memcpy(q, p, old < size ? old : size);
			free_locked(p);
		} else if (size <= old) {
			q = p; /* a shrink that cannot move keeps its block */
		} else {
			axalloc_count_failure_locked();
		}
	}
	spin_unlock(&axalloc_lock);
	return q;
}

void kfree(void *p)
{
	if (!p)
		return;
	spin_lock(&axalloc_lock);
	free_locked(p);
	spin_unlock(&axalloc_lock);
}

/* Checks the blocks of chunk c; adds its free blocks, spare chunks and used bytes to the totals. */
static int check_chunk(struct heap_chunk *c, uint64_t *nr_free, unsigned *spare, uint64_t *used)
{
	if (c->magic != CHUNK_MAGIC || c->npages != CHUNK_PAGES)
		return -EFAULT;
	struct hblock *sentinel = chunk_sentinel(c);
	struct hblock *prev = NULL;
	struct hblock *b = chunk_first_block(c);
	while (b < sentinel) {
		size_t size = block_size(b);
		if (b->prev_phys != prev || size < BLOCK_MIN || (b->size & BLOCK_LARGE) ||
		    size > (size_t)((char *)sentinel - (char *)b))
			return -EFAULT;
		if (block_is_free(b)) {
			if (prev && block_is_free(prev))
				return -EFAULT;
			(*nr_free)++;
			if (block_is_whole_chunk(b))
				(*spare)++;
		} else {
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
static int check_free_lists(uint64_t nr_free)
{
	uint64_t listed = 0;

	for (unsigned fl = 0; fl < FL_COUNT; fl++) {
		if (((heap.fl_bitmap >> fl) & 1) != (heap.sl_bitmap[fl] != 0))
			return -EFAULT;
		for (unsigned sl = 0; sl < SL_COUNT; sl++) {
			struct hblock *b = heap.free_lists[fl][sl];
			if (((heap.sl_bitmap[fl] >> sl) & 1) != (b != NULL))
				return -EFAULT;
			for (struct hblock *prev = NULL; b; prev = b, b = b->next_free) {
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

/* Checks every heap invariant; 0 or -EFAULT. */
static int check_locked(void)
{
	uint64_t nr_free = 0, used = 0, pages = 0, large_used;
	unsigned spare = 0;

	for (struct heap_chunk *c = heap.chunks; c; c = c->next) {
		if (c->next && c->next->prev != c)
			return -EFAULT;
		if (check_chunk(c, &nr_free, &spare, &used) != 0)
			return -EFAULT;
		pages += c->npages;
	}
	if (pages != heap.chunk_pages || spare != heap.spare_chunks || spare > SPARE_CHUNKS)
		return -EFAULT;
	if (used > heap.used_bytes)
		return -EFAULT;
	/* What is left of used_bytes belongs to large runs, which lie inside their pages. */
	large_used = heap.used_bytes - used;
	if (large_used > heap.large_pages * PAGE_SIZE ||
	    (heap.large_pages == 0) != (large_used == 0))
		return -EFAULT;
	return check_free_lists(nr_free);
}

int axalloc_heap_check(void)
{
	spin_lock(&axalloc_lock);
	int ret = check_locked();
	spin_unlock(&axalloc_lock);
	return ret;
}

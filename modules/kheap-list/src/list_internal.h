/*
 * list_internal.h - what the list heap's files share: the chunk and block
 * headers, the walk from a block to its neighbours and its chunk, and the
 * operations that one file defines and others call. The design is told in
 * <kheap-list/list.h>.
 *
 * A chunk (LIST_CHUNK_BYTES, page-aligned):
 *
 *   | struct list_chunk | block | block | ... | block |
 *   0                   LIST_CHUNK_HDR                LIST_CHUNK_BYTES
 *
 * A block: | struct list_block | payload ... |, the payload 16-aligned; a
 * free block's payload starts with its struct list_head on the free list.
 * A large run: | struct list_chunk | (gap) | struct list_block | payload |,
 * the payload aligned as asked, the run as many pages as it needs.
 */
#ifndef KHEAP_LIST_INTERNAL_H
#define KHEAP_LIST_INTERNAL_H

#include <kheap-list/list.h>
#include <klib/list.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIST_CHUNK_BYTES ((size_t)LIST_CHUNK_PAGES * PAGE_SIZE)

/* What the chunk header of every chunk and large run starts with ("LISTCHNK"). */
#define LIST_CHUNK_MAGIC 0x4b4e48435453494cULL

/* The header of every chunk and large run. */
struct list_chunk {
	_Alignas(16) uint64_t magic; /* LIST_CHUNK_MAGIC */
	struct list_kheap *heap;     /* the heap holding it */
	struct list_head link;	     /* on heap->chunks */
	size_t npages;		     /* LIST_CHUNK_PAGES, or the pages of a large run */
	/* 0 in a chunk of blocks; in a large run, the offset of its LARGE block's header. */
	uint32_t large_block;
};

/* The tags of a block header ("LIVE", "FREE", "LARG" in memory). */
#define LIST_TAG_LIVE  0x4556494cU
#define LIST_TAG_FREE  0x45455246U
#define LIST_TAG_LARGE 0x4752414cU

/* The header of every block, right below its payload. */
struct list_block {
	uint32_t size;	    /* bytes of the block, this header included (16 * k); 0 if LARGE */
	uint32_t prev_size; /* size of the block just below in the chunk; 0 for the first */
	uint32_t offset;    /* bytes from the start of the chunk to this header */
	uint32_t tag;	    /* LIST_TAG_LIVE, LIST_TAG_FREE or LIST_TAG_LARGE */
};

/* Bytes of a block header and of a chunk header. */
#define LIST_HDR       sizeof(struct list_block)
#define LIST_CHUNK_HDR sizeof(struct list_chunk)
/* The smallest block: a header and the free-list links (or 16 bytes of payload). */
#define LIST_MIN_BLOCK (LIST_HDR + sizeof(struct list_head))
/* Bytes of blocks in a chunk. */
#define LIST_CHUNK_SPACE (LIST_CHUNK_BYTES - LIST_CHUNK_HDR)

_Static_assert(sizeof(struct list_block) == 16, "a block header keeps payloads 16-aligned");
_Static_assert(sizeof(struct list_chunk) % 16 == 0, "the first block header is 16-aligned");
_Static_assert(LIST_CHUNK_BYTES <= UINT32_MAX, "block sizes and offsets are 32-bit");

/* The list heap whose head is h. */
#define list_of(h) container_of(h, struct list_kheap, heap)

/*
 * A search: the free block a block of `need` bytes aligned to `align`
 * goes into (list_fits), or NULL when no free block fits.
 */
typedef struct list_block *list_fit_fn(struct list_kheap *lh, size_t need, size_t align);

/* The header of the block whose payload is p. */
static inline struct list_block *block_of(const void *p)
{
	return (struct list_block *)p - 1;
}

/* The payload of block b. */
static inline void *block_payload(const struct list_block *b)
{
	return (void *)(b + 1);
}

/* The chunk (or large run) holding block b. */
static inline struct list_chunk *block_chunk(const struct list_block *b)
{
	return (struct list_chunk *)((char *)b - b->offset);
}

/* True if b is the first block of its chunk (it has no left neighbour). */
static inline bool block_is_first(const struct list_block *b)
{
	return b->prev_size == 0;
}

/* True if b is the last block of its chunk (it has no right neighbour). */
static inline bool block_is_last(const struct list_block *b)
{
	return b->offset + b->size == LIST_CHUNK_BYTES;
}

/* The right neighbour of b (b not the last block). */
static inline struct list_block *block_next(const struct list_block *b)
{
	return (struct list_block *)((char *)b + b->size);
}

/* The left neighbour of b (b not the first block). */
static inline struct list_block *block_prev(const struct list_block *b)
{
	return (struct list_block *)((char *)b - b->prev_size);
}

/* True if b is the only block of its chunk: the chunk is wholly free when b is. */
static inline bool block_spans_chunk(const struct list_block *b)
{
	return b->offset == LIST_CHUNK_HDR && b->size == LIST_CHUNK_SPACE;
}

/* The free-list links of the free block b (in its payload). */
static inline struct list_head *block_link(struct list_block *b)
{
	return (struct list_head *)(b + 1);
}

/* The free block whose links are l. */
static inline struct list_block *link_block(struct list_head *l)
{
	return (struct list_block *)l - 1;
}

/* The block size a request of `size` bytes (1 .. KHEAP_MAX_SIZE) needs. */
static inline size_t list_need(size_t size)
{
	return LIST_HDR + ALIGN_UP(size, (size_t)KHEAP_MIN_ALIGN);
}

/*
 * Bytes from the start of free block b to the header of a block whose
 * payload is aligned to `align`: 0, or a gap big enough to be a free block
 * of its own (a 16-byte gap is pushed one `align` further).
 */
static inline size_t list_gap(const struct list_block *b, size_t align)
{
	uintptr_t payload = (uintptr_t)block_payload(b);
	size_t gap = ALIGN_UP(payload, (uintptr_t)align) - payload;

	return gap != 0 && gap < LIST_MIN_BLOCK ? gap + align : gap;
}

/* True if free block b can hold a block of `need` bytes aligned to `align`. */
static inline bool list_fits(const struct list_block *b, size_t need, size_t align)
{
	return b->size >= need && list_gap(b, align) <= b->size - need;
}

/*
 * True if a request of `size` bytes aligned to `align` is served from a
 * chunk: its block fits in a chunk after the largest gap `align` may need.
 */
static inline bool list_in_chunk(size_t size, size_t align)
{
	size_t max_gap = align == KHEAP_MIN_ALIGN ? 0 : align + KHEAP_MIN_ALIGN;

	return list_need(size) + max_gap <= LIST_CHUNK_SPACE;
}

/* list.c: the state, and allocation with `fit` as the search. */
void listheap_init(struct kheap *h);
void *listheap_alloc(struct kheap *h, size_t size, size_t align, list_fit_fn *fit);

/* list_block.c: the blocks of chunks (contracts there). */
void free_list_push(struct list_kheap *lh, struct list_block *b);
void free_list_remove(struct list_kheap *lh, struct list_block *b);
struct list_block *block_split(struct list_block *b, size_t size, uint32_t tag);
void block_absorb_next(struct list_block *b);
void *block_take(struct list_kheap *lh, struct list_block *b, size_t need, size_t align);
void block_trim(struct list_kheap *lh, struct list_block *b, size_t size);
void block_release(struct list_kheap *lh, struct list_block *b);

/* list_chunk.c: chunks and large runs (contracts there). */
struct list_block *chunk_add(struct list_kheap *lh);
void chunk_put(struct list_kheap *lh, struct list_chunk *c);
void *large_alloc(struct list_kheap *lh, size_t size, size_t align);
void large_free(struct list_kheap *lh, struct list_block *b);
size_t large_usable(const struct list_block *b);
bool large_resize(struct list_kheap *lh, struct list_block *b, size_t size);

/* list_free.c, list_resize.c, list_stats.c, list_check.c: the other ops. */
int listheap_free(struct kheap *h, void *p);
size_t listheap_usable_size(const struct kheap *h, const void *p);
size_t listheap_live_size(const struct kheap *h, const void *p);
bool listheap_resize(struct kheap *h, void *p, size_t size);
void listheap_stats(const struct kheap *h, struct kheap_stats *st);
int listheap_check(const struct kheap *h);

#endif

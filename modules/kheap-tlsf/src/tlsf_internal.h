/*
 * tlsf_internal.h - what the files of kheap-tlsf share (private to src/).
 *
 * All of the heap's memory is in regions aligned to TLSF_CHUNK_BYTES, each
 * starting with a struct tlsf_region whose magic says what it is: a chunk
 * of TLSF blocks (tlsf.c), a chunk of small-object pages (tlsf_small.c) or
 * a large run of pages of one allocation (tlsf.c). Every block's address
 * rounded down to TLSF_CHUNK_BYTES is its region's header, so one load
 * tells which code owns a pointer.
 */
#ifndef KHEAP_TLSF_INTERNAL_H
#define KHEAP_TLSF_INTERNAL_H

#include <kheap-tlsf/tlsf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGION_BLOCKS 0x6b686561704b4348UL /* a chunk of TLSF blocks */
#define REGION_SMALL  0x6b6865617053534dUL /* a chunk of small-object pages */
#define REGION_LARGE  0x6b686561704c5247UL /* a large run */

/* The header at the start of every region; regions of a kind are listed through next/prev. */
struct tlsf_region {
	struct tlsf_region *next;
	struct tlsf_region *prev;
	uint64_t npages;
	uint64_t magic;
	uint64_t payload; /* a large run: where its payload starts, from the run's start */
	uint64_t unused;  /* keeps the header a multiple of 16 bytes */
};

/* The header of the region that holds the heap address p. */
static inline struct tlsf_region *region_of(const void *p)
{
	return (struct tlsf_region *)((uintptr_t)p & ~(uintptr_t)(TLSF_CHUNK_BYTES - 1));
}

/* Adds r at the head of the list *head. */
void region_link(struct tlsf_region **head, struct tlsf_region *r);

/* Takes r out of the list *head. */
void region_unlink(struct tlsf_region **head, struct tlsf_region *r);

/* Small objects (tlsf_small.c): requests of up to TLSF_SMALL_MAX bytes, 16-aligned. */

/* An object of at least `size` (1..TLSF_SMALL_MAX) bytes, or NULL when out of pages. */
void *small_alloc(struct tlsf_kheap *t, size_t size);

/*
 * The usable size of p, in a small region, if p is a live object there,
 * else 0 (not an object's start, or free).
 */
size_t small_live_size(const void *p);

/* The usable size of the live object p, in a small region. */
size_t small_usable_size(const void *p);

/* Frees p, in a small region: 0, -EINVAL (not an object's start) or -ENOENT (free). */
int small_free(struct tlsf_kheap *t, void *p);

/*
 * Checks every small region and page list: 0, with the objects in use and
 * their bytes in *live and *bytes, or -EFAULT.
 */
int small_check(const struct tlsf_kheap *t, uint64_t *live, uint64_t *bytes);

#endif

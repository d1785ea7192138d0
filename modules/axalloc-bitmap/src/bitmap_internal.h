/*
 * bitmap_internal.h - what the bitmap allocator's files share: the way from
 * the interface's struct pgalloc to the allocator, and the operations that
 * bitmap.c's ops table names but other files define.
 */
#ifndef AXALLOC_BITMAP_INTERNAL_H
#define AXALLOC_BITMAP_INTERNAL_H

#include <axalloc-bitmap/bitmap.h>
#include <klib/list.h>

/* The bitmap allocator whose interface head is pg. */
#define bitmap_of(pg) container_of(pg, struct bitmap_pgalloc, pgalloc)

/* Set bits among indices [start, end) of a bitmap of 64-bit words, a word at a time. */
uint64_t bitmap_count_bits(const uint64_t *bits, uint64_t start, uint64_t end);

/* pgalloc_meta_bytes: about 33.6 KiB per GiB (32 KiB of it the page bitmap). */
size_t bitmap_meta_bytes(paddr_t base, uint64_t size);

/*
 * pgalloc_stats: free_blocks[o] decomposes every free run of every range
 * into maximal 2^o-page blocks naturally aligned by physical address, as a
 * buddy allocator would hold them. O(managed pages / 64).
 */
void bitmap_stats(const struct pgalloc *pg, struct pgalloc_stats *st);

/*
 * pgalloc_check: ranges sorted and disjoint; no free bit outside a range;
 * summary levels match; chunk counters equal the full children (free pages,
 * free 2M chunks) of each chunk; full-chunk bits match the counters; the
 * hint bound holds; page and metadata totals add up. O(managed pages).
 */
int bitmap_check(const struct pgalloc *pg);

#endif

/*
 * kheap_model.h - a shadow model of a byte heap: the blocks it must hold
 * and the counters it must show.
 *
 * The model keeps every live block (address, requested size, usable size,
 * the tag of the pattern written into it) in a table for picking blocks by
 * index and in an interval tree (klib/interval_tree.h) of [p, p + usable)
 * that refuses any overlap, and the counters that <kheap/kheap.h> says a
 * heap's stats show: allocs, frees, failed, bad_frees, live and used_bytes
 * (the sum of the live blocks' usable sizes). It knows nothing of any
 * heap's layout: the checker (kheap_checker.h) drives a heap and this model
 * in step and compares them.
 *
 * Block contents: every live block is filled over its whole usable size
 * with a pattern of 64-bit words derived from its tag and the word's
 * offset, so that any byte changed by the heap (or by a neighbour's fill)
 * is found and a prefix carried over by a realloc can be checked.
 */
#ifndef TESTS_KHEAP_MODEL_H
#define TESTS_KHEAP_MODEL_H

#include <klib/interval_tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One live block. */
struct kbm_block {
	struct interval_node node; /* [p, p + usable) */
	void *p;
	size_t size;   /* bytes asked for */
	size_t usable; /* kheap_usable_size when it was made */
	uint64_t tag;  /* of the pattern that fills [p, p + usable) */
	size_t pos;    /* index in kheap_model.live */
};

struct kheap_model {
	struct kbm_block **live; /* nr_live blocks, in no order */
	size_t nr_live;
	size_t cap_live;
	struct interval_tree tree;
	uint64_t next_tag;
	/* What the heap's stats must show. */
	uint64_t allocs, frees, failed, bad_frees, used_bytes;
};

void kbm_init(struct kheap_model *m);

/* Forgets every block (the heap's memory is not touched). */
void kbm_destroy(struct kheap_model *m);

/*
 * Records a new live block [p, p + usable) asked for with `size` bytes and
 * fills it with a fresh pattern; returns NULL, or leaves the model as it
 * was and returns the block's overlap with a live block as a description.
 * Counts nothing: the checker keeps the counters.
 */
const char *kbm_add(struct kheap_model *m, void *p, size_t size, size_t usable);

/* Forgets the live block b (the pattern stays in memory). */
void kbm_remove(struct kheap_model *m, struct kbm_block *b);

/*
 * Records that the live block b now spans [p, p + usable) for `size` bytes
 * (a realloc) and refills it with a fresh pattern; returns NULL, or the
 * overlap (b is then left as it was).
 */
const char *kbm_move(struct kheap_model *m, struct kbm_block *b, void *p, size_t size,
		     size_t usable);

/* The live block starting at p, or NULL. */
struct kbm_block *kbm_find(const struct kheap_model *m, const void *p);

/* The live block holding the byte at p (start or not), or NULL. */
struct kbm_block *kbm_containing(const struct kheap_model *m, const void *p);

/* Writes the pattern of `tag` over p[0..n) (p 8-aligned). */
void kbm_fill(void *p, size_t n, uint64_t tag);

/* The offset of the first byte of p[0..n) that differs from the pattern of `tag`, or n. */
size_t kbm_verify(const void *p, size_t n, uint64_t tag);

#endif

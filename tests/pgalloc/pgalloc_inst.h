/*
 * pgalloc_inst.h - a page allocator of either kind plus the host buffers that
 * hold its out-of-band metadata, for the contract tests, the fuzzer and the
 * benchmark. They are written once against <pgalloc/pgalloc.h> and run for
 * every entry of pgalloc_all_ops[].
 *
 * Header-only: host.mk links only the test program's own .c file plus the
 * deps' sources, so shared test code lives in static inline functions.
 */
#ifndef TESTS_PGALLOC_INST_H
#define TESTS_PGALLOC_INST_H

#include <axalloc-bitmap/bitmap.h>
#include <axalloc-buddy/buddy.h>
#include <pgalloc/pgalloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PGALLOC_NR_ALLOCATORS 2
static const struct pgalloc_ops *const pgalloc_all_ops[PGALLOC_NR_ALLOCATORS] = {
    &bitmap_pgalloc_ops,
    &buddy_pgalloc_ops,
};

/*
 * Whether allocators of kind `ops` promise the lowest-address fit for every
 * request, which the checkers then hold them to: the bitmap allocator does
 * (<axalloc-bitmap/bitmap.h>); the buddy allocator places by block.
 */
static inline bool pgalloc_places_lowest(const struct pgalloc_ops *ops)
{
	return ops == &bitmap_pgalloc_ops;
}

/* Byte that fills metadata buffers before add_memory sees them. */
#define PGALLOC_META_JUNK 0xa5

/* One allocator instance plus the metadata buffers handed to add_memory. */
struct pgalloc_inst {
	const struct pgalloc_ops *ops;
	struct pgalloc *pg; /* ops->state_size bytes of host memory */
	void *meta[PGALLOC_MAX_RANGES + 1];
	size_t meta_size[PGALLOC_MAX_RANGES + 1];
	unsigned nr_meta;
};

/* Creates an initialised, empty instance of `ops` (aborts if out of host memory). */
static inline void pgalloc_inst_create(struct pgalloc_inst *in, const struct pgalloc_ops *ops)
{
	memset(in, 0, sizeof(*in));
	in->ops = ops;
	in->pg = calloc(1, ops->state_size);
	if (!in->pg)
		abort();
	pgalloc_init(in->pg, ops);
}

/* Releases the allocator state and every metadata buffer. */
static inline void pgalloc_inst_destroy(struct pgalloc_inst *in)
{
	for (unsigned i = 0; i < in->nr_meta; i++)
		free(in->meta[i]);
	free(in->pg);
	memset(in, 0, sizeof(*in));
}

/*
 * add_memory with a freshly malloc'ed metadata buffer of exactly
 * pgalloc_meta_bytes(base, size) bytes (so ASan catches any write past it),
 * filled with a junk pattern first: the contract allows any initial
 * contents, and every page of it is then touched before the allocator runs
 * (benchmarks do not time first-touch page faults). The buffer is kept on
 * success and released on failure. Returns the allocator's result.
 */
static inline int pgalloc_inst_add(struct pgalloc_inst *in, paddr_t base, uint64_t size)
{
	size_t bytes = 0;
	/* meta_bytes is only meaningful for a valid range; keep a 1-byte buffer otherwise. */
	if (size != 0 && IS_ALIGNED(base | size, PAGE_SIZE_4K) && base + size > base)
		bytes = pgalloc_meta_bytes(in->ops, base, size);
	void *meta = malloc(bytes ? bytes : 1);
	if (!meta)
		abort();
	memset(meta, PGALLOC_META_JUNK, bytes);
	int rc = pgalloc_add_memory(in->pg, base, size, meta);
	if (rc == 0) {
		/* More than PGALLOC_MAX_RANGES + 1 accepted ranges: the contract is broken. */
		if (in->nr_meta > PGALLOC_MAX_RANGES)
			abort();
		in->meta[in->nr_meta] = meta;
		in->meta_size[in->nr_meta] = bytes;
		in->nr_meta++;
	} else {
		free(meta);
	}
	return rc;
}

/* Sum of the metadata buffers handed to successful add_memory calls. */
static inline size_t pgalloc_inst_meta_total(const struct pgalloc_inst *in)
{
	size_t sum = 0;
	for (unsigned i = 0; i < in->nr_meta; i++)
		sum += in->meta_size[i];
	return sum;
}

static inline void pgalloc_inst_stats(const struct pgalloc_inst *in, struct pgalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	pgalloc_stats(in->pg, st);
}

#endif

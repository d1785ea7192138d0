/*
 * pgalloc_ops.h - one function table over both physical page allocators.
 *
 * axalloc-bitmap and axalloc-buddy expose the same contract under their own
 * prefixes (see <pgalloc/pgalloc.h>). The test suites, the fuzzer and the
 * benchmark are written once against `struct pgalloc_ops` and run for every
 * entry of pgalloc_all_ops[]. struct pgalloc_inst bundles one allocator
 * instance with the host buffers that hold its out-of-band metadata.
 *
 * Header-only: host.mk links only the test program's own .c file plus the
 * deps' sources, so shared test code lives in static inline functions.
 */
#ifndef TESTS_PGALLOC_OPS_H
#define TESTS_PGALLOC_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pgalloc/pgalloc.h>
#include <axalloc-bitmap/bitmap.h>
#include <axalloc-buddy/buddy.h>

struct pgalloc_ops {
	const char *name;
	size_t state_size; /* sizeof the allocator's struct */
	void (*init)(void *a);
	size_t (*meta_bytes)(paddr_t base, uint64_t size);
	int (*add_memory)(void *a, paddr_t base, uint64_t size, void *meta);
	int (*alloc)(void *a, uint64_t n, uint64_t align, paddr_t *out);
	int (*alloc_at)(void *a, paddr_t addr, uint64_t n);
	int (*free)(void *a, paddr_t addr, uint64_t n);
	void (*stats)(const void *a, struct pgalloc_stats *st);
	int (*check)(const void *a);
};

/* Defines the wrappers and the table pgalloc_<X>_ops for allocator prefix X. */
#define PGALLOC_OPS_DEFINE(X)                                                                  \
	static inline void pgalloc_##X##_init(void *a)                                         \
	{                                                                                      \
		X##_init((struct X##_alloc *)a);                                               \
	}                                                                                      \
	static inline int pgalloc_##X##_add_memory(void *a, paddr_t base, uint64_t size,       \
						   void *meta)                                 \
	{                                                                                      \
		return X##_add_memory((struct X##_alloc *)a, base, size, meta);                \
	}                                                                                      \
	static inline int pgalloc_##X##_alloc(void *a, uint64_t n, uint64_t align, paddr_t *out) \
	{                                                                                      \
		return X##_alloc((struct X##_alloc *)a, n, align, out);                        \
	}                                                                                      \
	static inline int pgalloc_##X##_alloc_at(void *a, paddr_t addr, uint64_t n)            \
	{                                                                                      \
		return X##_alloc_at((struct X##_alloc *)a, addr, n);                           \
	}                                                                                      \
	static inline int pgalloc_##X##_free(void *a, paddr_t addr, uint64_t n)                \
	{                                                                                      \
		return X##_free((struct X##_alloc *)a, addr, n);                               \
	}                                                                                      \
	static inline void pgalloc_##X##_stats(const void *a, struct pgalloc_stats *st)        \
	{                                                                                      \
		X##_stats((const struct X##_alloc *)a, st);                                    \
	}                                                                                      \
	static inline int pgalloc_##X##_check(const void *a)                                   \
	{                                                                                      \
		return X##_check((const struct X##_alloc *)a);                                 \
	}                                                                                      \
	static const struct pgalloc_ops pgalloc_##X##_ops = {                                  \
		.name = #X,                                                                    \
		.state_size = sizeof(struct X##_alloc),                                        \
		.init = pgalloc_##X##_init,                                                    \
		.meta_bytes = X##_meta_bytes,                                                  \
		.add_memory = pgalloc_##X##_add_memory,                                        \
		.alloc = pgalloc_##X##_alloc,                                                  \
		.alloc_at = pgalloc_##X##_alloc_at,                                            \
		.free = pgalloc_##X##_free,                                                    \
		.stats = pgalloc_##X##_stats,                                                  \
		.check = pgalloc_##X##_check,                                                  \
	}

PGALLOC_OPS_DEFINE(bitmap);
PGALLOC_OPS_DEFINE(buddy);

#define PGALLOC_NR_ALLOCATORS 2
static const struct pgalloc_ops *const pgalloc_all_ops[PGALLOC_NR_ALLOCATORS] = {
	&pgalloc_bitmap_ops,
	&pgalloc_buddy_ops,
};

/* Byte that fills metadata buffers before add_memory sees them. */
#define PGALLOC_META_JUNK 0xa5

/* One allocator instance plus the metadata buffers handed to add_memory. */
struct pgalloc_inst {
	const struct pgalloc_ops *ops;
	void *a;
	void *meta[PGALLOC_MAX_RANGES + 1];
	size_t meta_size[PGALLOC_MAX_RANGES + 1];
	unsigned nr_meta;
};

/* Creates an initialised, empty instance of `ops` (aborts if out of host memory). */
static inline void pgalloc_inst_create(struct pgalloc_inst *in, const struct pgalloc_ops *ops)
{
	memset(in, 0, sizeof(*in));
	in->ops = ops;
	in->a = calloc(1, ops->state_size);
	if (!in->a)
		abort();
	ops->init(in->a);
}

/* Releases the allocator state and every metadata buffer. */
static inline void pgalloc_inst_destroy(struct pgalloc_inst *in)
{
	for (unsigned i = 0; i < in->nr_meta; i++)
		free(in->meta[i]);
	free(in->a);
	memset(in, 0, sizeof(*in));
}

/*
 * add_memory with a freshly malloc'ed metadata buffer of exactly
 * ops->meta_bytes(base, size) bytes (so ASan catches any write past it),
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
		bytes = in->ops->meta_bytes(base, size);
	void *meta = malloc(bytes ? bytes : 1);
	if (!meta)
		abort();
	memset(meta, PGALLOC_META_JUNK, bytes);
	int rc = in->ops->add_memory(in->a, base, size, meta);
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
	in->ops->stats(in->a, st);
}

#endif

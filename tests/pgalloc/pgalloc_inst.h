/*
 * pgalloc_inst.h - a page allocator of either kind plus the host buffers that
 * hold its out-of-band metadata, for the contract tests, the fuzzer and the
 * benchmark. They are written once against <pgalloc/pgalloc.h> and run for
 * every entry of pgalloc_all_ops[].
 */
#ifndef TESTS_PGALLOC_INST_H
#define TESTS_PGALLOC_INST_H

#include <pgalloc/pgalloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PGALLOC_NR_ALLOCATORS 2
/* Every allocator kind, for the suites that run once per kind. */
extern const struct pgalloc_ops *const pgalloc_all_ops[PGALLOC_NR_ALLOCATORS];

/*
 * Whether allocators of kind `ops` promise the lowest-address fit for every
 * request, which the checkers then hold them to: the bitmap allocator does
 * (<axalloc-bitmap/bitmap.h>); the buddy allocator places by block.
 */
bool pgalloc_places_lowest(const struct pgalloc_ops *ops);

/* Byte that fills metadata buffers before add_memory sees them. */
#define PGALLOC_META_JUNK 0xa5

/* One allocator instance plus the metadata buffers handed to add_memory. */
struct pgalloc_inst {
	const struct pgalloc_ops *ops;
	struct pgalloc *pg; /* ops->state_size bytes of host memory */
	void *meta[PGALLOC_MAX_RANGES];
	size_t meta_size[PGALLOC_MAX_RANGES];
	unsigned nr_meta;
};

/* Creates an initialised, empty instance of `ops` (aborts if out of host memory). */
void pgalloc_inst_create(struct pgalloc_inst *in, const struct pgalloc_ops *ops);

/* Releases the allocator state and every metadata buffer. */
void pgalloc_inst_destroy(struct pgalloc_inst *in);

/*
 * add_memory with a freshly malloc'ed metadata buffer of exactly
 * pgalloc_meta_bytes(ops, base, size) bytes (so ASan catches any write past it),
 * filled with a junk pattern first: the contract allows any initial
 * contents, and every page of it is then touched before the allocator runs
 * (benchmarks do not time first-touch page faults). The buffer is kept on
 * success and released on failure. Returns the allocator's result.
 */
int pgalloc_inst_add(struct pgalloc_inst *in, paddr_t base, uint64_t size);

void pgalloc_inst_stats(const struct pgalloc_inst *in, struct pgalloc_stats *st);

/*
 * In a cmocka test: `call` on allocator pg must return err and leave pg's
 * stats byte for byte as they were and its invariants intact.
 */
#define assert_pgalloc_fails_unchanged(pg, call, err)                                              \
	do {                                                                                       \
		struct pgalloc_stats before_, after_;                                              \
		pgalloc_stats((pg), &before_);                                                     \
		assert_int_equal((call), (err));                                                   \
		pgalloc_stats((pg), &after_);                                                      \
		assert_memory_equal(&before_, &after_, sizeof(after_));                            \
		assert_int_equal(pgalloc_check(pg), 0);                                            \
	} while (0)

#endif

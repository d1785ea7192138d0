/*
 * kheap_all.h - every byte heap the heap tests run against, with what each
 * heap's header promises beyond the contract of <kheap/kheap.h>, and a heap
 * instance over the test page source (kheap_test_pages.h). The contract
 * suite, the stress test and the fuzzer are written once against these and
 * run for every entry of kheap_all[].
 *
 * A heap is listed when its CONFIG_KHEAP_<X> is set in host.config: adding
 * a heap is one #ifdef'd row of kheap_all[] (kheap_all.c) and its include.
 */
#ifndef TESTS_KHEAP_ALL_H
#define TESTS_KHEAP_ALL_H

#include <kheap/kheap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kheap_test_pages.h"

/*
 * The bad frees a heap's header says it answers (kheap_desc.detects); the
 * tests assert only those. In each case the heap must return the error and
 * be unchanged (stats equal but for bad_frees + 1, kheap_check 0).
 */
/* A pointer into a live block that is not 16-aligned (p + 8, p + 1): -EINVAL. */
#define KHEAP_DETECT_MISALIGNED (1u << 0)
/* A 16-aligned pointer into a live block past its start (p + 16, p + 32): -EINVAL. */
#define KHEAP_DETECT_INTERIOR (1u << 1)
/*
 * A block freed again right after its free, while the heap still holds its
 * pages (the free gave none back), of a size up to double_free_max: -ENOENT
 * (-EINVAL also accepted once the block has merged into a free neighbour).
 */
#define KHEAP_DETECT_DOUBLE (1u << 2)
/*
 * KHEAP_DETECT_INTERIOR holds whatever the caller wrote into the block:
 * the heap never trusts a block's contents (words that look like its own
 * headers included) to tell a block start.
 */
#define KHEAP_DETECT_FORGED (1u << 3)

/* What the tests need to know about one heap. */
struct kheap_desc {
	const struct kheap_ops *ops;
	size_t pages_bound;	/* most pages the heap keeps once every block is freed */
	unsigned detects;	/* KHEAP_DETECT_* */
	size_t double_free_max; /* largest request size KHEAP_DETECT_DOUBLE covers */
};

/* Every heap of the configuration, kheap_nr_heaps of them. */
extern const struct kheap_desc kheap_all[];
extern const unsigned kheap_nr_heaps;

/* The entry of kheap_all[] for `ops`; aborts when ops is not listed. */
const struct kheap_desc *kheap_desc_of(const struct kheap_ops *ops);

/* kheap_desc_of(ops)->pages_bound. */
size_t kheap_pages_bound(const struct kheap_ops *ops);

/* One heap over its own arena of test pages. */
struct kheap_inst {
	const struct kheap_desc *desc;
	struct kheap_test_pages tp;
	struct kheap *h; /* desc->ops->state_size bytes of host memory */
};

/*
 * Makes an empty heap of kind d over a fresh arena of arena_bytes (a
 * multiple of 2M); aborts when out of host memory.
 */
void kheap_inst_create(struct kheap_inst *in, const struct kheap_desc *d, size_t arena_bytes);

/* Releases the heap state and the arena, whatever is still allocated. */
void kheap_inst_destroy(struct kheap_inst *in);

/*
 * In a cmocka test: `call` on heap h must return `ret` and leave h's stats
 * byte for byte as they were, but for `failed` and `bad_frees` grown by
 * dfailed and dbad, and kheap_check must answer 0.
 */
#define assert_kheap_unchanged(h, call, ret, dfailed, dbad)                                        \
	do {                                                                                       \
		struct kheap_stats before_, after_;                                                \
		kheap_stats((h), &before_);                                                        \
		assert_true((call) == (ret));                                                      \
		kheap_stats((h), &after_);                                                         \
		before_.failed += (dfailed);                                                       \
		before_.bad_frees += (dbad);                                                       \
		assert_memory_equal(&before_, &after_, sizeof(after_));                            \
		assert_int_equal(kheap_check(h), 0);                                               \
	} while (0)

#endif

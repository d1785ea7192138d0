/*
 * kheap_checker.h - drives one heap and its shadow model in step.
 *
 * Every kc_* operation calls the heap through the kheap_*() functions,
 * checks the answer against what the contract allows, then updates the
 * model (kheap_model.h) and compares the heap's stats with it:
 *   - a block is aligned (to 16 and to the alignment asked for), holds at
 *     least the size asked for (kheap_usable_size), lies in pages the page
 *     source handed out, overlaps no live block, and calloc's is zeroed;
 *     the whole usable size is then filled with the block's pattern;
 *   - a NULL is allowed only for a bad request, or when the page source
 *     was told to fail (kc_fail_next) or the request could never fit; it
 *     leaves the stats byte for byte as they were, but for failed + 1 where
 *     the contract counts it (kheap.c), and takes no page;
 *   - a block's pattern is intact when it is freed or reallocated, and a
 *     realloc carries the first min(old usable, size) bytes over;
 *   - a bad free returns its error and changes nothing but bad_frees;
 *   - after every operation allocs, frees, failed, bad_frees, live and
 *     used_bytes equal the model's, pages equal the pages the page source
 *     has out, and pages * PAGE_SIZE >= used_bytes.
 * Every check_every operations it runs kheap_check (which must change
 * nothing), and every verify_every operations it reads every live block's
 * pattern and usable size back.
 *
 * On the first mismatch an operation returns false and leaves a one-line
 * description in c->err; the caller reports it (cmocka fail_msg with the
 * seed in the tests, abort() in the fuzzer). With c->trace set every call
 * is printed to stderr as it happens.
 */
#ifndef TESTS_KHEAP_CHECKER_H
#define TESTS_KHEAP_CHECKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kheap_all.h"
#include "kheap_model.h"
#include "test_src.h"

#define KC_ERR_LEN 512

struct kheap_checker {
	struct kheap_inst inst;
	struct kheap_model model;
	unsigned check_every;  /* kheap_check every this many operations (>= 1) */
	unsigned verify_every; /* read back every live block every this many operations; 0: never */
	size_t max_live;       /* kc_step frees once this many blocks are live */
	bool trace;	       /* print every call and its result to stderr */
	bool armed;	       /* the page source was told to fail (kc_fail_next, kc_fail_after) */
	bool arm_once;	       /* ... for the next operation only */
	uint64_t nr_ops;       /* operations so far */
	void *last;	       /* the pointer the last operation returned */
	int last_rc;	       /* the return code of the last free, or 0 */
	char err[KC_ERR_LEN];
};

/*
 * Starts a checker over a fresh, empty heap of kind d with an arena of
 * arena_bytes (a multiple of 2M). verify_every starts at 0 and max_live at
 * 512.
 */
void kc_create(struct kheap_checker *c, const struct kheap_desc *d, size_t arena_bytes,
	       unsigned check_every);

/* Releases the heap, its arena and the model. */
void kc_destroy(struct kheap_checker *c);

/*
 * Makes the page source fail after n more successful page allocations,
 * for the next kc_* operation only (then it never fails again).
 */
void kc_fail_next(struct kheap_checker *c, long n);

/*
 * Makes the page source fail after n more successful page allocations
 * until kc_fail_after(c, -1) (n < 0: never fail).
 */
void kc_fail_after(struct kheap_checker *c, long n);

/* kheap_alloc(size); c->last gets the block (or NULL), kept in the model. */
bool kc_alloc(struct kheap_checker *c, size_t size);

/* kheap_memalign(align, size): NULL, unchanged stats, when align is bad. */
bool kc_memalign(struct kheap_checker *c, size_t align, size_t size);

/* kheap_calloc(n, size): NULL, unchanged stats, when n * size overflows. */
bool kc_calloc(struct kheap_checker *c, size_t n, size_t size);

/* kheap_realloc of the live block b (NULL: of NULL) to `size`; c->last gets the answer. */
bool kc_realloc(struct kheap_checker *c, struct kbm_block *b, size_t size);

/* kheap_free of the live block b, which must return 0. */
bool kc_free(struct kheap_checker *c, struct kbm_block *b);

/*
 * kheap_free(b->p + off), 0 < off < b->usable, which must return -EINVAL
 * and change nothing but bad_frees, when the heap says it detects that
 * (KHEAP_DETECT_MISALIGNED for off % 16 != 0, else KHEAP_DETECT_INTERIOR);
 * otherwise nothing is done. c->last_rc gets the answer (0: not tried).
 */
bool kc_bad_free(struct kheap_checker *c, struct kbm_block *b, size_t off);

/*
 * kc_free(b), then, when the heap says it detects it (KHEAP_DETECT_DOUBLE,
 * b->size <= double_free_max) and the free gave no page back, the same
 * pointer again: it must return -ENOENT (or, unless `strict`, -EINVAL) and
 * change nothing but bad_frees. c->last_rc gets the second answer (0: not
 * tried).
 */
bool kc_double_free(struct kheap_checker *c, struct kbm_block *b, bool strict);

/*
 * Checks everything at once: stats against the model, kheap_check, and
 * every live block's usable size and pattern.
 */
bool kc_verify(struct kheap_checker *c);

/*
 * Frees every live block in an order drawn from src, then checks that the
 * heap is empty (live 0, used_bytes 0, kheap_check 0) and keeps at most
 * the pages its description allows.
 */
bool kc_free_all(struct kheap_checker *c, struct test_src *src);

/*
 * One operation drawn from src: alloc, memalign, calloc, realloc or free
 * of sizes 1..64K biased small, now and then a bad request, a bad free the
 * heap says it detects, or an operation whose page allocations fail.
 */
bool kc_step(struct kheap_checker *c, struct test_src *src);

/*
 * In a cmocka test of a seeded run: unless `call` (a kc_* operation on
 * checker c) returns true, fails the running case with the seed, as
 * TEST_SEED=<seed> to replay it, and c's description of the mismatch.
 */
#define kc_assert_seeded(c, seed, call)                                                            \
	do {                                                                                       \
		if (!(call))                                                                       \
			fail_msg("TEST_SEED=%llu: %s", (unsigned long long)(seed), (c)->err);      \
	} while (0)

/* In a cmocka test: unless `call` (a kc_* operation on checker c) returns true, fails the case. */
#define kc_assert(c, call)                                                                         \
	do {                                                                                       \
		if (!(call))                                                                       \
			fail_msg("%s", (c)->err);                                                  \
	} while (0)

#endif

/*
 * slab_fixture.h - what the slab heap's tests share: a slab heap over the
 * heap tests' page source, the assertions every test makes about it, and
 * byte patterns that show whether a block kept its contents.
 */
#ifndef SLAB_FIXTURE_H
#define SLAB_FIXTURE_H

#include <kheap-slab/slab.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kheap_test_pages.h"

/* The page source's arena: far more than any test holds at once. */
#define SLAB_FIXTURE_ARENA_BYTES ((size_t)128 << 20)

struct slab_fixture {
	struct kheap_test_pages tp;
	struct slab_kheap h;
};

/* The fixture of the test programs: slab_setup and slab_teardown make and release it. */
extern struct slab_fixture fx;

/* cmocka setup and teardown of fx. */
int slab_setup(void **state);
int slab_teardown(void **state);

/* The seed of the test named `test` (TEST_SEED, else a fixed one), printed so a failure replays. */
uint64_t slab_seed_for(const char *test);

/* A new empty slab heap over a new arena. */
void slab_fixture_create(struct slab_fixture *f);

/* Releases the arena, whatever the heap still holds. */
void slab_fixture_destroy(struct slab_fixture *f);

/* kheap_stats of f's heap. */
struct kheap_stats slab_stats(struct slab_fixture *f);

/* Fails the test unless the heap's own fields of a and b (pages .. meta_bytes) are equal. */
void assert_stats_equal(const struct kheap_stats *a, const struct kheap_stats *b);

/*
 * Fails the test unless kheap_check passes, the heap holds exactly the
 * pages the page source has out and reports no metadata outside them.
 */
void assert_heap_consistent(struct slab_fixture *f);

/*
 * Fails the test unless kheap_live_size(p) is 0 and kheap_free(p) returns
 * err, counted as a bad free, leaving the heap as it was.
 */
void assert_free_fails(struct slab_fixture *f, void *p, int err);

/* Fails the test unless the heap holds no block and at most SLAB_KEPT_PAGES pages. */
void assert_heap_empty(struct slab_fixture *f);

/* Fills n bytes at p with the pattern of `seed`. */
void fill_pattern(void *p, size_t n, uint64_t seed);

/* True when the n bytes at p still hold the pattern of `seed`. */
bool has_pattern(const void *p, size_t n, uint64_t seed);

/* Frees the n blocks of v in a random order drawn from *rng, each successfully. */
void free_in_random_order(struct slab_fixture *f, void **v, size_t n, uint64_t *rng);

#endif

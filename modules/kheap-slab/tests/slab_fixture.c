/*
 * slab_fixture.c - the shared helpers of the slab heap's tests (see
 * slab_fixture.h).
 */
#include "slab_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_rand.h"
#include "test_seed.h"

void slab_fixture_create(struct slab_fixture *f)
{
	kheap_test_pages_create(&f->tp, SLAB_FIXTURE_ARENA_BYTES);
	kheap_init(&f->h.heap, &slab_kheap_ops, &f->tp.src);
}

void slab_fixture_destroy(struct slab_fixture *f)
{
	kheap_test_pages_destroy(&f->tp);
}

struct kheap_stats slab_stats(struct slab_fixture *f)
{
	struct kheap_stats st;

	kheap_stats(&f->h.heap, &st);
	return st;
}

void assert_stats_equal(const struct kheap_stats *a, const struct kheap_stats *b)
{
	assert_int_equal(a->pages, b->pages);
	assert_int_equal(a->used_bytes, b->used_bytes);
	assert_int_equal(a->live, b->live);
	assert_int_equal(a->meta_bytes, b->meta_bytes);
}

void assert_heap_consistent(struct slab_fixture *f)
{
	struct kheap_stats st = slab_stats(f);

	assert_int_equal(kheap_check(&f->h.heap), 0);
	assert_int_equal(st.pages, f->tp.held);
	assert_int_equal(st.meta_bytes, 0);
}

void assert_free_fails(struct slab_fixture *f, void *p, int err)
{
	struct kheap_stats before = slab_stats(f), after;
	uint64_t held = f->tp.held;

	assert_int_equal(kheap_live_size(&f->h.heap, p), 0);
	assert_int_equal(kheap_free(&f->h.heap, p), err);
	after = slab_stats(f);
	assert_stats_equal(&before, &after);
	assert_int_equal(after.frees, before.frees);
	assert_int_equal(after.bad_frees, before.bad_frees + 1);
	assert_int_equal(f->tp.held, held);
	assert_heap_consistent(f);
}

void assert_heap_empty(struct slab_fixture *f)
{
	struct kheap_stats st = slab_stats(f);

	assert_heap_consistent(f);
	assert_int_equal(st.live, 0);
	assert_int_equal(st.used_bytes, 0);
	assert_true(f->tp.held <= SLAB_KEPT_PAGES);
}

void fill_pattern(void *p, size_t n, uint64_t seed)
{
	unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(seed + i * 131 + (i >> 8));
}

bool has_pattern(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)(seed + i * 131 + (i >> 8)))
			return false;
	return true;
}

void free_in_random_order(struct slab_fixture *f, void **v, size_t n, uint64_t *rng)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)test_rand_below(rng, i);
		void *t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		assert_int_equal(kheap_free(&f->h.heap, v[i]), 0);
}

struct slab_fixture fx;

int slab_setup(void **state)
{
	(void)state;
	slab_fixture_create(&fx);
	return 0;
}

int slab_teardown(void **state)
{
	(void)state;
	slab_fixture_destroy(&fx);
	return 0;
}

uint64_t slab_seed_for(const char *test)
{
	uint64_t seed = host_test_seed(0x51ab);

	print_message("%s: seed %#llx (TEST_SEED replays it)\n", test, (unsigned long long)seed);
	return seed;
}

/*
 * test_list.c - the list heaps, first fit and best fit: every case runs for
 * both (one cmocka group each). Placement on a crafted free list (where the
 * two differ), coalescing with each neighbour, alignment up to PAGE_SIZE,
 * contents kept through realloc, chunks given back, bad frees refused with
 * the heap unchanged, running out of pages at every page allocation,
 * realloc in place, the checker catching corruption, and a seeded random
 * stress run against a model. Pages come from tests/kheap's page source.
 *
 * The randomised cases take their seed from $TEST_SEED (default below) and
 * print it when they fail.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <kheap-list/list.h>
#include <kheap/kheap.h>

#include "../src/list_internal.h"
#include "kheap_test_pages.h"
#include "test_rand.h"
#include "test_seed.h"

#define KiB	     ((size_t)1 << 10)
#define MiB	     ((size_t)1 << 20)
#define ARENA	     (256 * MiB)
#define DEFAULT_SEED 20240611
/* Pages a list heap may hold once everything is freed. */
#define KEPT_PAGES ((uint64_t)LIST_KEEP_CHUNKS * LIST_CHUNK_PAGES)

/* ---- Helpers ---- */

/* The heap of the group being run, the page source and the heap of the running case. */
static const struct kheap_ops *g_ops;
static struct kheap_test_pages tp;
static struct list_kheap h;
static uint64_t g_seed;

/* Fails the running randomised case, naming its seed, unless cond holds. */
#define require(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail_msg("%s: TEST_SEED=%" PRIu64 ": %s", g_ops->name, g_seed, #cond);     \
	} while (0)

/* A fresh page source and an empty heap of the group's kind over it. */
static int setup(void **state)
{
	(void)state;
	kheap_test_pages_create(&tp, ARENA);
	kheap_init(&h.heap, g_ops, &tp.src);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kheap_test_pages_destroy(&tp);
	return 0;
}

/* Starts the running case over with a fresh page source and heap. */
static void restart(void)
{
	teardown(NULL);
	setup(NULL);
}

static struct kheap_stats stats(void)
{
	struct kheap_stats st;

	kheap_stats(&h.heap, &st);
	return st;
}

/* A block of `size` bytes aligned to `align` that must succeed. */
static void *must_memalign(size_t align, size_t size)
{
	void *p = kheap_memalign(&h.heap, align, size);

	assert_non_null(p);
	assert_true((uintptr_t)p % align == 0);
	assert_true(kheap_usable_size(&h.heap, p) >= size);
	return p;
}

static void *must_alloc(size_t size)
{
	return must_memalign(KHEAP_MIN_ALIGN, size);
}

static void must_free(void *p)
{
	assert_int_equal(kheap_free(&h.heap, p), 0);
}

/* Fills n bytes at p with a pattern that depends on seed and on the offset. */
static void fill(void *p, size_t n, unsigned seed)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 8));
}

/* True if the n bytes at p hold fill(p, n, seed)'s pattern. */
static bool filled(const void *p, size_t n, unsigned seed)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != (unsigned char)(seed * 31 + i * 7 + (i >> 8)))
			return false;
	return true;
}

/* The heap passes its checker and its page count is what the page source has out. */
static void assert_sound(void)
{
	assert_int_equal(kheap_check(&h.heap), 0);
	assert_int_equal(stats().pages, tp.held);
}

/* Everything was freed: nothing live, at most the kept chunk held. */
static void assert_all_freed(void)
{
	struct kheap_stats st = stats();

	assert_sound();
	assert_int_equal(st.live, 0);
	assert_int_equal(st.used_bytes, 0);
	assert_int_equal(st.meta_bytes, 0);
	assert_true(tp.held <= KEPT_PAGES);
}

/* ---- The ops tables ---- */

static void test_ops_tables(void **state)
{
	(void)state;
	assert_string_equal(firstfit_kheap_ops.name, "firstfit");
	assert_string_equal(bestfit_kheap_ops.name, "bestfit");
	assert_int_equal(g_ops->state_size, sizeof(struct list_kheap));
	/* An empty heap holds nothing. */
	assert_int_equal(stats().pages, 0);
	assert_int_equal(tp.held, 0);
	assert_all_freed();
}

/* ---- Placement: first fit and best fit differ ---- */

/*
 * Free list, front first (LIFO): a (512 bytes of payload), c (256), b
 * (128), the chunk's rest. First fit takes the front block that fits, best
 * fit the smallest one (b exactly for 128 bytes).
 */
static void test_fit_placement(void **state)
{
	(void)state;
	void *a = must_alloc(512), *s1 = must_alloc(16);
	void *b = must_alloc(128), *s2 = must_alloc(16);
	void *c = must_alloc(256), *s3 = must_alloc(16);
	bool first = g_ops == &firstfit_kheap_ops;

	must_free(b);
	must_free(c);
	must_free(a);
	assert_int_equal(h.free_blocks, 4);

	/* 128 bytes: first fit splits a, best fit takes b whole. */
	void *p = must_alloc(128);
	assert_ptr_equal(p, first ? a : b);
	assert_int_equal(h.free_blocks, 4 - !first);
	/* 200 bytes: first fit the front block again (a's rest or c), best fit c. */
	void *q = must_alloc(200);
	assert_ptr_equal(q, first ? (char *)a + 144 : c);
	assert_sound();

	must_free(p);
	must_free(q);
	must_free(s1);
	must_free(s2);
	must_free(s3);
	assert_int_equal(h.free_blocks, 1);
	assert_all_freed();
}

/* Best fit chooses the smallest block that fits even when it comes last on the list. */
static void test_fit_smallest_last(void **state)
{
	(void)state;
	void *small = must_alloc(64), *s1 = must_alloc(16);
	void *mid = must_alloc(1024), *s2 = must_alloc(16);
	void *big = must_alloc(4096), *s3 = must_alloc(16);
	/* 80 + 32 + 1040 + 32 + 4112 + 32 bytes of blocks so far: fill the chunk up. */
	void *fill_rest = must_alloc(LIST_CHUNK_SPACE - 5328 - LIST_HDR);

	assert_int_equal(h.free_blocks, 0);
	assert_int_equal(tp.held, LIST_CHUNK_PAGES);
	must_free(small);
	must_free(mid);
	must_free(big);
	/* List: big, mid, small. 64 bytes: */
	void *p = must_alloc(64);
	assert_ptr_equal(p, g_ops == &firstfit_kheap_ops ? big : small);
	void *q = must_alloc(1000);
	assert_ptr_equal(q, g_ops == &firstfit_kheap_ops ? (char *)big + 80 : mid);
	assert_sound();
	must_free(p);
	must_free(q);
	must_free(s1);
	must_free(s2);
	must_free(s3);
	must_free(fill_rest);
	assert_all_freed();
}

/* ---- Coalescing ---- */

/* Five 64-byte blocks in a row (80 bytes each with the header): x a b c y. */
static void five(void **v)
{
	for (int i = 0; i < 5; i++) {
		v[i] = must_alloc(64);
		fill(v[i], 64, (unsigned)i);
		if (i > 0)
			assert_ptr_equal(v[i], (char *)v[i - 1] + 80);
	}
}

static void test_coalesce_left(void **state)
{
	(void)state;
	void *v[5];
	uint64_t f;

	five(v);
	f = h.free_blocks;
	must_free(v[1]);
	assert_int_equal(h.free_blocks, f + 1);
	must_free(v[2]); /* merges into v[1] on its left */
	assert_int_equal(h.free_blocks, f + 1);
	assert_sound();
	/* One block of 160 bytes: exactly 144 of payload, taken whole at v[1]. */
	void *p = must_alloc(144);
	assert_ptr_equal(p, v[1]);
	assert_int_equal(kheap_usable_size(&h.heap, p), 144);
	assert_int_equal(h.free_blocks, f);
	assert_true(filled(v[0], 64, 0) && filled(v[3], 64, 3) && filled(v[4], 64, 4));
	must_free(p);
	for (int i = 0; i < 5; i++)
		if (i != 1 && i != 2)
			must_free(v[i]);
	assert_all_freed();
}

static void test_coalesce_right(void **state)
{
	(void)state;
	void *v[5];
	uint64_t f;

	five(v);
	f = h.free_blocks;
	must_free(v[2]);
	must_free(v[1]); /* absorbs v[2] on its right */
	assert_int_equal(h.free_blocks, f + 1);
	assert_sound();
	void *p = must_alloc(144);
	assert_ptr_equal(p, v[1]);
	assert_int_equal(h.free_blocks, f);
	assert_true(filled(v[0], 64, 0) && filled(v[3], 64, 3) && filled(v[4], 64, 4));
	must_free(p);
	must_free(v[0]);
	must_free(v[3]);
	must_free(v[4]);
	assert_all_freed();
}

static void test_coalesce_both(void **state)
{
	(void)state;
	void *v[5];
	uint64_t f;

	five(v);
	f = h.free_blocks;
	must_free(v[1]);
	must_free(v[3]);
	assert_int_equal(h.free_blocks, f + 2);
	must_free(v[2]); /* joins v[1] and v[3] */
	assert_int_equal(h.free_blocks, f + 1);
	assert_sound();
	void *p = must_alloc(3 * 80 - 16);
	assert_ptr_equal(p, v[1]);
	assert_int_equal(h.free_blocks, f);
	assert_true(filled(v[0], 64, 0) && filled(v[4], 64, 4));
	must_free(p);
	must_free(v[0]);
	/* v[4] merges with the chunk's free rest on its right and the free run on its left. */
	must_free(v[4]);
	assert_int_equal(h.free_blocks, 1);
	assert_int_equal(h.empty_chunks, 1);
	assert_all_freed();
	assert_int_equal(tp.held, LIST_CHUNK_PAGES); /* the kept chunk */
}

/* ---- Alignment ---- */

static void test_align(void **state)
{
	(void)state;
	static const size_t sizes[] = {1, 24, 100, 1000, 5000, 40000, 61000, 70000, 200000};
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	void *p[13][NS];
	unsigned k = 0;

	/* A 16-byte block first, so that the aligned ones need a gap. */
	void *first = must_alloc(16);
	for (size_t a = 0, align = 16; align <= PAGE_SIZE; a++, align <<= 1)
		for (size_t s = 0; s < NS; s++) {
			p[a][s] = must_memalign(align, sizes[s]);
			fill(p[a][s], sizes[s], k++);
		}
	assert_sound();
	k = 0;
	for (size_t a = 0, align = 16; align <= PAGE_SIZE; a++, align <<= 1)
		for (size_t s = 0; s < NS; s++)
			assert_true(filled(p[a][s], sizes[s], k++));
	/* Every other one, then the rest: merges around the gaps. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t a = 0, align = 16; align <= PAGE_SIZE; a++, align <<= 1)
			for (size_t s = pass; s < NS; s += 2)
				must_free(p[a][s]);
	assert_sound();
	must_free(first);
	assert_all_freed();

	/* Alignments below 16 give 16-aligned blocks; every align after blocks of every size. */
	for (size_t align = 1; align <= PAGE_SIZE; align <<= 1) {
		void *q[64];

		for (int i = 0; i < 64; i++) {
			q[i] = kheap_memalign(&h.heap, align, (size_t)i * 16 + 1);
			assert_non_null(q[i]);
			assert_true((uintptr_t)q[i] % (align < 16 ? 16 : align) == 0);
		}
		assert_sound();
		for (int i = 0; i < 64; i++)
			must_free(q[i]);
		assert_all_freed();
	}
}

/* ---- Chunk or large run ---- */

/* The largest requests a chunk holds, at 16-byte and at 4 KiB alignment (see list.h). */
static void test_large_threshold(void **state)
{
	(void)state;
	static const struct {
		size_t align, size;
		bool large;
		uint64_t pages;
	} cases[] = {
	    {16, 65472, false, LIST_CHUNK_PAGES},
	    {16, 65473, true, 17},
	    {PAGE_SIZE, 61360, false, LIST_CHUNK_PAGES},
	    {PAGE_SIZE, 61361, true, 16}, /* a page of headers and gap, then the payload */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *p = must_memalign(cases[i].align, cases[i].size);

		assert_int_equal(block_of(p)->tag == LIST_TAG_LARGE, cases[i].large);
		assert_int_equal(stats().pages, cases[i].pages);
		assert_sound();
		must_free(p);
		assert_all_freed();
		if (cases[i].large)
			assert_int_equal(tp.held, 0);
		restart();
	}
}

/* ---- Contents kept through realloc ---- */

static void test_realloc_contents(void **state)
{
	(void)state;
	void *p = must_alloc(100), *wall = must_alloc(16), *q;
	size_t pages;

	fill(p, 100, 1);
	/* Grows where it cannot stay: moves, the 100 bytes kept. */
	q = kheap_realloc(&h.heap, p, 5000);
	assert_non_null(q);
	assert_ptr_not_equal(q, p);
	assert_true(filled(q, 100, 1));
	fill(q, 5000, 2);
	/* Into a large run of its own. */
	p = kheap_realloc(&h.heap, q, 300000);
	assert_non_null(p);
	assert_true(filled(p, 5000, 2));
	fill(p, 300000, 3);
	/* A large run shrinks in place, giving pages back. */
	pages = stats().pages;
	q = kheap_realloc(&h.heap, p, 100000);
	assert_ptr_equal(q, p);
	assert_true(stats().pages < pages);
	assert_true(kheap_usable_size(&h.heap, q) >= 100000);
	assert_true(kheap_usable_size(&h.heap, q) < 100000 + PAGE_SIZE);
	assert_true(filled(q, 100000, 3));
	assert_sound();
	/* Down to a size a chunk holds: moves back into a chunk. */
	p = kheap_realloc(&h.heap, q, 50);
	assert_non_null(p);
	assert_true(filled(p, 50, 3));
	assert_true(kheap_usable_size(&h.heap, p) < 100);
	/* realloc(NULL) allocates, realloc(p, 0) frees. */
	q = kheap_realloc(&h.heap, NULL, 10);
	assert_non_null(q);
	assert_null(kheap_realloc(&h.heap, q, 0));
	must_free(p);
	must_free(wall);
	assert_all_freed();
}

/* ---- Realloc in place ---- */

static void test_realloc_in_place(void **state)
{
	(void)state;
	void *a = must_alloc(100), *b = must_alloc(100), *c = must_alloc(16), *q;

	/* 128-byte blocks a b. */
	assert_ptr_equal(b, (char *)a + 128);
	fill(a, 100, 5);
	must_free(b);
	/* Grows into the free b: the 32-byte rest stays free. */
	assert_ptr_equal(kheap_realloc(&h.heap, a, 200), a);
	assert_int_equal(kheap_usable_size(&h.heap, a), 208);
	assert_true(filled(a, 100, 5));
	assert_sound();
	/* Takes the rest too: exactly 256 bytes. */
	assert_ptr_equal(kheap_realloc(&h.heap, a, 240), a);
	assert_int_equal(kheap_usable_size(&h.heap, a), 240);
	assert_sound();
	/* c is live behind it: moves. */
	fill(a, 240, 6);
	q = kheap_realloc(&h.heap, a, 250);
	assert_non_null(q);
	assert_ptr_not_equal(q, a);
	assert_true(filled(q, 240, 6));
	assert_sound();
	/* Shrinks in place: the tail is freed and merges with the free block behind. */
	a = must_alloc(1000);
	fill(a, 1000, 7);
	uint64_t used = stats().used_bytes;
	assert_ptr_equal(kheap_realloc(&h.heap, a, 100), a);
	assert_int_equal(kheap_usable_size(&h.heap, a), 112);
	assert_int_equal(stats().used_bytes, used - 1008 + 112);
	assert_true(filled(a, 100, 7));
	assert_sound();
	/* A shrink too small to cut a block off keeps the block as it is. */
	assert_ptr_equal(kheap_realloc(&h.heap, a, 97), a);
	assert_int_equal(kheap_usable_size(&h.heap, a), 112);
	/* A grow beyond a chunk leaves the chunk. */
	q = kheap_realloc(&h.heap, q, 100000);
	assert_non_null(q);
	assert_true(filled(q, 240, 6));
	/* A large block grows in place inside its pages only. */
	size_t u = kheap_usable_size(&h.heap, q);
	assert_ptr_equal(kheap_realloc(&h.heap, q, u), q);
	void *r = kheap_realloc(&h.heap, q, u + 1);
	assert_non_null(r);
	assert_ptr_not_equal(r, q);
	assert_true(filled(r, 240, 6));
	must_free(r);
	must_free(a);
	must_free(c);
	assert_all_freed();
}

/* ---- Chunks go back ---- */

/* n blocks of sizes drawn by `pick`, freed in a random order: no more than the kept chunk stays. */
static void alloc_free_random(uint64_t n, size_t (*pick)(uint64_t *rng), uint64_t *rng)
{
	uint64_t *order = malloc(n * sizeof(*order));
	void **p = malloc(n * sizeof(*p));

	require(order && p);
	for (uint64_t i = 0; i < n; i++) {
		p[i] = kheap_alloc(&h.heap, pick(rng));
		require(p[i] != NULL);
		order[i] = i;
	}
	require(kheap_check(&h.heap) == 0);
	test_rand_shuffle(rng, order, n);
	for (uint64_t i = 0; i < n; i++) {
		require(kheap_free(&h.heap, p[order[i]]) == 0);
		if (i % 4096 == 0)
			require(kheap_check(&h.heap) == 0);
	}
	require(kheap_check(&h.heap) == 0);
	require(stats().live == 0 && stats().used_bytes == 0);
	require(stats().pages == tp.held && tp.held <= KEPT_PAGES);
	free(order);
	free(p);
}

static size_t pick_64(uint64_t *rng)
{
	(void)rng;
	return 64;
}

static size_t pick_mixed(uint64_t *rng)
{
	uint64_t r = test_rand_below(rng, 100);

	if (r < 70)
		return (size_t)test_rand_range(rng, 1, 256);
	if (r < 97)
		return (size_t)test_rand_range(rng, 257, 16 * KiB);
	return (size_t)test_rand_range(rng, 16 * KiB, 256 * KiB);
}

static void test_chunks_returned(void **state)
{
	(void)state;
	uint64_t rng = g_seed = host_test_seed(DEFAULT_SEED);

	/* 25,000 random 64-byte frees (each O(1)). */
	alloc_free_random(25000, pick_64, &rng);
	/* Mixed sizes, large runs among them, three rounds on the same heap. */
	for (int round = 0; round < 3; round++)
		alloc_free_random(3000, pick_mixed, &rng);
	/* One block in a loop does not take and give back a chunk each time. */
	uint64_t calls = tp.calls;
	for (int i = 0; i < 1000; i++)
		must_free(must_alloc(64));
	assert_true(tp.calls <= calls + 1);
	assert_all_freed();
}

/* ---- Bad frees ---- */

/*
 * The heap's own state is byte for byte as in `before` (the counters the
 * kheap_*() functions keep in the head aside).
 */
static void assert_state_equal(const struct list_kheap *before)
{
	assert_memory_equal((const char *)before + sizeof(struct kheap),
			    (const char *)&h + sizeof(struct kheap),
			    sizeof(h) - sizeof(struct kheap));
}

/* kheap_free(p) returns err and leaves the heap exactly as it was (one more bad free counted). */
static void assert_bad_free(void *p, int err)
{
	struct list_kheap before = h;
	struct kheap_stats st = stats(), now;

	assert_int_equal(kheap_free(&h.heap, p), err);
	assert_state_equal(&before);
	now = stats();
	st.bad_frees++;
	assert_memory_equal(&st, &now, sizeof(st));
	assert_sound();
}

static void test_bad_free(void **state)
{
	(void)state;
	struct kheap_test_pages tp2;
	struct list_kheap other;
	void *a = must_alloc(100), *b = must_alloc(100), *c = must_alloc(100);
	void *big = must_alloc(100000), *huge = must_memalign(PAGE_SIZE, 200000);
	void *theirs;

	memset(a, 0x5a, 100);
	memset(b, 0x5a, 100);
	memset(big, 0x5a, 100000);
	kheap_test_pages_create(&tp2, 4 * MiB);
	kheap_init(&other.heap, g_ops, &tp2.src);
	theirs = kheap_alloc(&other.heap, 100);
	assert_non_null(theirs);

	/* Not a block: misaligned, inside a block, inside a large block, another heap's. */
	assert_bad_free((char *)a + 1, -EINVAL);
	assert_bad_free((char *)a + 8, -EINVAL);
	assert_bad_free((char *)a + 16, -EINVAL);
	assert_bad_free((char *)a + 64, -EINVAL);
	assert_bad_free((char *)big + 16, -EINVAL);
	assert_bad_free((char *)big + PAGE_SIZE, -EINVAL);
	assert_bad_free((char *)huge + PAGE_SIZE, -EINVAL);
	assert_bad_free(theirs, -EINVAL);
	/* A live header whose neighbours disagree with it. */
	block_of(b)->size += 16;
	assert_int_equal(kheap_free(&h.heap, b), -EINVAL);
	block_of(b)->size -= 16;
	/* A LARGE tag forged inside a large block. */
	struct list_block *fake = (struct list_block *)((char *)big + 4 * PAGE_SIZE);
	*fake = *block_of(big);
	fake->offset += 4 * PAGE_SIZE + LIST_HDR; /* leads to big's chunk header */
	assert_bad_free(fake + 1, -EINVAL);
	memset(fake, 0x5a, sizeof(*fake));

	/* Freed already: free, merged right, merged left. */
	must_free(b);
	assert_bad_free(b, -ENOENT);
	assert_bad_free((char *)b + 32, -EINVAL); /* inside the free block: old payload */
	must_free(a);				  /* absorbs b */
	assert_bad_free(a, -ENOENT);
	assert_bad_free(b, -ENOENT);
	must_free(c); /* merges into a */
	assert_bad_free(c, -ENOENT);
	assert_bad_free(a, -ENOENT);

	assert_int_equal(kheap_free(&other.heap, theirs), 0);
	assert_int_equal(kheap_check(&other.heap), 0);
	kheap_test_pages_destroy(&tp2);
	must_free(big);
	must_free(huge);
	assert_all_freed();
}

/* ---- Out of pages at every page allocation ---- */

/*
 * A fixed workload that takes pages many times (chunks, large runs); every
 * call that returns NULL must leave the heap as it was, and a realloc that
 * fails its block untouched. Frees everything at the end. Returns how many
 * calls returned NULL.
 */
static unsigned run_workload(void)
{
	enum { N = 600 };
	static void *p[N];
	static size_t sz[N];
	unsigned nfail = 0;

	for (unsigned i = 0; i < N; i++) {
		struct list_kheap before = h;
		size_t align = (i % 7 == 0) ? PAGE_SIZE : (i % 3 == 0) ? 64 : 16;

		sz[i] = i % 50 == 0 ? 100000 + i : i % 9 == 0 ? 9000 : 16 + i % 300;
		if (i % 5 == 4 && p[i - 1] != NULL) {
			/* Moves (grows past a live neighbour or out of the chunk). */
			fill(p[i - 1], sz[i - 1], i - 1);
			void *q = kheap_realloc(&h.heap, p[i - 1], sz[i - 1] + 70000);
			if (q == NULL) {
				nfail++;
				assert_state_equal(&before);
				assert_true(filled(p[i - 1], sz[i - 1], i - 1));
			} else {
				assert_true(filled(q, sz[i - 1], i - 1));
				p[i - 1] = q;
				sz[i - 1] += 70000;
			}
			before = h;
		}
		p[i] = kheap_memalign(&h.heap, align, sz[i]);
		if (p[i] == NULL) {
			nfail++;
			assert_state_equal(&before);
		}
		if (i % 3 == 1 && p[i - 1] != NULL) {
			must_free(p[i - 1]);
			p[i - 1] = NULL;
		}
		if (i % 64 == 0)
			assert_sound();
	}
	assert_sound();
	for (unsigned i = 0; i < N; i++)
		if (p[i] != NULL)
			must_free(p[i]);
	assert_all_freed();
	return nfail;
}

static void test_out_of_pages(void **state)
{
	(void)state;
	uint64_t k;

	assert_int_equal(run_workload(), 0);
	k = tp.calls; /* the page allocations of the whole workload */
	assert_true(k > 20);
	for (uint64_t n = 0; n <= k; n++) {
		restart();
		kheap_test_pages_fail_after(&tp, (long)n);
		unsigned nfail = run_workload();
		assert_true(tp.calls <= n);
		assert_true(n == k ? nfail == 0 : nfail > 0);
		/* With pages again, the same heap runs the whole workload. */
		kheap_test_pages_fail_after(&tp, -1);
		assert_int_equal(run_workload(), 0);
	}
}

/* ---- The checker ---- */

/* Corrupts *field to a wrong value, expects the checker to notice, restores it. */
#define assert_check_catches(field, bad)                                                           \
	do {                                                                                       \
		__typeof__(field) saved__ = (field);                                               \
		(field) = (bad);                                                                   \
		assert_int_equal(kheap_check(&h.heap), -EFAULT);                                   \
		(field) = saved__;                                                                 \
		assert_int_equal(kheap_check(&h.heap), 0);                                         \
	} while (0)

static void test_check_catches(void **state)
{
	(void)state;
	void *a = must_alloc(100), *b = must_alloc(100), *c = must_alloc(100);
	void *big = must_alloc(100000);
	struct list_block *ba = block_of(a), *bb = block_of(b);

	must_free(b);
	assert_sound();
	assert_check_catches(h.pages, h.pages + 1);
	assert_check_catches(h.used_bytes, h.used_bytes - 1);
	assert_check_catches(h.live, h.live + 1);
	assert_check_catches(h.free_blocks, h.free_blocks + 1);
	assert_check_catches(h.empty_chunks, 1);
	assert_check_catches(ba->tag, LIST_TAG_FREE); /* two free blocks side by side */
	assert_check_catches(ba->tag, 0);
	assert_check_catches(ba->size, ba->size + 16);
	assert_check_catches(bb->prev_size, 16);
	assert_check_catches(bb->offset, bb->offset + 16);
	assert_check_catches(block_chunk(ba)->magic, 0);
	assert_check_catches(block_chunk(block_of(big))->npages, 1);
	assert_check_catches(block_of(big)->tag, LIST_TAG_LIVE);
	/* b off the free list while tagged free: the list is short of a block. */
	struct list_head saved = *block_link(bb);
	list_del(block_link(bb));
	assert_int_equal(kheap_check(&h.heap), -EFAULT);
	list_insert_between(block_link(bb), saved.prev, saved.next);
	assert_sound();
	must_free(a);
	must_free(c);
	must_free(big);
	assert_all_freed();
}

/* ---- Random stress against a model ---- */

struct slot {
	char *p;
	size_t size;
	unsigned seed;
};

/* True if no live slot other than `self` overlaps [p, p + usable). */
static bool apart(const struct slot *s, int n, int self, const char *p, size_t usable)
{
	for (int i = 0; i < n; i++) {
		if (i == self || s[i].p == NULL)
			continue;
		size_t u = kheap_usable_size(&h.heap, s[i].p);
		if (p < s[i].p + u && s[i].p < p + usable)
			return false;
	}
	return true;
}

/* A request size: mostly small, some mid, a few large. */
static size_t stress_size(uint64_t *rng)
{
	uint64_t r = test_rand_below(rng, 100);

	if (r < 75)
		return (size_t)test_rand_range(rng, 1, 200);
	if (r < 97)
		return (size_t)test_rand_range(rng, 201, 12 * KiB);
	return (size_t)test_rand_range(rng, 60 * KiB, 200 * KiB);
}

static void test_stress(void **state)
{
	(void)state;
	enum { NSLOT = 400, OPS = 60000 };
	static struct slot s[NSLOT];
	uint64_t rng = g_seed = host_test_seed(DEFAULT_SEED);
	uint64_t live = 0, used = 0;

	memset(s, 0, sizeof(s));
	for (unsigned op = 0; op < OPS; op++) {
		int i = (int)test_rand_below(&rng, NSLOT);
		struct slot *x = &s[i];
		uint64_t r = test_rand_below(&rng, 100);

		if (x->p == NULL) {
			size_t align = r < 20 ? (size_t)1 << test_rand_range(&rng, 4, 12) : 16;
			size_t size = stress_size(&rng);

			x->p = kheap_memalign(&h.heap, align, size);
			require(x->p != NULL && (uintptr_t)x->p % align == 0);
			x->size = size;
			x->seed = op;
			size_t u = kheap_usable_size(&h.heap, x->p);
			require(u >= size && apart(s, NSLOT, i, x->p, u));
			fill(x->p, size, x->seed);
			live++;
			used += u;
		} else if (r < 60) {
			require(filled(x->p, x->size, x->seed));
			used -= kheap_usable_size(&h.heap, x->p);
			require(kheap_free(&h.heap, x->p) == 0);
			x->p = NULL;
			live--;
		} else {
			size_t size = stress_size(&rng), keep = size < x->size ? size : x->size;

			used -= kheap_usable_size(&h.heap, x->p);
			char *q = kheap_realloc(&h.heap, x->p, size);
			require(q != NULL && (uintptr_t)q % 16 == 0 && filled(q, keep, x->seed));
			x->p = q;
			x->size = size;
			x->seed = op;
			size_t u = kheap_usable_size(&h.heap, q);
			require(u >= size && apart(s, NSLOT, i, q, u));
			fill(q, size, x->seed);
			used += u;
		}
		require(stats().live == live && stats().used_bytes == used);
		if (op % 512 == 0)
			require(kheap_check(&h.heap) == 0 && stats().pages == tp.held);
	}
	for (int i = 0; i < NSLOT; i++)
		if (s[i].p != NULL) {
			require(filled(s[i].p, s[i].size, s[i].seed));
			require(kheap_free(&h.heap, s[i].p) == 0);
		}
	require(kheap_check(&h.heap) == 0 && stats().live == 0 && tp.held <= KEPT_PAGES);
}

/* ---- Main ---- */

/* Every case, run once for each heap (a group each). */
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ops_tables, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fit_placement, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fit_smallest_last, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_coalesce_left, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_coalesce_right, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_coalesce_both, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_align, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_threshold, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_realloc_contents, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_realloc_in_place, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chunks_returned, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_catches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stress, setup, teardown),
	};
	int failed = 0;

	g_ops = &firstfit_kheap_ops;
	failed += cmocka_run_group_tests_name("firstfit", tests, NULL, NULL);
	g_ops = &bestfit_kheap_ops;
	failed += cmocka_run_group_tests_name("bestfit", tests, NULL, NULL);
	return failed ? 1 : 0;
}

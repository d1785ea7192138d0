/*
 * test_buddy_kheap.c - the buddy byte heap over the heap tests' page source
 * (tests/kheap): every order and alignment, merging back to whole arenas
 * that go back to the page source, bad frees, running out of pages at each
 * page allocation, resizing in place and a seeded random stress against a
 * model. Randomised tests print their seed first; TEST_SEED replays it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <kheap-buddy/buddy.h>

#include "bench_util.h"
#include "kheap_test_pages.h"
#include "test_rand.h"
#include "test_seed.h"

#define ARENA	    BUDDY_KHEAP_ARENA_BYTES
#define ARENA_PAGES BUDDY_KHEAP_ARENA_PAGES
/* The map: the arena's first 4 KiB, one byte per 16-byte granule. */
#define META (ARENA >> BUDDY_KHEAP_MIN_ORDER)
/* Pages the heap may hold once everything is freed (buddy.h). */
#define KEPT_PAGES   ARENA_PAGES
#define DEFAULT_SEED 0x6b62756464790001ULL
/* Host memory the page source hands out. */
#define SOURCE_BYTES ((size_t)128 << 20)

struct fixture {
	struct kheap_test_pages tp;
	struct buddy_kheap b;
};

/* ---- Helpers ---- */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	kheap_test_pages_create(&f->tp, SOURCE_BYTES);
	kheap_init(&f->b.heap, &buddy_kheap_ops, &f->tp.src);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kheap_test_pages_destroy(&f->tp);
	free(f);
	return 0;
}

static struct kheap_stats stats_of(const struct kheap *h)
{
	struct kheap_stats st;

	kheap_stats(h, &st);
	return st;
}

static void assert_stats_equal(const struct kheap_stats *a, const struct kheap_stats *b)
{
	assert_int_equal(a->pages, b->pages);
	assert_int_equal(a->used_bytes, b->used_bytes);
	assert_int_equal(a->live, b->live);
	assert_int_equal(a->meta_bytes, b->meta_bytes);
}

/* The heap is sound and holds exactly the pages the page source counts out. */
static void assert_sound(struct fixture *f)
{
	assert_int_equal(kheap_check(&f->b.heap), 0);
	assert_int_equal(stats_of(&f->b.heap).pages, f->tp.held);
	assert_int_equal(stats_of(&f->b.heap).meta_bytes, 0);
}

/* Everything freed: no live block, at most the bound of pages kept. */
static void assert_drained(struct fixture *f)
{
	struct kheap_stats st = stats_of(&f->b.heap);

	assert_sound(f);
	assert_int_equal(st.live, 0);
	assert_int_equal(st.used_bytes, 0);
	assert_true(f->tp.held <= KEPT_PAGES);
}

/* Fills n bytes at p with the pattern of tag. */
static void fill(void *p, size_t n, unsigned tag)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)(tag * 131 + i * 7);
}

/* The first n bytes at p hold tag's pattern. */
static void assert_filled(const void *p, size_t n, unsigned tag)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != (unsigned char)(tag * 131 + i * 7))
			fail_msg("byte %zu of block %p (tag %u) overwritten", i, p, tag);
}

/* The order the heap gives a request of size bytes aligned to align, as bytes. */
static size_t block_bytes(size_t size, size_t align)
{
	size_t n = (size_t)1 << BUDDY_KHEAP_MIN_ORDER;

	while (n < size || n < align)
		n <<= 1;
	return n;
}

static uintptr_t arena_of(const void *p)
{
	return (uintptr_t)p & ~(uintptr_t)(ARENA - 1);
}

/* ---- Empty heap ---- */

/* A new heap holds nothing; its first block brings one arena, kept when freed. */
static void test_empty(void **state)
{
	struct fixture *f = *state;
	struct kheap *h = &f->b.heap;
	struct kheap_stats st = stats_of(h);

	assert_string_equal(h->ops->name, "buddy");
	assert_int_equal(st.pages + st.live + st.used_bytes + st.meta_bytes, 0);
	assert_int_equal(kheap_check(h), 0);
	assert_int_equal(kheap_free(h, NULL), 0);

	void *p = kheap_alloc(h, 0);
	assert_non_null(p);
	assert_int_equal(kheap_usable_size(h, p), 16);
	assert_int_equal(f->tp.held, ARENA_PAGES);
	assert_int_equal((uintptr_t)p - arena_of(p), META); /* the first block after the map */
	st = stats_of(h);
	assert_int_equal(st.live, 1);
	assert_int_equal(st.used_bytes, 16);
	assert_sound(f);
	assert_int_equal(kheap_free(h, p), 0);
	assert_drained(f);
	assert_int_equal(f->tp.held, KEPT_PAGES);
}

/* ---- Orders and alignments ---- */

#define ALIGNS 9 /* 16 .. 4096 */

/*
 * Every order with sizes 2^k, 2^k - 1 and 2^(k-1) + 1, under every
 * alignment 16..PAGE_SIZE (and below 16): the block is aligned, its usable
 * size the power of two both need, and all of them hold their contents
 * together. Then runs: sizes above the largest block.
 */
static void test_orders_and_aligns(void **state)
{
	struct fixture *f = *state;
	struct kheap *h = &f->b.heap;
	enum { MAXN = (BUDDY_KHEAP_MAX_ORDER + 1) * 3 * ALIGNS };
	static void *ptrs[MAXN];
	static size_t sizes[MAXN];
	size_t n = 0;

	for (unsigned k = BUDDY_KHEAP_MIN_ORDER; k <= BUDDY_KHEAP_MAX_ORDER; k++) {
		size_t cand[3] = {(size_t)1 << k, ((size_t)1 << k) - 1, ((size_t)1 << (k - 1)) + 1};

		for (size_t align = 16; align <= PAGE_SIZE; align <<= 1) {
			for (int c = 0; c < 3; c++) {
				void *p = kheap_memalign(h, align, cand[c]);

				assert_non_null(p);
				assert_int_equal((uintptr_t)p % align, 0);
				assert_int_equal(kheap_usable_size(h, p),
						 block_bytes(cand[c], align));
				assert_int_equal((uintptr_t)p % kheap_usable_size(h, p), 0);
				fill(p, kheap_usable_size(h, p), (unsigned)n);
				ptrs[n] = p;
				sizes[n++] = kheap_usable_size(h, p);
			}
		}
	}
	assert_sound(f);
	for (size_t i = 0; i < n; i++)
		assert_filled(ptrs[i], sizes[i], (unsigned)i);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(kheap_free(h, ptrs[i]), 0);
	assert_drained(f);

	/* Alignments below 16 give 16; calloc zeroes. */
	for (size_t align = 1; align < 16; align <<= 1) {
		void *p = kheap_memalign(h, align, 3);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		assert_int_equal(kheap_free(h, p), 0);
	}
	unsigned char *z = kheap_calloc(h, 100, 10);
	assert_non_null(z);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(z[i], 0);
	assert_int_equal(kheap_free(h, z), 0);

	/* Runs: above the largest block, every alignment. */
	static const size_t big[] = {BUDDY_KHEAP_MAX_BLOCK + 1, 40000, 65536, 100000, 1 << 20};
	n = 0;
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		for (size_t align = 16; align <= PAGE_SIZE; align <<= 1) {
			uint64_t held = f->tp.held;
			void *p = kheap_memalign(h, align, big[i]);
			size_t usable = kheap_usable_size(h, p);
			size_t header = (uintptr_t)p - arena_of(p);

			assert_non_null(p);
			assert_int_equal((uintptr_t)p % align, 0);
			assert_true(usable >= big[i] && usable < big[i] + PAGE_SIZE);
			/* a small header, then the block: as few pages as hold both */
			assert_true(header >= 16 && header <= (align > 64 ? align : 64));
			assert_int_equal(f->tp.held - held,
					 (header + big[i] + PAGE_SIZE - 1) / PAGE_SIZE);
			assert_int_equal(header + usable, (f->tp.held - held) * PAGE_SIZE);
			fill(p, usable, (unsigned)n);
			ptrs[n] = p;
			sizes[n++] = usable;
		}
	}
	assert_sound(f);
	for (size_t i = 0; i < n; i++) {
		assert_filled(ptrs[i], sizes[i], (unsigned)i);
		assert_int_equal(kheap_free(h, ptrs[i]), 0);
	}
	assert_drained(f);
}

/* ---- Merging ---- */

/*
 * For every order: fills exactly two arenas with blocks of that order,
 * frees them in a seeded random order, and finds one arena given back and
 * the other kept whole (its four top blocks come without a page call).
 */
static void test_merge_random_order(void **state)
{
	struct fixture *f = *state;
	struct kheap *h = &f->b.heap;
	uint64_t seed = host_test_seed(DEFAULT_SEED), rng = seed;
	uint64_t *blocks = malloc(2 * (ARENA / 16) * sizeof(*blocks));

	print_message("merge: seed %#llx (TEST_SEED replays it)\n", (unsigned long long)seed);
	assert_non_null(blocks);
	for (unsigned k = BUDDY_KHEAP_MIN_ORDER; k <= BUDDY_KHEAP_MAX_ORDER; k++) {
		size_t size = (size_t)1 << k, n = 2 * ((ARENA - META) >> k);

		for (size_t i = 0; i < n; i++) {
			void *p = kheap_alloc(h, size);

			assert_non_null(p);
			blocks[i] = (uintptr_t)p;
		}
		/* the blocks tile two arenas exactly */
		assert_int_equal(f->tp.held, 2 * ARENA_PAGES);
		assert_int_equal(stats_of(h).used_bytes, n * size);
		assert_sound(f);
		test_rand_shuffle(&rng, blocks, n);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(kheap_free(h, (void *)(uintptr_t)blocks[i]), 0);
			if (i % 97 == 0)
				assert_sound(f);
		}
		assert_drained(f);
		assert_int_equal(f->tp.held, KEPT_PAGES);

		/* The kept arena is whole: the top blocks, no page call. */
		uint64_t calls = f->tp.calls;
		void *top[4];
		for (int t = 3; t >= 0; t--) {
			top[t] = kheap_alloc(h, (size_t)META << t);
			assert_non_null(top[t]);
			assert_int_equal((uintptr_t)top[t] - arena_of(top[t]), (size_t)META << t);
			assert_int_equal(arena_of(top[t]), arena_of(top[3]));
		}
		assert_int_equal(f->tp.calls, calls);
		for (int t = 0; t < 4; t++)
			assert_int_equal(kheap_free(h, top[t]), 0);
		assert_drained(f);
	}
	free(blocks);
}

/* ---- Bad frees ---- */

/* kheap_free(h, p) returns err and changes nothing but the count of bad frees. */
static void expect_bad_free(struct fixture *f, struct kheap *h, void *p, int err)
{
	struct kheap_stats before = stats_of(h), after;
	uint64_t held = f->tp.held;

	assert_int_equal(kheap_live_size(h, p), 0);
	assert_int_equal(kheap_free(h, p), err);
	after = stats_of(h);
	assert_stats_equal(&before, &after);
	assert_int_equal(after.bad_frees, before.bad_frees + 1);
	assert_int_equal(f->tp.held, held);
	assert_int_equal(kheap_check(h), 0);
}

/*
 * -EINVAL: misaligned, inside a live block, in the map, in a run's header
 * or body, another heap's block. -ENOENT: a second free, also after the
 * block merged, and free memory that never was a block. kheap_live_size
 * says 0 for each.
 */
static void test_bad_frees(void **state)
{
	struct fixture *f = *state;
	struct kheap *h = &f->b.heap;
	char *p = kheap_alloc(h, 64), *q = kheap_alloc(h, 64);
	char *big = kheap_alloc(h, 100000);
	char *base = (char *)arena_of(p);

	assert_non_null(p);
	assert_non_null(q);
	assert_non_null(big);
	memset(big, 0, kheap_usable_size(h, big));
	assert_ptr_equal(p, base + META);
	assert_ptr_equal(q, p + 64);
	assert_int_equal(kheap_live_size(h, p), 64);
	assert_int_equal(kheap_live_size(h, big), kheap_usable_size(h, big));

	expect_bad_free(f, h, p + 1, -EINVAL);
	expect_bad_free(f, h, p + 8, -EINVAL);
	expect_bad_free(f, h, p + 16, -EINVAL);
	expect_bad_free(f, h, q + 48, -EINVAL);
	expect_bad_free(f, h, base, -EINVAL);
	expect_bad_free(f, h, base + 16, -EINVAL);
	expect_bad_free(f, h, base + META - 16, -EINVAL);
	expect_bad_free(f, h, big - 16, -EINVAL);
	expect_bad_free(f, h, (char *)arena_of(big), -EINVAL);
	expect_bad_free(f, h, big + 16, -EINVAL);
	expect_bad_free(f, h, big + PAGE_SIZE, -EINVAL);
	expect_bad_free(f, h, big + 70000, -EINVAL); /* the run's second 64 KiB */

	/* Free memory that never was a block. */
	expect_bad_free(f, h, p + 128, -ENOENT);
	expect_bad_free(f, h, p + 144, -ENOENT);
	expect_bad_free(f, h, base + ARENA - 16, -ENOENT);

	/* Second frees: unmerged (q's buddy p is live), then merged into p's block. */
	assert_int_equal(kheap_free(h, q), 0);
	expect_bad_free(f, h, q, -ENOENT);
	assert_int_equal(kheap_free(h, p), 0);
	expect_bad_free(f, h, p, -ENOENT);
	expect_bad_free(f, h, q, -ENOENT);
	expect_bad_free(f, h, p + 16, -ENOENT);
	expect_bad_free(f, h, p + 1, -EINVAL);
	expect_bad_free(f, h, base + 16, -EINVAL);
	assert_int_equal(kheap_free(h, big), 0);
	assert_drained(f);

	/* Another heap over the same page source: neither takes the other's blocks. */
	struct buddy_kheap other;
	kheap_init(&other.heap, &buddy_kheap_ops, &f->tp.src);
	p = kheap_alloc(h, 64);
	char *o = kheap_alloc(&other.heap, 64);
	assert_non_null(o);
	assert_true(arena_of(o) != arena_of(p));
	expect_bad_free(f, h, o, -EINVAL);
	expect_bad_free(f, &other.heap, p, -EINVAL);
	assert_int_equal(kheap_free(&other.heap, o), 0);
	assert_int_equal(kheap_check(&other.heap), 0);
	assert_int_equal(stats_of(&other.heap).pages, KEPT_PAGES);
	assert_int_equal(kheap_free(h, p), 0);
	assert_int_equal(f->tp.held, 2 * KEPT_PAGES); /* each heap keeps one arena */
}

/* ---- Out of pages ---- */

enum req_kind { REQ_ALLOC, REQ_MEMALIGN, REQ_CALLOC, REQ_GROW };

/* One step of the out-of-pages scenario. */
struct req {
	enum req_kind kind;
	size_t size, align;
	int count;
};

/* Allocations that need arenas, runs and a move into a run. */
static const struct req scenario[] = {
    {REQ_ALLOC, 64, 16, 1100},	    /* two arenas */
    {REQ_ALLOC, 40000, 16, 1},	    /* a run */
    {REQ_MEMALIGN, 4096, 4096, 20}, /* two more arenas */
    {REQ_ALLOC, 32768, 16, 3},	    /* the largest block: three arenas */
    {REQ_GROW, 100, 16, 1},	    /* a block grown into a run */
    {REQ_CALLOC, 100, 10, 1},	    /* an arena block, zeroed */
    {REQ_ALLOC, 300000, 16, 2},	    /* two runs */
};

#define SCENARIO_BLOCKS 1200

/*
 * Runs the scenario on f's heap, the page source failing after `budget`
 * page allocations: each call either succeeds or returns NULL with the
 * heap and its pages unchanged (a failed grow leaves its block as it was);
 * the scenario stops at the first failure. Then frees everything: back to
 * the pages kept. True when the scenario ran to the end.
 */
static bool run_scenario(struct fixture *f, long budget)
{
	struct kheap *h = &f->b.heap;
	static void *blocks[SCENARIO_BLOCKS];
	size_t n = 0;
	bool done = true;

	kheap_test_pages_fail_after(&f->tp, budget);
	for (size_t s = 0; done && s < sizeof(scenario) / sizeof(scenario[0]); s++) {
		const struct req *r = &scenario[s];

		for (int i = 0; done && i < r->count; i++) {
			struct kheap_stats before = stats_of(h), after;
			uint64_t held = f->tp.held;
			void *p = NULL, *old = NULL;

			if (r->kind == REQ_GROW) {
				old = kheap_alloc(h, r->size);
				if (old) {
					fill(old, r->size, 7);
					before = stats_of(h);
					held = f->tp.held;
					p = kheap_realloc(h, old, 200000);
				}
			} else if (r->kind == REQ_CALLOC) {
				p = kheap_calloc(h, r->size, r->align);
			} else {
				p = kheap_memalign(h, r->align, r->size);
			}
			if (p) {
				if (r->kind == REQ_GROW)
					assert_filled(p, r->size, 7);
				assert_true(n < SCENARIO_BLOCKS);
				blocks[n++] = p;
				continue;
			}
			after = stats_of(h);
			assert_stats_equal(&before, &after);
			assert_int_equal(f->tp.held, held);
			assert_int_equal(kheap_check(h), 0);
			if (old) {
				assert_filled(old, r->size, 7);
				blocks[n++] = old;
			}
			done = false;
		}
	}
	kheap_test_pages_fail_after(&f->tp, -1);
	assert_sound(f);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(kheap_free(h, blocks[i]), 0);
	assert_drained(f);
	return done;
}

/* With n = 0, 1, ... page allocations allowed, each fails once: NULL, nothing lost. */
static void test_out_of_pages(void **state)
{
	struct fixture *f = *state;
	long n;

	for (n = 0; n < 100; n++) {
		/* a fresh heap each time: no kept arena hides a page call */
		teardown(state);
		setup(state);
		f = *state;
		if (run_scenario(f, n))
			break;
	}
	assert_true(n > 5 && n < 100);
	print_message("out of pages: the scenario needs %ld page allocations\n", n);
	/* and once more with everything allowed, on the heap as it is */
	assert_true(run_scenario(f, -1));
}

/* ---- Resizing in place ---- */

/* Arena blocks grow over free buddies above them and shrink by freeing halves. */
static void test_resize_blocks(void **state)
{
	struct fixture *f = *state;
	struct kheap *h = &f->b.heap;
	char *p = kheap_alloc(h, 16), *q;

	assert_non_null(p);
	assert_int_equal((uintptr_t)p - arena_of(p), META);
	fill(p, 16, 1);
	/* grow: every buddy above is free */
	assert_ptr_equal(kheap_realloc(h, p, 17), p);
	assert_int_equal(kheap_usable_size(h, p), 32);
	assert_ptr_equal(kheap_realloc(h, p, 4096), p);
	assert_int_equal(kheap_usable_size(h, p), 4096);
	assert_int_equal(stats_of(h).used_bytes, 4096);
	assert_sound(f);
	assert_filled(p, 16, 1);
	/* same order: nothing to do */
	assert_ptr_equal(kheap_realloc(h, p, 3000), p);
	assert_int_equal(kheap_usable_size(h, p), 4096);
	/* p (at 4K) is the upper half of its 8K pair: it must move */
	fill(p, 4096, 2);
	q = kheap_realloc(h, p, 8192);
	assert_non_null(q);
	assert_ptr_not_equal(q, p);
	assert_int_equal(kheap_usable_size(h, q), 8192);
	assert_filled(q, 4096, 2);
	assert_sound(f);
	/* shrink: the upper halves are free again, the block keeps its start */
	assert_ptr_equal(kheap_realloc(h, q, 100), q);
	assert_int_equal(kheap_usable_size(h, q), 128);
	assert_int_equal(stats_of(h).used_bytes, 128);
	assert_filled(q, 100, 2);
	assert_sound(f);
	assert_ptr_equal(kheap_realloc(h, q, 8192), q); /* and back over them */
	assert_int_equal(kheap_usable_size(h, q), 8192);
	assert_filled(q, 100, 2);

	/* a live buddy above blocks the growth */
	char *a = kheap_alloc(h, 64), *b = kheap_alloc(h, 64);
	assert_ptr_equal(b, a + 64);
	fill(a, 64, 3);
	char *a2 = kheap_realloc(h, a, 128);
	assert_ptr_not_equal(a2, a);
	assert_filled(a2, 64, 3);
	/* b is an upper half: it never grows in place */
	fill(b, 64, 4);
	char *b2 = kheap_realloc(h, b, 65);
	assert_ptr_not_equal(b2, b);
	assert_filled(b2, 64, 4);
	/* an arena block grown past the largest block becomes a run */
	char *r = kheap_realloc(h, q, 50000);
	assert_non_null(r);
	assert_true(kheap_usable_size(h, r) >= 50000);
	assert_filled(r, 100, 2);
	assert_sound(f);
	assert_int_equal(kheap_free(h, a2), 0);
	assert_int_equal(kheap_free(h, b2), 0);
	assert_int_equal(kheap_free(h, r), 0);
	assert_drained(f);
}

/* A run shrinks by giving back its tail pages, grows within its last page, else moves. */
static void test_resize_runs(void **state)
{
	struct fixture *f = *state;
	struct kheap *h = &f->b.heap;
	char *p = kheap_alloc(h, 200000);

	assert_non_null(p);
	size_t header = (uintptr_t)p - arena_of(p);
	uint64_t held = f->tp.held;
	fill(p, 200000, 5);
	assert_ptr_equal(kheap_realloc(h, p, 100000), p);
	assert_int_equal(held - f->tp.held, (header + 200000 + PAGE_SIZE - 1) / PAGE_SIZE -
						(header + 100000 + PAGE_SIZE - 1) / PAGE_SIZE);
	size_t usable = kheap_usable_size(h, p);
	assert_true(usable >= 100000 && usable < 100000 + PAGE_SIZE);
	assert_int_equal(stats_of(h).used_bytes, usable);
	assert_sound(f);
	assert_ptr_equal(kheap_realloc(h, p, usable), p); /* within the last page */
	assert_filled(p, 100000, 5);
	char *q = kheap_realloc(h, p, usable + 1); /* past it: moves */
	assert_non_null(q);
	assert_ptr_not_equal(q, p);
	assert_filled(q, 100000, 5);
	assert_sound(f);
	char *s = kheap_realloc(h, q, 1000); /* small enough for an arena: moves there */
	assert_non_null(s);
	assert_ptr_not_equal(s, q);
	assert_int_equal(kheap_usable_size(h, s), 1024);
	assert_filled(s, 1000, 5);
	assert_int_equal(kheap_free(h, s), 0);
	assert_drained(f);

	/* realloc(p, 0) frees; realloc(NULL, n) allocates */
	p = kheap_realloc(h, NULL, 40000);
	assert_non_null(p);
	assert_null(kheap_realloc(h, p, 0));
	assert_drained(f);
}

/* ---- Random stress against a model ---- */

#define SLOTS 512
#define STEPS 30000

struct slot {
	char *p;
	size_t size; /* bytes filled with the slot's pattern */
	unsigned tag;
};

static int cmp_slot(const void *x, const void *y)
{
	const struct slot *a = x, *b = y;

	return (a->p > b->p) - (a->p < b->p);
}

/* A request size: mostly small, some pages, a few runs. */
static size_t random_size(uint64_t *rng)
{
	uint64_t c = test_rand_below(rng, 100);

	if (c < 70)
		return test_rand_range(rng, 1, 256);
	if (c < 90)
		return test_rand_range(rng, 257, 8192);
	if (c < 98)
		return test_rand_range(rng, 8193, BUDDY_KHEAP_MAX_BLOCK);
	return test_rand_range(rng, BUDDY_KHEAP_MAX_BLOCK + 1, 200000);
}

/*
 * The model's live blocks do not overlap, hold their patterns, and add up
 * to the heap's counters.
 */
static void check_model(struct fixture *f, const struct slot *slots)
{
	static struct slot live[SLOTS];
	struct kheap *h = &f->b.heap;
	size_t n = 0;
	uint64_t used = 0;

	for (size_t i = 0; i < SLOTS; i++) {
		if (!slots[i].p)
			continue;
		live[n++] = slots[i];
		used += kheap_usable_size(h, slots[i].p);
		assert_int_equal(kheap_live_size(h, slots[i].p), kheap_usable_size(h, slots[i].p));
		assert_filled(slots[i].p, slots[i].size, slots[i].tag);
	}
	qsort(live, n, sizeof(live[0]), cmp_slot);
	for (size_t i = 1; i < n; i++)
		assert_true(live[i - 1].p + kheap_usable_size(h, live[i - 1].p) <= live[i].p);
	assert_int_equal(stats_of(h).live, n);
	assert_int_equal(stats_of(h).used_bytes, used);
	assert_sound(f);
}

/* Seeded random alloc / memalign / calloc / realloc / free against the model. */
static void test_random_stress(void **state)
{
	struct fixture *f = *state;
	struct kheap *h = &f->b.heap;
	static struct slot slots[SLOTS];
	uint64_t seed = host_test_seed(DEFAULT_SEED), rng = seed;
	unsigned tag = 0;

	print_message("stress: seed %#llx (TEST_SEED replays it)\n", (unsigned long long)seed);
	memset(slots, 0, sizeof(slots));
	for (int step = 0; step < STEPS; step++) {
		struct slot *s = &slots[test_rand_below(&rng, SLOTS)];
		uint64_t c = test_rand_below(&rng, 100);

		if (!s->p) {
			size_t size = random_size(&rng);
			size_t align = (size_t)1 << test_rand_range(&rng, 4, 12);

			if (c < 60)
				s->p = kheap_alloc(h, size);
			else if (c < 90)
				s->p = kheap_memalign(h, align, size);
			else
				s->p = kheap_calloc(h, 1, size);
			assert_non_null(s->p);
			if (c >= 60 && c < 90)
				assert_int_equal((uintptr_t)s->p % align, 0);
			assert_true(kheap_usable_size(h, s->p) >= size);
			s->size = size;
			s->tag = ++tag;
			fill(s->p, size, s->tag);
		} else if (c < 60) {
			assert_filled(s->p, s->size, s->tag);
			assert_int_equal(kheap_free(h, s->p), 0);
			s->p = NULL;
		} else {
			size_t size = c < 80 ? random_size(&rng)
					     : (size_t)test_rand_range(&rng, 1, s->size * 2);
			char *p = kheap_realloc(h, s->p, size);

			assert_non_null(p);
			assert_filled(p, size < s->size ? size : s->size, s->tag);
			assert_true(kheap_usable_size(h, p) >= size);
			s->p = p;
			s->size = size;
			s->tag = ++tag;
			fill(p, size, s->tag);
		}
		if (step % 500 == 0)
			check_model(f, slots);
	}
	check_model(f, slots);
	for (size_t i = 0; i < SLOTS; i++)
		if (slots[i].p)
			assert_int_equal(kheap_free(h, slots[i].p), 0);
	assert_drained(f);
}

/* ---- Many small blocks freed at random ---- */

#define MANY 25000

/*
 * 25,000 blocks of 64 bytes freed in a random order: each free finds its
 * buddy at once (the time is printed, not judged: the benchmarks measure).
 */
static void test_random_free_many(void **state)
{
	struct fixture *f = *state;
	struct kheap *h = &f->b.heap;
	uint64_t seed = host_test_seed(DEFAULT_SEED), rng = seed;
	uint64_t *blocks = malloc(MANY * sizeof(*blocks));

	print_message("random free: seed %#llx (TEST_SEED replays it)\n", (unsigned long long)seed);
	assert_non_null(blocks);
	for (size_t i = 0; i < MANY; i++) {
		blocks[i] = (uintptr_t)kheap_alloc(h, 64);
		assert_true(blocks[i] != 0);
	}
	assert_sound(f);
	test_rand_shuffle(&rng, blocks, MANY);
	double t0 = bench_now_s();
	for (size_t i = 0; i < MANY; i++)
		assert_int_equal(kheap_free(h, (void *)(uintptr_t)blocks[i]), 0);
	double t = bench_now_s() - t0;
	print_message("random free: %d blocks of 64 bytes in %.3f ms\n", MANY, t * 1e3);
	assert_drained(f);
	free(blocks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_orders_and_aligns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_merge_random_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_frees, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resize_blocks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resize_runs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_stress, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_free_many, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

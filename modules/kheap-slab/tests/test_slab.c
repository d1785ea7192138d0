/*
 * test_slab.c - the slab heap's promises (kheap-slab/slab.h), one by one:
 * the size classes and how requests map onto them, every size and
 * alignment up to PAGE_SIZE, objects packed into one page per slab, empty
 * slabs given back but one, the bad frees it detects, out of memory at
 * every page allocation, realloc in place and moving, and a checker that
 * notices corrupted state. The seeded random stress is test_slab_stress.c.
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

#include "../src/slab_internal.h"
#include "slab_fixture.h"
#include "test_rand.h"
#include "test_seed.h"

#define PG PAGE_SIZE

/* The class sizes the header states, in order. */
static const size_t class_sizes[SLAB_NR_CLASSES] = {16,	 32,  48,  64,	96,   128, 192,
						    256, 384, 512, 768, 1024, 1536};

/* The class size the design gives (size, align), or 0 when it is a run. */
static size_t expected_class(size_t size, size_t align)
{
	for (unsigned c = 0; c < SLAB_NR_CLASSES; c++) {
		size_t cs = class_sizes[c];
		if (cs >= size && (cs & -cs) >= align)
			return cs;
	}
	return 0;
}

/* Where in its page a run's block starts for `align`: past the 40-byte header, aligned. */
static size_t expected_run_offset(size_t align)
{
	return ALIGN_UP((size_t)40, align);
}

/* ---- Size classes ---- */

/* The class table and the mapping of every (size, align) onto it. */
static void test_class_table(void **state)
{
	(void)state;
	assert_int_equal(SLAB_LARGEST_OBJECT, class_sizes[SLAB_NR_CLASSES - 1]);
	assert_int_equal(sizeof(struct slab_run), 40);
	for (unsigned c = 0; c < SLAB_NR_CLASSES; c++) {
		const struct slab_class *k = &slab_classes[c];
		assert_int_equal(k->size, class_sizes[c]);
		assert_true(k->first >= sizeof(struct slab));
		assert_int_equal(k->first % slab_class_align(k), 0);
		assert_int_equal(k->count, (PG - k->first) / k->size);
		assert_true(k->count >= 2 && k->count <= 64 * SLAB_BITMAP_WORDS);
	}
	for (size_t size = 1; size <= 2 * SLAB_LARGEST_OBJECT; size++) {
		for (size_t align = KHEAP_MIN_ALIGN; align <= PG; align <<= 1) {
			size_t want = expected_class(size, align);
			unsigned cls = slab_class_of(size, align);
			if (want == 0)
				assert_int_equal(cls, SLAB_NR_CLASSES);
			else
				assert_int_equal(slab_classes[cls].size, want);
		}
	}
}

/* ---- Every size and alignment ---- */

/*
 * Every size up to past the largest class and sizes around the run page
 * boundaries, at every alignment 16 .. PAGE_SIZE, all live at once: each
 * block aligned, of the usable size the design gives, keeping its contents;
 * then all freed in random order, back to at most the spare page.
 */
static void test_every_size_and_align(void **state)
{
	(void)state;
	enum { SMALL = 2100, MAX_BLOCKS = SMALL + 40 };
	size_t sizes[MAX_BLOCKS], n = 0;
	void *blocks[MAX_BLOCKS];
	uint64_t rng = slab_seed_for(__func__);

	for (size_t s = 1; s <= SMALL; s++)
		sizes[n++] = s;
	for (size_t pages = 1; pages <= 5; pages++) {
		size_t edge = pages * PG - 48; /* fills the run exactly at align 16 */
		size_t around[] = {edge - 1, edge, edge + 1, pages * PG, pages * PG + 1};
		for (size_t i = 0; i < sizeof(around) / sizeof(around[0]); i++)
			sizes[n++] = around[i];
	}
	sizes[n++] = 100000;
	sizes[n++] = (size_t)1 << 20;

	for (size_t align = KHEAP_MIN_ALIGN; align <= PG; align <<= 1) {
		uint64_t used = 0;
		for (size_t i = 0; i < n; i++) {
			void *p = kheap_memalign(&fx.h.heap, align, sizes[i]);
			assert_non_null(p);
			size_t usable = kheap_usable_size(&fx.h.heap, p),
			       cls = expected_class(sizes[i], align);
			assert_true(IS_ALIGNED((uintptr_t)p, align));
			assert_true(usable >= sizes[i]);
			assert_int_equal(kheap_live_size(&fx.h.heap, p), usable);
			if (cls) {
				assert_int_equal(usable, cls);
			} else {
				size_t offset = expected_run_offset(align);
				assert_int_equal((uintptr_t)p - ALIGN_DOWN((uintptr_t)p - 1, PG),
						 offset);
				assert_int_equal(usable, ALIGN_UP(offset + sizes[i], PG) - offset);
			}
			fill_pattern(p, usable, i);
			blocks[i] = p;
			used += usable;
		}
		for (size_t i = 0; i < n; i++)
			assert_true(
			    has_pattern(blocks[i], kheap_usable_size(&fx.h.heap, blocks[i]), i));
		struct kheap_stats st = slab_stats(&fx);
		assert_int_equal(st.live, n);
		assert_int_equal(st.used_bytes, used);
		assert_heap_consistent(&fx);
		free_in_random_order(&fx, blocks, n, &rng);
		assert_heap_empty(&fx);
	}
}

/* ---- Slabs ---- */

/*
 * Each class packs slab_classes[c].count objects into one page, lowest
 * free object first; the next object takes a new page.
 */
static void test_slab_packing(void **state)
{
	(void)state;
	void *objs[64 * SLAB_BITMAP_WORDS + 1];

	for (unsigned c = 0; c < SLAB_NR_CLASSES; c++) {
		const struct slab_class *k = &slab_classes[c];
		uint64_t calls = fx.tp.calls;
		uintptr_t page = 0;
		for (unsigned i = 0; i < k->count; i++) {
			objs[i] = kheap_alloc(&fx.h.heap, k->size);
			assert_non_null(objs[i]);
			if (i == 0)
				page = ALIGN_DOWN((uintptr_t)objs[0], PG);
			assert_ptr_equal(objs[i], (char *)page + k->first + (size_t)i * k->size);
		}
		/* One page at most: none when the previous class left its slab as the spare. */
		assert_true(fx.tp.calls - calls <= 1);
		assert_int_equal(fx.tp.held, 1);
		objs[k->count] = kheap_alloc(&fx.h.heap, k->size);
		assert_int_not_equal(ALIGN_DOWN((uintptr_t)objs[k->count], PG), page);
		assert_int_equal(fx.tp.held, 2);
		assert_heap_consistent(&fx);
		for (unsigned i = 0; i <= k->count; i++)
			assert_int_equal(kheap_free(&fx.h.heap, objs[i]), 0);
		assert_heap_empty(&fx);
	}
}

/* A slab that empties goes back at once, except the one spare any class reuses. */
static void test_empty_slabs_go_back(void **state)
{
	(void)state;
	enum { PER_SLAB = (PG - 64) / 64 }; /* class 64 */
	void *first[PER_SLAB], *second[PER_SLAB];

	for (int i = 0; i < PER_SLAB; i++)
		first[i] = kheap_alloc(&fx.h.heap, 64);
	for (int i = 0; i < PER_SLAB; i++)
		second[i] = kheap_alloc(&fx.h.heap, 64);
	uintptr_t first_page = ALIGN_DOWN((uintptr_t)first[0], PG);
	assert_int_equal(ALIGN_DOWN((uintptr_t)first[PER_SLAB - 1], PG), first_page);
	assert_int_not_equal(ALIGN_DOWN((uintptr_t)second[0], PG), first_page);
	assert_int_equal(fx.tp.held, 2);

	for (int i = 0; i < PER_SLAB; i++)
		assert_int_equal(kheap_free(&fx.h.heap, first[i]), 0);
	assert_int_equal(fx.tp.held, 2); /* the first slab is the spare */
	assert_heap_consistent(&fx);
	for (int i = 0; i < PER_SLAB; i++)
		assert_int_equal(kheap_free(&fx.h.heap, second[i]), 0);
	assert_int_equal(fx.tp.held, 1); /* the second went back at once */
	assert_heap_empty(&fx);

	/* Another class reuses the spare without asking for a page. */
	uint64_t calls = fx.tp.calls;
	void *p = kheap_alloc(&fx.h.heap, 1000);
	assert_int_equal(ALIGN_DOWN((uintptr_t)p, PG), first_page);
	assert_int_equal(fx.tp.calls, calls);
	assert_int_equal(kheap_free(&fx.h.heap, p), 0);
	assert_int_equal(fx.tp.held, 1);

	/* A run's pages go back as soon as it is freed; the spare stays. */
	p = kheap_alloc(&fx.h.heap, 3 * PG);
	assert_int_equal(fx.tp.held, 1 + 4);
	assert_int_equal(kheap_free(&fx.h.heap, p), 0);
	assert_int_equal(fx.tp.held, 1);
	assert_heap_empty(&fx);
}

/* ---- Bad frees ---- */

/* Every bad free the header lists: -EINVAL or -ENOENT, the heap unchanged. */
static void test_bad_frees(void **state)
{
	(void)state;
	struct kheap *h = &fx.h.heap;
	char *a = kheap_alloc(h, 64), *a2 = kheap_alloc(h, 64);
	uintptr_t x = ALIGN_DOWN((uintptr_t)a, PG);
	assert_ptr_equal(a, (char *)x + 64);

	/* In a slab, not at an object's start. */
	assert_free_fails(&fx, a + 1, -EINVAL);
	assert_free_fails(&fx, a + 8, -EINVAL);
	assert_free_fails(&fx, a + 16, -EINVAL);
	assert_free_fails(&fx, a + 48, -EINVAL);
	assert_free_fails(&fx, (char *)x + 16, -EINVAL); /* the header */
	assert_free_fails(&fx, (char *)x + 32, -EINVAL);

	/* Class 1536: objects at 512 and 2048, a tail from 3584. */
	char *b = kheap_alloc(h, 1536);
	uintptr_t y = ALIGN_DOWN((uintptr_t)b, PG);
	assert_int_equal(y, x + PG); /* the page source gives the lowest page */
	assert_ptr_equal(b, (char *)y + 512);
	assert_free_fails(&fx, (char *)y + 256, -EINVAL); /* between header and object 0 */
	assert_free_fails(&fx, b + 1024, -EINVAL);
	assert_free_fails(&fx, (char *)y + 3584, -EINVAL); /* the tail */
	assert_free_fails(&fx, (char *)y + 4080, -EINVAL);
	assert_free_fails(&fx, (char *)y + 2048, -ENOENT); /* object 1, never handed out */
	/* A slab's own address: its header page is the slab before, past its last object. */
	assert_free_fails(&fx, (char *)y, -EINVAL);

	/* Twice. */
	assert_int_equal(kheap_free(h, a2), 0);
	assert_free_fails(&fx, a2, -ENOENT);
	/* Twice, the slab being the spare by then. */
	char *c = kheap_alloc(h, 300);
	uintptr_t z = ALIGN_DOWN((uintptr_t)c, PG);
	assert_int_equal(z, y + PG);
	assert_int_equal(kheap_free(h, c), 0);
	assert_int_equal(fx.tp.held, 3);
	assert_free_fails(&fx, c, -ENOENT);

	/* A run of 3 pages: only its block's start frees it. */
	char *r = kheap_alloc(h, 10000);
	uintptr_t run = ALIGN_DOWN((uintptr_t)r, PG);
	assert_int_equal(run, z + PG);
	assert_ptr_equal(r, (char *)run + 48);
	fill_pattern(r, kheap_usable_size(h, r), 1);
	assert_free_fails(&fx, r + 16, -EINVAL);
	assert_free_fails(&fx, r - 32, -EINVAL);	   /* the run's header */
	assert_free_fails(&fx, (char *)run, -EINVAL);	   /* its page: the spare's past-the-end */
	assert_free_fails(&fx, (char *)run + PG, -EINVAL); /* header page: the run's */
	assert_free_fails(&fx, (char *)run + PG + 16, -EINVAL); /* a data page */
	assert_free_fails(&fx, (char *)run + 2 * PG, -EINVAL);
	assert_free_fails(&fx, (char *)run + 2 * PG + 512, -EINVAL);

	/* A 4096-aligned block: its header has the page before it. */
	char *q = kheap_memalign(h, PG, 100);
	uintptr_t qrun = ALIGN_DOWN((uintptr_t)q - 1, PG);
	assert_ptr_equal(q, (char *)qrun + PG);
	fill_pattern(q, kheap_usable_size(h, q), 2);
	assert_free_fails(&fx, (char *)qrun + 64, -EINVAL);
	assert_free_fails(&fx, q + 16, -EINVAL);
	assert_free_fails(&fx, q + PG, -EINVAL); /* just past the run: its page before is data */

	/* Another heap's blocks. */
	struct slab_fixture other;
	slab_fixture_create(&other);
	char *o = kheap_alloc(&other.h.heap, 64), *orun = kheap_alloc(&other.h.heap, 5000);
	assert_free_fails(&fx, o, -EINVAL);
	assert_free_fails(&fx, orun, -EINVAL);
	assert_int_equal(kheap_free(&other.h.heap, o), 0);
	assert_int_equal(kheap_free(&other.h.heap, orun), 0);
	slab_fixture_destroy(&other);

	/* The heap still works and gives everything back. */
	assert_true(has_pattern(r, kheap_usable_size(h, r), 1));
	assert_true(has_pattern(q, kheap_usable_size(h, q), 2));
	assert_int_equal(kheap_free(h, a), 0);
	assert_int_equal(kheap_free(h, b), 0);
	assert_int_equal(kheap_free(h, r), 0);
	assert_int_equal(kheap_free(h, q), 0);
	assert_int_equal(kheap_free(h, NULL), 0);
	assert_heap_empty(&fx);
}

/* ---- Out of memory ---- */

/* A size for the out-of-memory scenario: mostly small, some runs. */
static size_t scenario_size(uint64_t *rng)
{
	uint64_t r = test_rand_below(rng, 100);

	if (r < 70)
		return (size_t)test_rand_range(rng, 1, SLAB_LARGEST_OBJECT);
	return (size_t)test_rand_range(rng, SLAB_LARGEST_OBJECT + 1, 5 * PG);
}

/*
 * A fixed mix of memalign, realloc and free over SLOTS slots on fx. Every
 * call that fails must leave the heap as it was (and realloc its block
 * untouched; a shrink that cannot move keeps its block and does not fail).
 * Returns the calls that failed; frees everything at the end.
 */
static int run_scenario(uint64_t seed)
{
	enum { SLOTS = 40, OPS = 300 };
	struct kheap *h = &fx.h.heap;
	void *slot[SLOTS] = {0};
	size_t size[SLOTS] = {0};
	uint64_t rng = seed;
	int failed = 0;

	for (int op = 0; op < OPS; op++) {
		int i = (int)test_rand_below(&rng, SLOTS);
		uint64_t what = test_rand_below(&rng, 3);
		size_t want = scenario_size(&rng);
		size_t align = (size_t)1 << test_rand_range(&rng, 4, 12);
		struct kheap_stats before = slab_stats(&fx), after;

		if (slot[i] && what == 0) {
			assert_true(has_pattern(slot[i], size[i], i));
			assert_int_equal(kheap_free(h, slot[i]), 0);
			slot[i] = NULL;
		} else if (slot[i]) {
			void *p = kheap_realloc(h, slot[i], want);
			if (!p) {
				failed++;
				after = slab_stats(&fx);
				assert_stats_equal(&before, &after);
				assert_true(has_pattern(slot[i], size[i], i));
			} else {
				size_t kept = size[i] < want ? size[i] : want;
				assert_true(has_pattern(p, kept, i));
				slot[i] = p;
				size[i] = want;
				fill_pattern(p, want, i);
			}
		} else {
			void *p = kheap_memalign(h, align, want);
			if (!p) {
				failed++;
				after = slab_stats(&fx);
				assert_stats_equal(&before, &after);
			} else {
				assert_true(IS_ALIGNED((uintptr_t)p, align));
				slot[i] = p;
				size[i] = want;
				fill_pattern(p, want, i);
			}
		}
		assert_heap_consistent(&fx);
	}
	for (int i = 0; i < SLOTS; i++) {
		if (slot[i]) {
			assert_true(has_pattern(slot[i], size[i], i));
			assert_int_equal(kheap_free(h, slot[i]), 0);
		}
	}
	assert_heap_empty(&fx);
	return failed;
}

/*
 * The scenario with the page source failing after n successful page
 * allocations, for every n up to the number it makes when nothing fails:
 * each failed call returns NULL with the heap unchanged, and nothing is
 * lost (everything freed, the heap holds at most the spare).
 */
static void test_out_of_memory_everywhere(void **state)
{
	(void)state;
	uint64_t seed = slab_seed_for(__func__);

	assert_int_equal(run_scenario(seed), 0);
	long pages_calls = (long)fx.tp.calls;
	assert_true(pages_calls > 20);
	for (long n = 0; n <= pages_calls; n++) {
		slab_fixture_destroy(&fx);
		slab_fixture_create(&fx);
		kheap_test_pages_fail_after(&fx.tp, n);
		int failed = run_scenario(seed);
		/* The same calls up to the n-th page, then every page request failed. */
		assert_int_equal(fx.tp.calls, n);
		if (n == pages_calls)
			assert_int_equal(failed, 0);
	}
}

/* ---- Realloc ---- */

/* Growth through every class into runs and back, contents kept; in place where promised. */
static void test_realloc_in_place_and_moving(void **state)
{
	(void)state;
	struct kheap *h = &fx.h.heap;

	/* From a large class to a small one moves; out of pages, it keeps its block. */
	char *big = kheap_alloc(h, 1500);
	fill_pattern(big, 1500, 10);
	kheap_test_pages_fail_after(&fx.tp, 0);
	struct kheap_stats before = slab_stats(&fx);
	assert_ptr_equal(kheap_realloc(h, big, 10), big); /* no class-16 slab, no spare, no page */
	struct kheap_stats after = slab_stats(&fx);
	assert_stats_equal(&before, &after);
	assert_null(kheap_realloc(h, big, 5000)); /* growing fails plainly */
	after = slab_stats(&fx);
	assert_stats_equal(&before, &after);
	assert_true(has_pattern(big, 1500, 10));
	kheap_test_pages_fail_after(&fx.tp, -1);
	char *small = kheap_realloc(h, big, 10);
	assert_ptr_not_equal(small, big);
	assert_true(has_pattern(small, 10, 10));

	/* Within a class: in place, both ways. */
	char *p = kheap_alloc(h, 20);
	fill_pattern(p, 20, 7);
	assert_ptr_equal(kheap_realloc(h, p, 32), p);
	assert_ptr_equal(kheap_realloc(h, p, 17), p);
	assert_true(has_pattern(p, 17, 7));

	/* Growing: through every class and into ever longer runs. */
	size_t size = 17;
	fill_pattern(p, size, 7);
	for (size_t want = 40; want <= 40 * PG; want = want * 3 / 2) {
		size_t old_usable = kheap_usable_size(h, p);
		char *q = kheap_realloc(h, p, want);
		assert_non_null(q);
		assert_true(has_pattern(q, size, 7));
		assert_true(kheap_usable_size(h, q) >= want);
		if (expected_class(want, KHEAP_MIN_ALIGN) ==
			expected_class(size, KHEAP_MIN_ALIGN) &&
		    want <= SLAB_LARGEST_OBJECT)
			assert_ptr_equal(q, p); /* the same class */
		if (size > SLAB_LARGEST_OBJECT && want <= old_usable)
			assert_ptr_equal(q, p); /* the same run */
		p = q;
		size = want;
		fill_pattern(p, size, 7);
		assert_heap_consistent(&fx);
	}

	/* Shrinking a run in place gives back the pages past its new end. */
	char *r = kheap_alloc(h, 10 * PG);
	assert_ptr_equal(r, (char *)ALIGN_DOWN((uintptr_t)r, PG) + 48);
	fill_pattern(r, 10 * PG, 8);
	uint64_t held = fx.tp.held; /* the run has 11 pages */
	assert_ptr_equal(kheap_realloc(h, r, 4 * PG - 48), r);
	assert_int_equal(fx.tp.held, held - 7);
	assert_int_equal(kheap_usable_size(h, r), 4 * PG - 48);
	assert_ptr_equal(kheap_realloc(h, r, 2000), r);
	assert_int_equal(fx.tp.held, held - 10);
	assert_true(has_pattern(r, 2000, 8));
	assert_ptr_equal(kheap_realloc(h, r, PG - 48), r); /* still fits its one page */
	assert_heap_consistent(&fx);
	/* Into a slab when it becomes small, out of the run when it grows. */
	char *s = kheap_realloc(h, r, 1000);
	assert_ptr_not_equal(s, r);
	assert_int_equal(kheap_usable_size(h, s), 1024);
	assert_true(has_pattern(s, 1000, 8));
	char *t = kheap_alloc(h, 2 * PG);
	fill_pattern(t, 2 * PG, 9);
	char *u = kheap_realloc(h, t, 3 * PG);
	assert_ptr_not_equal(u, t);
	assert_true(has_pattern(u, 2 * PG, 9));

	/* realloc(NULL, n) allocates, realloc(p, 0) frees. */
	char *n = kheap_realloc(h, NULL, 100);
	assert_non_null(n);
	assert_null(kheap_realloc(h, n, 0));
	assert_int_equal(kheap_free(h, p), 0);
	assert_int_equal(kheap_free(h, s), 0);
	assert_int_equal(kheap_free(h, u), 0);
	assert_int_equal(kheap_free(h, small), 0);
	assert_heap_empty(&fx);
}

/* ---- The checker ---- */

/* Fails the test unless kheap_check fails after `damage` and passes again after `repair`. */
#define ASSERT_CHECK_CATCHES(damage, repair)                                                       \
	do {                                                                                       \
		damage;                                                                            \
		assert_int_equal(kheap_check(&fx.h.heap), -EFAULT);                                \
		repair;                                                                            \
		assert_int_equal(kheap_check(&fx.h.heap), 0);                                      \
	} while (0)

/* Every counter and header field the checker verifies, corrupted and restored in turn. */
static void test_check_detects_corruption(void **state)
{
	(void)state;
	struct kheap *h = &fx.h.heap;
	char *a = kheap_alloc(h, 64); /* a partial slab of class 64 */
	char *full[2] = {kheap_alloc(h, 1536), kheap_alloc(h, 1536)}; /* a full slab */
	char *r = kheap_alloc(h, 3 * PG);
	char *gone = kheap_alloc(h, 500);
	assert_int_equal(kheap_free(h, gone), 0); /* its slab is the spare */
	struct slab *s = (struct slab *)ALIGN_DOWN((uintptr_t)a, PG);
	struct slab *f = (struct slab *)ALIGN_DOWN((uintptr_t)full[0], PG);
	struct slab_run *run = (struct slab_run *)ALIGN_DOWN((uintptr_t)r, PG);
	struct slab_kheap *k = &fx.h;
	assert_non_null(k->spare);
	assert_heap_consistent(&fx);

	ASSERT_CHECK_CATCHES(k->live++, k->live--);
	ASSERT_CHECK_CATCHES(k->used_bytes += 16, k->used_bytes -= 16);
	ASSERT_CHECK_CATCHES(k->pages++, k->pages--);
	ASSERT_CHECK_CATCHES(s->free_bits[0] ^= 1, s->free_bits[0] ^= 1); /* a live object free */
	ASSERT_CHECK_CATCHES(s->nfree--, s->nfree++);
	/* A free bit past the last object (63 objects: bit 63 of word 0), counted. */
	ASSERT_CHECK_CATCHES((s->free_bits[0] |= 1ULL << 63, s->nfree++),
			     (s->free_bits[0] &= ~(1ULL << 63), s->nfree--));
	ASSERT_CHECK_CATCHES(s->cls++, s->cls--);
	ASSERT_CHECK_CATCHES(s->key ^= 1, s->key ^= 1);
	/* A full slab on the partial list. */
	ASSERT_CHECK_CATCHES((list_del(&f->link), list_add(&f->link, &k->partial[f->cls])),
			     (list_del(&f->link), list_add(&f->link, &k->full[f->cls])));
	/* The spare not empty, or on a list. */
	ASSERT_CHECK_CATCHES((k->spare->free_bits[0] ^= 1, k->spare->nfree--),
			     (k->spare->free_bits[0] ^= 1, k->spare->nfree++));
	ASSERT_CHECK_CATCHES(list_add(&k->spare->link, &k->partial[k->spare->cls]),
			     list_del(&k->spare->link));
	/* A run's header. */
	ASSERT_CHECK_CATCHES(run->npages++, run->npages--);
	ASSERT_CHECK_CATCHES(run->block_offset = 8, run->block_offset = 48);
	ASSERT_CHECK_CATCHES(run->key ^= 1, run->key ^= 1);
	/* A list that loops. */
	struct list_head *next = s->link.next;
	ASSERT_CHECK_CATCHES(s->link.next = &s->link, s->link.next = next);
	assert_heap_consistent(&fx);

	assert_int_equal(kheap_free(h, a), 0);
	assert_int_equal(kheap_free(h, full[0]), 0);
	assert_int_equal(kheap_free(h, full[1]), 0);
	assert_int_equal(kheap_free(h, r), 0);
	assert_heap_empty(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_class_table),
	    cmocka_unit_test_setup_teardown(test_every_size_and_align, slab_setup, slab_teardown),
	    cmocka_unit_test_setup_teardown(test_slab_packing, slab_setup, slab_teardown),
	    cmocka_unit_test_setup_teardown(test_empty_slabs_go_back, slab_setup, slab_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_frees, slab_setup, slab_teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_memory_everywhere, slab_setup,
					    slab_teardown),
	    cmocka_unit_test_setup_teardown(test_realloc_in_place_and_moving, slab_setup,
					    slab_teardown),
	    cmocka_unit_test_setup_teardown(test_check_detects_corruption, slab_setup,
					    slab_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

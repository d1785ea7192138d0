/*
 * compact_cases.c - the compaction suite (see compact_cases.h):
 * axalloc_compact with mm-addrspace's migrator, in pools where the answer
 * is known: every free page is held by the test except two 2M blocks that
 * hold movable 4K pages of a space, half each, so that emptying one block
 * must move exactly its 256 used pages into the other; with an unmovable
 * page added, no block can be emptied.
 *
 * Out of memory at every step: pools where the pages to move belong to two
 * spaces (private, COW-shared and COW-copied 4K pages, a shared and a
 * private transparent 2M page), compacted for 2M, 4M and 1G with the k-th
 * page allocation failing, k = 0, 1, ..., each run followed by a check of
 * contents, reverse map, counts and the allocator's pages, then a leak check
 * after destroy. Unmovable pages (page tables, heap, a Linear frame, a page
 * taken with axalloc_alloc_pages) in the cheapest block keep their address
 * and bytes while compaction empties the next block around them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "aspace_test_fixture.h"
#include "compact_cases.h"
#include <page-table/sv39.h>

#define PAGES_PER_2M (PG2M / PG4K)
#define HALF	     (PAGES_PER_2M / 2)

/* Every 4K page hold_rest took. */
struct held_pages {
	paddr_t *pa;
	uint64_t n;
};

/* Takes every free 4K page (after hog_2m_frames took the 2M blocks). */
static void hold_rest(struct held_pages *h)
{
	h->pa = malloc(ENV_RAM_SIZE / PG4K * sizeof(*h->pa));
	assert_non_null(h->pa);
	h->n = 0;
	while (axalloc_alloc_pages(1, PG4K, AXALLOC_MOVABLE, &h->pa[h->n]) == 0)
		h->n++;
}

static void release_rest(struct held_pages *h)
{
	while (h->n > 0)
		assert_int_equal(axalloc_free_pages(h->pa[--h->n], 1), 0);
	free(h->pa);
}

/* What a fragmented pool holds besides the spaces: the hogged blocks and 4K pages. */
struct pool {
	struct hog_2m hog;
	struct held_pages rest;
};

static uint64_t pool_pages(const struct pool *p)
{
	return (uint64_t)p->hog.nr_blocks * PAGES_PER_2M + (uint64_t)p->hog.nr_pinned + p->rest.n;
}

/* Gives back the hogged 2M blocks inside [lo, lo + size): all that is free then. */
static void pool_give_back(struct pool *p, paddr_t lo, uint64_t size)
{
	struct axalloc_stats st;

	for (int i = 0; i < p->hog.nr_blocks; i++) {
		if (p->hog.blocks[i] < lo || p->hog.blocks[i] >= lo + size)
			continue;
		assert_int_equal(axalloc_free_pages(p->hog.blocks[i], PAGES_PER_2M), 0);
		p->hog.blocks[i--] = p->hog.blocks[--p->hog.nr_blocks];
	}
	axalloc_stats(&st);
	assert_int_equal(st.pages.free_pages, size / PG4K);
}

/* Every free page held: every free 2M block, then every 4K page. */
static void pool_hold_all(struct pool *p)
{
	hog_2m_frames(&p->hog, 0);
	hold_rest(&p->rest);
}

/* Every free page held but the range [lo, lo + size) of free 2M blocks. */
static void pool_hold_all_but(struct pool *p, paddr_t lo, uint64_t size)
{
	pool_hold_all(p);
	pool_give_back(p, lo, size);
}

/* Gives back what the pool holds. */
static void release_pool(struct pool *p)
{
	release_rest(&p->rest);
	unhog_2m_frames(&p->hog);
}

/*
 * Known pool: the space's lazy area at VA (4M of 4K pages, first and last
 * page touched early so that its tables exist), every free page held, then
 * two hogged blocks b1 < b2 given back and filled by populating 768 pages
 * (b1 whole, b2 half), then every other page of b1 unmapped: 256 used
 * pages in each block, 512 free pages, no free 2M block.
 */
static void known_pool(struct fixture *f, struct pool *p, paddr_t *b1, paddr_t *b2)
{
	struct hog_2m *hog = &p->hog;

	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_NEVER), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA, 2 * PG2M, RW, false, PG4K), 0);
	assert_int_equal(aspace_populate(&f->as, VA, PG4K, ACCESS_WRITE), 0);
	assert_int_equal(aspace_populate(&f->as, VA + 2 * PG2M - PG4K, PG4K, ACCESS_WRITE), 0);
	pool_hold_all(p);
	assert_true(hog->nr_blocks >= 2);
	/* The two lowest blocks taken come back. */
	*b1 = hog->blocks[0];
	*b2 = hog->blocks[1];
	assert_true(*b1 < *b2);
	hog->blocks[0] = hog->blocks[--hog->nr_blocks];
	hog->blocks[1] = hog->blocks[--hog->nr_blocks];
	assert_int_equal(axalloc_free_pages(*b1, PAGES_PER_2M), 0);
	assert_int_equal(axalloc_free_pages(*b2, PAGES_PER_2M), 0);
	fill(&f->as, VA + PG4K, (PAGES_PER_2M + HALF) * PG4K, 3);
	assert_int_equal(frame_of(&f->as, VA + PG4K), *b1);
	assert_int_equal(frame_of(&f->as, VA + (PAGES_PER_2M + 1) * PG4K), *b2);
	for (uint64_t i = 0; i < PAGES_PER_2M; i += 2)
		assert_int_equal(aspace_unmap(&f->as, VA + (1 + i) * PG4K, PG4K), 0);
}

/* A pool with a free 2M block: nothing to do. */
static void test_compact_free_block(void **state)
{
	struct fixture *f = *state;
	struct axalloc_compact_result r;

	(void)f;
	assert_int_equal(axalloc_compact(9, &r), 0);
	assert_int_equal(r.pages_migrated, 0);
	assert_int_equal(r.blocks_tried, 0);
	assert_int_equal(axalloc_compact(0, &r), -EINVAL);
	assert_int_equal(axalloc_compact(19, &r), -EINVAL);
}

/* The known pool: b1 is emptied by moving its 256 pages into b2; contents kept. */
static void test_compact_known_pool(void **state)
{
	struct fixture *f = *state;
	static struct pool p;
	struct axalloc_compact_result r;
	paddr_t b1, b2, pa;

	known_pool(f, &p, &b1, &b2);
	assert_int_equal(axalloc_alloc_pages(PAGES_PER_2M, PG2M, AXALLOC_UNMOVABLE, &pa), -ENOMEM);
	assert_int_equal(axalloc_compact(9, &r), 0);
	assert_int_equal(r.blocks_tried, 1);
	assert_int_equal(r.pages_migrated, HALF);
	assert_int_equal(r.pages_failed, 0);
	for (uint64_t i = 1; i < PAGES_PER_2M; i += 2) {
		paddr_t now = frame_of(&f->as, VA + (1 + i) * PG4K);

		assert_true(now >= b2 && now < b2 + PG2M);
		expect_refs(&f->as, VA + (1 + i) * PG4K, 1);
	}
	for (uint64_t i = 1; i < PAGES_PER_2M; i += 2)
		expect_fill(&f->as, VA + (1 + i) * PG4K, PG4K, 3);
	expect_fill(&f->as, VA + (PAGES_PER_2M + 1) * PG4K, HALF * PG4K, 3);
	/* The emptied block is free as a whole, and b2 is full. */
	assert_int_equal(axalloc_alloc_pages(PAGES_PER_2M, PG2M, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(pa, b1);
	assert_int_equal(axalloc_alloc_pages(1, PG4K, AXALLOC_UNMOVABLE, &pa), -ENOMEM);
	assert_int_equal(axalloc_free_pages(b1, PAGES_PER_2M), 0);
	release_pool(&p);
}

/*
 * A page nobody can move in b1 (taken by the test) and one page too many to
 * fit: b2's 256 used pages would need 256 free pages outside it and b1
 * has 255, b1's 257 used pages would need 257: neither is tried, nothing
 * moves (no doomed migrations), -ENOMEM, every byte kept.
 */
static void test_compact_unmovable(void **state)
{
	struct fixture *f = *state;
	static struct pool p;
	struct axalloc_compact_result r;
	paddr_t b1, b2, pinned, pa;

	known_pool(f, &p, &b1, &b2);
	/* Placed lowest first so that it lands in b1; no space maps it, so it cannot move. */
	assert_int_equal(axalloc_alloc_pages(1, PG4K, AXALLOC_MOVABLE, &pinned), 0);
	assert_true(pinned >= b1 && pinned < b1 + PG2M);
	assert_int_equal(axalloc_compact(9, &r), -ENOMEM);
	assert_int_equal(r.blocks_tried, 0);
	assert_int_equal(r.pages_migrated, 0);
	assert_int_equal(r.pages_failed, 0);
	assert_int_equal(frame_of(&f->as, VA + (PAGES_PER_2M + 1) * PG4K), b2);
	for (uint64_t i = 1; i < PAGES_PER_2M; i += 2)
		expect_fill(&f->as, VA + (1 + i) * PG4K, PG4K, 3);
	expect_fill(&f->as, VA + (PAGES_PER_2M + 1) * PG4K, HALF * PG4K, 3);
	assert_int_equal(axalloc_alloc_pages(PAGES_PER_2M, PG2M, AXALLOC_UNMOVABLE, &pa), -ENOMEM);
	assert_int_equal(axalloc_free_pages(pinned, 1), 0);
	release_pool(&p);
}

/* ---- out of memory at every step of compaction ---- */

#define SPACE_PAGES 48		    /* 4K pages of area P */
#define COPIED	    8		    /* pages of P each space copies by a COW write */
#define P_VA	    VA		    /* 4K pages: private, shared, COW-copied */
#define T_VA	    (VA + 4 * PG2M) /* a transparent 2M page both spaces share */
#define T2_VA	    (VA + 8 * PG2M) /* a transparent 2M page of A alone */
#define SEED_P	    0x21	    /* P as written before the clone */
#define SEED_A	    0x35	    /* A's copies: P's last COPIED pages */
#define SEED_B	    0x4c	    /* B's copies: P's first COPIED pages */
#define SEED_T	    0x57
#define SEED_T2	    0x68
#define MAX_RUNS    400 /* a compaction still failing after this many fails the test */

/* A 2M area advised HUGEPAGE at va, written with `seed`: one transparent 2M page. */
static void map_thp_area(struct aspace *as, vaddr_t va, uint8_t seed)
{
	assert_int_equal(aspace_map_alloc(as, va, PG2M, RW, false, PG4K), 0);
	assert_int_equal(aspace_advise(as, va, PG2M, ASPACE_ADV_HUGEPAGE), 0);
	fill(as, va, PG2M, seed);
	assert_int_equal(pgsize_of(as, va), PG2M);
}

/*
 * The fixture's space A and a clone B: P's pages written before the clone
 * are shared, then B writes the first COPIED (its own copies) and A the
 * last COPIED (A's copies; B keeps the originals, no longer shared); T is
 * a transparent page written before the clone (shared), T2 one written
 * after it (A's only). 64 distinct 4K frames and two 2M frames.
 */
static struct aspace *two_spaces(struct fixture *f)
{
	struct aspace *b;

	map_thp_area(&f->as, T_VA, SEED_T);
	assert_int_equal(aspace_map_alloc(&f->as, P_VA, SPACE_PAGES * PG4K, RW, false, PG4K), 0);
	fill(&f->as, P_VA, SPACE_PAGES * PG4K, SEED_P);
	b = clone_of(&f->as);
	fill(b, P_VA, COPIED * PG4K, SEED_B);
	fill(&f->as, P_VA + (SPACE_PAGES - COPIED) * PG4K, COPIED * PG4K, SEED_A);
	map_thp_area(&f->as, T2_VA, SEED_T2);
	return b;
}

/* Every byte of both spaces as two_spaces wrote it, and the transparent pages still 2M. */
static void expect_contents(struct aspace *a, struct aspace *b)
{
	const uint64_t shared = (SPACE_PAGES - COPIED) * PG4K;

	expect_fill(a, P_VA, shared, SEED_P);
	expect_fill(a, P_VA + shared, COPIED * PG4K, SEED_A);
	expect_fill(b, P_VA, COPIED * PG4K, SEED_B);
	expect_fill(b, P_VA + COPIED * PG4K, shared, SEED_P);
	expect_fill(a, T_VA, PG2M, SEED_T);
	expect_fill(b, T_VA, PG2M, SEED_T);
	expect_fill(a, T2_VA, PG2M, SEED_T2);
	assert_int_equal(pgsize_of(a, T_VA), PG2M);
	assert_int_equal(pgsize_of(b, T_VA), PG2M);
	assert_int_equal(pgsize_of(a, T2_VA), PG2M);
}

static int cmp_paddr(const void *x, const void *y)
{
	paddr_t a = *(const paddr_t *)x, b = *(const paddr_t *)y;

	return a < b ? -1 : a > b;
}

/*
 * The reverse map finds every mapping of every 4K frame the spaces map and
 * each frame's count is their number (rmap_matches); the allocator lends out
 * exactly the baseline, `own` pages of the test, every space's page tables
 * and each distinct frame once; the heap's bytes are `heap_bytes`.
 */
static void expect_mapped_once(struct fixture *f, struct aspace *const *spaces, int n, uint64_t own,
			       uint64_t heap_bytes)
{
	static paddr_t frames[4 * PAGES_PER_2M];
	uint64_t nr = 0, distinct = 0, tables = 0;

	for (int s = 0; s < n; s++) {
		struct space_snap snap;

		snap_take(spaces[s], &snap, false);
		tables += snap.st.pt_pages;
		for (size_t i = 0; i < snap.nr_pages; i++) {
			for (uint64_t off = 0; off < snap.pages[i].pgsize; off += PG4K) {
				assert_true(
				    rmap_matches(spaces, n, spaces[s], snap.pages[i].va + off));
				assert_true(nr < sizeof(frames) / sizeof(frames[0]));
				frames[nr++] = snap.pages[i].pa + off;
			}
		}
		snap_free(&snap);
	}
	qsort(frames, nr, sizeof(frames[0]), cmp_paddr);
	for (uint64_t i = 0; i < nr; i++)
		distinct += i == 0 || frames[i] != frames[i - 1];
	assert_int_equal(mem_snap().pages, f->base.pages + own + tables + distinct);
	assert_int_equal(mem_snap().heap_bytes, heap_bytes);
}

/* Frames a test took back after moving their pages away (holes to be). */
struct taken {
	paddr_t pa[2 * PAGES_PER_2M];
	uint64_t n[2 * PAGES_PER_2M];
	int nr;
};

/*
 * Moves every page of the spaces that starts in [va, va + len) and whose
 * frame lies outside [lo, lo + size) into that range, which must be all the
 * free memory there is: each frame left behind is taken back at once (into
 * *t) so that the next page cannot move into it. A page both spaces share
 * moves once, for both.
 */
static void move_into(struct aspace *const *spaces, int n, vaddr_t va, uint64_t len, paddr_t lo,
		      uint64_t size, struct taken *t)
{
	for (int s = 0; s < n; s++) {
		struct space_snap snap;

		snap_take(spaces[s], &snap, false);
		for (size_t i = 0; i < snap.nr_pages; i++) {
			uint64_t pgsize = snap.pages[i].pgsize;
			paddr_t pa = frame_of(spaces[s], snap.pages[i].va), to;

			if (snap.pages[i].va < va || snap.pages[i].va >= va + len ||
			    (pa >= lo && pa < lo + size))
				continue;
			assert_int_equal(aspace_migrate(pa, &to), 0);
			assert_true(to >= lo && to + pgsize <= lo + size);
			take_frame(pa, pgsize / PG4K);
			assert_true(t->nr < (int)(sizeof(t->pa) / sizeof(t->pa[0])));
			t->pa[t->nr] = pa;
			t->n[t->nr++] = pgsize / PG4K;
		}
		snap_free(&snap);
	}
}

/* No page of the spaces has a frame in [lo, lo + size) (compaction emptied it). */
static void expect_none_in(struct aspace *const *spaces, int n, paddr_t lo, uint64_t size)
{
	for (int s = 0; s < n; s++) {
		struct space_snap snap;

		snap_take(spaces[s], &snap, false);
		for (size_t i = 0; i < snap.nr_pages; i++)
			if (snap.pages[i].pa + snap.pages[i].pgsize > lo &&
			    snap.pages[i].pa < lo + size)
				fail_msg("space %d: page %#lx still at %#lx", s,
					 (unsigned long)snap.pages[i].va,
					 (unsigned long)snap.pages[i].pa);
		snap_free(&snap);
	}
}

/* Frees what move_into took back: the holes compaction may fill. */
static void free_taken(struct taken *t)
{
	while (t->nr > 0) {
		t->nr--;
		assert_int_equal(axalloc_free_pages(t->pa[t->nr], t->n[t->nr]), 0);
	}
}

/*
 * axalloc_compact(order) with the k-th page allocation failing, k = 0, 1,
 * ..., until a run fails no allocation: each run returns 0 or -ENOMEM, and
 * after it the contents, the reverse map, the counts and the allocator are
 * checked (expect_mapped_once). The last run must return 0. Returns how
 * many runs failed an allocation; *last is the last run's result.
 */
static int compact_under_each_failure(struct fixture *f, struct aspace *b, unsigned order,
				      const struct pool *p, struct axalloc_compact_result *last)
{
	struct aspace *both[2] = {&f->as, b};
	uint64_t heap_bytes = mem_snap().heap_bytes;

	for (int k = 0; k < MAX_RUNS; k++) {
		struct axalloc_stats st0, st1;
		int err;

		axalloc_stats(&st0);
		axalloc_fail_after(k);
		err = axalloc_compact(order, last);
		axalloc_fail_after(-1);
		axalloc_stats(&st1);
		assert_true(err == 0 || err == -ENOMEM);
		expect_contents(&f->as, b);
		expect_mapped_once(f, both, 2, pool_pages(p), heap_bytes);
		if (st1.failed_allocs == st0.failed_allocs) {
			assert_int_equal(err, 0);
			assert_true(env_free_blocks(order) > 0);
			printf(
			    "  order %u: %d runs failed an allocation, the last moved %lu pages\n",
			    order, k, (unsigned long)last->pages_migrated);
			return k;
		}
	}
	fail_msg("compaction still fails after %d runs", MAX_RUNS);
	return -1;
}

/* Gives back the pool, destroys B and expects the allocator to hold only what A has. */
static void release_all(struct fixture *f, struct pool *p, struct aspace *b)
{
	release_pool(p);
	drop(b);
	check_accounting(&f->as, f->base);
	/* The teardown destroys A and expects the baseline. */
}

/* The highest block of `size` bytes (aligned) whose 2M blocks are all free now. */
static paddr_t top_free_block(uint64_t size)
{
	static struct hog_2m h;
	const int per = (int)(size / PG2M);
	paddr_t top = 0;

	hog_2m_frames(&h, 0);
	qsort(h.blocks, (size_t)h.nr_blocks, sizeof(h.blocks[0]), cmp_paddr);
	/* From the top: `per` held blocks in a row from an aligned start. */
	for (int i = h.nr_blocks - 1; i >= per - 1 && top == 0; i--)
		if (IS_ALIGNED(h.blocks[i - per + 1], size) &&
		    h.blocks[i] - h.blocks[i - per + 1] == size - PG2M)
			top = h.blocks[i - per + 1];
	unhog_2m_frames(&h);
	assert_true(top != 0);
	return top;
}

/*
 * 2M: every 4K frame of both spaces moved into one block (64 used pages),
 * the frames they leave behind the only other free memory. Compaction
 * empties that block into those holes; run k moves k pages and fails the
 * next migration.
 */
static void test_compact_oom_each_step_2m(void **state)
{
	struct fixture *f = *state;
	struct aspace *b = two_spaces(f);
	struct aspace *both[2] = {&f->as, b};
	paddr_t blk = top_free_block(PG2M);
	static struct pool p;
	static struct taken t;
	struct axalloc_compact_result r;

	pool_hold_all_but(&p, blk, PG2M);
	move_into(both, 2, P_VA, SPACE_PAGES * PG4K, blk, PG2M, &t);
	free_taken(&t);
	assert_int_equal(env_free_blocks(9), 0);
	assert_true(compact_under_each_failure(f, b, 9, &p, &r) > 0);
	assert_true(r.pages_migrated > 0);
	expect_none_in(both, 2, blk, PG2M);
	release_all(f, &p, b);
}

/*
 * 4M (order 10): the shared transparent page and every 4K frame moved into
 * one 4M block; what they leave behind is one free 2M block (no free 4M
 * one) and 4K holes. The transparent page moves whole, for both spaces.
 */
static void test_compact_oom_each_step_4m(void **state)
{
	struct fixture *f = *state;
	struct aspace *b = two_spaces(f);
	struct aspace *both[2] = {&f->as, b};
	paddr_t blk = top_free_block(2 * PG2M);
	static struct pool p;
	static struct taken t;
	struct axalloc_compact_result r;

	pool_hold_all_but(&p, blk, 2 * PG2M);
	move_into(both, 2, T_VA, PG2M, blk, 2 * PG2M, &t);
	move_into(both, 2, P_VA, SPACE_PAGES * PG4K, blk, 2 * PG2M, &t);
	free_taken(&t);
	assert_int_equal(env_free_blocks(10), 0);
	assert_int_equal(env_free_blocks(9), 1);
	assert_true(compact_under_each_failure(f, b, 10, &p, &r) > 0);
	assert_true(r.pages_migrated > 0);
	expect_none_in(both, 2, blk, 2 * PG2M);
	release_all(f, &p, b);
}

/*
 * 1G: both transparent pages and one shared 4K page moved into a 1G block,
 * the only free memory; compaction moves them out into the frames they left
 * (two of them 2M blocks). Few pages: every run examines the quarter
 * million pages of the block.
 */
static void test_compact_oom_each_step_1g(void **state)
{
	struct fixture *f = *state;
	struct aspace *b = two_spaces(f);
	struct aspace *both[2] = {&f->as, b};
	static struct pool p;
	static struct taken t;
	struct axalloc_compact_result r;
	paddr_t giga = top_free_block(PG1G);

	pool_hold_all_but(&p, giga, PG1G);
	move_into(both, 2, T_VA, T2_VA + PG2M - T_VA, giga, PG1G, &t);
	move_into(both, 2, P_VA + COPIED * PG4K, PG4K, giga, PG1G, &t);
	free_taken(&t);
	assert_int_equal(env_free_blocks(18), 0);
	assert_true(compact_under_each_failure(f, b, 18, &p, &r) > 0);
	assert_true(r.pages_migrated > 0);
	expect_none_in(both, 2, giga, PG1G);
	release_all(f, &p, b);
}

/* ---- unmovable pages are never moved ---- */

/* The kinds of unmovable page put in the block compaction tries first. */
enum pin_kind {
	PIN_TABLES, /* the L1 and leaf tables of a space's new area */
	PIN_HEAP,   /* a chunk the heap grew by for a kmalloc */
	PIN_LINEAR, /* a frame a Linear area maps */
	PIN_PAGE,   /* a page taken with axalloc_alloc_pages(..., AXALLOC_UNMOVABLE, ...) */
};

#define Q_VA	     VA1G /* 4K pages around the pin in its block (their tables are the PIN_TABLES pin) */
#define R_VA	     VA	 /* 4K pages of the next block, moved around the pin */
#define LIN_VA	     VA2 /* the PIN_LINEAR area */
#define Q_KEEP	     16	 /* Q's pages left beside the pin */
#define PINNED_AFTER 8	 /* Q's pages put in the pin's block before it */
#define R_PAGES	     128
#define SEED_Q	     0x71
#define SEED_R	     0x7e
#define SEED_L	     0x93

/* The unmovable pages of one kind and what they held. */
struct pin {
	enum pin_kind kind;
	paddr_t pa[2];
	int n;
	uint8_t bytes[2][PAGE_SIZE_4K];
	void *block; /* PIN_HEAP: what kmalloc gave */
};

/* The table at `level` (1: the L1 table, 0: the leaf table) on the walk to va. */
static paddr_t table_pa(const struct aspace *as, vaddr_t va, int level)
{
	paddr_t table = as->pt.root;

	for (int l = SV39_ROOT_LEVEL; l > level; l--) {
		pte_t pte = ((const pte_t *)phys_to_virt(table))[sv39_index(va, l)];

		assert_true(sv39_pte_valid(pte) && !sv39_pte_leaf(pte));
		table = sv39_pte_pa(pte);
	}
	return table;
}

/* Makes the pin of its kind while the block at blk is all the free memory. */
static void make_pin(struct fixture *f, struct pin *pin, paddr_t blk)
{
	pin->n = 1;
	switch (pin->kind) {
	case PIN_TABLES:
		fill(&f->as, Q_VA, PG4K, SEED_Q);
		pin->pa[0] = table_pa(&f->as, Q_VA, 1);
		pin->pa[1] = table_pa(&f->as, Q_VA, 0);
		pin->n = 2;
		break;
	case PIN_HEAP:
		pin->block = kmalloc(256);
		assert_non_null(pin->block);
		memset(pin->block, SEED_L, 256);
		pin->pa[0] = ALIGN_DOWN(virt_to_phys(pin->block), PG4K);
		break;
	case PIN_LINEAR:
		assert_int_equal(axalloc_alloc_pages(1, PG4K, AXALLOC_UNMOVABLE, &pin->pa[0]), 0);
		assert_int_equal(aspace_map_linear(&f->as, LIN_VA, pin->pa[0], PG4K, RW, PG4K), 0);
		fill(&f->as, LIN_VA, PG4K, SEED_L);
		break;
	case PIN_PAGE:
		assert_int_equal(axalloc_alloc_pages(1, PG4K, AXALLOC_UNMOVABLE, &pin->pa[0]), 0);
		memset(phys_to_virt(pin->pa[0]), SEED_L, PG4K);
		break;
	}
	for (int i = 0; i < pin->n; i++)
		assert_true(pin->pa[i] >= blk && pin->pa[i] < blk + PG2M);
}

/* Records what the pin's pages hold now. */
static void save_pin(struct pin *pin)
{
	for (int i = 0; i < pin->n; i++)
		memcpy(pin->bytes[i], phys_to_virt(pin->pa[i]), PG4K);
}

/* The pin is where it was, holding what save_pin saw, and still in use. */
static void expect_pin(struct fixture *f, const struct pin *pin)
{
	for (int i = 0; i < pin->n; i++)
		assert_memory_equal(phys_to_virt(pin->pa[i]), pin->bytes[i], PG4K);
	switch (pin->kind) {
	case PIN_TABLES:
		assert_int_equal(table_pa(&f->as, Q_VA, 1), pin->pa[0]);
		assert_int_equal(table_pa(&f->as, Q_VA, 0), pin->pa[1]);
		break;
	case PIN_HEAP:
		assert_int_equal(axalloc_heap_check(), 0);
		break;
	case PIN_LINEAR:
		assert_int_equal(pa_of(&f->as, LIN_VA), pin->pa[0]);
		expect_fill(&f->as, LIN_VA, PG4K, SEED_L);
		break;
	case PIN_PAGE:
		break;
	}
}

/* Gives the pin back (a page still allocated frees without error). */
static void drop_pin(struct fixture *f, struct pin *pin)
{
	switch (pin->kind) {
	case PIN_TABLES: /* the teardown's destroy frees them */
		break;
	case PIN_HEAP:
		kfree(pin->block);
		break;
	case PIN_LINEAR:
		assert_int_equal(aspace_unmap(&f->as, LIN_VA, PG4K), 0);
		/* fall through */
	case PIN_PAGE:
		assert_int_equal(axalloc_free_pages(pin->pa[0], 1), 0);
		break;
	}
}

/*
 * Two blocks b1 and b2, all else held: b1 holds the pin, Q_KEEP pages of Q
 * (some placed before the pin) and free pages, b2 R_PAGES pages of R. b1
 * is the cheaper: compaction must skip it, moving nothing out of it, then
 * empty b2 into b1's free pages around the pin, which keeps its address and
 * bytes.
 */
static void compact_around_pin(struct fixture *f, enum pin_kind kind)
{
	static struct pool p;
	static struct pin pin;
	static void *hog[HOG_BLOCKS_MAX];
	struct axalloc_stats st;
	struct axalloc_compact_result r;
	paddr_t top = top_free_block(2 * PG2M), b1 = top, b2 = top + PG2M, q[Q_KEEP], root, pa;
	uint64_t filled = 1;
	int nr_hog = 0;

	memset(&pin, 0, sizeof(pin));
	pin.kind = kind;
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_NEVER), 0);
	assert_int_equal(aspace_map_alloc(&f->as, Q_VA, PG2M, RW, false, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, R_VA, PG2M, RW, false, PG4K), 0);
	fill(&f->as, R_VA, PG4K, SEED_R); /* R's tables, outside both blocks */
	if (kind != PIN_TABLES)
		fill(&f->as, Q_VA, PG4K, SEED_Q);
	if (kind == PIN_HEAP)
		nr_hog = hog_heap(hog); /* the next kmalloc grows the heap */
	pool_hold_all_but(&p, b1, PG2M);
	/* Movable pages before the pin (the first touch of Q makes the tables). */
	if (kind != PIN_TABLES)
		for (; filled <= PINNED_AFTER; filled++)
			fill(&f->as, Q_VA + filled * PG4K, PG4K, SEED_Q);
	make_pin(f, &pin, b1);
	for (axalloc_stats(&st); st.pages.free_pages > 0; axalloc_stats(&st))
		fill(&f->as, Q_VA + filled++ * PG4K, PG4K, SEED_Q);
	pool_give_back(&p, b2, PG2M);
	fill(&f->as, R_VA + PG4K, R_PAGES * PG4K, SEED_R);
	for (uint64_t i = 1; i <= R_PAGES; i++)
		assert_true(frame_of(&f->as, R_VA + i * PG4K) >= b2);
	assert_int_equal(aspace_unmap(&f->as, Q_VA + Q_KEEP * PG4K, PG2M - Q_KEEP * PG4K), 0);
	for (uint64_t i = 0; i < Q_KEEP; i++)
		q[i] = frame_of(&f->as, Q_VA + i * PG4K);
	root = f->as.pt.root;
	save_pin(&pin);

	assert_int_equal(axalloc_compact(9, &r), 0);
	assert_int_equal(r.blocks_tried, 2);
	assert_int_equal(r.pages_failed, 1);
	assert_int_equal(r.pages_migrated, R_PAGES);
	expect_pin(f, &pin);
	assert_int_equal(f->as.pt.root, root);
	for (uint64_t i = 0; i < Q_KEEP; i++)
		assert_int_equal(frame_of(&f->as, Q_VA + i * PG4K), q[i]);
	for (uint64_t i = 1; i <= R_PAGES; i++) {
		paddr_t now = frame_of(&f->as, R_VA + i * PG4K);

		assert_true(now >= b1 && now < b1 + PG2M);
	}
	expect_fill(&f->as, Q_VA, Q_KEEP * PG4K, SEED_Q);
	expect_fill(&f->as, R_VA, (R_PAGES + 1) * PG4K, SEED_R);
	/* b2 is the one free 2M block. */
	assert_int_equal(env_free_blocks(9), 1);
	assert_int_equal(axalloc_alloc_pages(PAGES_PER_2M, PG2M, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(pa, b2);
	assert_int_equal(axalloc_free_pages(pa, PAGES_PER_2M), 0);

	drop_pin(f, &pin);
	unhog_heap(hog, nr_hog);
	release_pool(&p);
	check_accounting(&f->as, f->base);
}

static void test_compact_keeps_page_tables(void **state)
{
	compact_around_pin(*state, PIN_TABLES);
}

static void test_compact_keeps_heap(void **state)
{
	compact_around_pin(*state, PIN_HEAP);
}

static void test_compact_keeps_linear(void **state)
{
	compact_around_pin(*state, PIN_LINEAR);
}

static void test_compact_keeps_unmovable_pages(void **state)
{
	compact_around_pin(*state, PIN_PAGE);
}

int compact_suite_run(const char *name)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_compact_free_block, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compact_known_pool, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compact_unmovable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compact_oom_each_step_2m, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_compact_oom_each_step_4m, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_compact_oom_each_step_1g, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_compact_keeps_page_tables, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compact_keeps_heap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compact_keeps_linear, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compact_keeps_unmovable_pages, setup, teardown),
	};

	return _cmocka_run_group_tests(name, tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}

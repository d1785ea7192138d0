/*
 * test_compact.c - axalloc_compact with mm-addrspace's migrator, in pools
 * where the answer is known: every free page is held by the test except two
 * 2M blocks that hold movable 4K pages of a space, half each, so that
 * emptying one block must move exactly its 256 used pages into the other;
 * with an unmovable page added, no block can be emptied.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "aspace_test_fixture.h"

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

/*
 * Known pool: the space's lazy area at VA (4M of 4K pages, first and last
 * page touched early so that its tables exist), every free page held, then
 * two hogged blocks b1 < b2 given back and filled by populating 768 pages
 * (b1 whole, b2 half), then every other page of b1 unmapped: 256 used
 * pages in each block, 512 free pages, no free 2M block.
 */
static void known_pool(struct fixture *f, struct hog_2m *hog, struct held_pages *rest, paddr_t *b1,
		       paddr_t *b2)
{
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_NEVER), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA, 2 * PG2M, RW, false, PG4K), 0);
	assert_int_equal(aspace_populate(&f->as, VA, PG4K, ACCESS_WRITE), 0);
	assert_int_equal(aspace_populate(&f->as, VA + 2 * PG2M - PG4K, PG4K, ACCESS_WRITE), 0);
	hog_2m_frames(hog, 0);
	hold_rest(rest);
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

/* Gives back what known_pool held. */
static void release_pool(struct hog_2m *hog, struct held_pages *rest)
{
	release_rest(rest);
	unhog_2m_frames(hog);
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
	struct hog_2m hog;
	struct held_pages rest;
	struct axalloc_compact_result r;
	paddr_t b1, b2, pa;

	known_pool(f, &hog, &rest, &b1, &b2);
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
	release_pool(&hog, &rest);
}

/*
 * An unmovable page in b1 (taken by the test) and one page too many to fit:
 * b2 can move only 255 of its 256 pages into b1, b1 holds a page nobody can
 * move: -ENOMEM, the pages moved stay moved, every byte kept.
 */
static void test_compact_unmovable(void **state)
{
	struct fixture *f = *state;
	struct hog_2m hog;
	struct held_pages rest;
	struct axalloc_compact_result r;
	paddr_t b1, b2, pinned, pa;

	known_pool(f, &hog, &rest, &b1, &b2);
	/* Placed lowest first so that it lands in b1; no space maps it, so it cannot move. */
	assert_int_equal(axalloc_alloc_pages(1, PG4K, AXALLOC_MOVABLE, &pinned), 0);
	assert_true(pinned >= b1 && pinned < b1 + PG2M);
	assert_int_equal(axalloc_compact(9, &r), -ENOMEM);
	assert_true(r.blocks_tried >= 2);
	assert_int_equal(r.pages_migrated, HALF - 1);
	assert_true(r.pages_failed >= 2);
	for (uint64_t i = 1; i < PAGES_PER_2M; i += 2)
		expect_fill(&f->as, VA + (1 + i) * PG4K, PG4K, 3);
	expect_fill(&f->as, VA + (PAGES_PER_2M + 1) * PG4K, HALF * PG4K, 3);
	assert_int_equal(axalloc_alloc_pages(PAGES_PER_2M, PG2M, AXALLOC_UNMOVABLE, &pa), -ENOMEM);
	assert_int_equal(axalloc_free_pages(pinned, 1), 0);
	release_pool(&hog, &rest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_compact_free_block, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compact_known_pool, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compact_unmovable, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

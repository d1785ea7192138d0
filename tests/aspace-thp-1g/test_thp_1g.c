/*
 * test_thp_1g.c - transparent 1G pages (CONFIG_MM_THP_1G) under policy
 * always: a fault in a wholly free 1G block inside the area maps one 1G
 * page; without a free 1G frame it maps 2M (not a fallback: still a
 * transparent page); a 4K unmap splits it twice (1G -> 2M -> 4K) on the
 * same frames; a COW write to a shared one splits it down to the 4K page
 * written; every allocation of those failing changes nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aspace_test_fixture.h"

/* A lazy RW area of 4K pages over two 1G blocks at VA1G. */
static void map_area(struct aspace *as)
{
	assert_int_equal(aspace_map_alloc(as, VA1G, 2 * PG1G, RW, false, PG4K), 0);
}

static void test_fault_maps_1g(void **state)
{
	struct fixture *f = *state;
	struct aspace_stats st;

	snap_content = false;
	assert_int_equal(aspace_thp_policy(&f->as), ASPACE_THP_ALWAYS);
	map_area(&f->as);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA1G + PG1G + 12345, ACCESS_WRITE), 0);
	assert_int_equal(pgsize_of(&f->as, VA1G + PG1G), PG1G);
	assert_int_equal(pgsize_of(&f->as, VA1G + 2 * PG1G - PG4K), PG1G);
	assert_int_equal(aspace_query(&f->as, VA1G, NULL, NULL, NULL), -ENOENT);
	st = stats(&f->as);
	assert_int_equal(st.thp_mapped[ASPACE_PGSIZE_1G], 1);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_1G], 1);
	assert_int_equal(st.thp_fault_alloc, 1);
	assert_int_equal(st.thp_fault_fallback, 0);
	assert_int_equal(st.faults, 1);
	assert_int_equal(st.alloc_pages_4k, PG1G / PG4K);
	expect_zero(&f->as, VA1G + PG1G + 12345 - 100, 200);
}

/* No free 1G frame: the fault maps a transparent 2M page instead. */
static void test_no_1g_frame_maps_2m(void **state)
{
	struct fixture *f = *state;
	paddr_t held[ENV_RAM_SIZE / PG1G];
	int n = 0;

	snap_content = false;
	while (n < (int)(sizeof(held) / sizeof(held[0])) &&
	       axalloc_alloc_pages(PG1G / PG4K, PG1G, AXALLOC_UNMOVABLE, &held[n]) == 0)
		n++;
	map_area(&f->as);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA1G + 5 * PG2M + 7, ACCESS_READ), 0);
	assert_int_equal(pgsize_of(&f->as, VA1G + 5 * PG2M), PG2M);
	struct aspace_stats st = stats(&f->as);
	assert_int_equal(st.thp_mapped[ASPACE_PGSIZE_2M], 1);
	assert_int_equal(st.thp_mapped[ASPACE_PGSIZE_1G], 0);
	assert_int_equal(st.thp_fault_alloc, 1);
	assert_int_equal(st.thp_fault_fallback, 0);
	/* The rest of that 1G block is no longer wholly free: 2M pages there too. */
	while (n > 0)
		assert_int_equal(axalloc_free_pages(held[--n], PG1G / PG4K), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA1G + 9 * PG2M, ACCESS_READ), 0);
	assert_int_equal(pgsize_of(&f->as, VA1G + 9 * PG2M), PG2M);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA1G + PG1G, ACCESS_READ), 0);
	assert_int_equal(pgsize_of(&f->as, VA1G + PG1G), PG1G);
}

/* A 4K unmap inside a 1G page: 1G -> 512 x 2M -> one of them 512 x 4K, same frames. */
static void test_unmap_splits_twice(void **state)
{
	struct fixture *f = *state;
	const vaddr_t hole = VA1G + 3 * PG2M + 8 * PG4K;
	struct mem_snap before;
	paddr_t head;

	snap_content = false;
	map_area(&f->as);
	fill(&f->as, VA1G + 3 * PG2M, PG2M, 7);
	head = frame_of(&f->as, VA1G);
	before = mem_snap();
	assert_int_equal(aspace_unmap(&f->as, hole, PG4K), 0);
	struct aspace_stats st = stats(&f->as);
	assert_int_equal(st.thp_split_pmd, 2);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_1G], 0);
	assert_int_equal(st.thp_mapped[ASPACE_PGSIZE_2M], 511);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_4K], 511);
	assert_int_equal(mem_snap().pages, before.pages - 1 + 2); /* a frame back, two tables */
	assert_int_equal(pa_of(&f->as, hole - PG4K), head + 3 * PG2M + 7 * PG4K);
	assert_int_equal(pa_of(&f->as, VA1G + 100 * PG2M), head + 100 * PG2M);
	assert_int_equal(aspace_query(&f->as, hole, NULL, NULL, NULL), -ENOENT);
	expect_fill(&f->as, VA1G + 3 * PG2M, 8 * PG4K, 7);
	expect_fill(&f->as, hole + PG4K, PG2M - 9 * PG4K, 7);
}

/* A COW write to a shared 1G page: split down to the 4K page written, one copy. */
static void test_cow_write_splits_to_4k(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;
	const vaddr_t w = VA1G + 77 * PG2M + 5 * PG4K;

	snap_content = false;
	map_area(&f->as);
	fill(&f->as, w - PG4K, 3 * PG4K, 3);
	assert_int_equal(aspace_create(&kid, SPACE_BASE, SPACE_SIZE), 0);
	assert_int_equal(aspace_clone(&kid, &f->as), 0);
	assert_int_equal(pgsize_of(&kid, VA1G), PG1G);
	expect_refs(&f->as, VA1G, 2);
	fill(&kid, w, PG4K, 9);
	struct aspace_stats st = stats(&kid);
	assert_int_equal(st.thp_split_pmd, 2);
	assert_int_equal(st.cow_copies, 1);
	assert_int_equal(pgsize_of(&kid, w), PG4K);
	assert_int_equal(pgsize_of(&f->as, w), PG1G);
	expect_fill(&kid, w, PG4K, 9);
	expect_fill(&f->as, w - PG4K, 3 * PG4K, 3);
	expect_fill(&kid, w - PG4K, PG4K, 3);
	aspace_destroy(&kid);
}

/* Out of memory at every allocation of a 1G fault and of a double split: nothing changes. */
static void test_oom(void **state)
{
	struct fixture *f = *state;
	struct oom_args fault = {.va = VA1G + 42, .access = ACCESS_WRITE};
	struct oom_args unmap = {.va = VA1G + 5 * PG2M + PG4K, .size = PG4K};

	snap_content = false;
	map_area(&f->as);
	assert_true(fail_each_allocation(oom_fault, &f->as, NULL, &fault) >= 1);
	assert_int_equal(pgsize_of(&f->as, VA1G), PG1G);
	assert_int_equal(fail_each_allocation(oom_unmap, &f->as, NULL, &unmap), 2);
	assert_int_equal(stats(&f->as).thp_split_pmd, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fault_maps_1g, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_1g_frame_maps_2m, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_splits_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cow_write_splits_to_4k, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_no_direct_compact.c - without CONFIG_AXALLOC_DIRECT_COMPACTION: in
 * a pool where compaction could free a 2M block (two blocks, each holding
 * one movable page of another space), a transparent huge page fault falls
 * back to 4K and an explicit 2M allocation fails, nothing moves and no
 * counter changes; the run-time switch cannot turn it on; axalloc_compact
 * still frees a block when asked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "compact_pool.h"

static void test_nothing_compacts(void **state)
{
	struct fixture *f = *state;
	static struct pool pool;
	static struct aspace other;
	struct axalloc_stats st;
	struct axalloc_compact_result r;
	paddr_t blocks[2], pa;

	assert_int_equal(axalloc_set_direct_compaction(true), -EINVAL);
	assert_int_equal(axalloc_set_direct_compaction(false), 0);
	pool_space_with_pages(&other, ASPACE_THP_NEVER, 2, 7);
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA, PG2M, RW, false, PG4K), 0);
	pool_hold_all(&pool);
	pool_fragment(&pool, &other, VA2, 2, blocks);
	assert_int_equal(axalloc_alloc_pages(PAGES_PER_2M, PG2M, AXALLOC_MOVABLE, &pa), -ENOMEM);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA, ACCESS_WRITE), 0);
	assert_int_equal(pgsize_of(&f->as, VA), PG4K);
	assert_int_equal(stats(&f->as).thp_fault_fallback, 1);
	assert_int_equal(pa_of(&other, VA2), blocks[0]);
	assert_int_equal(pa_of(&other, VA2 + PG4K), blocks[1]);
	axalloc_stats(&st);
	assert_int_equal(st.compact_stall + st.compact_success + st.compact_fail, 0);
	assert_int_equal(st.compact_migrate_scanned + st.compact_pages_migrated, 0);
	/* Asked explicitly, compaction empties the block without the fault's pages. */
	assert_int_equal(axalloc_compact(ORDER_2M, &r), 0);
	assert_int_equal(r.pages_migrated, 1);
	axalloc_stats(&st);
	assert_int_equal(st.compact_stall, 0);
	assert_int_equal(st.compact_success, 1);
	assert_int_equal(st.compact_pages_migrated, 1);
	expect_fill(&other, VA2, 2 * PG4K, 7);
	aspace_destroy(&other);
	pool_release(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_nothing_compacts, pool_setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

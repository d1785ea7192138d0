/*
 * test_aspace_oom.c - out of memory at every allocation of an operation.
 *
 * The loops set axalloc_fail_after(k) for k = 0, 1, 2, ... so that the k-th
 * page allocation of the call (a frame, a page-table page or a heap chunk
 * for an area node or a map-log chunk) fails, until the call succeeds.
 * Every failed attempt must return -ENOMEM and leave the space, its page
 * table, the page contents and the allocator exactly as before. A second
 * group fills the heap first, so that the heap (area nodes for map and
 * split, the map log of populate) is what runs out.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aspace_test_fixture.h"

static int op_map_populate(struct aspace *as, struct aspace *unused, const void *arg)
{
	(void)unused;
	const struct oom_args *m = arg;
	return aspace_map_alloc(as, m->va, m->size, RW, true, m->pgsize);
}

static int op_map_linear(struct aspace *as, struct aspace *unused, const void *arg)
{
	(void)unused;
	const struct oom_args *m = arg;
	return aspace_map_linear(as, m->va, ENV_LIN_BASE, m->size, RW, m->pgsize);
}

/* populate = true for 4K pages across three leaf tables, and 2M pages across two L1 tables. */
static void test_oom_map_populate(void **state)
{
	struct fixture *f = *state;
	const struct oom_args small = {.va = VA + 500 * PG4K, .size = 600 * PG4K, .pgsize = PG4K};
	const struct oom_args huge = {.va = 2 * PG1G - 3 * PG2M, .size = 6 * PG2M, .pgsize = PG2M};

	add_bystander(&f->as);
	/* 600 frames and 3 leaf tables (one L1 table too): at least 603 failures. */
	assert_true(fail_each_allocation(op_map_populate, &f->as, NULL, &small) >= 603);
	assert_int_equal(stats(&f->as).mapped[ASPACE_PGSIZE_4K], 604);
	/* 6 frames and the L1 table of the second gigabyte. */
	assert_true(fail_each_allocation(op_map_populate, &f->as, NULL, &huge) >= 7);
	assert_int_equal(stats(&f->as).mapped[ASPACE_PGSIZE_2M], 6);
	check_accounting(&f->as, f->base);
}

/* Two 1G pages: the second frame fails after the first was zeroed and mapped. */
static void test_oom_map_populate_1g(void **state)
{
	struct fixture *f = *state;
	const struct oom_args two = {.va = VA1G, .size = 2 * PG1G, .pgsize = PG1G};
	const struct oom_args fault = {.va = VA1G + 5, .access = ACCESS_WRITE};
	struct space_snap before, after;

	unsigned long flushes;

	snap_content = false;
	add_bystander(&f->as); /* the heap has room for the area node now */
	snap_take(&f->as, &before, false);
	flushes = hal_host_tlb_page_flushes + hal_host_tlb_all_flushes;
	axalloc_fail_after(1);
	assert_int_equal(op_map_populate(&f->as, NULL, &two), -ENOMEM);
	axalloc_fail_after(-1);
	/* The first page was mapped: its rollback flushed the TLB. */
	assert_true(hal_host_tlb_page_flushes + hal_host_tlb_all_flushes > flushes);
	snap_take(&f->as, &after, false);
	assert_true(snap_equal(&before, &after));
	snap_free(&before);
	snap_free(&after);
	/* A lazy 1G fault with no frame to give. */
	assert_int_equal(aspace_map_alloc(&f->as, VA1G, 2 * PG1G, RW, false, PG1G), 0);
	axalloc_fail_after(0);
	EXPECT_UNCHANGED(&f->as, -ENOMEM, oom_fault(&f->as, NULL, &fault));
	axalloc_fail_after(-1);
	check_accounting(&f->as, f->base);
}

static void test_oom_map_linear(void **state)
{
	struct fixture *f = *state;
	const struct oom_args small = {.va = VA + 500 * PG4K, .size = 600 * PG4K, .pgsize = PG4K};

	add_bystander(&f->as);
	assert_int_equal(fail_each_allocation(op_map_linear, &f->as, NULL, &small), 3);
	assert_int_equal(stats(&f->as).mapped[ASPACE_PGSIZE_4K], 604);
	check_accounting(&f->as, f->base);
}

/*
 * Populate of a lazy area where every third page is present already: the
 * rollback must unmap exactly the pages the call mapped (the map log needs
 * many runs here, and more than one chunk).
 */
static void test_oom_populate_mixed(void **state)
{
	struct fixture *f = *state;
	const struct oom_args all = {
	    .va = VA + 300 * PG4K, .size = 600 * PG4K, .access = ACCESS_WRITE};
	unsigned char b = 0x77;

	add_bystander(&f->as);
	assert_int_equal(aspace_map_alloc(&f->as, all.va, all.size, RW, false, PG4K), 0);
	for (int i = 0; i < 600; i += 3)
		assert_int_equal(aspace_write(&f->as, all.va + i * PG4K + i, &b, 1), 0);
	/* 400 frames; the leaf tables exist. */
	assert_true(fail_each_allocation(oom_populate, &f->as, NULL, &all) >= 400);
	assert_int_equal(stats(&f->as).mapped[ASPACE_PGSIZE_4K], 604);
	for (int i = 0; i < 600; i += 3) {
		unsigned char got = 0;
		assert_int_equal(aspace_read(&f->as, all.va + i * PG4K + i, &got, 1), 0);
		assert_int_equal(got, b);
	}
	check_accounting(&f->as, f->base);
}

/* Lazy faults that need a frame and new page tables. */
static void test_oom_lazy_fault(void **state)
{
	struct fixture *f = *state;
	const struct oom_args f4k = {.va = 5 * PG1G + 77, .access = ACCESS_READ};
	const struct oom_args f2m = {.va = 6 * PG1G + PG2M + 5, .access = ACCESS_WRITE};

	add_bystander(&f->as);
	assert_int_equal(aspace_map_alloc(&f->as, 5 * PG1G, PG2M, RW, false, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, 6 * PG1G, 4 * PG2M, RW, false, PG2M), 0);
	/* 4K: frame, L1 table, L0 table. 2M: frame, L1 table. */
	assert_int_equal(fail_each_allocation(oom_fault, &f->as, NULL, &f4k), 3);
	assert_int_equal(fail_each_allocation(oom_fault, &f->as, NULL, &f2m), 2);
	assert_int_equal(stats(&f->as).faults, 2);
	/* Through the handler axhal calls. */
	aspace_activate(&f->as);
	axalloc_fail_after(0);
	EXPECT_UNCHANGED(&f->as, -ENOMEM, aspace_fault_handler(5 * PG1G + PG4K, ACCESS_READ));
	axalloc_fail_after(-1);
	assert_int_equal(aspace_fault_handler(5 * PG1G + PG4K, ACCESS_READ), 0);
	check_accounting(&f->as, f->base);
}

/* A write over lazy pages: all of them are faulted in before any byte moves. */
static void test_oom_write(void **state)
{
	struct fixture *f = *state;
	const struct oom_args w = {.va = VA + 510 * PG4K + 100, .size = 6 * PG4K};

	add_bystander(&f->as);
	assert_int_equal(aspace_map_alloc(&f->as, VA, 2 * PG2M, RW, false, PG4K), 0);
	/* 7 frames and 2 leaf tables; the area node exists already. */
	assert_int_equal(fail_each_allocation(oom_write, &f->as, NULL, &w), 9);
	assert_int_equal(stats(&f->as).faults, 7);
	check_accounting(&f->as, f->base);
}

/* The heap runs out: area nodes for map, unmap split and protect splits. */
static void test_oom_heap_nodes(void **state)
{
	struct fixture *f = *state;
	static void *hog[HOG_BLOCKS_MAX];
	int n;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 16 * PG4K, RW, true, PG4K), 0);
	n = hog_heap(hog);
	axalloc_fail_after(0);
	EXPECT_UNCHANGED(&f->as, -ENOMEM, aspace_map_alloc(&f->as, VA2, PG4K, RW, false, PG4K));
	EXPECT_UNCHANGED(&f->as, -ENOMEM,
			 aspace_map_linear(&f->as, VA2, ENV_LIN_BASE, PG4K, RW, PG4K));
	EXPECT_UNCHANGED(&f->as, -ENOMEM, aspace_unmap(&f->as, VA + 4 * PG4K, PG4K));
	EXPECT_UNCHANGED(&f->as, -ENOMEM, aspace_protect(&f->as, VA + 4 * PG4K, PG4K, RO));
	EXPECT_UNCHANGED(&f->as, -ENOMEM, aspace_protect(&f->as, VA + 4 * PG4K, 12 * PG4K, RO));
	/* Operations that need no node still work on a full heap. */
	assert_int_equal(aspace_unmap(&f->as, VA, PG4K), 0);
	assert_int_equal(aspace_protect(&f->as, VA + PG4K, 15 * PG4K, RO), 0);
	/* Exactly one node free: a protect that needs two fails after taking one. */
	kfree(hog[--n]);
	EXPECT_UNCHANGED(&f->as, -ENOMEM, aspace_protect(&f->as, VA + 4 * PG4K, PG4K, RW));
	assert_int_equal(aspace_protect(&f->as, VA + 4 * PG4K, 12 * PG4K, RW), 0);
	axalloc_fail_after(-1);
	unhog_heap(hog, n);
	assert_int_equal(stats(&f->as).nr_areas, 2);
	check_accounting(&f->as, f->base);
}

/*
 * The heap is full when a populate starts: its map log grows past the
 * chunk on the stack, so some attempt fails in kmalloc of a log chunk.
 */
static void test_oom_heap_map_log(void **state)
{
	struct fixture *f = *state;
	static void *hog[HOG_BLOCKS_MAX];
	const struct oom_args all = {.va = VA, .size = 300 * PG4K, .access = ACCESS_READ};
	struct axalloc_stats st0, st1;
	unsigned char b = 1;
	int n;

	assert_int_equal(aspace_map_alloc(&f->as, all.va, all.size, RW, false, PG4K), 0);
	for (int i = 0; i < 300; i += 2)
		assert_int_equal(aspace_write(&f->as, all.va + i * PG4K, &b, 1), 0);
	n = hog_heap(hog);
	axalloc_stats(&st0);
	assert_true(fail_each_allocation(oom_populate, &f->as, NULL, &all) >= 150);
	axalloc_stats(&st1);
	/* The log took heap blocks beyond its chunk on the stack. */
	assert_true(st1.heap_allocs > st0.heap_allocs);
	unhog_heap(hog, n);
	assert_int_equal(stats(&f->as).mapped[ASPACE_PGSIZE_4K], 300);
	check_accounting(&f->as, f->base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_oom_map_populate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom_map_populate_1g, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom_map_linear, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom_populate_mixed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom_lazy_fault, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom_heap_nodes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom_heap_map_log, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

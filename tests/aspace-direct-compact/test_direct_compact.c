/*
 * test_direct_compact.c - direct compaction (CONFIG_AXALLOC_DIRECT_COMPACTION)
 * with mm-addrspace's migrator, in pools of known shape (compact_pool.h):
 * a transparent huge page fault, an explicit 2M allocation, a collapse and
 * a khugepaged step that compact; unmovable fragmentation that fails
 * cleanly; the recursion guard; operations whose allocation moves pages
 * of their own space (a populate undone after it, a split the migrator
 * must not touch); the run-time switch; and a seeded random run.
 * TEST_SEED=<n> replays another seed of the random run.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "compact_pool.h"
#include "test_rand.h"
#include "test_seed.h"

#define DEFAULT_SEED  0x5eed0c0fULL
#define RANDOM_ROUNDS 12
#define MAX_PER_BLOCK 4 /* movable pages per block in the random rounds */

static struct pool pool;
static struct aspace other;

/* The compaction counters of axalloc_stats. */
static struct axalloc_stats counters(void)
{
	struct axalloc_stats st;

	axalloc_stats(&st);
	return st;
}

/* The counters moved from `a` to now by exactly these amounts. */
static void expect_counts(const struct axalloc_stats *a, uint64_t stall, uint64_t success,
			  uint64_t fail, uint64_t migrated)
{
	struct axalloc_stats b = counters();

	assert_int_equal(b.compact_stall - a->compact_stall, stall);
	assert_int_equal(b.compact_success - a->compact_success, success);
	assert_int_equal(b.compact_fail - a->compact_fail, fail);
	assert_int_equal(b.compact_pages_migrated - a->compact_pages_migrated, migrated);
	if (stall)
		assert_true(b.compact_migrate_scanned - a->compact_migrate_scanned >= PAGES_PER_2M);
}

/* True if pa lies in the 2M block at b. */
static bool in_block(paddr_t pa, paddr_t b)
{
	return pa >= b && pa < b + PG2M;
}

/*
 * The pool of the first cases: `other` holds two movable 4K pages (seed 7)
 * at VA2, one alone in each of two blocks; nothing else is free. f->as has
 * a lazy 2M area at VA with policy always.
 */
static void two_fragments(struct fixture *f, paddr_t blocks[2])
{
	pool_space_with_pages(&other, ASPACE_THP_NEVER, 2, 7);
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA, PG2M, RW, false, PG4K), 0);
	pool_hold_all(&pool);
	pool_fragment(&pool, &other, VA2, 2, blocks);
	assert_int_equal(pool_free_2m(), 0);
}

/* Gives back what two_fragments took, checking other's bytes. */
static void release_fragments(void)
{
	expect_fill(&other, VA2, 2 * PG4K, 7);
	aspace_destroy(&other);
	pool_release(&pool);
}

/* A THP fault with no free 2M frame moves other's page out of the cheapest block and maps it. */
static void test_thp_fault_compacts(void **state)
{
	struct fixture *f = *state;
	struct axalloc_stats before;
	paddr_t blocks[2];

	two_fragments(f, blocks);
	before = counters();
	assert_int_equal(aspace_handle_page_fault(&f->as, VA, ACCESS_WRITE), 0);
	assert_int_equal(pgsize_of(&f->as, VA), PG2M);
	assert_int_equal(frame_of(&f->as, VA), blocks[0]);
	assert_int_equal(stats(&f->as).thp_fault_alloc, 1);
	assert_int_equal(stats(&f->as).thp_fault_fallback, 0);
	expect_counts(&before, 1, 1, 0, 1);
	assert_int_equal(counters().compact_pages_failed, before.compact_pages_failed);
	/* The page moved into the other fragmented block, the only free memory. */
	assert_true(in_block(pa_of(&other, VA2), blocks[1]));
	expect_zero(&f->as, VA, PG2M);
	release_fragments();
}

/* axalloc_alloc_pages(512, 2M) compacts the same way; a 1G request, too big, does not stall. */
static void test_explicit_alloc_compacts(void **state)
{
	struct fixture *f = *state;
	struct axalloc_stats before;
	paddr_t blocks[2], pa;

	two_fragments(f, blocks);
	before = counters();
	assert_int_equal(axalloc_alloc_pages(PAGES_PER_2M, PG2M, AXALLOC_MOVABLE, &pa), 0);
	assert_int_equal(pa, blocks[0]);
	expect_counts(&before, 1, 1, 0, 1);
	before = counters();
	assert_int_equal(axalloc_alloc_pages(PG1G / PG4K, PG1G, AXALLOC_MOVABLE, &pa), -ENOMEM);
	expect_counts(&before, 0, 0, 0, 0);
	assert_int_equal(counters().failed_allocs, before.failed_allocs + 1);
	assert_int_equal(axalloc_free_pages(blocks[0], PAGES_PER_2M), 0);
	release_fragments();
}

/*
 * Unmovable fragmentation: block 0 holds a page the test took, block 1 one
 * of f->as's pages and one the test took. Nothing can be emptied: the
 * explicit 2M allocation fails with -ENOMEM before any page moves, and a
 * THP fault falls back to 4K.
 */
static void test_unmovable_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	struct axalloc_stats before;
	paddr_t b0, b1, pa;

	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA2, PG4K, RW, true, PG4K), 0);
	fill(&f->as, VA2, PG4K, 3);
	assert_int_equal(aspace_map_alloc(&f->as, VA, PG2M, RW, false, PG4K), 0);
	pool_hold_all(&pool);
	b0 = pool_give_block(&pool);
	b1 = pool_give_block(&pool);
	pool_place(&pool, &f->as, VA2, b1);
	assert_int_equal(axalloc_free_pages(b0 + PG4K, PAGES_PER_2M - 1), 0);
	assert_int_equal(axalloc_free_pages(b1 + 2 * PG4K, PAGES_PER_2M - 2), 0);
	before = counters();
	EXPECT_UNCHANGED(&f->as, -ENOMEM,
			 axalloc_alloc_pages(PAGES_PER_2M, PG2M, AXALLOC_MOVABLE, &pa));
	expect_counts(&before, 1, 0, 1, 0);
	assert_true(counters().compact_pages_failed >= before.compact_pages_failed + 2);
	assert_int_equal(counters().pages.free_pages, before.pages.free_pages);
	assert_int_equal(pa_of(&f->as, VA2), b1);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA, ACCESS_WRITE), 0);
	assert_int_equal(pgsize_of(&f->as, VA), PG4K);
	assert_int_equal(stats(&f->as).thp_fault_fallback, 1);
	expect_counts(&before, 2, 0, 2, 0);
	expect_fill(&f->as, VA2, PG4K, 3);
	assert_int_equal(aspace_unmap(&f->as, VA, PG2M), 0);
	assert_int_equal(axalloc_free_pages(b0, 1), 0);
	assert_int_equal(axalloc_free_pages(b1 + PG4K, 1), 0);
	pool_release(&pool);
}

/* The one page the fake migrator moves, and what its nested calls got. */
static paddr_t fake_page;
static int nested_alloc, nested_compact;
static uint64_t nested_stall;

/*
 * A migrator that, moving fake_page, first asks for a 2M block (as
 * migrating a transparent huge page does) and for a compaction of its own.
 */
static int fake_migrate(paddr_t pa, bool check_only)
{
	paddr_t big, to;

	if (pa != fake_page)
		return -ENOENT;
	if (check_only)
		return 1;
	nested_alloc = axalloc_alloc_pages(PAGES_PER_2M, PG2M, AXALLOC_MOVABLE, &big);
	nested_compact = axalloc_compact(ORDER_2M, NULL);
	nested_stall = counters().compact_stall;
	if (axalloc_alloc_pages(1, PG4K, AXALLOC_MOVABLE, &to) != 0)
		return -ENOMEM;
	assert_int_equal(axalloc_free_pages(pa, 1), 0);
	fake_page = to;
	return 0;
}

/*
 * The recursion guard: while a direct compaction runs, the migrator's own
 * 2M allocation fails without compacting and axalloc_compact answers
 * -EBUSY. (The next test's space registers mm-addrspace's migrator again.)
 */
static void test_recursion_guard(void **state)
{
	struct axalloc_stats before;
	paddr_t b0, b1, pa;

	(void)state;
	pool_hold_all(&pool);
	b0 = pool_give_block(&pool);
	b1 = pool_give_block(&pool);
	fake_page = b0;
	assert_int_equal(axalloc_free_pages(b0 + PG4K, PAGES_PER_2M - 1), 0);
	assert_int_equal(axalloc_free_pages(b1 + PG4K, PAGES_PER_2M - 1), 0);
	axalloc_set_migrator(fake_migrate);
	before = counters();
	assert_int_equal(axalloc_alloc_pages(PAGES_PER_2M, PG2M, AXALLOC_MOVABLE, &pa), 0);
	assert_int_equal(pa, b0);
	assert_int_equal(nested_alloc, -ENOMEM);
	assert_int_equal(nested_compact, -EBUSY);
	assert_int_equal(nested_stall, before.compact_stall + 1);
	expect_counts(&before, 1, 1, 0, 1);
	assert_int_equal(counters().failed_allocs, before.failed_allocs + 1);
	assert_true(in_block(fake_page, b1));
	assert_int_equal(axalloc_free_pages(pa, PAGES_PER_2M), 0);
	assert_int_equal(axalloc_free_pages(fake_page, 1), 0);
	assert_int_equal(axalloc_free_pages(b1, 1), 0);
	pool_release(&pool);
}

/*
 * A populate that compacts its own space: the fragments are f->as's own
 * 4K pages (seed 5). Its first 2M block gets a frame by moving one of
 * them; the second finds too little free memory to compact for, falls
 * back to 4K and runs out of memory, so the whole populate is undone:
 * nothing mapped, statistics as before, memory back, the moved page still
 * holding its bytes where it went.
 */
static void test_populate_compacts_own_space(void **state)
{
	struct fixture *f = *state;
	struct aspace_stats st, now;
	struct axalloc_stats before;
	struct mem_snap mem;
	paddr_t blocks[2];

	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_MADVISE), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA2, 2 * PG4K, RW, true, PG4K), 0);
	fill(&f->as, VA2, 2 * PG4K, 5);
	assert_int_equal(aspace_map_alloc(&f->as, VA, 2 * PG2M, RW, false, PG4K), 0);
	assert_int_equal(aspace_advise(&f->as, VA, 2 * PG2M, ASPACE_ADV_HUGEPAGE), 0);
	pool_hold_all(&pool);
	pool_fragment(&pool, &f->as, VA2, 2, blocks);
	st = stats(&f->as);
	mem = mem_snap();
	before = counters();
	assert_int_equal(aspace_populate(&f->as, VA, 2 * PG2M, ACCESS_WRITE), -ENOMEM);
	/* The second block found 510 free pages: too few to compact for, no stall. */
	expect_counts(&before, 1, 1, 0, 1);
	assert_int_equal(aspace_query(&f->as, VA, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(aspace_query(&f->as, VA + PG2M, NULL, NULL, NULL), -ENOENT);
	now = stats(&f->as);
	assert_memory_equal(&now, &st, sizeof(st));
	assert_true(mem_equal(mem_snap(), mem));
	assert_true(in_block(pa_of(&f->as, VA2), blocks[1]));
	expect_fill(&f->as, VA2, 2 * PG4K, 5);
	/* The block that compaction emptied is free now: the first 2M block maps. */
	assert_int_equal(aspace_populate(&f->as, VA, PG2M, ACCESS_WRITE), 0);
	assert_int_equal(frame_of(&f->as, VA), blocks[0]);
	assert_int_equal(pgsize_of(&f->as, VA), PG2M);
	expect_fill(&f->as, VA2, 2 * PG4K, 5);
	assert_int_equal(aspace_unmap(&f->as, VA, PG2M), 0);
	pool_release(&pool);
}

/*
 * aspace_collapse of a block whose one present page is the only used page
 * of a physical block: compaction moves that very page out and the
 * collapse gets its block, copying the page from where it went.
 */
static void test_collapse_compacts_its_own_page(void **state)
{
	struct fixture *f = *state;
	struct axalloc_stats before;
	paddr_t b, pin;

	assert_int_equal(aspace_map_alloc(&f->as, VA, PG2M, RW, false, PG4K), 0);
	fill(&f->as, VA + 5 * PG4K, PG4K, 9);
	pool_hold_all(&pool);
	b = pool_give_block(&pool);
	pin = pool_give_block(&pool);
	pool_place(&pool, &f->as, VA + 5 * PG4K, b);
	assert_int_equal(axalloc_free_pages(b + PG4K, PAGES_PER_2M - 1), 0);
	assert_int_equal(axalloc_free_pages(pin + PG4K, PAGES_PER_2M - 1), 0);
	before = counters();
	assert_int_equal(aspace_collapse(&f->as, VA, PG2M), 1);
	expect_counts(&before, 1, 1, 0, 1);
	assert_int_equal(frame_of(&f->as, VA), b);
	assert_int_equal(pgsize_of(&f->as, VA), PG2M);
	expect_refs(&f->as, VA + 5 * PG4K, 1);
	expect_zero(&f->as, VA, 5 * PG4K);
	expect_fill(&f->as, VA + 5 * PG4K, PG4K, 9);
	expect_zero(&f->as, VA + 6 * PG4K, PG2M - 6 * PG4K);
	assert_int_equal(axalloc_free_pages(pin, 1), 0);
	pool_release(&pool);
	check_accounting(&f->as, f->base);
}

/*
 * The split pin. f->as has a transparent 2M page at VA (its own, seed 9)
 * and, from VA + 2M, a read-only 2M area shared with a clone (seed 4). A
 * protect from VA + 4K adding write splits the transparent page (a split
 * it must undo on failure), then needs a 2M copy of a shared page: no 2M
 * frame is free, and the only block compaction could empty is the split
 * page's. The migrator must refuse those frames: -ENOMEM, and both spaces
 * are exactly as before (undoing the split needs its frames in place).
 */
static void test_split_frames_stay(void **state)
{
	struct fixture *f = *state;
	const struct aspace *spaces[2] = {&f->as, &other};
	struct axalloc_stats before;
	paddr_t pins[2];

	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA + PG2M, 2 * PG2M, RW, true, PG2M), 0);
	fill(&f->as, VA + PG2M, 2 * PG2M, 4);
	assert_int_equal(aspace_protect(&f->as, VA + PG2M, 2 * PG2M, RO), 0);
	assert_int_equal(aspace_create(&other, SPACE_BASE, SPACE_SIZE), 0);
	assert_int_equal(aspace_clone(&other, &f->as), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA, PG2M, RW, false, PG4K), 0);
	fill(&f->as, VA, PG2M, 9);
	assert_int_equal(pgsize_of(&f->as, VA), PG2M);
	kfree(kmalloc(PG4K)); /* room in the heap for the protect's area node */
	pool_hold_all(&pool);
	for (int i = 0; i < 2; i++) {
		pins[i] = pool_give_block(&pool);
		assert_int_equal(axalloc_free_pages(pins[i] + PG4K, PAGES_PER_2M - 1), 0);
	}
	before = counters();
	EXPECT_UNCHANGED_SPACES(spaces, 2, -ENOMEM,
				aspace_protect(&f->as, VA + PG4K, 3 * PG2M - PG4K, RW));
	expect_counts(&before, 1, 0, 1, 0);
	expect_fill(&f->as, VA, PG2M, 9);
	expect_fill(&f->as, VA + PG2M, 2 * PG2M, 4);
	aspace_destroy(&other);
	for (int i = 0; i < 2; i++)
		assert_int_equal(axalloc_free_pages(pins[i], 1), 0);
	pool_release(&pool);
}

/*
 * The run-time switch: off, a THP fault in the fragmented pool falls back
 * to 4K and nothing stalls; on again, a khugepaged step collapses that
 * block through compaction.
 */
static void test_switch_and_khugepaged(void **state)
{
	struct fixture *f = *state;
	struct axalloc_stats before;
	paddr_t blocks[2];

	two_fragments(f, blocks);
	before = counters();
	assert_int_equal(axalloc_set_direct_compaction(false), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA, ACCESS_WRITE), 0);
	assert_int_equal(pgsize_of(&f->as, VA), PG4K);
	expect_counts(&before, 0, 0, 0, 0);
	assert_int_equal(aspace_write(&f->as, VA + 7, "x", 1), 0);
	assert_int_equal(axalloc_set_direct_compaction(true), 0);
	assert_int_equal(aspace_khugepaged_scan(&f->as, 1), 1);
	assert_int_equal(pgsize_of(&f->as, VA), PG2M);
	expect_counts(&before, 1, 1, 0, 1);
	expect_zero(&f->as, VA, 7);
	expect_zero(&f->as, VA + 8, PG2M - 8);
	release_fragments();
}

/*
 * One random round: `other` gets 1 to MAX_PER_BLOCK movable pages (seed 6)
 * at random frames of each of 2 to 8 handed-back blocks, a third of which
 * also keep one frame the test holds (unmovable); then f->as (policy
 * always) touches one byte in each 2M block of a region of 1 to 8 blocks.
 * Whenever no 2M frame is free but 512 pages are, the fault must stall,
 * and a compaction that succeeds must give that fault its 2M page. Every
 * byte of both spaces is checked at the end.
 */
static void random_round(struct fixture *f, uint64_t *rng)
{
	static paddr_t placed[POOL_BLOCKS * MAX_PER_BLOCK], blocks[POOL_BLOCKS], pins[POOL_BLOCKS];
	uint64_t first[POOL_BLOCKS + 1];
	uint64_t nr_blocks = test_rand_range(rng, 2, 8), region = test_rand_range(rng, 1, 8);
	uint64_t nr_pages = 0, nr_pins = 0;

	for (uint64_t i = 0; i < nr_blocks; i++) {
		first[i] = nr_pages;
		nr_pages += test_rand_range(rng, 1, MAX_PER_BLOCK);
	}
	first[nr_blocks] = nr_pages;
	pool_space_with_pages(&other, ASPACE_THP_NEVER, (int)nr_pages, 6);
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA, region * PG2M, RW, false, PG4K), 0);
	pool_hold_all(&pool);
	/* Page k of a block goes to frame 4 r + k: distinct frames for distinct k. */
	for (uint64_t i = 0; i < nr_blocks; i++) {
		blocks[i] = pool_give_block(&pool);
		for (uint64_t p = first[i]; p < first[i + 1]; p++) {
			uint64_t k = p - first[i],
				 r = test_rand_below(rng, PAGES_PER_2M / MAX_PER_BLOCK);

			placed[p] = blocks[i] + (r * MAX_PER_BLOCK + k) * PG4K;
			pool_place(&pool, &other, VA2 + p * PG4K, placed[p]);
		}
	}
	/* Only once every page is placed: a later one must not land in a block given back. */
	for (uint64_t i = 0; i < nr_blocks; i++) {
		bool pin = test_rand_below(rng, 3) == 0;

		for (uint64_t k = 0; k < PAGES_PER_2M; k++) {
			paddr_t pa = blocks[i] + k * PG4K;
			bool used = false;

			for (uint64_t p = first[i]; p < first[i + 1]; p++)
				used |= placed[p] == pa;
			if (used)
				continue;
			if (pin) {
				pins[nr_pins++] = pa;
				pin = false;
				continue;
			}
			assert_int_equal(axalloc_free_pages(pa, 1), 0);
		}
	}
	for (uint64_t blk = 0; blk < region; blk++) {
		vaddr_t va = VA + blk * PG2M;
		struct axalloc_stats before = counters(), after;
		bool must_stall = pgalloc_suitable_blocks(&before.pages, ORDER_2M) == 0 &&
				  before.pages.free_pages >= PAGES_PER_2M;
		uint8_t byte = (uint8_t)(blk + 1);
		int err = aspace_handle_page_fault(&f->as, va, ACCESS_WRITE);

		after = counters();
		assert_int_equal(after.compact_stall - before.compact_stall, must_stall);
		if (after.compact_success > before.compact_success) {
			assert_int_equal(err, 0);
			assert_int_equal(pgsize_of(&f->as, va), PG2M);
		}
		if (err == 0)
			assert_int_equal(aspace_write(&f->as, va, &byte, 1), 0);
		else
			assert_int_equal(err, -ENOMEM);
	}
	expect_fill(&other, VA2, nr_pages * PG4K, 6);
	for (uint64_t blk = 0; blk < region; blk++) {
		uint8_t byte;

		if (aspace_query(&f->as, VA + blk * PG2M, NULL, NULL, NULL) != 0)
			continue;
		assert_int_equal(aspace_read(&f->as, VA + blk * PG2M, &byte, 1), 0);
		assert_int_equal(byte, (uint8_t)(blk + 1));
	}
	aspace_destroy(&other);
	assert_int_equal(aspace_unmap(&f->as, VA, region * PG2M), 0);
	while (nr_pins > 0)
		assert_int_equal(axalloc_free_pages(pins[--nr_pins], 1), 0);
	pool_release(&pool);
}

/* Seeded random rounds (random_round); the seed is printed, TEST_SEED replays one. */
static void test_random_fragmentation(void **state)
{
	struct fixture *f = *state;
	uint64_t seed = host_test_seed(DEFAULT_SEED);
	struct axalloc_stats st;

	printf("direct compaction random rounds: seed %#llx\n", (unsigned long long)seed);
	for (int round = 0; round < RANDOM_ROUNDS; round++) {
		uint64_t rng = seed + (uint64_t)round;

		random_round(f, &rng);
		check_accounting(&f->as, f->base);
	}
	st = counters();
	printf("direct compaction random rounds: %lu stalls, %lu compacted, %lu failed, %lu pages "
	       "migrated\n",
	       (unsigned long)st.compact_stall, (unsigned long)st.compact_success,
	       (unsigned long)st.compact_fail, (unsigned long)st.compact_pages_migrated);
	assert_true(st.compact_success > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_thp_fault_compacts, pool_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_explicit_alloc_compacts, pool_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmovable_fails_cleanly, pool_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recursion_guard, pool_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_populate_compacts_own_space, pool_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_collapse_compacts_its_own_page, pool_setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_split_frames_stay, pool_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_switch_and_khugepaged, pool_setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_fragmentation, pool_setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

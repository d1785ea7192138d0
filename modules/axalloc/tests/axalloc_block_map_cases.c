/*
 * axalloc_block_map_cases.c - test cases for the memory-map picture
 * (axalloc_block_map, axalloc_print_block_map): every class where the
 * allocations put it, with a fake migrator that says which frames are
 * movable; without a migrator; two ranges in one block; the snprintf-like
 * length contract; the printed lines; nothing changed; and a seeded random
 * workload against an oracle that classifies the blocks page by page.
 *
 * Run by test_axalloc_pages.c here (buddy) and in tests/axalloc-bitmap-facade
 * (bitmap) through run_page_tests().
 */
#include <unistd.h>

#include "axalloc_test.h"
#include "test_rand.h"
#include "test_seed.h"

#define PAGES_2M   (PAGE_SIZE_2M / PAGE_SIZE)
#define RAM_BLOCKS (RAM_SIZE / PAGE_SIZE_2M)

/* What the tests know of each page of the standard RAM: used, and movable by the fake migrator. */
static bool page_used[RAM_PAGES];
static bool page_movable[RAM_PAGES];
/* Calls of the fake migrator: checks, and moves (which the map must never ask for). */
static unsigned long checks, moves;

/* The fake migrator: a page of the standard RAM marked movable may move (it is never moved). */
static int fake_migrate(paddr_t pa, bool check_only)
{
	if (!check_only) {
		moves++;
		return -EBUSY;
	}
	checks++;
	if (pa < RAM_BASE || pa >= RAM_BASE + RAM_SIZE)
		return -ENOENT;
	return page_movable[(pa - RAM_BASE) / PAGE_SIZE] ? 1 : -EBUSY;
}

static int setup_map(void **state)
{
	memset(page_used, 0, sizeof(page_used));
	memset(page_movable, 0, sizeof(page_movable));
	checks = moves = 0;
	axalloc_set_migrator(fake_migrate);
	return setup_std(state);
}

static int teardown_map(void **state)
{
	(void)state;
	axalloc_set_migrator(NULL);
	assert_int_equal(moves, 0);
	return 0;
}

/* Records that the n pages from pa are used (or free), movable or not. */
static void mark(paddr_t pa, uint64_t n, bool used, bool movable)
{
	assert_true(pa >= RAM_BASE && pa + n * PAGE_SIZE <= RAM_BASE + RAM_SIZE);
	for (uint64_t i = 0; i < n; i++) {
		page_used[(pa - RAM_BASE) / PAGE_SIZE + i] = used;
		page_movable[(pa - RAM_BASE) / PAGE_SIZE + i] = used && movable;
	}
}

/* Takes n pages aligned to align, of the given mobility, and records them. */
static paddr_t take(uint64_t n, uint64_t align, bool movable)
{
	paddr_t pa;

	assert_int_equal(
	    axalloc_alloc_pages(n, align, movable ? AXALLOC_MOVABLE : AXALLOC_UNMOVABLE, &pa), 0);
	mark(pa, n, true, movable);
	return pa;
}

static void give_back(paddr_t pa, uint64_t n)
{
	assert_int_equal(axalloc_free_pages(pa, n), 0);
	mark(pa, n, false, false);
}

/* Whether the page at pa is managed. */
static bool managed(const struct axalloc_range *r, int nr, paddr_t pa)
{
	for (int i = 0; i < nr; i++)
		if (pa >= r[i].base && pa < r[i].base + r[i].size)
			return true;
	return false;
}

/*
 * The map of the standard RAM as it should be, from the recorded pages:
 * each 2M block with a managed page gives one character, page by page.
 * Returns the number of blocks; out holds RAM_BLOCKS + 1 characters.
 */
static size_t oracle_map(char *out, bool with_migrator)
{
	struct axalloc_range r[MAX_TEST_RANGES];
	int nr = get_ranges(r);
	size_t count = 0;

	for (uint64_t b = 0; b < RAM_BLOCKS; b++) {
		bool any = false, mov = false, unmov = false;

		for (uint64_t i = b * PAGES_2M; i < (b + 1) * PAGES_2M; i++) {
			if (!managed(r, nr, RAM_BASE + i * PAGE_SIZE))
				continue;
			any = true;
			if (page_used[i] && page_movable[i] && with_migrator)
				mov = true;
			else if (page_used[i])
				unmov = true;
		}
		if (any)
			out[count++] = mov && unmov ? AXALLOC_BLOCK_MIXED
				       : mov	    ? AXALLOC_BLOCK_MOVABLE
				       : unmov	    ? AXALLOC_BLOCK_UNMOVABLE
						    : AXALLOC_BLOCK_FREE;
	}
	out[count] = '\0';
	return count;
}

/* The map equals the oracle's. */
static void expect_oracle(bool with_migrator)
{
	char want[RAM_BLOCKS + 1], got[RAM_BLOCKS + 1];
	size_t n = oracle_map(want, with_migrator);

	assert_int_equal(axalloc_block_map(got, sizeof(got)), n);
	assert_string_equal(got, want);
}

/* The index of the block at pa in the map of the standard RAM (every block has a managed page). */
static size_t index_of(paddr_t pa)
{
	return (pa - RAM_BASE) / PAGE_SIZE_2M;
}

/* Nothing allocated: every block of the standard RAM is free, with or without a migrator. */
static void test_block_map_empty(void **state)
{
	char map[RAM_BLOCKS + 1];
	(void)state;

	assert_int_equal(axalloc_block_map(map, sizeof(map)), RAM_BLOCKS);
	for (size_t i = 0; i < RAM_BLOCKS; i++)
		assert_int_equal(map[i], AXALLOC_BLOCK_FREE);
	assert_int_equal(map[RAM_BLOCKS], '\0');
	expect_oracle(true);
	assert_int_equal(checks, 0);
	axalloc_set_migrator(NULL);
	expect_oracle(false);
}

/*
 * Four whole blocks taken, then given back but for a few pages each: one
 * with movable pages only (M), one unmovable page (U), one of each (X), one
 * empty (.); without a migrator every used block is U.
 */
static void test_block_map_classes(void **state)
{
	/* The pages each block keeps: index, and whether it is movable. */
	static const struct {
		int n;
		uint64_t page[3];
		bool movable[3];
	} keep[4] = {
	    {3, {0, 100, 511}, {true, true, true}},
	    {1, {7}, {false}},
	    {2, {3, 511}, {true, false}},
	    {0, {0}, {false}},
	};
	static const char want[4] = {AXALLOC_BLOCK_MOVABLE, AXALLOC_BLOCK_UNMOVABLE,
				     AXALLOC_BLOCK_MIXED, AXALLOC_BLOCK_FREE};
	char map[RAM_BLOCKS + 1];
	paddr_t block[4];
	(void)state;

	for (int b = 0; b < 4; b++)
		block[b] = take(PAGES_2M, PAGE_SIZE_2M, true);
	/* Both allocators free any part of an allocation: give back all but the kept pages. */
	for (int b = 0; b < 4; b++)
		for (uint64_t i = 0; i < PAGES_2M; i++) {
			int k = 0;

			while (k < keep[b].n && keep[b].page[k] != i)
				k++;
			if (k < keep[b].n)
				mark(block[b] + i * PAGE_SIZE, 1, true, keep[b].movable[k]);
			else
				give_back(block[b] + i * PAGE_SIZE, 1);
		}
	assert_int_equal(axalloc_block_map(map, sizeof(map)), RAM_BLOCKS);
	/* Only the used pages were checked, each once: 3 + 1 + 2. */
	assert_int_equal(checks, 6);
	for (int b = 0; b < 4; b++)
		assert_int_equal(map[index_of(block[b])], want[b]);
	expect_oracle(true);
	axalloc_set_migrator(NULL);
	assert_int_equal(axalloc_block_map(map, sizeof(map)), RAM_BLOCKS);
	for (int b = 0; b < 3; b++)
		assert_int_equal(map[index_of(block[b])], AXALLOC_BLOCK_UNMOVABLE);
	assert_int_equal(map[index_of(block[3])], AXALLOC_BLOCK_FREE);
	expect_oracle(false);
	for (int b = 0; b < 4; b++)
		for (int k = 0; k < keep[b].n; k++)
			give_back(block[b] + keep[b].page[k] * PAGE_SIZE, 1);
	expect_oracle(false);
}

/* Like snprintf: the count of blocks whatever len is, at most len - 1 characters and a NUL. */
static void test_block_map_length(void **state)
{
	char full[RAM_BLOCKS + 1], buf[RAM_BLOCKS + 8];
	paddr_t a = take(1, PAGE_SIZE, true), b = take(1, PAGE_SIZE, false);
	(void)state;

	assert_int_equal(axalloc_block_map(full, sizeof(full)), RAM_BLOCKS);
	assert_int_equal(axalloc_block_map(NULL, 0), RAM_BLOCKS);
	for (size_t len = 0; len <= RAM_BLOCKS + 2; len++) {
		memset(buf, '#', sizeof(buf));
		assert_int_equal(axalloc_block_map(buf, len), RAM_BLOCKS);
		if (len > 0) {
			size_t n = len - 1 < RAM_BLOCKS ? len - 1 : RAM_BLOCKS;

			assert_memory_equal(buf, full, n);
			assert_int_equal(buf[n], '\0');
			for (size_t i = n + 1; i < sizeof(buf); i++)
				assert_int_equal(buf[i], '#');
		} else {
			for (size_t i = 0; i < sizeof(buf); i++)
				assert_int_equal(buf[i], '#');
		}
	}
	give_back(a, 1);
	give_back(b, 1);
}

/* The map and the picture change nothing: stats, used and free pages stay as they were. */
static void test_block_map_changes_nothing(void **state)
{
	char map[RAM_BLOCKS + 1];
	paddr_t a = take(3, PAGE_SIZE, true), b = take(PAGES_2M, PAGE_SIZE_2M, false), pa;
	struct axalloc_stats before = get_stats(), after;
	(void)state;

	axalloc_block_map(map, sizeof(map));
	axalloc_print_block_map("test_block_map_changes_nothing");
	after = get_stats();
	assert_stats_equal(before, after);
	/* Used pages are still used (a second free would fail), free ones still free. */
	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), 0);
	assert_false(overlaps(pa, PAGE_SIZE_2M, b, PAGE_SIZE_2M));
	assert_int_equal(axalloc_free_pages(pa, PAGES_2M), 0);
	give_back(a, 3);
	give_back(b, PAGES_2M);
	assert_int_equal(axalloc_free_pages(a, 3), -ENOENT);
}

/*
 * Two ranges in one 2M block (a reserved page inside it) give one
 * character, their classes merged: movable pages in the first range and
 * unmovable ones in the second make it mixed.
 */
static void test_block_map_shared_block(void **state)
{
	static const struct mem_range ram = {RAM_BASE, 2 * PAGE_SIZE_2M};
	static const struct mem_range hole = {RAM_BASE + PAGE_SIZE_2M / 2, PAGE_SIZE};
	struct axalloc_range r[MAX_TEST_RANGES];
	char map[4];
	paddr_t pa;
	(void)state;

	assert_int_equal(map_and_init(&ram, 1, &hole, 1), 0);
	assert_int_equal(get_ranges(r), 2);
	assert_true(r[0].base + r[0].size <= hole.base);
	assert_int_equal(axalloc_block_map(map, sizeof(map)), 2);
	assert_string_equal(map, "..");
	while (axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa) == 0)
		mark(pa, 1, true, pa < hole.base);
	assert_int_equal(axalloc_block_map(map, sizeof(map)), 2);
	assert_string_equal(map, "XU");
	for (uint64_t i = 0; i < RAM_PAGES; i++)
		if (page_used[i])
			give_back(RAM_BASE + i * PAGE_SIZE, 1);
	assert_int_equal(axalloc_block_map(map, sizeof(map)), 2);
	assert_string_equal(map, "..");
}

/* What axalloc_print_block_map writes to stdout, into buf (NUL-terminated). */
static void capture_print(const char *title, char *buf, size_t size)
{
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	assert_non_null(tmp);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	axalloc_print_block_map(title);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, size - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

/*
 * The picture of two ranges 128 MiB apart: the title, the legend, one line
 * per 128 MiB window that holds a block, each block in its column (a block
 * with no managed page blank), then the counts; all as axalloc_block_map
 * says.
 */
static void test_block_map_print(void **state)
{
	static const struct mem_range ram[] = {
	    {RAM_BASE, 4 * PAGE_SIZE_2M},
	    {RAM_BASE + (128UL << 20) + 2 * PAGE_SIZE_2M, 2 * PAGE_SIZE_2M},
	};
	char map[8], out[1024], want[1024];
	paddr_t pa[3];
	size_t counts[4] = {0};
	(void)state;

	assert_int_equal(map_and_init(ram, 2, NULL, 0), 0);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_MOVABLE, &pa[0]), 0);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa[1]), 0);
	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa[2]), 0);
	/* The fake migrator knows the first range only (inside the standard RAM). */
	if (pa[0] < RAM_BASE + RAM_SIZE)
		mark(pa[0], 1, true, true);
	assert_int_equal(axalloc_block_map(map, sizeof(map)), 6);
	for (int i = 0; i < 6; i++)
		counts[map[i] == AXALLOC_BLOCK_FREE	   ? 0
		       : map[i] == AXALLOC_BLOCK_MOVABLE   ? 1
		       : map[i] == AXALLOC_BLOCK_UNMOVABLE ? 2
							   : 3]++;
	/* The single pages are in one or two blocks, the 2M block in another. */
	assert_true(counts[0] <= 4 && counts[0] >= 3);
	snprintf(want, sizeof(want),
		 "a title\n"
		 "  one character per 2M block: '.' free, 'M' movable pages in use, 'U' "
		 "unmovable, 'X' both\n"
		 "  0x80000000 %.4s\n"
		 "  0x88000000   %.2s\n"
		 "  6 blocks: %zu free, %zu movable, %zu unmovable, %zu mixed\n",
		 map, map + 4, counts[0], counts[1], counts[2], counts[3]);
	capture_print("a title", out, sizeof(out));
	assert_string_equal(out, want);
	assert_int_equal(axalloc_free_pages(pa[0], 1), 0);
	assert_int_equal(axalloc_free_pages(pa[1], 1), 0);
	assert_int_equal(axalloc_free_pages(pa[2], PAGES_2M), 0);
}

/* Seeded random allocations of every mobility, sizes and alignments: the map matches the oracle. */
static void test_block_map_random(void **state)
{
	enum { STEPS = 600, MAX_LIVE = 64, CHECK_EVERY = 25 };
	struct {
		paddr_t pa;
		uint64_t n;
	} live[MAX_LIVE];
	uint64_t seed = host_test_seed(AXALLOC_DEFAULT_SEED), rng = seed;
	int nr = 0;
	(void)state;

	print_message("test_block_map_random: seed %#llx\n", (unsigned long long)seed);
	for (int step = 0; step < STEPS; step++) {
		if (nr < MAX_LIVE && (nr == 0 || test_rand_below(&rng, 3) != 0)) {
			uint64_t n = test_rand_range(&rng, 1, test_rand_below(&rng, 8) ? 16 : 700);
			uint64_t align = PAGE_SIZE << test_rand_below(&rng, 10);
			bool movable = test_rand_below(&rng, 4) != 0;
			paddr_t pa;

			if (axalloc_alloc_pages(
				n, align, movable ? AXALLOC_MOVABLE : AXALLOC_UNMOVABLE, &pa) != 0)
				continue;
			mark(pa, n, true, movable);
			live[nr].pa = pa;
			live[nr++].n = n;
		} else {
			int i = (int)test_rand_below(&rng, (uint64_t)nr);

			give_back(live[i].pa, live[i].n);
			live[i] = live[--nr];
		}
		if (step % CHECK_EVERY == 0)
			expect_oracle(true);
	}
	expect_oracle(true);
	axalloc_set_migrator(NULL);
	expect_oracle(false);
	while (nr > 0) {
		nr--;
		give_back(live[nr].pa, live[nr].n);
	}
	expect_oracle(false);
}

int run_block_map_tests(const char *allocator)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_block_map_empty, setup_map, teardown_map),
	    cmocka_unit_test_setup_teardown(test_block_map_classes, setup_map, teardown_map),
	    cmocka_unit_test_setup_teardown(test_block_map_length, setup_map, teardown_map),
	    cmocka_unit_test_setup_teardown(test_block_map_changes_nothing, setup_map,
					    teardown_map),
	    cmocka_unit_test_setup_teardown(test_block_map_shared_block, setup_map, teardown_map),
	    cmocka_unit_test_setup_teardown(test_block_map_print, setup_map, teardown_map),
	    cmocka_unit_test_setup_teardown(test_block_map_random, setup_map, teardown_map),
	};
	char name[64];

	snprintf(name, sizeof(name), "%s block map", allocator);
	return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}

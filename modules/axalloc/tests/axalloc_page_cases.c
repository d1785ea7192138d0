/*
 * axalloc_page_cases.c - test cases for axalloc's page side: the memory map
 * (RAM minus reserved ranges, metadata carving; placement cases in
 * axalloc_layout_cases.c), the page-allocator facade, out-of-memory and fault
 * injection, and frame reference counts (single frames and ranges), owner
 * words and frame_ref_move.
 *
 * Run by test_axalloc_pages.c here (buddy) and in tests/axalloc-bitmap-facade
 * (bitmap) through run_page_tests().
 */

#include <stdbool.h>

#include "../src/axalloc_priv.h"
#include "axalloc_test.h"
#include "test_rand.h"
#include "test_seed.h"
#include <axalloc/frame_ref.h>
#include <axlog/log.h>
#include <klib/kconfig.h>

/* The range whose managed part holds [pa, pa + n pages), or -1. */
static int managed_range_of(paddr_t pa, uint64_t n)
{
	struct axalloc_range r[MAX_TEST_RANGES];
	int nr = get_ranges(r);
	for (int i = 0; i < nr; i++)
		if (pa >= r[i].base && pa + n * PAGE_SIZE <= r[i].base + r[i].size)
			return i;
	return -1;
}

static bool in_managed(paddr_t pa, uint64_t n)
{
	return managed_range_of(pa, n) >= 0;
}

/*
 * Allocates every page one at a time, checks that each range hands out
 * exactly its managed pages, then frees them all.
 */
static void alloc_all_pages_and_check(void)
{
	struct axalloc_stats before = get_stats();
	uint64_t total = before.pages.free_pages;
	paddr_t *pages = malloc(total * sizeof(*pages));
	struct axalloc_range r[MAX_TEST_RANGES];
	uint64_t per_range[MAX_TEST_RANGES] = {0};
	int nr = get_ranges(r);
	assert_non_null(pages);

	for (uint64_t i = 0; i < total; i++) {
		assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pages[i]),
				 0);
		int k = managed_range_of(pages[i], 1);
		assert_true(k >= 0);
		per_range[k]++;
	}
	for (int k = 0; k < nr; k++)
		assert_int_equal(per_range[k], r[k].size / PAGE_SIZE);
	paddr_t pa;
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), -ENOMEM);
	for (uint64_t i = 0; i < total; i++)
		assert_int_equal(axalloc_free_pages(pages[i], 1), 0);
	struct axalloc_stats after = get_stats();
	assert_int_equal(after.pages.free_pages, total);
	assert_int_equal(after.failed_allocs, before.failed_allocs + 1);
	free(pages);
}

/* Before axalloc_init nothing can be allocated and nothing breaks. */
static void test_before_init(void **state)
{
	(void)state;
	paddr_t pa;
	struct axalloc_stats st = get_stats();
	assert_int_equal(st.pages.total_pages, 0);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), -ENOMEM);
	assert_int_equal(axalloc_free_pages(RAM_BASE, 1), -EINVAL);
	assert_null(kmalloc(16));
	assert_int_equal(get_stats().failed_allocs, 2);
	if (IS_ENABLED(CONFIG_AXALLOC_FRAME_REFS)) {
		assert_int_equal(frame_ref_get(RAM_BASE), 0);
		assert_int_equal(frame_ref_inc_range(RAM_BASE, 1), -EINVAL);
		assert_int_equal(frame_ref_max(RAM_BASE, 1), 0);
		assert_int_equal(frame_ref_put_range(RAM_BASE, 1), -EINVAL);
		assert_int_equal(frame_owner_get(RAM_BASE), 0);
		assert_int_equal(frame_owner_set(RAM_BASE, 1, 1), -EINVAL);
		assert_int_equal(frame_ref_move(RAM_BASE, RAM_BASE + PAGE_SIZE, 1), -EINVAL);
	}
}

static void test_allocator_name(void **state)
{
	const char *expected = *state;
	assert_string_equal(axalloc_page_allocator_name(), expected);
}

/* Bad arguments to axalloc_init fail and leave the running allocator as it was. */
static void test_init_bad_args(void **state)
{
	(void)state;
	static const struct mem_range ram = {RAM_BASE, RAM_SIZE};
	static const struct mem_range tiny = {RAM_BASE + 0x800, PAGE_SIZE + 0x1000};
	static const struct mem_range all = {0, UINT64_MAX};
	paddr_t pa;

	assert_int_equal(axalloc_alloc_pages(3, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), 0);
	struct axalloc_stats before = get_stats();
	assert_int_equal(axalloc_init(&ram, -1, NULL, 0), -EINVAL);
	assert_int_equal(axalloc_init(&ram, 1, NULL, -1), -EINVAL);
	assert_int_equal(axalloc_init(NULL, 1, NULL, 0), -EINVAL);
	assert_int_equal(axalloc_init(&ram, 1, NULL, 1), -EINVAL);
	/* Nothing usable: no RAM, all reserved, a piece too small for its metadata. */
	assert_int_equal(axalloc_init(&ram, 0, NULL, 0), -ENOMEM);
	assert_int_equal(axalloc_init(&ram, 1, &all, 1), -ENOMEM);
	assert_int_equal(axalloc_init(&ram, 1, &ram, 1), -ENOMEM);
	assert_int_equal(axalloc_init(&tiny, 1, NULL, 0), -ENOMEM);
	struct axalloc_stats after = get_stats();
	assert_stats_equal(before, after);
	assert_int_equal(axalloc_free_pages(pa, 3), 0);
}

/*
 * The standard map: firmware, kernel and DTB holes. No piece holds a whole
 * GiB and each has room at its head, so every piece's metadata sits at its
 * start, as it always did.
 */
static void test_init_reserved_holes(void **state)
{
	(void)state;
	static const struct mem_range ram = {RAM_BASE, RAM_SIZE};
	uint8_t *map = malloc(RAM_PAGES);
	assert_non_null(map);

	oracle_usable(&ram, 1, std_reserved, NR_STD_RESERVED, RAM_BASE, RAM_PAGES, map);
	/* Three pieces: firmware to kernel, kernel to DTB, DTB to the end. */
	assert_int_equal(check_layout(map, RAM_BASE, RAM_PAGES), 3);
	struct axalloc_range r[MAX_TEST_RANGES];
	int nr = get_ranges(r);
	for (int i = 0; i < nr; i++) {
		assert_int_equal(r[i].meta_base + r[i].meta_size, r[i].base);
		for (int k = 0; k < NR_STD_RESERVED; k++) {
			assert_false(overlaps(r[i].meta_base, r[i].meta_size, std_reserved[k].base,
					      std_reserved[k].size));
			assert_false(overlaps(r[i].base, r[i].size, std_reserved[k].base,
					      std_reserved[k].size));
		}
	}
	struct axalloc_stats st = get_stats();
	assert_int_equal(st.pages.free_pages, st.pages.total_pages);
	assert_int_equal(st.pages.used_pages, 0);
	assert_int_equal(st.heap_pages, 0);
	alloc_all_pages_and_check();
	free(map);
}

/* Unsorted, overlapping and duplicated RAM and reserved lists. */
static void test_init_unsorted_overlapping(void **state)
{
	(void)state;
	static const struct mem_range ram[] = {
	    {RAM_BASE + (32UL << 20), 32UL << 20},
	    {RAM_BASE, 48UL << 20},
	    {RAM_BASE + 0x10, 48UL << 20},
	    {RAM_BASE + (8UL << 20), 0},
	};
	static const struct mem_range res[] = {
	    {RAM_BASE + (40UL << 20), 0x3000},
	    {RAM_BASE + (1UL << 20) + 0x10, 0x100},
	    {RAM_BASE + (40UL << 20) + 0x1000, 0x4000},
	    {RAM_BASE, 0x80000},
	    {RAM_BASE + (1UL << 20), 0x80},
	    {RAM_BASE + (60UL << 20), 0},
	};
	uint8_t *map = malloc(RAM_PAGES);
	assert_non_null(map);

	hal_host_unmap_all();
	hal_host_map_phys(RAM_BASE, RAM_SIZE);
	assert_int_equal(axalloc_init(ram, 4, res, 6), 0);
	oracle_usable(ram, 4, res, 6, RAM_BASE, RAM_PAGES, map);
	assert_int_equal(check_layout(map, RAM_BASE, RAM_PAGES), 3);
	free(map);
}

/* Adjacent RAM ranges merge into one managed range. */
static void test_init_adjacent_ram_merges(void **state)
{
	(void)state;
	static const struct mem_range ram[] = {
	    {RAM_BASE + RAM_SIZE / 2, RAM_SIZE / 2},
	    {RAM_BASE, RAM_SIZE / 2},
	};
	struct axalloc_range r[MAX_TEST_RANGES];

	assert_int_equal(map_and_init(ram, 2, NULL, 0), 0);
	assert_int_equal(get_ranges(r), 1);
	assert_int_equal(r[0].meta_base, RAM_BASE);
	assert_int_equal(r[0].meta_base + r[0].meta_size, r[0].base);
	assert_int_equal(r[0].base + r[0].size, RAM_BASE + RAM_SIZE);
	/* The merged range gives a block across the old boundary. */
	paddr_t pa;
	assert_int_equal(axalloc_alloc_pages(RAM_PAGES / 2, RAM_SIZE / 2, AXALLOC_UNMOVABLE, &pa),
			 0);
	assert_int_equal(pa, RAM_BASE + RAM_SIZE / 2);
	assert_int_equal(axalloc_free_pages(pa, RAM_PAGES / 2), 0);
}

/* More usable pieces than PGALLOC_MAX_RANGES: the largest are kept. */
static void test_init_too_many_pieces(void **state)
{
	(void)state;
	enum { NR_GAPS = 20, NR_RES = NR_GAPS + 1, FIRST_GAP = 2 };
	static const struct mem_range ram = {RAM_BASE, RAM_SIZE};
	struct mem_range res[NR_RES];
	struct axalloc_range r[MAX_TEST_RANGES];
	uint64_t page = 0;

	/* One reserved byte per page r_k; between r_k and r_k+1 a gap of FIRST_GAP + k pages. */
	for (int k = 0; k < NR_RES; k++) {
		res[k] = (struct mem_range){RAM_BASE + page * PAGE_SIZE + 0x123, 1};
		page += 1 + FIRST_GAP + k;
	}
	assert_int_equal(map_and_init(&ram, 1, res, NR_RES), 0);
	int nr = get_ranges(r);
	assert_int_equal(nr, PGALLOC_MAX_RANGES);
	/* Dropped: the NR_GAPS + 1 - 16 smallest gaps. The smallest kept is the next one. */
	uint64_t smallest = UINT64_MAX;
	for (int i = 0; i < nr; i++) {
		uint64_t pages = (r[i].size + r[i].meta_size) / PAGE_SIZE;
		if (pages < smallest)
			smallest = pages;
		if (i > 0)
			assert_true(r[i - 1].base < r[i].base);
	}
	assert_int_equal(smallest, FIRST_GAP + (NR_GAPS + 1 - PGALLOC_MAX_RANGES));
}

/* Seeded random maps (unaligned, overlapping, unsorted) against the oracle. */
static void test_init_random_maps(void **state)
{
	(void)state;
	enum { TRIALS = 400, MAX_RAM = 3, MAX_RES = 6 };
	uint64_t seed = host_test_seed(AXALLOC_DEFAULT_SEED), rng = seed;
	uint8_t *map = malloc(RAM_PAGES);
	assert_non_null(map);
	print_message("test_init_random_maps: seed %#llx\n", (unsigned long long)seed);

	hal_host_unmap_all();
	hal_host_map_phys(RAM_BASE, RAM_SIZE);
	for (int t = 0; t < TRIALS; t++) {
		struct mem_range ram[MAX_RAM], res[MAX_RES];
		int nr_ram = (int)test_rand_range(&rng, 1, MAX_RAM);
		int nr_res = (int)test_rand_range(&rng, 0, MAX_RES);
		for (int i = 0; i < nr_ram; i++) {
			uint64_t off = test_rand_range(&rng, 0, RAM_SIZE - 1);
			uint64_t size = test_rand_range(&rng, 0, RAM_SIZE - off);
			ram[i] = (struct mem_range){RAM_BASE + off, size};
		}
		for (int i = 0; i < nr_res; i++) {
			uint64_t off = test_rand_range(&rng, 0, RAM_SIZE + PAGE_SIZE);
			uint64_t size = test_rand_next(&rng) % 4 == 0
					    ? test_rand_range(&rng, 0, RAM_SIZE / 4)
					    : test_rand_range(&rng, 0, 5 * PAGE_SIZE);
			res[i] = (struct mem_range){RAM_BASE - PAGE_SIZE + off, size};
		}
		if (!init_and_check_layout(ram, nr_ram, res, nr_res, RAM_BASE, RAM_PAGES, map))
			continue;
		if (t % 25 == 0)
			alloc_all_pages_and_check();
	}
	free(map);
}

/* Several RAM ranges far apart: every page of each is handed out, none outside. */
static void test_several_ram_ranges(void **state)
{
	(void)state;
	static const struct mem_range ram[] = {
	    {RAM_BASE, RAM_SIZE},
	    {0x100000000UL, 16UL << 20},
	    {0x240000000UL, 8UL << 20},
	};
	struct axalloc_range r[MAX_TEST_RANGES];

	assert_int_equal(map_and_init(ram, 3, std_reserved, NR_STD_RESERVED), 0);
	assert_int_equal(get_ranges(r), 5);
	assert_int_equal(r[3].base + r[3].size, 0x100000000UL + (16UL << 20));
	assert_int_equal(r[4].meta_base, 0x240000000UL);
	alloc_all_pages_and_check();
}

/* Pages are never the metadata: fill every page, then the allocator still works. */
static void test_meta_not_overlapping_pages(void **state)
{
	(void)state;
	struct axalloc_stats st = get_stats();
	uint64_t total = st.pages.total_pages;
	paddr_t *pages = malloc(total * sizeof(*pages));
	struct axalloc_range r[MAX_TEST_RANGES];
	int nr = get_ranges(r);
	assert_non_null(pages);

	for (uint64_t i = 0; i < total; i++) {
		assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pages[i]),
				 0);
		for (int k = 0; k < nr; k++)
			assert_false(overlaps(pages[i], PAGE_SIZE, r[k].meta_base, r[k].meta_size));
		memset(phys_to_virt(pages[i]), 0xa5, PAGE_SIZE);
	}
	/* The counts live in the metadata: all still 0 after every page was scribbled on. */
	if (IS_ENABLED(CONFIG_AXALLOC_FRAME_REFS))
		for (uint64_t i = 0; i < total; i++)
			assert_int_equal(frame_ref_get(pages[i]), 0);
	for (uint64_t i = 0; i < total; i += 2)
		assert_int_equal(axalloc_free_pages(pages[i], 1), 0);
	for (uint64_t i = 1; i < total; i += 2)
		assert_int_equal(axalloc_free_pages(pages[i], 1), 0);
	struct axalloc_stats after = get_stats();
	assert_int_equal(after.pages.free_pages, total);
	assert_memory_equal(after.pages.free_blocks, st.pages.free_blocks,
			    sizeof(st.pages.free_blocks));
	free(pages);
}

/* Naturally aligned blocks of every order that fits, and odd sizes. */
static void test_alloc_free_every_size_class(void **state)
{
	(void)state;
	/* The standard map has a free 16 MiB aligned block but no free 32 MiB one (DTB). */
	enum { LARGEST_ORDER = 12 };
	static const uint64_t odd[] = {3, 5, 17, 100, 511, 513, 1000, 4097};
	struct axalloc_stats base = get_stats();
	paddr_t pa;

	for (unsigned o = 0; o <= LARGEST_ORDER; o++) {
		uint64_t n = 1ULL << o;
		assert_int_equal(axalloc_alloc_pages(n, n * PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), 0);
		assert_true(IS_ALIGNED(pa, n * PAGE_SIZE));
		assert_true(in_managed(pa, n));
		assert_int_equal(get_stats().pages.used_pages, n);
		memset(phys_to_virt(pa), 0x5a, PAGE_SIZE);
		memset(phys_to_virt(pa + (n - 1) * PAGE_SIZE), 0x5a, PAGE_SIZE);
		assert_int_equal(axalloc_free_pages(pa, n), 0);
		struct axalloc_stats now = get_stats();
		assert_stats_equal(base, now);
	}
	for (unsigned i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		assert_int_equal(axalloc_alloc_pages(odd[i], PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), 0);
		assert_int_equal(get_stats().pages.used_pages, odd[i]);
		assert_int_equal(axalloc_free_pages(pa, odd[i]), 0);
	}
	/* Large alignment for a single page. */
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), 0);
	assert_true(IS_ALIGNED(pa, PAGE_SIZE_2M));
	assert_int_equal(axalloc_free_pages(pa, 1), 0);
	struct axalloc_stats now = get_stats();
	assert_stats_equal(base, now);

	/* No free 32 MiB or 1 GiB aligned block: -ENOMEM, counted. */
	assert_int_equal(axalloc_alloc_pages(1ULL << (LARGEST_ORDER + 1),
					     PAGE_SIZE << (LARGEST_ORDER + 1), AXALLOC_UNMOVABLE,
					     &pa),
			 -ENOMEM);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE_1G, AXALLOC_UNMOVABLE, &pa), -ENOMEM);
	now = get_stats();
	assert_int_equal(now.failed_allocs, base.failed_allocs + 2);
	now.failed_allocs = base.failed_allocs;
	assert_stats_equal(base, now);
}

/* Every bad argument: its error, and no change. */
static void test_pages_bad_args(void **state)
{
	(void)state;
	paddr_t pa, held;
	struct axalloc_range r[MAX_TEST_RANGES];
	get_ranges(r);

	assert_int_equal(axalloc_alloc_pages(4, PAGE_SIZE, AXALLOC_UNMOVABLE, &held), 0);
	struct axalloc_stats before = get_stats();
	assert_int_equal(axalloc_alloc_pages(0, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), -EINVAL);
	assert_int_equal(axalloc_alloc_pages(1, 0, AXALLOC_UNMOVABLE, &pa), -EINVAL);
	assert_int_equal(axalloc_alloc_pages(1, 3 * PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), -EINVAL);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE / 2, AXALLOC_UNMOVABLE, &pa), -EINVAL);
	assert_int_equal(axalloc_alloc_pages(1, 2 * PAGE_SIZE_1G, AXALLOC_UNMOVABLE, &pa), -EINVAL);
	assert_int_equal(
	    axalloc_alloc_pages(UINT64_MAX / PAGE_SIZE + 1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa),
	    -EINVAL);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, NULL), -EINVAL);
	assert_int_equal(axalloc_free_pages(held + 1, 1), -EINVAL);
	assert_int_equal(axalloc_free_pages(held, 0), -EINVAL);
	assert_int_equal(axalloc_free_pages(held, UINT64_MAX / PAGE_SIZE + 1), -EINVAL);
	assert_int_equal(axalloc_free_pages(0x10000000, 1), -EINVAL);
	assert_int_equal(axalloc_free_pages(r[0].meta_base, 1), -EINVAL);
	assert_int_equal(axalloc_free_pages(held + 4 * PAGE_SIZE, 1), -ENOENT);
	assert_int_equal(axalloc_free_pages(held + 3 * PAGE_SIZE, 2), -ENOENT);
	struct axalloc_stats after = get_stats();
	assert_stats_equal(before, after);

	assert_int_equal(axalloc_free_pages(held, 4), 0);
	before = get_stats();
	assert_int_equal(axalloc_free_pages(held, 4), -ENOENT);
	after = get_stats();
	assert_stats_equal(before, after);
}

/* Running out of pages: -ENOMEM for pages, NULL for the heap, each counted. */
static void test_out_of_memory(void **state)
{
	(void)state;
	struct axalloc_stats base = get_stats();
	uint64_t total = base.pages.free_pages;
	paddr_t *pages = malloc(total * sizeof(*pages));
	paddr_t pa;
	void *p;
	assert_non_null(pages);

	for (uint64_t i = 0; i < total; i++)
		assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pages[i]),
				 0);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), -ENOMEM);
	assert_int_equal(axalloc_alloc_pages(2, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), -ENOMEM);
	assert_null(kmalloc(24));
	assert_null(kmalloc(1 << 20));
	assert_null(kmemalign(4096, 100));
	struct axalloc_stats st = get_stats();
	assert_int_equal(st.failed_allocs, base.failed_allocs + 5);
	assert_int_equal(st.pages.free_pages, 0);
	assert_int_equal(st.heap_pages, 0);
	assert_int_equal(st.heap_allocs, 0);

	/* One page back is not enough for a heap chunk, but is for a page. */
	assert_int_equal(axalloc_free_pages(pages[total - 1], 1), 0);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pages[total - 1]),
			 0);
	for (uint64_t i = 0; i < total; i++)
		assert_int_equal(axalloc_free_pages(pages[i], 1), 0);
	assert_non_null(p = kmalloc(24));
	kfree(p);
	free(pages);
}

/* Fault injection: n successes, then failures until turned off. */
static void test_fault_injection_pages(void **state)
{
	(void)state;
	paddr_t a, b, c;
	struct axalloc_stats base = get_stats();

	axalloc_fail_after(2);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &a), 0);
	assert_int_equal(axalloc_alloc_pages(8, PAGE_SIZE, AXALLOC_UNMOVABLE, &b), 0);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &c), -ENOMEM);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &c), -ENOMEM);
	/* Bad arguments are still reported as such. */
	assert_int_equal(axalloc_alloc_pages(0, PAGE_SIZE, AXALLOC_UNMOVABLE, &c), -EINVAL);
	/* Frees still work while injection is on. */
	assert_int_equal(axalloc_free_pages(a, 1), 0);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &c), -ENOMEM);
	assert_int_equal(get_stats().failed_allocs, base.failed_allocs + 3);
	axalloc_fail_after(-1);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &c), 0);
	assert_int_equal(axalloc_free_pages(c, 1), 0);
	assert_int_equal(axalloc_free_pages(b, 8), 0);
	/* n = 0 fails the very next one; init turns injection off. */
	axalloc_fail_after(0);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &c), -ENOMEM);
	setup_std(NULL);
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &c), 0);
}

/* The last line axlog printed while capture_log was its output. */
static char logged[AXLOG_LINE_MAX];

static void capture_log(const char *line, size_t len)
{
	snprintf(logged, sizeof(logged), "%.*s", (int)len, line);
}

/*
 * A piece the page allocator refuses (here range 0 offered again: -EEXIST)
 * is reported: an error line naming the range and the error, its pages and
 * metadata pages counted in refused_pages. Nothing else changes: the ranges,
 * the page stats, the frame counts, and the pages still allocate.
 */
static void test_refused_piece(void **state)
{
	(void)state;
	struct axalloc_range r[MAX_TEST_RANGES];
	int nr = get_ranges(r);
	struct axalloc_layout again = {r[0].base, r[0].size / PAGE_SIZE, r[0].meta_base,
				       r[0].meta_size / PAGE_SIZE};
	paddr_t pa;
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), 0);
	if (IS_ENABLED(CONFIG_AXALLOC_FRAME_REFS))
		assert_int_equal(frame_ref_inc_range(pa, 1), 0);
	struct axalloc_stats before = get_stats();
	assert_int_equal(before.refused_pages, 0);

	logged[0] = '\0';
	axlog_set_output(capture_log);
	spin_lock(&axalloc_lock);
	int ret = axalloc_add_piece_locked(&again);
	spin_unlock(&axalloc_lock);
	axlog_set_output(NULL);

	assert_int_equal(ret, -EEXIST);
	assert_non_null(strstr(logged, "ERROR] axalloc: the "));
	char want[AXLOG_LINE_MAX];
	snprintf(want, sizeof(want), "refused RAM %#lx-%#lx (%lu pages, metadata at %#lx): -EEXIST",
		 (unsigned long)r[0].base, (unsigned long)(r[0].base + r[0].size),
		 (unsigned long)again.pages, (unsigned long)r[0].meta_base);
	assert_non_null(strstr(logged, want));
	struct axalloc_stats after = get_stats();
	assert_int_equal(after.refused_pages, again.pages + again.meta_pages);
	after.refused_pages = 0;
	assert_stats_equal(before, after);
	assert_int_equal(get_ranges(r), nr);
	if (IS_ENABLED(CONFIG_AXALLOC_FRAME_REFS)) {
		assert_int_equal(frame_ref_get(pa), 1);
		assert_int_equal(frame_ref_dec(pa), 0);
	}
	assert_int_equal(axalloc_free_pages(pa, 1), 0);
	alloc_all_pages_and_check();
	/* init starts the count over */
	setup_std(NULL);
	assert_int_equal(get_stats().refused_pages, 0);
}

#if IS_ENABLED(CONFIG_AXALLOC_FRAME_REFS)

/* Counts start at 0, go up and down, and never below 0. */
static void test_frame_ref_basic(void **state)
{
	(void)state;
	paddr_t pa;

	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(frame_ref_get(pa), 0);
	assert_int_equal(frame_ref_inc_range(pa, 1), 0);
	assert_int_equal(frame_ref_get(pa), 1);
	assert_int_equal(frame_ref_inc_range(pa, 1), 0);
	assert_int_equal(frame_ref_get(pa), 2);
	assert_int_equal(frame_ref_get(pa + PAGE_SIZE), 0);
	assert_int_equal(frame_ref_dec(pa), 1);
	assert_int_equal(frame_ref_dec(pa), 0);
	assert_int_equal(frame_ref_dec(pa), -EINVAL);
	assert_int_equal(frame_ref_get(pa), 0);
	assert_int_equal(axalloc_free_pages(pa, 1), 0);
}

/* 300 sharers of one frame: exact counts all the way up and down. */
static void test_frame_ref_many_sharers(void **state)
{
	(void)state;
	enum { SHARERS = 300 };
	paddr_t pa;

	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), 0);
	for (int i = 0; i < SHARERS; i++)
		assert_int_equal(frame_ref_inc_range(pa, 1), 0);
	assert_int_equal(frame_ref_get(pa), SHARERS);
	for (int i = SHARERS - 1; i >= 0; i--)
		assert_int_equal(frame_ref_dec(pa), i);
	assert_int_equal(axalloc_free_pages(pa, 1), 0);
}

/* At UINT32_MAX an increment fails with -ENOMEM and leaves the count alone. */
static void test_frame_ref_overflow(void **state)
{
	(void)state;
	paddr_t pa;

	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(frame_ref_set_for_test(pa, UINT32_MAX - 1), 0);
	assert_int_equal(frame_ref_inc_range(pa, 1), 0);
	assert_int_equal(frame_ref_get(pa), UINT32_MAX);
	assert_int_equal(frame_ref_inc_range(pa, 1), -ENOMEM);
	assert_int_equal(frame_ref_get(pa), UINT32_MAX);
	/* Large counts saturate in dec's return value only. */
	assert_int_equal(frame_ref_dec(pa), INT32_MAX);
	assert_int_equal(frame_ref_get(pa), UINT32_MAX - 1);
	assert_int_equal(frame_ref_set_for_test(pa, (uint32_t)INT32_MAX + 1), 0);
	assert_int_equal(frame_ref_dec(pa), INT32_MAX);
	assert_int_equal(frame_ref_get(pa), INT32_MAX);
	assert_int_equal(frame_ref_set_for_test(pa, 0), 0);
	assert_int_equal(axalloc_free_pages(pa, 1), 0);
}

/* Unmanaged or unaligned addresses: -EINVAL and count 0, nothing changes. */
static void test_frame_ref_unmanaged(void **state)
{
	(void)state;
	struct axalloc_range r[MAX_TEST_RANGES];
	assert_int_equal(get_ranges(r), 3);
	const paddr_t bad[] = {
	    0,
	    RAM_BASE - PAGE_SIZE,
	    RAM_BASE,					 /* firmware */
	    RAM_BASE + 0x200000,			 /* kernel image */
	    r[0].meta_base,				 /* metadata */
	    r[0].meta_base + r[0].meta_size - PAGE_SIZE, /* last metadata page */
	    ALIGN_DOWN(std_reserved[2].base, PAGE_SIZE), /* DTB page */
	    RAM_BASE + RAM_SIZE,
	    UINT64_MAX & ~(PAGE_SIZE - 1),
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(frame_ref_get(bad[i]), 0);
		assert_int_equal(frame_ref_inc_range(bad[i], 1), -EINVAL);
		assert_int_equal(frame_ref_dec(bad[i]), -EINVAL);
		assert_int_equal(frame_ref_set_for_test(bad[i], 1), -EINVAL);
	}
	paddr_t pa;
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(frame_ref_inc_range(pa + 8, 1), -EINVAL);
	assert_int_equal(frame_ref_get(pa + 8), 0);
	assert_int_equal(frame_ref_get(pa), 0);
	assert_int_equal(axalloc_free_pages(pa, 1), 0);
}

/* Counts of several ranges are separate; edges of each range are managed. */
static void test_frame_ref_several_ranges(void **state)
{
	(void)state;
	static const struct mem_range ram[] = {
	    {0x240000000UL, 8UL << 20},
	    {RAM_BASE, RAM_SIZE},
	    {0x100000000UL, 16UL << 20},
	};
	struct axalloc_range r[MAX_TEST_RANGES];

	assert_int_equal(map_and_init(ram, 3, std_reserved, NR_STD_RESERVED), 0);
	int nr = get_ranges(r);
	assert_int_equal(nr, 5);
	for (int i = 0; i < nr; i++) {
		paddr_t first = r[i].base, last = r[i].base + r[i].size - PAGE_SIZE;
		assert_true(first + PAGE_SIZE < last);
		for (uint32_t k = 0; k <= (uint32_t)i; k++)
			assert_int_equal(frame_ref_inc_range(first, 1), 0);
		assert_int_equal(frame_ref_inc_range(last, 1), 0);
		assert_int_equal(frame_ref_inc_range(r[i].base + r[i].size, 1), -EINVAL);
		assert_int_equal(frame_ref_inc_range(r[i].base - PAGE_SIZE, 1), -EINVAL);
	}
	for (int i = 0; i < nr; i++) {
		paddr_t first = r[i].base, last = r[i].base + r[i].size - PAGE_SIZE;
		assert_int_equal(frame_ref_get(first), i + 1);
		assert_int_equal(frame_ref_get(last), 1);
		assert_int_equal(frame_ref_get(first + PAGE_SIZE), 0);
	}
}

/* A referenced frame cannot be freed; a huge page counts on its head frame. */
static void test_frame_ref_blocks_free(void **state)
{
	(void)state;
	paddr_t pa;

	assert_int_equal(axalloc_alloc_pages(512, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(frame_ref_inc_range(pa, 1), 0);
	assert_int_equal(frame_ref_get(pa + PAGE_SIZE), 0);
	struct axalloc_stats before = get_stats();
	assert_int_equal(axalloc_free_pages(pa, 512), -EBUSY);
	struct axalloc_stats after = get_stats();
	assert_stats_equal(before, after);
	assert_int_equal(frame_ref_dec(pa), 0);
	assert_int_equal(axalloc_free_pages(pa, 512), 0);
	/* Re-init clears every count. */
	assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(frame_ref_inc_range(pa, 1), 0);
	setup_std(NULL);
	assert_int_equal(frame_ref_get(pa), 0);
}

/*
 * The counts of the n frames from pa into out[0, n), their owner words into
 * out[n, 2n) (frame_ref_get and frame_owner_get each).
 */
static void get_counts(paddr_t pa, uint64_t n, uint32_t *out)
{
	for (uint64_t i = 0; i < n; i++) {
		out[i] = frame_ref_get(pa + i * PAGE_SIZE);
		out[n + i] = frame_owner_get(pa + i * PAGE_SIZE);
	}
}

/*
 * In a test: `call` must return err and leave every count and owner word of
 * the n frames from pa and axalloc's stats as they were.
 */
#define assert_refs_fail_unchanged(pa, n, call, err)                                               \
	do {                                                                                       \
		uint32_t *before_ = malloc(2 * (n) * sizeof(uint32_t));                            \
		uint32_t *after_ = malloc(2 * (n) * sizeof(uint32_t));                             \
		assert_non_null(before_);                                                          \
		assert_non_null(after_);                                                           \
		get_counts((pa), (n), before_);                                                    \
		struct axalloc_stats st_before_ = get_stats();                                     \
		assert_int_equal((call), (err));                                                   \
		struct axalloc_stats st_after_ = get_stats();                                      \
		assert_stats_equal(st_before_, st_after_);                                         \
		get_counts((pa), (n), after_);                                                     \
		assert_memory_equal(before_, after_, 2 * (n) * sizeof(uint32_t));                  \
		free(before_);                                                                     \
		free(after_);                                                                      \
	} while (0)

#define PAGES_2M (PAGE_SIZE_2M / PAGE_SIZE)

/* One reference more on each frame of a range, all or nothing. */
static void test_frame_ref_inc_range(void **state)
{
	(void)state;
	paddr_t pa;

	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(frame_ref_inc_range(pa, PAGES_2M), 0);
	for (uint64_t i = 0; i < PAGES_2M; i++)
		assert_int_equal(frame_ref_get(pa + i * PAGE_SIZE), 1);
	assert_int_equal(frame_ref_inc_range(pa + 3 * PAGE_SIZE, 5), 0);
	assert_int_equal(frame_ref_inc_range(pa + (PAGES_2M - 1) * PAGE_SIZE, 1), 0);
	for (uint64_t i = 0; i < PAGES_2M; i++)
		assert_int_equal(frame_ref_get(pa + i * PAGE_SIZE),
				 (i >= 3 && i < 8) || i == PAGES_2M - 1 ? 2 : 1);

	/* One frame at UINT32_MAX, at the start, inside, at the end: -ENOMEM, nothing counted. */
	static const uint64_t full[] = {0, 100, PAGES_2M - 1};
	for (unsigned k = 0; k < sizeof(full) / sizeof(full[0]); k++) {
		paddr_t at = pa + full[k] * PAGE_SIZE;
		uint32_t old = frame_ref_get(at);
		assert_int_equal(frame_ref_set_for_test(at, UINT32_MAX), 0);
		assert_refs_fail_unchanged(pa, PAGES_2M, frame_ref_inc_range(pa, PAGES_2M),
					   -ENOMEM);
		assert_refs_fail_unchanged(pa, PAGES_2M, frame_ref_inc_range(at, 1), -ENOMEM);
		assert_int_equal(frame_ref_get(at), UINT32_MAX);
		/* The frames next to it can still take one. */
		if (full[k] > 0)
			assert_int_equal(frame_ref_inc_range(pa, full[k]), 0);
		if (full[k] < PAGES_2M - 1)
			assert_int_equal(
			    frame_ref_inc_range(at + PAGE_SIZE, PAGES_2M - 1 - full[k]), 0);
		assert_int_equal(frame_ref_set_for_test(at, old + 1), 0);
	}
	for (uint64_t i = 0; i < PAGES_2M; i++)
		assert_int_equal(frame_ref_get(pa + i * PAGE_SIZE),
				 (i >= 3 && i < 8) || i == PAGES_2M - 1 ? 5 : 4);

	/* Bad ranges: misaligned, empty, leaving the managed range; nothing changes. */
	struct axalloc_range r[MAX_TEST_RANGES];
	int nr = get_ranges(r);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_ref_inc_range(pa + 8, 1), -EINVAL);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_ref_inc_range(pa + PAGE_SIZE / 2, 4),
				   -EINVAL);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_ref_inc_range(pa, 0), -EINVAL);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_ref_inc_range(pa, UINT64_MAX), -EINVAL);
	for (int i = 0; i < nr; i++) {
		paddr_t last = r[i].base + r[i].size - PAGE_SIZE;
		uint64_t pages = r[i].size / PAGE_SIZE;
		assert_refs_fail_unchanged(last, 1, frame_ref_inc_range(last, 2), -EINVAL);
		assert_refs_fail_unchanged(r[i].base, 1,
					   frame_ref_inc_range(r[i].base - PAGE_SIZE, 2), -EINVAL);
		assert_refs_fail_unchanged(r[i].base, 2, frame_ref_inc_range(r[i].base, pages + 1),
					   -EINVAL);
		assert_refs_fail_unchanged(r[i].base, 1, frame_ref_inc_range(r[i].meta_base, 1),
					   -EINVAL);
		/* Exactly the whole range is fine. */
		uint32_t first_count = frame_ref_get(r[i].base), last_count = frame_ref_get(last);
		assert_int_equal(frame_ref_inc_range(r[i].base, pages), 0);
		assert_int_equal(frame_ref_get(r[i].base), first_count + 1);
		assert_int_equal(frame_ref_get(last), last_count + 1);
	}
	/* From one managed range into the next: two ranges, not one. */
	assert_refs_fail_unchanged(
	    r[0].base, 1, frame_ref_inc_range(r[0].base, (r[1].base - r[0].base) / PAGE_SIZE + 1),
	    -EINVAL);
}

/* The largest count over a range; 0 for a bad one. */
static void test_frame_ref_max(void **state)
{
	(void)state;
	paddr_t pa;
	struct axalloc_range r[MAX_TEST_RANGES];
	get_ranges(r);

	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(frame_ref_max(pa, PAGES_2M), 0);
	assert_int_equal(frame_ref_inc_range(pa, PAGES_2M), 0);
	assert_int_equal(frame_ref_max(pa, PAGES_2M), 1);
	assert_int_equal(frame_ref_set_for_test(pa + 7 * PAGE_SIZE, 9), 0);
	assert_int_equal(frame_ref_set_for_test(pa + (PAGES_2M - 1) * PAGE_SIZE, UINT32_MAX), 0);
	assert_int_equal(frame_ref_max(pa, PAGES_2M), UINT32_MAX);
	assert_int_equal(frame_ref_max(pa, PAGES_2M - 1), 9);
	assert_int_equal(frame_ref_max(pa, 8), 9);
	assert_int_equal(frame_ref_max(pa, 7), 1);
	assert_int_equal(frame_ref_max(pa + 7 * PAGE_SIZE, 1), 9);
	assert_int_equal(frame_ref_max(pa + 8 * PAGE_SIZE, PAGES_2M - 9), 1);
	/* Bad ranges: 0 whatever the counts. */
	assert_int_equal(frame_ref_max(pa + 7 * PAGE_SIZE, 0), 0);
	assert_int_equal(frame_ref_max(pa + 7 * PAGE_SIZE + 8, 1), 0);
	assert_int_equal(frame_ref_max(pa, UINT64_MAX), 0);
	assert_int_equal(frame_ref_set_for_test(r[0].base + r[0].size - PAGE_SIZE, 3), 0);
	assert_int_equal(frame_ref_max(r[0].base + r[0].size - PAGE_SIZE, 1), 3);
	assert_int_equal(frame_ref_max(r[0].base + r[0].size - PAGE_SIZE, 2), 0);
	assert_int_equal(frame_ref_max(r[0].meta_base, 1), 0);
	assert_int_equal(frame_ref_max(0, 1), 0);
}

/* Put on a whole 2M block with every count 1: the block goes back whole. */
static void test_frame_ref_put_range_whole(void **state)
{
	(void)state;
	paddr_t pa;
	struct axalloc_stats pristine = get_stats();

	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(frame_ref_inc_range(pa, PAGES_2M), 0);
	assert_int_equal(frame_ref_put_range(pa, PAGES_2M), 0);
	assert_int_equal(frame_ref_max(pa, PAGES_2M), 0);
	struct axalloc_stats now = get_stats();
	assert_stats_equal(pristine, now);
	/* The same 2M block can be had again. */
	paddr_t again;
	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &again), 0);
	assert_int_equal(axalloc_free_pages(again, PAGES_2M), 0);

	/* Shared once more: the first put only drops the extra references. */
	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), 0);
	struct axalloc_stats held = get_stats();
	assert_int_equal(frame_ref_inc_range(pa, PAGES_2M), 0);
	assert_int_equal(frame_ref_inc_range(pa, PAGES_2M), 0);
	assert_int_equal(frame_ref_put_range(pa, PAGES_2M), 0);
	now = get_stats();
	assert_stats_equal(held, now);
	for (uint64_t i = 0; i < PAGES_2M; i++)
		assert_int_equal(frame_ref_get(pa + i * PAGE_SIZE), 1);
	assert_int_equal(frame_ref_put_range(pa, PAGES_2M), 0);
	now = get_stats();
	assert_stats_equal(pristine, now);
}

/*
 * Put on a 2M block with a few frames still referenced elsewhere (the
 * first, a run inside, the last): exactly the other frames go back, the
 * referenced ones stay allocated until their own put.
 */
static void test_frame_ref_put_range_partial(void **state)
{
	(void)state;
	static const uint64_t kept[] = {0, 10, 11, 12, 300, PAGES_2M - 1};
	enum { NR_KEPT = sizeof(kept) / sizeof(kept[0]) };
	struct axalloc_stats pristine = get_stats();
	paddr_t pa;

	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(frame_ref_inc_range(pa, PAGES_2M), 0);
	for (unsigned k = 0; k < NR_KEPT; k++)
		assert_int_equal(frame_ref_inc_range(pa + kept[k] * PAGE_SIZE, 1), 0);
	assert_int_equal(frame_ref_put_range(pa, PAGES_2M), 0);

	struct axalloc_stats now = get_stats();
	assert_int_equal(now.pages.used_pages, pristine.pages.used_pages + NR_KEPT);
	assert_int_equal(now.pages.free_pages, pristine.pages.free_pages - NR_KEPT);
	for (uint64_t i = 0, k = 0; i < PAGES_2M; i++) {
		bool is_kept = k < NR_KEPT && kept[k] == i;
		assert_int_equal(frame_ref_get(pa + i * PAGE_SIZE), is_kept ? 1 : 0);
		k += is_kept;
	}
	/* Every free page can be had, among them every freed frame, no kept one. */
	uint64_t total = now.pages.free_pages;
	paddr_t *pages = malloc(total * sizeof(*pages));
	bool seen[PAGES_2M] = {false};
	assert_non_null(pages);
	for (uint64_t i = 0; i < total; i++) {
		assert_int_equal(axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pages[i]),
				 0);
		if (pages[i] >= pa && pages[i] < pa + PAGE_SIZE_2M)
			seen[(pages[i] - pa) / PAGE_SIZE] = true;
	}
	assert_int_equal(get_stats().pages.free_pages, 0);
	for (uint64_t i = 0, k = 0; i < PAGES_2M; i++) {
		bool is_kept = k < NR_KEPT && kept[k] == i;
		assert_int_equal(seen[i], !is_kept);
		k += is_kept;
	}
	for (uint64_t i = 0; i < total; i++)
		assert_int_equal(axalloc_free_pages(pages[i], 1), 0);
	free(pages);

	/* A referenced frame cannot be freed directly; its own put frees it. */
	assert_int_equal(axalloc_free_pages(pa, 1), -EBUSY);
	assert_int_equal(frame_ref_put_range(pa, 1), 0);
	assert_int_equal(frame_ref_put_range(pa + 10 * PAGE_SIZE, 3), 0);
	assert_int_equal(frame_ref_put_range(pa + 300 * PAGE_SIZE, 1), 0);
	assert_int_equal(frame_ref_put_range(pa + (PAGES_2M - 1) * PAGE_SIZE, 1), 0);
	now = get_stats();
	assert_stats_equal(pristine, now);
}

/* A zero count anywhere in the range, or a bad range: -EINVAL, nothing changes. */
static void test_frame_ref_put_range_bad(void **state)
{
	(void)state;
	paddr_t pa;
	struct axalloc_range r[MAX_TEST_RANGES];
	get_ranges(r);

	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), 0);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_ref_put_range(pa, PAGES_2M), -EINVAL);
	assert_int_equal(frame_ref_inc_range(pa, PAGES_2M), 0);
	static const uint64_t zero[] = {0, 200, PAGES_2M - 1};
	for (unsigned k = 0; k < sizeof(zero) / sizeof(zero[0]); k++) {
		paddr_t at = pa + zero[k] * PAGE_SIZE;
		assert_int_equal(frame_ref_set_for_test(at, 0), 0);
		assert_refs_fail_unchanged(pa, PAGES_2M, frame_ref_put_range(pa, PAGES_2M),
					   -EINVAL);
		assert_refs_fail_unchanged(pa, PAGES_2M, frame_ref_put_range(at, 1), -EINVAL);
		assert_int_equal(frame_ref_set_for_test(at, 1), 0);
	}
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_ref_put_range(pa + 8, 1), -EINVAL);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_ref_put_range(pa, 0), -EINVAL);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_ref_put_range(pa, UINT64_MAX), -EINVAL);
	/* Leaving the managed range (the last frame holds a reference). */
	paddr_t last = r[0].base + r[0].size - PAGE_SIZE;
	assert_int_equal(frame_ref_set_for_test(last, 1), 0);
	assert_refs_fail_unchanged(last, 1, frame_ref_put_range(last, 2), -EINVAL);
	assert_refs_fail_unchanged(last, 1, frame_ref_put_range(r[0].meta_base, 1), -EINVAL);
	assert_int_equal(frame_ref_set_for_test(last, 0), 0);

	/* The block is whole and referenced: a good put still frees it all. */
	struct axalloc_stats before = get_stats();
	assert_int_equal(frame_ref_put_range(pa, PAGES_2M), 0);
	struct axalloc_stats after = get_stats();
	assert_int_equal(after.pages.free_pages, before.pages.free_pages + PAGES_2M);
}

/* The owner words of the n frames from pa are first, first + 1, ... (all 0 when first is 0). */
static void expect_owners(paddr_t pa, uint64_t n, uint32_t first)
{
	for (uint64_t i = 0; i < n; i++)
		if (frame_owner_get(pa + i * PAGE_SIZE) != (first ? first + (uint32_t)i : 0))
			fail_msg("frame %#lx: owner %#x, expected %#x",
				 (unsigned long)(pa + i * PAGE_SIZE),
				 frame_owner_get(pa + i * PAGE_SIZE),
				 first ? first + (uint32_t)i : 0);
}

/* Owner words: set over a range, read back one by one, cleared by first 0. */
static void test_frame_owner_set_get(void **state)
{
	(void)state;
	paddr_t pa;
	struct axalloc_range r[MAX_TEST_RANGES];
	int nr = get_ranges(r);

	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), 0);
	expect_owners(pa, PAGES_2M, 0);
	struct axalloc_stats before = get_stats();
	assert_int_equal(frame_owner_set(pa, PAGES_2M, 0x12345), 0);
	expect_owners(pa, PAGES_2M, 0x12345);
	if (in_managed(pa - PAGE_SIZE, 1))
		assert_int_equal(frame_owner_get(pa - PAGE_SIZE), 0);
	if (in_managed(pa + PAGE_SIZE_2M, 1))
		assert_int_equal(frame_owner_get(pa + PAGE_SIZE_2M), 0);
	/* A sub-range is renumbered, the rest kept. */
	assert_int_equal(frame_owner_set(pa + 3 * PAGE_SIZE, 5, 7), 0);
	expect_owners(pa, 3, 0x12345);
	expect_owners(pa + 3 * PAGE_SIZE, 5, 7);
	expect_owners(pa + 8 * PAGE_SIZE, PAGES_2M - 8, 0x12345 + 8);
	/* first 0 clears. */
	assert_int_equal(frame_owner_set(pa + 4 * PAGE_SIZE, 2, 0), 0);
	expect_owners(pa + 3 * PAGE_SIZE, 1, 7);
	expect_owners(pa + 4 * PAGE_SIZE, 2, 0);
	expect_owners(pa + 6 * PAGE_SIZE, 2, 10);
	/* The largest word fits. */
	assert_int_equal(frame_owner_set(pa + 100 * PAGE_SIZE, 1, UINT32_MAX), 0);
	assert_int_equal(frame_owner_get(pa + 100 * PAGE_SIZE), UINT32_MAX);
	/* Owner words are no counts and no allocation. */
	assert_int_equal(frame_ref_max(pa, PAGES_2M), 0);
	struct axalloc_stats after = get_stats();
	assert_stats_equal(before, after);
	/* Not a frame address: 0, even where the frame has a word. */
	assert_int_equal(frame_owner_get(pa + 8), 0);
	assert_int_equal(frame_owner_get(r[0].meta_base), 0);
	assert_int_equal(frame_owner_get(0), 0);

	/* Freeing leaves the words; re-init clears them. */
	assert_int_equal(axalloc_free_pages(pa, PAGES_2M), 0);
	assert_int_equal(frame_owner_get(pa), 0x12345);
	assert_int_equal(frame_owner_get(pa + 3 * PAGE_SIZE), 7);
	/* Every range has words, up to its last frame. */
	for (int i = 0; i < nr; i++) {
		paddr_t last = r[i].base + r[i].size - PAGE_SIZE;
		assert_int_equal(frame_owner_set(r[i].base, 1, 11 + i), 0);
		assert_int_equal(frame_owner_set(last, 1, 21 + i), 0);
		assert_int_equal(frame_owner_get(r[i].base), 11 + i);
		assert_int_equal(frame_owner_get(last), 21 + i);
	}
	setup_std(NULL);
	assert_int_equal(frame_owner_get(pa), 0);
	assert_int_equal(frame_owner_get(pa + 3 * PAGE_SIZE), 0);
	assert_int_equal(frame_owner_get(r[0].base), 0);
}

/* A bad range: -EINVAL, no count or owner word changed. */
static void test_frame_owner_set_bad(void **state)
{
	(void)state;
	paddr_t pa;
	struct axalloc_range r[MAX_TEST_RANGES];
	int nr = get_ranges(r);

	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(frame_owner_set(pa, PAGES_2M, 500), 0);
	assert_int_equal(frame_ref_inc_range(pa, PAGES_2M), 0);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_owner_set(pa + 8, 1, 1), -EINVAL);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_owner_set(pa + PAGE_SIZE / 2, 4, 1),
				   -EINVAL);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_owner_set(pa, 0, 1), -EINVAL);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_owner_set(pa, 0, 0), -EINVAL);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_owner_set(pa, UINT64_MAX, 1), -EINVAL);
	assert_refs_fail_unchanged(pa, PAGES_2M, frame_owner_set(0, 1, 1), -EINVAL);
	for (int i = 0; i < nr; i++) {
		paddr_t last = r[i].base + r[i].size - PAGE_SIZE;
		uint64_t pages = r[i].size / PAGE_SIZE;
		assert_int_equal(frame_owner_set(last, 1, 77), 0);
		assert_int_equal(frame_owner_set(r[i].base, 1, 78), 0);
		assert_refs_fail_unchanged(last, 1, frame_owner_set(last, 2, 1), -EINVAL);
		assert_refs_fail_unchanged(r[i].base, 1,
					   frame_owner_set(r[i].base - PAGE_SIZE, 2, 1), -EINVAL);
		assert_refs_fail_unchanged(r[i].base, 2, frame_owner_set(r[i].base, pages + 1, 1),
					   -EINVAL);
		assert_refs_fail_unchanged(r[i].base, 1, frame_owner_set(r[i].meta_base, 1, 1),
					   -EINVAL);
	}
	if (nr > 1)
		assert_refs_fail_unchanged(
		    r[0].base, 1,
		    frame_owner_set(r[0].base, (r[1].base - r[0].base) / PAGE_SIZE + 1, 1),
		    -EINVAL);
	expect_owners(pa, PAGES_2M, 500);
}

/* frame_ref_move hands counts and owner words over and zeroes the source. */
static void test_frame_ref_move(void **state)
{
	(void)state;
	paddr_t a, b;

	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &a), 0);
	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &b), 0);
	assert_int_equal(frame_ref_inc_range(a, PAGES_2M), 0);
	assert_int_equal(frame_ref_set_for_test(a + 7 * PAGE_SIZE, 9), 0);
	assert_int_equal(frame_ref_set_for_test(a + (PAGES_2M - 1) * PAGE_SIZE, UINT32_MAX), 0);
	assert_int_equal(frame_ref_set_for_test(a + 300 * PAGE_SIZE, 0), 0);
	assert_int_equal(frame_owner_set(a, PAGES_2M, 100), 0);
	/* The destination's stale owner words are overwritten. */
	assert_int_equal(frame_owner_set(b, PAGES_2M, 5000), 0);

	struct axalloc_stats before = get_stats();
	assert_int_equal(frame_ref_move(a, b, PAGES_2M), 0);
	struct axalloc_stats after = get_stats();
	assert_stats_equal(before, after);
	for (uint64_t i = 0; i < PAGES_2M; i++) {
		uint32_t want = i == 7 ? 9 : i == PAGES_2M - 1 ? UINT32_MAX : i == 300 ? 0 : 1;
		assert_int_equal(frame_ref_get(b + i * PAGE_SIZE), want);
		assert_int_equal(frame_ref_get(a + i * PAGE_SIZE), 0);
	}
	expect_owners(b, PAGES_2M, 100);
	expect_owners(a, PAGES_2M, 0);
	/* The source can be freed now, the destination cannot. */
	assert_int_equal(axalloc_free_pages(b, PAGES_2M), -EBUSY);
	assert_int_equal(axalloc_free_pages(a, PAGES_2M), 0);
	assert_int_equal(axalloc_alloc_pages(PAGES_2M, PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &a), 0);

	/* Part of a range: frames 10..12 of b to 20..22 of a, nothing else moves. */
	assert_int_equal(frame_ref_move(b + 10 * PAGE_SIZE, a + 20 * PAGE_SIZE, 3), 0);
	for (uint64_t i = 0; i < PAGES_2M; i++) {
		uint32_t want_a = i >= 20 && i < 23 ? 1 : 0;
		uint32_t want_b = i >= 10 && i < 13   ? 0
				  : i == 7	      ? 9
				  : i == PAGES_2M - 1 ? UINT32_MAX
				  : i == 300	      ? 0
						      : 1;
		assert_int_equal(frame_ref_get(a + i * PAGE_SIZE), want_a);
		assert_int_equal(frame_ref_get(b + i * PAGE_SIZE), want_b);
	}
	expect_owners(a, 20, 0);
	expect_owners(a + 20 * PAGE_SIZE, 3, 110);
	expect_owners(a + 23 * PAGE_SIZE, PAGES_2M - 23, 0);
	expect_owners(b, 10, 100);
	expect_owners(b + 10 * PAGE_SIZE, 3, 0);
	expect_owners(b + 13 * PAGE_SIZE, PAGES_2M - 13, 113);

	/* Frames with count 0 move too (their owner words go along). */
	assert_int_equal(frame_ref_move(b + 300 * PAGE_SIZE, a + 300 * PAGE_SIZE, 1), 0);
	assert_int_equal(frame_owner_get(a + 300 * PAGE_SIZE), 400);
	assert_int_equal(frame_owner_get(b + 300 * PAGE_SIZE), 0);
	assert_int_equal(frame_ref_get(a + 300 * PAGE_SIZE), 0);

	/* Drop the counts so that both blocks can be freed whole. */
	for (uint64_t i = 0; i < PAGES_2M; i++) {
		assert_int_equal(frame_ref_set_for_test(a + i * PAGE_SIZE, 0), 0);
		assert_int_equal(frame_ref_set_for_test(b + i * PAGE_SIZE, 0), 0);
	}
	assert_int_equal(axalloc_free_pages(b, PAGES_2M), 0);
	assert_int_equal(axalloc_free_pages(a, PAGES_2M), 0);
}

/*
 * frame_ref_move refuses a destination with a count, overlapping ranges and
 * bad ranges: -EINVAL, no count or owner word changed anywhere.
 */
static void test_frame_ref_move_bad(void **state)
{
	(void)state;
	paddr_t pa;
	const uint64_t n = 2 * PAGES_2M; /* one 4M block: halves a and b */
	struct axalloc_range r[MAX_TEST_RANGES];
	int nr = get_ranges(r);

	assert_int_equal(axalloc_alloc_pages(n, 2 * PAGE_SIZE_2M, AXALLOC_UNMOVABLE, &pa), 0);
	paddr_t a = pa, b = pa + PAGE_SIZE_2M;
	assert_int_equal(frame_ref_inc_range(a, PAGES_2M), 0);
	assert_int_equal(frame_owner_set(pa, n, 1000), 0);
	/* One count anywhere in the destination. */
	static const uint64_t busy[] = {0, 200, PAGES_2M - 1};
	for (unsigned k = 0; k < sizeof(busy) / sizeof(busy[0]); k++) {
		assert_int_equal(frame_ref_set_for_test(b + busy[k] * PAGE_SIZE, 1), 0);
		assert_refs_fail_unchanged(pa, n, frame_ref_move(a, b, PAGES_2M), -EINVAL);
		assert_refs_fail_unchanged(pa, n, frame_ref_move(a, b + busy[k] * PAGE_SIZE, 1),
					   -EINVAL);
		assert_int_equal(frame_ref_set_for_test(b + busy[k] * PAGE_SIZE, 0), 0);
	}
	/* Overlapping ranges whose destination frames have no counts. */
	assert_int_equal(frame_ref_set_for_test(b + 100 * PAGE_SIZE, 3), 0);
	assert_int_equal(frame_ref_set_for_test(b + 103 * PAGE_SIZE, 5), 0);
	assert_refs_fail_unchanged(
	    pa, n, frame_ref_move(b + 100 * PAGE_SIZE, b + 101 * PAGE_SIZE, 2), -EINVAL);
	assert_refs_fail_unchanged(
	    pa, n, frame_ref_move(b + 102 * PAGE_SIZE, b + 101 * PAGE_SIZE, 2), -EINVAL);
	assert_refs_fail_unchanged(
	    pa, n, frame_ref_move(b + 100 * PAGE_SIZE, b + 100 * PAGE_SIZE, 1), -EINVAL);
	assert_refs_fail_unchanged(
	    pa, n, frame_ref_move(b + 200 * PAGE_SIZE, b + 200 * PAGE_SIZE, 1), -EINVAL);
	assert_refs_fail_unchanged(
	    pa, n, frame_ref_move(b + 100 * PAGE_SIZE, b + 200 * PAGE_SIZE, 101), -EINVAL);
	/* Bad ranges. */
	assert_refs_fail_unchanged(pa, n, frame_ref_move(a + 8, b, 1), -EINVAL);
	assert_refs_fail_unchanged(pa, n, frame_ref_move(a, b + 8, 1), -EINVAL);
	assert_refs_fail_unchanged(pa, n, frame_ref_move(a, b, 0), -EINVAL);
	assert_refs_fail_unchanged(pa, n, frame_ref_move(a, b, UINT64_MAX), -EINVAL);
	assert_refs_fail_unchanged(pa, n, frame_ref_move(a, 0, 1), -EINVAL);
	assert_refs_fail_unchanged(pa, n, frame_ref_move(0, b, 1), -EINVAL);
	for (int i = 0; i < nr; i++) {
		paddr_t last = r[i].base + r[i].size - PAGE_SIZE;
		if (last < pa || last >= pa + n * PAGE_SIZE) {
			assert_refs_fail_unchanged(pa, n, frame_ref_move(a, last, 2), -EINVAL);
			assert_refs_fail_unchanged(pa, n, frame_ref_move(last, b, 2), -EINVAL);
		}
		assert_refs_fail_unchanged(pa, n, frame_ref_move(a, r[i].meta_base, 1), -EINVAL);
		assert_refs_fail_unchanged(pa, n, frame_ref_move(r[i].meta_base, b, 1), -EINVAL);
	}
	/* The good move still works after all that. */
	assert_int_equal(frame_ref_move(a, b + PAGES_2M / 2 * PAGE_SIZE, 1), 0);
	assert_int_equal(frame_ref_get(b + PAGES_2M / 2 * PAGE_SIZE), 1);
	assert_int_equal(frame_owner_get(b + PAGES_2M / 2 * PAGE_SIZE), 1000);
	assert_int_equal(frame_ref_get(a), 0);
	assert_int_equal(frame_owner_get(a), 0);
}

#define FRAME_REF_TESTS                                                                            \
	cmocka_unit_test_setup(test_frame_ref_basic, setup_std),                                   \
	    cmocka_unit_test_setup(test_frame_ref_many_sharers, setup_std),                        \
	    cmocka_unit_test_setup(test_frame_ref_overflow, setup_std),                            \
	    cmocka_unit_test_setup(test_frame_ref_unmanaged, setup_std),                           \
	    cmocka_unit_test_setup(test_frame_ref_several_ranges, setup_std),                      \
	    cmocka_unit_test_setup(test_frame_ref_blocks_free, setup_std),                         \
	    cmocka_unit_test_setup(test_frame_ref_inc_range, setup_std),                           \
	    cmocka_unit_test_setup(test_frame_ref_max, setup_std),                                 \
	    cmocka_unit_test_setup(test_frame_ref_put_range_whole, setup_std),                     \
	    cmocka_unit_test_setup(test_frame_ref_put_range_partial, setup_std),                   \
	    cmocka_unit_test_setup(test_frame_ref_put_range_bad, setup_std),                       \
	    cmocka_unit_test_setup(test_frame_owner_set_get, setup_std),                           \
	    cmocka_unit_test_setup(test_frame_owner_set_bad, setup_std),                           \
	    cmocka_unit_test_setup(test_frame_ref_move, setup_std),                                \
	    cmocka_unit_test_setup(test_frame_ref_move_bad, setup_std),
#else
#define FRAME_REF_TESTS
#endif /* CONFIG_AXALLOC_FRAME_REFS */

int run_page_tests(const char *allocator)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_before_init),
	    cmocka_unit_test_prestate(test_allocator_name, (void *)allocator),
	    cmocka_unit_test_setup(test_init_bad_args, setup_std),
	    cmocka_unit_test_setup(test_init_reserved_holes, setup_std),
	    cmocka_unit_test(test_init_unsorted_overlapping),
	    cmocka_unit_test(test_init_adjacent_ram_merges),
	    cmocka_unit_test(test_init_too_many_pieces),
	    cmocka_unit_test(test_init_random_maps),
	    cmocka_unit_test(test_several_ram_ranges),
	    cmocka_unit_test_setup(test_meta_not_overlapping_pages, setup_std),
	    cmocka_unit_test_setup(test_alloc_free_every_size_class, setup_std),
	    cmocka_unit_test_setup(test_pages_bad_args, setup_std),
	    cmocka_unit_test_setup(test_out_of_memory, setup_std),
	    cmocka_unit_test_setup(test_fault_injection_pages, setup_std),
	    cmocka_unit_test_setup(test_refused_piece, setup_std),
	    FRAME_REF_TESTS};
	return cmocka_run_group_tests_name(allocator, tests, NULL, NULL) +
	       run_layout_tests(allocator) + run_block_map_tests(allocator);
}

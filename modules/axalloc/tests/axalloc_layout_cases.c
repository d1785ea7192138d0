/*
 * axalloc_layout_cases.c - where axalloc_init puts each piece's metadata: a
 * reference model of usable RAM, the invariants every layout meets, and the
 * placement policy (the head or the tail of the piece, or another piece,
 * whichever keeps more free aligned 1G, then 2M blocks) on the QEMU -m 2G
 * memory map and on hand-made maps around 1G boundaries.
 *
 * run_page_tests() runs them through run_layout_tests(), here (buddy) and
 * in tests/axalloc-bitmap-facade (bitmap).
 */

#include <stdbool.h>

#include "axalloc_test.h"
#include "test_rand.h"
#include "test_seed.h"
#include <klib/kconfig.h>

#define PAGES_1G (PAGE_SIZE_1G / PAGE_SIZE)
#define PAGES_2M (PAGE_SIZE_2M / PAGE_SIZE)
#define ORDER_2M 9
#define GIB	 (1ULL << 30)
#define MIB	 (1ULL << 20)

/* What a page of the window holds, in check_layout. */
enum { USE_NONE, USE_MANAGED, USE_META };

/* Whether [a, a + n) lies inside [b, b + m). */
static bool inside(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
	return a >= b && a + n <= b + m;
}

/* Whether some range's metadata overlaps [pa, pa + size). */
static bool meta_overlaps(paddr_t pa, uint64_t size)
{
	struct axalloc_range r[MAX_TEST_RANGES];
	int nr = get_ranges(r);
	for (int i = 0; i < nr; i++)
		if (overlaps(pa, size, r[i].meta_base, r[i].meta_size))
			return true;
	return false;
}

/*
 * The reference answer for the memory map: map[i] = 1 when page i of the
 * window [win, win + npages pages) lies entirely inside one RAM range and
 * touches no reserved byte.
 */
void oracle_usable(const struct mem_range *ram, int nr_ram, const struct mem_range *res, int nr_res,
		   paddr_t win, uint64_t npages, uint8_t *map)
{
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t lo = win + i * PAGE_SIZE, hi = lo + PAGE_SIZE;
		bool in_ram = false, hit = false;
		for (int k = 0; k < nr_ram; k++)
			if (ram[k].base <= lo && hi <= ram[k].base + ram[k].size)
				in_ram = true;
		for (int k = 0; k < nr_res; k++)
			if (overlaps(lo, PAGE_SIZE, res[k].base, res[k].size))
				hit = true;
		map[i] = in_ram && !hit;
	}
}

/* Marks the pages of [pa, pa + size) as `what`; each must be usable and not yet used. */
static void mark_pages(const uint8_t *map, uint8_t *use, paddr_t win, uint64_t npages, paddr_t pa,
		       uint64_t size, uint8_t what)
{
	assert_true(size > 0 && IS_ALIGNED(pa | size, PAGE_SIZE));
	assert_true(inside(pa, size, win, npages * PAGE_SIZE));
	for (uint64_t i = (pa - win) / PAGE_SIZE; i < (pa + size - win) / PAGE_SIZE; i++) {
		assert_true(map[i]);
		assert_int_equal(use[i], USE_NONE);
		use[i] = what;
	}
}

/*
 * Checks the layout against the oracle over a window holding all RAM:
 * every managed and metadata page is usable and used by one range only;
 * every maximal run of at least two usable pages is used entirely and holds
 * the managed pages of exactly one range; a lone usable page is unused; the
 * stats agree and the metadata is big enough for the page allocator and
 * (CONFIG_AXALLOC_FRAME_REFS) one count per managed page. Returns the number of runs.
 */
bool init_and_check_layout(const struct mem_range *ram, int nr_ram, const struct mem_range *res,
			   int nr_res, paddr_t win, uint64_t npages, uint8_t *map)
{
	oracle_usable(ram, nr_ram, res, nr_res, win, npages, map);
	int ret = axalloc_init(ram, nr_ram, res, nr_res);
	if (ret == -ENOMEM) {
		for (uint64_t i = 0; i + 1 < npages; i++)
			assert_false(map[i] && map[i + 1]);
		return false;
	}
	assert_int_equal(ret, 0);
	check_layout(map, win, npages);
	return true;
}

int check_layout(const uint8_t *map, paddr_t win, uint64_t npages)
{
	struct axalloc_range r[MAX_TEST_RANGES];
	int nr = get_ranges(r), runs = 0;
	struct axalloc_stats st = get_stats();
	uint64_t managed = 0, meta = 0;
	uint8_t *use = calloc(npages, 1);
	assert_non_null(use);

	for (int k = 0; k < nr; k++) {
		if (k > 0)
			assert_true(r[k - 1].base < r[k].base);
		mark_pages(map, use, win, npages, r[k].base, r[k].size, USE_MANAGED);
		mark_pages(map, use, win, npages, r[k].meta_base, r[k].meta_size, USE_META);
		managed += r[k].size / PAGE_SIZE;
		meta += r[k].meta_size / PAGE_SIZE;
	}
	for (uint64_t i = 0; i < npages;) {
		if (!map[i]) {
			i++;
			continue;
		}
		uint64_t j = i;
		while (j < npages && map[j])
			j++;
		if (j - i >= 2) {
			int owners = 0;
			for (uint64_t p = i; p < j; p++)
				assert_int_not_equal(use[p], USE_NONE);
			for (int k = 0; k < nr; k++)
				owners += inside(r[k].base, r[k].size, win + i * PAGE_SIZE,
						 (j - i) * PAGE_SIZE);
			assert_int_equal(owners, 1);
			runs++;
		} else {
			assert_int_equal(use[i], USE_NONE);
		}
		i = j;
	}
	assert_int_equal(runs, nr);
	assert_int_equal(st.pages.total_pages, managed);
	assert_int_equal(st.meta_pages, meta);
	uint64_t need = st.pages.meta_bytes;
	if (IS_ENABLED(CONFIG_AXALLOC_FRAME_REFS))
		need += managed * 2 * sizeof(uint32_t); /* counts and owner words */
	assert_true(meta * PAGE_SIZE >= need);
	free(use);
	return runs;
}

/*
 * Allocates aligned 1G blocks until none is left, checks each lies in a
 * managed range away from all metadata, frees them, and returns how many
 * there were. Stats are as before apart from the one counted failure; the
 * count matches the free-block histogram.
 */
static uint64_t count_free_1g(void)
{
	enum { MAX_1G = 8 };
	struct axalloc_stats before = get_stats();
	struct axalloc_range r[MAX_TEST_RANGES];
	int nr = get_ranges(r);
	paddr_t pa[MAX_1G];
	uint64_t n = 0;

	while (n < MAX_1G &&
	       axalloc_alloc_pages(PAGES_1G, PAGE_SIZE_1G, AXALLOC_UNMOVABLE, &pa[n]) == 0) {
		bool in_range = false;
		for (int k = 0; k < nr; k++)
			in_range |= inside(pa[n], PAGE_SIZE_1G, r[k].base, r[k].size);
		assert_true(in_range && IS_ALIGNED(pa[n], PAGE_SIZE_1G));
		assert_false(meta_overlaps(pa[n], PAGE_SIZE_1G));
		n++;
	}
	assert_true(n < MAX_1G);
	assert_int_equal(before.pages.free_blocks[PGALLOC_MAX_ORDER], n);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(axalloc_free_pages(pa[i], PAGES_1G), 0);
	struct axalloc_stats after = get_stats();
	assert_int_equal(after.failed_allocs, before.failed_allocs + 1);
	after.failed_allocs = before.failed_allocs;
	assert_stats_equal(before, after);
	return n;
}

/* Backs and initialises the RAM ranges, then checks the layout over [win, win + size). */
static int init_and_check(const struct mem_range *ram, int nr_ram, const struct mem_range *res,
			  int nr_res, paddr_t win, uint64_t size)
{
	uint64_t npages = size / PAGE_SIZE;
	uint8_t *map = malloc(npages);
	assert_non_null(map);

	assert_int_equal(map_and_init(ram, nr_ram, res, nr_res), 0);
	oracle_usable(ram, nr_ram, res, nr_res, win, npages, map);
	int runs = check_layout(map, win, npages);
	free(map);
	return runs;
}

/* Metadata bytes axalloc carves for a lone piece [base, base + size) (probed through init). */
static uint64_t lone_meta_size(paddr_t base, uint64_t size)
{
	struct mem_range ram = {base, size};
	struct axalloc_range r[MAX_TEST_RANGES];

	assert_int_equal(map_and_init(&ram, 1, NULL, 0), 0);
	assert_int_equal(get_ranges(r), 1);
	return r[0].meta_size;
}

/*
 * QEMU virt -m 2G: the DTB near 3 GiB cuts RAM just below the only GiB the
 * firmware and kernel leave whole. Its metadata must not break that GiB,
 * and the metadata costs no more 2M blocks than its size.
 */
static void test_layout_qemu_2g(void **state)
{
	(void)state;
	static const struct mem_range ram = {0x80000000UL, 2 * GIB};
	static const struct mem_range res[] = {
	    {0x80000000UL, 0x200000}, /* OpenSBI */
	    {0x80200000UL, 0x200000}, /* kernel image */
	    {0xbfe00000UL, 0x2000},   /* DTB */
	};
	/* 2M blocks the two pieces [0x80400000, 0xbfe00000), [0xbfe02000, 4G) hold whole. */
	const uint64_t whole_2m = (0xbfe00000UL - 0x80400000UL) / PAGE_SIZE_2M + GIB / PAGE_SIZE_2M;
	paddr_t pa;

	assert_int_equal(init_and_check(&ram, 1, res, 3, ram.base, ram.size), 2);
	assert_false(meta_overlaps(0xc0000000UL, GIB));
	struct axalloc_stats before = get_stats();
	uint64_t meta_2m = (before.meta_pages + PAGES_2M - 1) / PAGES_2M;
	assert_true(pgalloc_suitable_blocks(&before.pages, ORDER_2M) >= whole_2m - meta_2m);

	assert_int_equal(axalloc_alloc_pages(PAGES_1G, PAGE_SIZE_1G, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(pa, 0xc0000000UL);
	memset(phys_to_virt(pa), 0x5a, PAGE_SIZE);
	memset(phys_to_virt(pa + PAGE_SIZE_1G - PAGE_SIZE), 0x5a, PAGE_SIZE);
	assert_int_equal(axalloc_free_pages(pa, PAGES_1G), 0);
	struct axalloc_stats after = get_stats();
	assert_stats_equal(before, after);
	assert_int_equal(count_free_1g(), 1);
}

/* A piece starting on a GiB with room above its last GiB: metadata at the tail. */
static void test_layout_tail_keeps_1g(void **state)
{
	(void)state;
	static const struct mem_range ram = {0xc0000000UL, GIB + 64 * MIB};
	struct axalloc_range r[MAX_TEST_RANGES];

	assert_int_equal(init_and_check(&ram, 1, NULL, 0, ram.base, ram.size), 1);
	assert_int_equal(get_ranges(r), 1);
	assert_int_equal(r[0].base, ram.base);
	assert_int_equal(r[0].meta_base, r[0].base + r[0].size);
	assert_int_equal(r[0].meta_base + r[0].meta_size, ram.base + ram.size);
	assert_int_equal(count_free_1g(), 1);
}

/*
 * No GiB at stake: the side with room for the metadata keeps the 2M blocks
 * (here the tail); with room on both sides the head is taken.
 */
static void test_layout_side_keeps_2m(void **state)
{
	(void)state;
	static const struct mem_range tail_room = {RAM_BASE, 65 * MIB};
	static const struct mem_range both_room = {RAM_BASE + MIB, 64 * MIB};
	struct axalloc_range r[MAX_TEST_RANGES];
	paddr_t pa;

	assert_int_equal(init_and_check(&tail_room, 1, NULL, 0, RAM_BASE, 65 * MIB), 1);
	assert_int_equal(get_ranges(r), 1);
	assert_int_equal(r[0].meta_base, r[0].base + r[0].size);
	assert_int_equal(axalloc_alloc_pages(RAM_PAGES, RAM_SIZE, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(pa, RAM_BASE);
	assert_int_equal(axalloc_free_pages(pa, RAM_PAGES), 0);

	assert_int_equal(init_and_check(&both_room, 1, NULL, 0, RAM_BASE, 65 * MIB), 1);
	assert_int_equal(get_ranges(r), 1);
	assert_int_equal(r[0].meta_base, both_room.base);
	assert_int_equal(r[0].meta_base + r[0].meta_size, r[0].base);
	assert_int_equal(r[0].base + r[0].size, both_room.base + both_room.size);
	struct axalloc_stats st = get_stats();
	assert_int_equal(pgalloc_suitable_blocks(&st.pages, ORDER_2M), 64 * MIB / PAGE_SIZE_2M - 1);
}

/*
 * A piece with no room on either side of its GiB: its metadata goes to a
 * piece with nothing aligned to lose, and the GiB stays whole.
 */
static void test_layout_guest_in_other_piece(void **state)
{
	(void)state;
	static const struct mem_range ram[] = {
	    {0xc0000000UL - 2 * PAGE_SIZE, GIB + 2 * PAGE_SIZE},
	    {RAM_BASE, RAM_SIZE},
	};
	struct axalloc_range r[MAX_TEST_RANGES];

	assert_int_equal(init_and_check(ram, 2, NULL, 0, RAM_BASE, 2 * GIB), 2);
	assert_int_equal(get_ranges(r), 2);
	assert_int_equal(r[1].base, ram[0].base);
	assert_int_equal(r[1].size, ram[0].size);
	assert_true(inside(r[1].meta_base, r[1].meta_size, RAM_BASE, RAM_SIZE));
	assert_true(inside(r[0].meta_base, r[0].meta_size, RAM_BASE, RAM_SIZE));
	assert_int_equal(count_free_1g(), 1);
}

/*
 * Two whole GiBs, each piece exactly one: one piece must break its GiB, so
 * it hosts the other's metadata too (the later one hosts the earlier).
 */
static void test_layout_two_gib_pieces(void **state)
{
	(void)state;
	static const struct mem_range ram[] = {
	    {0x100000000UL, GIB},
	    {0x80000000UL, GIB},
	};
	struct axalloc_range r[MAX_TEST_RANGES];
	paddr_t pa;

	assert_int_equal(init_and_check(ram, 2, NULL, 0, 0x80000000UL, 3 * GIB), 2);
	assert_int_equal(get_ranges(r), 2);
	assert_int_equal(r[0].size, GIB);
	assert_true(inside(r[0].meta_base, r[0].meta_size, ram[0].base, GIB));
	assert_true(inside(r[1].meta_base, r[1].meta_size, ram[0].base, GIB));
	assert_int_equal(count_free_1g(), 1);
	assert_int_equal(axalloc_alloc_pages(PAGES_1G, PAGE_SIZE_1G, AXALLOC_UNMOVABLE, &pa), 0);
	assert_int_equal(pa, 0x80000000UL);
}

/*
 * A host never gives up a GiB it keeps for nothing: the second piece has
 * room for its own metadata below its GiB, not for the first piece's too,
 * so the first piece keeps (and breaks) its own and one GiB stays whole.
 */
static void test_layout_host_keeps_its_gib(void **state)
{
	(void)state;
	uint64_t own = lone_meta_size(0x140000000UL, GIB);
	uint64_t room = own + 4 * PAGE_SIZE;
	const struct mem_range ram[] = {
	    {0xc0000000UL - 2 * PAGE_SIZE, GIB + 2 * PAGE_SIZE},
	    {0x140000000UL - room, GIB + room},
	};
	struct axalloc_range r[MAX_TEST_RANGES];

	assert_true(own > 2 * PAGE_SIZE && room < 8 * MIB);
	assert_int_equal(init_and_check(ram, 2, NULL, 0, ram[0].base, 0x180000000UL - ram[0].base),
			 2);
	assert_int_equal(get_ranges(r), 2);
	assert_true(inside(r[0].meta_base, r[0].meta_size, ram[0].base, ram[0].size));
	assert_true(inside(r[1].meta_base, r[1].meta_size, ram[1].base, room));
	assert_true(r[1].base <= 0x140000000UL);
	assert_int_equal(r[1].base + r[1].size, 0x180000000UL);
	assert_int_equal(count_free_1g(), 1);
}

/*
 * Seeded random maps over 4 GiB with RAM ends and holes near GiB and 2M
 * boundaries: every layout meets the invariants and its free 1G blocks can
 * all be allocated.
 */
static void test_layout_random_gib_maps(void **state)
{
	(void)state;
	enum { TRIALS = 40, MAX_RAM = 2, MAX_RES = 4, WIN_GIB = 4, JITTER_PAGES = 700 };
	const paddr_t win = 0x80000000UL;
	const uint64_t npages = WIN_GIB * PAGES_1G;
	uint64_t seed = host_test_seed(AXALLOC_DEFAULT_SEED), rng = seed;
	uint8_t *map = malloc(npages);
	assert_non_null(map);
	print_message("test_layout_random_gib_maps: seed %#llx\n", (unsigned long long)seed);

	hal_host_unmap_all();
	hal_host_map_phys(win, WIN_GIB * GIB);
	for (int t = 0; t < TRIALS; t++) {
		struct mem_range ram[MAX_RAM], res[MAX_RES];
		int nr_ram = (int)test_rand_range(&rng, 1, MAX_RAM);
		int nr_res = (int)test_rand_range(&rng, 0, MAX_RES);
		/* A point near a GiB or 2M boundary of the window, a few pages off. */
		uint64_t pts[2 * MAX_RAM];
		for (int i = 0; i < 2 * MAX_RAM; i++) {
			uint64_t unit = test_rand_next(&rng) % 2 ? PAGE_SIZE_1G : PAGE_SIZE_2M;
			uint64_t at = test_rand_range(&rng, 0, WIN_GIB * GIB / unit) * unit;
			uint64_t off = test_rand_range(&rng, 0, JITTER_PAGES) * PAGE_SIZE;
			pts[i] = test_rand_next(&rng) % 2 ? at + off : (at > off ? at - off : 0);
			if (pts[i] > WIN_GIB * GIB)
				pts[i] = WIN_GIB * GIB;
		}
		for (int i = 0; i < nr_ram; i++) {
			uint64_t a = pts[2 * i], b = pts[2 * i + 1];
			ram[i] = (struct mem_range){win + (a < b ? a : b), a < b ? b - a : a - b};
		}
		for (int i = 0; i < nr_res; i++) {
			uint64_t unit = test_rand_next(&rng) % 2 ? PAGE_SIZE_1G : PAGE_SIZE_2M;
			uint64_t at = test_rand_range(&rng, 0, WIN_GIB * GIB / unit - 1) * unit;
			uint64_t off = test_rand_range(&rng, 0, JITTER_PAGES) * PAGE_SIZE;
			at = at > off ? at - off : at + off;
			res[i] = (struct mem_range){win + at, test_rand_range(&rng, 1, 4 * MIB)};
		}
		if (!init_and_check_layout(ram, nr_ram, res, nr_res, win, npages, map))
			continue;
		count_free_1g();
	}
	free(map);
}

/* Runs every layout case; `allocator` names the page allocator underneath. */
int run_layout_tests(const char *allocator)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout_qemu_2g),
	    cmocka_unit_test(test_layout_tail_keeps_1g),
	    cmocka_unit_test(test_layout_side_keeps_2m),
	    cmocka_unit_test(test_layout_guest_in_other_piece),
	    cmocka_unit_test(test_layout_two_gib_pieces),
	    cmocka_unit_test(test_layout_host_keeps_its_gib),
	    cmocka_unit_test(test_layout_random_gib_maps),
	};
	char name[64];

	snprintf(name, sizeof(name), "%s layout", allocator);
	return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}

/*
 * test_aspace.c - directed tests of the address-space API: life cycle,
 * find_free_area (seed 000 cases incl. the end-of-range check), Linear and
 * Alloc areas with 4K/2M/1G pages (lazy vs populate, exact fault counts),
 * unmap splitting/shrinking and its alignment rule, protect, populate,
 * faults, read/write through the space, activation, the shared kernel half,
 * and every bad input of issue 4 with the space, page table and allocator
 * unchanged afterwards. Each test ends with a destroy that must bring the
 * allocator back to its baseline.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aspace_test_fixture.h"

static void test_create_destroy(void **state)
{
	struct fixture *f = *state;
	struct mem_snap before = mem_snap();
	struct aspace as;

	/* The fixture's space holds its root table and nothing else. */
	assert_int_equal(stats(&f->as).pt_pages, 1);
	assert_int_equal(stats(&f->as).nr_areas, 0);
	assert_int_equal(aspace_create(&as, 0, PG4K), -EINVAL);
	assert_int_equal(aspace_create(&as, USER_VA_START, 0), -EINVAL);
	assert_int_equal(aspace_create(&as, USER_VA_START + 1, PG4K), -EINVAL);
	assert_int_equal(aspace_create(&as, USER_VA_START, PG4K + 1), -EINVAL);
	assert_int_equal(aspace_create(&as, USER_VA_END - PG4K, 2 * PG4K), -EINVAL);
	assert_int_equal(aspace_create(&as, USER_VA_END, PG4K), -EINVAL);
	assert_int_equal(aspace_create(&as, 0xfffffffffffff000UL, 0x2000), -EINVAL);
	assert_true(mem_equal(mem_snap(), before));
	assert_int_equal(aspace_create(&as, USER_VA_END - PG4K, PG4K), 0);
	assert_int_equal(as.end, USER_VA_END);
	aspace_destroy(&as);
	assert_true(mem_equal(mem_snap(), before));
	/* A root table that cannot be allocated. */
	axalloc_fail_after(0);
	assert_int_equal(aspace_create(&as, SPACE_BASE, SPACE_SIZE), -ENOMEM);
	axalloc_fail_after(-1);
	assert_true(mem_equal(mem_snap(), before));
}

/* find_free_area in a small space [0x10000, 0x10000000). */
static void test_find_free_area(void **state)
{
	(void)state;
	const vaddr_t base = 0x10000, end = 0x10000000;
	struct aspace as;
	vaddr_t out = 0;

	assert_int_equal(aspace_create(&as, base, end - base), 0);
	/* Empty space: the hint (or the base) rounded up to the alignment. */
	assert_int_equal(aspace_find_free_area(&as, 0, PG4K, end, PG4K, &out), 0);
	assert_int_equal(out, base);
	assert_int_equal(aspace_find_free_area(&as, 0x12345, PG4K, end, PG4K, &out), 0);
	assert_int_equal(out, 0x13000);
	assert_int_equal(aspace_find_free_area(&as, 0, PG4K, end, PG2M, &out), 0);
	assert_int_equal(out, PG2M);

	/* A = [1M, 2M), B = [3M, 4M). */
	assert_int_equal(aspace_map_alloc(&as, 0x100000, 0x100000, RW, false, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&as, 0x300000, 0x100000, RW, false, PG4K), 0);
	/* The gap before A is too small for 1M; the first fit is A's end. */
	assert_int_equal(aspace_find_free_area(&as, 0, 0x100000, end, PG4K, &out), 0);
	assert_int_equal(out, 0x200000);
	/* A gap of exactly the size fits; one byte more does not. */
	assert_int_equal(aspace_find_free_area(&as, 0, 0x100000 - base, end, PG4K, &out), 0);
	assert_int_equal(out, base);
	assert_int_equal(aspace_find_free_area(&as, 0, 0x100000 - base + 1, end, PG4K, &out), 0);
	assert_int_equal(out, 0x200000);
	/*
	 * A hint inside an area: the seed's loop would return the hint itself
	 * (it skips areas that start before it); the gap begins at A's end.
	 */
	assert_int_equal(aspace_find_free_area(&as, 0x150000, PG4K, end, PG4K, &out), 0);
	assert_int_equal(out, 0x200000);
	assert_int_equal(aspace_find_free_area(&as, 0x150000, 0x100001, end, PG4K, &out), 0);
	assert_int_equal(out, 0x400000);
	/* Alignment applies to the candidate after each area too. */
	assert_int_equal(aspace_find_free_area(&as, 0x150000, PG4K, end, PG2M, &out), 0);
	assert_int_equal(out, 0x200000);
	assert_int_equal(aspace_find_free_area(&as, 0x150000, PG4K, end, 0x400000, &out), 0);
	assert_int_equal(out, 0x400000);

	/* End-of-range check: after the last area the range must end by the limit. */
	assert_int_equal(aspace_find_free_area(&as, 0x300000, 0x100000, 0x500000, PG4K, &out), 0);
	assert_int_equal(out, 0x400000);
	assert_int_equal(aspace_find_free_area(&as, 0x300000, 0x100001, 0x500000, PG4K, &out),
			 -ENOMEM);
	assert_int_equal(aspace_find_free_area(&as, 0x300000, PG4K, 0x400000, PG4K, &out), -ENOMEM);
	/* ... also before the first area, and for a limit below the hint. */
	assert_int_equal(aspace_find_free_area(&as, 0, 0x80000, 0x50000, PG4K, &out), -ENOMEM);
	assert_int_equal(aspace_find_free_area(&as, 0x800000, PG4K, 0x700000, PG4K, &out), -ENOMEM);
	/* The limit is clamped to the space's end. */
	assert_int_equal(aspace_find_free_area(&as, end - PG4K, PG4K, UINT64_MAX, PG4K, &out), 0);
	assert_int_equal(out, end - PG4K);
	assert_int_equal(aspace_find_free_area(&as, end - PG4K, 2 * PG4K, UINT64_MAX, PG4K, &out),
			 -ENOMEM);
	/* Rounding the hint up would overflow. */
	assert_int_equal(aspace_find_free_area(&as, UINT64_MAX - 5, PG4K, UINT64_MAX, PG4K, &out),
			 -ENOMEM);
	/* Bad arguments. */
	assert_int_equal(aspace_find_free_area(&as, 0, 0, end, PG4K, &out), -EINVAL);
	assert_int_equal(aspace_find_free_area(&as, 0, PG4K, end, 0, &out), -EINVAL);
	assert_int_equal(aspace_find_free_area(&as, 0, PG4K, end, 0x3000, &out), -EINVAL);
	assert_int_equal(aspace_find_free_area(&as, 0, PG4K, end, 0x800, &out), -EINVAL);

	/* A row of 64 areas with 4K holes: an 8K request lands after all of them. */
	for (int i = 0; i < 64; i++)
		assert_int_equal(
		    aspace_map_alloc(&as, 0x1000000 + i * 0x3000, 0x2000, RO, false, PG4K), 0);
	assert_int_equal(aspace_find_free_area(&as, 0x1000000, PG4K, end, PG4K, &out), 0);
	assert_int_equal(out, 0x1002000);
	assert_int_equal(aspace_find_free_area(&as, 0x1000000, 0x2000, end, PG4K, &out), 0);
	assert_int_equal(out, 0x1000000 + 64 * 0x3000 - 0x1000);
	aspace_destroy(&as);
}

/* Page-table pages: root; + L1 and L0 for a 4K page; + L1 for a 2M page; 1G needs none. */
static void test_pt_pages_per_size(void **state)
{
	struct fixture *f = *state;
	struct aspace_stats st;

	assert_int_equal(aspace_map_alloc(&f->as, VA, PG4K, RW, true, PG4K), 0);
	assert_int_equal(stats(&f->as).pt_pages, 3);
	assert_int_equal(aspace_map_alloc(&f->as, 2 * PG1G, PG2M, RW, true, PG2M), 0);
	assert_int_equal(stats(&f->as).pt_pages, 4);
	assert_int_equal(aspace_map_linear(&f->as, 3 * PG1G, ENV_LIN_BASE, PG1G, RW, PG1G), 0);
	st = stats(&f->as);
	assert_int_equal(st.pt_pages, 4);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_4K], 1);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_2M], 1);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_1G], 1);
	assert_int_equal(st.nr_areas, 3);
	assert_int_equal(st.alloc_pages_4k, 1 + PG2M / PG4K);
	check_accounting(&f->as, f->base);
	assert_int_equal(aspace_unmap(&f->as, VA, 3 * PG1G), 0);
	st = stats(&f->as);
	assert_int_equal(st.pt_pages, 1);
	assert_int_equal(st.nr_areas, 0);
	assert_int_equal(st.mapped[0] + st.mapped[1] + st.mapped[2], 0);
	check_accounting(&f->as, f->base);
}

/* Every byte of [va, va + len) reads as zero through the space's frames. */
static void assert_zero_range(struct aspace *as, vaddr_t va, uint64_t len)
{
	static const unsigned char zero[PG4K];

	for (uint64_t off = 0; off < len; off += PG4K) {
		paddr_t pa;
		assert_int_equal(aspace_query(as, va + off, &pa, NULL, NULL), 0);
		assert_memory_equal(phys_to_virt(pa), zero, PG4K);
	}
}

/* Lazy vs populate for one page size over `len` bytes (a multiple of pgsize). */
static void lazy_vs_populate(struct fixture *f, vaddr_t va, uint64_t len, uint64_t pgsize)
{
	int idx = aspace_pgsize_index(pgsize);
	struct aspace_stats st;
	uint64_t touches = len / PG4K, pages = len / pgsize;
	uint64_t faults0 = stats(&f->as).faults, spurious0 = stats(&f->as).spurious_faults;
	paddr_t pa;
	uint64_t size;

	/* Lazy: nothing until touched, then one whole page per first touch. */
	assert_int_equal(aspace_map_alloc(&f->as, va, len, RW, false, pgsize), 0);
	st = stats(&f->as);
	assert_int_equal(st.mapped[idx], 0);
	assert_int_equal(st.alloc_pages_4k, 0);
	assert_int_equal(aspace_query(&f->as, va, NULL, NULL, NULL), -ENOENT);
	for (uint64_t i = 0; i < touches; i++)
		assert_int_equal(aspace_handle_page_fault(&f->as, va + i * PG4K,
							  i % 2 ? ACCESS_WRITE : ACCESS_READ),
				 0);
	st = stats(&f->as);
	assert_int_equal(st.faults - faults0, pages);
	assert_int_equal(st.spurious_faults - spurious0, touches - pages);
	assert_int_equal(st.mapped[idx], pages);
	assert_int_equal(st.alloc_pages_4k, touches);
	assert_int_equal(aspace_query(&f->as, va + len - 1, &pa, NULL, &size), 0);
	assert_int_equal(size, pgsize);
	assert_true(IS_ALIGNED(pa - (pgsize - 1), pgsize));
	assert_zero_range(&f->as, va, len);
	check_accounting(&f->as, f->base);
	/* Dirty the frames so that the populate below must zero reused ones. */
	for (uint64_t off = 0; off < len; off += PG4K) {
		assert_int_equal(aspace_query(&f->as, va + off, &pa, NULL, NULL), 0);
		memset(phys_to_virt(pa), 0xa5, PG4K);
	}
	assert_int_equal(aspace_unmap(&f->as, va, len), 0);
	check_accounting(&f->as, f->base);

	/* Populate: every page now, no faults. */
	assert_int_equal(aspace_map_alloc(&f->as, va, len, RW, true, pgsize), 0);
	st = stats(&f->as);
	assert_int_equal(st.mapped[idx], pages);
	assert_int_equal(st.faults - faults0, pages);
	assert_int_equal(st.alloc_pages_4k, touches);
	assert_zero_range(&f->as, va, len);
	for (uint64_t i = 0; i < pages; i++) {
		assert_int_equal(aspace_query(&f->as, va + i * pgsize + 5, &pa, NULL, &size), 0);
		assert_int_equal(size, pgsize);
		assert_true(IS_ALIGNED(pa - 5, pgsize));
	}
	/* A fault on a populated page is spurious. */
	assert_int_equal(aspace_handle_page_fault(&f->as, va, ACCESS_WRITE), 0);
	assert_int_equal(stats(&f->as).faults - faults0, pages);
	check_accounting(&f->as, f->base);
	assert_int_equal(aspace_unmap(&f->as, va, len), 0);
}

static void test_lazy_vs_populate_4k(void **state)
{
	lazy_vs_populate(*state, VA, 8UL << 20, PG4K);
}

static void test_lazy_vs_populate_2m(void **state)
{
	lazy_vs_populate(*state, VA, 8UL << 20, PG2M);
}

/* 1G pages: one fault maps the whole gigabyte. (Each case zeroes 1 GiB.) */
static void test_lazy_vs_populate_1g(void **state)
{
	struct fixture *f = *state;
	struct aspace_stats st;
	paddr_t pa;
	uint64_t size;
	uint64_t word = 0x1122334455667788ULL, back = 0;

	snap_content = false;
	assert_int_equal(aspace_map_alloc(&f->as, VA1G, PG1G, RW, false, PG1G), 0);
	assert_int_equal(aspace_query(&f->as, VA1G, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA1G + 0x12345678, ACCESS_READ), 0);
	st = stats(&f->as);
	assert_int_equal(st.faults, 1);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_1G], 1);
	assert_int_equal(st.alloc_pages_4k, PG1G / PG4K);
	assert_int_equal(st.pt_pages, 1);
	assert_int_equal(aspace_query(&f->as, VA1G + PG1G - 1, &pa, NULL, &size), 0);
	assert_int_equal(size, PG1G);
	assert_true(IS_ALIGNED(pa + 1, PG1G));
	/* Every other touch of the gigabyte is spurious. */
	assert_int_equal(aspace_handle_page_fault(&f->as, VA1G + PG1G - 1, ACCESS_WRITE), 0);
	assert_int_equal(stats(&f->as).faults, 1);
	assert_int_equal(aspace_write(&f->as, VA1G + PG1G - 8, &word, sizeof(word)), 0);
	assert_int_equal(aspace_read(&f->as, VA1G + PG1G - 8, &back, sizeof(back)), 0);
	assert_int_equal(back, word);
	assert_int_equal(*(uint64_t *)phys_to_virt(pa - 7), word);
	assert_int_equal(aspace_read(&f->as, VA1G + PG1G / 2, &back, sizeof(back)), 0);
	assert_int_equal(back, 0);
	assert_int_equal(stats(&f->as).faults, 1);
	check_accounting(&f->as, f->base);
	assert_int_equal(aspace_unmap(&f->as, VA1G, PG1G), 0);
	check_accounting(&f->as, f->base);

	assert_int_equal(aspace_map_alloc(&f->as, VA1G, PG1G, RW, true, PG1G), 0);
	st = stats(&f->as);
	assert_int_equal(st.faults, 1);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_1G], 1);
	/* The reused frame was zeroed again. */
	assert_int_equal(aspace_read(&f->as, VA1G + PG1G - 8, &back, sizeof(back)), 0);
	assert_int_equal(back, 0);
	/* Half a 1G page cannot be unmapped. */
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_unmap(&f->as, VA1G, PG1G / 2));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_unmap(&f->as, VA1G + PG2M, PG1G - PG2M));
}

/* Fills page i of [va, va + n pages) with byte i + 1 through the space. */
static void fill_pages(struct aspace *as, vaddr_t va, int n)
{
	unsigned char buf[PG4K];

	for (int i = 0; i < n; i++) {
		memset(buf, i + 1, sizeof(buf));
		assert_int_equal(aspace_write(as, va + i * PG4K, buf, sizeof(buf)), 0);
	}
}

/* Page i of the space reads as byte i + 1 (pages of a fill_pages range). */
static void assert_page_fill(struct aspace *as, vaddr_t va, int i)
{
	unsigned char buf[PG4K], want[PG4K];

	memset(want, i + 1, sizeof(want));
	assert_int_equal(aspace_read(as, va + i * PG4K, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, want, sizeof(buf));
}

/* The areas of the space, as [start, end) pairs relative to `origin` in 4K pages. */
static void assert_areas(const struct aspace *as, vaddr_t origin, const int (*want)[2], int n)
{
	int i = 0;

	for (const struct aspace_area *a = aspace_first_area(as); a; a = aspace_next_area(as, a)) {
		assert_true(i < n);
		assert_int_equal(a->node.start, origin + want[i][0] * PG4K);
		assert_int_equal(a->node.end, origin + want[i][1] * PG4K);
		i++;
	}
	assert_int_equal(i, n);
	assert_int_equal(stats(as).nr_areas, n);
	assert_true(interval_tree_check(&as->areas));
}

static void test_unmap_split_shrink(void **state)
{
	struct fixture *f = *state;
	struct mem_snap m0;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 16 * PG4K, RW, true, PG4K), 0);
	fill_pages(&f->as, VA, 16);
	m0 = mem_snap();
	/* The middle: the area splits in two with the same flags and backend. */
	assert_int_equal(aspace_unmap(&f->as, VA + 5 * PG4K, 3 * PG4K), 0);
	assert_areas(&f->as, VA, (const int[][2]){{0, 5}, {8, 16}}, 2);
	assert_int_equal(mem_snap().pages, m0.pages - 3);
	assert_int_equal(stats(&f->as).mapped[ASPACE_PGSIZE_4K], 13);
	for (int i = 5; i < 8; i++)
		assert_int_equal(aspace_query(&f->as, VA + i * PG4K, NULL, NULL, NULL), -ENOENT);
	for (int i = 0; i < 16; i++)
		if (i < 5 || i >= 8)
			assert_page_fill(&f->as, VA, i);
	const struct aspace_area *right = aspace_find_area(&f->as, VA + 8 * PG4K);
	assert_non_null(right);
	assert_int_equal(right->flags, RW);
	assert_int_equal(right->backend.kind, ASPACE_BACKEND_ALLOC);
	assert_int_equal(right->backend.pgsize, PG4K);
	/* Shrink from the front and from the back. */
	assert_int_equal(aspace_unmap(&f->as, VA, PG4K), 0);
	assert_int_equal(aspace_unmap(&f->as, VA + 15 * PG4K, PG4K), 0);
	assert_areas(&f->as, VA, (const int[][2]){{1, 5}, {8, 15}}, 2);
	/* Across the hole: both areas shrink. */
	assert_int_equal(aspace_unmap(&f->as, VA + 4 * PG4K, 5 * PG4K), 0);
	assert_areas(&f->as, VA, (const int[][2]){{1, 4}, {9, 15}}, 2);
	assert_page_fill(&f->as, VA, 3);
	assert_page_fill(&f->as, VA, 9);
	/* A range that is all hole changes nothing. */
	EXPECT_UNCHANGED(&f->as, 0, aspace_unmap(&f->as, VA + 5 * PG4K, 4 * PG4K));
	/* Everything, holes included. */
	assert_int_equal(aspace_unmap(&f->as, VA, 16 * PG4K), 0);
	assert_areas(&f->as, VA, NULL, 0);
	check_accounting(&f->as, f->base);

	/* A 3 x 2M area loses its middle page: two huge areas remain. */
	assert_int_equal(aspace_map_alloc(&f->as, VA2, 3 * PG2M, RW, true, PG2M), 0);
	assert_int_equal(aspace_unmap(&f->as, VA2 + PG2M, PG2M), 0);
	assert_areas(&f->as, VA2, (const int[][2]){{0, 512}, {1024, 1536}}, 2);
	assert_int_equal(stats(&f->as).mapped[ASPACE_PGSIZE_2M], 2);
	check_accounting(&f->as, f->base);
}

static void test_unmap_partial_huge(void **state)
{
	struct fixture *f = *state;

	/* A 4K area right below a 2M area. */
	assert_int_equal(aspace_map_alloc(&f->as, VA2 - 4 * PG4K, 4 * PG4K, RW, true, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA2, PG2M, RW, true, PG2M), 0);
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_unmap(&f->as, VA2 + PG4K, PG4K));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_unmap(&f->as, VA2, PG4K));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_unmap(&f->as, VA2 + PG2M - PG4K, 2 * PG4K));
	/* All or nothing: the 4K area is whole in the range, the 2M one is cut. */
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_unmap(&f->as, VA2 - 4 * PG4K, 5 * PG4K));
	/* Not 4K-aligned at all. */
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_unmap(&f->as, VA2 + 1, PG2M));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_unmap(&f->as, VA2, PG2M - 1));
	/* A lazy 2M area is checked the same way. */
	assert_int_equal(aspace_map_alloc(&f->as, VA2 + 4 * PG2M, PG2M, RW, false, PG2M), 0);
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_unmap(&f->as, VA2 + 4 * PG2M, PG4K));
	/* A 1G Linear area: 2M steps cut it. */
	assert_int_equal(aspace_map_linear(&f->as, VA1G, ENV_LIN_BASE, PG1G, RW, PG1G), 0);
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_unmap(&f->as, VA1G + PG2M, PG2M));
	assert_int_equal(aspace_unmap(&f->as, VA1G, PG1G), 0);
	assert_int_equal(aspace_unmap(&f->as, VA2 - 4 * PG4K, 4 * PG4K + PG2M), 0);
	assert_int_equal(stats(&f->as).nr_areas, 1);
	check_accounting(&f->as, f->base);
}

static void test_protect(void **state)
{
	struct fixture *f = *state;
	unsigned flags;
	unsigned long flushes;
	unsigned char byte = 7;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 16 * PG4K, RW, true, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA + PG2M, PG2M, RW, false, PG2M), 0);
	fill_pages(&f->as, VA, 16);

	/* Middle of an area: three areas, PTEs of the middle read-only. */
	flushes = hal_host_tlb_page_flushes + hal_host_tlb_all_flushes;
	assert_int_equal(aspace_protect(&f->as, VA + 4 * PG4K, 4 * PG4K, RO), 0);
	assert_true(hal_host_tlb_page_flushes + hal_host_tlb_all_flushes > flushes);
	assert_areas(&f->as, VA, (const int[][2]){{0, 4}, {4, 8}, {8, 16}, {512, 1024}}, 4);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(aspace_query(&f->as, VA + i * PG4K, NULL, &flags, NULL), 0);
		assert_int_equal(flags & PERM_MASK, i >= 4 && i < 8 ? RO : RW);
		assert_int_equal(aspace_find_area(&f->as, VA + i * PG4K)->flags,
				 i >= 4 && i < 8 ? RO : RW);
	}
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + 5 * PG4K, ACCESS_WRITE), -EFAULT);
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_write(&f->as, VA + 5 * PG4K, &byte, 1));
	/* A write that would start in a writable page and end in a read-only one. */
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_write(&f->as, VA + 4 * PG4K - 1, "ab", 2));
	assert_page_fill(&f->as, VA, 5);

	/* Across two areas: both split at the range's ends, none merged. */
	assert_int_equal(aspace_protect(&f->as, VA + 6 * PG4K, 6 * PG4K, RW), 0);
	assert_areas(&f->as, VA,
		     (const int[][2]){{0, 4}, {4, 6}, {6, 8}, {8, 12}, {12, 16}, {512, 1024}}, 6);
	assert_int_equal(aspace_write(&f->as, VA + 6 * PG4K, &byte, 1), 0);

	/* A lazy area: the new flags apply when its page faults in. */
	assert_int_equal(aspace_protect(&f->as, VA + PG2M, PG2M, RX), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + PG2M + 5, ACCESS_WRITE), -EFAULT);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + PG2M + 5, ACCESS_EXEC), 0);
	assert_int_equal(aspace_query(&f->as, VA + PG2M, NULL, &flags, NULL), 0);
	assert_int_equal(flags & PERM_MASK, RX);

	/* Holes and bad arguments. */
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_protect(&f->as, VA + 14 * PG4K, 4 * PG4K, RO));
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_protect(&f->as, VA + 16 * PG4K, 4 * PG4K, RO));
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_protect(&f->as, VA - PG4K, 2 * PG4K, RO));
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_protect(&f->as, VA, PG2M + PG4K, RO));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_protect(&f->as, VA + PG2M, PG4K, RO));
	EXPECT_UNCHANGED(&f->as, -EINVAL,
			 aspace_protect(&f->as, VA + PG2M + PG4K, PG2M - PG4K, RO));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_protect(&f->as, VA + 1, PG4K, RO));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_protect(&f->as, VA, 0, RO));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_protect(&f->as, VA, PG4K, 0));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_protect(&f->as, VA, PG4K, MAPF_WRITE));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_protect(&f->as, VA, PG4K, RO | MAPF_GLOBAL));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_protect(&f->as, VA, PG4K, RO | MAPF_DIRTY));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_protect(&f->as, USER_VA_END, PG4K, RO));
	check_accounting(&f->as, f->base);
}

static void test_populate(void **state)
{
	struct fixture *f = *state;
	struct aspace_stats st;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 16 * PG4K, RW, false, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA + 2 * PG2M, 2 * PG2M, RO, false, PG2M), 0);
	assert_int_equal(aspace_populate(&f->as, VA + 2 * PG4K, 3 * PG4K, ACCESS_WRITE), 0);
	assert_int_equal(stats(&f->as).mapped[ASPACE_PGSIZE_4K], 3);
	assert_int_equal(aspace_populate(&f->as, VA, 8 * PG4K, ACCESS_READ), 0);
	assert_int_equal(stats(&f->as).mapped[ASPACE_PGSIZE_4K], 8);
	/* One 4K piece of a 2M page makes the whole huge page present. */
	assert_int_equal(aspace_populate(&f->as, VA + 3 * PG2M + PG4K, PG4K, ACCESS_READ), 0);
	st = stats(&f->as);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_2M], 1);
	assert_int_equal(aspace_query(&f->as, VA + 3 * PG2M, NULL, NULL, NULL), 0);
	assert_int_equal(aspace_query(&f->as, VA + 2 * PG2M, NULL, NULL, NULL), -ENOENT);
	/* populate is not a fault. */
	assert_int_equal(st.faults, 0);
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_populate(&f->as, VA, 17 * PG4K, ACCESS_READ));
	EXPECT_UNCHANGED(&f->as, -ENOENT,
			 aspace_populate(&f->as, VA + 2 * PG2M - PG4K, 2 * PG4K, ACCESS_READ));
	EXPECT_UNCHANGED(&f->as, -EFAULT,
			 aspace_populate(&f->as, VA + 2 * PG2M, PG2M, ACCESS_WRITE));
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_populate(&f->as, VA, PG4K, ACCESS_EXEC));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_populate(&f->as, VA + 1, PG4K, ACCESS_READ));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_populate(&f->as, VA, 0, ACCESS_READ));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_populate(&f->as, VA, PG4K, 1u << 3));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_populate(&f->as, 0, PG4K, ACCESS_READ));
	/* A Linear area is always present. */
	assert_int_equal(aspace_map_linear(&f->as, VA2, ENV_LIN_BASE, PG2M, RW, PG4K), 0);
	EXPECT_UNCHANGED(&f->as, 0, aspace_populate(&f->as, VA2, PG2M, ACCESS_WRITE));
	check_accounting(&f->as, f->base);
}

static void test_faults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 4 * PG4K, RO, false, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA + PG2M, PG2M, RW, false, PG2M), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA + 2 * PG2M, PG4K, RX, false, PG4K), 0);
	assert_int_equal(aspace_map_linear(&f->as, VA2, ENV_LIN_BASE, PG4K, RW, PG4K), 0);
	/* Outside every area, inside and outside the space. */
	EXPECT_UNCHANGED(&f->as, -EFAULT,
			 aspace_handle_page_fault(&f->as, VA + 8 * PG4K, ACCESS_READ));
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_handle_page_fault(&f->as, 0, ACCESS_READ));
	EXPECT_UNCHANGED(&f->as, -EFAULT,
			 aspace_handle_page_fault(&f->as, UINT64_MAX, ACCESS_READ));
	/* Write on read-only, execute on non-executable. */
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_handle_page_fault(&f->as, VA, ACCESS_WRITE));
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_handle_page_fault(&f->as, VA, ACCESS_EXEC));
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_handle_page_fault(&f->as, VA + PG2M, ACCESS_EXEC));
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_handle_page_fault(&f->as, VA2, ACCESS_EXEC));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_handle_page_fault(&f->as, VA, 1u << 3));
	/* Allowed accesses. */
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + 3 * PG4K + 17, ACCESS_READ), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + 2 * PG2M, ACCESS_EXEC), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + PG2M + PG2M - 1, ACCESS_WRITE), 0);
	struct aspace_stats st = stats(&f->as);
	assert_int_equal(st.faults, 3);
	assert_int_equal(st.spurious_faults, 0);
	/* Repeated and Linear faults are spurious. */
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + 3 * PG4K, ACCESS_READ), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA2, ACCESS_WRITE | ACCESS_READ), 0);
	st = stats(&f->as);
	assert_int_equal(st.faults, 3);
	assert_int_equal(st.spurious_faults, 2);
	/* Only the faulted pages are present. */
	assert_int_equal(st.mapped[ASPACE_PGSIZE_4K], 3);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_2M], 1);
	check_accounting(&f->as, f->base);
}

static void test_read_write(void **state)
{
	struct fixture *f = *state;
	unsigned char out[3 * PG4K + 100], in[sizeof(out)];
	const vaddr_t at = VA2 - 2 * PG4K - 50;
	struct aspace_stats st;
	uint64_t word;

	/* A lazy 4K area right below a lazy 2M area. */
	assert_int_equal(aspace_map_alloc(&f->as, VA2 - 4 * PG4K, 4 * PG4K, RW, false, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA2, PG2M, RW, false, PG2M), 0);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (unsigned char)(i * 7 + 3);
	/* Spans 4K pages 1, 2, 3 and the 2M page: four faults. */
	assert_int_equal(aspace_write(&f->as, at, out, sizeof(out)), 0);
	st = stats(&f->as);
	assert_int_equal(st.faults, 4);
	assert_int_equal(aspace_read(&f->as, at, in, sizeof(in)), 0);
	assert_memory_equal(in, out, sizeof(out));
	assert_int_equal(stats(&f->as).faults, 4);
	/* The bytes sit in the frames the page table points at. */
	paddr_t pa;
	assert_int_equal(aspace_query(&f->as, VA2 + 5, &pa, NULL, NULL), 0);
	assert_int_equal(*(unsigned char *)phys_to_virt(pa), out[VA2 + 5 - at]);
	/* Reading an untouched page faults it in and sees zeros. */
	assert_int_equal(aspace_read(&f->as, VA2 - 4 * PG4K, &word, sizeof(word)), 0);
	assert_int_equal(word, 0);
	assert_int_equal(stats(&f->as).faults, 5);

	/* Crossing into a hole, outside the space, overflowing: nothing moves. */
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_write(&f->as, VA2 + PG2M - 4, out, 8));
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_read(&f->as, VA2 + PG2M - 4, in, 8));
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_write(&f->as, VA2 - 5 * PG4K, out, 2 * PG4K));
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_write(&f->as, 0, out, 8));
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_write(&f->as, USER_VA_END - 4, out, 8));
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_read(&f->as, UINT64_MAX - 3, in, 8));
	EXPECT_UNCHANGED(&f->as, 0, aspace_write(&f->as, 0, out, 0));
	/* Read-only and execute-only areas. */
	assert_int_equal(aspace_map_alloc(&f->as, VA, PG4K, RO, false, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA + PG4K, PG4K, MAPF_EXEC, false, PG4K), 0);
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_write(&f->as, VA, out, 1));
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_read(&f->as, VA + PG4K, in, 1));
	assert_int_equal(aspace_read(&f->as, VA, &word, sizeof(word)), 0);
	assert_int_equal(word, 0);
	/* A Linear area reads and writes the physical range it maps. */
	assert_int_equal(aspace_map_linear(&f->as, VA1G, ENV_LIN_BASE, PG2M, RW, PG2M), 0);
	assert_int_equal(aspace_write(&f->as, VA1G + 123, out, 200), 0);
	assert_memory_equal((unsigned char *)phys_to_virt(ENV_LIN_BASE) + 123, out, 200);
	assert_int_equal(aspace_read(&f->as, VA1G + 123, in, 200), 0);
	assert_memory_equal(in, out, 200);
	check_accounting(&f->as, f->base);
}

/* Every bad map input of issue 4: the error, and nothing changed. */
static void test_bad_map_inputs(void **state)
{
	struct fixture *f = *state;
	struct aspace *as = &f->as;

	assert_int_equal(aspace_map_alloc(as, VA, 4 * PG4K, RW, true, PG4K), 0);
	assert_int_equal(aspace_map_linear(as, VA2, ENV_LIN_BASE, PG2M, RW, PG2M), 0);
	for (int populate = 0; populate < 2; populate++) {
		EXPECT_UNCHANGED(as, -EINVAL, aspace_map_alloc(as, VA1G, 0, RW, populate, PG4K));
		EXPECT_UNCHANGED(as, -EINVAL,
				 aspace_map_alloc(as, VA1G + 1, PG4K, RW, populate, PG4K));
		EXPECT_UNCHANGED(as, -EINVAL,
				 aspace_map_alloc(as, VA1G, PG4K + 1, RW, populate, PG4K));
		/* A 2M area at a 4K-aligned address, or of a size that is not whole 2M pages. */
		EXPECT_UNCHANGED(as, -EINVAL,
				 aspace_map_alloc(as, VA1G + PG4K, PG2M, RW, populate, PG2M));
		EXPECT_UNCHANGED(as, -EINVAL,
				 aspace_map_alloc(as, VA1G, PG2M + PG4K, RW, populate, PG2M));
		EXPECT_UNCHANGED(as, -EINVAL,
				 aspace_map_alloc(as, VA1G + PG2M, PG1G, RW, populate, PG1G));
		/* Page sizes other than 4K, 2M, 1G. */
		EXPECT_UNCHANGED(as, -EINVAL, aspace_map_alloc(as, VA1G, PG2M, RW, populate, 0));
		EXPECT_UNCHANGED(as, -EINVAL,
				 aspace_map_alloc(as, VA1G, PG2M, RW, populate, 0x2000));
		EXPECT_UNCHANGED(as, -EINVAL, aspace_map_alloc(as, VA1G, PG2M, RW, populate, 3));
		/* Bad flags. */
		EXPECT_UNCHANGED(as, -EINVAL, aspace_map_alloc(as, VA1G, PG4K, 0, populate, PG4K));
		EXPECT_UNCHANGED(as, -EINVAL,
				 aspace_map_alloc(as, VA1G, PG4K, MAPF_WRITE, populate, PG4K));
		EXPECT_UNCHANGED(
		    as, -EINVAL,
		    aspace_map_alloc(as, VA1G, PG4K, RW | MAPF_GLOBAL, populate, PG4K));
		EXPECT_UNCHANGED(as, -EINVAL,
				 aspace_map_alloc(as, VA1G, PG4K, RW | (1u << 12), populate, PG4K));
		/* Overflow, and leaving the space at either end. */
		EXPECT_UNCHANGED(
		    as, -EINVAL,
		    aspace_map_alloc(as, 0xfffffffffffff000UL, 0x2000, RW, populate, PG4K));
		EXPECT_UNCHANGED(
		    as, -EINVAL,
		    aspace_map_alloc(as, USER_VA_END - PG4K, 2 * PG4K, RW, populate, PG4K));
		EXPECT_UNCHANGED(as, -EINVAL, aspace_map_alloc(as, 0, PG4K, RW, populate, PG4K));
		EXPECT_UNCHANGED(as, -EINVAL,
				 aspace_map_alloc(as, USER_VA_END, PG4K, RW, populate, PG4K));
		/* Overlap: inside, straddling either end, containing, identical. */
		EXPECT_UNCHANGED(as, -EEXIST,
				 aspace_map_alloc(as, VA + PG4K, PG4K, RW, populate, PG4K));
		EXPECT_UNCHANGED(as, -EEXIST,
				 aspace_map_alloc(as, VA - PG4K, 2 * PG4K, RW, populate, PG4K));
		EXPECT_UNCHANGED(as, -EEXIST,
				 aspace_map_alloc(as, VA + 3 * PG4K, 2 * PG4K, RW, populate, PG4K));
		EXPECT_UNCHANGED(as, -EEXIST,
				 aspace_map_alloc(as, VA - PG2M, 2 * PG2M, RW, populate, PG2M));
		EXPECT_UNCHANGED(as, -EEXIST,
				 aspace_map_alloc(as, VA, 4 * PG4K, RW, populate, PG4K));
		EXPECT_UNCHANGED(as, -EEXIST, aspace_map_alloc(as, VA2, PG2M, RW, populate, PG2M));
	}
	/* Linear: the same, plus the physical side. */
	EXPECT_UNCHANGED(as, -EINVAL, aspace_map_linear(as, VA1G, ENV_LIN_BASE, 0, RW, PG4K));
	EXPECT_UNCHANGED(as, -EINVAL,
			 aspace_map_linear(as, VA1G, ENV_LIN_BASE + PG4K, PG2M, RW, PG2M));
	EXPECT_UNCHANGED(as, -EINVAL,
			 aspace_map_linear(as, VA1G, ENV_LIN_BASE + 1, PG4K, RW, PG4K));
	EXPECT_UNCHANGED(as, -EINVAL,
			 aspace_map_linear(as, VA1G + PG4K, ENV_LIN_BASE, PG2M, RW, PG2M));
	EXPECT_UNCHANGED(as, -EINVAL, aspace_map_linear(as, VA1G, 1ULL << 56, PG4K, RW, PG4K));
	EXPECT_UNCHANGED(as, -EINVAL,
			 aspace_map_linear(as, VA1G, (1ULL << 56) - PG4K, 2 * PG4K, RW, PG4K));
	EXPECT_UNCHANGED(as, -EINVAL,
			 aspace_map_linear(as, VA1G, UINT64_MAX - PG4K + 1, PG4K, RW, PG4K));
	EXPECT_UNCHANGED(as, -EINVAL,
			 aspace_map_linear(as, VA1G, ENV_LIN_BASE, PG4K, MAPF_WRITE, PG4K));
	EXPECT_UNCHANGED(as, -EINVAL,
			 aspace_map_linear(as, VA1G, ENV_LIN_BASE, PG4K, RW, 0x1000000));
	EXPECT_UNCHANGED(
	    as, -EINVAL,
	    aspace_map_linear(as, USER_VA_END - PG4K, ENV_LIN_BASE, 2 * PG4K, RW, PG4K));
	EXPECT_UNCHANGED(as, -EEXIST, aspace_map_linear(as, VA, ENV_LIN_BASE, PG4K, RW, PG4K));
	EXPECT_UNCHANGED(as, -EEXIST,
			 aspace_map_linear(as, VA2 + PG4K, ENV_LIN_BASE, PG4K, RW, PG4K));
	/* Unmap of a bad range. */
	EXPECT_UNCHANGED(as, -EINVAL, aspace_unmap(as, VA, 0));
	EXPECT_UNCHANGED(as, -EINVAL, aspace_unmap(as, 0xfffffffffffff000UL, 0x2000));
	EXPECT_UNCHANGED(as, -EINVAL, aspace_unmap(as, USER_VA_END - PG4K, 2 * PG4K));
	EXPECT_UNCHANGED(as, -EINVAL, aspace_unmap(as, 0, PG4K));
	/* Query outside the space and of a hole. */
	assert_int_equal(aspace_query(as, 0, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(aspace_query(as, USER_VA_END, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(aspace_query(as, VA + 4 * PG4K, NULL, NULL, NULL), -ENOENT);
	check_accounting(as, f->base);
}

static void test_linear(void **state)
{
	struct fixture *f = *state;
	paddr_t pa;
	unsigned flags;
	uint64_t size;

	assert_int_equal(
	    aspace_map_linear(&f->as, VA, ENV_LIN_BASE + PG2M, 4 * PG4K, RW | MAPF_USER, PG4K), 0);
	assert_int_equal(
	    aspace_map_linear(&f->as, VA2, ENV_LIN_BASE, 2 * PG2M, RX | MAPF_DEVICE, PG2M), 0);
	assert_int_equal(aspace_query(&f->as, VA + 3 * PG4K + 9, &pa, &flags, &size), 0);
	assert_int_equal(pa, ENV_LIN_BASE + PG2M + 3 * PG4K + 9);
	assert_int_equal(flags & PERM_MASK, RW | MAPF_USER);
	assert_int_equal(size, PG4K);
	assert_int_equal(aspace_query(&f->as, VA2 + PG2M + 9, &pa, &flags, &size), 0);
	assert_int_equal(pa, ENV_LIN_BASE + PG2M + 9);
	assert_int_equal(flags & PERM_MASK, RX | MAPF_DEVICE);
	assert_int_equal(size, PG2M);
	const struct aspace_area *a = aspace_find_area(&f->as, VA2);
	assert_int_equal(a->backend.kind, ASPACE_BACKEND_LINEAR);
	assert_int_equal(a->backend.linear.pa_va_offset, VA2 - ENV_LIN_BASE);
	struct aspace_stats st = stats(&f->as);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_4K], 4);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_2M], 2);
	assert_int_equal(st.alloc_pages_4k, 0);
	/* protect splits a Linear area and rewrites its PTEs, frames unchanged. */
	assert_int_equal(aspace_protect(&f->as, VA2 + PG2M, PG2M, RO), 0);
	assert_int_equal(aspace_query(&f->as, VA2 + PG2M + 9, &pa, &flags, &size), 0);
	assert_int_equal(pa, ENV_LIN_BASE + PG2M + 9);
	assert_int_equal(flags & PERM_MASK, RO);
	assert_int_equal(size, PG2M);
	assert_int_equal(aspace_query(&f->as, VA2, NULL, &flags, NULL), 0);
	assert_int_equal(flags & PERM_MASK, RX | MAPF_DEVICE);
	assert_int_equal(stats(&f->as).nr_areas, 3);
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_protect(&f->as, VA2, PG4K, RO));
	/* Splitting keeps the offset: the right part still maps its old frames. */
	assert_int_equal(aspace_unmap(&f->as, VA + PG4K, PG4K), 0);
	assert_int_equal(aspace_query(&f->as, VA + 2 * PG4K, &pa, NULL, NULL), 0);
	assert_int_equal(pa, ENV_LIN_BASE + PG2M + 2 * PG4K);
	assert_int_equal(aspace_unmap(&f->as, VA2, PG2M), 0);
	assert_int_equal(aspace_query(&f->as, VA2 + PG2M, &pa, NULL, NULL), 0);
	assert_int_equal(pa, ENV_LIN_BASE + PG2M);
	/* Linear frames are not the allocator's: nothing to free. */
	check_accounting(&f->as, f->base);
}

static void test_activate(void **state)
{
	struct fixture *f = *state;
	struct aspace other;

	assert_int_equal(aspace_map_alloc(&f->as, VA, PG4K, RW, false, PG4K), 0);
	assert_int_equal(aspace_fault_handler(VA, ACCESS_READ), -EFAULT); /* none active */
	aspace_activate(&f->as);
	assert_ptr_equal(aspace_current(), &f->as);
	assert_int_equal(hal_host_satp, pt_satp(&f->as.pt));
	assert_ptr_equal(hal_host_fault_handler, aspace_fault_handler);
	/* The handler axhal got resolves against the active space. */
	assert_int_equal(hal_host_fault_handler(VA + 8, ACCESS_WRITE), 0);
	assert_int_equal(stats(&f->as).faults, 1);
	assert_int_equal(hal_host_fault_handler(VA + PG4K, ACCESS_READ), -EFAULT);
	/* Another space becomes active; destroying it forgets it. */
	assert_int_equal(aspace_create(&other, SPACE_BASE, SPACE_SIZE), 0);
	aspace_activate(&other);
	assert_int_equal(hal_host_fault_handler(VA, ACCESS_READ), -EFAULT);
	aspace_destroy(&other);
	assert_null(aspace_current());
	assert_int_equal(aspace_fault_handler(VA, ACCESS_READ), -EFAULT);
	aspace_activate(&f->as);
	assert_ptr_equal(aspace_current(), &f->as);
	/* The fixture's teardown destroys the active space. */
}

/* The kernel table's pages come from axalloc, as kernel_space.c gives them. */
static const struct pt_frame_ops kpt_frames = {axalloc_frame_alloc, axalloc_frame_free, NULL};

/* The kernel's high half is shared, never copied or freed. */
static void test_kernel_half_shared(void **state)
{
	struct fixture *f = *state;
	const vaddr_t kva = -USER_VA_END + ENV_LIN_BASE; /* Sv39's upper half starts at -USER_VA_END */
	struct page_table kpt;
	struct aspace as;
	paddr_t pa;

	assert_int_equal(pt_init(&kpt, &kpt_frames), 0);
	assert_int_equal(pt_map(&kpt, kva, ENV_LIN_BASE, PG2M, RW | MAPF_GLOBAL), 0);
	aspace_set_kernel_table(&kpt);
	assert_int_equal(aspace_create(&as, SPACE_BASE, SPACE_SIZE), 0);
	assert_int_equal(pt_query(&as.pt, kva + 5, &pa, NULL, NULL), 0);
	assert_int_equal(pa, ENV_LIN_BASE + 5);
	assert_int_equal(stats(&as).pt_pages, 1);
	assert_int_equal(aspace_map_alloc(&as, VA, PG4K, RW, true, PG4K), 0);
	/* Destroying the active space switches back to the kernel's table. */
	aspace_activate(&as);
	aspace_destroy(&as);
	assert_int_equal(hal_host_satp, pt_satp(&kpt));
	assert_null(hal_host_fault_handler);
	assert_null(aspace_current());
	assert_int_equal(pt_query(&kpt, kva, &pa, NULL, NULL), 0);
	aspace_set_kernel_table(NULL);
	pt_destroy(&kpt);
	check_accounting(&f->as, f->base);
}

/* A mix of everything is returned by destroy (the teardown checks the baseline). */
static void test_destroy_mixed(void **state)
{
	struct fixture *f = *state;
	unsigned char b = 1;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 64 * PG4K, RW, true, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA + PG1G / 2, 8 * PG2M, RW, false, PG2M), 0);
	assert_int_equal(aspace_write(&f->as, VA + PG1G / 2 + 3 * PG2M + 7, &b, 1), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA2, 4 * PG2M, RX, true, PG2M), 0);
	assert_int_equal(aspace_map_linear(&f->as, VA1G, ENV_LIN_BASE, PG1G, RW, PG1G), 0);
	assert_int_equal(aspace_map_alloc(&f->as, 3 * PG1G, 1024 * PG4K, RW, false, PG4K), 0);
	for (int i = 0; i < 1024; i += 7)
		assert_int_equal(aspace_handle_page_fault(&f->as, 3 * PG1G + i * PG4K, ACCESS_READ),
				 0);
	assert_int_equal(aspace_protect(&f->as, VA + 8 * PG4K, 8 * PG4K, RO), 0);
	assert_int_equal(aspace_unmap(&f->as, VA + 32 * PG4K, 4 * PG4K), 0);
	check_accounting(&f->as, f->base);
	assert_true(stats(&f->as).pt_pages > 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_destroy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_find_free_area, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pt_pages_per_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lazy_vs_populate_4k, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lazy_vs_populate_2m, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lazy_vs_populate_1g, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_split_shrink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_partial_huge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_protect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_populate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_map_inputs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_linear, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_activate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kernel_half_shared, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_destroy_mixed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_thp.c - directed tests of transparent huge pages (CONFIG_MM_THP):
 * the policy and advice, fault-time 2M pages and their 4K fallback, split by
 * a partial unmap, protect or advise and by a COW write, clone of an area
 * holding them, aspace_collapse with 0, 1, 511 and 512 unmapped pages (and
 * refused for shared pages), the khugepaged scan step, every bad input with
 * nothing changed, and out of memory at every allocation of a THP fault,
 * populate, split, COW split and collapse. Figures are exact: statistics,
 * frames in use, page sizes, frames behind each 4K page and their counts.
 * Each test ends with a destroy that must bring the allocator back to its
 * baseline (the fixture's teardown).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aspace_test_fixture.h"

#define NR_4K_PER_2M (PG2M / PG4K) /* 512 */
#define SEED_A	     0x11
#define SEED_B	     0x6d

/* Pages in use beyond the fixture's baseline. */
static uint64_t used(const struct fixture *f)
{
	return mem_snap().pages - f->base.pages;
}

/* A lazy RW Alloc area of 4K pages. */
static void map_lazy(struct aspace *as, vaddr_t va, uint64_t size)
{
	assert_int_equal(aspace_map_alloc(as, va, size, RW, false, PG4K), 0);
}

/* The 512 4K frames of the 2M frame at head all hold `n` references. */
static void expect_block_refs(paddr_t head, uint32_t n)
{
	for (uint64_t i = 0; i < NR_4K_PER_2M; i++)
		if (frame_ref_get(head + i * PG4K) != n)
			fail_msg("frame %#lx: %u references, expected %u",
				 (unsigned long)(head + i * PG4K), frame_ref_get(head + i * PG4K),
				 n);
}

/* va is mapped by a transparent 2M page with frame head and PTE permissions perm. */
static void expect_huge(const struct aspace *as, vaddr_t va, paddr_t head, unsigned perm)
{
	assert_int_equal(pgsize_of(as, va), PG2M);
	assert_int_equal(frame_of(as, va), head);
	assert_int_equal(pa_of(as, va), head + (va & (PG2M - 1)));
	assert_int_equal(perm_of(as, va), perm);
}

/*
 * The 2M block at b is mapped by 4K pages on the frames of head (page i on
 * head + i * 4K) except for the pages in [hole, hole + nr_hole), which are
 * unmapped; every page has permissions perm.
 */
static void expect_split(const struct aspace *as, vaddr_t b, paddr_t head, uint64_t hole,
			 uint64_t nr_hole, unsigned perm)
{
	for (uint64_t i = 0; i < NR_4K_PER_2M; i++) {
		vaddr_t va = b + i * PG4K;

		if (i >= hole && i < hole + nr_hole) {
			assert_int_equal(aspace_query(as, va, NULL, NULL, NULL), -ENOENT);
			continue;
		}
		assert_int_equal(pgsize_of(as, va), PG4K);
		if (pa_of(as, va) != head + i * PG4K)
			fail_msg("page %lu of %#lx: frame %#lx, expected %#lx", (unsigned long)i,
				 (unsigned long)b, (unsigned long)pa_of(as, va),
				 (unsigned long)(head + i * PG4K));
		assert_int_equal(perm_of(as, va), perm);
	}
}

/* The transparent huge page statistics of a space, in one call. */
static void expect_thp_stats(const struct aspace *as, uint64_t thp_2m, uint64_t fault_alloc,
			     uint64_t fallback, uint64_t split, uint64_t collapse,
			     uint64_t collapse_failed)
{
	struct aspace_stats st = stats(as);

	assert_int_equal(st.thp_mapped[ASPACE_PGSIZE_4K], 0);
	assert_int_equal(st.thp_mapped[ASPACE_PGSIZE_2M], thp_2m);
	assert_int_equal(st.thp_mapped[ASPACE_PGSIZE_1G], 0);
	assert_int_equal(st.thp_fault_alloc, fault_alloc);
	assert_int_equal(st.thp_fault_fallback, fallback);
	assert_int_equal(st.thp_split_pmd, split);
	assert_int_equal(st.thp_collapse_alloc, collapse);
	assert_int_equal(st.thp_collapse_alloc_failed, collapse_failed);
}

/* Leaf pages mapped by size and the 4K frames behind them. */
static void expect_mapped(const struct aspace *as, uint64_t n4k, uint64_t n2m, uint64_t frames)
{
	struct aspace_stats st = stats(as);

	assert_int_equal(st.mapped[ASPACE_PGSIZE_4K], n4k);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_2M], n2m);
	assert_int_equal(st.mapped[ASPACE_PGSIZE_1G], 0);
	assert_int_equal(st.alloc_pages_4k, frames);
}

/* ---- policy and advice ---- */

static void test_thp_policy(void **state)
{
	struct fixture *f = *state;
	const enum aspace_thp_policy all[] = {ASPACE_THP_NEVER, ASPACE_THP_ALWAYS,
					      ASPACE_THP_MADVISE};
	struct aspace other;

	/* host.config picks the Kconfig default, madvise. */
	assert_int_equal(aspace_thp_policy(&f->as), ASPACE_THP_MADVISE);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		assert_int_equal(aspace_set_thp_policy(&f->as, all[i]), 0);
		assert_int_equal(aspace_thp_policy(&f->as), all[i]);
	}
	map_lazy(&f->as, VA, 2 * PG2M);
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_set_thp_policy(&f->as, (enum aspace_thp_policy)3));
	EXPECT_UNCHANGED(&f->as, -EINVAL,
			 aspace_set_thp_policy(&f->as, (enum aspace_thp_policy) - 1));
	assert_int_equal(aspace_thp_policy(&f->as), ASPACE_THP_MADVISE);
	/* The policy is per space. */
	assert_int_equal(aspace_create(&other, SPACE_BASE, SPACE_SIZE), 0);
	assert_int_equal(aspace_set_thp_policy(&other, ASPACE_THP_NEVER), 0);
	assert_int_equal(aspace_thp_policy(&f->as), ASPACE_THP_MADVISE);
	aspace_destroy(&other);
	/* A new area has no advice. */
	assert_int_equal(aspace_find_area(&f->as, VA)->advice, ASPACE_ADV_NONE);
}

/*
 * Every policy with every advice: a fault, and a populate, in an empty 2M
 * block of a 4K area map a 2M page exactly where the policy and advice
 * allow (always unless NOHUGEPAGE, madvise only with HUGEPAGE), else a 4K
 * page without counting a fallback.
 */
static void test_thp_policy_advice_matrix(void **state)
{
	struct fixture *f = *state;
	const enum aspace_thp_policy pols[] = {ASPACE_THP_NEVER, ASPACE_THP_MADVISE,
					       ASPACE_THP_ALWAYS};
	const enum aspace_advice advs[] = {ASPACE_ADV_NONE, ASPACE_ADV_HUGEPAGE,
					   ASPACE_ADV_NOHUGEPAGE};
	uint64_t huge = 0, n = 0;

	for (int p = 0; p < 3; p++) {
		for (int a = 0; a < 3; a++, n++) {
			vaddr_t va = VA + n * 2 * PG2M;
			bool want =
			    (pols[p] == ASPACE_THP_ALWAYS && advs[a] != ASPACE_ADV_NOHUGEPAGE) ||
			    (pols[p] == ASPACE_THP_MADVISE && advs[a] == ASPACE_ADV_HUGEPAGE);
			uint64_t size = want ? PG2M : PG4K;

			map_lazy(&f->as, va, 2 * PG2M);
			if (advs[a] != ASPACE_ADV_NONE)
				assert_int_equal(aspace_advise(&f->as, va, 2 * PG2M, advs[a]), 0);
			assert_int_equal(aspace_find_area(&f->as, va)->advice, advs[a]);
			assert_int_equal(aspace_set_thp_policy(&f->as, pols[p]), 0);
			/* Block 0 by a fault, block 1 by a populate of one page in its middle. */
			assert_int_equal(aspace_handle_page_fault(&f->as, va + 7, ACCESS_WRITE), 0);
			assert_int_equal(
			    aspace_populate(&f->as, va + PG2M + 100 * PG4K, PG4K, ACCESS_READ), 0);
			assert_int_equal(pgsize_of(&f->as, va), size);
			assert_int_equal(pgsize_of(&f->as, va + PG2M + 100 * PG4K), size);
			if (want) {
				assert_int_equal(pgsize_of(&f->as, va + PG2M), PG2M);
				huge += 2;
			} else {
				assert_int_equal(aspace_query(&f->as, va + PG2M, NULL, NULL, NULL),
						 -ENOENT);
			}
		}
	}
	/* 3 of 9 combinations allow it; a populate is no fault but a THP populate counts. */
	assert_int_equal(huge, 6);
	expect_mapped(&f->as, 2 * (9 - 3), huge, 2 * (9 - 3) + huge * NR_4K_PER_2M);
	expect_thp_stats(&f->as, huge, huge, 0, 0, 0, 0);
	assert_int_equal(stats(&f->as).faults, 9);
	/* Pages already mapped stay as they are when the policy or the advice changes. */
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_NEVER), 0);
	assert_int_equal(aspace_advise(&f->as, VA + 7 * 2 * PG2M, 2 * PG2M, ASPACE_ADV_NOHUGEPAGE),
			 0);
	assert_int_equal(pgsize_of(&f->as, VA + 7 * 2 * PG2M), PG2M);
	assert_int_equal(pgsize_of(&f->as, VA + 7 * 2 * PG2M + PG2M), PG2M);
	expect_thp_stats(&f->as, huge, huge, 0, 0, 0, 0);
	check_accounting(&f->as, f->base);
}

/* Bad advice and bad ranges: the documented error and nothing changed. */
static void test_thp_advise_errors(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	map_lazy(&f->as, VA, 2 * PG2M);
	fill(&f->as, VA, 64, SEED_A); /* a transparent 2M page at VA */
	assert_int_equal(aspace_map_alloc(&f->as, VA2, 2 * PG2M, RW, true, PG2M), 0);
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_advise(&f->as, VA, PG4K, ASPACE_ADV_NONE));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_advise(&f->as, VA, PG4K, (enum aspace_advice)7));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_advise(&f->as, VA + 1, PG4K, ASPACE_ADV_HUGEPAGE));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_advise(&f->as, VA, PG4K + 1, ASPACE_ADV_HUGEPAGE));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_advise(&f->as, VA, 0, ASPACE_ADV_HUGEPAGE));
	EXPECT_UNCHANGED(&f->as, -EINVAL,
			 aspace_advise(&f->as, USER_VA_END - PG4K, 2 * PG4K, ASPACE_ADV_HUGEPAGE));
	EXPECT_UNCHANGED(&f->as, -EINVAL,
			 aspace_advise(&f->as, VA, UINT64_MAX - PG4K + 1, ASPACE_ADV_HUGEPAGE));
	/* The range ends inside a page of a 2M area. */
	EXPECT_UNCHANGED(&f->as, -EINVAL,
			 aspace_advise(&f->as, VA2 + PG4K, PG2M, ASPACE_ADV_NOHUGEPAGE));
	/* A hole: also after a cut THP that would have been split. */
	EXPECT_UNCHANGED(&f->as, -ENOENT,
			 aspace_advise(&f->as, VA + PG4K, 2 * PG2M, ASPACE_ADV_HUGEPAGE));
	EXPECT_UNCHANGED(&f->as, -ENOENT,
			 aspace_advise(&f->as, VA - PG4K, 2 * PG4K, ASPACE_ADV_HUGEPAGE));
	EXPECT_UNCHANGED(&f->as, -ENOENT,
			 aspace_advise(&f->as, VA + 4 * PG2M, PG4K, ASPACE_ADV_HUGEPAGE));
	expect_thp_stats(&f->as, 1, 1, 0, 0, 0, 0);
	/* Fine on a 2M area and on a whole THP (nothing split). */
	assert_int_equal(aspace_advise(&f->as, VA2, PG2M, ASPACE_ADV_HUGEPAGE), 0);
	assert_int_equal(aspace_advise(&f->as, VA, PG2M, ASPACE_ADV_NOHUGEPAGE), 0);
	assert_int_equal(stats(&f->as).nr_areas, 4);
	assert_int_equal(aspace_find_area(&f->as, VA)->advice, ASPACE_ADV_NOHUGEPAGE);
	assert_int_equal(aspace_find_area(&f->as, VA + PG2M)->advice, ASPACE_ADV_NONE);
	assert_int_equal(aspace_find_area(&f->as, VA2)->advice, ASPACE_ADV_HUGEPAGE);
	assert_int_equal(aspace_find_area(&f->as, VA2 + PG2M)->advice, ASPACE_ADV_NONE);
	expect_thp_stats(&f->as, 1, 1, 0, 0, 0, 0);
	assert_int_equal(pgsize_of(&f->as, VA), PG2M);
	check_accounting(&f->as, f->base);
}

/* ---- fault-time huge pages ---- */

/* Policy always: faults, reads, writes and populates map whole 2M pages. */
static void test_thp_fault(void **state)
{
	struct fixture *f = *state;
	paddr_t head;
	uint64_t pgsize;
	paddr_t pa;
	unsigned flags;

	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	map_lazy(&f->as, VA, 2 * PG2M);
	assert_int_equal(used(f), 1); /* the root table */
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + PG2M + 123, ACCESS_READ), 0);
	/* One fault, one 2M page of 512 frames, and one L1 table below the root. */
	assert_int_equal(stats(&f->as).faults, 1);
	assert_int_equal(stats(&f->as).spurious_faults, 0);
	expect_mapped(&f->as, 0, 1, NR_4K_PER_2M);
	expect_thp_stats(&f->as, 1, 1, 0, 0, 0, 0);
	assert_int_equal(stats(&f->as).pt_pages, 2);
	assert_int_equal(used(f), 2 + NR_4K_PER_2M);
	check_accounting(&f->as, f->base);
	assert_int_equal(aspace_query(&f->as, VA + PG2M + 123, &pa, &flags, &pgsize), 0);
	assert_int_equal(pgsize, PG2M);
	head = pa - 123;
	assert_true(IS_ALIGNED(head, PG2M));
	assert_int_equal(flags & PERM_MASK, RW);
	expect_huge(&f->as, VA + 2 * PG2M - 1, head, RW);
	assert_int_equal(aspace_query(&f->as, VA + PG2M - 1, NULL, NULL, NULL), -ENOENT);
	expect_block_refs(head, 1);
	/* Zeroed; reading it faults nothing. */
	expect_zero(&f->as, VA + PG2M, PG2M);
	assert_int_equal(stats(&f->as).faults, 1);
	/* A write fault anywhere in it is spurious (it is writable). */
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + PG2M + 300 * PG4K, ACCESS_WRITE), 0);
	assert_int_equal(stats(&f->as).spurious_faults, 1);
	/* aspace_write faults in the other block: one more fault, one more 2M page. */
	fill(&f->as, VA + 5 * PG4K + 9, 100, SEED_A);
	assert_int_equal(stats(&f->as).faults, 2);
	expect_mapped(&f->as, 0, 2, 2 * NR_4K_PER_2M);
	expect_thp_stats(&f->as, 2, 2, 0, 0, 0, 0);
	assert_int_equal(pgsize_of(&f->as, VA), PG2M);
	expect_fill(&f->as, VA + 5 * PG4K + 9, 100, SEED_A);
	expect_zero(&f->as, VA, 5 * PG4K + 9);
	/* A populate over mapped pages does nothing. */
	EXPECT_UNCHANGED(&f->as, 0, aspace_populate(&f->as, VA, 2 * PG2M, ACCESS_READ));
	assert_int_equal(aspace_shared_pages(&f->as), 0);
	assert_int_equal(used(f), 2 + 2 * NR_4K_PER_2M);
	/* Unmapping both frees every frame and the L1 table. */
	assert_int_equal(aspace_unmap(&f->as, VA, 2 * PG2M), 0);
	expect_mapped(&f->as, 0, 0, 0);
	expect_thp_stats(&f->as, 0, 2, 0, 0, 0, 0);
	assert_int_equal(used(f), 1);
	expect_block_refs(head, 0);
}

/*
 * Where a 2M page is not eligible, a fault maps 4K and counts no fallback:
 * a block not wholly inside the area, a block with a page mapped, a fixed
 * 2M area (not transparent), a Linear area. A populate at map time is a
 * populate: transparent pages where eligible.
 */
static void test_thp_not_eligible(void **state)
{
	struct fixture *f = *state;
	const vaddr_t a = VA, b = VA + 64 * PG2M, c = VA + 128 * PG2M, d = VA + 192 * PG2M;
	const vaddr_t e = VA + 256 * PG2M;

	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	/* [a + 4K, a + 4M + 4K): only the block [a + 2M, a + 4M) lies inside. */
	map_lazy(&f->as, a + PG4K, 2 * PG2M);
	assert_int_equal(aspace_handle_page_fault(&f->as, a + 2 * PG4K, ACCESS_READ), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, a + PG2M + 2 * PG4K, ACCESS_READ), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, a + 2 * PG2M, ACCESS_READ), 0);
	assert_int_equal(pgsize_of(&f->as, a + 2 * PG4K), PG4K);
	assert_int_equal(pgsize_of(&f->as, a + PG2M + 2 * PG4K), PG2M);
	assert_int_equal(pgsize_of(&f->as, a + 2 * PG2M), PG4K);
	expect_thp_stats(&f->as, 1, 1, 0, 0, 0, 0);
	/* A block with one page mapped (while the policy was never). */
	map_lazy(&f->as, b, PG2M);
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_NEVER), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, b, ACCESS_WRITE), 0);
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, b + PG2M - 1, ACCESS_WRITE), 0);
	assert_int_equal(pgsize_of(&f->as, b + PG2M - 1), PG4K);
	assert_int_equal(aspace_query(&f->as, b + PG4K, NULL, NULL, NULL), -ENOENT);
	/* Fixed-size 2M pages are no transparent ones. */
	assert_int_equal(aspace_map_alloc(&f->as, c, 2 * PG2M, RW, false, PG2M), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, c + 5, ACCESS_READ), 0);
	assert_int_equal(pgsize_of(&f->as, c), PG2M);
	/* A Linear area of 4K pages stays 4K. */
	assert_int_equal(aspace_map_linear(&f->as, d, ENV_LIN_BASE, PG2M, RW, PG4K), 0);
	assert_int_equal(pgsize_of(&f->as, d), PG4K);
	expect_thp_stats(&f->as, 1, 1, 0, 0, 0, 0);
	assert_int_equal(stats(&f->as).faults, 6);
	expect_mapped(&f->as, 4 + NR_4K_PER_2M, 2, 4 + 2 * NR_4K_PER_2M);
	/* map_alloc with populate: two transparent pages (no faults). */
	assert_int_equal(aspace_map_alloc(&f->as, e, 2 * PG2M, RW, true, PG4K), 0);
	assert_int_equal(pgsize_of(&f->as, e), PG2M);
	assert_int_equal(pgsize_of(&f->as, e + PG2M), PG2M);
	expect_thp_stats(&f->as, 3, 3, 0, 0, 0, 0);
	assert_int_equal(stats(&f->as).faults, 6);
	expect_zero(&f->as, e + PG2M - 64, 128);
	check_accounting(&f->as, f->base);
}

/*
 * No free 2M frame: an eligible block gets a 4K page and counts a
 * fallback; a block with a page mapped is not eligible any more (no second
 * fallback). With the frames back, collapse builds the 2M pages.
 */
static void test_thp_fault_fallback(void **state)
{
	struct fixture *f = *state;
	static struct hog_2m hog;

	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	map_lazy(&f->as, VA, 2 * PG2M);
	hog_2m_frames(&hog, 4); /* room for 1024 4K frames and their tables */
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + 5, ACCESS_WRITE), 0);
	assert_int_equal(pgsize_of(&f->as, VA), PG4K);
	expect_thp_stats(&f->as, 0, 0, 1, 0, 0, 0);
	assert_int_equal(stats(&f->as).faults, 1);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + PG4K, ACCESS_READ), 0);
	expect_thp_stats(&f->as, 0, 0, 1, 0, 0, 0);
	/* A write across both blocks: a fallback for the empty one only. */
	fill(&f->as, VA + PG2M - 8, 16, SEED_A);
	assert_int_equal(stats(&f->as).faults, 4);
	expect_thp_stats(&f->as, 0, 0, 2, 0, 0, 0);
	assert_int_equal(aspace_populate(&f->as, VA, 2 * PG2M, ACCESS_READ), 0);
	expect_thp_stats(&f->as, 0, 0, 2, 0, 0, 0);
	expect_mapped(&f->as, 2 * NR_4K_PER_2M, 0, 2 * NR_4K_PER_2M);
	/* Root, L1 and two L0 tables. */
	assert_int_equal(stats(&f->as).pt_pages, 4);
	assert_int_equal(used(f) - (uint64_t)hog.nr_pinned - (uint64_t)hog.nr_blocks * NR_4K_PER_2M,
			 4 + 2 * NR_4K_PER_2M);
	/* Collapse needs a 2M frame too. */
	assert_int_equal(aspace_collapse(&f->as, VA, 2 * PG2M), -ENOMEM);
	expect_thp_stats(&f->as, 0, 0, 2, 0, 0, 1);
	unhog_2m_frames(&hog);
	check_accounting(&f->as, f->base);
	assert_int_equal(aspace_collapse(&f->as, VA, 2 * PG2M), 2);
	expect_thp_stats(&f->as, 2, 0, 2, 0, 2, 1);
	expect_mapped(&f->as, 0, 2, 2 * NR_4K_PER_2M);
	assert_int_equal(used(f), 2 + 2 * NR_4K_PER_2M);
	expect_fill(&f->as, VA + PG2M - 8, 16, SEED_A);
	expect_zero(&f->as, VA, PG2M - 8);
	expect_zero(&f->as, VA + PG2M + 8, PG2M - 8);
	check_accounting(&f->as, f->base);
}

/* ---- split ---- */

/* A transparent 2M page filled with the pattern of seed at b (policy always); its frame. */
static paddr_t make_thp(struct aspace *as, vaddr_t b, uint8_t seed)
{
	assert_int_equal(aspace_set_thp_policy(as, ASPACE_THP_ALWAYS), 0);
	fill(as, b, PG2M, seed);
	assert_int_equal(pgsize_of(as, b), PG2M);
	return frame_of(as, b);
}

/*
 * A partial unmap splits the page into 4K pages of the same frames; the
 * unmapped frames are freed, the rest keep contents and permissions. An
 * unmap of whole transparent pages splits nothing.
 */
static void test_thp_split_unmap(void **state)
{
	struct fixture *f = *state;
	const vaddr_t b2 = VA + 64 * PG2M;
	paddr_t h0, h1, h2, h3;
	uint64_t before;

	map_lazy(&f->as, VA, 2 * PG2M);
	h0 = make_thp(&f->as, VA, SEED_A);
	h1 = make_thp(&f->as, VA + PG2M, SEED_B);
	before = used(f);
	assert_int_equal(before, 2 + 2 * NR_4K_PER_2M);
	/* Pages 100-109 of the first. */
	assert_int_equal(aspace_unmap(&f->as, VA + 100 * PG4K, 10 * PG4K), 0);
	expect_thp_stats(&f->as, 1, 2, 0, 1, 0, 0);
	expect_mapped(&f->as, NR_4K_PER_2M - 10, 1, 2 * NR_4K_PER_2M - 10);
	assert_int_equal(stats(&f->as).nr_areas, 2);
	assert_int_equal(stats(&f->as).pt_pages, 3);
	/* 10 frames freed, one L0 table taken. */
	assert_int_equal(used(f), before - 10 + 1);
	expect_split(&f->as, VA, h0, 100, 10, RW);
	for (uint64_t i = 0; i < NR_4K_PER_2M; i++)
		assert_int_equal(frame_ref_get(h0 + i * PG4K), i >= 100 && i < 110 ? 0 : 1);
	expect_fill(&f->as, VA, 100 * PG4K, SEED_A);
	expect_fill(&f->as, VA + 110 * PG4K, PG2M - 110 * PG4K, SEED_A);
	expect_huge(&f->as, VA + PG2M, h1, RW);
	/* The second, whole: no split; its 512 frames go back. */
	assert_int_equal(aspace_unmap(&f->as, VA + PG2M, PG2M), 0);
	expect_thp_stats(&f->as, 0, 2, 0, 1, 0, 0);
	assert_int_equal(used(f), before - 10 + 1 - NR_4K_PER_2M);
	expect_block_refs(h1, 0);
	/* One range cutting two pages: both split, each keeps the pages outside it. */
	map_lazy(&f->as, b2, 2 * PG2M);
	h2 = make_thp(&f->as, b2, SEED_A);
	h3 = make_thp(&f->as, b2 + PG2M, SEED_B);
	assert_int_equal(aspace_unmap(&f->as, b2 + PG2M - 2 * PG4K, 5 * PG4K), 0);
	expect_thp_stats(&f->as, 0, 4, 0, 3, 0, 0);
	expect_split(&f->as, b2, h2, NR_4K_PER_2M - 2, 2, RW);
	expect_split(&f->as, b2 + PG2M, h3, 0, 3, RW);
	expect_fill(&f->as, b2, PG2M - 2 * PG4K, SEED_A);
	expect_fill(&f->as, b2 + PG2M + 3 * PG4K, PG2M - 3 * PG4K, SEED_B);
	assert_int_equal(frame_ref_get(h2 + (NR_4K_PER_2M - 1) * PG4K), 0);
	assert_int_equal(frame_ref_get(h3 + 2 * PG4K), 0);
	assert_int_equal(frame_ref_get(h3 + 3 * PG4K), 1);
	check_accounting(&f->as, f->base);
}

/*
 * A protect whose range ends inside a transparent page splits it (even
 * without a change of flags); a protect of whole pages does not.
 */
static void test_thp_split_protect(void **state)
{
	struct fixture *f = *state;
	paddr_t h0, h1, h2;
	uint64_t before;

	map_lazy(&f->as, VA, 3 * PG2M);
	h0 = make_thp(&f->as, VA, SEED_A);
	h1 = make_thp(&f->as, VA + PG2M, SEED_B);
	h2 = make_thp(&f->as, VA + 2 * PG2M, SEED_A);
	before = used(f);
	assert_int_equal(aspace_protect(&f->as, VA + 2 * PG4K, PG4K, RO), 0);
	expect_thp_stats(&f->as, 2, 3, 0, 1, 0, 0);
	assert_int_equal(stats(&f->as).nr_areas, 3);
	assert_int_equal(used(f), before + 1); /* the L0 table; nothing freed or copied */
	for (uint64_t i = 0; i < NR_4K_PER_2M; i++) {
		assert_int_equal(pa_of(&f->as, VA + i * PG4K), h0 + i * PG4K);
		assert_int_equal(perm_of(&f->as, VA + i * PG4K), i == 2 ? RO : RW);
		assert_int_equal(frame_ref_get(h0 + i * PG4K), 1);
	}
	expect_fill(&f->as, VA, PG2M, SEED_A);
	/* Whole pages: no split. */
	assert_int_equal(aspace_protect(&f->as, VA + PG2M, PG2M, RO), 0);
	expect_huge(&f->as, VA + PG2M, h1, RO);
	assert_int_equal(aspace_protect(&f->as, VA + PG2M, PG2M, RW), 0);
	expect_huge(&f->as, VA + PG2M, h1, RW);
	expect_thp_stats(&f->as, 2, 3, 0, 1, 0, 0);
	assert_int_equal(stats(&f->as).cow_faults, 0);
	/* The same flags, but the range still ends inside the third page. */
	assert_int_equal(aspace_protect(&f->as, VA + 2 * PG2M, 7 * PG4K, RW), 0);
	expect_thp_stats(&f->as, 1, 3, 0, 2, 0, 0);
	expect_split(&f->as, VA + 2 * PG2M, h2, 0, 0, RW);
	expect_fill(&f->as, VA + PG2M, PG2M, SEED_B);
	expect_fill(&f->as, VA + 2 * PG2M, PG2M, SEED_A);
	check_accounting(&f->as, f->base);
}

/* Advice whose range ends inside a transparent page splits it; new faults follow the advice. */
static void test_thp_split_advise(void **state)
{
	struct fixture *f = *state;
	paddr_t h0;

	map_lazy(&f->as, VA, 4 * PG2M);
	h0 = make_thp(&f->as, VA, SEED_A);
	assert_int_equal(aspace_advise(&f->as, VA + 3 * PG4K, PG4K, ASPACE_ADV_HUGEPAGE), 0);
	expect_thp_stats(&f->as, 0, 1, 0, 1, 0, 0);
	expect_split(&f->as, VA, h0, 0, 0, RW);
	expect_fill(&f->as, VA, PG2M, SEED_A);
	assert_int_equal(stats(&f->as).nr_areas, 3);
	assert_int_equal(aspace_find_area(&f->as, VA)->advice, ASPACE_ADV_NONE);
	assert_int_equal(aspace_find_area(&f->as, VA + 3 * PG4K)->advice, ASPACE_ADV_HUGEPAGE);
	assert_int_equal(aspace_find_area(&f->as, VA + 4 * PG4K)->advice, ASPACE_ADV_NONE);
	/* NOHUGEPAGE on block 1 under always; HUGEPAGE on block 3 under madvise. */
	assert_int_equal(aspace_advise(&f->as, VA + PG2M, PG2M, ASPACE_ADV_NOHUGEPAGE), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + PG2M, ACCESS_READ), 0);
	assert_int_equal(pgsize_of(&f->as, VA + PG2M), PG4K);
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_MADVISE), 0);
	assert_int_equal(aspace_advise(&f->as, VA + 3 * PG2M, PG2M, ASPACE_ADV_HUGEPAGE), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + 2 * PG2M, ACCESS_READ), 0);
	assert_int_equal(aspace_handle_page_fault(&f->as, VA + 3 * PG2M, ACCESS_READ), 0);
	assert_int_equal(pgsize_of(&f->as, VA + 2 * PG2M), PG4K);
	assert_int_equal(pgsize_of(&f->as, VA + 3 * PG2M), PG2M);
	expect_thp_stats(&f->as, 1, 2, 0, 1, 0, 0);
	assert_int_equal(stats(&f->as).nr_areas, 6);
	check_accounting(&f->as, f->base);
}

/* ---- copy-on-write ---- */

/*
 * Clone shares each transparent page as one 2M mapping in both spaces. A
 * write splits it in the writing space and copies only the 4K page written;
 * the other space still maps 2M. A write to a page nobody shares restores
 * write: on the whole 2M page, or on the one 4K page of a split one.
 */
static void test_thp_cow(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;
	paddr_t h0, h1, copy;
	uint8_t byte = 0xee;
	uint64_t pt;

	map_lazy(&f->as, VA, 2 * PG2M);
	h0 = make_thp(&f->as, VA, SEED_A);
	h1 = make_thp(&f->as, VA + PG2M, SEED_B);
	assert_int_equal(aspace_create(&kid, SPACE_BASE, SPACE_SIZE), 0);
	assert_int_equal(aspace_clone(&kid, &f->as), 0);
	/* The kid has the parent's policy and the pages as 2M mappings, without faults. */
	assert_int_equal(aspace_thp_policy(&kid), ASPACE_THP_ALWAYS);
	expect_mapped(&kid, 0, 2, 2 * NR_4K_PER_2M);
	expect_thp_stats(&kid, 2, 0, 0, 0, 0, 0);
	assert_int_equal(stats(&kid).faults, 0);
	expect_huge(&kid, VA, h0, RO);
	expect_huge(&kid, VA + PG2M, h1, RO);
	expect_huge(&f->as, VA, h0, RO);
	expect_huge(&f->as, VA + PG2M, h1, RO);
	expect_block_refs(h0, 2);
	expect_block_refs(h1, 2);
	assert_int_equal(aspace_shared_pages(&f->as), 2);
	assert_int_equal(aspace_shared_pages(&kid), 2);
	pt = stats(&f->as).pt_pages + stats(&kid).pt_pages;
	assert_int_equal(used(f), pt + 2 * NR_4K_PER_2M);

	/* The kid writes page 5 of the first: split there, one 4K copy. */
	assert_int_equal(aspace_write(&kid, VA + 5 * PG4K + 7, &byte, 1), 0);
	expect_thp_stats(&kid, 1, 0, 0, 1, 0, 0);
	assert_int_equal(stats(&kid).cow_faults, 1);
	assert_int_equal(stats(&kid).cow_copies, 1);
	expect_mapped(&kid, NR_4K_PER_2M, 1, 2 * NR_4K_PER_2M);
	copy = pa_of(&kid, VA + 5 * PG4K);
	assert_true(copy < h0 || copy >= h0 + PG2M);
	assert_int_equal(frame_ref_get(copy), 1);
	for (uint64_t i = 0; i < NR_4K_PER_2M; i++) {
		vaddr_t va = VA + i * PG4K;

		assert_int_equal(pgsize_of(&kid, va), PG4K);
		if (i == 5) {
			assert_int_equal(perm_of(&kid, va), RW);
			continue;
		}
		assert_int_equal(pa_of(&kid, va), h0 + i * PG4K);
		assert_int_equal(perm_of(&kid, va), RO);
		assert_int_equal(frame_ref_get(h0 + i * PG4K), 2);
	}
	assert_int_equal(frame_ref_get(h0 + 5 * PG4K), 1);
	/* The parent still maps one 2M page, unsplit, read-only, with the old bytes. */
	expect_huge(&f->as, VA, h0, RO);
	expect_thp_stats(&f->as, 2, 2, 0, 0, 0, 0);
	assert_int_equal(stats(&f->as).cow_faults, 0);
	expect_fill(&f->as, VA, PG2M, SEED_A);
	expect_fill(&kid, VA, 5 * PG4K + 7, SEED_A);
	expect_fill(&kid, VA + 5 * PG4K + 8, PG2M - 5 * PG4K - 8, SEED_A);
	/* One frame copied, one L0 table for the kid's split. */
	assert_int_equal(used(f), pt + 1 + 2 * NR_4K_PER_2M + 1);

	/* The kid drops the second whole: the parent's write restores write on all 2M. */
	assert_int_equal(aspace_unmap(&kid, VA + PG2M, PG2M), 0);
	expect_block_refs(h1, 1);
	assert_int_equal(aspace_write(&f->as, VA + PG2M + 3, &byte, 1), 0);
	expect_huge(&f->as, VA + PG2M, h1, RW);
	assert_int_equal(stats(&f->as).cow_faults, 1);
	assert_int_equal(stats(&f->as).cow_copies, 0);
	expect_thp_stats(&f->as, 2, 2, 0, 0, 0, 0);

	/*
	 * The parent writes page 5 of the first, which only it maps now: the
	 * 2M page is still shared (its other frames), so it splits, and page 5
	 * gets write back without a copy.
	 */
	assert_int_equal(aspace_write(&f->as, VA + 5 * PG4K, &byte, 1), 0);
	expect_thp_stats(&f->as, 1, 2, 0, 1, 0, 0);
	assert_int_equal(stats(&f->as).cow_faults, 2);
	assert_int_equal(stats(&f->as).cow_copies, 0);
	assert_int_equal(pa_of(&f->as, VA + 5 * PG4K), h0 + 5 * PG4K);
	assert_int_equal(perm_of(&f->as, VA + 5 * PG4K), RW);
	assert_int_equal(perm_of(&f->as, VA + 6 * PG4K), RO);
	/* Shared pages can not be collapsed. */
	EXPECT_UNCHANGED(&f->as, 0, aspace_collapse(&f->as, VA, PG2M));
	EXPECT_UNCHANGED(&kid, 0, aspace_collapse(&kid, VA, PG2M));

	/* The kid goes: every frame has one reference; a write restores, a collapse works. */
	aspace_destroy(&kid);
	expect_block_refs(h0, 1);
	assert_int_equal(frame_ref_get(copy), 0);
	assert_int_equal(aspace_write(&f->as, VA + 6 * PG4K, &byte, 1), 0);
	assert_int_equal(pa_of(&f->as, VA + 6 * PG4K), h0 + 6 * PG4K);
	assert_int_equal(stats(&f->as).cow_copies, 0);
	assert_int_equal(aspace_collapse(&f->as, VA, PG2M), 1);
	expect_thp_stats(&f->as, 2, 2, 0, 1, 1, 0);
	assert_int_equal(perm_of(&f->as, VA + 7 * PG4K), RW); /* COW-pending no more */
	expect_fill(&f->as, VA + 7 * PG4K, PG2M - 7 * PG4K, SEED_A);
	assert_int_equal(used(f), stats(&f->as).pt_pages + 2 * NR_4K_PER_2M);
	check_accounting(&f->as, f->base);
}

/*
 * A protect that adds write to a shared transparent page: as its 4K pages
 * would, every one of them is copied (the page is split first); the other
 * space keeps its 2M page.
 */
static void test_thp_cow_protect(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;
	paddr_t h0;

	map_lazy(&f->as, VA, PG2M);
	h0 = make_thp(&f->as, VA, SEED_A);
	assert_int_equal(aspace_protect(&f->as, VA, PG2M, RO), 0);
	assert_int_equal(aspace_create(&kid, SPACE_BASE, SPACE_SIZE), 0);
	assert_int_equal(aspace_clone(&kid, &f->as), 0);
	expect_block_refs(h0, 2);
	assert_int_equal(aspace_protect(&kid, VA, PG2M, RW), 0);
	expect_thp_stats(&kid, 0, 0, 0, 1, 0, 0);
	assert_int_equal(stats(&kid).cow_faults, NR_4K_PER_2M);
	assert_int_equal(stats(&kid).cow_copies, NR_4K_PER_2M);
	expect_mapped(&kid, NR_4K_PER_2M, 0, NR_4K_PER_2M);
	for (uint64_t i = 0; i < NR_4K_PER_2M; i++) {
		paddr_t pa = pa_of(&kid, VA + i * PG4K);

		assert_true(pa < h0 || pa >= h0 + PG2M);
		assert_int_equal(perm_of(&kid, VA + i * PG4K), RW);
	}
	expect_block_refs(h0, 1);
	expect_huge(&f->as, VA, h0, RO);
	expect_fill(&kid, VA, PG2M, SEED_A);
	aspace_destroy(&kid);
	check_accounting(&f->as, f->base);
}

/* aspace_copy copies a transparent page into a new 2M frame, as a transparent page. */
static void test_thp_copy(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;
	paddr_t h0;

	map_lazy(&f->as, VA, PG2M);
	h0 = make_thp(&f->as, VA, SEED_A);
	assert_int_equal(aspace_create(&kid, SPACE_BASE, SPACE_SIZE), 0);
	assert_int_equal(aspace_copy(&kid, &f->as), 0);
	assert_int_equal(pgsize_of(&kid, VA), PG2M);
	assert_true(frame_of(&kid, VA) != h0);
	assert_int_equal(perm_of(&kid, VA), RW);
	expect_thp_stats(&kid, 1, 0, 0, 0, 0, 0);
	expect_block_refs(h0, 1);
	expect_block_refs(frame_of(&kid, VA), 1);
	expect_fill(&kid, VA, PG2M, SEED_A);
	expect_huge(&f->as, VA, h0, RW);
	aspace_destroy(&kid);
	check_accounting(&f->as, f->base);
}

/* ---- collapse ---- */

/*
 * Four blocks with 0, 1, 511 and 512 unmapped pages (max_ptes_none 511):
 * the first three collapse, keeping their bytes, with zeroes where nothing
 * was mapped; the old frames and the L0 tables are freed; the fourth is
 * skipped. A second collapse skips them all (already huge).
 */
static void test_thp_collapse(void **state)
{
	struct fixture *f = *state;
	const vaddr_t b0 = VA, b1 = VA + PG2M, b2 = VA + 2 * PG2M, b3 = VA + 3 * PG2M;

	assert_int_equal(CONFIG_MM_THP_MAX_PTES_NONE, 511);
	map_lazy(&f->as, VA, 4 * PG2M);
	fill(&f->as, b0, PG2M, SEED_A);
	fill(&f->as, b1, 7 * PG4K, SEED_A);
	fill(&f->as, b1 + 8 * PG4K, PG2M - 8 * PG4K, SEED_A);
	fill(&f->as, b2 + 300 * PG4K, PG4K, SEED_B);
	/* Default policy madvise, no advice: 4K pages only. */
	expect_mapped(&f->as, 1024, 0, 1024);
	assert_int_equal(stats(&f->as).pt_pages, 5);
	assert_int_equal(used(f), 5 + 1024);
	assert_int_equal(aspace_collapse(&f->as, VA, 4 * PG2M), 3);
	expect_thp_stats(&f->as, 3, 0, 0, 0, 3, 0);
	expect_mapped(&f->as, 0, 3, 3 * NR_4K_PER_2M);
	assert_int_equal(stats(&f->as).pt_pages, 2);
	assert_int_equal(used(f), 2 + 3 * NR_4K_PER_2M);
	assert_int_equal(stats(&f->as).faults, 1024);
	for (int i = 0; i < 3; i++) {
		vaddr_t b = VA + (uint64_t)i * PG2M;

		assert_int_equal(pgsize_of(&f->as, b), PG2M);
		assert_int_equal(perm_of(&f->as, b), RW);
		expect_block_refs(frame_of(&f->as, b), 1);
	}
	assert_int_equal(aspace_query(&f->as, b3, NULL, NULL, NULL), -ENOENT);
	expect_fill(&f->as, b0, PG2M, SEED_A);
	expect_fill(&f->as, b1, 7 * PG4K, SEED_A);
	expect_zero(&f->as, b1 + 7 * PG4K, PG4K);
	expect_fill(&f->as, b1 + 8 * PG4K, PG2M - 8 * PG4K, SEED_A);
	expect_zero(&f->as, b2, 300 * PG4K);
	expect_fill(&f->as, b2 + 300 * PG4K, PG4K, SEED_B);
	expect_zero(&f->as, b2 + 301 * PG4K, PG2M - 301 * PG4K);
	/* Reading didn't fault (everything is mapped); nothing to collapse now. */
	assert_int_equal(stats(&f->as).faults, 1024);
	EXPECT_UNCHANGED(&f->as, 0, aspace_collapse(&f->as, VA, 4 * PG2M));
	/* A split page collapses again into a new frame; the old one is freed. */
	{
		paddr_t old = frame_of(&f->as, b0);

		assert_int_equal(aspace_unmap(&f->as, b0 + 9 * PG4K, PG4K), 0);
		assert_int_equal(stats(&f->as).nr_areas, 2);
		/* The hole is no area now: a range over it is -ENOENT. */
		EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_collapse(&f->as, b0, PG2M));
		assert_int_equal(aspace_map_alloc(&f->as, b0 + 9 * PG4K, PG4K, RW, false, PG4K), 0);
		/* Three areas in the block now: not inside one area, skipped. */
		EXPECT_UNCHANGED(&f->as, 0, aspace_collapse(&f->as, b0, PG2M));
		expect_split(&f->as, b0, old, 9, 1, RW);
	}
	check_accounting(&f->as, f->base);
}

/*
 * Blocks that collapse skips: a block not wholly inside the range or inside
 * one area, a NOHUGEPAGE area, a fixed 2M area, a Linear area; the policy
 * does not matter.
 */
static void test_thp_collapse_skips(void **state)
{
	struct fixture *f = *state;
	const vaddr_t a = VA, b = VA + 64 * PG2M, c = VA + 128 * PG2M, d = VA + 192 * PG2M;

	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_NEVER), 0);
	map_lazy(&f->as, a + PG4K, 2 * PG2M); /* only [a + 2M, a + 4M) is a whole block */
	fill(&f->as, a + PG4K, 2 * PG2M, SEED_A);
	map_lazy(&f->as, b, PG2M);
	fill(&f->as, b, PG4K, SEED_A);
	assert_int_equal(aspace_advise(&f->as, b, PG2M, ASPACE_ADV_NOHUGEPAGE), 0);
	assert_int_equal(aspace_map_alloc(&f->as, c, PG2M, RW, true, PG2M), 0);
	assert_int_equal(aspace_map_linear(&f->as, d, ENV_LIN_BASE, PG2M, RW, PG4K), 0);
	/* The range holds no whole block of the first area. */
	EXPECT_UNCHANGED(&f->as, 0, aspace_collapse(&f->as, a + PG2M + PG4K, PG2M));
	EXPECT_UNCHANGED(&f->as, 0, aspace_collapse(&f->as, a + PG4K, PG2M));
	EXPECT_UNCHANGED(&f->as, 0, aspace_collapse(&f->as, b, PG2M));
	EXPECT_UNCHANGED(&f->as, 0, aspace_collapse(&f->as, c, PG2M));
	EXPECT_UNCHANGED(&f->as, 0, aspace_collapse(&f->as, d, PG2M));
	/* Policy never, and the first area: one block. */
	assert_int_equal(aspace_collapse(&f->as, a + PG4K, 2 * PG2M), 1);
	assert_int_equal(pgsize_of(&f->as, a + PG2M), PG2M);
	assert_int_equal(pgsize_of(&f->as, a + PG4K), PG4K);
	assert_int_equal(pgsize_of(&f->as, a + 2 * PG2M), PG4K);
	expect_fill(&f->as, a + PG4K, 2 * PG2M, SEED_A);
	expect_thp_stats(&f->as, 1, 0, 0, 0, 1, 0);
	check_accounting(&f->as, f->base);
}

/* A block with any page shared is skipped until no page of it is. */
static void test_thp_collapse_shared(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;

	map_lazy(&f->as, VA, 2 * PG2M);
	fill(&f->as, VA, 2 * PG2M, SEED_A);
	assert_int_equal(aspace_create(&kid, SPACE_BASE, SPACE_SIZE), 0);
	assert_int_equal(aspace_clone(&kid, &f->as), 0);
	EXPECT_UNCHANGED(&f->as, 0, aspace_collapse(&f->as, VA, 2 * PG2M));
	EXPECT_UNCHANGED(&kid, 0, aspace_collapse(&kid, VA, 2 * PG2M));
	/* Block 1: the kid keeps its last page, then drops it too. */
	assert_int_equal(aspace_unmap(&kid, VA + PG2M, PG2M - PG4K), 0);
	EXPECT_UNCHANGED(&f->as, 0, aspace_collapse(&f->as, VA + PG2M, PG2M));
	assert_int_equal(aspace_unmap(&kid, VA + 2 * PG2M - PG4K, PG4K), 0);
	assert_int_equal(aspace_collapse(&f->as, VA + PG2M, PG2M), 1);
	/*
	 * Block 0: the kid copies page 0 (its own now); the parent drops all but
	 * pages 0 and 1, then page 1: only then is nothing of the kid's block shared.
	 */
	fill(&kid, VA, 8, SEED_B);
	assert_int_equal(aspace_unmap(&f->as, VA + 2 * PG4K, PG2M - 2 * PG4K), 0);
	EXPECT_UNCHANGED(&kid, 0, aspace_collapse(&kid, VA, PG2M));
	assert_int_equal(aspace_unmap(&f->as, VA + PG4K, PG4K), 0);
	assert_int_equal(aspace_collapse(&kid, VA, PG2M), 1);
	/* COW-pending pages whose frame nobody else maps: writable in the new page. */
	assert_int_equal(perm_of(&kid, VA + 100 * PG4K), RW);
	expect_fill(&kid, VA, 8, SEED_B);
	expect_fill(&kid, VA + 8, PG2M - 8, SEED_A);
	expect_fill(&f->as, VA, PG4K, SEED_A);
	expect_fill(&f->as, VA + PG2M, PG2M, SEED_A);
	expect_thp_stats(&kid, 1, 0, 0, 0, 1, 0);
	expect_thp_stats(&f->as, 1, 0, 0, 0, 1, 0);
	aspace_destroy(&kid);
	check_accounting(&f->as, f->base);
}

/* Bad ranges, holes, and no 2M frame: the documented error, and nothing else changed. */
static void test_thp_collapse_errors(void **state)
{
	struct fixture *f = *state;
	struct space_snap before, after;

	map_lazy(&f->as, VA, 2 * PG2M);
	fill(&f->as, VA, PG4K, SEED_A);
	fill(&f->as, VA + PG2M, PG4K, SEED_A);
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_collapse(&f->as, VA + 1, PG2M));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_collapse(&f->as, VA, PG2M + 1));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_collapse(&f->as, VA, 0));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_collapse(&f->as, USER_VA_END - PG2M, 2 * PG2M));
	EXPECT_UNCHANGED(&f->as, -EINVAL, aspace_collapse(&f->as, VA, UINT64_MAX - PG4K + 1));
	/* A hole after eligible blocks: nothing collapsed. */
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_collapse(&f->as, VA, 3 * PG2M));
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_collapse(&f->as, VA - PG2M, 2 * PG2M));
	expect_thp_stats(&f->as, 0, 0, 0, 0, 0, 0);
	/* No 2M frame for the first block: -ENOMEM, counted, nothing else changed. */
	snap_take(&f->as, &before, true);
	axalloc_fail_after(0);
	assert_int_equal(aspace_collapse(&f->as, VA, 2 * PG2M), -ENOMEM);
	axalloc_fail_after(-1);
	snap_take(&f->as, &after, true);
	assert_int_equal(after.st.thp_collapse_alloc_failed, 1);
	after.st.thp_collapse_alloc_failed = 0;
	assert_true(snap_equal(&before, &after));
	snap_free(&before);
	snap_free(&after);
	/* None for the second (a collapse takes one allocation, its frame): the first stays. */
	axalloc_fail_after(1);
	assert_int_equal(aspace_collapse(&f->as, VA, 2 * PG2M), -ENOMEM);
	axalloc_fail_after(-1);
	assert_int_equal(pgsize_of(&f->as, VA), PG2M);
	assert_int_equal(pgsize_of(&f->as, VA + PG2M), PG4K);
	assert_int_equal(aspace_query(&f->as, VA + PG2M + PG4K, NULL, NULL, NULL), -ENOENT);
	expect_thp_stats(&f->as, 1, 0, 0, 0, 1, 2);
	assert_int_equal(aspace_collapse(&f->as, VA, 2 * PG2M), 1);
	expect_thp_stats(&f->as, 2, 0, 0, 0, 2, 2);
	expect_fill(&f->as, VA + PG2M, PG4K, SEED_A);
	check_accounting(&f->as, f->base);
}

/* ---- khugepaged ---- */

/*
 * The scan step visits only areas where the policy and advice allow
 * transparent pages, max_blocks blocks at a time, resumes after the last
 * block it examined and wraps to the start of the space.
 */
static void test_thp_khugepaged(void **state)
{
	struct fixture *f = *state;
	const vaddr_t a = VA, b = VA + 64 * PG2M, c = VA + 128 * PG2M;
	static struct hog_2m hog;

	/* A: 3 blocks; B: 2 blocks, NOHUGEPAGE; C: 2 blocks, HUGEPAGE. One page in each block. */
	map_lazy(&f->as, a, 3 * PG2M);
	map_lazy(&f->as, b, 2 * PG2M);
	map_lazy(&f->as, c, 2 * PG2M);
	for (int i = 0; i < 3; i++)
		fill(&f->as, a + (uint64_t)i * PG2M + 11 * PG4K, 16, SEED_A);
	for (int i = 0; i < 2; i++) {
		fill(&f->as, b + (uint64_t)i * PG2M, 16, SEED_A);
		fill(&f->as, c + (uint64_t)i * PG2M + PG2M - 16, 16, SEED_B);
	}
	assert_int_equal(aspace_advise(&f->as, b, 2 * PG2M, ASPACE_ADV_NOHUGEPAGE), 0);
	assert_int_equal(aspace_advise(&f->as, c, 2 * PG2M, ASPACE_ADV_HUGEPAGE), 0);
	expect_mapped(&f->as, 7, 0, 7);
	/* Never: nothing. max_blocks 0: nothing. */
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_NEVER), 0);
	EXPECT_UNCHANGED(&f->as, 0, (int)aspace_khugepaged_scan(&f->as, 100));
	/* Madvise: C's two blocks only. */
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_MADVISE), 0);
	EXPECT_UNCHANGED(&f->as, 0, (int)aspace_khugepaged_scan(&f->as, 0));
	assert_int_equal(aspace_khugepaged_scan(&f->as, 100), 2);
	expect_mapped(&f->as, 5, 2, 5 + 2 * NR_4K_PER_2M);
	assert_int_equal(pgsize_of(&f->as, c), PG2M);
	assert_int_equal(pgsize_of(&f->as, c + PG2M), PG2M);
	expect_fill(&f->as, c + PG2M - 16, 16, SEED_B);
	/* Always: A's blocks, one per step, in order (resuming after C, so wrapping first). */
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(aspace_khugepaged_scan(&f->as, 1), 1);
		for (int j = 0; j < 3; j++)
			assert_int_equal(pgsize_of(&f->as, a + (uint64_t)j * PG2M + 11 * PG4K),
					 j <= i ? PG2M : PG4K);
	}
	/* Then C's two blocks, already huge, are examined: nothing collapsed; B never. */
	assert_int_equal(aspace_khugepaged_scan(&f->as, 2), 0);
	assert_int_equal(pgsize_of(&f->as, b), PG4K);
	expect_thp_stats(&f->as, 5, 0, 0, 0, 5, 0);
	/* A's first block cut by a new area: no whole block in one area, skipped. */
	assert_int_equal(aspace_unmap(&f->as, a + 100 * PG4K, PG4K), 0);
	map_lazy(&f->as, a + 100 * PG4K, PG4K);
	assert_int_equal(pgsize_of(&f->as, a), PG4K);
	EXPECT_UNCHANGED(&f->as, 0, (int)aspace_khugepaged_scan(&f->as, 100));
	expect_thp_stats(&f->as, 4, 0, 0, 1, 5, 0);
	/* One area over the block again, with one page mapped. */
	assert_int_equal(aspace_unmap(&f->as, a, PG2M), 0);
	map_lazy(&f->as, a, PG2M);
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_NEVER), 0);
	fill(&f->as, a + 3, 1, SEED_A);
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	/* No 2M frame: one failure, and the step ends. */
	hog_2m_frames(&hog, 1);
	assert_int_equal(aspace_khugepaged_scan(&f->as, 100), 0);
	assert_int_equal(stats(&f->as).thp_collapse_alloc_failed, 1);
	unhog_2m_frames(&hog);
	assert_int_equal(aspace_khugepaged_scan(&f->as, 100), 1);
	assert_int_equal(pgsize_of(&f->as, a), PG2M);
	expect_fill(&f->as, a + 3, 1, SEED_A);
	expect_thp_stats(&f->as, 5, 0, 0, 1, 6, 1);
	/* A space without areas. */
	{
		struct aspace empty;

		assert_int_equal(aspace_create(&empty, SPACE_BASE, SPACE_SIZE), 0);
		assert_int_equal(aspace_set_thp_policy(&empty, ASPACE_THP_ALWAYS), 0);
		assert_int_equal(aspace_khugepaged_scan(&empty, 10), 0);
		aspace_destroy(&empty);
	}
	check_accounting(&f->as, f->base);
}

/* ---- out of memory at every allocation ---- */

/* A THP fault in a new gigabyte: the 2M frame and an L1 table. */
static void test_thp_oom_fault(void **state)
{
	struct fixture *f = *state;
	const struct oom_args fault = {.va = VA1G + PG2M + 5, .access = ACCESS_WRITE};

	add_bystander(&f->as);
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	map_lazy(&f->as, VA1G, 2 * PG2M);
	assert_int_equal(fail_each_allocation(oom_fault, &f->as, NULL, &fault), 2);
	assert_int_equal(pgsize_of(&f->as, VA1G + PG2M), PG2M);
	assert_int_equal(stats(&f->as).faults, 1);
	expect_thp_stats(&f->as, 1, 1, 0, 0, 0, 0);
	check_accounting(&f->as, f->base);
}

/* A populate of three blocks: three 2M frames and an L1 table, all or nothing. */
static void test_thp_oom_populate(void **state)
{
	struct fixture *f = *state;
	const struct oom_args pop = {
	    .va = VA1G + 5 * PG4K, .size = 3 * PG2M - 10 * PG4K, .access = ACCESS_READ};

	add_bystander(&f->as);
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	map_lazy(&f->as, VA1G, 3 * PG2M);
	assert_int_equal(fail_each_allocation(oom_populate, &f->as, NULL, &pop), 4);
	expect_mapped(&f->as, 4, 3, 4 + 3 * NR_4K_PER_2M);
	expect_thp_stats(&f->as, 3, 3, 0, 0, 0, 0);
	assert_int_equal(stats(&f->as).faults, 0);
	check_accounting(&f->as, f->base);
}

/*
 * A populate over adjacent areas that count frames differently (4K area
 * with transparent pages, a fixed 2M area, a 4K area) runs out of memory at
 * every allocation: undo must drop each page the way its own area counts
 * it, though one MAPPED run spans the three areas.
 */
static void test_thp_oom_populate_across_areas(void **state)
{
	struct fixture *f = *state;
	const struct oom_args pop = {.va = VA1G, .size = 3 * PG2M, .access = ACCESS_READ};

	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	map_lazy(&f->as, VA1G, PG2M);
	assert_int_equal(aspace_map_alloc(&f->as, VA1G + PG2M, PG2M, RW, false, PG2M), 0);
	map_lazy(&f->as, VA1G + 2 * PG2M, PG2M);
	assert_int_equal(fail_each_allocation(oom_populate, &f->as, NULL, &pop), 4);
	assert_int_equal(pgsize_of(&f->as, VA1G + PG4K), PG2M);
	assert_int_equal(pgsize_of(&f->as, VA1G + PG2M), PG2M);
	assert_int_equal(stats(&f->as).thp_mapped[ASPACE_PGSIZE_2M], 2);
	assert_int_equal(stats(&f->as).mapped[ASPACE_PGSIZE_2M], 3);
	check_accounting(&f->as, f->base);
}

/* Split by unmap, protect and advise: each needs one L0 table. */
static void test_thp_oom_split(void **state)
{
	struct fixture *f = *state;
	const struct oom_args un = {.va = VA + 10 * PG4K, .size = PG4K};
	const struct oom_args prot = {.va = VA + PG2M + 10 * PG4K, .size = PG4K, .flags = RO};
	const struct oom_args adv = {
	    .va = VA + 2 * PG2M + 10 * PG4K, .size = PG4K, .advice = ASPACE_ADV_NOHUGEPAGE};
	paddr_t h[3];

	add_bystander(&f->as);
	map_lazy(&f->as, VA, 3 * PG2M);
	for (int i = 0; i < 3; i++)
		h[i] = make_thp(&f->as, VA + (uint64_t)i * PG2M, SEED_A);
	assert_int_equal(fail_each_allocation(oom_unmap, &f->as, NULL, &un), 1);
	assert_int_equal(fail_each_allocation(oom_protect, &f->as, NULL, &prot), 1);
	assert_int_equal(fail_each_allocation(oom_advise, &f->as, NULL, &adv), 1);
	expect_thp_stats(&f->as, 0, 3, 0, 3, 0, 0);
	expect_split(&f->as, VA, h[0], 10, 1, RW);
	for (int i = 1; i < 3; i++)
		for (uint64_t j = 0; j < NR_4K_PER_2M; j++)
			assert_int_equal(pa_of(&f->as, VA + i * PG2M + j * PG4K), h[i] + j * PG4K);
	assert_int_equal(perm_of(&f->as, VA + PG2M + 10 * PG4K), RO);
	assert_int_equal(perm_of(&f->as, VA + PG2M + 11 * PG4K), RW);
	expect_fill(&f->as, VA + 11 * PG4K, 3 * PG2M - 11 * PG4K, SEED_A);
	check_accounting(&f->as, f->base);
}

/* A COW write (and write fault) on a shared transparent page: an L0 table and a 4K copy. */
static void test_thp_oom_cow(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;
	const struct oom_args wr = {.va = VA + 5 * PG4K + 100, .size = 64};
	const struct oom_args fault = {.va = VA + PG2M + 7 * PG4K, .access = ACCESS_WRITE};
	paddr_t h0, h1;

	map_lazy(&f->as, VA, 2 * PG2M);
	h0 = make_thp(&f->as, VA, SEED_A);
	h1 = make_thp(&f->as, VA + PG2M, SEED_B);
	assert_int_equal(aspace_create(&kid, SPACE_BASE, SPACE_SIZE), 0);
	assert_int_equal(aspace_clone(&kid, &f->as), 0);
	assert_int_equal(fail_each_allocation(oom_write, &kid, &f->as, &wr), 2);
	assert_int_equal(fail_each_allocation(oom_fault, &kid, &f->as, &fault), 2);
	expect_thp_stats(&kid, 0, 0, 0, 2, 0, 0);
	assert_int_equal(stats(&kid).cow_copies, 2);
	expect_huge(&f->as, VA, h0, RO);
	expect_huge(&f->as, VA + PG2M, h1, RO);
	expect_fill(&f->as, VA, PG2M, SEED_A);
	expect_fill(&kid, VA + 5 * PG4K, 100, SEED_A);
	expect_fill(&kid, VA + 5 * PG4K + 164, PG2M - 5 * PG4K - 164, SEED_A);
	assert_int_equal(frame_ref_get(h0 + 5 * PG4K), 1);
	assert_int_equal(frame_ref_get(h1 + 7 * PG4K), 1);
	assert_int_equal(frame_ref_get(h1 + 8 * PG4K), 2);
	aspace_destroy(&kid);
	expect_block_refs(h0, 1);
	check_accounting(&f->as, f->base);
}

/* Collapse: its 2M frame; the failure is counted once, the block otherwise as before. */
static void test_thp_oom_collapse(void **state)
{
	struct fixture *f = *state;
	const struct oom_args col = {.va = VA, .size = 2 * PG2M};

	add_bystander(&f->as);
	map_lazy(&f->as, VA, 2 * PG2M);
	fill(&f->as, VA + 17 * PG4K, 300 * PG4K, SEED_A);
	assert_int_equal(fail_each_allocation(oom_collapse, &f->as, NULL, &col), 1);
	assert_int_equal(oom_collapse_failures, 1);
	expect_thp_stats(&f->as, 1, 0, 0, 0, 1, 1);
	assert_int_equal(aspace_query(&f->as, VA + PG2M, NULL, NULL, NULL), -ENOENT);
	expect_zero(&f->as, VA, 17 * PG4K);
	expect_fill(&f->as, VA + 17 * PG4K, 300 * PG4K, SEED_A);
	expect_zero(&f->as, VA + 317 * PG4K, PG2M - 317 * PG4K);
	check_accounting(&f->as, f->base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_thp_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_policy_advice_matrix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_advise_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_fault, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_not_eligible, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_fault_fallback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_split_unmap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_split_protect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_split_advise, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_cow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_cow_protect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_copy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_collapse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_collapse_skips, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_collapse_shared, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_collapse_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_khugepaged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_oom_fault, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_oom_populate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_oom_populate_across_areas, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_oom_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_oom_cow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thp_oom_collapse, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

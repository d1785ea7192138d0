/* clone_cases.c - the clone suite (see clone_cases.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "aspace_test_fixture.h"
#include "clone_cases.h"

#define MANY_SHARERS 300 /* spaces sharing one frame in test_clone_many_sharers */
/* Fill patterns: the parent's, a clone's, the parent's second. */
#define SEED_PARENT  0x11
#define SEED_KID     OOM_WRITE_BYTE /* what the kid writes, also under OOM */
#define SEED_PARENT2 0xc3

/* aspace_copy instead of aspace_clone. */
static bool suite_copy;

static int do_clone(struct aspace *dst, struct aspace *src)
{
	return suite_copy ? aspace_copy(dst, src) : aspace_clone(dst, src);
}

/* True when the clone shares frames (COW) instead of copying them. */
static bool sharing(void)
{
	return IS_ENABLED(CONFIG_MM_COW) && !suite_copy;
}

static void space_new(struct aspace *as)
{
	assert_int_equal(aspace_create(as, SPACE_BASE, SPACE_SIZE), 0);
}

/* References a page has after `spaces` spaces cloned it: shared, or one each. */
static uint32_t refs_for(uint32_t spaces)
{
	return sharing() ? spaces : 1;
}

/* Pages used now compared with `base`: page tables of `spaces` plus `frames` 4K frames. */
static void expect_used(struct mem_snap base, struct aspace *const *spaces, int n, uint64_t frames)
{
	uint64_t pt = 0;

	for (int i = 0; i < n; i++)
		pt += stats(spaces[i]).pt_pages;
	assert_int_equal(mem_snap().pages, base.pages + pt + frames);
}

/* Same area lists (range, flags, backend). */
static void expect_same_areas(const struct aspace *a, const struct aspace *b)
{
	const struct aspace_area *x = aspace_first_area(a), *y = aspace_first_area(b);

	for (; x && y; x = aspace_next_area(a, x), y = aspace_next_area(b, y))
		assert_true(area_equal(x, y));
	assert_null(x);
	assert_null(y);
	assert_true(interval_tree_check(&b->areas));
}

/*
 * Every page of kid is as a clone of parent must have it: mapped exactly
 * where parent has a page, Linear frames identical, Alloc frames shared
 * (same frame, kid's and parent's PTE without write in writable areas,
 * `refs` references) or copied (other frame, area flags, one reference).
 */
static void expect_cloned_pages(const struct aspace *parent, const struct aspace *kid,
				uint32_t refs)
{
	for (const struct aspace_area *a = aspace_first_area(kid); a;
	     a = aspace_next_area(kid, a)) {
		bool alloc = a->backend.kind == ASPACE_BACKEND_ALLOC;
		unsigned want = a->flags;

		if (alloc && sharing())
			want &= ~MAPF_WRITE;
		for (vaddr_t va = a->node.start; va < a->node.end; va += a->backend.pgsize) {
			paddr_t pp, kp;
			unsigned pf, kf;
			int perr = aspace_query(parent, va, &pp, &pf, NULL);
			int kerr = aspace_query(kid, va, &kp, &kf, NULL);

			assert_int_equal(kerr, perr);
			if (perr)
				continue;
			assert_int_equal(kf & PERM_MASK, want);
			if (!alloc || sharing()) {
				assert_int_equal(kp, pp);
				assert_int_equal(pf & PERM_MASK, want);
			} else {
				assert_int_not_equal(kp, pp);
				assert_memory_equal(phys_to_virt(kp), phys_to_virt(pp),
						    a->backend.pgsize < PG2M ? a->backend.pgsize
									     : PG2M);
			}
			if (alloc)
				expect_refs(kid, va, refs);
		}
	}
}

/* The error cases: nothing changes in either space. */
static void test_clone_bad_args(void **state)
{
	struct fixture *f = *state;
	struct aspace kid, empty, small;
	struct space_snap before, after;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 4 * PG4K, RW, true, PG4K), 0);
	fill(&f->as, VA, 4 * PG4K, SEED_PARENT);
	space_new(&kid);
	space_new(&empty);
	EXPECT_UNCHANGED(&f->as, -EINVAL, do_clone(&f->as, &f->as));
	EXPECT_UNCHANGED(&empty, -EINVAL, do_clone(&empty, &empty));
	/* A destination with an area, even one that overlaps nothing of the source. */
	assert_int_equal(aspace_map_alloc(&kid, VA2, PG4K, RW, true, PG4K), 0);
	snap_take(&kid, &before, true);
	EXPECT_UNCHANGED(&f->as, -EEXIST, do_clone(&kid, &f->as));
	EXPECT_UNCHANGED(&empty, -EEXIST, do_clone(&kid, &empty));
	snap_take(&kid, &after, true);
	assert_true(snap_equal(&before, &after));
	snap_free(&before);
	snap_free(&after);
	/* A destination whose range does not hold the source's areas. */
	assert_int_equal(aspace_create(&small, VA2, PG2M), 0);
	EXPECT_UNCHANGED(&f->as, -EINVAL, do_clone(&small, &f->as));
	assert_int_equal(stats(&small).nr_areas, 0);
	assert_int_equal(stats(&small).pt_pages, 1);
	/* An empty source clones into anything empty. */
	EXPECT_UNCHANGED(&empty, 0, do_clone(&small, &empty));
	/* Emptied again, kid takes the clone; a second one is refused. */
	assert_int_equal(aspace_unmap(&kid, VA2, PG4K), 0);
	assert_int_equal(do_clone(&kid, &f->as), 0);
	EXPECT_UNCHANGED(&kid, -EEXIST, do_clone(&kid, &f->as));
	expect_fill(&kid, VA, 4 * PG4K, SEED_PARENT);
	aspace_destroy(&small);
	aspace_destroy(&empty);
	aspace_destroy(&kid);
	expect_refs(&f->as, VA, 1);
}

/* Offsets in the mixed space. */
#define MIX_POP	      VA		  /* 16 x 4K RW, populated */
#define MIX_LAZY      (VA + 0x100000UL)	  /* 64 x 4K RW, lazy, 4 pages touched */
#define MIX_HUGE      VA2		  /* 4 x 2M RW, lazy, page 1 touched */
#define MIX_RO	      (VA2 + 0x1000000UL) /* 2 x 2M RO, populated and filled */
#define MIX_LIN	      (VA + 0x800000UL)	  /* 8 x 4K Linear RW */
#define MIX_RX	      (VA + 0x900000UL)	  /* 4K RX, populated */
#define MIX_GIANT     VA1G		  /* 1G RW, lazy, touched once */
#define MIX_GIANT_OFF 0x12345678UL

static const int mix_lazy_touched[] = {0, 5, 6, 63};

/* Builds the mixed space (1G page only when with_giant). */
static void build_mix(struct aspace *as, bool with_giant)
{
	assert_int_equal(aspace_map_alloc(as, MIX_POP, 16 * PG4K, RW, true, PG4K), 0);
	fill(as, MIX_POP, 16 * PG4K, SEED_PARENT);
	assert_int_equal(aspace_map_alloc(as, MIX_LAZY, 64 * PG4K, RW, false, PG4K), 0);
	for (size_t i = 0; i < sizeof(mix_lazy_touched) / sizeof(int); i++)
		fill(as, MIX_LAZY + mix_lazy_touched[i] * PG4K + 100, 50, SEED_PARENT);
	assert_int_equal(aspace_map_alloc(as, MIX_HUGE, 4 * PG2M, RW, false, PG2M), 0);
	fill(as, MIX_HUGE + PG2M + 4000, 300, SEED_PARENT);
	assert_int_equal(aspace_map_alloc(as, MIX_RO, 2 * PG2M, RW, true, PG2M), 0);
	fill(as, MIX_RO, 2 * PG2M, SEED_PARENT);
	assert_int_equal(aspace_protect(as, MIX_RO, 2 * PG2M, RO), 0);
	assert_int_equal(aspace_map_linear(as, MIX_LIN, ENV_LIN_BASE, 8 * PG4K, RW, PG4K), 0);
	fill(as, MIX_LIN, 8 * PG4K, SEED_PARENT);
	assert_int_equal(aspace_map_alloc(as, MIX_RX, PG4K, RX, true, PG4K), 0);
	if (with_giant) {
		assert_int_equal(aspace_map_alloc(as, MIX_GIANT, PG1G, RW, false, PG1G), 0);
		fill(as, MIX_GIANT + MIX_GIANT_OFF, 64, SEED_PARENT);
	}
}

/* The bytes of the mixed space as build_mix wrote them. */
static void expect_mix(struct aspace *as, bool with_giant)
{
	static const uint8_t zero[64];
	uint8_t buf[64];

	expect_fill(as, MIX_POP, 16 * PG4K, SEED_PARENT);
	for (size_t i = 0; i < sizeof(mix_lazy_touched) / sizeof(int); i++)
		expect_fill(as, MIX_LAZY + mix_lazy_touched[i] * PG4K + 100, 50, SEED_PARENT);
	expect_fill(as, MIX_HUGE + PG2M + 4000, 300, SEED_PARENT);
	expect_fill(as, MIX_RO, 2 * PG2M, SEED_PARENT);
	expect_fill(as, MIX_LIN, 8 * PG4K, SEED_PARENT);
	assert_int_equal(aspace_read(as, MIX_RX, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, zero, sizeof(buf));
	if (with_giant)
		expect_fill(as, MIX_GIANT + MIX_GIANT_OFF, 64, SEED_PARENT);
}

/* Lazy, populated, huge (2M and 1G), read-only, executable and Linear areas. */
static void test_clone_mixed(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;
	struct aspace *spaces[] = {&f->as, &kid};
	struct aspace_stats ps, ks;
	uint64_t frames;

	snap_content = false; /* a 1G page: no checksums */
	build_mix(&f->as, true);
	ps = stats(&f->as);
	frames = ps.alloc_pages_4k;
	space_new(&kid);
	assert_int_equal(do_clone(&kid, &f->as), 0);
	expect_same_areas(&f->as, &kid);
	expect_cloned_pages(&f->as, &kid, refs_for(2));
	/* The source keeps its statistics; the clone has the same pages and no faults. */
	ks = stats(&f->as);
	assert_memory_equal(&ks, &ps, sizeof(ps));
	ks = stats(&kid);
	assert_memory_equal(ks.mapped, ps.mapped, sizeof(ps.mapped));
	assert_int_equal(ks.alloc_pages_4k, ps.alloc_pages_4k);
	assert_int_equal(ks.nr_areas, ps.nr_areas);
	assert_int_equal(ks.faults + ks.spurious_faults + ks.cow_faults + ks.cow_copies, 0);
	/* Shared: only the clone's page tables are new. Copied: every frame twice. */
	expect_used(f->base, spaces, 2, sharing() ? frames : 2 * frames);
	assert_int_equal(aspace_shared_pages(&kid), sharing() ? 16 + 4 + 1 + 2 + 1 + 1 : 0);
	/* Untouched pages are still lazy in both. */
	assert_int_equal(aspace_query(&kid, MIX_LAZY + PG4K, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(aspace_query(&kid, MIX_HUGE, NULL, NULL, NULL), -ENOENT);
	expect_mix(&kid, true);
	expect_mix(&f->as, true);
	/* A lazy page faulted in the clone is the clone's own. */
	assert_int_equal(aspace_handle_page_fault(&kid, MIX_LAZY + PG4K, ACCESS_READ), 0);
	assert_int_equal(aspace_query(&f->as, MIX_LAZY + PG4K, NULL, NULL, NULL), -ENOENT);
	expect_refs(&kid, MIX_LAZY + PG4K, 1);
	assert_int_equal(stats(&kid).faults, 1);
	aspace_destroy(&kid);
	/* The parent's pages are its own again (still read-only until written). */
	expect_refs(&f->as, MIX_POP, 1);
	expect_refs(&f->as, MIX_GIANT, 1);
	assert_int_equal(aspace_shared_pages(&f->as), 0);
	assert_int_equal(perm_of(&f->as, MIX_POP), sharing() ? RO : RW);
	fill(&f->as, MIX_POP, PG4K, SEED_KID);
	assert_int_equal(perm_of(&f->as, MIX_POP), RW);
	assert_int_equal(stats(&f->as).cow_faults, sharing() ? 1 : 0);
	assert_int_equal(stats(&f->as).cow_copies, 0);
	check_accounting(&f->as, f->base);
}

/*
 * Isolation for one page size: writes in the clone and in the parent, by
 * aspace_write, a write fault and populate(write); exact COW statistics,
 * frames and counts. `whole` fills whole pages (not for 1G).
 */
static void write_isolation(struct fixture *f, vaddr_t va, uint64_t pgsize, int npages, bool whole)
{
	struct aspace kid;
	struct aspace *spaces[] = {&f->as, &kid};
	const uint64_t len = whole ? pgsize : 256, frames_per_page = pgsize / PG4K;
	paddr_t p0, k1;
	uint64_t copies = 0;

	assert_true(npages >= 3);
	assert_int_equal(aspace_map_alloc(&f->as, va, npages * pgsize, RW, true, pgsize), 0);
	for (int i = 0; i < npages; i++)
		fill(&f->as, va + i * pgsize, len, SEED_PARENT);
	space_new(&kid);
	assert_int_equal(do_clone(&kid, &f->as), 0);
	p0 = frame_of(&f->as, va);
	/* The clone writes page 0: it gets its own copy, the parent keeps its bytes. */
	fill(&kid, va, len, SEED_KID);
	copies += sharing();
	expect_fill(&kid, va, len, SEED_KID);
	expect_fill(&f->as, va, len, SEED_PARENT);
	assert_int_not_equal(frame_of(&kid, va), p0);
	assert_int_equal(frame_of(&f->as, va), p0);
	expect_refs(&f->as, va, 1);
	expect_refs(&kid, va, 1);
	expect_refs(&kid, va + pgsize, refs_for(2));
	assert_int_equal(perm_of(&kid, va), RW);
	assert_int_equal(stats(&kid).cow_faults, copies);
	assert_int_equal(stats(&kid).cow_copies, copies);
	/* The parent writes page 0: its frame has one reference left, so no copy. */
	fill(&f->as, va, len, SEED_PARENT2);
	assert_int_equal(frame_of(&f->as, va), p0);
	assert_int_equal(perm_of(&f->as, va), RW);
	assert_int_equal(stats(&f->as).cow_faults, sharing() ? 1 : 0);
	assert_int_equal(stats(&f->as).cow_copies, 0);
	expect_fill(&kid, va, len, SEED_KID);
	/* A read fault on a shared page is spurious; a write fault copies. */
	assert_int_equal(aspace_handle_page_fault(&kid, va + pgsize + 3, ACCESS_READ), 0);
	assert_int_equal(stats(&kid).spurious_faults, 1);
	assert_int_equal(perm_of(&kid, va + pgsize), sharing() ? RO : RW);
	assert_int_equal(aspace_handle_page_fault(&kid, va + pgsize + 3, ACCESS_WRITE), 0);
	copies += sharing();
	k1 = frame_of(&kid, va + pgsize);
	assert_int_equal(perm_of(&kid, va + pgsize), RW);
	assert_int_equal(stats(&kid).cow_copies, copies);
	assert_int_equal(stats(&kid).spurious_faults, sharing() ? 1 : 2);
	expect_fill(&kid, va + pgsize, len, SEED_PARENT); /* the copy has the old bytes */
	/* populate(write) breaks COW too; populate(read) does not. */
	assert_int_equal(aspace_populate(&kid, va + 2 * pgsize, pgsize, ACCESS_READ), 0);
	assert_int_equal(perm_of(&kid, va + 2 * pgsize), sharing() ? RO : RW);
	assert_int_equal(aspace_populate(&kid, va + 2 * pgsize, pgsize, ACCESS_WRITE), 0);
	copies += sharing();
	assert_int_equal(perm_of(&kid, va + 2 * pgsize), RW);
	assert_int_equal(stats(&kid).cow_faults, copies);
	assert_int_equal(stats(&kid).cow_copies, copies);
	expect_refs(&f->as, va + 2 * pgsize, 1);
	/* Frames: the parent's pages plus the clone's copies (all of them when eager). */
	expect_used(f->base, spaces, 2,
		    (npages + (sharing() ? copies : (uint64_t)npages)) * frames_per_page);
	fill(&kid, va + pgsize, len, SEED_KID);
	assert_int_equal(frame_of(&kid, va + pgsize), k1);
	assert_int_equal(stats(&kid).cow_faults, copies);
	aspace_destroy(&kid);
	expect_fill(&f->as, va, len, SEED_PARENT2);
	for (int i = 1; i < npages; i++) {
		expect_fill(&f->as, va + i * pgsize, len, SEED_PARENT);
		expect_refs(&f->as, va + i * pgsize, 1);
	}
	check_accounting(&f->as, f->base);
}

static void test_clone_write_4k(void **state)
{
	write_isolation(*state, VA, PG4K, 8, true);
}

static void test_clone_write_2m(void **state)
{
	write_isolation(*state, VA2, PG2M, 3, true);
}

/* Two 1G frames are free in the simulated RAM: the parent's and the copy. */
static void test_clone_write_1g(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;
	paddr_t p;

	snap_content = false;
	assert_int_equal(aspace_map_alloc(&f->as, VA1G, PG1G, RW, true, PG1G), 0);
	fill(&f->as, VA1G + PG1G - 4096, 4096, SEED_PARENT);
	p = frame_of(&f->as, VA1G);
	space_new(&kid);
	assert_int_equal(do_clone(&kid, &f->as), 0);
	expect_refs(&kid, VA1G, refs_for(2));
	/* A write fault at the end of the gigabyte copies all of it. */
	assert_int_equal(aspace_handle_page_fault(&kid, VA1G + PG1G - 1, ACCESS_WRITE), 0);
	fill(&kid, VA1G + PG1G - 4096, 100, SEED_KID);
	assert_int_not_equal(frame_of(&kid, VA1G), p);
	assert_true(IS_ALIGNED(frame_of(&kid, VA1G), PG1G));
	expect_fill(&kid, VA1G + PG1G - 4096 + 100, 4096 - 100, SEED_PARENT);
	expect_fill(&kid, VA1G + PG1G - 4096, 100, SEED_KID);
	expect_fill(&f->as, VA1G + PG1G - 4096, 4096, SEED_PARENT);
	assert_int_equal(stats(&kid).cow_copies, sharing() ? 1 : 0);
	expect_refs(&f->as, VA1G, 1);
	/* The parent's write restores write on its frame. */
	fill(&f->as, VA1G, 64, SEED_PARENT2);
	assert_int_equal(frame_of(&f->as, VA1G), p);
	assert_int_equal(stats(&f->as).cow_faults, sharing() ? 1 : 0);
	assert_int_equal(stats(&f->as).cow_copies, 0);
	aspace_destroy(&kid);
	check_accounting(&f->as, f->base);
}

/* COW never grants write where the area forbids it. */
static void test_clone_readonly_area(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;
	struct space_snap before, after;
	const uint8_t b = 1;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 2 * PG4K, RW, true, PG4K), 0);
	fill(&f->as, VA, 2 * PG4K, SEED_PARENT);
	assert_int_equal(aspace_protect(&f->as, VA, 2 * PG4K, RO), 0);
	space_new(&kid);
	assert_int_equal(do_clone(&kid, &f->as), 0);
	expect_refs(&kid, VA, refs_for(2));
	snap_take(&f->as, &before, true);
	EXPECT_UNCHANGED(&kid, -EFAULT, aspace_write(&kid, VA + 5, &b, 1));
	EXPECT_UNCHANGED(&kid, -EFAULT, aspace_handle_page_fault(&kid, VA + 5, ACCESS_WRITE));
	EXPECT_UNCHANGED(&kid, -EFAULT, aspace_populate(&kid, VA, PG4K, ACCESS_WRITE));
	EXPECT_UNCHANGED(&f->as, -EFAULT, aspace_write(&f->as, VA + 5, &b, 1));
	snap_take(&f->as, &after, true);
	assert_true(snap_equal(&before, &after));
	snap_free(&before);
	snap_free(&after);
	/* protect adding write breaks COW: the shared page is copied. */
	assert_int_equal(aspace_protect(&kid, VA, PG4K, RW), 0);
	assert_int_equal(perm_of(&kid, VA), RW);
	expect_refs(&kid, VA, 1);
	expect_refs(&f->as, VA, 1);
	assert_int_equal(stats(&kid).cow_copies, sharing() ? 1 : 0);
	fill(&kid, VA, PG4K, SEED_KID);
	expect_fill(&f->as, VA, PG4K, SEED_PARENT);
	assert_int_equal(stats(&kid).cow_copies, sharing() ? 1 : 0);
	/* Once the parent dropped its page, the count is 1: protect just adds write. */
	assert_int_equal(aspace_unmap(&f->as, VA + PG4K, PG4K), 0);
	expect_refs(&kid, VA + PG4K, 1);
	assert_int_equal(aspace_protect(&kid, VA + PG4K, PG4K, RW), 0);
	assert_int_equal(perm_of(&kid, VA + PG4K), RW);
	assert_int_equal(stats(&kid).cow_copies, sharing() ? 1 : 0);
	expect_fill(&kid, VA + PG4K, PG4K, SEED_PARENT);
	aspace_destroy(&kid);
	check_accounting(&f->as, f->base);
}

/* protect that keeps write leaves shared pages COW-pending; removing write copies nothing. */
static void test_clone_protect(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 4 * PG4K, RW, true, PG4K), 0);
	fill(&f->as, VA, 4 * PG4K, SEED_PARENT);
	space_new(&kid);
	assert_int_equal(do_clone(&kid, &f->as), 0);
	assert_int_equal(aspace_protect(&kid, VA, 2 * PG4K, RW | MAPF_EXEC), 0);
	assert_int_equal(perm_of(&kid, VA), sharing() ? RX : RW | MAPF_EXEC);
	assert_int_equal(aspace_protect(&kid, VA + 2 * PG4K, PG4K, RO), 0);
	assert_int_equal(perm_of(&kid, VA + 2 * PG4K), RO);
	assert_int_equal(stats(&kid).cow_faults, 0);
	expect_refs(&kid, VA, refs_for(2));
	expect_refs(&kid, VA + 2 * PG4K, refs_for(2));
	/* The write fault in the RWX area copies. */
	fill(&kid, VA, 16, SEED_KID);
	assert_int_equal(perm_of(&kid, VA), RW | MAPF_EXEC);
	assert_int_equal(stats(&kid).cow_copies, sharing() ? 1 : 0);
	/* Adding write back to page 2 copies it. */
	assert_int_equal(aspace_protect(&kid, VA + 2 * PG4K, PG4K, RW), 0);
	assert_int_equal(stats(&kid).cow_copies, sharing() ? 2 : 0);
	assert_int_equal(perm_of(&kid, VA + 2 * PG4K), RW);
	/* The kid makes page 3 read-only; the parent's write to it still copies (count 2). */
	assert_int_equal(aspace_protect(&kid, VA + 3 * PG4K, PG4K, RO), 0);
	fill(&f->as, VA + 3 * PG4K, 16, SEED_PARENT2);
	assert_int_equal(stats(&f->as).cow_copies, sharing() ? 1 : 0);
	expect_fill(&kid, VA + 3 * PG4K, 16, SEED_PARENT);
	expect_fill(&f->as, VA, 16, SEED_PARENT);
	aspace_destroy(&kid);
	check_accounting(&f->as, f->base);
}

/* 300 spaces share a 4K and a 2M frame: counts stay exact as they come and go. */
static void test_clone_many_sharers(void **state)
{
	struct fixture *f = *state;
	static struct aspace kids[MANY_SHARERS];
	const vaddr_t small = VA, huge = VA2;
	const int writers = 10;
	uint32_t live = 1;
	paddr_t ps, ph;

	assert_int_equal(aspace_map_alloc(&f->as, small, PG4K, RW, true, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, huge, PG2M, RW, true, PG2M), 0);
	fill(&f->as, small, PG4K, SEED_PARENT);
	fill(&f->as, huge, 4096, SEED_PARENT);
	ps = frame_of(&f->as, small);
	ph = frame_of(&f->as, huge);
	for (int i = 0; i < MANY_SHARERS; i++) {
		space_new(&kids[i]);
		assert_int_equal(do_clone(&kids[i], i % 2 ? &kids[i - 1] : &f->as), 0);
		live++;
		expect_refs(&f->as, small, refs_for(live));
		expect_refs(&kids[i], huge, refs_for(live));
	}
	/* Some of them write: each copy drops one reference of the shared frames. */
	for (int i = 0; i < writers; i++) {
		fill(&kids[i], small, 8, SEED_KID);
		fill(&kids[i], huge, 8, SEED_KID);
		expect_refs(&f->as, small, refs_for(live - 1 - i));
		expect_refs(&f->as, huge, refs_for(live - 1 - i));
	}
	live -= writers;
	/* Destroy in a scrambled order (7 is coprime with 300). */
	for (int j = 0; j < MANY_SHARERS; j++) {
		int i = (j * 7) % MANY_SHARERS;

		if (i >= writers)
			live--;
		aspace_destroy(&kids[i]);
		expect_refs(&f->as, small, refs_for(live));
		expect_refs(&f->as, huge, refs_for(live));
	}
	assert_int_equal(live, 1);
	/* The last owner writes without a copy. */
	fill(&f->as, small, 8, SEED_PARENT2);
	fill(&f->as, huge, 8, SEED_PARENT2);
	assert_int_equal(frame_of(&f->as, small), ps);
	assert_int_equal(frame_of(&f->as, huge), ph);
	assert_int_equal(stats(&f->as).cow_copies, 0);
	expect_fill(&f->as, small + 8, PG4K - 8, SEED_PARENT);
	check_accounting(&f->as, f->base);
}

/* The parent unmaps pages its clones share; the clones keep them. */
static void test_clone_unmap_shared(void **state)
{
	struct fixture *f = *state;
	struct aspace k1, k2;
	struct aspace *spaces[] = {&f->as, &k1, &k2};
	const uint64_t frames = 8 + 2 * PG2M / PG4K;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 8 * PG4K, RW, true, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA2, 2 * PG2M, RW, true, PG2M), 0);
	fill(&f->as, VA, 8 * PG4K, SEED_PARENT);
	fill(&f->as, VA2 + PG2M - 64, 128, SEED_PARENT);
	space_new(&k1);
	space_new(&k2);
	assert_int_equal(do_clone(&k1, &f->as), 0);
	assert_int_equal(do_clone(&k2, &f->as), 0);
	expect_used(f->base, spaces, 3, sharing() ? frames : 3 * frames);
	assert_int_equal(aspace_unmap(&f->as, VA + 2 * PG4K, 2 * PG4K), 0);
	assert_int_equal(aspace_unmap(&f->as, VA2, 2 * PG2M), 0);
	expect_refs(&k1, VA + 2 * PG4K, refs_for(2));
	expect_refs(&k1, VA2, refs_for(2));
	expect_refs(&k1, VA, refs_for(3));
	/* Shared: nothing was freed. Copied: the parent's pages were. */
	expect_used(f->base, spaces, 3, sharing() ? frames : 3 * frames - 2 - 2 * PG2M / PG4K);
	expect_fill(&k1, VA, 8 * PG4K, SEED_PARENT);
	expect_fill(&k2, VA2 + PG2M - 64, 128, SEED_PARENT);
	/* k1 copies the page it shares with k2; k2 then owns the old frame alone. */
	fill(&k1, VA + 2 * PG4K, 8, SEED_KID);
	expect_refs(&k2, VA + 2 * PG4K, 1);
	fill(&k2, VA + 2 * PG4K, 8, SEED_PARENT2);
	assert_int_equal(stats(&k1).cow_copies, sharing() ? 1 : 0);
	assert_int_equal(stats(&k2).cow_copies, 0);
	assert_int_equal(stats(&k2).cow_faults, sharing() ? 1 : 0);
	expect_fill(&k1, VA + 2 * PG4K, 8, SEED_KID);
	expect_fill(&k2, VA + 2 * PG4K, 8, SEED_PARENT2);
	/* Unmapping the shared 2M pages in k1, then k2, frees them at the last one. */
	assert_int_equal(aspace_unmap(&k1, VA2, 2 * PG2M), 0);
	expect_refs(&k2, VA2 + PG2M, 1);
	expect_fill(&k2, VA2 + PG2M - 64, 128, SEED_PARENT);
	aspace_destroy(&k2);
	aspace_destroy(&k1);
	expect_fill(&f->as, VA, 2 * PG4K, SEED_PARENT);
	check_accounting(&f->as, f->base);
}

/* Clones of clones, destroyed parent first: every frame is freed exactly once. */
static void test_clone_destroy_orders(void **state)
{
	static const int orders[][3] = {{0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {1, 2, 0}};
	struct mem_snap base = mem_snap();

	(void)state;

	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		struct aspace gen[3];
		bool alive[3] = {true, true, true};

		space_new(&gen[0]);
		build_mix(&gen[0], false);
		space_new(&gen[1]);
		assert_int_equal(do_clone(&gen[1], &gen[0]), 0);
		space_new(&gen[2]);
		assert_int_equal(do_clone(&gen[2], &gen[1]), 0);
		expect_refs(&gen[2], MIX_POP, refs_for(3));
		fill(&gen[1], MIX_POP, 8, SEED_KID);
		expect_refs(&gen[2], MIX_POP, refs_for(2));
		for (int k = 0; k < 3; k++) {
			aspace_destroy(&gen[orders[o][k]]);
			alive[orders[o][k]] = false;
			for (int j = 0; j < 3; j++) {
				if (!alive[j])
					continue;
				expect_fill(&gen[j], MIX_POP + PG4K, 15 * PG4K, SEED_PARENT);
				expect_fill(&gen[j], MIX_RO, 2 * PG2M, SEED_PARENT);
				expect_fill(&gen[j], MIX_POP, 8, j == 1 ? SEED_KID : SEED_PARENT);
			}
			for (int j = 0; j < 3; j++)
				if (alive[j])
					expect_refs(&gen[j], MIX_RO, refs_for(3 - (uint32_t)k - 1));
		}
		assert_true(mem_equal(mem_snap(), base));
	}
}

/* Linear areas are shared as they are: both spaces see the same physical bytes. */
static void test_clone_linear(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;

	assert_int_equal(aspace_map_linear(&f->as, VA, ENV_LIN_BASE, 2 * PG2M, RW, PG2M), 0);
	fill(&f->as, VA, 256, SEED_PARENT);
	space_new(&kid);
	assert_int_equal(do_clone(&kid, &f->as), 0);
	assert_int_equal(frame_of(&kid, VA + PG2M), ENV_LIN_BASE + PG2M);
	assert_int_equal(perm_of(&kid, VA), RW);
	assert_int_equal(perm_of(&f->as, VA), RW);
	fill(&kid, VA, 128, SEED_KID);
	expect_fill(&f->as, VA, 128, SEED_KID);
	expect_fill(&f->as, VA + 128, 128, SEED_PARENT);
	assert_int_equal(stats(&kid).cow_faults, 0);
	assert_int_equal(stats(&kid).alloc_pages_4k, 0);
	aspace_destroy(&kid);
	expect_fill(&f->as, VA, 128, SEED_KID);
	check_accounting(&f->as, f->base);
}

/* A real write fault through the handler axhal calls, in the active clone. */
static void test_clone_fault_handler(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 2 * PG4K, RW, true, PG4K), 0);
	fill(&f->as, VA, 2 * PG4K, SEED_PARENT);
	space_new(&kid);
	assert_int_equal(do_clone(&kid, &f->as), 0);
	aspace_activate(&kid);
	assert_int_equal(hal_host_fault_handler(VA + PG4K + 1, ACCESS_READ), 0);
	assert_int_equal(hal_host_fault_handler(VA + PG4K + 1, ACCESS_WRITE), 0);
	assert_int_equal(hal_host_fault_handler(VA + PG4K + 1, ACCESS_WRITE), 0);
	assert_int_equal(hal_host_fault_handler(VA + 2 * PG4K, ACCESS_READ), -EFAULT);
	assert_int_equal(stats(&kid).cow_faults, sharing() ? 1 : 0);
	assert_int_equal(stats(&kid).spurious_faults, sharing() ? 2 : 3);
	assert_int_equal(perm_of(&kid, VA + PG4K), RW);
	assert_int_not_equal(frame_of(&kid, VA + PG4K), frame_of(&f->as, VA + PG4K));
	aspace_destroy(&kid);
	assert_null(aspace_current());
	check_accounting(&f->as, f->base);
}

static int op_clone(struct aspace *dst, struct aspace *src, const void *arg)
{
	(void)arg;
	return do_clone(dst, src);
}

/* Out of memory at every allocation of a clone (heap full too): all rolled back. */
static void test_clone_oom(void **state)
{
	struct fixture *f = *state;
	static void *hog[HOG_BLOCKS_MAX];
	struct aspace kid;
	int n, fails;

	build_mix(&f->as, false);
	assert_int_equal(aspace_map_alloc(&f->as, 2 * PG1G, 600 * PG4K, RW, true, PG4K), 0);
	fill(&f->as, 2 * PG1G + 599 * PG4K, 64, SEED_PARENT);
	space_new(&kid);
	n = hog_heap(hog);
	fails = fail_each_allocation(op_clone, &kid, &f->as, NULL);
	unhog_heap(hog, n);
	/*
	 * The clone's tables (2 x L1, 4 x L0; the area nodes come from a heap
	 * chunk an earlier attempt freed), and for eager copies 621 4K and 3 2M
	 * frames.
	 */
	assert_int_equal(fails, 6 + (sharing() ? 0 : 624));
	expect_same_areas(&f->as, &kid);
	expect_cloned_pages(&f->as, &kid, refs_for(2));
	expect_mix(&kid, false);
	aspace_destroy(&kid);
	expect_refs(&f->as, MIX_POP, 1);
	expect_mix(&f->as, false);
	check_accounting(&f->as, f->base);
}

/*
 * Out of memory in every COW break: write faults (4K, 2M), aspace_write
 * over 40 shared pages (its log needs heap chunks: the heap is full),
 * populate(write) over shared and lazy pages, protect adding write.
 */
static void test_cow_oom(void **state)
{
	struct fixture *f = *state;
	static void *hog[HOG_BLOCKS_MAX];
	struct aspace kid;
	const struct oom_args fault4k = {.va = VA + 3 * PG4K + 9, .access = ACCESS_WRITE};
	const struct oom_args fault2m = {.va = VA2 + PG2M + 9,
					 .access = ACCESS_READ | ACCESS_WRITE};
	const struct oom_args wr = {.va = VA + 4 * PG4K + 100, .size = 40 * PG4K};
	const struct oom_args pop = {
	    .va = VA + 40 * PG4K, .size = 24 * PG4K, .access = ACCESS_WRITE};
	const struct oom_args prot = {.va = VA2, .size = 2 * PG2M, .flags = RW};
	struct axalloc_stats st0, st1;
	int n, fails;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 64 * PG4K, RW, false, PG4K), 0);
	assert_int_equal(aspace_populate(&f->as, VA, 56 * PG4K, ACCESS_WRITE), 0);
	fill(&f->as, VA, 56 * PG4K, SEED_PARENT);
	assert_int_equal(aspace_map_alloc(&f->as, VA2, 2 * PG2M, RW, true, PG2M), 0);
	fill(&f->as, VA2 + PG2M - 8, 16, SEED_PARENT);
	space_new(&kid);
	assert_int_equal(do_clone(&kid, &f->as), 0);

	assert_int_equal(fail_each_allocation(oom_fault, &kid, &f->as, &fault4k),
			 sharing() ? 1 : 0);
	assert_int_equal(fail_each_allocation(oom_fault, &kid, &f->as, &fault2m),
			 sharing() ? 1 : 0);
	n = hog_heap(hog);
	axalloc_stats(&st0);
	fails = fail_each_allocation(oom_write, &kid, &f->as, &wr);
	axalloc_stats(&st1);
	unhog_heap(hog, n);
	/* 41 copies, with log chunks from the (full) heap beyond the one on the stack. */
	assert_int_equal(fails, sharing() ? 41 : 0);
	if (sharing())
		assert_true(st1.heap_allocs > st0.heap_allocs);
	/* Pages 40-44 were copied by the write; 45-55 are shared, 56-63 lazy. */
	assert_int_equal(fail_each_allocation(oom_populate, &kid, &f->as, &pop),
			 (sharing() ? 11 : 0) + 8);
	assert_int_equal(aspace_protect(&kid, VA2, 2 * PG2M, RO), 0);
	assert_int_equal(fail_each_allocation(oom_protect, &kid, &f->as, &prot), sharing() ? 1 : 0);
	assert_int_equal(perm_of(&kid, VA2), RW);
	/* Everything the kid wrote is its own; the parent is untouched. */
	expect_fill(&f->as, VA, 56 * PG4K, SEED_PARENT);
	expect_fill(&kid, VA2 + PG2M - 8, 16, SEED_PARENT);
	/* The kid copied pages 3-55; it still shares 0-2. */
	for (vaddr_t va = VA; va < VA + 56 * PG4K; va += PG4K)
		expect_refs(&f->as, va, va < VA + 3 * PG4K ? refs_for(2) : 1);
	aspace_destroy(&kid);
	check_accounting(&f->as, f->base);
}

/*
 * A count at its limit: a sharing clone fails with -ENOMEM and is rolled
 * back; an eager copy takes no reference and does not care. Without
 * CONFIG_MM_COW there are no counts: skipped.
 */
static void test_clone_overflow(void **state)
{
	struct fixture *f = *state;
	struct aspace k1, k2;
	struct space_snap before, after;
	paddr_t p;

	if (!IS_ENABLED(CONFIG_MM_COW)) {
		skip(); /* returning too leaves the frame_ref_* calls below out of the build */
		return;
	}
	assert_int_equal(aspace_map_alloc(&f->as, VA, 3 * PG4K, RW, true, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA2, PG2M, RW, true, PG2M), 0);
	fill(&f->as, VA, 3 * PG4K, SEED_PARENT);
	p = frame_of(&f->as, VA2);
	space_new(&k1);
	space_new(&k2);
	if (!sharing()) {
		assert_int_equal(frame_ref_set_for_test(p, UINT32_MAX), 0);
		assert_int_equal(aspace_copy(&k1, &f->as), 0);
		assert_int_equal(frame_ref_get(p), UINT32_MAX);
		expect_refs(&k1, VA2, 1);
		assert_int_equal(frame_ref_set_for_test(p, 1), 0);
		aspace_destroy(&k2);
		aspace_destroy(&k1);
		check_accounting(&f->as, f->base);
		return;
	}
	assert_int_equal(frame_ref_set_for_test(p, UINT32_MAX - 1), 0);
	/* UINT32_MAX - 1 + 1 fits. */
	assert_int_equal(aspace_clone(&k1, &f->as), 0);
	assert_int_equal(frame_ref_get(p), UINT32_MAX);
	/* One more would wrap: the three 4K pages given before it are taken back. */
	snap_take(&k1, &before, true);
	EXPECT_UNCHANGED(&f->as, -ENOMEM, aspace_clone(&k2, &f->as));
	snap_take(&k1, &after, true);
	assert_true(snap_equal(&before, &after));
	snap_free(&before);
	snap_free(&after);
	assert_int_equal(stats(&k2).nr_areas, 0);
	assert_int_equal(stats(&k2).pt_pages, 1);
	assert_int_equal(frame_ref_get(p), UINT32_MAX);
	expect_refs(&f->as, VA, 2);
	/* The same at a page's write fault: a copy needs no new reference, so it works. */
	fill(&k1, VA2, 8, SEED_KID);
	assert_int_equal(frame_ref_get(p), UINT32_MAX - 1);
	assert_int_equal(aspace_clone(&k2, &f->as), 0);
	assert_int_equal(frame_ref_get(p), UINT32_MAX);
	/* Back to the true count (the parent and k2) before the frames are freed. */
	assert_int_equal(frame_ref_set_for_test(p, 2), 0);
	aspace_destroy(&k2);
	aspace_destroy(&k1);
	expect_refs(&f->as, VA2, 1);
	check_accounting(&f->as, f->base);
}

/* aspace_copy never changes its source; aspace_clone changes only PTE permissions. */
static void test_clone_source_kept(void **state)
{
	struct fixture *f = *state;
	struct aspace kid;
	struct space_snap before, after;

	build_mix(&f->as, false);
	space_new(&kid);
	snap_take(&f->as, &before, true);
	assert_int_equal(do_clone(&kid, &f->as), 0);
	snap_take(&f->as, &after, true);
	assert_memory_equal(&before.st, &after.st, sizeof(before.st));
	assert_int_equal(before.nr_pages, after.nr_pages);
	for (size_t i = 0; i < before.nr_pages; i++) {
		const struct page_rec *b = &before.pages[i], *a = &after.pages[i];
		const struct aspace_area *area = aspace_find_area(&f->as, b->va);
		bool shared = sharing() && area->backend.kind == ASPACE_BACKEND_ALLOC;

		assert_int_equal(a->pa, b->pa);
		assert_int_equal(a->sum, b->sum);
		assert_int_equal(a->flags & PERM_MASK, shared ? b->flags & PERM_MASK & ~MAPF_WRITE
							      : b->flags & PERM_MASK);
		assert_int_equal(a->refs, shared ? b->refs + 1 : b->refs);
	}
	snap_free(&before);
	snap_free(&after);
	aspace_destroy(&kid);
	check_accounting(&f->as, f->base);
}

int clone_suite_run(bool copy, const char *name)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_clone_bad_args, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_mixed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_write_4k, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_write_2m, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_write_1g, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_readonly_area, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_protect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_many_sharers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_unmap_shared, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_destroy_orders, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_linear, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_fault_handler, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_oom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cow_oom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_source_kept, setup, teardown),
	};

	suite_copy = copy;
	return _cmocka_run_group_tests(name, tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}

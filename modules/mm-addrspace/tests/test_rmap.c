/*
 * test_rmap.c - directed tests of the reverse map (aspace_rmap) and page
 * migration (aspace_migrate): the mappings of a private, a COW-shared, a
 * COW-copied, a transparent 2M and a fixed 2M frame; none for Linear,
 * page-table, heap and free frames; a destroyed sharer gone; max smaller
 * than the count. Migration of private, COW-shared, transparent 2M and fixed
 * 2M/1G pages with contents, counts, owner words, PTE flags, TLB flushes and
 * the allocator checked; -EBUSY, -ENOENT and -ENOMEM with nothing changed;
 * and a seeded random run of writes, unmaps, clones and migrations over
 * several spaces against a plain copy of their bytes, with the reverse map of
 * every mapped frame checked against a walk of every space. TEST_SEED=<n>
 * replays another seed. Each test ends with a destroy that must bring the
 * allocator back to its baseline (the fixture's teardown).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "aspace_test_fixture.h"
#include "test_rand.h"
#include "test_seed.h"

#define NR_4K_PER_2M (PG2M / PG4K) /* 512 */
#define SEED_A	     0x11
#define SEED_B	     0x6d
#define SEED_C	     0x3b
#define MAX_MAPS     8

/* The virtual page number mm-addrspace keeps in a frame's owner word. */
#define VPN(va) ((uint32_t)((va) >> PAGE_SHIFT))

/* aspace_rmap(pa) finds exactly the n mappings want[0..n), in that order. */
static void expect_rmap(paddr_t pa, int n, const struct aspace_mapping *want)
{
	struct aspace_mapping got[MAX_MAPS];

	assert_int_equal(aspace_rmap(pa, got, MAX_MAPS), n);
	for (int i = 0; i < n; i++) {
		assert_ptr_equal(got[i].as, want[i].as);
		assert_int_equal(got[i].va, want[i].va);
		assert_int_equal(got[i].pgsize, want[i].pgsize);
		assert_int_equal(got[i].pa, want[i].pa);
	}
}

/* TLB flushes of either kind so far. */
static unsigned long tlb_page_flushes(void)
{
	return hal_host_tlb_page_flushes;
}

/* The allocator's figures that a migration must leave as they were. */
static void expect_alloc_same(const struct axalloc_stats *a, const struct axalloc_stats *b)
{
	assert_int_equal(a->pages.free_pages, b->pages.free_pages);
	assert_int_equal(a->pages.used_pages, b->pages.used_pages);
	assert_int_equal(a->heap_pages, b->heap_pages);
	assert_int_equal(a->heap_used_bytes, b->heap_used_bytes);
}

/* The n frames from pa have count `refs` and owner words VPN(va), VPN(va) + 1, ... */
static void expect_frames(paddr_t pa, uint64_t n, uint32_t refs, vaddr_t va)
{
	for (uint64_t i = 0; i < n; i++) {
		paddr_t p = pa + i * PG4K;

		if (frame_ref_get(p) != refs || frame_owner_get(p) != VPN(va) + i)
			fail_msg("frame %#lx: count %u owner %#x, expected %u and %#x",
				 (unsigned long)p, frame_ref_get(p), frame_owner_get(p), refs,
				 (unsigned)(VPN(va) + i));
	}
}

/* The n frames from pa have count 0 and owner word 0 (moved away). */
static void expect_frames_cleared(paddr_t pa, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (frame_ref_get(pa + i * PG4K) != 0 || frame_owner_get(pa + i * PG4K) != 0)
			fail_msg("frame %#lx: count %u owner %#x, expected 0 and 0",
				 (unsigned long)(pa + i * PG4K), frame_ref_get(pa + i * PG4K),
				 frame_owner_get(pa + i * PG4K));
}

/* The free frame `old` (n 4K frames, aligned to n * 4K) can be allocated again. */
static void expect_allocatable(paddr_t old, uint64_t n)
{
	take_frame(old, n);
	assert_int_equal(axalloc_free_pages(old, n), 0);
}

/* ---- reverse map ---- */

/* A private 4K page: one mapping, and the owner word is its virtual page. */
static void test_rmap_private_4k(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 4 * PG4K, RW, true, PG4K), 0);
	paddr_t pa = frame_of(&f->as, VA + PG4K);
	assert_int_equal(frame_owner_get(pa), VPN(VA + PG4K));
	expect_rmap(pa, 1, (struct aspace_mapping[]){{&f->as, VA + PG4K, PG4K, pa}});
	/* Not a frame address. */
	assert_int_equal(aspace_rmap(pa + 8, NULL, 0), 0);
}

/* A frame shared by COW: every sharer, newest first; a COW copy maps in the writer only. */
static void test_rmap_cow_shared(void **state)
{
	struct fixture *f = *state;
	struct aspace *b, *c;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 2 * PG4K, RW, true, PG4K), 0);
	fill(&f->as, VA, 2 * PG4K, SEED_A);
	paddr_t pa = frame_of(&f->as, VA);
	b = clone_of(&f->as);
	expect_refs(&f->as, VA, 2);
	expect_rmap(pa, 2, (struct aspace_mapping[]){{b, VA, PG4K, pa}, {&f->as, VA, PG4K, pa}});
	c = clone_of(b);
	expect_refs(&f->as, VA, 3);
	expect_rmap(pa, 3,
		    (struct aspace_mapping[]){
			{c, VA, PG4K, pa}, {b, VA, PG4K, pa}, {&f->as, VA, PG4K, pa}});

	/* b writes: its copy maps in b only, the old frame in the others. */
	fill(b, VA, PG4K, SEED_B);
	paddr_t copy = frame_of(b, VA);
	assert_int_not_equal(copy, pa);
	assert_int_equal(frame_owner_get(copy), VPN(VA));
	expect_rmap(copy, 1, (struct aspace_mapping[]){{b, VA, PG4K, copy}});
	expect_rmap(pa, 2, (struct aspace_mapping[]){{c, VA, PG4K, pa}, {&f->as, VA, PG4K, pa}});
	expect_refs(&f->as, VA, 2);

	/* A destroyed sharer is gone. */
	drop(c);
	expect_rmap(pa, 1, (struct aspace_mapping[]){{&f->as, VA, PG4K, pa}});
	paddr_t second = frame_of(&f->as, VA + PG4K);
	expect_rmap(second, 2,
		    (struct aspace_mapping[]){{b, VA + PG4K, PG4K, second},
					      {&f->as, VA + PG4K, PG4K, second}});
	drop(b);
	expect_rmap(second, 1, (struct aspace_mapping[]){{&f->as, VA + PG4K, PG4K, second}});
	assert_int_equal(aspace_rmap(copy, NULL, 0), 0);
	expect_fill(&f->as, VA, 2 * PG4K, SEED_A);
}

/* max smaller than the count: the full count, max mappings stored, nothing past them. */
static void test_rmap_max(void **state)
{
	struct fixture *f = *state;
	struct aspace *b, *c;
	struct aspace_mapping out[3];

	assert_int_equal(aspace_map_alloc(&f->as, VA, PG4K, RW, true, PG4K), 0);
	paddr_t pa = frame_of(&f->as, VA);
	b = clone_of(&f->as);
	c = clone_of(&f->as);
	memset(out, 0xa5, sizeof(out));
	struct aspace_mapping untouched;
	memset(&untouched, 0xa5, sizeof(untouched));
	assert_int_equal(aspace_rmap(pa, out, 1), 3);
	assert_ptr_equal(out[0].as, c);
	assert_int_equal(out[0].va, VA);
	assert_int_equal(out[0].pgsize, PG4K);
	assert_int_equal(out[0].pa, pa);
	assert_memory_equal(&out[1], &untouched, sizeof(untouched));
	assert_memory_equal(&out[2], &untouched, sizeof(untouched));
	assert_int_equal(aspace_rmap(pa, out, 2), 3);
	assert_ptr_equal(out[1].as, b);
	assert_memory_equal(&out[2], &untouched, sizeof(untouched));
	assert_int_equal(aspace_rmap(pa, NULL, 0), 3);
	drop(c);
	drop(b);
}

/* A tail 4K frame of a transparent 2M page: the 2M page's start and first frame. */
static void test_rmap_thp_tail(void **state)
{
	struct fixture *f = *state;
	struct aspace *b;

	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA, PG2M, RW, false, PG4K), 0);
	assert_int_equal(aspace_populate(&f->as, VA, PG2M, ACCESS_WRITE), 0);
	assert_int_equal(pgsize_of(&f->as, VA), PG2M);
	paddr_t head = frame_of(&f->as, VA);
	expect_frames(head, NR_4K_PER_2M, 1, VA);
	expect_rmap(head + 5 * PG4K, 1, (struct aspace_mapping[]){{&f->as, VA, PG2M, head}});
	expect_rmap(head + (NR_4K_PER_2M - 1) * PG4K, 1,
		    (struct aspace_mapping[]){{&f->as, VA, PG2M, head}});
	b = clone_of(&f->as);
	expect_rmap(head + 5 * PG4K, 2,
		    (struct aspace_mapping[]){{b, VA, PG2M, head}, {&f->as, VA, PG2M, head}});
	drop(b);
}

/* A page of a fixed 2M area: every 4K frame of it finds the page. */
static void test_rmap_fixed_2m(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 2 * PG2M, RW, true, PG2M), 0);
	paddr_t head = frame_of(&f->as, VA + PG2M);
	expect_refs(&f->as, VA + PG2M, 1);
	assert_int_equal(frame_ref_get(head + PG4K), 0);
	for (uint64_t i = 0; i < NR_4K_PER_2M; i += 73)
		expect_rmap(head + i * PG4K, 1,
			    (struct aspace_mapping[]){{&f->as, VA + PG2M, PG2M, head}});
}

/* Linear, page-table, heap and free frames have no mappings. */
static void test_rmap_none(void **state)
{
	struct fixture *f = *state;
	paddr_t pa, lin;

	/* A Linear page over ENV_LIN_BASE, and one over a managed frame whose word names it. */
	assert_int_equal(aspace_map_linear(&f->as, VA2, ENV_LIN_BASE, PG4K, RW, PG4K), 0);
	assert_int_equal(aspace_rmap(ENV_LIN_BASE, NULL, 0), 0);
	assert_int_equal(axalloc_alloc_pages(1, PG4K, AXALLOC_UNMOVABLE, &lin), 0);
	assert_int_equal(frame_owner_set(lin, 1, VPN(VA2 + PG4K)), 0);
	assert_int_equal(aspace_map_linear(&f->as, VA2 + PG4K, lin, PG4K, RW, PG4K), 0);
	assert_int_equal(pa_of(&f->as, VA2 + PG4K), lin);
	assert_int_equal(aspace_rmap(lin, NULL, 0), 0);

	/* Page-table pages (the root, and a leaf table). */
	assert_int_equal(aspace_map_alloc(&f->as, VA, PG4K, RW, true, PG4K), 0);
	assert_int_equal(aspace_rmap(f->as.pt.root, NULL, 0), 0);

	/* A heap page. */
	void *p = kmalloc(64);
	assert_non_null(p);
	assert_int_equal(aspace_rmap(ALIGN_DOWN(virt_to_phys(p), PG4K), NULL, 0), 0);
	kfree(p);

	/* A freed frame keeps its stale word: it finds nothing, even once VA maps another. */
	pa = frame_of(&f->as, VA);
	assert_int_equal(aspace_unmap(&f->as, VA, PG4K), 0);
	assert_int_equal(frame_owner_get(pa), VPN(VA));
	assert_int_equal(aspace_rmap(pa, NULL, 0), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA, PG4K, RW, false, PG4K), 0);
	fill(&f->as, VA, 16, SEED_A);
	if (frame_of(&f->as, VA) != pa)
		assert_int_equal(aspace_rmap(pa, NULL, 0), 0);
	/* A frame never mapped at all. */
	assert_int_equal(aspace_unmap(&f->as, VA2, 2 * PG4K), 0);
	assert_int_equal(frame_owner_set(lin, 1, 0), 0);
	assert_int_equal(aspace_rmap(lin, NULL, 0), 0);
	assert_int_equal(axalloc_free_pages(lin, 1), 0);
	assert_int_equal(aspace_rmap(0, NULL, 0), 0);
}

/* ---- migration ---- */

/* A private 4K page: a new frame with the same bytes, flags, count and owner. */
static void test_migrate_private_4k(void **state)
{
	struct fixture *f = *state;
	struct axalloc_stats a0, a1;
	unsigned flags0, flags1;
	paddr_t to = 0;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 4 * PG4K, RW, true, PG4K), 0);
	fill(&f->as, VA, 4 * PG4K, SEED_A);
	vaddr_t va = VA + PG4K;
	paddr_t old = frame_of(&f->as, va), first = frame_of(&f->as, VA);
	assert_int_equal(aspace_query(&f->as, va, NULL, &flags0, NULL), 0);
	struct aspace_stats st0 = stats(&f->as);
	axalloc_stats(&a0);
	unsigned long pf = tlb_page_flushes(), af = hal_host_tlb_all_flushes;

	assert_int_equal(aspace_migrate(old, &to), 0);
	assert_int_not_equal(to, old);
	assert_true(IS_ALIGNED(to, PG4K));
	assert_int_equal(pa_of(&f->as, va), to);
	assert_int_equal(aspace_query(&f->as, va, NULL, &flags1, NULL), 0);
	assert_int_equal(flags1, flags0);
	assert_int_equal(tlb_page_flushes(), pf + 1);
	assert_int_equal(hal_host_tlb_all_flushes, af);
	assert_int_equal(hal_host_tlb_last_page, va);
	expect_frames(to, 1, 1, va);
	expect_frames_cleared(old, 1);
	expect_fill(&f->as, VA, 4 * PG4K, SEED_A);
	struct aspace_stats st1 = stats(&f->as);
	assert_memory_equal(&st0, &st1, sizeof(st0));
	axalloc_stats(&a1);
	expect_alloc_same(&a0, &a1);
	check_accounting(&f->as, f->base);
	expect_rmap(to, 1, (struct aspace_mapping[]){{&f->as, va, PG4K, to}});
	assert_int_equal(aspace_rmap(old, NULL, 0), 0);
	expect_allocatable(old, 1);
	/* The other pages did not move. */
	assert_int_equal(frame_of(&f->as, VA), first);
	/* The old frame is gone from every view: -ENOENT, nothing changed. */
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_migrate(old, NULL));
	/* The page still works: written in place (private), migrated again. */
	fill(&f->as, va, PG4K, SEED_B);
	assert_int_equal(frame_of(&f->as, va), to);
	paddr_t again;
	assert_int_equal(aspace_migrate(to, &again), 0);
	assert_int_equal(pa_of(&f->as, va), again);
	expect_fill(&f->as, va, PG4K, SEED_B);
	expect_refs(&f->as, va, 1);
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_migrate(to, NULL));
}

/* A COW-shared 4K page: both spaces remapped, 2 references, a later COW write works. */
static void test_migrate_cow_shared(void **state)
{
	struct fixture *f = *state;
	struct aspace *b;
	paddr_t to;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 2 * PG4K, RW, true, PG4K), 0);
	fill(&f->as, VA, 2 * PG4K, SEED_A);
	b = clone_of(&f->as);
	paddr_t old = frame_of(&f->as, VA);
	unsigned perm_a = perm_of(&f->as, VA), perm_b = perm_of(b, VA);
	assert_int_equal(perm_a, RO);
	unsigned long pf = tlb_page_flushes();

	assert_int_equal(aspace_migrate(old, &to), 0);
	assert_int_equal(tlb_page_flushes(), pf + 2);
	assert_int_equal(pa_of(&f->as, VA), to);
	assert_int_equal(pa_of(b, VA), to);
	assert_int_equal(perm_of(&f->as, VA), perm_a);
	assert_int_equal(perm_of(b, VA), perm_b);
	expect_frames(to, 1, 2, VA);
	expect_frames_cleared(old, 1);
	expect_rmap(to, 2, (struct aspace_mapping[]){{b, VA, PG4K, to}, {&f->as, VA, PG4K, to}});
	expect_fill(&f->as, VA, 2 * PG4K, SEED_A);
	expect_fill(b, VA, 2 * PG4K, SEED_A);

	/* A COW write in b copies; a's next write keeps the migrated frame. */
	fill(b, VA, PG4K, SEED_B);
	assert_int_not_equal(frame_of(b, VA), to);
	expect_refs(&f->as, VA, 1);
	expect_rmap(to, 1, (struct aspace_mapping[]){{&f->as, VA, PG4K, to}});
	fill(&f->as, VA, PG4K, SEED_C);
	assert_int_equal(frame_of(&f->as, VA), to);
	expect_fill(&f->as, VA, PG4K, SEED_C);
	expect_fill(b, VA, PG4K, SEED_B);
	drop(b);
	check_accounting(&f->as, f->base);
}

/* Sets up a transparent 2M page at VA filled with SEED_A, shared with a clone, *b. */
static paddr_t thp_shared(struct fixture *f, struct aspace **b)
{
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA, PG2M, RW, false, PG4K), 0);
	assert_int_equal(aspace_populate(&f->as, VA, PG2M, ACCESS_WRITE), 0);
	fill(&f->as, VA, PG2M, SEED_A);
	assert_int_equal(pgsize_of(&f->as, VA), PG2M);
	*b = clone_of(&f->as);
	assert_int_equal(pgsize_of(*b, VA), PG2M);
	return frame_of(&f->as, VA);
}

/* A transparent 2M page shared by a clone: both 2M leaves remapped, all 512 counts moved. */
static void test_migrate_thp_shared(void **state)
{
	struct fixture *f = *state;
	struct aspace *b;
	paddr_t to;

	paddr_t old = thp_shared(f, &b);
	struct aspace_stats sa = stats(&f->as), sb = stats(b);
	unsigned long pf = tlb_page_flushes();

	assert_int_equal(aspace_migrate(old + 100 * PG4K, &to), 0);
	assert_true(IS_ALIGNED(to, PG2M));
	assert_int_equal(tlb_page_flushes(), pf + 2);
	assert_int_equal(pgsize_of(&f->as, VA), PG2M);
	assert_int_equal(pgsize_of(b, VA), PG2M);
	assert_int_equal(frame_of(&f->as, VA), to);
	assert_int_equal(frame_of(b, VA), to);
	assert_int_equal(perm_of(&f->as, VA), RO);
	expect_frames(to, NR_4K_PER_2M, 2, VA);
	expect_frames_cleared(old, NR_4K_PER_2M);
	expect_rmap(to + 300 * PG4K, 2,
		    (struct aspace_mapping[]){{b, VA, PG2M, to}, {&f->as, VA, PG2M, to}});
	struct aspace_stats sa1 = stats(&f->as), sb1 = stats(b);
	assert_memory_equal(&sa, &sa1, sizeof(sa));
	assert_memory_equal(&sb, &sb1, sizeof(sb));
	expect_fill(&f->as, VA, PG2M, SEED_A);
	expect_fill(b, VA, PG2M, SEED_A);
	expect_allocatable(old, NR_4K_PER_2M);

	/* A COW write in b splits b's page and copies one 4K page; migration then refuses. */
	fill(b, VA + 3 * PG4K, PG4K, SEED_B);
	assert_int_equal(pgsize_of(b, VA), PG4K);
	const struct aspace *both[2] = {&f->as, b};
	unsigned long pf2 = tlb_page_flushes();
	EXPECT_UNCHANGED_SPACES(both, 2, -EBUSY, aspace_migrate(to, NULL));
	EXPECT_UNCHANGED_SPACES(both, 2, -EBUSY, aspace_migrate(to + 7 * PG4K, NULL));
	assert_int_equal(tlb_page_flushes(), pf2);
	expect_frames(to, 3, 2, VA);
	/* The copy b made is private and moves alone. */
	paddr_t copy = frame_of(b, VA + 3 * PG4K);
	assert_int_equal(aspace_migrate(copy, &to), 0);
	assert_int_equal(frame_of(b, VA + 3 * PG4K), to);
	expect_frames(to, 1, 1, VA + 3 * PG4K);
	expect_fill(b, VA + 3 * PG4K, PG4K, SEED_B);
	expect_fill(&f->as, VA, PG2M, SEED_A);
	drop(b);
}

/* A transparent page split in one space and not in the other: -EBUSY, nothing changed. */
static void test_migrate_thp_split_busy(void **state)
{
	struct fixture *f = *state;
	struct aspace *b;

	paddr_t old = thp_shared(f, &b);
	assert_int_equal(aspace_unmap(b, VA + 10 * PG4K, PG4K), 0);
	assert_int_equal(pgsize_of(b, VA), PG4K);
	assert_int_equal(pgsize_of(&f->as, VA), PG2M);
	expect_rmap(old + 4 * PG4K, 2,
		    (struct aspace_mapping[]){{b, VA + 4 * PG4K, PG4K, old + 4 * PG4K},
					      {&f->as, VA, PG2M, old}});
	const struct aspace *both[2] = {&f->as, b};
	struct axalloc_stats a0, a1;
	axalloc_stats(&a0);
	unsigned long pf = tlb_page_flushes();
	EXPECT_UNCHANGED_SPACES(both, 2, -EBUSY, aspace_migrate(old, NULL));
	EXPECT_UNCHANGED_SPACES(both, 2, -EBUSY, aspace_migrate(old + 4 * PG4K, NULL));
	axalloc_stats(&a1);
	assert_memory_equal(&a0, &a1, sizeof(a0));
	assert_int_equal(tlb_page_flushes(), pf);
	drop(b);
	/* Once b is gone, a's page moves. */
	assert_int_equal(aspace_migrate(old, NULL), 0);
	expect_fill(&f->as, VA, PG2M, SEED_A);
	expect_refs(&f->as, VA, 1);
}

/*
 * As above, but migrating through the one frame b unmapped: only a maps it
 * (by its 2M page), yet b still maps the other 511 frames of the page with
 * 4K pages (their counts say so), so the page cannot move either: -EBUSY,
 * nothing changed.
 */
static void test_migrate_thp_split_busy_unshared_frame(void **state)
{
	struct fixture *f = *state;
	struct aspace *b;

	paddr_t old = thp_shared(f, &b);
	assert_int_equal(aspace_unmap(b, VA + 10 * PG4K, PG4K), 0);
	assert_int_equal(frame_ref_get(old + 10 * PG4K), 1);
	assert_int_equal(frame_ref_get(old + 11 * PG4K), 2);
	expect_rmap(old + 10 * PG4K, 1, (struct aspace_mapping[]){{&f->as, VA, PG2M, old}});
	const struct aspace *both[2] = {&f->as, b};
	unsigned long pf = tlb_page_flushes();
	EXPECT_UNCHANGED_SPACES(both, 2, -EBUSY, aspace_migrate(old + 10 * PG4K, NULL));
	assert_int_equal(tlb_page_flushes(), pf);
	expect_frames(old, 10, 2, VA);
	expect_frames(old + 10 * PG4K, 1, 1, VA + 10 * PG4K);
	expect_fill(b, VA + 11 * PG4K, PG4K, SEED_A);
	drop(b);
}

/* A page of a fixed 2M area, shared: head count moved, tails stay 0. */
static void test_migrate_fixed_2m(void **state)
{
	struct fixture *f = *state;
	struct aspace *b;
	paddr_t to;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 2 * PG2M, RW, true, PG2M), 0);
	fill(&f->as, VA, 2 * PG2M, SEED_A);
	b = clone_of(&f->as);
	paddr_t old = frame_of(&f->as, VA + PG2M), other = frame_of(&f->as, VA);
	unsigned long pf = tlb_page_flushes();
	assert_int_equal(aspace_migrate(old + 9 * PG4K, &to), 0);
	assert_true(IS_ALIGNED(to, PG2M));
	assert_int_equal(tlb_page_flushes(), pf + 2);
	assert_int_equal(frame_of(&f->as, VA + PG2M), to);
	assert_int_equal(frame_of(b, VA + PG2M), to);
	assert_int_equal(frame_of(&f->as, VA), other);
	assert_int_equal(frame_ref_get(to), 2);
	assert_int_equal(frame_ref_max(to + PG4K, NR_4K_PER_2M - 1), 0);
	assert_int_equal(frame_ref_max(old, NR_4K_PER_2M), 0);
	for (uint64_t i = 0; i < NR_4K_PER_2M; i += 101)
		assert_int_equal(frame_owner_get(to + i * PG4K), VPN(VA + PG2M) + i);
	expect_frames_cleared(old, NR_4K_PER_2M);
	expect_rmap(
	    to + 9 * PG4K, 2,
	    (struct aspace_mapping[]){{b, VA + PG2M, PG2M, to}, {&f->as, VA + PG2M, PG2M, to}});
	expect_fill(&f->as, VA, 2 * PG2M, SEED_A);
	expect_fill(b, VA, 2 * PG2M, SEED_A);
	/* A COW write copies the migrated 2M page. */
	fill(b, VA + PG2M, PG4K, SEED_B);
	assert_int_not_equal(frame_of(b, VA + PG2M), to);
	assert_int_equal(frame_ref_get(to), 1);
	drop(b);
}

/* A page of a fixed 1G area. */
static void test_migrate_fixed_1g(void **state)
{
	struct fixture *f = *state;
	paddr_t to;

	snap_content = false;
	assert_int_equal(aspace_map_alloc(&f->as, VA1G, PG1G, RW, true, PG1G), 0);
	fill(&f->as, VA1G, PG4K, SEED_A);
	fill(&f->as, VA1G + PG1G - PG4K, PG4K, SEED_B);
	paddr_t old = frame_of(&f->as, VA1G);
	unsigned long pf = tlb_page_flushes();
	assert_int_equal(aspace_migrate(old + PG2M + PG4K, &to), 0);
	assert_true(IS_ALIGNED(to, PG1G));
	assert_int_not_equal(to, old);
	assert_int_equal(tlb_page_flushes(), pf + 1);
	assert_int_equal(frame_of(&f->as, VA1G), to);
	assert_int_equal(pgsize_of(&f->as, VA1G), PG1G);
	assert_int_equal(frame_ref_get(to), 1);
	assert_int_equal(frame_ref_get(old), 0);
	assert_int_equal(frame_owner_get(to + PG1G - PG4K), VPN(VA1G + PG1G - PG4K));
	assert_int_equal(frame_owner_get(old), 0);
	expect_fill(&f->as, VA1G, PG4K, SEED_A);
	expect_fill(&f->as, VA1G + PG1G - PG4K, PG4K, SEED_B);
	expect_zero(&f->as, VA1G + PG2M, PG4K);
	expect_rmap(to + 12345 * PG4K, 1, (struct aspace_mapping[]){{&f->as, VA1G, PG1G, to}});
	check_accounting(&f->as, f->base);
}

/* Frames that no space maps through an Alloc page: -ENOENT, nothing changed. */
static void test_migrate_enoent(void **state)
{
	struct fixture *f = *state;
	struct axalloc_stats a0, a1;
	paddr_t pa;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 2 * PG4K, RW, true, PG4K), 0);
	assert_int_equal(aspace_map_linear(&f->as, VA2, ENV_LIN_BASE, PG4K, RW, PG4K), 0);
	fill(&f->as, VA, 2 * PG4K, SEED_A);
	pa = frame_of(&f->as, VA + PG4K);
	assert_int_equal(aspace_unmap(&f->as, VA + PG4K, PG4K), 0);
	axalloc_stats(&a0);
	unsigned long pf = tlb_page_flushes();
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_migrate(pa, NULL)); /* freed, stale word */
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_migrate(ENV_LIN_BASE, NULL));
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_migrate(f->as.pt.root, NULL));
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_migrate(frame_of(&f->as, VA) + 8, NULL));
	EXPECT_UNCHANGED(&f->as, -ENOENT, aspace_migrate(0, NULL));
	axalloc_stats(&a1);
	assert_memory_equal(&a0, &a1, sizeof(a0));
	assert_int_equal(tlb_page_flushes(), pf);
	assert_int_equal(frame_owner_get(pa), VPN(VA + PG4K));
	expect_frames(frame_of(&f->as, VA), 1, 1, VA);
}

/* No free frame: -ENOMEM with every space, count and owner word unchanged. */
static void test_migrate_enomem(void **state)
{
	struct fixture *f = *state;
	struct aspace *b;
	struct axalloc_stats a0, a1;
	static struct hog_2m h;

	assert_int_equal(aspace_map_alloc(&f->as, VA, 2 * PG4K, RW, true, PG4K), 0);
	fill(&f->as, VA, 2 * PG4K, SEED_A);
	b = clone_of(&f->as);
	const struct aspace *both[2] = {&f->as, b};
	paddr_t pa = frame_of(&f->as, VA);
	unsigned long pf = tlb_page_flushes();

	/* 4K: every allocation fails. */
	axalloc_stats(&a0);
	axalloc_fail_after(0);
	EXPECT_UNCHANGED_SPACES(both, 2, -ENOMEM, aspace_migrate(pa, NULL));
	axalloc_fail_after(-1);
	axalloc_stats(&a1);
	expect_alloc_same(&a0, &a1);
	assert_int_equal(a1.failed_allocs, a0.failed_allocs + 1);
	expect_frames(pa, 1, 2, VA);
	expect_rmap(pa, 2, (struct aspace_mapping[]){{b, VA, PG4K, pa}, {&f->as, VA, PG4K, pa}});
	assert_int_equal(tlb_page_flushes(), pf);
	/* The k-th allocation failing, k = 0, 1, ...: one allocation, one failure. */
	assert_int_equal(
	    fail_each_allocation(oom_migrate, &f->as, b, &(struct oom_args){.va = VA + PG4K}), 1);
	expect_refs(b, VA + PG4K, 2);
	drop(b);

	/* A transparent 2M page with every 2M block taken (4K frames still free). */
	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA2, PG2M, RW, false, PG4K), 0);
	fill(&f->as, VA2, PG2M, SEED_B);
	assert_int_equal(pgsize_of(&f->as, VA2), PG2M);
	b = clone_of(&f->as);
	paddr_t head = frame_of(&f->as, VA2);
	hog_2m_frames(&h, 1);
	axalloc_stats(&a0);
	pf = tlb_page_flushes();
	EXPECT_UNCHANGED_SPACES(both, 2, -ENOMEM, aspace_migrate(head + 5 * PG4K, NULL));
	axalloc_stats(&a1);
	expect_alloc_same(&a0, &a1);
	assert_int_equal(tlb_page_flushes(), pf);
	expect_frames(head, NR_4K_PER_2M, 2, VA2);
	/* A 4K page still moves: 4K frames are free. */
	assert_int_equal(aspace_migrate(frame_of(&f->as, VA), NULL), 0);
	unhog_2m_frames(&h);
	assert_int_equal(aspace_migrate(head, NULL), 0);
	expect_fill(b, VA2, PG2M, SEED_B);
	expect_fill(&f->as, VA, 2 * PG4K, SEED_A);
	drop(b);
}

/* After migrations, unmap and destroy free everything (the teardown checks the baseline). */
static void test_migrate_then_free(void **state)
{
	struct fixture *f = *state;
	struct aspace *b, *c;

	assert_int_equal(aspace_set_thp_policy(&f->as, ASPACE_THP_ALWAYS), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA, PG2M + 8 * PG4K, RW, false, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, VA2, PG2M, RW, true, PG2M), 0);
	fill(&f->as, VA, PG2M + 8 * PG4K, SEED_A);
	fill(&f->as, VA2, PG4K, SEED_B);
	b = clone_of(&f->as);
	c = clone_of(b);
	fill(c, VA + PG2M, PG4K, SEED_C);
	for (int i = 0; i < 8; i++)
		assert_int_equal(aspace_migrate(frame_of(b, VA + PG2M + i * PG4K), NULL), 0);
	assert_int_equal(aspace_migrate(frame_of(b, VA), NULL), 0);
	assert_int_equal(aspace_migrate(frame_of(c, VA2), NULL), 0);
	expect_fill(c, VA + PG2M, PG4K, SEED_C);
	expect_fill(b, VA, PG2M + 8 * PG4K, SEED_A);
	assert_int_equal(aspace_unmap(b, VA, PG2M + 8 * PG4K), 0);
	assert_int_equal(aspace_unmap(&f->as, VA2, PG2M), 0);
	drop(b);
	expect_refs(&f->as, VA, 2);
	drop(c);
	expect_refs(&f->as, VA, 1);
	expect_fill(&f->as, VA, PG2M + 8 * PG4K, SEED_A);
}

/* ---- seeded random run ---- */

#define RND_SPACES	 4
#define RND_4K_PAGES	 32
#define RND_VA		 VA				      /* 4K area: RND_4K_PAGES pages */
#define RND_THP_VA	 (VA + PG1G / 2)		      /* one 2M block advised HUGEPAGE */
#define RND_PAGES	 ((int)(RND_4K_PAGES + NR_4K_PER_2M)) /* pages checked per space */
#define RND_STEPS	 300
#define RND_DEFAULT_SEED 0x4d1e5eed0b5e77edULL

/* One space of the random run and the plain copy of what it reads. */
struct rnd_space {
	bool live;
	struct aspace *as;   /* the fixture's (slot 0) or clone */
	struct aspace clone; /* slots 1.. */
	uint8_t bytes[RND_PAGES][PG4K];
	bool hole[RND_PAGES]; /* unmapped: no area */
};

static struct rnd_space rnd[RND_SPACES];
static uint64_t rnd_seed;

static vaddr_t rnd_va(int page)
{
	return page < RND_4K_PAGES ? RND_VA + (vaddr_t)page * PG4K
				   : RND_THP_VA + (vaddr_t)(page - RND_4K_PAGES) * PG4K;
}

#define RND_CHECK(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			print_error("seed %#llx: ", (unsigned long long)rnd_seed);                 \
			fail_msg(__VA_ARGS__);                                                     \
		}                                                                                  \
	} while (0)

/* Every space reads its copy; aspace_rmap of every mapped frame lists exactly its mappers. */
static void rnd_check(int step)
{
	static uint8_t buf[PG4K];
	struct aspace *live[RND_SPACES];
	int nr_live = 0;

	for (int s = 0; s < RND_SPACES; s++)
		if (rnd[s].live)
			live[nr_live++] = rnd[s].as;
	for (int s = 0; s < RND_SPACES; s++) {
		if (!rnd[s].live)
			continue;
		for (int p = 0; p < RND_PAGES; p++) {
			vaddr_t va = rnd_va(p);
			int err = aspace_query(rnd[s].as, va, NULL, NULL, NULL);

			if (err) {
				static const uint8_t zero[PG4K];

				RND_CHECK(err == -ENOENT, "step %d: query %d", step, err);
				RND_CHECK(rnd[s].hole[p] ||
					      memcmp(rnd[s].bytes[p], zero, PG4K) == 0,
					  "step %d: space %d: lazy page %#lx should hold data",
					  step, s, (unsigned long)va);
				continue;
			}
			RND_CHECK(!rnd[s].hole[p], "step %d: space %d maps hole %#lx", step, s,
				  (unsigned long)va);
			RND_CHECK(aspace_read(rnd[s].as, va, buf, PG4K) == 0, "step %d: read",
				  step);
			RND_CHECK(memcmp(buf, rnd[s].bytes[p], PG4K) == 0,
				  "step %d: space %d reads other bytes at %#lx", step, s,
				  (unsigned long)va);
			RND_CHECK(rmap_matches(live, nr_live, rnd[s].as, va),
				  "step %d: space %d: reverse map of %#lx", step, s,
				  (unsigned long)va);
		}
	}
}

/* A random live space. */
static int rnd_live(uint64_t *rs)
{
	for (;;) {
		int s = (int)test_rand_below(rs, RND_SPACES);
		if (rnd[s].live)
			return s;
	}
}

static void test_rmap_random(void **state)
{
	struct fixture *f = *state;
	uint64_t rs;
	int counts[5] = {0}, busy = 0;
	static uint8_t buf[PG4K];

	rnd_seed = host_test_seed(RND_DEFAULT_SEED);
	rs = rnd_seed;
	printf("rmap random: seed %#llx\n", (unsigned long long)rnd_seed);
	memset(rnd, 0, sizeof(rnd));
	/* Space 0 is the fixture's; the others are clones (or empty slots). */
	assert_int_equal(aspace_map_alloc(&f->as, RND_VA, RND_4K_PAGES * PG4K, RW, false, PG4K), 0);
	assert_int_equal(aspace_map_alloc(&f->as, RND_THP_VA, PG2M, RW, false, PG4K), 0);
	assert_int_equal(aspace_advise(&f->as, RND_THP_VA, PG2M, ASPACE_ADV_HUGEPAGE), 0);
	rnd[0].live = true;
	rnd[0].as = &f->as;
	for (int step = 0; step < RND_STEPS; step++) {
		int op = (int)test_rand_below(&rs, 10);
		int s = step == 0 ? 0 : rnd_live(&rs);
		struct aspace *as = s == 0 ? &f->as : rnd[s].as;
		int p = (int)test_rand_below(&rs, RND_PAGES);
		vaddr_t va = rnd_va(p);

		if (op < 4) { /* write some bytes of one page */
			if (rnd[s].hole[p])
				continue;
			uint64_t off = test_rand_below(&rs, PG4K),
				 len = 1 + test_rand_below(&rs, PG4K - off);
			for (uint64_t i = 0; i < len; i++)
				buf[i] = (uint8_t)test_rand_next(&rs);
			RND_CHECK(aspace_write(as, va + off, buf, len) == 0, "step %d: write",
				  step);
			memcpy(&rnd[s].bytes[p][off], buf, len);
			counts[0]++;
		} else if (op < 7) { /* migrate the frame of a mapped page */
			paddr_t pa, to;
			if (aspace_query(as, va, &pa, NULL, NULL) != 0)
				continue;
			int err = aspace_migrate(pa, &to);
			if (err == -EBUSY) {
				/* Only where the sharers map it with different pages. */
				struct aspace_mapping m[RND_SPACES];
				int n = aspace_rmap(pa, m, RND_SPACES), differ = 0;
				for (int i = 1; i < n; i++)
					differ |= m[i].pgsize != m[0].pgsize || m[i].pa != m[0].pa;
				RND_CHECK(differ, "step %d: -EBUSY for %d alike mappings", step, n);
				busy++;
				continue;
			}
			RND_CHECK(err == 0, "step %d: migrate %d", step, err);
			RND_CHECK(pa_of(as, va) - (va & (pgsize_of(as, va) - 1)) == to,
				  "step %d: not remapped", step);
			counts[1]++;
		} else if (op < 8) { /* unmap a page, or map a hole again (zeroes) */
			if (rnd[s].hole[p]) {
				RND_CHECK(aspace_map_alloc(as, va, PG4K, RW, false, PG4K) == 0,
					  "step %d: map", step);
				rnd[s].hole[p] = false;
			} else {
				RND_CHECK(aspace_unmap(as, va, PG4K) == 0, "step %d: unmap", step);
				rnd[s].hole[p] = true;
			}
			memset(rnd[s].bytes[p], 0, PG4K);
			counts[2]++;
		} else if (op < 9) { /* clone a space into a free slot */
			int d;
			for (d = 1; d < RND_SPACES && rnd[d].live; d++)
				;
			if (d == RND_SPACES)
				continue;
			rnd[d].as = clone_of(as);
			rnd[d].live = true;
			memcpy(rnd[d].bytes, rnd[s].bytes, sizeof(rnd[d].bytes));
			memcpy(rnd[d].hole, rnd[s].hole, sizeof(rnd[d].hole));
			counts[3]++;
		} else { /* destroy a clone */
			if (s == 0)
				continue;
			drop(rnd[s].as);
			rnd[s].live = false;
			counts[4]++;
		}
		rnd_check(step);
	}
	printf("rmap random (seed %#llx): %d writes, %d migrations, %d unmaps/maps, %d clones, "
	       "%d destroys, %d refused busy\n",
	       (unsigned long long)rnd_seed, counts[0], counts[1], counts[2], counts[3], counts[4],
	       busy);
	for (int s = 1; s < RND_SPACES; s++)
		if (rnd[s].live)
			drop(rnd[s].as);
	assert_true(counts[1] > 0 && counts[3] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rmap_private_4k, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_rmap_cow_shared, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_rmap_max, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_rmap_thp_tail, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_rmap_fixed_2m, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_rmap_none, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_migrate_private_4k, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_migrate_cow_shared, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_migrate_thp_shared, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_migrate_thp_split_busy, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_migrate_thp_split_busy_unshared_frame, setup,
					    teardown_clones),
	    cmocka_unit_test_setup_teardown(test_migrate_fixed_2m, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_migrate_fixed_1g, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_migrate_enoent, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_migrate_enomem, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_migrate_then_free, setup, teardown_clones),
	    cmocka_unit_test_setup_teardown(test_rmap_random, setup, teardown_clones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_page_table.c - unit tests of the Sv39 page table: every operation,
 * page-size choice, table accounting, bad input, out of memory, TLB flushes,
 * kernel sharing, splitting and collapsing huge pages, empty ranges. Table
 * pages come from the test allocator of pt_test_env.h (simulated RAM)
 * through struct pt_frame_ops; leaf frames are made-up addresses that are
 * never touched.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <klib/kconfig.h>

#include "pt_test_env.h"

#define K4 PAGE_SIZE_4K
#define M2 PAGE_SIZE_2M
#define G1 PAGE_SIZE_1G

#define R  MAPF_READ
#define W  MAPF_WRITE
#define X  MAPF_EXEC
#define RW (MAPF_READ | MAPF_WRITE)
#define RX (MAPF_READ | MAPF_EXEC)

/* A low-half base (4 GiB) whose 1G regions r0, r1, ... the tests use. */
#define VB 0x100000000ULL
/* Frame base: 1G-aligned, so pa = va - VB + PB keeps every alignment. */
#define PB     PT_ENV_FRAME_BASE
#define PA(va) ((va)-VB + PB)

/* Highest canonical low-half address + 1, lowest high-half address. */
#define LOW_END	   (1ULL << 38)
#define HIGH_START (~0ULL << 38)

/*
 * An allocator that counts its calls and hands them on to the test allocator;
 * each free also notes how many full TLB flushes had been done by then, so
 * a test can tell that the tables went back only after the flush.
 */
struct counting_frames {
	uint64_t allocs, frees, held;
	paddr_t last;
	unsigned long min_all_flushes_at_free; /* fewest hal_host_tlb_all_flushes seen by a free */
};

static int counting_alloc(void *ctx, paddr_t *pa)
{
	struct counting_frames *c = ctx;
	int err = pt_env_frames.alloc(pt_env_frames.ctx, pa);
	if (err == 0) {
		c->allocs++;
		c->held++;
		c->last = *pa;
	}
	return err;
}

static void counting_free(void *ctx, paddr_t pa)
{
	struct counting_frames *c = ctx;
	assert_true(c->held > 0);
	c->frees++;
	c->held--;
	if (hal_host_tlb_all_flushes < c->min_all_flushes_at_free)
		c->min_all_flushes_at_free = hal_host_tlb_all_flushes;
	pt_env_frames.free(pt_env_frames.ctx, pa);
}

struct fixture {
	struct page_table pt;
	uint64_t baseline;
	struct counting_frames frames; /* the table's ops' counts (setup_counting) */
};

static struct fixture fixture;

/* The test allocator through counting_frames: the ops of setup_counting. */
static const struct pt_frame_ops counted_env_frames = {counting_alloc, counting_free,
						       &fixture.frames};

/* A fresh table with table pages from `ops`, the flush counters at 0. */
static int setup_with(void **state, const struct pt_frame_ops *ops)
{
	struct fixture *f = &fixture;
	memset(&f->frames, 0, sizeof(f->frames));
	f->frames.min_all_flushes_at_free = ULONG_MAX;
	f->baseline = pt_env_reset();
	if (f->baseline == UINT64_MAX || pt_init(&f->pt, ops) != 0)
		return -1;
	hal_host_tlb_page_flushes = 0;
	hal_host_tlb_all_flushes = 0;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, &pt_env_frames);
}

/* The table's pages come through counted_env_frames, so f->frames counts them. */
static int setup_counting(void **state)
{
	return setup_with(state, &counted_env_frames);
}

/* Destroys the table and checks that every table page went back. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	pt_env_fail_after(-1);
	pt_destroy(&f->pt);
	assert_int_equal(pt_env_used_pages(), f->baseline);
	return 0;
}

/* Table pages held: the allocator's count agrees with the table's own. */
static void check_accounting(const struct fixture *f)
{
	struct pt_env_census c = pt_env_census(&f->pt);
	assert_int_equal(c.tables, f->pt.nr_table_pages);
	assert_int_equal(c.empty_tables, 0);
	assert_int_equal(c.bad_entries, 0);
	assert_int_equal(pt_env_used_pages(), f->baseline + f->pt.nr_table_pages);
}

/* Everything a failed call must leave as it was. */
struct snap {
	uint64_t fingerprint;
	uint64_t used;
	uint64_t tables;
};

static struct snap snap_take(const struct fixture *f)
{
	return (struct snap){pt_env_fingerprint(&f->pt), pt_env_used_pages(), f->pt.nr_table_pages};
}

static void snap_check(const struct fixture *f, const struct snap *s)
{
	assert_int_equal(pt_env_fingerprint(&f->pt), s->fingerprint);
	assert_int_equal(pt_env_used_pages(), s->used);
	assert_int_equal(f->pt.nr_table_pages, s->tables);
}

/* Asserts that `call` returns `err` and changes nothing in f's table. */
#define EXPECT_UNCHANGED(f, call, err)                                                             \
	do {                                                                                       \
		struct snap s_ = snap_take(f);                                                     \
		assert_int_equal((call), (err));                                                   \
		snap_check((f), &s_);                                                              \
	} while (0)

/*
 * Walks [va, va + size) leaf by leaf with pt_query, checking that it is fully
 * mapped to pa contiguously with `flags`, and counts the leaves per size.
 */
static void count_leaves(const struct page_table *pt, vaddr_t va, uint64_t size, paddr_t pa,
			 unsigned flags, uint64_t n[3])
{
	n[0] = n[1] = n[2] = 0;
	for (uint64_t off = 0; off < size;) {
		paddr_t qpa;
		unsigned qflags;
		uint64_t pgsize;
		assert_int_equal(pt_query(pt, va + off, &qpa, &qflags, &pgsize), 0);
		assert_int_equal(qpa, pa + off);
		assert_int_equal(qflags, flags);
		assert_true(IS_ALIGNED(va + off, pgsize));
		assert_true(off + pgsize <= size);
		n[pgsize == K4 ? 0 : pgsize == M2 ? 1 : 2]++;
		off += pgsize;
	}
}

/* Flags pt_query reports for a mapping made with `flags`. */
static unsigned reported(unsigned flags)
{
	flags |= MAPF_ACCESSED;
	if (flags & MAPF_WRITE)
		flags |= MAPF_DIRTY;
	return flags;
}

static void test_init_satp_destroy(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(f->pt.nr_table_pages, 1);
	assert_false(f->pt.shares_kernel);
	check_accounting(f);
	assert_int_equal(pt_satp(&f->pt), (8ULL << 60) | (f->pt.root >> 12));
	const pte_t *root = pt_env_table(f->pt.root);
	for (unsigned i = 0; i < SV39_ENTRIES; i++)
		assert_int_equal(root[i], 0);

	/* A second table is independent; destroying it returns its pages. */
	struct page_table other;
	assert_int_equal(pt_init(&other, &pt_env_frames), 0);
	assert_int_not_equal(other.root, f->pt.root);
	assert_int_equal(pt_map_region(&other, VB, PB, 3 * M2 + 5 * K4, RW, true), 0);
	assert_int_equal(pt_map(&other, HIGH_START + G1, PB, G1, RW), 0);
	assert_int_equal(pt_env_used_pages(), f->baseline + 1 + other.nr_table_pages);
	pt_destroy(&other);
	assert_int_equal(other.root, 0);
	assert_int_equal(other.nr_table_pages, 0);
	check_accounting(f);
}

/*
 * Every table page comes from, and goes back to, the ops the table was given
 * (with its ctx); two tables with different allocators can share a kernel half.
 */
static void test_frame_ops(void **state)
{
	struct fixture *f = *state;
	struct counting_frames c = {0};
	const struct pt_frame_ops ops = {counting_alloc, counting_free, &c};
	struct page_table t;

	assert_int_equal(pt_init(&t, &ops), 0);
	assert_ptr_equal(t.frames, &ops);
	assert_int_equal(c.allocs, 1);
	assert_int_equal(c.last, t.root);
	/* The allocator's page came poisoned: the root must have been zeroed. */
	const pte_t *root = pt_env_table(t.root);
	for (unsigned i = 0; i < SV39_ENTRIES; i++)
		assert_int_equal(root[i], 0);

	assert_int_equal(pt_map_region(&t, VB, PB, 3 * M2 + 5 * K4, RW, true), 0);
	assert_int_equal(c.held, t.nr_table_pages);
	assert_int_equal(pt_map(&f->pt, HIGH_START, PB, K4, R), 0);
	assert_int_equal(pt_share_kernel(&t, &f->pt), 0);
	assert_int_equal(pt_unmap_region(&t, VB, 3 * M2 + 5 * K4), 0);
	assert_int_equal(c.held, 1);
	assert_int_equal(c.frees, c.allocs - 1);
	assert_int_equal(pt_env_used_pages(), f->baseline + f->pt.nr_table_pages + 1);

	/* Out of memory in the given allocator: nothing changes. */
	pt_env_fail_after(1);
	uint64_t allocs = c.allocs, tables = t.nr_table_pages;
	assert_int_equal(pt_map(&t, VB, PB, K4, R), -ENOMEM);
	pt_env_fail_after(-1);
	assert_int_equal(c.allocs, allocs + 1);
	assert_int_equal(c.held, tables);
	assert_int_equal(t.nr_table_pages, tables);

	/* Destroy frees through the table's own ops, never the lender's tables. */
	assert_int_equal(pt_map(&t, VB, PB, K4, R), 0);
	uint64_t lender_tables = f->pt.nr_table_pages;
	pt_destroy(&t);
	assert_int_equal(c.held, 0);
	assert_int_equal(c.frees, c.allocs);
	assert_int_equal(f->pt.nr_table_pages, lender_tables);
	assert_int_equal(pt_query(&f->pt, HIGH_START, NULL, NULL, NULL), 0);
	check_accounting(f);

	/* A failed pt_init takes nothing and leaves the allocator's count alone. */
	pt_env_fail_after(0);
	assert_int_equal(pt_init(&t, &ops), -ENOMEM);
	pt_env_fail_after(-1);
	assert_int_equal(c.held, 0);
}

static void test_map_query_each_size(void **state)
{
	struct fixture *f = *state;
	static const uint64_t sizes[] = {K4, M2, G1};
	static const uint64_t tables[] = {3, 2, 1};
	vaddr_t va = VB + 3 * G1;
	for (int i = 0; i < 3; i++) {
		uint64_t size = sizes[i];
		paddr_t pa = PB + (uint64_t)(i + 1) * G1;
		paddr_t qpa;
		unsigned qflags;
		uint64_t pgsize;
		int level;

		assert_int_equal(pt_map(&f->pt, va, pa, size, RW), 0);
		assert_int_equal(f->pt.nr_table_pages, tables[i]);
		check_accounting(f);
		pte_t e = pt_env_leaf(&f->pt, va, &level);
		assert_int_equal(level, i);
		assert_int_equal(sv39_pte_pa(e), pa);
		assert_int_equal(e & (SV39_PTE_V | SV39_PTE_RWX | SV39_PTE_A | SV39_PTE_D),
				 SV39_PTE_V | SV39_PTE_R | SV39_PTE_W | SV39_PTE_A | SV39_PTE_D);

		uint64_t offsets[] = {0, 1, size / 2 + 123, size - 1};
		for (int j = 0; j < 4; j++) {
			assert_int_equal(pt_query(&f->pt, va + offsets[j], &qpa, &qflags, &pgsize),
					 0);
			assert_int_equal(qpa, pa + offsets[j]);
			assert_int_equal(qflags, reported(RW));
			assert_int_equal(pgsize, size);
		}
		assert_int_equal(pt_query(&f->pt, va, NULL, NULL, NULL), 0);
		assert_int_equal(pt_query(&f->pt, va - 1, &qpa, NULL, NULL), -ENOENT);
		assert_int_equal(pt_query(&f->pt, va + size, NULL, NULL, NULL), -ENOENT);

		assert_int_equal(pt_unmap(&f->pt, va, &qpa, &pgsize), 0);
		assert_int_equal(qpa, pa);
		assert_int_equal(pgsize, size);
		assert_int_equal(pt_query(&f->pt, va, NULL, NULL, NULL), -ENOENT);
		assert_int_equal(f->pt.nr_table_pages, 1);
		check_accounting(f);
	}
}

/* Flags no leaf may have: neither R nor X, W without R, or unknown bits. */
static const unsigned bad_leaf_flags[] = {
    0,
    W,
    W | X,
    MAPF_USER,
    MAPF_GLOBAL | MAPF_DEVICE,
    MAPF_ACCESSED,
    R | (1u << 8),
    RW | (1u << 31),
};

static void test_flags(void **state)
{
	struct fixture *f = *state;
	static const unsigned good[] = {
	    R,
	    RW,
	    RX,
	    X,
	    RW | X,
	    RW | MAPF_USER,
	    RX | MAPF_GLOBAL,
	    R | MAPF_DEVICE,
	    RW | MAPF_DEVICE | MAPF_GLOBAL,
	    R | MAPF_ACCESSED | MAPF_DIRTY, /* computed flags are ignored as input */
	};
	vaddr_t va = VB + 7 * K4;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		unsigned in = good[i] & ~(MAPF_ACCESSED | MAPF_DIRTY);
		unsigned qflags;
		int level;
		assert_int_equal(pt_map(&f->pt, va, PB, K4, good[i]), 0);
		assert_int_equal(pt_query(&f->pt, va, NULL, &qflags, NULL), 0);
		assert_int_equal(qflags, reported(in));

		pte_t e = pt_env_leaf(&f->pt, va, &level);
		assert_int_equal(!!(e & SV39_PTE_R), !!(in & R));
		assert_int_equal(!!(e & SV39_PTE_W), !!(in & W));
		assert_int_equal(!!(e & SV39_PTE_X), !!(in & X));
		assert_int_equal(!!(e & SV39_PTE_U), !!(in & MAPF_USER));
		assert_int_equal(!!(e & SV39_PTE_G), !!(in & MAPF_GLOBAL));
		assert_int_equal(!!(e & SV39_PTE_SW_DEVICE), !!(in & MAPF_DEVICE));
		assert_true(e & SV39_PTE_A);
		assert_int_equal(!!(e & SV39_PTE_D), !!(in & W));
		uint64_t pbmt = (e & SV39_PTE_PBMT_MASK) >> SV39_PTE_PBMT_SHIFT;
		assert_int_equal(pbmt, IS_ENABLED(CONFIG_RISCV_SVPBMT) && (in & MAPF_DEVICE)
					   ? SV39_PBMT_IO
					   : SV39_PBMT_PMA);
		/* Flags read back can be handed to protect unchanged. */
		assert_int_equal(pt_protect(&f->pt, va, K4, qflags), 0);
		assert_int_equal(pt_env_leaf(&f->pt, va, &level), e);
		assert_int_equal(pt_unmap(&f->pt, va, NULL, NULL), 0);
	}

	/* Table pointers never carry leaf bits. */
	assert_int_equal(pt_map(&f->pt, va, PB, K4, RW | MAPF_USER | MAPF_GLOBAL | MAPF_DEVICE), 0);
	check_accounting(f);

	for (size_t i = 0; i < sizeof(bad_leaf_flags) / sizeof(bad_leaf_flags[0]); i++) {
		EXPECT_UNCHANGED(f, pt_map(&f->pt, va + K4, PB, K4, bad_leaf_flags[i]), -EINVAL);
		EXPECT_UNCHANGED(f, pt_map_region(&f->pt, va + K4, PB, K4, bad_leaf_flags[i], true),
				 -EINVAL);
		EXPECT_UNCHANGED(f, pt_protect(&f->pt, va, K4, bad_leaf_flags[i]), -EINVAL);
		EXPECT_UNCHANGED(f, pt_remap(&f->pt, va, PB, bad_leaf_flags[i]), -EINVAL);
	}
}

/* One map_region case and the leaves it must produce. */
struct region_case {
	vaddr_t va;
	paddr_t pa;
	uint64_t size;
	bool allow_huge;
	uint64_t n4k, n2m, n1g;
	uint64_t tables; /* nr_table_pages afterwards */
};

static void test_map_region_page_choice(void **state)
{
	struct fixture *f = *state;
	static const struct region_case cases[] = {
	    /* va and pa 1G-aligned: one 1G page, no table below the root. */
	    {VB, PB, G1, true, 0, 0, 1, 1},
	    /* The same without huge pages: 512 level-0 tables. */
	    {VB, PB, G1, false, 512 * 512, 0, 0, 1 + 1 + 512},
	    /* pa only 2M-aligned: 2M pages. */
	    {VB, PB + M2, G1, true, 0, 512, 0, 2},
	    /* va only 2M-aligned: 2M pages, in two 1G regions. */
	    {VB + M2, PB + M2, G1, true, 0, 512, 0, 1 + 2},
	    /* va and pa 4K off a 2M boundary by the same amount: 4K only. */
	    {VB + 3 * K4, PB + 3 * K4, M2, true, 512, 0, 0, 1 + 1 + 2},
	    /* 4K head, 1G, 2M, 4K tail. */
	    {VB + G1 - 2 * K4, PB + G1 - 2 * K4, G1 + M2 + 4 * K4, true, 4, 1, 1, 1 + 2 + 2},
	    /* va and pa disagree modulo 2M: 4K only. */
	    {VB + K4, PB, M2, true, 512, 0, 0, 1 + 1 + 2},
	    {VB, PB + K4, 2 * M2, true, 1024, 0, 0, 1 + 1 + 2},
	    /* va 1G-aligned, pa only 2M-aligned: 2M pages across two 1G regions. */
	    {VB + G1, PB + M2, G1 + M2, true, 0, 513, 0, 1 + 2},
	    /* Several 1G pages, then 2M pages. */
	    {VB, PB, 3 * G1 + 4 * M2, true, 0, 4, 3, 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct region_case *c = &cases[i];
		uint64_t n[3];
		assert_int_equal(pt_map_region(&f->pt, c->va, c->pa, c->size, RW, c->allow_huge),
				 0);
		count_leaves(&f->pt, c->va, c->size, c->pa, reported(RW), n);
		assert_int_equal(n[0], c->n4k);
		assert_int_equal(n[1], c->n2m);
		assert_int_equal(n[2], c->n1g);
		assert_int_equal(f->pt.nr_table_pages, c->tables);
		struct pt_env_census cen = pt_env_census(&f->pt);
		assert_int_equal(cen.leaves[0], c->n4k);
		assert_int_equal(cen.leaves[1], c->n2m);
		assert_int_equal(cen.leaves[2], c->n1g);
		check_accounting(f);
		assert_int_equal(pt_query(&f->pt, c->va - 1, NULL, NULL, NULL), -ENOENT);
		assert_int_equal(pt_query(&f->pt, c->va + c->size, NULL, NULL, NULL), -ENOENT);

		assert_int_equal(pt_unmap_region(&f->pt, c->va, c->size), 0);
		assert_int_equal(f->pt.nr_table_pages, 1);
		check_accounting(f);
	}
}

/* Kernel-style mappings: high-half linear map and per-section permissions. */
static void test_high_half(void **state)
{
	struct fixture *f = *state;
	const paddr_t ram = 0x80000000ULL;
	const vaddr_t lin = HIGH_START + ram;
	uint64_t n[3];
	paddr_t qpa;
	uint64_t pgsize;

	assert_int_equal(
	    pt_map_region(&f->pt, lin, ram, 3 * G1 + 3 * M2 + 2 * K4, RW | MAPF_GLOBAL, true), 0);
	count_leaves(&f->pt, lin, 3 * G1 + 3 * M2 + 2 * K4, ram, reported(RW | MAPF_GLOBAL), n);
	assert_int_equal(n[2], 3);
	assert_int_equal(n[1], 3);
	assert_int_equal(n[0], 2);
	check_accounting(f);

	/* Kernel image sections with their own permissions, next to each other. */
	const vaddr_t text = 0xffffffff80200000ULL;
	assert_int_equal(
	    pt_map_region(&f->pt, text, ram + 0x200000, 5 * K4, RX | MAPF_GLOBAL, true), 0);
	assert_int_equal(
	    pt_map_region(&f->pt, text + 5 * K4, ram + 0x205000, 2 * K4, R | MAPF_GLOBAL, true), 0);
	assert_int_equal(
	    pt_map_region(&f->pt, text + 7 * K4, ram + 0x207000, 9 * K4, RW | MAPF_GLOBAL, true),
	    0);
	unsigned qflags;
	assert_int_equal(pt_query(&f->pt, text + 4 * K4 + 8, &qpa, &qflags, NULL), 0);
	assert_int_equal(qflags, reported(RX | MAPF_GLOBAL));
	assert_int_equal(qpa, ram + 0x204008);
	assert_int_equal(pt_query(&f->pt, text + 6 * K4, NULL, &qflags, NULL), 0);
	assert_int_equal(qflags, reported(R | MAPF_GLOBAL));
	assert_int_equal(pt_query(&f->pt, text + 15 * K4, NULL, &qflags, NULL), 0);
	assert_int_equal(qflags, reported(RW | MAPF_GLOBAL));

	/* The very top of the address space: the range end wraps to 0. */
	const vaddr_t top = ~0ULL - G1 + 1;
	assert_int_equal(pt_map(&f->pt, top, PB, G1, RW), 0);
	assert_int_equal(pt_query(&f->pt, ~0ULL, &qpa, NULL, &pgsize), 0);
	assert_int_equal(qpa, PB + G1 - 1);
	assert_int_equal(pgsize, G1);
	assert_int_equal(pt_unmap_region(&f->pt, top, G1), 0);
	assert_int_equal(pt_map_region(&f->pt, ~0ULL - 2 * K4 + 1, PB, 2 * K4, R, true), 0);
	assert_int_equal(pt_protect(&f->pt, ~0ULL - 2 * K4 + 1, 2 * K4, RW), 0);
	assert_int_equal(pt_unmap_region(&f->pt, ~0ULL - 2 * K4 + 1, 2 * K4), 0);
	/* The top of the low half and the bottom of the high half. */
	assert_int_equal(pt_map(&f->pt, LOW_END - G1, PB, G1, RW), 0);
	assert_int_equal(pt_map(&f->pt, HIGH_START, PB, M2, RW), 0);
	assert_int_equal(pt_query(&f->pt, LOW_END - 1, &qpa, NULL, NULL), 0);
	assert_int_equal(qpa, PB + G1 - 1);
	assert_int_equal(pt_query(&f->pt, HIGH_START + 5, &qpa, NULL, NULL), 0);
	assert_int_equal(qpa, PB + 5);
	check_accounting(f);
}

/* Layout used by several tests: 4K head, 1G, 2M, 4K tail, plus a lone 4K page. */
#define LAY_VA	 (VB + G1 - 2 * K4)
#define LAY_SIZE (G1 + M2 + 4 * K4)
#define LONE_VA	 (VB + 3 * G1 + 5 * K4)

static void map_layout(struct fixture *f)
{
	assert_int_equal(pt_map_region(&f->pt, LAY_VA, PA(LAY_VA), LAY_SIZE, RW, true), 0);
	assert_int_equal(pt_map(&f->pt, LONE_VA, PA(LONE_VA), K4, RW), 0);
	assert_int_equal(f->pt.nr_table_pages, 1 + 2 + 2 + 2);
}

static void test_unmap_single(void **state)
{
	struct fixture *f = *state;
	paddr_t pa;
	uint64_t pgsize;
	map_layout(f);

	/* Inside a huge page but not at its start. */
	EXPECT_UNCHANGED(f, pt_unmap(&f->pt, VB + G1 + K4, NULL, NULL), -EBUSY);
	EXPECT_UNCHANGED(f, pt_unmap(&f->pt, VB + G1 + M2, NULL, NULL), -EBUSY);
	EXPECT_UNCHANGED(f, pt_unmap(&f->pt, VB + 2 * G1 + 8 * K4, NULL, NULL), -EBUSY);
	/* Nothing there, misaligned, not canonical. */
	EXPECT_UNCHANGED(f, pt_unmap(&f->pt, LONE_VA + K4, NULL, NULL), -ENOENT);
	EXPECT_UNCHANGED(f, pt_unmap(&f->pt, VB, NULL, NULL), -ENOENT);
	EXPECT_UNCHANGED(f, pt_unmap(&f->pt, LONE_VA + 1, NULL, NULL), -EINVAL);
	EXPECT_UNCHANGED(f, pt_unmap(&f->pt, LOW_END, NULL, NULL), -EINVAL);

	assert_int_equal(pt_unmap(&f->pt, VB + G1, &pa, &pgsize), 0);
	assert_int_equal(pa, PA(VB + G1));
	assert_int_equal(pgsize, G1);
	assert_int_equal(pt_unmap(&f->pt, VB + 2 * G1, &pa, &pgsize), 0);
	assert_int_equal(pa, PA(VB + 2 * G1));
	assert_int_equal(pgsize, M2);
	assert_int_equal(pt_unmap(&f->pt, LONE_VA, NULL, NULL), 0);
	EXPECT_UNCHANGED(f, pt_unmap(&f->pt, LONE_VA, NULL, NULL), -ENOENT);
	assert_int_equal(f->pt.nr_table_pages, 1 + 2 + 2);
	check_accounting(f);
	assert_int_equal(pt_query(&f->pt, LAY_VA, NULL, NULL, NULL), 0);
	assert_int_equal(pt_query(&f->pt, VB + G1, NULL, NULL, NULL), -ENOENT);
}

static void test_unmap_region(void **state)
{
	struct fixture *f = *state;
	map_layout(f);

	/* The end cuts the 1G page; the start cuts it; the start cuts the 2M page. */
	EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, VB + G1 - K4, 2 * K4), -EBUSY);
	EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, VB + G1 + M2, M2), -EBUSY);
	EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, VB + 2 * G1 + K4, K4), -EBUSY);
	EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, VB, G1 + K4), -EBUSY);
	/* Holes only: nothing to do. */
	EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, VB, 64 * M2), 0);
	EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, VB + 5 * G1, 7 * G1), 0);

	/* Head and the 1G page; holes before are skipped. */
	assert_int_equal(pt_unmap_region(&f->pt, VB, 2 * G1), 0);
	assert_int_equal(pt_query(&f->pt, LAY_VA, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(pt_query(&f->pt, VB + G1 + 77, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(pt_query(&f->pt, VB + 2 * G1, NULL, NULL, NULL), 0);
	assert_int_equal(f->pt.nr_table_pages, 1 + 2 + 2);
	check_accounting(f);

	/* Part of the tail: its table stays. */
	assert_int_equal(pt_unmap_region(&f->pt, VB + 2 * G1 + M2, K4), 0);
	assert_int_equal(pt_query(&f->pt, VB + 2 * G1 + M2, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(pt_query(&f->pt, VB + 2 * G1 + M2 + K4, NULL, NULL, NULL), 0);
	assert_int_equal(f->pt.nr_table_pages, 1 + 2 + 2);

	/* Everything. */
	assert_int_equal(pt_unmap_region(&f->pt, VB, 4 * G1), 0);
	assert_int_equal(f->pt.nr_table_pages, 1);
	check_accounting(f);
}

static void test_protect(void **state)
{
	struct fixture *f = *state;
	unsigned qflags;
	paddr_t qpa;
	map_layout(f);

	assert_int_equal(pt_protect(&f->pt, LAY_VA, LAY_SIZE, R | MAPF_USER), 0);
	uint64_t n[3];
	count_leaves(&f->pt, LAY_VA, LAY_SIZE, PA(LAY_VA), reported(R | MAPF_USER), n);
	assert_int_equal(n[0] + n[1] + n[2], 4 + 1 + 1);
	assert_int_equal(pt_query(&f->pt, LONE_VA, NULL, &qflags, NULL), 0);
	assert_int_equal(qflags, reported(RW));

	/* Writable again: D comes back with W. */
	assert_int_equal(pt_protect(&f->pt, VB + G1, G1, RW | X), 0);
	assert_int_equal(pt_query(&f->pt, VB + G1 + 5, &qpa, &qflags, NULL), 0);
	assert_int_equal(qflags, reported(RW | X));
	assert_int_equal(qpa, PA(VB + G1 + 5));

	/* A hole at either end or in the middle, a cut huge page, bad input. */
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, LAY_VA, LAY_SIZE + K4, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, LAY_VA - K4, 2 * K4, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, LONE_VA - K4, 2 * K4, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, LAY_VA, G1 * 3, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, VB + 5 * G1, M2, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, VB + G1, M2, R), -EBUSY);
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, VB + G1 + M2, G1 - M2 + K4, R), -EBUSY);
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, VB + 2 * G1, K4, R), -EBUSY);
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, LAY_VA, 0, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, LAY_VA, K4 + 1, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, LAY_VA + 1, K4, R), -EINVAL);
	check_accounting(f);
}

static void test_remap(void **state)
{
	struct fixture *f = *state;
	paddr_t qpa;
	unsigned qflags;
	uint64_t pgsize;
	map_layout(f);

	assert_int_equal(pt_remap(&f->pt, LONE_VA, PB + 0x1234000, RX), 0);
	assert_int_equal(pt_query(&f->pt, LONE_VA + 9, &qpa, &qflags, &pgsize), 0);
	assert_int_equal(qpa, PB + 0x1234009);
	assert_int_equal(qflags, reported(RX));
	assert_int_equal(pgsize, K4);

	assert_int_equal(pt_remap(&f->pt, VB + 2 * G1, PB + 7 * M2, R), 0);
	assert_int_equal(pt_query(&f->pt, VB + 2 * G1 + M2 - 1, &qpa, &qflags, &pgsize), 0);
	assert_int_equal(qpa, PB + 8 * M2 - 1);
	assert_int_equal(qflags, reported(R));
	assert_int_equal(pgsize, M2);

	assert_int_equal(pt_remap(&f->pt, VB + G1, PB + 9 * G1, RW | MAPF_DEVICE), 0);
	assert_int_equal(pt_query(&f->pt, VB + G1 + 3, &qpa, &qflags, &pgsize), 0);
	assert_int_equal(qpa, PB + 9 * G1 + 3);
	assert_int_equal(qflags, reported(RW | MAPF_DEVICE));
	assert_int_equal(pgsize, G1);

	/* pa not aligned to the page, pa too large, middle of a huge page, hole. */
	EXPECT_UNCHANGED(f, pt_remap(&f->pt, VB + 2 * G1, PB + K4, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_remap(&f->pt, VB + G1, PB + M2, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_remap(&f->pt, LONE_VA, PB + 1, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_remap(&f->pt, LONE_VA, 1ULL << 56, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_remap(&f->pt, VB + G1, 1ULL << 56, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_remap(&f->pt, VB + G1 + M2, PB, R), -EBUSY);
	EXPECT_UNCHANGED(f, pt_remap(&f->pt, LONE_VA + K4, PB, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_remap(&f->pt, LONE_VA + 8, PB, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_remap(&f->pt, 1ULL << 40, PB, R), -EINVAL);
	/* The highest frame the PPN can hold. */
	assert_int_equal(pt_remap(&f->pt, LONE_VA, (1ULL << 56) - K4, R), 0);
	assert_int_equal(pt_query(&f->pt, LONE_VA, &qpa, NULL, NULL), 0);
	assert_int_equal(qpa, (1ULL << 56) - K4);
	check_accounting(f);
}

static void test_table_accounting(void **state)
{
	struct fixture *f = *state;
	static const vaddr_t pages[] = {VB, VB + K4, VB + M2, VB + G1};
	for (int i = 0; i < 4; i++)
		assert_int_equal(pt_map(&f->pt, pages[i], PB, K4, R), 0);
	assert_int_equal(f->pt.nr_table_pages, 6);
	check_accounting(f);

	/* Each table goes with its last entry, not before. */
	static const uint64_t after[] = {6, 5, 3, 1};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pt_unmap(&f->pt, pages[i], NULL, NULL), 0);
		assert_int_equal(f->pt.nr_table_pages, after[i]);
		check_accounting(f);
	}

	/* A 2M leaf next to a level-0 table: removing the leaf keeps the table. */
	assert_int_equal(pt_map(&f->pt, VB, PB, M2, R), 0);
	assert_int_equal(pt_map(&f->pt, VB + M2, PB, K4, R), 0);
	assert_int_equal(f->pt.nr_table_pages, 3);
	assert_int_equal(pt_unmap(&f->pt, VB, NULL, NULL), 0);
	assert_int_equal(f->pt.nr_table_pages, 3);
	assert_int_equal(pt_unmap(&f->pt, VB + M2, NULL, NULL), 0);
	assert_int_equal(f->pt.nr_table_pages, 1);

	/* Page by page over two level-0 tables, in order and in reverse. */
	assert_int_equal(pt_map_region(&f->pt, VB, PB, 2 * M2, R, false), 0);
	assert_int_equal(f->pt.nr_table_pages, 4);
	for (uint64_t off = 0; off < M2; off += K4) {
		assert_int_equal(pt_unmap(&f->pt, VB + off, NULL, NULL), 0);
		assert_int_equal(f->pt.nr_table_pages, off + K4 < M2 ? 4 : 3);
	}
	for (uint64_t off = 2 * M2; off > M2; off -= K4) {
		assert_int_equal(pt_unmap_region(&f->pt, VB + off - K4, K4), 0);
		assert_int_equal(f->pt.nr_table_pages, off - K4 > M2 ? 3 : 1);
	}
	check_accounting(f);
}

static void test_bad_map_args(void **state)
{
	struct fixture *f = *state;
	static const uint64_t sizes[] = {K4, M2, G1};
	map_layout(f);
	const vaddr_t va = VB + 4 * G1;

	for (int i = 0; i < 3; i++) {
		uint64_t s = sizes[i];
		EXPECT_UNCHANGED(f, pt_map(&f->pt, va + 1, PB, s, R), -EINVAL);
		EXPECT_UNCHANGED(f, pt_map(&f->pt, va, PB + 1, s, R), -EINVAL);
		if (s > K4) {
			/* e.g. a 2M page at a 4K-aligned address or frame */
			EXPECT_UNCHANGED(f, pt_map(&f->pt, va + s / 512, PB, s, R), -EINVAL);
			EXPECT_UNCHANGED(f, pt_map(&f->pt, va, PB + s / 512, s, R), -EINVAL);
			EXPECT_UNCHANGED(f, pt_map(&f->pt, va + s / 2, PB, s, R), -EINVAL);
		}
		EXPECT_UNCHANGED(f, pt_map(&f->pt, va, 1ULL << 56, s, R), -EINVAL);
		EXPECT_UNCHANGED(f, pt_map(&f->pt, va, (1ULL << 56) - s / 2, s, R), -EINVAL);
	}
	static const uint64_t bad_sizes[] = {0, 1, 2 * K4, 4 * M2, 2 * G1, 512 * G1, G1 + K4};
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++)
		EXPECT_UNCHANGED(f, pt_map(&f->pt, va, PB, bad_sizes[i], R), -EINVAL);

	/* Region: zero or unaligned size, unaligned va or pa, pa past 56 bits. */
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, va, PB, 0, R, true), -EINVAL);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, va, PB, K4 + 1, R, true), -EINVAL);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, va, PB, K4 - 1, R, true), -EINVAL);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, va + 8, PB, K4, R, true), -EINVAL);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, va, PB + 8, K4, R, true), -EINVAL);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, va, (1ULL << 56) - K4, 2 * K4, R, true), -EINVAL);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, va, ~0ULL - K4 + 1, 2 * K4, R, true), -EINVAL);
	/* The highest frame is fine. */
	assert_int_equal(pt_map_region(&f->pt, va, (1ULL << 56) - K4, K4, R, true), 0);

	/* Non-canonical addresses and ranges leaving their half. */
	static const vaddr_t noncanon[] = {
	    LOW_END,
	    HIGH_START - K4,
	    0x0000800000000000ULL,
	    0x8000000000000000ULL,
	    0x7ffffffffffff000ULL,
	    1ULL << 39,
	};
	for (size_t i = 0; i < sizeof(noncanon) / sizeof(noncanon[0]); i++) {
		vaddr_t v = noncanon[i];
		EXPECT_UNCHANGED(f, pt_map(&f->pt, v, PB, K4, R), -EINVAL);
		EXPECT_UNCHANGED(f, pt_map_region(&f->pt, v, PB, K4, R, true), -EINVAL);
		EXPECT_UNCHANGED(f, pt_unmap(&f->pt, v, NULL, NULL), -EINVAL);
		EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, v, K4), -EINVAL);
		EXPECT_UNCHANGED(f, pt_protect(&f->pt, v, K4, R), -EINVAL);
		EXPECT_UNCHANGED(f, pt_remap(&f->pt, v, PB, R), -EINVAL);
		assert_int_equal(pt_query(&f->pt, v, NULL, NULL, NULL), -EINVAL);
		assert_int_equal(pt_query(&f->pt, v + 5, NULL, NULL, NULL), -EINVAL);
	}
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, LOW_END - K4, PB, 2 * K4, R, true), -EINVAL);
	EXPECT_UNCHANGED(f, pt_map(&f->pt, LOW_END - M2 / 2, PB, M2, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, HIGH_START - K4, PB, 2 * K4, R, true), -EINVAL);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, ~0ULL - K4 + 1, PB, 2 * K4, R, true), -EINVAL);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, K4, PB, ~0ULL - K4 + 1, R, true), -EINVAL);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, 0, PB, LOW_END + K4, R, false), -EINVAL);
	EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, LOW_END - K4, 2 * K4), -EINVAL);
	EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, ~0ULL - K4 + 1, 2 * K4), -EINVAL);
	EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, VB, 0), -EINVAL);
	EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, VB, K4 + 4), -EINVAL);
	EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, LONE_VA + 4, K4), -EINVAL);
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, LOW_END - K4, 2 * K4, R), -EINVAL);
	/* From the low half to the top of the high half: both ends canonical. */
	EXPECT_UNCHANGED(f, pt_unmap_region(&f->pt, K4, ~0ULL - K4 + 1), -EINVAL);
	EXPECT_UNCHANGED(f, pt_protect(&f->pt, LAY_VA, HIGH_START - LAY_VA, R), -EINVAL);
	check_accounting(f);
}

static void test_overlap(void **state)
{
	struct fixture *f = *state;
	map_layout(f);
	const vaddr_t lone2m = ALIGN_DOWN(LONE_VA, M2);
	const vaddr_t lone1g = ALIGN_DOWN(LONE_VA, G1);

	/* Same page; huge page over small ones (a table is in the way). */
	EXPECT_UNCHANGED(f, pt_map(&f->pt, LONE_VA, PB, K4, R), -EEXIST);
	EXPECT_UNCHANGED(f, pt_map(&f->pt, lone2m, PB, M2, R), -EEXIST);
	EXPECT_UNCHANGED(f, pt_map(&f->pt, lone1g, PB, G1, R), -EEXIST);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, lone2m, PB, M2, R, true), -EEXIST);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, lone1g, PB, G1, R, true), -EEXIST);
	/* Small pages under huge ones. */
	EXPECT_UNCHANGED(f, pt_map(&f->pt, VB + G1 + 7 * K4, PB, K4, R), -EEXIST);
	EXPECT_UNCHANGED(f, pt_map(&f->pt, VB + G1 + 3 * M2, PB, M2, R), -EEXIST);
	EXPECT_UNCHANGED(f, pt_map(&f->pt, VB + 2 * G1 + 9 * K4, PB, K4, R), -EEXIST);
	EXPECT_UNCHANGED(f, pt_map(&f->pt, VB + 2 * G1, PB, M2, R), -EEXIST);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, VB + 2 * G1 + K4, PB + K4, K4, R, false),
			 -EEXIST);
	/* Overlap at the start or the end of a region. */
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, LONE_VA, PB, 8 * M2, R, true), -EEXIST);
	EXPECT_UNCHANGED(
	    f, pt_map_region(&f->pt, LAY_VA - 2 * G1, PA(LAY_VA - 2 * G1), 2 * G1 + K4, R, true),
	    -EEXIST);
	EXPECT_UNCHANGED(
	    f,
	    pt_map_region(&f->pt, lone1g - 3 * G1, PA(lone1g - 3 * G1), 3 * G1 + 6 * K4, R, true),
	    -EEXIST);
	check_accounting(f);
}

/* A region that needs four new tables, the first pages going into old ones. */
#define OOM_VA	(VB + M2 - 2 * K4)
#define OOM_END (VB + 3 * G1 + M2 + 2 * K4)
#define OOM_PA	(PA(OOM_VA) + M2) /* 2M- but not 1G-congruent: 2M pages only */

static void test_oom_map_region(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(pt_map(&f->pt, VB + 5 * K4, PB, K4, R), 0);
	assert_int_equal(f->pt.nr_table_pages, 3);
	struct snap before = snap_take(f);

	/* How many tables the region needs: L1 for r1, r2, r3 and one L0. */
	assert_int_equal(pt_map_region(&f->pt, OOM_VA, OOM_PA, OOM_END - OOM_VA, RW, true), 0);
	uint64_t needed = f->pt.nr_table_pages - before.tables;
	assert_int_equal(needed, 4);
	assert_int_equal(pt_unmap_region(&f->pt, OOM_VA, OOM_END - OOM_VA), 0);
	snap_check(f, &before);

	for (uint64_t k = 0; k < needed; k++) {
		pt_env_fail_after((long)k);
		EXPECT_UNCHANGED(
		    f, pt_map_region(&f->pt, OOM_VA, OOM_PA, OOM_END - OOM_VA, RW, true), -ENOMEM);
		pt_env_fail_after(-1);
		check_accounting(f);
	}
	pt_env_fail_after((long)needed);
	assert_int_equal(pt_map_region(&f->pt, OOM_VA, OOM_PA, OOM_END - OOM_VA, RW, true), 0);
	pt_env_fail_after(-1);
	uint64_t n[3];
	count_leaves(&f->pt, OOM_VA, OOM_END - OOM_VA, OOM_PA, reported(RW), n);
	assert_int_equal(n[0], 4);
	assert_int_equal(n[1], 511 + 512 + 512 + 1);
	assert_int_equal(n[2], 0);
	check_accounting(f);

	/* 4K pages only: one L0 table per 2M, each allocation may fail. */
	const vaddr_t va = VB + 5 * G1 + M2 - 3 * K4;
	const uint64_t size = 2 * M2 + 6 * K4; /* touches 4 level-0 tables + L1 */
	before = snap_take(f);
	for (long k = 0; k < 5; k++) {
		pt_env_fail_after(k);
		EXPECT_UNCHANGED(f, pt_map_region(&f->pt, va, PB, size, RW, false), -ENOMEM);
		pt_env_fail_after(-1);
	}
	pt_env_fail_after(5);
	assert_int_equal(pt_map_region(&f->pt, va, PB, size, RW, false), 0);
	pt_env_fail_after(-1);
	assert_int_equal(f->pt.nr_table_pages, before.tables + 5);
	check_accounting(f);
}

static void test_oom_map_and_init(void **state)
{
	struct fixture *f = *state;
	/* A 4K page in an empty 1G region needs two tables. */
	for (long k = 0; k < 2; k++) {
		pt_env_fail_after(k);
		EXPECT_UNCHANGED(f, pt_map(&f->pt, VB, PB, K4, R), -ENOMEM);
		pt_env_fail_after(-1);
	}
	pt_env_fail_after(2);
	assert_int_equal(pt_map(&f->pt, VB, PB, K4, R), 0);
	/* A 2M page needs one, a 1G page none. */
	pt_env_fail_after(0);
	EXPECT_UNCHANGED(f, pt_map(&f->pt, VB + 2 * G1, PB, M2, R), -ENOMEM);
	assert_int_equal(pt_map(&f->pt, VB + G1, PB, G1, R), 0);
	assert_int_equal(pt_map(&f->pt, VB + M2, PB, M2, R), 0);
	pt_env_fail_after(-1);
	check_accounting(f);

	struct page_table other;
	uint64_t used = pt_env_used_pages();
	pt_env_fail_after(0);
	assert_int_equal(pt_init(&other, &pt_env_frames), -ENOMEM);
	pt_env_fail_after(-1);
	assert_int_equal(pt_env_used_pages(), used);
}

static void test_eexist_rollback(void **state)
{
	struct fixture *f = *state;
	/* An obstacle deep inside the range, after new tables were made. */
	assert_int_equal(pt_map(&f->pt, VB + 3 * G1 + 5 * K4, PB, K4, R), 0);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, VB + M2, PB + M2, 3 * G1, RW, true), -EEXIST);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, VB + K4, PB + K4, 3 * G1 + 5 * K4, RW, true),
			 -EEXIST);
	EXPECT_UNCHANGED(f, pt_map_region(&f->pt, VB + 3 * G1 - M2, PB, M2 + 6 * K4, RW, false),
			 -EEXIST);
	/* An obstacle that is a huge page. */
	assert_int_equal(pt_map(&f->pt, VB + 6 * G1, PB, G1, R), 0);
	EXPECT_UNCHANGED(
	    f, pt_map_region(&f->pt, VB + 4 * G1 + K4, PA(VB + 4 * G1 + K4), 2 * G1, RW, true),
	    -EEXIST);
	assert_int_equal(f->pt.nr_table_pages, 3);
	check_accounting(f);
}

/* Checks the TLB flush counters moved by exactly (pages, alls) since the last check. */
static void expect_flushes(unsigned long pages, unsigned long alls)
{
	assert_int_equal(hal_host_tlb_page_flushes, pages);
	assert_int_equal(hal_host_tlb_all_flushes, alls);
	hal_host_tlb_page_flushes = 0;
	hal_host_tlb_all_flushes = 0;
}

static void test_tlb_flush_counts(void **state)
{
	struct fixture *f = *state;
	const uint64_t n = 128;

	/* Filling empty entries needs no flush. */
	assert_int_equal(pt_map_region(&f->pt, VB, PB, n * K4, RW, false), 0);
	assert_int_equal(pt_map(&f->pt, VB + G1, PB, G1, RW), 0);
	assert_int_equal(pt_map(&f->pt, VB + 2 * G1, PB, M2, RW), 0);
	assert_int_equal(pt_map(&f->pt, VB + 2 * G1 + M2, PB, M2, RW), 0);
	expect_flushes(0, 0);

	/* Per page up to the threshold, one full flush past it, none if unchanged. */
	assert_int_equal(pt_protect(&f->pt, VB, K4, R), 0);
	expect_flushes(1, 0);
	assert_int_equal(pt_protect(&f->pt, VB, K4, R), 0);
	expect_flushes(0, 0);
	assert_int_equal(pt_protect(&f->pt, VB, PT_FLUSH_ALL_THRESHOLD * K4, RX), 0);
	expect_flushes(PT_FLUSH_ALL_THRESHOLD, 0);
	assert_int_equal(pt_protect(&f->pt, VB, (PT_FLUSH_ALL_THRESHOLD + 1) * K4, R), 0);
	expect_flushes(0, 1);
	/* A huge page is one flush. */
	assert_int_equal(pt_protect(&f->pt, VB + G1, G1, R), 0);
	expect_flushes(1, 0);

	/* Unmap: per page while the table stays, full once a table pointer goes. */
	assert_int_equal(pt_unmap(&f->pt, VB, NULL, NULL), 0);
	expect_flushes(1, 0);
	assert_int_equal(pt_unmap_region(&f->pt, VB + K4, 10 * K4), 0);
	expect_flushes(10, 0);
	assert_int_equal(pt_remap(&f->pt, VB + 11 * K4, PB + G1, R), 0);
	expect_flushes(1, 0);
	assert_int_equal(pt_remap(&f->pt, VB + 11 * K4, PB + G1, R), 0);
	expect_flushes(0, 0);
	assert_int_equal(pt_unmap(&f->pt, VB + 2 * G1, NULL, NULL), 0);
	expect_flushes(1, 0);
	assert_int_equal(pt_unmap_region(&f->pt, VB + 11 * K4, (n - 11) * K4), 0);
	expect_flushes(0, 1);
	assert_int_equal(pt_unmap(&f->pt, VB + 2 * G1 + M2, NULL, NULL), 0);
	expect_flushes(0, 1);

	/* Failed calls flush nothing (except a rollback of what they mapped). */
	assert_int_equal(pt_protect(&f->pt, VB, K4, R), -ENOENT);
	assert_int_equal(pt_unmap_region(&f->pt, VB + G1 + K4, K4), -EBUSY);
	assert_int_equal(pt_map(&f->pt, VB + G1, PB, K4, R), -EEXIST);
	assert_int_equal(pt_remap(&f->pt, VB + 3, PB, R), -EINVAL);
	assert_int_equal(pt_unmap_region(&f->pt, VB, 0), -EINVAL);
	expect_flushes(0, 0);
	check_accounting(f);
}

static void test_share_kernel(void **state)
{
	struct fixture *f = *state;
	struct page_table *k = &f->pt;
	struct page_table u, v;
	paddr_t qpa;
	const vaddr_t lin = HIGH_START + 2 * G1;

	/* Kernel: a 1G page and a 4K page in the high half. */
	assert_int_equal(pt_map_region(k, lin, 2 * G1, G1 + K4, RW | MAPF_GLOBAL, true), 0);
	assert_int_equal(k->nr_table_pages, 3);

	assert_int_equal(pt_init(&u, &pt_env_frames), 0);
	assert_int_equal(pt_map(&u, VB, PB, K4, RW | MAPF_USER), 0);
	assert_int_equal(pt_share_kernel(&u, k), 0);
	assert_true(u.shares_kernel);
	assert_int_equal(u.nr_table_pages, 3);
	assert_int_not_equal(pt_satp(&u), pt_satp(k));
	assert_int_equal(pt_query(&u, lin + 5, &qpa, NULL, NULL), 0);
	assert_int_equal(qpa, 2 * G1 + 5);
	assert_int_equal(pt_query(&u, lin + G1, &qpa, NULL, NULL), 0);
	assert_int_equal(qpa, 3 * G1);
	assert_int_equal(pt_query(&u, VB, &qpa, NULL, NULL), 0);
	assert_int_equal(pt_query(k, VB, NULL, NULL, NULL), -ENOENT);

	/* The borrowed half is read-only through u; the kernel's table is untouched. */
	uint64_t kfp = pt_env_fingerprint(k);
	assert_int_equal(pt_map(&u, lin + 2 * G1, PB, K4, R), -EINVAL);
	assert_int_equal(pt_map(&u, HIGH_START + 100 * G1, PB, G1, R), -EINVAL);
	assert_int_equal(pt_map_region(&u, lin + G1 + K4, PB, K4, R, true), -EINVAL);
	assert_int_equal(pt_unmap(&u, lin, NULL, NULL), -EINVAL);
	assert_int_equal(pt_unmap_region(&u, lin, G1), -EINVAL);
	assert_int_equal(pt_protect(&u, lin, G1, R), -EINVAL);
	assert_int_equal(pt_remap(&u, lin, PB, R), -EINVAL);
	assert_int_equal(pt_env_fingerprint(k), kfp);

	/* Changes below a shared root entry show through; new root entries need a refresh. */
	assert_int_equal(pt_map(k, lin + G1 + K4, 3 * G1 + K4, K4, R), 0);
	assert_int_equal(pt_query(&u, lin + G1 + K4, &qpa, NULL, NULL), 0);
	assert_int_equal(qpa, 3 * G1 + K4);
	assert_int_equal(pt_map(k, lin + 5 * G1, 5 * G1, G1, R), 0);
	assert_int_equal(pt_query(&u, lin + 5 * G1, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(pt_share_kernel(&u, k), 0);
	assert_int_equal(pt_query(&u, lin + 5 * G1, NULL, NULL, NULL), 0);

	/* Sharing with itself, or into a table with its own high mappings. */
	assert_int_equal(pt_share_kernel(k, k), -EINVAL);
	assert_int_equal(pt_init(&v, &pt_env_frames), 0);
	assert_int_equal(pt_map(&v, HIGH_START + 3 * G1, PB, M2, R), 0);
	uint64_t vfp = pt_env_fingerprint(&v);
	assert_int_equal(pt_share_kernel(&v, k), -EEXIST);
	assert_false(v.shares_kernel);
	assert_int_equal(pt_env_fingerprint(&v), vfp);
	assert_int_equal(pt_unmap(&v, HIGH_START + 3 * G1, NULL, NULL), 0);
	assert_int_equal(pt_share_kernel(&v, k), 0);

	/* The lender keeps a level-1 table that copies point to, even when empty. */
	assert_true(k->lends_kernel);
	assert_false(u.lends_kernel);
	uint64_t k_tables = k->nr_table_pages;
	assert_int_equal(pt_unmap_region(k, lin + G1, G1), 0);
	assert_int_equal(k->nr_table_pages, k_tables - 1); /* the level-0 table went */
	struct pt_env_census cen = pt_env_census(k);
	assert_int_equal(cen.empty_tables, 1);
	assert_int_equal(cen.tables, k->nr_table_pages);
	assert_int_equal(pt_query(&u, lin + G1, NULL, NULL, NULL), -ENOENT);
	/* A 1G leaf cannot replace it; a region fills it with 2M pages, seen by all. */
	kfp = pt_env_fingerprint(k);
	assert_int_equal(pt_map(k, lin + G1, 3 * G1, G1, R), -EEXIST);
	assert_int_equal(pt_env_fingerprint(k), kfp);
	assert_int_equal(pt_map_region(k, lin + G1, 3 * G1, G1, R, true), 0);
	uint64_t pgsize;
	assert_int_equal(pt_query(&u, lin + G1 + 5, &qpa, NULL, &pgsize), 0);
	assert_int_equal(qpa, 3 * G1 + 5);
	assert_int_equal(pgsize, M2);
	/* A table this call made is still taken back when the call fails. */
	kfp = pt_env_fingerprint(k);
	uint64_t used = pt_env_used_pages();
	pt_env_fail_after(1);
	assert_int_equal(pt_map(k, lin + 7 * G1, PB, K4, R), -ENOMEM);
	pt_env_fail_after(-1);
	assert_int_equal(pt_env_fingerprint(k), kfp);
	assert_int_equal(pt_env_used_pages(), used);
	assert_int_equal(pt_map(k, lin + 7 * G1, PB, K4, R), 0);
	assert_int_equal(pt_map_region(k, lin + 7 * G1 + M2 - K4, PB, 2 * K4, R, true), 0);
	kfp = pt_env_fingerprint(k);
	assert_int_equal(pt_map_region(k, lin + 7 * G1 - K4, PB, 3 * K4, R, true), -EEXIST);
	assert_int_equal(pt_env_fingerprint(k), kfp);
	assert_int_equal(pt_unmap_region(k, lin + 7 * G1, M2 + K4), 0);
	assert_int_equal(k->nr_table_pages, k_tables); /* one more kept level-1 table */

	/* Destroying the users returns their own pages only. */
	uint64_t used_before = pt_env_used_pages();
	uint64_t u_tables = u.nr_table_pages, v_tables = v.nr_table_pages;
	pt_destroy(&u);
	pt_destroy(&v);
	assert_int_equal(pt_env_used_pages(), used_before - u_tables - v_tables);
	assert_int_equal(pt_query(k, lin + G1 + K4, &qpa, NULL, NULL), 0);
	assert_int_equal(qpa, 3 * G1 + K4);
	cen = pt_env_census(k);
	assert_int_equal(cen.tables, k->nr_table_pages);
	assert_int_equal(cen.empty_tables, 1);
	assert_int_equal(cen.bad_entries, 0);
	assert_int_equal(pt_env_used_pages(), f->baseline + k->nr_table_pages);
}

/*
 * Checks that every 4K page of [va, va + size), at its first and at its last
 * byte, translates to pa + offset with `flags` through a page of pgsize.
 */
static void expect_translation(const struct page_table *pt, vaddr_t va, uint64_t size, paddr_t pa,
			       unsigned flags, uint64_t pgsize)
{
	for (uint64_t off = 0; off < size; off += K4) {
		uint64_t ends[] = {off, off + K4 - 1};
		for (int i = 0; i < 2; i++) {
			paddr_t qpa;
			unsigned qflags;
			uint64_t qsize;
			assert_int_equal(pt_query(pt, va + ends[i], &qpa, &qflags, &qsize), 0);
			assert_int_equal(qpa, pa + ends[i]);
			assert_int_equal(qflags, flags);
			assert_int_equal(qsize, pgsize);
		}
	}
}

/*
 * Checks that the 512 leaves below the split page at va (whose entry was
 * `huge`, at level `level` + 1) are of the next smaller size, map the same
 * frames in order and carry exactly the same PTE bits.
 */
static void expect_split_leaves(const struct page_table *pt, vaddr_t va, pte_t huge, int level)
{
	uint64_t size = sv39_level_size(level);
	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		int l;
		pte_t e = pt_env_leaf(pt, va + i * size, &l);
		assert_int_equal(l, level);
		assert_int_equal(sv39_pte_pa(e), sv39_pte_pa(huge) + i * size);
		assert_int_equal(e & ~SV39_PTE_PPN_MASK, huge & ~SV39_PTE_PPN_MASK);
	}
}

/*
 * Maps a huge page (size 2M or 1G) at va to pa with flags and splits it:
 * one flush of va, one more table page, 512 leaves one level down with the
 * huge entry's bits, every address translating as before. Returns the
 * huge entry.
 */
static pte_t map_and_split(struct fixture *f, vaddr_t va, uint64_t size, paddr_t pa, unsigned flags)
{
	int level;
	uint64_t tables;
	pte_t huge;

	assert_int_equal(pt_map(&f->pt, va, pa, size, flags), 0);
	huge = pt_env_leaf(&f->pt, va, &level);
	assert_int_equal(level, size == G1 ? 2 : 1);
	tables = f->pt.nr_table_pages;
	expect_flushes(0, 0);
	assert_int_equal(pt_split(&f->pt, va), 0);
	expect_flushes(1, 0);
	assert_int_equal(hal_host_tlb_last_page, va);
	assert_int_equal(f->pt.nr_table_pages, tables + 1);
	check_accounting(f);
	expect_split_leaves(&f->pt, va, huge, level - 1);
	expect_translation(&f->pt, va, size, pa, reported(flags), size / SV39_ENTRIES);
	return huge;
}

/* A 2M page becomes 512 4K pages with the same bits, one table more, one flush. */
static void test_split_2m(void **state)
{
	struct fixture *f = *state;
	static const unsigned flags[] = {
	    RW | MAPF_USER,
	    RX | MAPF_GLOBAL,
	    RW | MAPF_DEVICE | MAPF_GLOBAL,
	    R | MAPF_USER | MAPF_DEVICE,
	    RW | X | MAPF_USER | MAPF_GLOBAL | MAPF_DEVICE,
	};
	/* Neighbours that must stay as they are: a 4K page before, a 2M page after. */
	const vaddr_t first = VB + 2 * G1 + M2;
	assert_int_equal(pt_map(&f->pt, first - K4, PB, K4, R), 0);
	assert_int_equal(pt_map(&f->pt, VB + 2 * G1 + 100 * M2, PB + 100 * M2, M2, R), 0);
	for (unsigned i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		const vaddr_t va = first + 2 * i * M2;
		const paddr_t pa = PB + G1 + (2 * i + 3) * M2; /* 2M- but not 1G-aligned */
		const pte_t huge = map_and_split(f, va, M2, pa, flags[i]);
		assert_int_equal((huge & SV39_PTE_PBMT_MASK) >> SV39_PTE_PBMT_SHIFT,
				 (flags[i] & MAPF_DEVICE) ? SV39_PBMT_IO : SV39_PBMT_PMA);
		assert_int_equal(pt_query(&f->pt, va + M2, NULL, NULL, NULL), -ENOENT);
	}
	uint64_t pgsize;
	paddr_t qpa;
	assert_int_equal(pt_query(&f->pt, first - K4 + 5, &qpa, NULL, &pgsize), 0);
	assert_int_equal(qpa, PB + 5);
	assert_int_equal(pgsize, K4);
	assert_int_equal(pt_query(&f->pt, VB + 2 * G1 + 100 * M2, NULL, NULL, &pgsize), 0);
	assert_int_equal(pgsize, M2);
	struct pt_env_census c = pt_env_census(&f->pt);
	assert_int_equal(c.leaves[0], 1 + 5 * 512);
	assert_int_equal(c.leaves[1], 1);
}

/*
 * A 1G page becomes 512 2M pages (low half, and at the very top of the high
 * half), which split further into 4K pages.
 */
static void test_split_1g(void **state)
{
	struct fixture *f = *state;
	static const struct {
		vaddr_t va;
		paddr_t pa;
		unsigned flags;
	} cases[] = {
	    {VB + G1, PB + 3 * G1, RX | MAPF_GLOBAL},
	    {~0ULL - G1 + 1, PB + 5 * G1, RW | MAPF_GLOBAL | MAPF_DEVICE},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const vaddr_t va = cases[i].va;
		const paddr_t pa = cases[i].pa;
		const unsigned flags = cases[i].flags;
		int level;
		const uint64_t tables = f->pt.nr_table_pages;
		map_and_split(f, va, G1, pa, flags);

		/* One of the 2M pages in turn; its neighbours stay 2M. */
		const vaddr_t va2 = va + 7 * M2;
		const pte_t huge2 = pt_env_leaf(&f->pt, va2, &level);
		assert_int_equal(pt_split(&f->pt, va2), 0);
		expect_flushes(1, 0);
		assert_int_equal(hal_host_tlb_last_page, va2);
		assert_int_equal(f->pt.nr_table_pages, tables + 2);
		expect_split_leaves(&f->pt, va2, huge2, 0);
		expect_translation(&f->pt, va2, M2, pa + 7 * M2, reported(flags), K4);
		expect_translation(&f->pt, va2 - M2, M2, pa + 6 * M2, reported(flags), M2);
		expect_translation(&f->pt, va2 + M2, M2, pa + 8 * M2, reported(flags), M2);
		check_accounting(f);
	}
	struct pt_env_census c = pt_env_census(&f->pt);
	assert_int_equal(c.leaves[0], 2 * 512);
	assert_int_equal(c.leaves[1], 2 * 511);
	assert_int_equal(c.leaves[2], 0);
}

/* Non-canonical addresses that the split and collapse tests try. */
static const vaddr_t resize_noncanon[] = {
    LOW_END, HIGH_START - G1, 1ULL << 39, 0x8000000000000000ULL, VB | (1ULL << 50),
};

static void test_split_errors(void **state)
{
	struct fixture *f = *state;
	map_layout(f);
	expect_flushes(0, 0);

	/* A 4K page, a misaligned or non-canonical va. */
	EXPECT_UNCHANGED(f, pt_split(&f->pt, LONE_VA), -EINVAL);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, LAY_VA), -EINVAL);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + 2 * G1 + M2), -EINVAL);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + G1 + 1), -EINVAL);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + 2 * G1 + 8), -EINVAL);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + G1 + K4 / 2), -EINVAL);
	for (size_t i = 0; i < sizeof(resize_noncanon) / sizeof(resize_noncanon[0]); i++)
		EXPECT_UNCHANGED(f, pt_split(&f->pt, resize_noncanon[i]), -EINVAL);
	/* Nothing mapped at va. */
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB), -ENOENT);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, LONE_VA + K4), -ENOENT);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + 2 * G1 + 2 * M2), -ENOENT);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + 5 * G1), -ENOENT);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, HIGH_START), -ENOENT);
	/* Inside a huge page but not at its start. */
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + G1 + K4), -EBUSY);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + G1 + M2), -EBUSY);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + 2 * G1 - K4), -EBUSY);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + 2 * G1 + 8 * K4), -EBUSY);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + 2 * G1 + M2 - K4), -EBUSY);
	/* No table page from the frame ops. */
	pt_env_fail_after(0);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + G1), -ENOMEM);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + 2 * G1), -ENOMEM);
	pt_env_fail_after(-1);
	expect_flushes(0, 0);
	check_accounting(f);

	/* With a page to spare the same calls succeed. */
	pt_env_fail_after(1);
	assert_int_equal(pt_split(&f->pt, VB + G1), 0);
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + 2 * G1), -ENOMEM);
	pt_env_fail_after(-1);
	assert_int_equal(pt_split(&f->pt, VB + 2 * G1), 0);
	expect_flushes(2, 0);
	assert_int_equal(f->pt.nr_table_pages, 1 + 2 + 2 + 2 + 2);
	check_accounting(f);
	/* The former huge pages are now pages of the next size: 4K pages refuse. */
	EXPECT_UNCHANGED(f, pt_split(&f->pt, VB + 2 * G1 + 8 * K4), -EINVAL);
	assert_int_equal(pt_split(&f->pt, VB + G1 + M2), 0);
	check_accounting(f);
}

/*
 * After a collapse of the block at va (size 2M or 1G, from `tables` table
 * pages and `frees` frees) to pa with flags, which freed `freed` table
 * pages: one full flush, the frees only after it, the counts, the new leaf.
 */
static void expect_collapsed(struct fixture *f, vaddr_t va, uint64_t size, paddr_t pa,
			     unsigned flags, uint64_t tables, uint64_t frees, uint64_t freed)
{
	int level;
	pte_t e;

	expect_flushes(0, 1);
	assert_int_equal(f->frames.frees, frees + freed);
	assert_int_equal(f->frames.min_all_flushes_at_free, 1);
	assert_int_equal(f->pt.nr_table_pages, tables - freed);
	assert_int_equal(f->frames.held, f->pt.nr_table_pages);
	check_accounting(f);
	e = pt_env_leaf(&f->pt, va, &level);
	assert_int_equal(level, size == G1 ? 2 : 1);
	assert_int_equal(sv39_pte_pa(e), pa);
	expect_translation(&f->pt, va, size, pa, reported(flags), size);
}

/*
 * Collapsing the table below a 2M block: full, with holes, a single page.
 * The new leaf maps every address of the block, the level-0 table goes back
 * to the frame ops after one full flush, the neighbours are untouched.
 */
static void test_collapse_2m(void **state)
{
	struct fixture *f = *state;
	const vaddr_t va = VB + 2 * G1 + 3 * M2;
	static const struct {
		vaddr_t off; /* a page in the block, or ~0 for all of them */
		unsigned flags;
	} fills[][3] = {
	    {{~0ULL, RW}},
	    {{0, R}, {100 * K4, RX | MAPF_USER}, {M2 - K4, RW | MAPF_GLOBAL}},
	    {{77 * K4, RW | MAPF_DEVICE}},
	};
	static const unsigned flags[] = {RX | MAPF_GLOBAL, RW | MAPF_DEVICE, R | MAPF_USER};

	/* Neighbours in the same level-1 table: a 4K page before, a 2M page after. */
	assert_int_equal(pt_map(&f->pt, va - K4, PB + 7 * K4, K4, RW), 0);
	assert_int_equal(pt_map(&f->pt, va + M2, PB + 8 * M2, M2, RX), 0);
	for (unsigned i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		for (unsigned k = 0; k < 3 && fills[i][k].flags; k++) {
			if (fills[i][k].off == ~0ULL)
				assert_int_equal(
				    pt_map_region(&f->pt, va, PA(va), M2, fills[i][k].flags, false),
				    0);
			else
				assert_int_equal(pt_map(&f->pt, va + fills[i][k].off,
							PB + 1000 * K4 + k * K4, K4,
							fills[i][k].flags),
						 0);
		}
		const paddr_t pa = PB + (9 + 2 * i) * M2;
		const uint64_t tables = f->pt.nr_table_pages, frees = f->frames.frees;
		expect_flushes(0, 0);
		f->frames.min_all_flushes_at_free = ULONG_MAX;

		assert_int_equal(pt_collapse(&f->pt, va, M2, pa, flags[i]), 0);
		expect_collapsed(f, va, M2, pa, flags[i], tables, frees, 1);
		expect_translation(&f->pt, va - K4, K4, PB + 7 * K4, reported(RW), K4);
		expect_translation(&f->pt, va + M2, M2, PB + 8 * M2, reported(RX), M2);
		assert_int_equal(pt_unmap(&f->pt, va, NULL, NULL), 0);
		expect_flushes(1, 0);
	}
	assert_int_equal(f->pt.nr_table_pages, 1 + 1 + 1);
	check_accounting(f);
}

/*
 * Collapsing a 1G block whose level-1 table holds 2M leaves and level-0
 * tables (one full, one with a single page, two with a run across them):
 * every table below goes back after one full flush, and no memory is needed.
 */
static void test_collapse_1g(void **state)
{
	struct fixture *f = *state;
	const vaddr_t va = VB + 3 * G1;
	const paddr_t pa = PB + 7 * G1;

	/* Outside the block, before and after: must stay. */
	assert_int_equal(pt_map(&f->pt, va - K4, PB + K4, K4, R), 0);
	assert_int_equal(pt_map(&f->pt, va + G1, PB + G1, G1, RW), 0);
	/* Inside: 2M leaves, a single 4K page, a run over two tables, a full table. */
	assert_int_equal(pt_map(&f->pt, va, PB, M2, RX), 0);
	assert_int_equal(pt_map(&f->pt, va + 5 * M2, PB + 5 * M2, M2, RW), 0);
	assert_int_equal(pt_map(&f->pt, va + 511 * M2, PB + 511 * M2, M2, R), 0);
	assert_int_equal(pt_map(&f->pt, va + M2 + 3 * K4, PB + 3 * K4, K4, RW | MAPF_USER), 0);
	assert_int_equal(pt_map_region(&f->pt, va + 10 * M2 - 2 * K4, PB, 4 * K4, R, true), 0);
	assert_int_equal(pt_map_region(&f->pt, va + 200 * M2, PB, M2, RW, false), 0);
	const uint64_t tables = f->pt.nr_table_pages, frees = f->frames.frees;
	assert_int_equal(tables, 1 + (1 + 1) + (1 + 4));
	expect_flushes(0, 0);
	f->frames.min_all_flushes_at_free = ULONG_MAX;

	/* Collapse takes no table page: it works with the frame ops failing. */
	pt_env_fail_after(0);
	assert_int_equal(pt_collapse(&f->pt, va, G1, pa, RW | MAPF_USER), 0);
	pt_env_fail_after(-1);
	expect_collapsed(f, va, G1, pa, RW | MAPF_USER, tables, frees, 5);
	expect_translation(&f->pt, va - K4, K4, PB + K4, reported(R), K4);
	expect_translation(&f->pt, va + G1, M2, PB + G1, reported(RW), G1);
	struct pt_env_census c = pt_env_census(&f->pt);
	assert_int_equal(c.leaves[0], 1);
	assert_int_equal(c.leaves[1], 0);
	assert_int_equal(c.leaves[2], 2);
}

static void test_collapse_errors(void **state)
{
	struct fixture *f = *state;
	map_layout(f);
	/* A block below which a table holds one 4K page: a valid target. */
	const vaddr_t blk = VB + 4 * G1 + M2;
	assert_int_equal(pt_map(&f->pt, blk + K4, PB, K4, R), 0);
	expect_flushes(0, 0);

	static const uint64_t bad_sizes[] = {0, K4, 2 * M2, M2 + K4, 2 * G1, 512 * G1};
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++)
		EXPECT_UNCHANGED(f, pt_collapse(&f->pt, VB + 4 * G1, bad_sizes[i], PB, R), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_leaf_flags) / sizeof(bad_leaf_flags[0]); i++) {
		EXPECT_UNCHANGED(f, pt_collapse(&f->pt, blk, M2, PB, bad_leaf_flags[i]), -EINVAL);
		EXPECT_UNCHANGED(f, pt_collapse(&f->pt, VB + 4 * G1, G1, PB, bad_leaf_flags[i]),
				 -EINVAL);
	}
	/* va or pa not aligned to the block, pa past 56 bits. */
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, blk + K4, M2, PB, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, blk + 1, M2, PB, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, blk, G1, PB, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, blk, M2, PB + K4, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, blk, M2, PB + 1, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, VB + 4 * G1, G1, PB + M2, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, blk, M2, 1ULL << 56, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, VB + 4 * G1, G1, 1ULL << 56, R), -EINVAL);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, blk, M2, ~0ULL - M2 + 1, R), -EINVAL);
	/* Not canonical. */
	for (size_t i = 0; i < sizeof(resize_noncanon) / sizeof(resize_noncanon[0]); i++) {
		EXPECT_UNCHANGED(f, pt_collapse(&f->pt, resize_noncanon[i], M2, PB, R), -EINVAL);
		EXPECT_UNCHANGED(f, pt_collapse(&f->pt, resize_noncanon[i], G1, PB, R), -EINVAL);
	}
	/* No table below the block: nothing mapped, or a single leaf already. */
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, VB + 6 * G1, M2, PB, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, VB + 6 * G1, G1, PB, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, HIGH_START, G1, PB, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, VB + 2 * G1 + 2 * M2, M2, PB, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, VB + 4 * G1, M2, PB, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, VB + G1, G1, PB, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, VB + G1 + M2, M2, PB, R), -ENOENT);
	EXPECT_UNCHANGED(f, pt_collapse(&f->pt, VB + 2 * G1, M2, PB, R), -ENOENT);
	expect_flushes(0, 0);
	check_accounting(f);

	/* The valid target still collapses, at the highest frame the PPN holds. */
	assert_int_equal(pt_collapse(&f->pt, blk, M2, (1ULL << 56) - M2, R), 0);
	expect_flushes(0, 1);
	expect_translation(&f->pt, blk, M2, (1ULL << 56) - M2, reported(R), M2);
	check_accounting(f);
}

/* Split and collapse give back the very same table: entries, table pages, counts. */
static void test_split_collapse_roundtrip(void **state)
{
	struct fixture *f = *state;
	unsigned qflags;
	map_layout(f);

	/* 2M, with the flags read back (ACCESSED and DIRTY included). */
	const vaddr_t va2 = VB + 2 * G1;
	struct snap before = snap_take(f);
	assert_int_equal(pt_split(&f->pt, va2), 0);
	assert_int_not_equal(pt_env_fingerprint(&f->pt), before.fingerprint);
	assert_int_equal(pt_query(&f->pt, va2, NULL, &qflags, NULL), 0);
	assert_int_equal(pt_collapse(&f->pt, va2, M2, PA(va2), qflags), 0);
	snap_check(f, &before);

	/* 1G, split twice down to 4K in one 2M block, collapsed in one step. */
	const vaddr_t va1 = VB + G1;
	assert_int_equal(pt_protect(&f->pt, va1, G1, RX | MAPF_DEVICE | MAPF_USER), 0);
	before = snap_take(f);
	assert_int_equal(pt_split(&f->pt, va1), 0);
	assert_int_equal(pt_split(&f->pt, va1 + 3 * M2), 0);
	assert_int_equal(pt_collapse(&f->pt, va1, G1, PA(va1), RX | MAPF_DEVICE | MAPF_USER), 0);
	snap_check(f, &before);

	/* The top of the high half. */
	const vaddr_t top = ~0ULL - G1 + 1;
	assert_int_equal(pt_map(&f->pt, top, PB + 4 * G1, G1, RW | MAPF_GLOBAL), 0);
	before = snap_take(f);
	assert_int_equal(pt_split(&f->pt, top), 0);
	assert_int_equal(pt_split(&f->pt, ~0ULL - M2 + 1), 0);
	assert_int_equal(
	    pt_collapse(&f->pt, ~0ULL - M2 + 1, M2, PB + 5 * G1 - M2, RW | MAPF_GLOBAL), 0);
	assert_int_equal(pt_collapse(&f->pt, top, G1, PB + 4 * G1, RW | MAPF_GLOBAL), 0);
	snap_check(f, &before);
	check_accounting(f);
}

/* Kernel sharing: the borrower may neither split nor collapse; the lender keeps its copies valid.
 */
static void test_split_collapse_shared_kernel(void **state)
{
	struct fixture *f = *state;
	struct page_table *k = &f->pt;
	struct fixture u = {.baseline = f->baseline};
	const vaddr_t lin = HIGH_START + 2 * G1;
	uint64_t pgsize;
	paddr_t qpa;

	/* Kernel: a 1G page, a 2M page and a 4K page below one level-1 table. */
	assert_int_equal(pt_map_region(k, lin, 2 * G1, G1 + M2 + K4, RW | MAPF_GLOBAL, true), 0);
	assert_int_equal(k->nr_table_pages, 3);
	assert_int_equal(pt_init(&u.pt, &pt_env_frames), 0);
	assert_int_equal(pt_map(&u.pt, VB, PB, M2, RW | MAPF_USER), 0);
	assert_int_equal(pt_share_kernel(&u.pt, k), 0);

	/* Through the borrowed half: -EINVAL, neither table changes. */
	uint64_t kfp = pt_env_fingerprint(k);
	EXPECT_UNCHANGED(&u, pt_split(&u.pt, lin), -EINVAL);
	EXPECT_UNCHANGED(&u, pt_split(&u.pt, lin + G1), -EINVAL);
	EXPECT_UNCHANGED(&u, pt_collapse(&u.pt, lin + G1 + M2, M2, 3 * G1, R), -EINVAL);
	EXPECT_UNCHANGED(&u, pt_collapse(&u.pt, lin + G1, G1, 3 * G1, R), -EINVAL);
	assert_int_equal(pt_env_fingerprint(k), kfp);
	/* Its own half is its own. */
	assert_int_equal(pt_split(&u.pt, VB), 0);
	assert_int_equal(pt_collapse(&u.pt, VB, M2, PB, RW | MAPF_USER), 0);

	/* The lender cannot collapse a lent 1G block nor split a lent 1G page:
	 * copies of the root entry point to its table or leaf. */
	EXPECT_UNCHANGED(f, pt_collapse(k, lin + G1, G1, 3 * G1, RW), -EBUSY);
	EXPECT_UNCHANGED(f, pt_split(k, lin), -EBUSY);
	/* Below it, split and collapse work and show through. */
	assert_int_equal(pt_split(k, lin + G1), 0);
	assert_int_equal(pt_query(&u.pt, lin + G1 + 5 * K4 + 3, &qpa, NULL, &pgsize), 0);
	assert_int_equal(qpa, 3 * G1 + 5 * K4 + 3);
	assert_int_equal(pgsize, K4);
	assert_int_equal(pt_collapse(k, lin + G1 + M2, M2, 3 * G1 + M2, RW | MAPF_GLOBAL), 0);
	assert_int_equal(pt_query(&u.pt, lin + G1 + 2 * M2 - 1, &qpa, NULL, &pgsize), 0);
	assert_int_equal(qpa, 3 * G1 + 2 * M2 - 1);
	assert_int_equal(pgsize, M2);
	EXPECT_UNCHANGED(f, pt_collapse(k, lin + G1, G1, 3 * G1, RW), -EBUSY);
	assert_int_equal(pt_collapse(k, lin + G1, M2, 3 * G1, RW | MAPF_GLOBAL), 0);
	assert_int_equal(k->nr_table_pages, 2);

	pt_destroy(&u.pt);
	check_accounting(f);
}

/* pt_range_empty: true exactly when no page overlaps a valid range. */
static void test_range_empty(void **state)
{
	struct fixture *f = *state;

	/* An empty table: each half whole, single pages. */
	EXPECT_UNCHANGED(f, pt_range_empty(&f->pt, 0, LOW_END), true);
	EXPECT_UNCHANGED(f, pt_range_empty(&f->pt, HIGH_START, 0 - HIGH_START), true);
	EXPECT_UNCHANGED(f, pt_range_empty(&f->pt, VB, K4), true);
	EXPECT_UNCHANGED(f, pt_range_empty(&f->pt, ~0ULL - K4 + 1, K4), true);

	/* Bad ranges are never empty. */
	static const struct {
		vaddr_t va;
		uint64_t size;
	} bad[] = {
	    {VB, 0},
	    {VB + 1, K4},
	    {VB + K4 / 2, K4},
	    {VB, K4 + 1},
	    {VB, K4 - 1},
	    {LOW_END, K4},
	    {HIGH_START - K4, K4},
	    {1ULL << 39, K4},
	    {0x8000000000000000ULL, M2},
	    {LOW_END - K4, 2 * K4},
	    {HIGH_START - K4, 2 * K4},
	    {~0ULL - K4 + 1, 2 * K4},
	    {K4, ~0ULL - K4 + 1},
	    {0, LOW_END + K4},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_UNCHANGED(f, pt_range_empty(&f->pt, bad[i].va, bad[i].size), false);

	/* A 4K page at each end of a range across two 1G regions. */
	const vaddr_t s = VB + G1 - 3 * K4, e = VB + G1 + 2 * M2 + 5 * K4;
	assert_int_equal(pt_map(&f->pt, s, PB, K4, R), 0);
	assert_false(pt_range_empty(&f->pt, s, e - s));
	assert_false(pt_range_empty(&f->pt, s, K4));
	assert_false(pt_range_empty(&f->pt, s - M2, M2 + K4));
	assert_true(pt_range_empty(&f->pt, s - M2, M2));
	assert_true(pt_range_empty(&f->pt, s + K4, e - s - K4));
	assert_int_equal(pt_map(&f->pt, e - K4, PB, K4, R), 0);
	assert_false(pt_range_empty(&f->pt, s + K4, e - s - K4));
	assert_false(pt_range_empty(&f->pt, e - K4, K4));
	assert_false(pt_range_empty(&f->pt, e - K4, G1));
	assert_true(pt_range_empty(&f->pt, s + K4, e - s - 2 * K4));
	assert_true(pt_range_empty(&f->pt, e, 3 * G1));
	assert_int_equal(pt_unmap(&f->pt, s, NULL, NULL), 0);
	assert_true(pt_range_empty(&f->pt, VB, G1));
	assert_false(pt_range_empty(&f->pt, s, e - s));

	/* A 2M leaf: any overlap counts, the pages around it are free. */
	const vaddr_t m = VB + 3 * G1 + 5 * M2;
	assert_int_equal(pt_map(&f->pt, m, PB, M2, R), 0);
	assert_false(pt_range_empty(&f->pt, m + 5 * K4, K4));
	assert_false(pt_range_empty(&f->pt, m + M2 - K4, K4));
	assert_false(pt_range_empty(&f->pt, m - K4, 2 * K4));
	assert_false(pt_range_empty(&f->pt, m + M2 - K4, 2 * K4));
	assert_false(pt_range_empty(&f->pt, VB + 3 * G1, G1));
	assert_true(pt_range_empty(&f->pt, m - K4, K4));
	assert_true(pt_range_empty(&f->pt, m + M2, K4));
	assert_true(pt_range_empty(&f->pt, VB + 3 * G1, 5 * M2));
	assert_true(pt_range_empty(&f->pt, m + M2, G1 - 6 * M2));

	/* A 1G leaf. */
	assert_int_equal(pt_map(&f->pt, VB + 6 * G1, PB, G1, R), 0);
	assert_false(pt_range_empty(&f->pt, VB + 6 * G1 + 123 * K4, K4));
	assert_false(pt_range_empty(&f->pt, VB + 5 * G1, G1 + K4));
	assert_true(pt_range_empty(&f->pt, VB + 5 * G1, G1));
	assert_true(pt_range_empty(&f->pt, VB + 7 * G1, 100 * G1));

	/* The top of the high half, the range ending at 2^64. */
	assert_int_equal(pt_map(&f->pt, ~0ULL - K4 + 1, PB, K4, R), 0);
	assert_false(pt_range_empty(&f->pt, HIGH_START, 0 - HIGH_START));
	assert_false(pt_range_empty(&f->pt, ~0ULL - K4 + 1, K4));
	assert_true(pt_range_empty(&f->pt, ~0ULL - 2 * K4 + 1, K4));
	assert_true(pt_range_empty(&f->pt, HIGH_START, 0 - HIGH_START - K4));
	assert_false(pt_range_empty(&f->pt, 0, LOW_END));
	check_accounting(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init_satp_destroy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_frame_ops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_query_each_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_region_page_choice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_high_half, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_single, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_region, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_protect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_table_accounting, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_map_args, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overlap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom_map_region, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom_map_and_init, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eexist_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tlb_flush_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_share_kernel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split_2m, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split_1g, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_collapse_2m, setup_counting, teardown),
	    cmocka_unit_test_setup_teardown(test_collapse_1g, setup_counting, teardown),
	    cmocka_unit_test_setup_teardown(test_collapse_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split_collapse_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_split_collapse_shared_kernel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_range_empty, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

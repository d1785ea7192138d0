/* aspace_test_fixture.c - the cmocka fixture of the directed tests (aspace_test_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aspace_test_fixture.h"

bool snap_content = true;
uint64_t oom_collapse_failures;

int setup(void **state)
{
	static struct fixture f;

	env_init();
	f.base = mem_snap();
	snap_content = true;
	oom_collapse_failures = 0;
	if (aspace_create(&f.as, SPACE_BASE, SPACE_SIZE) != 0)
		return -1;
	*state = &f;
	return 0;
}

int teardown(void **state)
{
	struct fixture *f = *state;

	aspace_destroy(&f->as);
	return mem_equal(mem_snap(), f->base) ? 0 : -1;
}

void check_accounting(const struct aspace *as, struct mem_snap base)
{
	struct aspace_stats st;

	aspace_stats(as, &st);
	assert_int_equal(mem_snap().pages, base.pages + st.pt_pages + st.alloc_pages_4k);
}

struct aspace_stats stats(const struct aspace *as)
{
	struct aspace_stats st;

	aspace_stats(as, &st);
	return st;
}

int hog_heap(void **hog)
{
	int n = 0;

	axalloc_fail_after(0);
	while (n < HOG_BLOCKS_MAX && (hog[n] = kmalloc(sizeof(struct aspace_area))) != NULL)
		n++;
	axalloc_fail_after(-1);
	assert_true(n < HOG_BLOCKS_MAX);
	return n;
}

void unhog_heap(void **hog, int n)
{
	while (n > 0)
		kfree(hog[--n]);
}

static struct aspace clones[MAX_CLONES];
static bool clone_live[MAX_CLONES];

struct aspace *clone_of(struct aspace *src)
{
	for (int i = 0; i < MAX_CLONES; i++) {
		if (clone_live[i])
			continue;
		assert_int_equal(aspace_create(&clones[i], SPACE_BASE, SPACE_SIZE), 0);
		clone_live[i] = true;
		assert_int_equal(aspace_clone(&clones[i], src), 0);
		return &clones[i];
	}
	fail_msg("more than %d clones", MAX_CLONES);
	return NULL;
}

void drop(struct aspace *as)
{
	aspace_destroy(as);
	clone_live[as - clones] = false;
}

int teardown_clones(void **state)
{
	for (int i = 0; i < MAX_CLONES; i++)
		if (clone_live[i])
			drop(&clones[i]);
	return teardown(state);
}

/* The most mappings rmap_matches reads back. */
#define RMAP_MATCH_MAX 16

bool rmap_matches(struct aspace *const *spaces, int n, const struct aspace *as, vaddr_t va)
{
	struct aspace_mapping got[RMAP_MATCH_MAX];
	paddr_t pa;
	int nr_got, want = 0;

	if (aspace_query(as, va, &pa, NULL, NULL) != 0) {
		fprintf(stderr, "rmap: %#lx is not mapped\n", (unsigned long)va);
		return false;
	}
	nr_got = aspace_rmap(pa, got, RMAP_MATCH_MAX);
	for (int t = 0; t < n; t++) {
		paddr_t tpa;
		uint64_t tsize;
		bool maps = aspace_query(spaces[t], va, &tpa, NULL, &tsize) == 0 && tpa == pa;
		int found = 0;

		want += maps;
		for (int i = 0; i < nr_got && i < RMAP_MATCH_MAX; i++) {
			if (got[i].as != spaces[t])
				continue;
			found++;
			if (!maps || got[i].pgsize != tsize || got[i].va != ALIGN_DOWN(va, tsize) ||
			    got[i].pa != pa - (va & (tsize - 1))) {
				fprintf(stderr, "rmap of %#lx: wrong mapping of space %d\n",
					(unsigned long)pa, t);
				return false;
			}
		}
		if (found != (maps ? 1 : 0)) {
			fprintf(stderr, "rmap of %#lx lists space %d %d times, it maps it %d\n",
				(unsigned long)pa, t, found, maps);
			return false;
		}
	}
	if (nr_got != want || env_frame_refs(pa) != (uint32_t)want) {
		fprintf(stderr, "rmap of %#lx: %d mappings and count %u, expected %d\n",
			(unsigned long)pa, nr_got, env_frame_refs(pa), want);
		return false;
	}
	return true;
}

void take_frame(paddr_t old, uint64_t n)
{
	paddr_t got[64];
	int k = 0;

	while (k < 64) {
		assert_int_equal(axalloc_alloc_pages(n, n * PG4K, AXALLOC_MOVABLE, &got[k]), 0);
		if (got[k++] == old)
			break;
	}
	assert_int_equal(got[k - 1], old);
	while (--k > 0)
		assert_int_equal(axalloc_free_pages(got[k - 1], n), 0);
}

/* Some populated pages elsewhere whose contents must survive every rollback. */
void add_bystander(struct aspace *as)
{
	unsigned char buf[4 * PG4K];

	memset(buf, 0xc3, sizeof(buf));
	assert_int_equal(aspace_map_alloc(as, VA2, 4 * PG4K, RW, true, PG4K), 0);
	assert_int_equal(aspace_write(as, VA2, buf, sizeof(buf)), 0);
}

/* The byte a space filled with `seed` holds at va. */
uint8_t pattern(vaddr_t va, uint8_t seed)
{
	return (uint8_t)(seed + (va >> 12) * 31 + (va & 0xfff) * 7);
}

/* Writes the pattern of `seed` over [va, va + len) through the space. */
void fill(struct aspace *as, vaddr_t va, uint64_t len, uint8_t seed)
{
	uint8_t buf[PG4K];

	for (uint64_t off = 0; off < len; off += sizeof(buf)) {
		uint64_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

		for (uint64_t i = 0; i < n; i++)
			buf[i] = pattern(va + off + i, seed);
		assert_int_equal(aspace_write(as, va + off, buf, n), 0);
	}
}

/* [va, va + len) reads as the pattern of `seed`. */
void expect_fill(struct aspace *as, vaddr_t va, uint64_t len, uint8_t seed)
{
	uint8_t buf[PG4K];

	for (uint64_t off = 0; off < len; off += sizeof(buf)) {
		uint64_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

		assert_int_equal(aspace_read(as, va + off, buf, n), 0);
		for (uint64_t i = 0; i < n; i++)
			if (buf[i] != pattern(va + off + i, seed))
				fail_msg("byte at %#lx: %#x, expected %#x (seed %#x)",
					 (unsigned long)(va + off + i), buf[i],
					 pattern(va + off + i, seed), seed);
	}
}

void expect_zero(struct aspace *as, vaddr_t va, uint64_t len)
{
	static uint8_t buf[PG4K];

	for (uint64_t off = 0; off < len; off += sizeof(buf)) {
		uint64_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

		assert_int_equal(aspace_read(as, va + off, buf, n), 0);
		for (uint64_t i = 0; i < n; i++)
			if (buf[i] != 0)
				fail_msg("byte at %#lx: %#x, expected 0",
					 (unsigned long)(va + off + i), buf[i]);
	}
}

/* The frame (head of the page) behind va. */
paddr_t frame_of(const struct aspace *as, vaddr_t va)
{
	paddr_t pa;
	uint64_t pgsize;

	assert_int_equal(aspace_query(as, va, &pa, NULL, &pgsize), 0);
	return pa - (va & (pgsize - 1));
}

/* The physical address of va itself (mapped). */
paddr_t pa_of(const struct aspace *as, vaddr_t va)
{
	paddr_t pa;

	assert_int_equal(aspace_query(as, va, &pa, NULL, NULL), 0);
	return pa;
}

/* The size of the page that maps va (mapped). */
uint64_t pgsize_of(const struct aspace *as, vaddr_t va)
{
	uint64_t pgsize;

	assert_int_equal(aspace_query(as, va, NULL, NULL, &pgsize), 0);
	return pgsize;
}

/* The PTE permissions at va. */
unsigned perm_of(const struct aspace *as, vaddr_t va)
{
	unsigned flags;

	assert_int_equal(aspace_query(as, va, NULL, &flags, NULL), 0);
	return flags & PERM_MASK;
}

/* The frame behind va has `n` references (only checked where counts exist). */
void expect_refs(const struct aspace *as, vaddr_t va, uint32_t n)
{
	if (IS_ENABLED(CONFIG_MM_COW))
		assert_int_equal(frame_ref_get(frame_of(as, va)), n);
}

/* A call still failing after this many attempts fails the test. */
#define OOM_MAX_ATTEMPTS 5000

/* Asserts that space as is as *before recorded (as NULL: nothing to compare); frees *before. */
static void expect_as_before(struct aspace *as, struct space_snap *before)
{
	struct space_snap now;

	if (!as)
		return;
	snap_take(as, &now, snap_content);
	assert_true(snap_equal(before, &now));
	snap_free(&now);
	snap_free(before);
}

int fail_each_allocation(oom_op_t op, struct aspace *a, struct aspace *b, const void *arg)
{
	for (int k = 0; k < OOM_MAX_ATTEMPTS; k++) {
		struct space_snap before_a, before_b;
		int err;

		snap_take(a, &before_a, snap_content);
		if (b)
			snap_take(b, &before_b, snap_content);
		axalloc_fail_after(k);
		err = op(a, b, arg);
		axalloc_fail_after(-1);
		if (err == 0) {
			snap_free(&before_a);
			if (b)
				snap_free(&before_b);
			return k;
		}
		assert_int_equal(err, -ENOMEM);
		if (op == oom_collapse && stats(a).thp_collapse_alloc_failed ==
					      before_a.st.thp_collapse_alloc_failed + 1) {
			before_a.st.thp_collapse_alloc_failed++;
			oom_collapse_failures++;
		}
		expect_as_before(a, &before_a);
		expect_as_before(b, &before_b);
	}
	fail_msg("operation never succeeded");
	return -1;
}

int oom_populate(struct aspace *a, struct aspace *b, const void *arg)
{
	const struct oom_args *o = arg;

	(void)b;
	return aspace_populate(a, o->va, o->size, o->access);
}

int oom_fault(struct aspace *a, struct aspace *b, const void *arg)
{
	const struct oom_args *o = arg;

	(void)b;
	return aspace_handle_page_fault(a, o->va, o->access);
}

int oom_write(struct aspace *a, struct aspace *b, const void *arg)
{
	const struct oom_args *o = arg;
	static uint8_t buf[64 * PAGE_SIZE_4K];

	(void)b;
	assert_true(o->size <= sizeof(buf));
	memset(buf, OOM_WRITE_BYTE, o->size);
	return aspace_write(a, o->va, buf, o->size);
}

int oom_protect(struct aspace *a, struct aspace *b, const void *arg)
{
	const struct oom_args *o = arg;

	(void)b;
	return aspace_protect(a, o->va, o->size, o->flags);
}

int oom_unmap(struct aspace *a, struct aspace *b, const void *arg)
{
	const struct oom_args *o = arg;

	(void)b;
	return aspace_unmap(a, o->va, o->size);
}

int oom_advise(struct aspace *a, struct aspace *b, const void *arg)
{
	const struct oom_args *o = arg;

	(void)b;
	return aspace_advise(a, o->va, o->size, o->advice);
}

int oom_collapse(struct aspace *a, struct aspace *b, const void *arg)
{
	const struct oom_args *o = arg;
	int n = aspace_collapse(a, o->va, o->size);

	(void)b;
	return n < 0 ? n : 0;
}

int oom_migrate(struct aspace *a, struct aspace *b, const void *arg)
{
	const struct oom_args *o = arg;

	(void)b;
	return aspace_migrate(pa_of(a, o->va), NULL);
}

/* aspace_test_fixture.c - the cmocka fixture of the directed tests (aspace_test_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aspace_test_fixture.h"

bool snap_content = true;

int setup(void **state)
{
	static struct fixture f;

	env_init();
	f.base = mem_snap();
	snap_content = true;
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

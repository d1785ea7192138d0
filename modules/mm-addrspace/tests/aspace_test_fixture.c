/* aspace_test_fixture.c - the cmocka fixture of the directed tests (aspace_test_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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

/*
 * test_clone.c - the clone suite (clone_cases.c) with copy-on-write: once
 * with aspace_clone, which shares frames, and once with aspace_copy, the
 * eager copy. tests/aspace-eager runs the same suite without CONFIG_MM_COW.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clone_cases.h"

int main(void)
{
	int failed = clone_suite_run(false, "aspace_clone (COW)");

	return failed + clone_suite_run(true, "aspace_copy (eager)");
}

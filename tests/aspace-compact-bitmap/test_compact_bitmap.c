/*
 * test_compact_bitmap.c - the compaction suite of mm-addrspace
 * (modules/mm-addrspace/tests/compact_cases.c, through HOST_SHARED) over the
 * bitmap page allocator: the same pools, moves and checks as over buddy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "compact_cases.h"

int main(void)
{
	return compact_suite_run("compaction (bitmap)");
}

/*
 * test_compact.c - the compaction suite (compact_cases.c) over the buddy
 * allocator; tests/aspace-compact-bitmap runs it over the bitmap one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "compact_cases.h"

int main(void)
{
	return compact_suite_run("compaction (buddy)");
}

/* test_axalloc_pages.c - the cases of modules/axalloc/tests, over the bitmap allocator. */
#include "axalloc_test.h"

int main(void)
{
	return run_page_tests("bitmap");
}

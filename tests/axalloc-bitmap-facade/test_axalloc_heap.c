/* test_axalloc_heap.c - the cases of modules/axalloc/tests, over the bitmap allocator. */
#include "axalloc_test.h"

int main(void)
{
	return run_heap_tests("bitmap");
}

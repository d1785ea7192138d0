/* test_axalloc_heap.c - axalloc's byte heap over the buddy allocator (cases in the header). */
#include "axalloc_heap_cases.h"

int main(void)
{
	return run_heap_tests("buddy");
}

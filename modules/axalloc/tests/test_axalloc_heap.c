/* test_axalloc_heap.c - axalloc's byte heap over buddy (cases in axalloc_heap_cases.c). */
#include "axalloc_test.h"

int main(void)
{
	return run_heap_tests("buddy");
}

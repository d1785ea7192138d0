/* test_axalloc_pages.c - axalloc's page side over buddy (cases in axalloc_page_cases.c). */
#include "axalloc_test.h"

int main(void)
{
	return run_page_tests("buddy");
}

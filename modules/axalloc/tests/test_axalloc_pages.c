/* test_axalloc_pages.c - axalloc's page side over the buddy allocator (cases in the header). */
#include "axalloc_page_cases.h"

int main(void)
{
	return run_page_tests("buddy");
}

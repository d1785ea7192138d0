/* axalloc_test.c - simulated RAM and small helpers of axalloc's tests (see axalloc_test.h). */
#include "axalloc_test.h"

const struct mem_range std_reserved[NR_STD_RESERVED] = {
    {RAM_BASE, 0x80000},		     /* OpenSBI */
    {RAM_BASE + 0x200000, 0x1234a8},	     /* kernel image */
    {RAM_BASE + RAM_SIZE - 0x10ff0, 0x1e00}, /* DTB */
};

int map_and_init(const struct mem_range *ram, int nr_ram, const struct mem_range *reserved,
		 int nr_reserved)
{
	hal_host_unmap_all();
	for (int i = 0; i < nr_ram; i++)
		hal_host_map_phys(ram[i].base, ram[i].size);
	return axalloc_init(ram, nr_ram, reserved, nr_reserved);
}

int setup_std(void **state)
{
	static const struct mem_range ram = {RAM_BASE, RAM_SIZE};
	(void)state;
	return map_and_init(&ram, 1, std_reserved, NR_STD_RESERVED);
}

struct axalloc_stats get_stats(void)
{
	struct axalloc_stats st;
	axalloc_stats(&st);
	return st;
}

int get_ranges(struct axalloc_range *r)
{
	int n = axalloc_get_ranges(r, MAX_TEST_RANGES);
	assert_true(n >= 0 && n <= MAX_TEST_RANGES);
	return n;
}

bool overlaps(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
	return n && m && a < b + m && b < a + n;
}

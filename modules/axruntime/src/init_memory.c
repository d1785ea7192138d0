/*
 * init_memory.c - memory bring-up: global allocator, then paging.
 */
#include <axruntime/init.h>

void axruntime_init_memory(const struct boot_info *bi)
{
	(void)bi;
}

/*
 * compaction.c - direct compaction around one run's first touch: on while
 * the region is touched in fragmented memory, off everywhere else, and the
 * compact_* counters it moved. thp_compaction_start runs with memory as
 * fragmented as the run gets it, thp_compaction_stop once the touch has
 * compacted it: the moments to show the memory map before and after.
 */
#include <axalloc/axalloc.h>
#include <klib/errname.h>

#include "thp.h"

static struct axalloc_stats before;

void thp_compaction_start(void)
{
	int err = axalloc_set_direct_compaction(true);

	if (err)
		thp_fail("compaction: turning direct compaction on: %s", err_name(err));
	axalloc_print_block_map("compaction: physical memory before the touch");
	axalloc_stats(&before);
}

void thp_compaction_stop(struct thp_compaction *c)
{
	struct axalloc_stats now;

	axalloc_stats(&now);
	axalloc_set_direct_compaction(false);
	axalloc_print_block_map("compaction: physical memory after the touch");
	*c = (struct thp_compaction){
	    .stall = now.compact_stall - before.compact_stall,
	    .success = now.compact_success - before.compact_success,
	    .fail = now.compact_fail - before.compact_fail,
	    .scanned = now.compact_migrate_scanned - before.compact_migrate_scanned,
	    .migrated = now.compact_pages_migrated - before.compact_pages_migrated,
	    .failed = now.compact_pages_failed - before.compact_pages_failed,
	};
}

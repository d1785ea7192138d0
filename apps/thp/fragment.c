/*
 * fragment.c - the pages that fragment the thp app's runs: 4K pages of the
 * Alloc area of a space of their own, one in each pinned block, so they are
 * movable, as the pages of another program would be, and compaction can
 * empty their blocks. Each page holds a stamp of its index, checked after
 * the run.
 */
#include <klib/errname.h>

#include "thp.h"

/* Stamps tell the pages apart: page i holds STAMP ^ i in its first word. */
#define STAMP 0x5f7261676d656e74ULL

static struct aspace space;
static uint64_t nr_pages;

/* The address of the fragmenting page i in its space. */
static vaddr_t page_va(uint64_t i)
{
	return THP_SPACE_BASE + i * PAGE_SIZE_4K;
}

int thp_frag_create(uint64_t pages)
{
	int err;

	nr_pages = pages;
	if (pages == 0)
		return 0;
	err = aspace_create(&space, THP_SPACE_BASE, USER_VA_END - THP_SPACE_BASE);
	if (err)
		return err;
	err = aspace_set_thp_policy(&space, ASPACE_THP_NEVER);
	if (!err)
		err = aspace_map_alloc(&space, THP_SPACE_BASE, pages * PAGE_SIZE_4K,
				       MAPF_READ | MAPF_WRITE, true, PAGE_SIZE_4K);
	for (uint64_t i = 0; !err && i < pages; i++) {
		uint64_t stamp = STAMP ^ i;

		err = aspace_write(&space, page_va(i), &stamp, sizeof(stamp));
	}
	if (err) {
		aspace_destroy(&space);
		nr_pages = 0;
	}
	return err;
}

int thp_frag_move(uint64_t i, paddr_t to, paddr_t *from)
{
	paddr_t moved;
	int err = aspace_query(&space, page_va(i), from, NULL, NULL);

	if (!err)
		err = aspace_migrate(*from, &moved);
	if (!err && moved != to)
		thp_fail("fragment: page %lu moved to %#lx, not to %#lx, the only free frame",
			 (unsigned long)i, (unsigned long)moved, (unsigned long)to);
	return err;
}

void thp_frag_destroy(void)
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < nr_pages; i++) {
		uint64_t stamp = 0;
		int err = aspace_read(&space, page_va(i), &stamp, sizeof(stamp));

		if ((err || stamp != (STAMP ^ i)) && bad++ == 0)
			thp_fail("fragment: page %lu reads %#lx (%s), expected %#lx",
				 (unsigned long)i, (unsigned long)stamp, err_name(err),
				 (unsigned long)(STAMP ^ i));
	}
	if (bad > 1)
		thp_fail("fragment: %lu of %lu pages read back wrong", (unsigned long)bad,
			 (unsigned long)nr_pages);
	if (nr_pages > 0)
		aspace_destroy(&space);
	nr_pages = 0;
}

/*
 * rmap.c - the reverse map of Alloc frames and page migration. Both need
 * CONFIG_MM_COW, whose frame metadata holds the owner word of each frame;
 * without it they find nothing and refuse (IS_ENABLED checks).
 *
 * Every space maps an Alloc frame at one virtual address: a clone keeps its
 * source's addresses, a COW copy and a collapse keep the page's address,
 * and nothing remaps a page elsewhere. So the owner word of each 4K frame
 * holds its virtual page number (set in aspace_frame_alloc), and the
 * mappings of a frame are found by walking the page table of every live
 * space at that address and keeping the spaces whose leaf maps the frame.
 * The word is never cleared: a stale one (a freed frame, now a page table)
 * finds no leaf that maps the frame, which is the right answer.
 */
#include "aspace_internal.h"

#include <assert.h>
#include <axalloc/axalloc.h>
#include <errno.h>
#include <string.h>

/*
 * If `as` maps the frame pa (at the address whose virtual page number is
 * vpn) through an Alloc page, fills *m and returns true.
 */
static bool space_maps(struct aspace *as, paddr_t pa, uint32_t vpn, struct aspace_mapping *m)
{
	vaddr_t va = (vaddr_t)vpn << PAGE_SHIFT;
	const struct aspace_area *a;
	paddr_t leaf_pa;
	uint64_t pgsize;

	if (va < as->base || va >= as->end || pt_query(&as->pt, va, &leaf_pa, NULL, &pgsize) != 0)
		return false;
	a = aspace_find_area(as, va);
	if (leaf_pa != pa || !a || a->backend.kind != ASPACE_BACKEND_ALLOC)
		return false;
	*m = (struct aspace_mapping){as, ALIGN_DOWN(va, pgsize), pgsize, pa - (va & (pgsize - 1))};
	return true;
}

int aspace_rmap(paddr_t pa, struct aspace_mapping *out, int max)
{
	uint32_t vpn;
	struct aspace *as;
	int n = 0;

	if (!IS_ENABLED(CONFIG_MM_COW) || !IS_ALIGNED(pa, PAGE_SIZE_4K))
		return 0;
	vpn = frame_owner_get(pa);
	if (vpn == 0)
		return 0;
	list_for_each_entry(as, aspace_live_spaces(), link)
	{
		struct aspace_mapping m;

		if (!space_maps(as, pa, vpn, &m))
			continue;
		if (n < max)
			out[n] = m;
		n++;
	}
	return n;
}

/* Most mappings aspace_migrate moves at once (the spaces of one frame). */
#define MIGRATE_MAX_MAPPINGS 64

/*
 * Finds the mappings of the page that holds pa (into maps, their number in
 * *n) and checks that it can move: mapped, by at most
 * MIGRATE_MAX_MAPPINGS spaces, all with the same page, and not pinned by
 * an operation running on one of them (see aspace_internal.h, "Direct
 * compaction"). 0, -ENOENT or -EBUSY.
 */
static int movable(paddr_t pa, struct aspace_mapping *maps, int *n)
{
	paddr_t old;
	uint64_t pgsize;

	*n = aspace_rmap(pa, maps, MIGRATE_MAX_MAPPINGS);
	if (*n == 0)
		return -ENOENT;
	if (*n > MIGRATE_MAX_MAPPINGS)
		return -EBUSY;
	old = maps[0].pa;
	pgsize = maps[0].pgsize;
	for (int i = 0; i < *n; i++)
		if (maps[i].pa != old || maps[i].pgsize != pgsize ||
		    aspace_log_pins(maps[i].as, maps[i].va))
			return -EBUSY;
	/*
	 * Every mapper holds a count on each counted frame: a higher count is
	 * a space the lookup missed, one that split a transparent page and no
	 * longer maps this 4K frame but still maps others of the page.
	 */
	return frame_ref_max(old, pgsize / PAGE_SIZE_4K) == (uint32_t)*n ? 0 : -EBUSY;
}

/* aspace_migrate without its log message. */
static int migrate(paddr_t pa, paddr_t *to)
{
	struct aspace_mapping maps[MIGRATE_MAX_MAPPINGS];
	uint64_t pgsize;
	paddr_t old, new;
	int n, err = movable(pa, maps, &n);

	if (err)
		return err;
	old = maps[0].pa;
	pgsize = maps[0].pgsize;
	/*
	 * Not aspace_frame_alloc: the counts and owner words move, they are not
	 * set. A 2M or 1G target may compact (direct compaction, outside a
	 * compaction) and move other pages, but not this one nor its mappings:
	 * moving it would need a free block of its size, and there is none
	 * while that compaction runs.
	 */
	if (axalloc_alloc_pages(pgsize / PAGE_SIZE_4K, pgsize, AXALLOC_MOVABLE, &new) != 0)
		return -ENOMEM;
	memcpy(phys_to_virt(new), phys_to_virt(old), pgsize);
	/* Cannot fail: fresh frames have no counts, the ranges are disjoint. */
	err = frame_ref_move(old, new, pgsize / PAGE_SIZE_4K);
	assert(err == 0);
	for (int i = 0; i < n; i++) {
		unsigned flags;

		err = pt_query(&maps[i].as->pt, maps[i].va, NULL, &flags, NULL);
		assert(err == 0);
		err = pt_remap(&maps[i].as->pt, maps[i].va, new, flags);
		assert(err == 0);
	}
	/* No mapping reaches the old frame any more and its counts are 0. */
	err = axalloc_free_pages(old, pgsize / PAGE_SIZE_4K);
	assert(err == 0);
	(void)err;
	if (to)
		*to = new;
	return 0;
}

int aspace_compaction_migrate(paddr_t pa, bool check_only)
{
	struct aspace_mapping maps[MIGRATE_MAX_MAPPINGS];
	int n;

	int err;

	if (!check_only)
		return aspace_migrate(pa, NULL);
	err = movable(pa, maps, &n);
	/* The frames of the page from pa on. */
	return err ? err : (int)((maps[0].pa + maps[0].pgsize - pa) / PAGE_SIZE_4K);
}

int aspace_migrate(paddr_t pa, paddr_t *to)
{
	int err = IS_ENABLED(CONFIG_MM_COW) ? migrate(pa, to) : -EINVAL;

	log_trace("aspace: migrate(frame %#lx) = %s", (unsigned long)pa, err_name(err));
	return err;
}

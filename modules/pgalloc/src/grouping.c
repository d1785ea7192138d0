/*
 * grouping.c - keeps unmovable pages apart from movable ones (the policy
 * the top of pgalloc/pgalloc.h describes), over any allocator's bounded
 * placement.
 *
 *   bottom                  floor           pivot                      top
 *   | movable, lowest first | unmovable     | movable, lowest first    |
 *
 * The pivot is the end of the first 1G block of memory (or the top, when
 * lower): unmovable pages share that block, which the kernel image breaks
 * anyway, and every 1G block above it stays free for movable and huge
 * allocations. The floor moves down one group when an unmovable request
 * fits nowhere in [floor, pivot), and back up over groups that are wholly
 * free again when a movable request fits nowhere below it. Only when that
 * fails does a request cross into the other's part: a movable one spills
 * into the region, an unmovable one, with the floor at the bottom, goes
 * above the pivot; both are counted as spills.
 */
#include <pgalloc/pgalloc.h>

/* Moves the floor, and with it the movable window. */
static void set_floor(struct pgalloc *pg, paddr_t floor)
{
	pg->unmovable_floor = floor;
	pg->movable_limit = floor == pg->pivot ? PGALLOC_NO_LIMIT : floor;
}

void pgalloc_note_range(struct pgalloc *pg, paddr_t base, uint64_t size)
{
	bool empty = pg->unmovable_floor == pg->pivot;

	if (base < pg->bottom)
		pg->bottom = base;
	if (base + size > pg->top)
		pg->top = base + size;
	pg->pivot = ALIGN_DOWN(pg->bottom, PAGE_SIZE_1G) + PAGE_SIZE_1G;
	if (pg->pivot > pg->top)
		pg->pivot = pg->top;
	set_floor(pg, empty ? pg->pivot : pg->unmovable_floor);
}

/* Whether the group at the floor is wholly free: then it is taken back from the region. */
static bool floor_group_free(struct pgalloc *pg)
{
	uint64_t pages = pg->group_size >> PAGE_SHIFT;

	if (pg->ops->alloc_at(pg, pg->unmovable_floor, pages) != 0)
		return false;
	pg->ops->free(pg, pg->unmovable_floor, pages);
	return true;
}

/* A movable request that found no room below the floor. */
static int alloc_movable(struct pgalloc *pg, uint64_t n, uint64_t align, paddr_t *out)
{
	paddr_t old_floor = pg->unmovable_floor;
	int err;

	while (pg->pivot - pg->unmovable_floor >= pg->group_size && floor_group_free(pg)) {
		set_floor(pg, pg->unmovable_floor + pg->group_size);
		err = pg->ops->alloc(pg, n, align, 0, pg->movable_limit, out);
		if (err != -ENOMEM)
			return err;
	}
	err = pg->ops->alloc(pg, n, align, pg->pivot, PGALLOC_NO_LIMIT, out);
	if (err != -ENOMEM)
		return err;
	err = pg->ops->alloc(pg, n, align, 0, PGALLOC_NO_LIMIT, out);
	if (err == 0)
		pg->spills++;
	else
		set_floor(pg, old_floor); /* nothing changes on failure */
	return err;
}

/*
 * An unmovable request that found no room in the region: grow it down until
 * it fits. [old floor, pivot) had no room, so a fit with the floor one group
 * lower starts in that group: each step searches only the new group plus
 * the request's length, which keeps a failing request linear in the groups.
 */
static int alloc_unmovable(struct pgalloc *pg, uint64_t n, uint64_t align, paddr_t *out)
{
	paddr_t floor = ALIGN_DOWN(pg->unmovable_floor, pg->group_size);
	uint64_t bytes = n << PAGE_SHIFT;
	int err;

	while (floor > pg->bottom) {
		paddr_t above = floor;

		floor = floor - pg->bottom >= pg->group_size
			    ? floor - pg->group_size
			    : ALIGN_DOWN(pg->bottom, pg->group_size);
		err = pg->ops->alloc(pg, n, align, floor,
				     pg->pivot - above > bytes ? above + bytes : pg->pivot, out);
		if (err == 0)
			set_floor(pg, floor);
		if (err != -ENOMEM)
			return err;
	}
	err = pg->ops->alloc(pg, n, align, 0, PGALLOC_NO_LIMIT, out);
	if (err == 0)
		pg->spills++;
	return err;
}

int pgalloc_alloc_grouped(struct pgalloc *pg, uint64_t n, uint64_t align, enum pgalloc_mobility mob,
			  paddr_t *out)
{
	return mob == PGALLOC_MOVABLE ? alloc_movable(pg, n, align, out)
				      : alloc_unmovable(pg, n, align, out);
}

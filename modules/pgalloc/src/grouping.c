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
	if (!empty)
		return; /* the pivot stays above the pages already placed */
	pg->pivot = ALIGN_DOWN(pg->bottom, PAGE_SIZE_1G) + PAGE_SIZE_1G;
	if (pg->pivot > pg->top)
		pg->pivot = pg->top;
	set_floor(pg, pg->pivot);
}

/*
 * Whether every managed page of the n pages from pa is free: a span
 * alloc_at refuses as not wholly managed is halved, and a page outside
 * every range counts as free.
 */
static bool span_free(struct pgalloc *pg, paddr_t pa, uint64_t n)
{
	int err = pg->ops->alloc_at(pg, pa, n);

	if (err == 0) {
		pg->ops->free(pg, pa, n);
		return true;
	}
	if (err != -EINVAL)
		return false;
	return n == 1 ||
	       (span_free(pg, pa, n / 2) && span_free(pg, pa + ((n / 2) << PAGE_SHIFT), n - n / 2));
}

/*
 * The end of the group at the floor (cut by the pivot) if no page of it
 * from the floor up is in use: it is then taken back from the region.
 * Else 0.
 */
static paddr_t floor_group_free(struct pgalloc *pg)
{
	paddr_t floor = pg->unmovable_floor;
	paddr_t end = ALIGN_DOWN(floor, pg->group_size) + pg->group_size;

	end = end < pg->pivot ? end : pg->pivot;
	return span_free(pg, floor, (end - floor) >> PAGE_SHIFT) ? end : 0;
}

/* A movable request that found no room below the floor. */
static int alloc_movable(struct pgalloc *pg, uint64_t n, uint64_t align, paddr_t *out)
{
	paddr_t old_floor = pg->unmovable_floor, end;
	int err;

	while (pg->unmovable_floor < pg->pivot && (end = floor_group_free(pg)) != 0) {
		set_floor(pg, end);
		err = pg->ops->alloc_in(pg, n, align, 0, pg->movable_limit, out);
		if (err != -ENOMEM)
			return err;
	}
	err = pg->ops->alloc_in(pg, n, align, pg->pivot, PGALLOC_NO_LIMIT, out);
	if (err != -ENOMEM)
		return err;
	err = pg->ops->alloc_in(pg, n, align, 0, PGALLOC_NO_LIMIT, out);
	if (err == 0)
		pg->spills++;
	else
		set_floor(pg, old_floor); /* nothing changes on failure */
	return err;
}

/*
 * An unmovable request that found no room in the region: grow it down until
 * it fits. [above, pivot) had no room, so a fit with the floor lowered to
 * the start of the group below `above` starts in that group: each step
 * searches only that group plus the request's length, which keeps a
 * failing request linear in the groups.
 */
static int alloc_unmovable(struct pgalloc *pg, uint64_t n, uint64_t align, paddr_t *out)
{
	paddr_t above = pg->unmovable_floor;
	uint64_t bytes = n << PAGE_SHIFT;
	int err;

	while (above > pg->bottom) {
		paddr_t floor = ALIGN_DOWN(above - 1, pg->group_size);

		err = pg->ops->alloc_in(pg, n, align, floor,
					pg->pivot - above > bytes ? above + bytes : pg->pivot, out);
		if (err == 0)
			set_floor(pg, floor);
		if (err != -ENOMEM)
			return err;
		above = floor;
	}
	err = pg->ops->alloc_in(pg, n, align, 0, PGALLOC_NO_LIMIT, out);
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

int pgalloc_alloc_by_mobility(struct pgalloc *pg, uint64_t n, uint64_t align,
			      enum pgalloc_mobility mob, paddr_t *out)
{
	paddr_t lo = 0, hi = pg->movable_limit;
	int err;

	if (mob != PGALLOC_MOVABLE) {
		if (mob != PGALLOC_UNMOVABLE)
			return -EINVAL;
		lo = pg->unmovable_floor;
		hi = pg->pivot;
	}
	err = pg->ops->alloc_in(pg, n, align, lo, hi, out);
	return err == -ENOMEM ? pgalloc_alloc_grouped(pg, n, align, mob, out) : err;
}

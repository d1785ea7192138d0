/* pgalloc_checker.c - an allocator and its shadow model in step (see pgalloc_checker.h). */
#include "pgalloc_checker.h"

#include <string.h>

void pgc_create(struct pgalloc_checker *c, const struct pgalloc_ops *ops, unsigned check_every)
{
	memset(c, 0, sizeof(*c));
	pgalloc_inst_create(&c->inst, ops);
	pgm_init(&c->model);
	c->check_every = check_every ? check_every : 1;
	c->lowest_fit = pgalloc_places_lowest(ops);
}

void pgc_destroy(struct pgalloc_checker *c)
{
	pgalloc_inst_destroy(&c->inst);
	pgm_destroy(&c->model);
}
/* Records a mismatch (prefixed with the allocator name and op number); returns false. */
static bool __attribute__((format(printf, 2, 3)))
pgc_fail(struct pgalloc_checker *c, const char *fmt, ...)
{
	int pos =
	    snprintf(c->err, sizeof(c->err), "%s op #%" PRIu64 ": ", c->inst.ops->name, c->nr_ops);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + pos, sizeof(c->err) - (size_t)pos, fmt, ap);
	va_end(ap);
	return false;
}
/* Compares the allocator's stats with the model's. */
static bool pgc_verify_stats(struct pgalloc_checker *c)
{
	struct pgalloc_stats got, want;
	pgalloc_inst_stats(&c->inst, &got);
	pgm_stats(&c->model, &want);
	if (got.total_pages != want.total_pages || got.free_pages != want.free_pages ||
	    got.used_pages != want.used_pages)
		return pgc_fail(c,
				"stats total/free/used %" PRIu64 "/%" PRIu64 "/%" PRIu64
				", model %" PRIu64 "/%" PRIu64 "/%" PRIu64,
				got.total_pages, got.free_pages, got.used_pages, want.total_pages,
				want.free_pages, want.used_pages);
	for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++)
		if (got.free_blocks[o] != want.free_blocks[o])
			return pgc_fail(c,
					"free_blocks[%u] = %" PRIu64 ", model %" PRIu64
					" (free pages %" PRIu64 ")",
					o, got.free_blocks[o], want.free_blocks[o],
					want.free_pages);
	if (got.largest_free_order != want.largest_free_order)
		return pgc_fail(c, "largest_free_order %" PRIu64 ", model %" PRIu64,
				got.largest_free_order, want.largest_free_order);
	return true;
}

bool pgc_verify_check(struct pgalloc_checker *c)
{
	int rc = pgalloc_check(c->inst.pg);
	if (rc != 0)
		return pgc_fail(c, "%s_check() returned %d", c->inst.ops->name, rc);
	/*
	 * used_pages agrees with the model over each range and each 2M block
	 * (or part) of it; of a range over 64 MiB, over its first and last 2M only.
	 */
	for (unsigned ri = 0; ri < c->model.nr_ranges; ri++) {
		const struct pgm_range *r = &c->model.range[ri];
		const uint64_t per_2m = PAGE_SIZE_2M >> PAGE_SHIFT;
		uint64_t last = r->pages - 1 - ((r->base >> PAGE_SHIFT) + r->pages - 1) % per_2m;
		bool large = r->pages > (64ULL << 20) >> PAGE_SHIFT;

		for (uint64_t i = 0; i < r->pages;) { /* page indices: no overflow at the top */
			paddr_t a = r->base + (i << PAGE_SHIFT);
			uint64_t n = per_2m - (a >> PAGE_SHIFT) % per_2m, got;

			n = n < r->pages - i ? n : r->pages - i;
			got = pgalloc_used_pages(c->inst.pg, a, n);
			if (got != pgm_used_in(&c->model, a, n))
				return pgc_fail(c,
						"used_pages(%#" PRIx64 ", %" PRIu64 ") = %" PRIu64
						", the model says %" PRIu64,
						a, n, got, pgm_used_in(&c->model, a, n));
			i += n;
			if (large && i < last)
				i = last;
		}
		if (pgalloc_used_pages(c->inst.pg, r->base, r->pages) !=
		    pgm_used_in(&c->model, r->base, r->pages))
			return pgc_fail(c, "used_pages of the range at %#" PRIx64 " differs",
					r->base);
	}
	return true;
}
/*
 * Checks rc against `mask`; a failed call must not change the stats
 * (compared with `before`). `what` describes the call.
 */
static bool pgc_result(struct pgalloc_checker *c, const char *what, int rc, unsigned mask,
		       const struct pgalloc_stats *before)
{
	char buf[64];
	c->last_rc = rc;
	if (c->trace)
		fprintf(stderr, "%s #%" PRIu64 ": %s = %d\n", c->inst.ops->name, c->nr_ops, what,
			rc);
	if (!(pgm_rc_bit(rc) & mask))
		return pgc_fail(c, "%s returned %d, expected %s", what, rc,
				pgm_mask_str(mask, buf, sizeof(buf)));
	if (rc != 0) {
		struct pgalloc_stats after;
		pgalloc_inst_stats(&c->inst, &after);
		if (memcmp(before, &after, sizeof(after)) != 0)
			return pgc_fail(c, "%s failed with %d but changed the stats", what, rc);
	}
	return true;
}
/* The checks that follow every operation. */
static bool pgc_after(struct pgalloc_checker *c)
{
	if (!pgc_verify_stats(c))
		return false;
	if (c->nr_ops % c->check_every == 0 && !pgc_verify_check(c))
		return false;
	return true;
}

bool pgc_add_memory(struct pgalloc_checker *c, paddr_t base, uint64_t size)
{
	char what[96];
	struct pgalloc_stats before;
	snprintf(what, sizeof(what), "add_memory(%#" PRIx64 ", %#" PRIx64 ")", base, size);
	c->nr_ops++;
	unsigned mask = pgm_add_expect(&c->model, base, size);
	pgalloc_inst_stats(&c->inst, &before);
	int rc = pgalloc_inst_add(&c->inst, base, size);
	if (!pgc_result(c, what, rc, mask, &before))
		return false;
	if (rc == 0)
		pgm_add(&c->model, base, size);
	return pgc_after(c);
}

/*
 * Where the grouping policy may put a successful request of mobility mob,
 * given the region before (g0) and after (g1): NULL, or what is wrong.
 */
static const char *grouping_error(const struct pgalloc_grouping *g0,
				  const struct pgalloc_grouping *g1, enum pgalloc_mobility mob,
				  paddr_t addr, uint64_t n)
{
	paddr_t end = addr + (n << PAGE_SHIFT);

	if (g1->spills == g0->spills + 1)
		return NULL; /* crossed over, counted */
	if (g1->spills != g0->spills)
		return "spills changed by more than one";
	if (mob == PGALLOC_UNMOVABLE) {
		if (g1->unmovable_floor > g0->unmovable_floor)
			return "an unmovable request raised the floor";
		if (addr < g1->unmovable_floor || end > g1->pivot)
			return "unmovable pages outside the region, not counted as a spill";
		return NULL;
	}
	if (g1->unmovable_floor < g0->unmovable_floor)
		return "a movable request lowered the floor";
	if (end > g1->unmovable_floor && addr < g1->pivot && g1->unmovable_floor != g1->pivot)
		return "movable pages inside the region, not counted as a spill";
	return NULL;
}

bool pgc_alloc(struct pgalloc_checker *c, uint64_t n, uint64_t align, enum pgalloc_mobility mob,
	       paddr_t *out)
{
	char what[112];
	struct pgalloc_stats before;
	struct pgalloc_grouping g0, g1;
	paddr_t addr = 0;
	snprintf(what, sizeof(what), "alloc(n=%" PRIu64 ", align=%#" PRIx64 ", %s)", n, align,
		 mob == PGALLOC_MOVABLE ? "movable" : "unmovable");
	c->nr_ops++;
	if (out)
		*out = 0;
	unsigned mask = pgm_alloc_expect(&c->model, n, align);
	pgalloc_inst_stats(&c->inst, &before);
	pgalloc_grouping(c->inst.pg, &g0);
	int rc = pgalloc_alloc(c->inst.pg, n, align, mob, &addr);
	if (!pgc_result(c, what, rc, mask, &before))
		return false;
	pgalloc_grouping(c->inst.pg, &g1);
	if (rc != 0 && memcmp(&g0, &g1, sizeof(g0)) != 0)
		return pgc_fail(c, "%s failed but changed the unmovable region", what);
	if (rc == 0) {
		const char *why = pgm_alloc_result_error(&c->model, addr, n, align);
		if (!why)
			why = grouping_error(&g0, &g1, mob, addr, n);
		if (why)
			return pgc_fail(c, "%s returned %#" PRIx64 ": %s", what, addr, why);
		paddr_t lowest;
		/* Lowest first holds over the whole pool while no unmovable page is placed. */
		if (c->lowest_fit && mob == PGALLOC_MOVABLE && g0.unmovable_floor == g0.pivot &&
		    pgm_lowest_fit(&c->model, n, align, &lowest) && addr != lowest)
			return pgc_fail(c, "%s returned %#" PRIx64 ", not the lowest fit %#" PRIx64,
					what, addr, lowest);
		pgm_mark_used(&c->model, addr, n);
		if (out)
			*out = addr;
	}
	return pgc_after(c);
}
/* alloc_at(addr, n) (alloc = true) or free(addr, n), checked against the model. */
static bool pgc_range_op(struct pgalloc_checker *c, paddr_t addr, uint64_t n, bool alloc)
{
	char what[96];
	struct pgalloc_stats before;
	snprintf(what, sizeof(what), "%s(%#" PRIx64 ", n=%" PRIu64 ")", alloc ? "alloc_at" : "free",
		 addr, n);
	c->nr_ops++;
	unsigned mask = pgm_range_expect(&c->model, addr, n, alloc);
	pgalloc_inst_stats(&c->inst, &before);
	int rc = alloc ? pgalloc_alloc_at(c->inst.pg, addr, n) : pgalloc_free(c->inst.pg, addr, n);
	if (!pgc_result(c, what, rc, mask, &before))
		return false;
	if (rc == 0 && alloc)
		pgm_mark_used(&c->model, addr, n);
	else if (rc == 0)
		pgm_mark_free(&c->model, addr, n);
	return pgc_after(c);
}

bool pgc_alloc_at(struct pgalloc_checker *c, paddr_t addr, uint64_t n)
{
	return pgc_range_op(c, addr, n, true);
}

bool pgc_free(struct pgalloc_checker *c, paddr_t addr, uint64_t n)
{
	return pgc_range_op(c, addr, n, false);
}

bool pgc_free_all(struct pgalloc_checker *c)
{
	while (c->model.nr_ext > 0) {
		struct pgm_extent e = c->model.ext[c->model.nr_ext - 1];
		if (!pgc_free(c, e.addr, e.n))
			return false;
	}
	return pgc_verify_check(c);
}

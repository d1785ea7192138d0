/*
 * pgalloc_checker.h - drives one allocator and its shadow model in step.
 *
 * Every pgc_* operation calls the allocator (through pgalloc_inst.h), checks
 * the return code against the outcomes the model allows (pgalloc_model.h),
 * checks that a failed call left the stats byte-for-byte unchanged and that
 * a successful allocation is aligned, inside one range and was free (and,
 * for an allocator that promises it, the lowest such fit), then updates the
 * model and compares the allocator's stats (free/used pages,
 * free-block histogram, largest free order) with the model's. Every
 * `check_every` operations it also runs the allocator's own consistency
 * checker. On the first mismatch an operation returns false and leaves a
 * one-line description in c->err; the caller reports it (cmocka fail_msg in
 * the stress test, abort() in the fuzzer). With c->trace set every call is
 * printed to stderr as it happens, to replay a failure by hand.
 */
#ifndef TESTS_PGALLOC_CHECKER_H
#define TESTS_PGALLOC_CHECKER_H

#include "pgalloc_inst.h"
#include "pgalloc_model.h"
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#define PGC_ERR_LEN 512

struct pgalloc_checker {
	struct pgalloc_inst inst;
	struct pgalloc_model model;
	unsigned check_every; /* run pgalloc_check() every this many operations (>= 1) */
	bool trace;	      /* print every call and its result to stderr */
	bool lowest_fit;      /* every alloc must return the lowest fitting address */
	uint64_t nr_ops;      /* operations so far */
	int last_rc;	      /* return code of the last operation */
	char err[PGC_ERR_LEN];
};

/* Starts a checker over a fresh, empty instance of `ops`. */
static inline void pgc_create(struct pgalloc_checker *c, const struct pgalloc_ops *ops,
			      unsigned check_every)
{
	memset(c, 0, sizeof(*c));
	pgalloc_inst_create(&c->inst, ops);
	pgm_init(&c->model);
	c->check_every = check_every ? check_every : 1;
	c->lowest_fit = pgalloc_places_lowest(ops);
}

static inline void pgc_destroy(struct pgalloc_checker *c)
{
	pgalloc_inst_destroy(&c->inst);
	pgm_destroy(&c->model);
}

/* Records a mismatch (prefixed with the allocator name and op number); returns false. */
static inline bool __attribute__((format(printf, 2, 3)))
pgc_fail(struct pgalloc_checker *c, const char *fmt, ...)
{
	int pos = snprintf(c->err, sizeof(c->err), "%s op #%" PRIu64 ": ", c->inst.ops->name,
			   c->nr_ops);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + pos, sizeof(c->err) - (size_t)pos, fmt, ap);
	va_end(ap);
	return false;
}

/* Compares the allocator's stats with the model's. */
static inline bool pgc_verify_stats(struct pgalloc_checker *c)
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

/* Runs the allocator's own consistency checker. */
static inline bool pgc_verify_check(struct pgalloc_checker *c)
{
	int rc = pgalloc_check(c->inst.pg);
	if (rc != 0)
		return pgc_fail(c, "%s_check() returned %d", c->inst.ops->name, rc);
	return true;
}

/*
 * Checks rc against `mask`; a failed call must not change the stats
 * (compared with `before`). `what` describes the call.
 */
static inline bool pgc_result(struct pgalloc_checker *c, const char *what, int rc, unsigned mask,
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
static inline bool pgc_after(struct pgalloc_checker *c)
{
	if (!pgc_verify_stats(c))
		return false;
	if (c->nr_ops % c->check_every == 0 && !pgc_verify_check(c))
		return false;
	return true;
}

/* add_memory(base, size) with a fresh metadata buffer. */
static inline bool pgc_add_memory(struct pgalloc_checker *c, paddr_t base, uint64_t size)
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

/* alloc(n, align); *out (may be NULL) gets the address, or 0 when the call failed. */
static inline bool pgc_alloc(struct pgalloc_checker *c, uint64_t n, uint64_t align, paddr_t *out)
{
	char what[96];
	struct pgalloc_stats before;
	paddr_t addr = 0;
	snprintf(what, sizeof(what), "alloc(n=%" PRIu64 ", align=%#" PRIx64 ")", n, align);
	c->nr_ops++;
	if (out)
		*out = 0;
	unsigned mask = pgm_alloc_expect(&c->model, n, align);
	pgalloc_inst_stats(&c->inst, &before);
	int rc = pgalloc_alloc(c->inst.pg, n, align, &addr);
	if (!pgc_result(c, what, rc, mask, &before))
		return false;
	if (rc == 0) {
		const char *why = pgm_alloc_result_error(&c->model, addr, n, align);
		if (why)
			return pgc_fail(c, "%s returned %#" PRIx64 ": %s", what, addr, why);
		paddr_t lowest;
		if (c->lowest_fit && pgm_lowest_fit(&c->model, n, align, &lowest) && addr != lowest)
			return pgc_fail(c, "%s returned %#" PRIx64 ", not the lowest fit %#" PRIx64,
					what, addr, lowest);
		pgm_mark_used(&c->model, addr, n);
		if (out)
			*out = addr;
	}
	return pgc_after(c);
}

/* alloc_at(addr, n) (alloc = true) or free(addr, n), checked against the model. */
static inline bool pgc_range_op(struct pgalloc_checker *c, paddr_t addr, uint64_t n, bool alloc)
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

/* alloc_at(addr, n). */
static inline bool pgc_alloc_at(struct pgalloc_checker *c, paddr_t addr, uint64_t n)
{
	return pgc_range_op(c, addr, n, true);
}

/* free(addr, n). */
static inline bool pgc_free(struct pgalloc_checker *c, paddr_t addr, uint64_t n)
{
	return pgc_range_op(c, addr, n, false);
}

/* Frees every allocated extent, then runs the consistency checker. */
static inline bool pgc_free_all(struct pgalloc_checker *c)
{
	while (c->model.nr_ext > 0) {
		struct pgm_extent e = c->model.ext[c->model.nr_ext - 1];
		if (!pgc_free(c, e.addr, e.n))
			return false;
	}
	return pgc_verify_check(c);
}

#endif

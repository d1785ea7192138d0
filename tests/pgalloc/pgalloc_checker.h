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
void pgc_create(struct pgalloc_checker *c, const struct pgalloc_ops *ops, unsigned check_every);

void pgc_destroy(struct pgalloc_checker *c);

/* Runs the allocator's own consistency checker. */
bool pgc_verify_check(struct pgalloc_checker *c);

/* add_memory(base, size) with a fresh metadata buffer. */
bool pgc_add_memory(struct pgalloc_checker *c, paddr_t base, uint64_t size);

/*
 * alloc(n, align, mob); *out (may be NULL) gets the address, or 0 when the
 * call failed. Also checks the grouping: a failure leaves the unmovable
 * region as it was, a success lands on its kind's side of the floor or is
 * counted as a spill, and an unmovable page never raises the floor nor a
 * movable one lowers it.
 */
bool pgc_alloc(struct pgalloc_checker *c, uint64_t n, uint64_t align, enum pgalloc_mobility mob,
	       paddr_t *out);

/* alloc_at(addr, n). */
bool pgc_alloc_at(struct pgalloc_checker *c, paddr_t addr, uint64_t n);

/* free(addr, n). */
bool pgc_free(struct pgalloc_checker *c, paddr_t addr, uint64_t n);

/* Frees every allocated extent, then runs the consistency checker. */
bool pgc_free_all(struct pgalloc_checker *c);

/*
 * In a cmocka test of a seeded run: unless `call` (a pgc_* operation on
 * checker c) returns true, fails the running case with the seed, as
 * TEST_SEED=<seed> to replay it, and c's description of the mismatch.
 */
#define pgc_assert_seeded(c, seed, call)                                                           \
	do {                                                                                       \
		if (!(call))                                                                       \
			fail_msg("TEST_SEED=%llu: %s", (unsigned long long)(seed), (c)->err);      \
	} while (0)

#endif

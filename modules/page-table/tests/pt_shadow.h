/*
 * pt_shadow.h - a page-granular shadow model of one page table, random
 * operations on both, and the checks that they agree. Shared by the seeded
 * stress test and the fuzzer.
 *
 * The model tracks a 4 GiB window of the address space (placed at the start
 * or the end of the low half or of the high half, so the edges of each half
 * are exercised) as one word per 4K page: frame | level | flags | present.
 * It predicts every call's result from the contract in page_table.h,
 * written independently of the implementation (ranges with 128-bit
 * arithmetic, leaves from per-page words), and after a call the real table
 * is walked entry by entry and compared with the model, including table
 * accounting and the test allocator's used pages.
 *
 * Out of memory: an operation may run with pt_env_fail_after(n) armed;
 * then -ENOMEM is an accepted answer where the model predicts 0 or -EEXIST
 * (except for a collapse, which needs no memory), and the table must be
 * unchanged afterwards.
 *
 * The functions are in pt_shadow.c; a mismatch is printed, then sh_fail
 * is called.
 */
#ifndef PT_SHADOW_H
#define PT_SHADOW_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt_test_env.h"
#include "test_src.h"

/*
 * What a mismatch does once printed: sh_fail() when set (the stress test
 * fails its cmocka case), else abort() (the fuzzer).
 */
extern void (*sh_fail)(void);

#define SH_WINDOW     (4ULL << 30)
#define SH_PAGES      (SH_WINDOW >> PAGE_SHIFT)
#define SH_LOW_END    (1ULL << 38)
#define SH_HIGH_START (~0ULL << 38)

/* Shadow page word: frame address | flags << 3 | level << 1 | present. */
#define SH_PRESENT     1ULL
#define SH_LEVEL_SHIFT 1
#define SH_FLAGS_SHIFT 3

enum sh_kind {
	SH_MAP,
	SH_MAP_REGION,
	SH_UNMAP,
	SH_UNMAP_REGION,
	SH_PROTECT,
	SH_REMAP,
	SH_QUERY,
	SH_SPLIT,
	SH_COLLAPSE,
};

struct sh_op {
	enum sh_kind kind;
	vaddr_t va;
	paddr_t pa;
	uint64_t size; /* pgsize for SH_MAP and SH_COLLAPSE */
	unsigned flags;
	bool huge;
	long fail_after; /* -1: no allocation failure injected */
};

struct pt_shadow {
	struct page_table pt;
	vaddr_t base; /* window start */
	uint64_t *pages;
	uint64_t nr_present; /* present pages in the model */
	uint64_t baseline;   /* allocator's used pages with no table */
	uint64_t seed;	     /* reported on a mismatch */
	uint64_t nr_ops;
};

/* Decisions come from a struct test_src (tests/host/test_src.h). */

/* Full comparison of table and model, structure and accounting. */
void sh_verify(struct pt_shadow *sh, const struct sh_op *op);

/* Runs op on the real table and the model and compares the outcomes. */
void sh_apply(struct pt_shadow *sh, const struct sh_op *op, bool verify);

/* ---- random operations ---- */

/* Makes a random operation; ranges stay in the window unless meant to be bad. */
void sh_gen_op(struct pt_shadow *sh, struct test_src *r, struct sh_op *op);

#define SH_NR_WINDOWS 4

/* Starts a model with an empty table; window chosen by `which`. 0 or -1. */
int sh_init(struct pt_shadow *sh, unsigned which, uint64_t seed);

/* Destroys the table, checks nothing leaked, frees the model. */
void sh_fini(struct pt_shadow *sh);

#endif

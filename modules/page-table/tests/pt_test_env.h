/*
 * pt_test_env.h - host environment shared by the page-table tests, fuzzer
 * and benchmark: simulated RAM, a simple table-page allocator over it given
 * to the table through struct pt_frame_ops (with fault injection), and
 * independent inspection of a table's raw entries.
 *
 * The functions are in pt_test_env.c.
 */
#ifndef PT_TEST_ENV_H
#define PT_TEST_ENV_H

#include <errno.h>
#include <page-table/page_table.h>
#include <page-table/sv39.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal_host.h"

/* Simulated RAM: table pages come from here. */
#define PT_ENV_RAM_BASE	 0x80000000ULL
#define PT_ENV_RAM_SIZE	 (64ULL << 20)
#define PT_ENV_RAM_PAGES (PT_ENV_RAM_SIZE / PAGE_SIZE_4K)

/* Made-up leaf frames: never touched, so they need no backing. */
#define PT_ENV_FRAME_BASE 0x4000000000ULL

/* What the test allocator writes over a page it hands out or takes back. */
#define PT_ENV_POISON 0xa5

/*
 * The test allocator: a stack of the free pages of the simulated RAM
 * (lowest address on top after a reset), a used flag per page so that a
 * double or foreign free aborts, and fault injection like axalloc's. Pages
 * are handed out and taken back poisoned, so a table page the page table
 * fails to zero, or reads after freeing it, shows up.
 */
struct pt_env_pool {
	paddr_t free[PT_ENV_RAM_PAGES];
	uint64_t nr_free;
	bool used[PT_ENV_RAM_PAGES];
	long fail_countdown; /* allocations that still succeed; -1: no injection */
};

extern struct pt_env_pool pt_env_pool;

/* The ops every test table is given. */
extern const struct pt_frame_ops pt_env_frames;

/* Backs the simulated RAM with host memory (once per process). */
void pt_env_back_ram(void);

/* The test allocator's pages in use. */
uint64_t pt_env_used_pages(void);

/*
 * Backs the RAM and starts the test allocator over it afresh, fault
 * injection off. Returns the used-page count right after (0): the baseline
 * that leak checks compare with.
 */
uint64_t pt_env_reset(void);

/*
 * Fault injection: after `n` more successful allocations every allocation
 * fails until pt_env_fail_after(-1) turns injection off. n = 0 fails the
 * next one.
 */
void pt_env_fail_after(long n);

/* The table page at pa, as host memory. */
pte_t *pt_env_table(paddr_t pa);

/*
 * A fingerprint of the whole table: every entry of every reachable table
 * page and where the table pages are, plus nr_table_pages. Equal before and
 * after a call means the call changed nothing.
 */
uint64_t pt_env_fingerprint(const struct page_table *pt);

/* Facts gathered by walking a table's raw entries. */
struct pt_env_census {
	uint64_t tables;	      /* table pages reachable, root included */
	uint64_t empty_tables;	      /* non-root tables without a valid entry */
	uint64_t leaves[SV39_LEVELS]; /* leaves per level: [0] 4K, [1] 2M, [2] 1G */
	uint64_t bad_entries;	      /* malformed entries (see pt_env_census_table) */
};

/*
 * Counts tables and leaves under the table at pa. A leaf is malformed if its
 * frame is not aligned to its size or it lacks A (or D while writable); a
 * table pointer if it carries leaf-only bits; a level-0 entry if it is not
 * a leaf.
 */
void pt_env_census_table(struct pt_env_census *c, paddr_t pa, int level, bool root);

/* Census of every table reachable from the root. */
struct pt_env_census pt_env_census(const struct page_table *pt);

/* The raw leaf entry mapping va (or 0), and its level. */
pte_t pt_env_leaf(const struct page_table *pt, vaddr_t va, int *level);

#endif

/*
 * pt_test_env.h - host environment shared by the page-table tests, fuzzer
 * and benchmark: simulated RAM for table pages handed to axalloc, and
 * independent inspection of a table's raw entries.
 *
 * Header-only (host.mk links just the program's own .c file plus module
 * sources), so everything here is static inline.
 */
#ifndef PT_TEST_ENV_H
#define PT_TEST_ENV_H

#include <axalloc/axalloc.h>
#include <page-table/page_table.h>
#include <page-table/sv39.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hal_host.h"

/* Simulated RAM that axalloc manages: table pages come from here. */
#define PT_ENV_RAM_BASE 0x80000000ULL
#define PT_ENV_RAM_SIZE (64ULL << 20)

/* Made-up leaf frames: never touched, so they need no backing. */
#define PT_ENV_FRAME_BASE 0x4000000000ULL

/*
 * Backs the RAM range (once per process) and starts axalloc over it afresh.
 * Returns axalloc's used-page count right after init: the baseline that
 * leak checks compare with.
 */
static inline uint64_t pt_env_reset(void)
{
	static bool backed;
	if (!backed) {
		hal_host_map_phys(PT_ENV_RAM_BASE, PT_ENV_RAM_SIZE);
		backed = true;
	}
	struct mem_range ram = {PT_ENV_RAM_BASE, PT_ENV_RAM_SIZE};
	if (axalloc_init(&ram, 1, NULL, 0) != 0)
		return UINT64_MAX;
	struct axalloc_stats st;
	axalloc_stats(&st);
	return st.pages.used_pages;
}

/* axalloc's current used-page count. */
static inline uint64_t pt_env_used_pages(void)
{
	struct axalloc_stats st;
	axalloc_stats(&st);
	return st.pages.used_pages;
}

static inline pte_t *pt_env_table(paddr_t pa)
{
	return (pte_t *)phys_to_virt(pa);
}

/* FNV-1a step over one 64-bit word. */
static inline uint64_t pt_env_hash(uint64_t h, uint64_t w)
{
	for (int i = 0; i < 8; i++) {
		h ^= (w >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static inline uint64_t pt_env_hash_table(uint64_t h, paddr_t pa, int level)
{
	const pte_t *t = pt_env_table(pa);
	h = pt_env_hash(h, pa);
	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		h = pt_env_hash(h, t[i]);
		if (level > 0 && sv39_pte_valid(t[i]) && !sv39_pte_leaf(t[i]))
			h = pt_env_hash_table(h, sv39_pte_pa(t[i]), level - 1);
	}
	return h;
}

/*
 * A fingerprint of the whole table: every entry of every reachable table
 * page and where the table pages are, plus nr_table_pages. Equal before and
 * after a call means the call changed nothing.
 */
static inline uint64_t pt_env_fingerprint(const struct page_table *pt)
{
	uint64_t h = pt_env_hash(0xcbf29ce484222325ULL, pt->nr_table_pages);
	return pt_env_hash_table(h, pt->root, SV39_ROOT_LEVEL);
}

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
static inline void pt_env_census_table(struct pt_env_census *c, paddr_t pa, int level, bool root)
{
	const pte_t *t = pt_env_table(pa);
	bool empty = true;
	c->tables++;
	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		pte_t e = t[i];
		if (!sv39_pte_valid(e)) {
			c->bad_entries += e != 0;
			continue;
		}
		empty = false;
		if (sv39_pte_leaf(e)) {
			bool ok = IS_ALIGNED(sv39_pte_pa(e), sv39_level_size(level)) &&
				  (e & SV39_PTE_A) && (!(e & SV39_PTE_W) || (e & SV39_PTE_D));
			c->bad_entries += !ok;
			c->leaves[level]++;
		} else if (level == 0 || (e & ~(SV39_PTE_PPN_MASK | SV39_PTE_V))) {
			c->bad_entries++;
		} else {
			pt_env_census_table(c, sv39_pte_pa(e), level - 1, false);
		}
	}
	c->empty_tables += empty && !root;
}

/* Census of every table reachable from the root. */
static inline struct pt_env_census pt_env_census(const struct page_table *pt)
{
	struct pt_env_census c;
	memset(&c, 0, sizeof(c));
	pt_env_census_table(&c, pt->root, SV39_ROOT_LEVEL, true);
	return c;
}

/* The raw leaf entry mapping va (or 0), and its level. */
static inline pte_t pt_env_leaf(const struct page_table *pt, vaddr_t va, int *level)
{
	paddr_t pa = pt->root;
	for (int l = SV39_ROOT_LEVEL; l >= 0; l--) {
		pte_t e = pt_env_table(pa)[sv39_index(va, l)];
		if (!sv39_pte_valid(e))
			return 0;
		if (sv39_pte_leaf(e)) {
			*level = l;
			return e;
		}
		pa = sv39_pte_pa(e);
	}
	return 0;
}

#endif

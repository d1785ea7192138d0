/*
 * aspace_test_env.h - the host environment of the mm-addrspace tests:
 * simulated physical memory, allocator set-up, memory accounting, and
 * snapshots of an address space to prove that a failed call changed nothing,
 * and a hog of the free 2M blocks (fragmented memory for the THP fallback,
 * migration and compaction tests).
 *
 * Physical memory: RAM [ENV_RAM_BASE, +3 GiB) managed by axalloc (its
 * metadata sits at the start, so 1G-aligned frames exist at 0xc0000000 and
 * 0x100000000), and ENV_LIN_BASE, a backed range axalloc does not manage,
 * for Linear areas. Host memory is reserved lazily: only touched pages cost.
 * A program may manage less RAM (env_ram_size), where the time an operation
 * takes grows with the pool (compaction examines every page).
 */
#ifndef ASPACE_TEST_ENV_H
#define ASPACE_TEST_ENV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal_host.h"
#include <axalloc/axalloc.h>
#include <axalloc/frame_ref.h>
#include <klib/kconfig.h>
#include <mm-addrspace/aspace.h>

#define ENV_RAM_BASE 0x80000000UL
#define ENV_RAM_SIZE (3UL << 30)
#define ENV_LIN_BASE 0x400000000UL
#define ENV_LIN_SIZE (64UL << 20)

/* Aborts with a message; for checks outside cmocka (model, fuzzer). */
#define ENV_CHECK(cond)                                                                            \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* RAM env_init gives axalloc from ENV_RAM_BASE: ENV_RAM_SIZE unless a program sets less. */
extern uint64_t env_ram_size;

/* Backs the physical ranges (once) and starts axalloc afresh over env_ram_size bytes. */
void env_init(void);

/*
 * Memory in use outside the heap's own pages (frames and page tables), and
 * bytes handed out by the heap. The heap may keep a spare chunk after a
 * kfree, so its pages are not counted: its used bytes are.
 */
struct mem_snap {
	uint64_t pages;
	uint64_t heap_bytes;
};

struct mem_snap mem_snap(void);

bool mem_equal(struct mem_snap a, struct mem_snap b);

/*
 * Free naturally aligned blocks of 2^order pages the allocator holds, from
 * its free-block histogram (no allocation, so no compaction is started).
 */
uint64_t env_free_blocks(unsigned order);

/* What hog_2m_frames took: every free 2M block, and the 4K frames it pinned. */
struct hog_2m {
	paddr_t blocks[ENV_RAM_SIZE / PAGE_SIZE_2M];
	int nr_blocks;
	paddr_t pinned[ENV_RAM_SIZE / PAGE_SIZE_2M];
	int nr_pinned;
};

/*
 * Fragments physical memory: takes every free 2M-aligned block (as movable
 * allocations, placed lowest first; as many as env_free_blocks counts, so
 * that no allocation fails), then
 * gives `broken` of them back with their first 4K frame pinned, so that no
 * 2M frame is free while 511 4K frames of each of those blocks are (and the
 * pieces smaller than 2M that were free already): a transparent huge page
 * must fall back to 4K pages.
 */
void hog_2m_frames(struct hog_2m *h, int broken);

/* Frees what hog_2m_frames took. */
void unhog_2m_frames(struct hog_2m *h);

/* The reference count of the frame at pa (CONFIG_MM_COW); 0 without counts. */
uint32_t env_frame_refs(paddr_t pa);

/* One mapped page as aspace_query sees it, with its frame's count and a checksum of its bytes. */
struct page_rec {
	vaddr_t va;
	paddr_t pa;
	unsigned flags;
	uint64_t pgsize;
	uint32_t refs;
	uint64_t sum;
};

/* Everything observable about a space (and the allocator) at one moment. */
struct space_snap {
	struct aspace_stats st;
	enum aspace_thp_policy policy;
	struct mem_snap mem;
	size_t nr_areas;
	struct aspace_area *areas;
	size_t nr_pages;
	struct page_rec *pages;
};

/*
 * Records stats, THP policy, memory, the area list (advice included) and
 * every mapped page of the whole space, a transparent huge page as one
 * (with content checksums when with_content; keep such spaces small).
 */
void snap_take(const struct aspace *as, struct space_snap *s, bool with_content);

void snap_free(struct space_snap *s);

bool area_equal(const struct aspace_area *a, const struct aspace_area *b);

/* True if two snapshots are identical; prints the first difference. */
bool snap_equal(const struct space_snap *a, const struct space_snap *b);

#endif

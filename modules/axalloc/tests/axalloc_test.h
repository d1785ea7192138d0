/*
 * axalloc_test.h - what the axalloc test programs share (here and in
 * tests/axalloc-bitmap-facade, which runs the same cases over the bitmap
 * allocator through HOST_SHARED): simulated RAM, a standard memory map, the
 * helpers of axalloc_test.c, and the case lists' runners.
 */
#ifndef AXALLOC_TEST_H
#define AXALLOC_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hal_host.h"
#include <axalloc/axalloc.h>

/* The made-up RAM most cases use: 64 MiB at 2 GiB, like QEMU virt. */
#define RAM_BASE  0x80000000UL
#define RAM_SIZE  (64UL << 20)
#define RAM_PAGES (RAM_SIZE / PAGE_SIZE)

/* Firmware, kernel image and DTB, deliberately not page aligned at the ends. */
#define NR_STD_RESERVED 3
extern const struct mem_range std_reserved[NR_STD_RESERVED];

/* Room for every managed range of a configuration. */
#define MAX_TEST_RANGES PGALLOC_MAX_RANGES

/* The seed of randomised cases when $TEST_SEED is not set. */
#define AXALLOC_DEFAULT_SEED 0x5eed2024

/* Backs `ram` with host memory and initialises axalloc over it minus `reserved`. */
int map_and_init(const struct mem_range *ram, int nr_ram, const struct mem_range *reserved,
		 int nr_reserved);

/* cmocka setup: the standard 64 MiB RAM with firmware, kernel and DTB reserved. */
int setup_std(void **state);

/* axalloc's statistics now. */
struct axalloc_stats get_stats(void);

/* Fails the test unless the two snapshots are identical. */
#define assert_stats_equal(a, b) assert_memory_equal(&(a), &(b), sizeof(struct axalloc_stats))

/* The managed ranges of the current configuration, into r[MAX_TEST_RANGES]; their number. */
int get_ranges(struct axalloc_range *r);

/* Whether [a, a + n) overlaps [b, b + m). */
bool overlaps(uint64_t a, uint64_t n, uint64_t b, uint64_t m);

/*
 * The reference answer for the memory map: map[i] = 1 when page i of the
 * window [win, win + npages pages) lies entirely inside one RAM range and
 * touches no reserved byte (axalloc_layout_cases.c).
 */
void oracle_usable(const struct mem_range *ram, int nr_ram, const struct mem_range *res, int nr_res,
		   paddr_t win, uint64_t npages, uint8_t *map);

/*
 * Checks axalloc's layout against the oracle's map over a window holding all
 * RAM (axalloc_layout_cases.c, which says what is checked); returns the
 * number of runs of usable pages.
 */
int check_layout(const uint8_t *map, paddr_t win, uint64_t npages);

/*
 * axalloc_init(ram, res) checked against the oracle over the window: returns
 * false when init refused with -ENOMEM, which is right only when no two
 * usable pages are adjacent (no piece could hold its own metadata); true
 * once the layout it made passed check_layout. map: npages bytes of room.
 */
bool init_and_check_layout(const struct mem_range *ram, int nr_ram, const struct mem_range *res,
			   int nr_res, paddr_t win, uint64_t npages, uint8_t *map);

/*
 * The case lists, each run as one cmocka group named after `allocator`, the
 * page allocator the program is built with ("buddy" or "bitmap"; a heap or
 * page run fails at once when axalloc's is another). They return the number
 * of failed cases.
 */
int run_heap_tests(const char *allocator);	/* axalloc_heap_cases.c */
int run_page_tests(const char *allocator);	/* axalloc_page_cases.c, and the two below */
int run_layout_tests(const char *allocator);	/* axalloc_layout_cases.c */
int run_block_map_tests(const char *allocator); /* axalloc_block_map_cases.c */

#endif

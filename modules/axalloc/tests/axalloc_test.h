/*
 * axalloc_test.h - helpers shared by the axalloc test programs (here and in
 * tests/axalloc-bitmap-facade, which runs the same cases over the bitmap
 * allocator): simulated RAM, a standard memory map, a seeded generator.
 */
#ifndef AXALLOC_TEST_H
#define AXALLOC_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
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
static const struct mem_range std_reserved[] = {
    {RAM_BASE, 0x80000},		     /* OpenSBI */
    {RAM_BASE + 0x200000, 0x1234a8},	     /* kernel image */
    {RAM_BASE + RAM_SIZE - 0x10ff0, 0x1e00}, /* DTB */
};
#define NR_STD_RESERVED ((int)(sizeof(std_reserved) / sizeof(std_reserved[0])))

/* Backs `ram` with host memory and initialises axalloc over it minus `reserved`. */
static inline int map_and_init(const struct mem_range *ram, int nr_ram,
			       const struct mem_range *reserved, int nr_reserved)
{
	hal_host_unmap_all();
	for (int i = 0; i < nr_ram; i++)
		hal_host_map_phys(ram[i].base, ram[i].size);
	return axalloc_init(ram, nr_ram, reserved, nr_reserved);
}

/* cmocka setup: the standard 64 MiB RAM with firmware, kernel and DTB reserved. */
static inline int setup_std(void **state)
{
	static const struct mem_range ram = {RAM_BASE, RAM_SIZE};
	(void)state;
	return map_and_init(&ram, 1, std_reserved, NR_STD_RESERVED);
}

/* The seed of randomised cases: $TEST_SEED, else a fixed default. */
static inline uint64_t test_seed(void)
{
	const char *s = getenv("TEST_SEED");
	return s && *s ? strtoull(s, NULL, 0) : 0x5eed2024;
}

/* xorshift64* generator; state must not be 0. */
static inline uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* A number in [lo, hi]. */
static inline uint64_t rng_range(uint64_t *state, uint64_t lo, uint64_t hi)
{
	return lo + rng_next(state) % (hi - lo + 1);
}

static inline struct axalloc_stats get_stats(void)
{
	struct axalloc_stats st;
	axalloc_stats(&st);
	return st;
}

/* Fails the test unless the two snapshots are identical. */
#define assert_stats_equal(a, b) assert_memory_equal(&(a), &(b), sizeof(struct axalloc_stats))

#endif

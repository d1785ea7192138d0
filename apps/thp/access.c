/*
 * access.c - the thp app's accesses to a region through the MMU: the first
 * touch, the random-access passes and the read-back of the touched bytes.
 */
#include <axhal/time.h>
#include <klib/kconfig.h>
#include <stdio.h>

#include "thp.h"

#define MAX_REPS 99
/* The random address: page from the high half of the generator's word, offset from the low. */
#define RAND_HALF_SHIFT	 32
#define PAGE_OFFSET_MASK (PAGE_SIZE_4K - 1)

/* Nanoseconds since the tick count t0. */
static uint64_t elapsed_ns(uint64_t t0)
{
	return axhal_ticks_to_ns(axhal_ticks() - t0);
}

void thp_touch(vaddr_t va, uint64_t pages)
{
	volatile uint8_t *p = (volatile uint8_t *)va;

	for (uint64_t i = 0; i < pages; i++)
		p[i * PAGE_SIZE_4K] = thp_pattern(i);
}

uint64_t thp_check_pattern(const char *what, vaddr_t va, uint64_t pages, uint64_t skip)
{
	const volatile uint8_t *p = (const volatile uint8_t *)va;
	uint64_t bad = 0;

	for (uint64_t i = 0; i < pages; i++) {
		uint8_t got;

		if (i == skip)
			continue;
		got = p[i * PAGE_SIZE_4K];
		if (got != thp_pattern(i) && bad++ == 0)
			thp_fail("%s: page %lu reads %#x, expected %#x", what, (unsigned long)i,
				 got, thp_pattern(i));
	}
	if (bad > 1)
		thp_fail("%s: %lu of %lu pages read back wrong", what, (unsigned long)bad,
			 (unsigned long)pages);
	return bad;
}

/* xorshift64: the next word of the random-access sequence (x != 0). */
static uint64_t next_random(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* The byte offset into the region of the access that random word x makes. */
static uint64_t random_offset(uint64_t x, uint64_t pages)
{
	uint64_t page = ((x >> RAND_HALF_SHIFT) * pages) >> RAND_HALF_SHIFT;

	return page * PAGE_SIZE_4K + (x & PAGE_OFFSET_MASK);
}

/* What one pass must read: the pattern where an access hits a page's first byte, else 0. */
static uint64_t expected_sum(uint64_t pages)
{
	uint64_t x = CONFIG_THP_SEED, sum = 0;

	for (uint64_t i = 0; i < pages; i++) {
		uint64_t off;

		x = next_random(x);
		off = random_offset(x, pages);
		if ((off & PAGE_OFFSET_MASK) == 0)
			sum += thp_pattern(off / PAGE_SIZE_4K);
	}
	return sum;
}

/* One pass: `pages` byte reads at the seeded random offsets; returns their sum. */
static uint64_t random_pass(const volatile uint8_t *p, uint64_t pages)
{
	uint64_t x = CONFIG_THP_SEED, sum = 0;

	for (uint64_t i = 0; i < pages; i++) {
		x = next_random(x);
		sum += p[random_offset(x, pages)];
	}
	return sum;
}

void thp_random_passes(const char *what, vaddr_t va, uint64_t pages, unsigned reps,
		       struct spread *s)
{
	static uint64_t ns[MAX_REPS];
	uint64_t want = expected_sum(pages);

	if (reps < 1 || reps > MAX_REPS) {
		thp_fail("%s: %u random-access passes, must be 1..%d", what, reps, MAX_REPS);
		*s = (struct spread){0};
		return;
	}
	for (unsigned rep = 0; rep < reps; rep++) {
		uint64_t t0 = axhal_ticks(), sum = random_pass((const volatile uint8_t *)va, pages);

		ns[rep] = elapsed_ns(t0);
		if (sum != want)
			thp_fail("%s: random pass %u read sum %#lx, expected %#lx", what, rep,
				 (unsigned long)sum, (unsigned long)want);
	}
	*s = spread_of(ns, reps, THP_PS_PER_NS, pages);
}

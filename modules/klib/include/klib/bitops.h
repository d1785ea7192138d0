/*
 * klib/bitops.h - bit operations on 64-bit words (header-only, usable in the
 * kernel and on the host).
 *
 * The compiler builtins behind these are undefined for 0; every function
 * here is defined for every input, 0 included, as its comment states. With
 * Zbb (or on x86 with BMI/LZCNT) ctz64, clz64 and fls64 are one instruction
 * and a subtraction at most: those instructions already give 64 for 0.
 */
#ifndef KLIB_BITOPS_H
#define KLIB_BITOPS_H

#include <stdbool.h>
#include <stdint.h>

#define BITS_PER_U64 64

/* Number of trailing zero bits of x: 0..63, and 64 for x == 0. */
static inline int ctz64(uint64_t x)
{
	return x != 0 ? __builtin_ctzll(x) : BITS_PER_U64;
}

/* Number of leading zero bits of x: 0..63, and 64 for x == 0. */
static inline int clz64(uint64_t x)
{
	return x != 0 ? __builtin_clzll(x) : BITS_PER_U64;
}

/* Number of set bits of x: 0..64. */
static inline int popcount64(uint64_t x)
{
	return __builtin_popcountll(x);
}

/* Find first set: 1 + index of the lowest set bit (1..64), and 0 for x == 0. */
static inline int ffs64(uint64_t x)
{
	return x != 0 ? __builtin_ctzll(x) + 1 : 0;
}

/* Find last set: 1 + index of the highest set bit (1..64), and 0 for x == 0. */
static inline int fls64(uint64_t x)
{
	return BITS_PER_U64 - clz64(x);
}

/* True iff x is a power of two (exactly one bit set); false for 0. */
static inline bool is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* floor(log2(x)) = index of the highest set bit (0..63), and -1 for x == 0. */
static inline int log2_floor64(uint64_t x)
{
	return fls64(x) - 1;
}

/*
 * ceil(log2(x)) = the smallest k with 2^k >= x: 0 for x == 0 and x == 1,
 * 64 for x > 2^63.
 */
static inline int log2_ceil64(uint64_t x)
{
	return x <= 1 ? 0 : fls64(x - 1);
}

#endif

/*
 * fill.c - the fill pattern of the workloads' blocks (see workloads.h): word
 * j of a block is a mix of its tag and j, so a block that moved, was
 * overwritten by a neighbour or handed out twice no longer matches.
 */
#include <stdint.h>

#include "workloads.h"

#define WORD_MIX 0x9e3779b97f4a7c15ULL

/* Word j of the pattern of `tag`. */
static inline uint64_t pattern_word(uint64_t tag, size_t j)
{
	return tag ^ ((uint64_t)(j + 1) * WORD_MIX);
}

/* Byte k (< 8) of the tail of the pattern of `tag`. */
static inline uint8_t pattern_byte(uint64_t tag, size_t k)
{
	return (uint8_t)(tag >> (8 * k)) ^ 0x5a;
}

void wl_fill(void *p, size_t size, uint64_t tag)
{
	uint64_t *w = p;
	uint8_t *tail = (uint8_t *)p + size / 8 * 8;

	for (size_t j = 0; j < size / 8; j++)
		w[j] = pattern_word(tag, j);
	for (size_t k = 0; k < size % 8; k++)
		tail[k] = pattern_byte(tag, k);
}

bool wl_verify(const void *p, size_t size, uint64_t tag)
{
	const uint64_t *w = p;
	const uint8_t *tail = (const uint8_t *)p + size / 8 * 8;

	for (size_t j = 0; j < size / 8; j++)
		if (w[j] != pattern_word(tag, j))
			return false;
	for (size_t k = 0; k < size % 8; k++)
		if (tail[k] != pattern_byte(tag, k))
			return false;
	return true;
}

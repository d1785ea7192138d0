/*
 * klib/level_bitmap.h - a multi-level bitmap: a bit per item plus summary
 * levels, so that the lowest set bit at or after any index is found with one
 * count-trailing-zeros per level (header-only, usable in the kernel and on
 * the host).
 *
 * Level 0 holds the nbits bits in 64-bit words. Bit w of level k + 1 is set
 * exactly when word w of level k is nonzero, up to a single top word; bits at
 * index >= nbits (in the last word of every level) are always zero. For 2^18
 * bits that is 4096 + 64 + 1 words, 1.6 % over the plain bitmap.
 *
 * The caller owns the words (level_bitmap_words(nbits) of them, laid out by
 * level_bitmap_attach) and serialises access; nothing here allocates or locks.
 * Setting or clearing one bit touches the levels above only when its word
 * turns nonzero or zero. Callers that edit level-0 words directly (several
 * bits at once) keep the summaries with level_bitmap_set_from/clear_from, or
 * recompute them all with level_bitmap_rebuild.
 */
#ifndef KLIB_LEVEL_BITMAP_H
#define KLIB_LEVEL_BITMAP_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <klib/bitops.h>

#define LEVEL_BITMAP_WORD_BITS	64
#define LEVEL_BITMAP_WORD_SHIFT 6
#define LEVEL_BITMAP_WORD_MASK	(LEVEL_BITMAP_WORD_BITS - 1)
/* Enough levels for 2^54 bits (9 levels of 64-way fan-out). */
#define LEVEL_BITMAP_MAX_LEVELS 9
/* "No such bit" result of level_bitmap_find_next. */
#define LEVEL_BITMAP_NONE UINT64_MAX

struct level_bitmap {
	uint64_t *lvl[LEVEL_BITMAP_MAX_LEVELS]; /* lvl[0]: the bits; lvl[nlevels - 1]: one word */
	uint64_t nbits;
	unsigned nlevels;
};

/* Number of words a level of nbits (>= 1) bits has. */
static inline uint64_t level_bitmap_words_for_(uint64_t nbits)
{
	return ((nbits - 1) >> LEVEL_BITMAP_WORD_SHIFT) + 1;
}

/* Mask of bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
static inline uint64_t level_bitmap_span_mask_(unsigned lo, unsigned hi)
{
	uint64_t upto = hi == LEVEL_BITMAP_WORD_BITS ? ~0ULL : (1ULL << hi) - 1;
	return upto & (~0ULL << lo);
}

/* Number of 64-bit words (all levels) a bitmap of nbits (>= 1) bits needs. */
static inline size_t level_bitmap_words(uint64_t nbits)
{
	size_t total = 0;
	uint64_t n = nbits;

	assert(nbits > 0);
	for (;;) {
		uint64_t w = level_bitmap_words_for_(n);
		total += w;
		if (w == 1)
			return total;
		n = w;
	}
}

/*
 * Lays a bitmap of nbits (>= 1) bits over `words` (level_bitmap_words(nbits)
 * words, written by this call) with every bit clear.
 */
static inline void level_bitmap_attach(struct level_bitmap *b, uint64_t nbits, uint64_t *words)
{
	uint64_t n = nbits;

	assert(nbits > 0);
	b->nbits = nbits;
	b->nlevels = 0;
	for (;;) {
		uint64_t w = level_bitmap_words_for_(n);
		assert(b->nlevels < LEVEL_BITMAP_MAX_LEVELS);
		b->lvl[b->nlevels++] = words;
		memset(words, 0, w * sizeof(*words));
		words += w;
		if (w == 1)
			break;
		n = w;
	}
}

/* Number of words level k of b has. */
static inline uint64_t level_bitmap_level_words(const struct level_bitmap *b, unsigned k)
{
	return ((b->nbits - 1) >> (LEVEL_BITMAP_WORD_SHIFT * (k + 1))) + 1;
}

/* Sets bit i of level k (>= 1) and the summary bits above it that were clear. */
static inline void level_bitmap_set_from(struct level_bitmap *b, unsigned k, uint64_t i)
{
	for (; k < b->nlevels; k++) {
		uint64_t *wp = &b->lvl[k][i >> LEVEL_BITMAP_WORD_SHIFT];
		uint64_t old = *wp;
		*wp = old | (1ULL << (i & LEVEL_BITMAP_WORD_MASK));
		if (old)
			return;
		i >>= LEVEL_BITMAP_WORD_SHIFT;
	}
}

/* Clears bit i of level k (>= 1) and the summary bits above it whose word became zero. */
static inline void level_bitmap_clear_from(struct level_bitmap *b, unsigned k, uint64_t i)
{
	for (; k < b->nlevels; k++) {
		uint64_t *wp = &b->lvl[k][i >> LEVEL_BITMAP_WORD_SHIFT];
		uint64_t now = *wp & ~(1ULL << (i & LEVEL_BITMAP_WORD_MASK));
		*wp = now;
		if (now)
			return;
		i >>= LEVEL_BITMAP_WORD_SHIFT;
	}
}

/* Sets bit i (< nbits), keeping the summaries (which change if its word was 0). */
static inline void level_bitmap_set(struct level_bitmap *b, uint64_t i)
{
	uint64_t *wp = &b->lvl[0][i >> LEVEL_BITMAP_WORD_SHIFT];
	uint64_t old = *wp;

	*wp = old | (1ULL << (i & LEVEL_BITMAP_WORD_MASK));
	if (old == 0 && b->nlevels > 1)
		level_bitmap_set_from(b, 1, i >> LEVEL_BITMAP_WORD_SHIFT);
}

/* Clears bit i (< nbits), keeping the summaries (which change if its word empties). */
static inline void level_bitmap_clear(struct level_bitmap *b, uint64_t i)
{
	uint64_t *wp = &b->lvl[0][i >> LEVEL_BITMAP_WORD_SHIFT];
	uint64_t now = *wp & ~(1ULL << (i & LEVEL_BITMAP_WORD_MASK));

	*wp = now;
	if (now == 0 && b->nlevels > 1)
		level_bitmap_clear_from(b, 1, i >> LEVEL_BITMAP_WORD_SHIFT);
}

/* Returns whether bit i (< nbits) is set. */
static inline bool level_bitmap_test(const struct level_bitmap *b, uint64_t i)
{
	return (b->lvl[0][i >> LEVEL_BITMAP_WORD_SHIFT] >> (i & LEVEL_BITMAP_WORD_MASK)) & 1;
}

/*
 * Returns the lowest set bit at index >= from, or LEVEL_BITMAP_NONE. Climbs
 * the levels until a set bit lies to the right, then descends with one
 * count-trailing-zeros per level: O(levels) words.
 */
static inline uint64_t level_bitmap_find_next(const struct level_bitmap *b, uint64_t from)
{
	uint64_t idx = from;
	unsigned k = 0;

	if (from >= b->nbits)
		return LEVEL_BITMAP_NONE;
	for (;;) {
		uint64_t w = idx >> LEVEL_BITMAP_WORD_SHIFT;
		uint64_t bits = b->lvl[k][w] & (~0ULL << (idx & LEVEL_BITMAP_WORD_MASK));
		if (bits) {
			idx = (w << LEVEL_BITMAP_WORD_SHIFT) + (uint64_t)ctz64(bits);
			break;
		}
		if (k + 1 == b->nlevels || w + 1 >= level_bitmap_level_words(b, k))
			return LEVEL_BITMAP_NONE;
		idx = w + 1;
		k++;
	}
	for (; k > 0; k--)
		idx = (idx << LEVEL_BITMAP_WORD_SHIFT) + (uint64_t)ctz64(b->lvl[k - 1][idx]);
	return idx;
}

/* Recomputes every summary level from level 0 (after level 0 was written directly). */
static inline void level_bitmap_rebuild(struct level_bitmap *b)
{
	for (unsigned k = 1; k < b->nlevels; k++) {
		uint64_t below = level_bitmap_level_words(b, k - 1);
		memset(b->lvl[k], 0, level_bitmap_level_words(b, k) * sizeof(uint64_t));
		for (uint64_t w = 0; w < below; w++)
			if (b->lvl[k - 1][w])
				b->lvl[k][w >> LEVEL_BITMAP_WORD_SHIFT] |=
				    1ULL << (w & LEVEL_BITMAP_WORD_MASK);
	}
}

/*
 * Sets or clears bits [start, end) of level k and fixes the levels above:
 * setting makes every touched word nonzero, so their parent bits get set as a
 * range; clearing zeroes every inner word, and an edge word only if its
 * remaining bits are clear, so the parent range shrinks by those edges.
 */
static inline void level_bitmap_assign_level_(struct level_bitmap *b, unsigned k, uint64_t start,
					      uint64_t end, bool val)
{
	for (;;) {
		uint64_t *lv = b->lvl[k];
		uint64_t ws = start >> LEVEL_BITMAP_WORD_SHIFT;
		uint64_t we = (end - 1) >> LEVEL_BITMAP_WORD_SHIFT;
		unsigned last_hi = ((end - 1) & LEVEL_BITMAP_WORD_MASK) + 1;
		uint64_t mfirst = level_bitmap_span_mask_(
		    start & LEVEL_BITMAP_WORD_MASK, ws == we ? last_hi : LEVEL_BITMAP_WORD_BITS);
		uint64_t mlast = level_bitmap_span_mask_(0, last_hi);
		uint64_t fill = val ? ~0ULL : 0;

		if (val) {
			lv[ws] |= mfirst;
			if (we != ws)
				lv[we] |= mlast;
		} else {
			lv[ws] &= ~mfirst;
			if (we != ws)
				lv[we] &= ~mlast;
		}
		for (uint64_t w = ws + 1; w < we; w++)
			lv[w] = fill;
		if (k + 1 == b->nlevels)
			return;
		if (val) {
			start = ws;
			end = we + 1;
		} else {
			start = lv[ws] ? ws + 1 : ws;
			end = lv[we] ? we : we + 1;
			if (start >= end)
				return;
		}
		k++;
	}
}

/* Sets (val true) or clears bits [start, end), start < end <= nbits; keeps the summaries. */
static inline void level_bitmap_assign(struct level_bitmap *b, uint64_t start, uint64_t end,
				       bool val)
{
	assert(start < end && end <= b->nbits);
	level_bitmap_assign_level_(b, 0, start, end, val);
}

/*
 * Consistency check for tests: returns 0 when every summary level matches the
 * level below and no bit at index >= nbits is set; else -1. O(nbits / 64).
 */
static inline int level_bitmap_check(const struct level_bitmap *b)
{
	if (b->nlevels == 0 || b->nlevels > LEVEL_BITMAP_MAX_LEVELS || b->nbits == 0)
		return -1;
	if (level_bitmap_level_words(b, b->nlevels - 1) != 1)
		return -1;
	for (unsigned k = 0; k < b->nlevels; k++) {
		uint64_t nw = level_bitmap_level_words(b, k);
		uint64_t nb = k == 0 ? b->nbits : level_bitmap_level_words(b, k - 1);
		unsigned tail = nb & LEVEL_BITMAP_WORD_MASK;
		/* No bit at or beyond nb in the last word. */
		if (tail && (b->lvl[k][nw - 1] & ~level_bitmap_span_mask_(0, tail)))
			return -1;
		if (k == 0)
			continue;
		for (uint64_t i = 0; i < nb; i++) {
			bool sum = (b->lvl[k][i >> LEVEL_BITMAP_WORD_SHIFT] >>
				    (i & LEVEL_BITMAP_WORD_MASK)) &
				   1;
			if (sum != (b->lvl[k - 1][i] != 0))
				return -1;
		}
	}
	return 0;
}

#endif

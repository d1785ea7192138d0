/*
 * hbm.c - hierarchical bitmap: bit array plus summary levels ("word nonzero").
 * The per-bit operations and the search are inline in <axalloc-bitmap/bitmap.h>.
 */
#include <assert.h>
#include <string.h>

#include <axalloc-bitmap/bitmap.h>

/* Mask of bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
static uint64_t span_mask(unsigned lo, unsigned hi)
{
	uint64_t upto = hi == BITMAP_WORD_BITS ? ~0ULL : (1ULL << hi) - 1;
	return upto & (~0ULL << lo);
}

static uint64_t words_for(uint64_t nbits)
{
	return ((nbits - 1) >> BITMAP_WORD_SHIFT) + 1;
}

size_t bitmap_hbm_words(uint64_t nbits)
{
	size_t total = 0;
	uint64_t n = nbits;

	assert(nbits > 0);
	for (;;) {
		uint64_t w = words_for(n);
		total += w;
		if (w == 1)
			return total;
		n = w;
	}
}

void bitmap_hbm_attach(struct bitmap_hbm *h, uint64_t nbits, uint64_t *words)
{
	uint64_t n = nbits;

	assert(nbits > 0);
	h->nbits = nbits;
	h->nlevels = 0;
	for (;;) {
		uint64_t w = words_for(n);
		assert(h->nlevels < BITMAP_HBM_MAX_LEVELS);
		h->lvl[h->nlevels++] = words;
		memset(words, 0, w * sizeof(*words));
		words += w;
		if (w == 1)
			break;
		n = w;
	}
}

void bitmap_hbm_set_from(struct bitmap_hbm *h, unsigned k, uint64_t i)
{
	for (; k < h->nlevels; k++) {
		uint64_t *wp = &h->lvl[k][i >> BITMAP_WORD_SHIFT];
		uint64_t old = *wp;
		*wp = old | (1ULL << (i & BITMAP_WORD_MASK));
		if (old)
			return;
		i >>= BITMAP_WORD_SHIFT;
	}
}

void bitmap_hbm_clear_from(struct bitmap_hbm *h, unsigned k, uint64_t i)
{
	for (; k < h->nlevels; k++) {
		uint64_t *wp = &h->lvl[k][i >> BITMAP_WORD_SHIFT];
		uint64_t now = *wp & ~(1ULL << (i & BITMAP_WORD_MASK));
		*wp = now;
		if (now)
			return;
		i >>= BITMAP_WORD_SHIFT;
	}
}

void bitmap_hbm_rebuild(struct bitmap_hbm *h)
{
	for (unsigned k = 1; k < h->nlevels; k++) {
		uint64_t below = bitmap_hbm_level_words(h, k - 1);
		memset(h->lvl[k], 0, bitmap_hbm_level_words(h, k) * sizeof(uint64_t));
		for (uint64_t w = 0; w < below; w++)
			if (h->lvl[k - 1][w])
				h->lvl[k][w >> BITMAP_WORD_SHIFT] |= 1ULL << (w & BITMAP_WORD_MASK);
	}
}

/*
 * Sets or clears bits [start, end) of level k and fixes the levels above:
 * setting makes every touched word nonzero, so their parent bits get set as a
 * range; clearing zeroes every inner word, and an edge word only if its
 * remaining bits are clear, so the parent range shrinks by those edges.
 */
static void assign_level(struct bitmap_hbm *h, unsigned k, uint64_t start, uint64_t end, bool val)
{
	uint64_t *lv = h->lvl[k];
	uint64_t ws = start >> BITMAP_WORD_SHIFT, we = (end - 1) >> BITMAP_WORD_SHIFT;
	uint64_t mfirst =
	    span_mask(start & BITMAP_WORD_MASK,
		      ws == we ? ((end - 1) & BITMAP_WORD_MASK) + 1 : BITMAP_WORD_BITS);
	uint64_t mlast = span_mask(0, ((end - 1) & BITMAP_WORD_MASK) + 1);
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
	if (k + 1 == h->nlevels)
		return;
	if (val) {
		assign_level(h, k + 1, ws, we + 1, true);
	} else {
		uint64_t lo = lv[ws] ? ws + 1 : ws;
		uint64_t hi = lv[we] ? we : we + 1;
		if (lo < hi)
			assign_level(h, k + 1, lo, hi, false);
	}
}

void bitmap_hbm_assign(struct bitmap_hbm *h, uint64_t start, uint64_t end, bool val)
{
	assert(start < end && end <= h->nbits);
	assign_level(h, 0, start, end, val);
}

int bitmap_hbm_check(const struct bitmap_hbm *h)
{
	if (h->nlevels == 0 || h->nlevels > BITMAP_HBM_MAX_LEVELS || h->nbits == 0)
		return -1;
	if (bitmap_hbm_level_words(h, h->nlevels - 1) != 1)
		return -1;
	for (unsigned k = 0; k < h->nlevels; k++) {
		uint64_t nw = bitmap_hbm_level_words(h, k);
		uint64_t nb = k == 0 ? h->nbits : bitmap_hbm_level_words(h, k - 1);
		unsigned tail = nb & BITMAP_WORD_MASK;
		/* No bit at or beyond nb in the last word. */
		if (tail && (h->lvl[k][nw - 1] & ~span_mask(0, tail)))
			return -1;
		if (k == 0)
			continue;
		for (uint64_t i = 0; i < nb; i++) {
			bool sum =
			    (h->lvl[k][i >> BITMAP_WORD_SHIFT] >> (i & BITMAP_WORD_MASK)) & 1;
			if (sum != (h->lvl[k - 1][i] != 0))
				return -1;
		}
	}
	return 0;
}

/*
 * rand_free.c - ArceOS's vec_rand_free: many blocks of one size, freed in
 * a seeded random order (see workloads.h).
 */
#include "workloads.h"

/* The tag of block i's fill pattern. */
static inline uint64_t block_tag(uint64_t seed, uint64_t i)
{
	return seed * 0x2545f4914f6cdd1dULL + i;
}

/* A seeded Fisher-Yates shuffle of order[0..n). */
static void shuffle(uint32_t *order, uint64_t n, uint64_t seed)
{
	uint64_t s = seed;

	for (uint64_t i = n; i > 1; i--) {
		uint64_t j = wl_rand_below(&s, i);
		uint32_t t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
}

/*
 * Allocates p->n blocks of p->size bytes (the array of their pointers
 * first), then an array of their indexes which it shuffles, and frees the
 * blocks in that order, then both arrays. Peak: every block live.
 */
void wl_rand_free(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r)
{
	uint64_t n = 0, arrays = p->n * (sizeof(void *) + sizeof(uint32_t));
	void **blk = a->alloc(a->ctx, p->n * sizeof(*blk));
	uint32_t *order = NULL;

	if (blk == NULL) {
		wl_error(r, "rand_free: the array of %lu pointers", (unsigned long)p->n);
		goto out;
	}
	r->allocs++;
	for (; n < p->n; n++) {
		blk[n] = a->alloc(a->ctx, p->size);
		if (blk[n] == NULL) {
			wl_error(r, "rand_free: block %lu of %zu bytes", (unsigned long)n, p->size);
			goto free_blocks;
		}
		r->allocs++;
		if (p->check)
			wl_fill(blk[n], p->size, block_tag(p->seed, n));
	}
	order = a->alloc(a->ctx, p->n * sizeof(*order));
	if (order == NULL) {
		wl_error(r, "rand_free: the order array");
		goto free_blocks;
	}
	r->allocs++;
	for (uint64_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	shuffle(order, n, p->seed);
	wl_sample(a, n * p->size + arrays, n + 2, &r->peak);
	for (uint64_t i = 0; i < n; i++) {
		void *b = blk[order[i]];

		if (p->check && !wl_verify(b, p->size, block_tag(p->seed, order[i])))
			wl_error(r, "rand_free: block %u changed", (unsigned)order[i]);
		a->free(a->ctx, b);
	}
	goto out;
free_blocks:
	while (n > 0)
		a->free(a->ctx, blk[--n]);
out:
	a->free(a->ctx, order);
	a->free(a->ctx, blk);
	wl_sample(a, 0, 0, &r->end);
}

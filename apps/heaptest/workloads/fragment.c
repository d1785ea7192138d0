/*
 * fragment.c - the fragmentation workload: a long seeded random mix of
 * sizes, then the overhead and the largest block still allocatable (see
 * workloads.h).
 */
#include "workloads.h"

/* The smallest block: 2^MIN_SHIFT bytes. */
#define MIN_SHIFT 4
#define NR_PHASES 4
/*
 * Sizes of phase k (a quarter of the steps each) stay below 2^max_shift[k]:
 * small, up to 4K, small again, up to 32K, so the holes one phase leaves
 * rarely suit the next.
 */
static const unsigned max_shift[NR_PHASES] = {8, 12, 9, 15};

struct slot {
	void *p; /* NULL: empty */
	uint32_t size;
	uint32_t tag;
};

/* A size in [2^b, 2^(b+1)) for b uniform in [MIN_SHIFT, shift): log-uniform below 2^shift. */
static size_t draw_size(uint64_t *rng, unsigned shift)
{
	unsigned b = MIN_SHIFT + (unsigned)wl_rand_below(rng, shift - MIN_SHIFT);

	return ((size_t)1 << b) + (size_t)wl_rand_below(rng, (uint64_t)1 << b);
}

/*
 * The largest request up to `limit` that the allocator grants, within
 * WL_LARGEST_STEP bytes below it (a binary search; each block granted is
 * freed at once).
 */
static uint64_t largest_block(const struct wl_allocator *a, uint64_t limit)
{
	uint64_t lo = 0, hi = limit;
	void *b = a->alloc(a->ctx, limit);

	if (b != NULL) {
		a->free(a->ctx, b);
		return limit;
	}
	while (hi - lo > WL_LARGEST_STEP) {
		uint64_t mid = lo + (hi - lo) / 2;

		b = a->alloc(a->ctx, mid);
		if (b != NULL) {
			a->free(a->ctx, b);
			lo = mid;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/*
 * p->n steps over p->live slots: each step picks a slot at random and
 * frees its block (verified with p->check) or, when it is empty, fills it
 * with a new block of draw_size() bytes (filled with p->check). So about
 * half the slots are live. Then the end sample, the search for the largest
 * block up to p->limit (r->largest), and every block freed.
 */
void wl_fragment(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r)
{
	uint64_t rng = p->seed, slots_bytes = p->live * sizeof(struct slot);
	uint64_t requested = slots_bytes, blocks = 1;
	struct slot *slot = a->alloc(a->ctx, slots_bytes);
	struct wl_sample s;

	if (slot == NULL) {
		wl_error(r, "fragment: the array of %lu slots", (unsigned long)p->live);
		return;
	}
	r->allocs++;
	for (uint64_t i = 0; i < p->live; i++)
		slot[i].p = NULL;
	for (uint64_t step = 0; step < p->n; step++) {
		if (step % WL_SAMPLE_STEPS == 0) {
			wl_sample(a, requested, blocks, &s);
			if (s.u.held >= r->peak.u.held)
				r->peak = s;
		}
		struct slot *sl = &slot[wl_rand_below(&rng, p->live)];
		if (sl->p != NULL) {
			if (p->check && !wl_verify(sl->p, sl->size, sl->tag)) {
				wl_error(r, "fragment: a block of %u bytes changed", sl->size);
				break;
			}
			a->free(a->ctx, sl->p);
			sl->p = NULL;
			requested -= sl->size;
			blocks--;
			continue;
		}
		size_t size = draw_size(&rng, max_shift[step * NR_PHASES / p->n]);
		sl->p = a->alloc(a->ctx, size);
		if (sl->p == NULL) {
			wl_error(r, "fragment: alloc of %zu bytes at step %lu", size,
				 (unsigned long)step);
			break;
		}
		r->allocs++;
		sl->size = (uint32_t)size;
		sl->tag = (uint32_t)(p->seed ^ step);
		if (p->check)
			wl_fill(sl->p, size, sl->tag);
		requested += size;
		blocks++;
	}
	wl_sample(a, requested, blocks, &r->end);
	if (r->end.u.held >= r->peak.u.held)
		r->peak = r->end;
	if (r->errors == 0)
		r->largest = largest_block(a, p->limit);
	for (uint64_t i = 0; i < p->live; i++) {
		if (slot[i].p == NULL)
			continue;
		if (p->check && r->errors == 0 && !wl_verify(slot[i].p, slot[i].size, slot[i].tag))
			wl_error(r, "fragment: a block of %u bytes changed", slot[i].size);
		a->free(a->ctx, slot[i].p);
	}
	a->free(a->ctx, slot);
}

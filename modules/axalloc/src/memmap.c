/*
 * memmap.c - usable RAM: the RAM ranges minus the reserved ranges.
 *
 * The firmware's lists are small (a few entries) but may be unsorted,
 * overlapping or duplicated, so the subtraction is done by a sweep over each
 * RAM range that jumps over whatever exclusion covers the current address.
 * Exclusions are the reserved ranges (widened to whole pages) and the RAM
 * ranges listed earlier (so overlapping RAM entries are counted once).
 * Pieces of adjacent RAM ranges that touch are merged into one.
 */
#include <stdbool.h>
#include <stdint.h>

#include "axalloc_priv.h"

/* A half-open interval [start, end); empty when start >= end. */
struct span {
	uint64_t start;
	uint64_t end;
};

/* End of [base, base + size), clamped to the top of the address space. */
static uint64_t range_end(paddr_t base, uint64_t size)
{
	return size > UINT64_MAX - base ? UINT64_MAX : base + size;
}

/* The whole pages inside r (an empty span if there are none). */
static struct span span_inward(const struct mem_range *r)
{
	uint64_t end = ALIGN_DOWN(range_end(r->base, r->size), PAGE_SIZE);
	uint64_t last_page = ALIGN_DOWN(UINT64_MAX, PAGE_SIZE);

	if (r->size == 0 || r->base > last_page)
		return (struct span){0, 0};
	uint64_t start = ALIGN_UP(r->base, PAGE_SIZE);
	if (start >= end)
		return (struct span){0, 0};
	return (struct span){start, end};
}

/* The pages r touches (an empty span if r is empty). */
static struct span span_outward(const struct mem_range *r)
{
	if (r->size == 0)
		return (struct span){0, 0};
	uint64_t end = range_end(r->base, r->size);
	if (end <= ALIGN_DOWN(UINT64_MAX, PAGE_SIZE))
		end = ALIGN_UP(end, PAGE_SIZE);
	return (struct span){ALIGN_DOWN(r->base, PAGE_SIZE), end};
}

/* Exclusion k for RAM range i: reserved[k], then ram[k - nr_reserved] (k < nr_reserved + i). */
static struct span exclusion(const struct mem_range *ram, const struct mem_range *reserved,
			     int nr_reserved, int k)
{
	if (k < nr_reserved)
		return span_outward(&reserved[k]);
	return span_inward(&ram[k - nr_reserved]);
}

/*
 * Adds [start, end) to out[0..*n): first merges it with the pieces it
 * touches (pieces of adjacent RAM ranges), then keeps only the `max`
 * largest pieces.
 */
static void keep_piece(struct mem_range *out, int *n, int max, uint64_t start, uint64_t end)
{
	for (int i = 0; i < *n; i++) {
		uint64_t b = out[i].base, e = out[i].base + out[i].size;
		if (e == start || end == b) {
			start = e == start ? b : start;
			end = end == b ? e : end;
			out[i] = out[*n - 1]; /* drop piece i, look at its replacement */
			(*n)--;
			i--;
		}
	}
	struct mem_range piece = {start, end - start};
	if (*n < max) {
		out[(*n)++] = piece;
		return;
	}
	int smallest = 0;
	for (int i = 1; i < *n; i++)
		if (out[i].size < out[smallest].size)
			smallest = i;
	if (max > 0 && out[smallest].size < piece.size)
		out[smallest] = piece;
}

/* Sorts out[0..n) by base (n is at most a few dozen). */
static void sort_by_base(struct mem_range *out, int n)
{
	for (int i = 1; i < n; i++) {
		struct mem_range r = out[i];
		int j = i;
		for (; j > 0 && out[j - 1].base > r.base; j--)
			out[j] = out[j - 1];
		out[j] = r;
	}
}

int axalloc_usable_ranges(const struct mem_range *ram, int nr_ram, const struct mem_range *reserved,
			  int nr_reserved, struct mem_range *out, int max)
{
	int n = 0;

	for (int i = 0; i < nr_ram; i++) {
		struct span s = span_inward(&ram[i]);
		int nr_excl = nr_reserved + i;
		uint64_t cur = s.start;

		while (cur < s.end) {
			/* Jump over every exclusion that covers cur. */
			bool moved = true;
			while (moved && cur < s.end) {
				moved = false;
				for (int k = 0; k < nr_excl; k++) {
					struct span x = exclusion(ram, reserved, nr_reserved, k);
					if (x.start <= cur && cur < x.end) {
						cur = x.end;
						moved = true;
					}
				}
			}
			if (cur >= s.end)
				break;
			/* The piece runs up to the next exclusion or the end of the range. */
			uint64_t next = s.end;
			for (int k = 0; k < nr_excl; k++) {
				struct span x = exclusion(ram, reserved, nr_reserved, k);
				if (x.start > cur && x.start < next)
					next = x.start;
			}
			keep_piece(out, &n, max, cur, next);
			cur = next;
		}
	}
	sort_by_base(out, n);
	return n;
}

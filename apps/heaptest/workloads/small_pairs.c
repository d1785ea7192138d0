/*
 * small_pairs.c - alloc+free pairs of one size (see workloads.h).
 */
#include "workloads.h"

/*
 * p->n times: allocates p->size bytes, writes the first byte (with
 * p->check: fills the block and verifies it), frees it. Takes no samples.
 */
void wl_small_pairs(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r)
{
	for (uint64_t i = 0; i < p->n; i++) {
		unsigned char *b = a->alloc(a->ctx, p->size);

		if (b == NULL) {
			wl_error(r, "small_pairs: alloc of %zu bytes", p->size);
			return;
		}
		r->allocs++;
		if (p->check) {
			wl_fill(b, p->size, p->seed + i);
			if (!wl_verify(b, p->size, p->seed + i)) {
				wl_error(r, "small_pairs: block of %zu bytes changed", p->size);
				a->free(a->ctx, b);
				return;
			}
		} else {
			b[0] = (unsigned char)i;
		}
		a->free(a->ctx, b);
	}
}

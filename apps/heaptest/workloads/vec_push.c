/*
 * vec_push.c - ArceOS's vec_push: 4-byte items pushed onto an array that
 * grows as Rust's Vec<u32> does (see workloads.h).
 */
#include "workloads.h"

/* Rust's Vec starts at 4 items for elements of 4 bytes, then doubles. */
#define FIRST_CAPACITY 4
/* What ArceOS pushes. */
#define PUSHED_ITEM 0xdeadbeefU

/* Item i with p->check: a mix of i and the seed. */
static inline uint32_t item(uint64_t seed, uint64_t i)
{
	return (uint32_t)((i * 0x9e3779b97f4a7c15ULL ^ seed) >> 17);
}

/*
 * Pushes p->n items, reallocating to twice the capacity whenever the array
 * is full. With p->check the items are distinct and verified at the end.
 * Peak: the full array before it is freed.
 */
void wl_vec_push(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r)
{
	uint32_t *v = NULL;
	uint64_t len = 0, cap = 0;

	for (uint64_t i = 0; i < p->n; i++) {
		if (len == cap) {
			uint64_t ncap = cap ? 2 * cap : FIRST_CAPACITY;
			uint32_t *nv = a->realloc(a->ctx, v, ncap * sizeof(*v));

			if (nv == NULL) {
				wl_error(r, "vec_push: realloc to %lu items failed",
					 (unsigned long)ncap);
				break;
			}
			r->allocs++;
			v = nv;
			cap = ncap;
		}
		v[len++] = p->check ? item(p->seed, i) : PUSHED_ITEM;
	}
	wl_sample(a, cap * sizeof(*v), v != NULL, &r->peak);
	for (uint64_t i = 0; p->check && i < len; i++)
		if (v[i] != item(p->seed, i)) {
			wl_error(r, "vec_push: item %lu changed", (unsigned long)i);
			break;
		}
	a->free(a->ctx, v);
	wl_sample(a, 0, 0, &r->end);
}

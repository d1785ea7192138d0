/*
 * btree_map.c - the map workload of the issue: distinct random keys
 * inserted into a B-tree, looked up, then removed in a random order (see
 * workloads.h).
 */
#include "btree.h"
#include "key_text.h"

/* Key i: a bijective mix of i and the seed, so the n keys are distinct and look random. */
static uint64_t key_of(uint64_t seed, uint64_t i)
{
	uint64_t z = i + seed * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b != 0) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* A stride coprime with n (> 0): i * stride mod n visits 0..n-1 in a scrambled order. */
static uint64_t coprime_stride(uint64_t n, uint64_t *rng)
{
	uint64_t s = wl_rand_below(rng, n) | 1;

	while (gcd(s, n) != 1)
		s += 2;
	return s;
}

/* Removes every key of t, freeing its string (after checking it with `check`). */
static void remove_all(struct btree *t, const struct wl_allocator *a, bool check,
		       struct wl_result *r)
{
	uint64_t key;
	void *s;

	while (bt_first(t, &key) && bt_remove(t, key, &s)) {
		if (check && !key_text_ok(s, (uint32_t)key))
			wl_error(r, "btree_map: the string of key %#lx changed",
				 (unsigned long)key);
		a->free(a->ctx, s);
	}
}

/*
 * Inserts keys key_of(0..p->n), each with its string; looks every one up;
 * removes them in a scrambled order (i * stride mod n), freeing each
 * string. With p->check the strings are verified at lookup and removal and
 * the tree's invariants after the inserts. Peak: every key in the tree.
 */
void wl_btree_map(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r)
{
	struct btree t;
	uint64_t rng = p->seed, text_bytes = 0, n = 0;

	bt_init(&t, a);
	for (; n < p->n; n++) {
		uint64_t key = key_of(p->seed, n);
		size_t size;
		char *s = key_text_new(a, (uint32_t)key, &size);
		void *old;

		if (s == NULL || bt_insert(&t, key, s, &old) != 0) {
			wl_error(r, "btree_map: insert %lu failed", (unsigned long)n);
			a->free(a->ctx, s);
			goto out;
		}
		text_bytes += size;
	}
	wl_sample(a, t.node_bytes + text_bytes, t.nodes + n, &r->peak);
	if (p->check && bt_check(&t) != 0)
		wl_error(r, "btree_map: the tree is broken after %lu inserts", (unsigned long)n);
	for (uint64_t i = 0; i < n && r->errors == 0; i++) {
		uint64_t key = key_of(p->seed, i);
		void *s;

		if (!bt_get(&t, key, &s))
			wl_error(r, "btree_map: key %lu not found", (unsigned long)i);
		else if (p->check && !key_text_ok(s, (uint32_t)key))
			wl_error(r, "btree_map: the string of key %lu changed", (unsigned long)i);
	}
	uint64_t stride = coprime_stride(n, &rng);
	for (uint64_t j = 0; j < n && r->errors == 0; j++) {
		uint64_t i = j * stride % n, key = key_of(p->seed, i);
		void *s;

		if (!bt_remove(&t, key, &s)) {
			wl_error(r, "btree_map: key %lu missing at removal", (unsigned long)i);
			break;
		}
		if (p->check && !key_text_ok(s, (uint32_t)key))
			wl_error(r, "btree_map: the string of key %lu changed", (unsigned long)i);
		a->free(a->ctx, s);
	}
out:
	remove_all(&t, a, false, r);
	if (t.nodes != 0)
		wl_error(r, "btree_map: %lu nodes left in the empty tree", (unsigned long)t.nodes);
	r->allocs += t.allocs + n;
	wl_sample(a, 0, 0, &r->end);
}

/*
 * btree_churn.c - ArceOS's own btree_map loop over the workloads' B-tree:
 * inserts of random keys mixed with removals of the smallest (see
 * workloads.h).
 */
#include "btree.h"
#include "key_text.h"

/* One removal in this many steps, as in ArceOS (next_u32() % 5 == 0). */
#define POP_ONE_IN 5

/* Removes the smallest key, checking and freeing its string; returns the string's size. */
static size_t pop_first(struct btree *t, const struct wl_allocator *a, bool check,
			struct wl_result *r)
{
	char text[KEY_TEXT_MAX];
	uint64_t key;
	void *s;

	if (!bt_first(t, &key) || !bt_remove(t, key, &s)) {
		wl_error(r, "btree_churn: the smallest key could not be removed");
		return 0;
	}
	if (check && !key_text_ok(s, (uint32_t)key))
		wl_error(r, "btree_churn: the string of key %lu changed", (unsigned long)key);
	a->free(a->ctx, s);
	return key_text(text, (uint32_t)key);
}

/*
 * p->n steps: when a random draw is 0 mod 5 and the map is not empty, the
 * smallest key is removed; otherwise a random 32-bit key is inserted with
 * its string (a key already there keeps its own and the new string is
 * freed, as Rust's BTreeMap::insert drops the new key). Then every key is
 * removed in order, as BTreeMap::clear does. Peak: of samples every
 * WL_SAMPLE_STEPS steps and at the end of the steps, the one holding the
 * most.
 */
void wl_btree_churn(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r)
{
	struct btree t;
	uint64_t rng = p->seed, texts = 0, text_bytes = 0;
	struct wl_sample s;

	bt_init(&t, a);
	for (uint64_t step = 0; step < p->n && r->errors == 0; step++) {
		if (step % WL_SAMPLE_STEPS == 0) {
			wl_sample(a, t.node_bytes + text_bytes, t.nodes + t.size, &s);
			if (s.u.held >= r->peak.u.held)
				r->peak = s;
		}
		if ((uint32_t)wl_rand(&rng) % POP_ONE_IN == 0 && t.size > 0) {
			text_bytes -= pop_first(&t, a, p->check, r);
			continue;
		}
		uint32_t key = (uint32_t)wl_rand(&rng);
		size_t size;
		char *text = key_text_new(a, key, &size);
		void *old;
		int ret = text ? bt_insert(&t, key, text, &old) : -1;

		if (ret < 0) {
			wl_error(r, "btree_churn: insert at step %lu failed", (unsigned long)step);
			a->free(a->ctx, text);
			break;
		}
		texts++;
		if (ret == 1)
			a->free(a->ctx, text);
		else
			text_bytes += size;
	}
	wl_sample(a, t.node_bytes + text_bytes, t.nodes + t.size, &s);
	if (s.u.held >= r->peak.u.held)
		r->peak = s;
	if (p->check && bt_check(&t) != 0)
		wl_error(r, "btree_churn: the tree is broken");
	while (t.size > 0 && r->errors == 0)
		pop_first(&t, a, p->check, r);
	while (t.size > 0)
		pop_first(&t, a, false, r);
	r->allocs += t.allocs + texts;
	wl_sample(a, 0, 0, &r->end);
}

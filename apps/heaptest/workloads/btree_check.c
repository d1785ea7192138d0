/*
 * btree_check.c - the invariants of the workloads' B-tree (see btree.h).
 */
#include "btree.h"

/* What a walk of the tree found. */
struct walk {
	int leaf_depth; /* depth of the first leaf met; -1 before */
	uint64_t keys, nodes, node_bytes;
};

/*
 * Checks the subtree at x, at `depth`, whose keys must lie strictly
 * between *lo and *hi (NULL: no bound). Returns 0 or -1.
 */
static int check_node(const struct bt_node *x, bool root, int depth, const uint64_t *lo,
		      const uint64_t *hi, struct walk *w)
{
	unsigned min = root ? 1 : BT_MIN_KEYS;

	if (x->nkeys < min || x->nkeys > BT_MAX_KEYS)
		return -1;
	for (unsigned i = 0; i < x->nkeys; i++) {
		if ((i > 0 && x->key[i - 1] >= x->key[i]) || (lo && x->key[i] <= *lo) ||
		    (hi && x->key[i] >= *hi))
			return -1;
	}
	w->keys += x->nkeys;
	w->nodes++;
	w->node_bytes += sizeof(*x) + (x->leaf ? 0 : (BT_MAX_KEYS + 1) * sizeof(x->child[0]));
	if (x->leaf) {
		if (w->leaf_depth < 0)
			w->leaf_depth = depth;
		return w->leaf_depth == depth ? 0 : -1;
	}
	for (unsigned i = 0; i <= x->nkeys; i++) {
		const uint64_t *clo = i > 0 ? &x->key[i - 1] : lo;
		const uint64_t *chi = i < x->nkeys ? &x->key[i] : hi;

		if (x->child[i] == NULL || check_node(x->child[i], false, depth + 1, clo, chi, w))
			return -1;
	}
	return 0;
}

int bt_check(const struct btree *t)
{
	struct walk w = {.leaf_depth = -1};

	if (t->root != NULL && check_node(t->root, true, 0, NULL, NULL, &w) != 0)
		return -1;
	if (w.keys != t->size || w.nodes != t->nodes || w.node_bytes != t->node_bytes)
		return -1;
	return 0;
}

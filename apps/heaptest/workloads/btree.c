/*
 * btree.c - the B-tree map of the map workloads (see btree.h): lookup,
 * insertion splitting full nodes on the way down, removal filling minimal
 * nodes on the way down.
 */
#include <string.h>

#include "btree.h"

#define LEAF_BYTES     sizeof(struct bt_node)
#define INTERNAL_BYTES (sizeof(struct bt_node) + (BT_MAX_KEYS + 1) * sizeof(struct bt_node *))

/* The bytes of a leaf or of an internal node. */
static size_t node_size(bool leaf)
{
	return leaf ? LEAF_BYTES : INTERNAL_BYTES;
}

/* A new node without keys, or NULL when the allocator has none. */
static struct bt_node *node_new(struct btree *t, bool leaf)
{
	struct bt_node *x = t->a->alloc(t->a->ctx, node_size(leaf));

	if (x == NULL)
		return NULL;
	x->nkeys = 0;
	x->leaf = leaf;
	t->nodes++;
	t->node_bytes += node_size(leaf);
	t->allocs++;
	return x;
}

static void node_free(struct btree *t, struct bt_node *x)
{
	t->nodes--;
	t->node_bytes -= node_size(x->leaf);
	t->a->free(t->a->ctx, x);
}

/* The first index of x whose key is >= key (x->nkeys when none is). */
static unsigned lower_bound(const struct bt_node *x, uint64_t key)
{
	unsigned i = 0;

	while (i < x->nkeys && x->key[i] < key)
		i++;
	return i;
}

/*
 * Puts key/val at index i of x (not full), shifting the keys from i up;
 * in an internal node `right` becomes child i + 1, the children from i + 1
 * shifting up too.
 */
static void insert_at(struct bt_node *x, unsigned i, uint64_t key, void *val, struct bt_node *right)
{
	unsigned after = x->nkeys - i;

	memmove(&x->key[i + 1], &x->key[i], after * sizeof(x->key[0]));
	memmove(&x->val[i + 1], &x->val[i], after * sizeof(x->val[0]));
	if (!x->leaf) {
		memmove(&x->child[i + 2], &x->child[i + 1], after * sizeof(x->child[0]));
		x->child[i + 1] = right;
	}
	x->key[i] = key;
	x->val[i] = val;
	x->nkeys++;
}

/* Removes key i of the leaf x. */
static void remove_at(struct bt_node *x, unsigned i)
{
	unsigned after = x->nkeys - i - 1;

	memmove(&x->key[i], &x->key[i + 1], after * sizeof(x->key[0]));
	memmove(&x->val[i], &x->val[i + 1], after * sizeof(x->val[0]));
	x->nkeys--;
}

/*
 * Splits the full child i of x (not full) around its middle key, which
 * moves up into x; the upper half goes to a new node, child i + 1.
 * Returns 0, or -1 (nothing changed) when the new node cannot be had.
 */
static int split_child(struct btree *t, struct bt_node *x, unsigned i)
{
	struct bt_node *y = x->child[i];
	struct bt_node *z = node_new(t, y->leaf);

	if (z == NULL)
		return -1;
	z->nkeys = BT_MIN_KEYS;
	memcpy(z->key, &y->key[BT_B], BT_MIN_KEYS * sizeof(y->key[0]));
	memcpy(z->val, &y->val[BT_B], BT_MIN_KEYS * sizeof(y->val[0]));
	if (!y->leaf)
		memcpy(z->child, &y->child[BT_B], BT_B * sizeof(y->child[0]));
	y->nkeys = BT_MIN_KEYS;
	insert_at(x, i, y->key[BT_MIN_KEYS], y->val[BT_MIN_KEYS], z);
	return 0;
}

/* Moves the last key of child i - 1 up into x and x's key i - 1 down to the front of child i. */
static void borrow_left(struct bt_node *x, unsigned i)
{
	struct bt_node *c = x->child[i], *l = x->child[i - 1];

	memmove(&c->key[1], &c->key[0], c->nkeys * sizeof(c->key[0]));
	memmove(&c->val[1], &c->val[0], c->nkeys * sizeof(c->val[0]));
	if (!c->leaf) {
		memmove(&c->child[1], &c->child[0], (c->nkeys + 1) * sizeof(c->child[0]));
		c->child[0] = l->child[l->nkeys];
	}
	c->key[0] = x->key[i - 1];
	c->val[0] = x->val[i - 1];
	c->nkeys++;
	x->key[i - 1] = l->key[l->nkeys - 1];
	x->val[i - 1] = l->val[l->nkeys - 1];
	l->nkeys--;
}

/* Moves the first key of child i + 1 up into x and x's key i down to the end of child i. */
static void borrow_right(struct bt_node *x, unsigned i)
{
	struct bt_node *c = x->child[i], *r = x->child[i + 1];

	c->key[c->nkeys] = x->key[i];
	c->val[c->nkeys] = x->val[i];
	if (!c->leaf)
		c->child[c->nkeys + 1] = r->child[0];
	c->nkeys++;
	x->key[i] = r->key[0];
	x->val[i] = r->val[0];
	memmove(&r->key[0], &r->key[1], (r->nkeys - 1) * sizeof(r->key[0]));
	memmove(&r->val[0], &r->val[1], (r->nkeys - 1) * sizeof(r->val[0]));
	if (!r->leaf)
		memmove(&r->child[0], &r->child[1], r->nkeys * sizeof(r->child[0]));
	r->nkeys--;
}

/*
 * Merges child i + 1 of x and x's key i into child i (both children
 * minimal, so the result is full) and frees child i + 1.
 */
static void merge(struct btree *t, struct bt_node *x, unsigned i)
{
	struct bt_node *y = x->child[i], *z = x->child[i + 1];
	unsigned after = x->nkeys - i - 1;

	y->key[y->nkeys] = x->key[i];
	y->val[y->nkeys] = x->val[i];
	memcpy(&y->key[y->nkeys + 1], z->key, z->nkeys * sizeof(z->key[0]));
	memcpy(&y->val[y->nkeys + 1], z->val, z->nkeys * sizeof(z->val[0]));
	if (!y->leaf)
		memcpy(&y->child[y->nkeys + 1], z->child, (z->nkeys + 1) * sizeof(z->child[0]));
	y->nkeys += 1 + z->nkeys;
	memmove(&x->key[i], &x->key[i + 1], after * sizeof(x->key[0]));
	memmove(&x->val[i], &x->val[i + 1], after * sizeof(x->val[0]));
	memmove(&x->child[i + 1], &x->child[i + 2], after * sizeof(x->child[0]));
	x->nkeys--;
	node_free(t, z);
}

/*
 * Gives the minimal child i of x at least one key more, from a sibling
 * with keys to spare or by merging with a sibling. Returns the index of
 * the child that now covers child i's keys (i - 1 after merging into the
 * left sibling).
 */
static unsigned fill_child(struct btree *t, struct bt_node *x, unsigned i)
{
	if (i > 0 && x->child[i - 1]->nkeys > BT_MIN_KEYS) {
		borrow_left(x, i);
	} else if (i < x->nkeys && x->child[i + 1]->nkeys > BT_MIN_KEYS) {
		borrow_right(x, i);
	} else if (i < x->nkeys) {
		merge(t, x, i);
	} else {
		merge(t, x, i - 1);
		i--;
	}
	return i;
}

void bt_init(struct btree *t, const struct wl_allocator *a)
{
	*t = (struct btree){.a = a};
}

bool bt_get(const struct btree *t, uint64_t key, void **val)
{
	const struct bt_node *x = t->root;

	while (x != NULL) {
		unsigned i = lower_bound(x, key);

		if (i < x->nkeys && x->key[i] == key) {
			*val = x->val[i];
			return true;
		}
		if (x->leaf)
			return false;
		x = x->child[i];
	}
	return false;
}

int bt_insert(struct btree *t, uint64_t key, void *val, void **old)
{
	struct bt_node *x = t->root;

	if (x == NULL) {
		x = node_new(t, true);
		if (x == NULL)
			return -1;
		t->root = x;
	} else if (x->nkeys == BT_MAX_KEYS) {
		struct bt_node *s = node_new(t, false);

		if (s == NULL)
			return -1;
		s->child[0] = x;
		if (split_child(t, s, 0) != 0) {
			node_free(t, s);
			return -1;
		}
		t->root = x = s;
	}
	for (;;) {
		unsigned i = lower_bound(x, key);

		if (i < x->nkeys && x->key[i] == key) {
			*old = x->val[i];
			return 1;
		}
		if (x->leaf) {
			insert_at(x, i, key, val, NULL);
			t->size++;
			return 0;
		}
		if (x->child[i]->nkeys == BT_MAX_KEYS) {
			if (split_child(t, x, i) != 0)
				return -1;
			if (key == x->key[i]) {
				*old = x->val[i];
				return 1;
			}
			if (key > x->key[i])
				i++;
		}
		x = x->child[i];
	}
}

bool bt_remove(struct btree *t, uint64_t key, void **val)
{
	struct bt_node *x = t->root;
	bool found = false;

	if (x == NULL)
		return false;
	for (;;) {
		unsigned i = lower_bound(x, key);

		if (i < x->nkeys && x->key[i] == key) {
			if (!found)
				*val = x->val[i];
			found = true;
			if (x->leaf) {
				remove_at(x, i);
				break;
			}
			struct bt_node *y = x->child[i], *z = x->child[i + 1], *w;
			if (y->nkeys > BT_MIN_KEYS) {
				/* replace by the predecessor, then remove that from y */
				for (w = y; !w->leaf; w = w->child[w->nkeys])
					;
				x->key[i] = w->key[w->nkeys - 1];
				x->val[i] = w->val[w->nkeys - 1];
				key = x->key[i];
				x = y;
			} else if (z->nkeys > BT_MIN_KEYS) {
				/* replace by the successor, then remove that from z */
				for (w = z; !w->leaf; w = w->child[0])
					;
				x->key[i] = w->key[0];
				x->val[i] = w->val[0];
				key = x->key[i];
				x = z;
			} else {
				merge(t, x, i);
				x = y;
			}
			continue;
		}
		if (x->leaf)
			break;
		if (x->child[i]->nkeys == BT_MIN_KEYS)
			i = fill_child(t, x, i);
		x = x->child[i];
	}
	if (found)
		t->size--;
	/* a merge may have emptied the root: its only child (or nothing) replaces it */
	x = t->root;
	if (x->nkeys == 0) {
		t->root = x->leaf ? NULL : x->child[0];
		node_free(t, x);
	}
	return found;
}

bool bt_first(const struct btree *t, uint64_t *key)
{
	const struct bt_node *x = t->root;

	if (x == NULL)
		return false;
	while (!x->leaf)
		x = x->child[0];
	*key = x->key[0];
	return true;
}

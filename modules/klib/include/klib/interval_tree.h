/*
 * klib/interval_tree.h - a set of disjoint half-open intervals [start, end)
 * of 64-bit numbers, kept in an intrusive AVL tree ordered by start
 * (header-only, usable in the kernel and on the host).
 *
 * The caller embeds a struct interval_node in its own object and owns its
 * memory; the tree only links nodes. Nothing here allocates or locks: the
 * caller serialises access. Intervals never overlap, so ordering by start
 * also orders by end: lookups ("the node that contains x", "the first node
 * that ends after x") and insertion take O(log n); in-order stepping
 * (next/prev) is amortised O(1).
 *
 * A linked node's bounds may be changed in place only by shrinking them
 * (start grows, end falls, start < end stays true): that keeps the order and
 * the disjointness, so no re-linking is needed. Splitting an interval is a
 * shrink followed by the insertion of a node for the cut-off part.
 *
 * Nodes carry parent links so that removal, rebalancing and in-order
 * stepping need no stack. Rebalancing walks from the lowest changed node up
 * to the root, fixing heights and rotating where a subtree's two sides
 * differ in height by two.
 */
#ifndef KLIB_INTERVAL_TREE_H
#define KLIB_INTERVAL_TREE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct interval_node {
	uint64_t start; /* first value of the interval */
	uint64_t end;	/* one past the last value (start < end) */
	struct interval_node *left;
	struct interval_node *right;
	struct interval_node *parent;
	int height; /* of the subtree rooted here; a leaf has height 1 */
};

struct interval_tree {
	struct interval_node *root;
	uint64_t count; /* number of linked nodes */
};

/* Makes t an empty tree. */
static inline void interval_tree_init(struct interval_tree *t)
{
	t->root = NULL;
	t->count = 0;
}

/* The lowest node with end > x (it may start after x), or NULL. */
static inline struct interval_node *interval_tree_first_after(const struct interval_tree *t,
							      uint64_t x)
{
	struct interval_node *n = t->root, *best = NULL;

	while (n) {
		if (n->end > x) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

/* The node whose interval contains x, or NULL. */
static inline struct interval_node *interval_tree_find(const struct interval_tree *t, uint64_t x)
{
	struct interval_node *n = interval_tree_first_after(t, x);

	return n && n->start <= x ? n : NULL;
}

/* True if some linked node overlaps [start, end) (start < end). */
static inline bool interval_tree_overlaps(const struct interval_tree *t, uint64_t start,
					  uint64_t end)
{
	struct interval_node *n = interval_tree_first_after(t, start);

	return n && n->start < end;
}

/* The lowest node, or NULL when the tree is empty. */
static inline struct interval_node *interval_tree_first(const struct interval_tree *t)
{
	struct interval_node *n = t->root;

	while (n && n->left)
		n = n->left;
	return n;
}

/* The highest node, or NULL when the tree is empty. */
static inline struct interval_node *interval_tree_last(const struct interval_tree *t)
{
	struct interval_node *n = t->root;

	while (n && n->right)
		n = n->right;
	return n;
}

/* The in-order successor of the linked node n, or NULL when n is the last. */
static inline struct interval_node *interval_tree_next(const struct interval_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct interval_node *)n;
	}
	while (n->parent && n->parent->right == n)
		n = n->parent;
	return n->parent;
}

/* The in-order predecessor of the linked node n, or NULL when n is the first. */
static inline struct interval_node *interval_tree_prev(const struct interval_node *n)
{
	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct interval_node *)n;
	}
	while (n->parent && n->parent->left == n)
		n = n->parent;
	return n->parent;
}

/* Internals of insert and remove: the functions ending in _ are not for callers. */

static inline int interval_tree_height_(const struct interval_node *n)
{
	return n ? n->height : 0;
}

static inline void interval_tree_update_height_(struct interval_node *n)
{
	int l = interval_tree_height_(n->left), r = interval_tree_height_(n->right);

	n->height = 1 + (l > r ? l : r);
}

/* Makes `new` take the place of `old` under `parent` (or at the root). */
static inline void interval_tree_replace_child_(struct interval_tree *t,
						struct interval_node *parent,
						struct interval_node *old,
						struct interval_node *new)
{
	if (!parent)
		t->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

/* Rotates x's right child up into x's place; returns the new subtree root. */
static inline struct interval_node *interval_tree_rotate_left_(struct interval_tree *t,
							       struct interval_node *x)
{
	struct interval_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	interval_tree_replace_child_(t, x->parent, x, y);
	y->left = x;
	x->parent = y;
	interval_tree_update_height_(x);
	interval_tree_update_height_(y);
	return y;
}

/* Rotates x's left child up into x's place; returns the new subtree root. */
static inline struct interval_node *interval_tree_rotate_right_(struct interval_tree *t,
								struct interval_node *x)
{
	struct interval_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	interval_tree_replace_child_(t, x->parent, x, y);
	y->right = x;
	x->parent = y;
	interval_tree_update_height_(x);
	interval_tree_update_height_(y);
	return y;
}

/* Restores heights and balance on the path from n up to the root. */
static inline void interval_tree_rebalance_(struct interval_tree *t, struct interval_node *n)
{
	while (n) {
		int balance = interval_tree_height_(n->left) - interval_tree_height_(n->right);

		if (balance > 1) {
			if (interval_tree_height_(n->left->left) <
			    interval_tree_height_(n->left->right))
				interval_tree_rotate_left_(t, n->left);
			n = interval_tree_rotate_right_(t, n);
		} else if (balance < -1) {
			if (interval_tree_height_(n->right->right) <
			    interval_tree_height_(n->right->left))
				interval_tree_rotate_right_(t, n->right);
			n = interval_tree_rotate_left_(t, n);
		} else {
			interval_tree_update_height_(n);
		}
		n = n->parent;
	}
}

/*
 * Links n, whose start and end the caller has set. Returns 0, -EINVAL if
 * n->start >= n->end, or -EEXIST if [start, end) overlaps a linked node; on
 * error nothing changes.
 */
static inline int interval_tree_insert(struct interval_tree *t, struct interval_node *n)
{
	struct interval_node *parent = NULL, **link = &t->root;

	if (n->start >= n->end)
		return -EINVAL;
	if (interval_tree_overlaps(t, n->start, n->end))
		return -EEXIST;
	while (*link) {
		parent = *link;
		link = n->start < parent->start ? &parent->left : &parent->right;
	}
	n->left = n->right = NULL;
	n->parent = parent;
	n->height = 1;
	*link = n;
	t->count++;
	interval_tree_rebalance_(t, parent);
	return 0;
}

/* Unlinks n, which must be linked in t. The node's memory stays the caller's. */
static inline void interval_tree_remove(struct interval_tree *t, struct interval_node *n)
{
	struct interval_node *fix_from;

	if (n->left && n->right) {
		/* Put the in-order successor s (which has no left child) in n's place. */
		struct interval_node *s = n->right;

		while (s->left)
			s = s->left;
		if (s->parent != n) {
			fix_from = s->parent;
			fix_from->left = s->right;
			if (s->right)
				s->right->parent = fix_from;
			s->right = n->right;
			n->right->parent = s;
		} else {
			fix_from = s;
		}
		s->left = n->left;
		n->left->parent = s;
		interval_tree_replace_child_(t, n->parent, n, s);
		s->height = n->height;
	} else {
		struct interval_node *child = n->left ? n->left : n->right;

		fix_from = n->parent;
		interval_tree_replace_child_(t, n->parent, n, child);
	}
	t->count--;
	n->left = n->right = n->parent = NULL;
	interval_tree_rebalance_(t, fix_from);
}

/*
 * Checks the subtree at n, whose parent must be `parent`, and returns its
 * height, or -1 if an invariant is broken. *count accumulates the nodes.
 */
static inline int interval_tree_check_subtree_(const struct interval_node *n,
					       const struct interval_node *parent, uint64_t *count)
{
	int l, r, h;

	if (!n)
		return 0;
	if (n->parent != parent || n->start >= n->end)
		return -1;
	if (n->left && n->left->end > n->start)
		return -1;
	if (n->right && n->right->start < n->end)
		return -1;
	l = interval_tree_check_subtree_(n->left, n, count);
	r = interval_tree_check_subtree_(n->right, n, count);
	if (l < 0 || r < 0 || l - r > 1 || r - l > 1)
		return -1;
	h = 1 + (l > r ? l : r);
	if (n->height != h)
		return -1;
	(*count)++;
	return h;
}

/*
 * Verifies every invariant (parent links, heights, AVL balance, intervals
 * non-empty, sorted and disjoint, count). Returns true if all hold. For tests
 * and debugging: it visits every node.
 */
static inline bool interval_tree_check(const struct interval_tree *t)
{
	uint64_t count = 0;

	if (interval_tree_check_subtree_(t->root, NULL, &count) < 0 || count != t->count)
		return false;
	/* Children bound only their parent; the in-order walk checks the whole order. */
	for (const struct interval_node *n = interval_tree_first(t), *next; n; n = next) {
		next = interval_tree_next(n);
		if (next && next->start < n->end)
			return false;
	}
	return true;
}

#endif

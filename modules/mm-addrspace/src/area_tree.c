/*
 * area_tree.c - intrusive AVL tree of disjoint intervals (see area_tree.h).
 *
 * Nodes carry parent links so that removal, rebalancing and in-order
 * stepping need no stack. Rebalancing walks from the lowest changed node up
 * to the root, fixing heights and rotating where a subtree's two sides
 * differ in height by two.
 */
#include <mm-addrspace/area_tree.h>

#include <errno.h>
#include <stddef.h>

static int height(const struct area_node *n)
{
	return n ? n->height : 0;
}

static void update_height(struct area_node *n)
{
	int l = height(n->left), r = height(n->right);
	n->height = 1 + (l > r ? l : r);
}

/* Makes `new` take the place of `old` under `parent` (or at the root). */
static void replace_child(struct area_tree *t, struct area_node *parent, struct area_node *old,
			  struct area_node *new)
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
static struct area_node *rotate_left(struct area_tree *t, struct area_node *x)
{
	struct area_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	replace_child(t, x->parent, x, y);
	y->left = x;
	x->parent = y;
	update_height(x);
	update_height(y);
	return y;
}

/* Rotates x's left child up into x's place; returns the new subtree root. */
static struct area_node *rotate_right(struct area_tree *t, struct area_node *x)
{
	struct area_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	replace_child(t, x->parent, x, y);
	y->right = x;
	x->parent = y;
	update_height(x);
	update_height(y);
	return y;
}

/* Restores heights and balance on the path from n up to the root. */
static void rebalance(struct area_tree *t, struct area_node *n)
{
	while (n) {
		int balance = height(n->left) - height(n->right);

		if (balance > 1) {
			if (height(n->left->left) < height(n->left->right))
				rotate_left(t, n->left);
			n = rotate_right(t, n);
		} else if (balance < -1) {
			if (height(n->right->right) < height(n->right->left))
				rotate_right(t, n->right);
			n = rotate_left(t, n);
		} else {
			update_height(n);
		}
		n = n->parent;
	}
}

void area_tree_init(struct area_tree *t)
{
	t->root = NULL;
	t->count = 0;
}

struct area_node *area_tree_first_after(const struct area_tree *t, vaddr_t addr)
{
	struct area_node *n = t->root, *best = NULL;

	while (n) {
		if (n->end > addr) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

struct area_node *area_tree_find(const struct area_tree *t, vaddr_t addr)
{
	struct area_node *n = area_tree_first_after(t, addr);

	return n && n->start <= addr ? n : NULL;
}

bool area_tree_overlaps(const struct area_tree *t, vaddr_t start, vaddr_t end)
{
	struct area_node *n = area_tree_first_after(t, start);

	return n && n->start < end;
}

int area_tree_insert(struct area_tree *t, struct area_node *n)
{
	struct area_node *parent = NULL, **link = &t->root;

	if (n->start >= n->end)
		return -EINVAL;
	if (area_tree_overlaps(t, n->start, n->end))
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
	rebalance(t, parent);
	return 0;
}

void area_tree_remove(struct area_tree *t, struct area_node *n)
{
	struct area_node *fix_from;

	if (n->left && n->right) {
		/* Put the in-order successor s (which has no left child) in n's place. */
		struct area_node *s = n->right;

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
		replace_child(t, n->parent, n, s);
		s->height = n->height;
	} else {
		struct area_node *child = n->left ? n->left : n->right;

		fix_from = n->parent;
		replace_child(t, n->parent, n, child);
	}
	t->count--;
	n->left = n->right = n->parent = NULL;
	rebalance(t, fix_from);
}

struct area_node *area_tree_first(const struct area_tree *t)
{
	struct area_node *n = t->root;

	while (n && n->left)
		n = n->left;
	return n;
}

struct area_node *area_tree_last(const struct area_tree *t)
{
	struct area_node *n = t->root;

	while (n && n->right)
		n = n->right;
	return n;
}

struct area_node *area_tree_next(const struct area_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct area_node *)n;
	}
	while (n->parent && n->parent->right == n)
		n = n->parent;
	return n->parent;
}

struct area_node *area_tree_prev(const struct area_node *n)
{
	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct area_node *)n;
	}
	while (n->parent && n->parent->left == n)
		n = n->parent;
	return n->parent;
}

/*
 * Checks the subtree at n, whose parent must be `parent`, and returns its
 * height, or -1 if an invariant is broken. *count accumulates the nodes.
 */
static int check_subtree(const struct area_node *n, const struct area_node *parent, uint64_t *count)
{
	if (!n)
		return 0;
	if (n->parent != parent || n->start >= n->end)
		return -1;
	if (n->left && n->left->end > n->start)
		return -1;
	if (n->right && n->right->start < n->end)
		return -1;
	int l = check_subtree(n->left, n, count);
	int r = check_subtree(n->right, n, count);
	if (l < 0 || r < 0 || l - r > 1 || r - l > 1)
		return -1;
	int h = 1 + (l > r ? l : r);
	if (n->height != h)
		return -1;
	(*count)++;
	return h;
}

bool area_tree_check(const struct area_tree *t)
{
	uint64_t count = 0;

	if (check_subtree(t->root, NULL, &count) < 0 || count != t->count)
		return false;
	/* Children bound only their parent; the in-order walk checks the whole order. */
	for (const struct area_node *n = area_tree_first(t), *next; n; n = next) {
		next = area_tree_next(n);
		if (next && next->start < n->end)
			return false;
	}
	return true;
}

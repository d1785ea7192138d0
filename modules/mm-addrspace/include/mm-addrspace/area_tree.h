/*
 * mm-addrspace/area_tree.h - a set of disjoint address intervals, kept in an
 * intrusive AVL tree ordered by start address.
 *
 * The caller embeds a struct area_node in its own object and owns its memory;
 * the tree only links nodes. Intervals are half open, [start, end), and never
 * overlap, so ordering by start also orders by end: lookups ("the node that
 * contains addr", "the first node that ends after addr") and insertion take
 * O(log n); in-order stepping (next/prev) is amortised O(1).
 *
 * A linked node's bounds may be changed in place only by shrinking them
 * (start grows, end falls, start < end stays true): that keeps the order and
 * the disjointness, so no re-linking is needed. Splitting an interval is a
 * shrink followed by the insertion of a node for the cut-off part.
 */
#ifndef MM_ADDRSPACE_AREA_TREE_H
#define MM_ADDRSPACE_AREA_TREE_H

#include <axhal/mem.h>
#include <stdbool.h>
#include <stdint.h>

struct area_node {
	vaddr_t start; /* first address of the interval */
	vaddr_t end;   /* one past the last address (start < end) */
	struct area_node *left;
	struct area_node *right;
	struct area_node *parent;
	int height; /* of the subtree rooted here; a leaf has height 1 */
};

struct area_tree {
	struct area_node *root;
	uint64_t count; /* number of linked nodes */
};

/* Makes t an empty tree. */
void area_tree_init(struct area_tree *t);

/*
 * Links n, whose start and end the caller has set. Returns 0, -EINVAL if
 * n->start >= n->end, or -EEXIST if [start, end) overlaps a linked node; on
 * error nothing changes.
 */
int area_tree_insert(struct area_tree *t, struct area_node *n);

/* Unlinks n, which must be linked in t. The node's memory stays the caller's. */
void area_tree_remove(struct area_tree *t, struct area_node *n);

/* The node whose interval contains addr, or NULL. */
struct area_node *area_tree_find(const struct area_tree *t, vaddr_t addr);

/* The lowest node with end > addr (it may start after addr), or NULL. */
struct area_node *area_tree_first_after(const struct area_tree *t, vaddr_t addr);

/* True if some linked node overlaps [start, end) (start < end). */
bool area_tree_overlaps(const struct area_tree *t, vaddr_t start, vaddr_t end);

/* The lowest and highest nodes, or NULL when the tree is empty. */
struct area_node *area_tree_first(const struct area_tree *t);
struct area_node *area_tree_last(const struct area_tree *t);

/* In-order neighbours of a linked node, or NULL at either end. */
struct area_node *area_tree_next(const struct area_node *n);
struct area_node *area_tree_prev(const struct area_node *n);

/*
 * Verifies every invariant (parent links, heights, AVL balance, intervals
 * non-empty, sorted and disjoint, count). Returns true if all hold. For tests
 * and debugging: it visits every node.
 */
bool area_tree_check(const struct area_tree *t);

#endif

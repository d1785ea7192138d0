/*
 * btree.h - a B-tree map from 64-bit keys to pointers, with nodes from a
 * struct wl_allocator, for the map workloads (btree_map.c, btree_churn.c).
 *
 * Shaped like Rust's BTreeMap, which ArceOS's btree_map benchmark uses:
 * minimum degree BT_B = 6, so a node holds 5 to 11 keys (the root 1 to 11)
 * and an internal node 6 to 12 children; a leaf node is allocated without
 * the child array (184 bytes), an internal node with it (280 bytes).
 * Insertion splits full nodes on the way down and removal fills
 * minimal nodes on the way down (borrowing from a sibling or merging with
 * it), so each is one pass from the root; a node emptied by a merge is
 * freed at once, and the tree holds no node when it is empty.
 */
#ifndef HEAPTEST_BTREE_H
#define HEAPTEST_BTREE_H

#include <stdbool.h>
#include <stdint.h>

#include "workloads.h"

#define BT_B	    6
#define BT_MAX_KEYS (2 * BT_B - 1)
#define BT_MIN_KEYS (BT_B - 1)

struct bt_node {
	uint32_t nkeys;
	uint32_t leaf;
	uint64_t key[BT_MAX_KEYS];
	void *val[BT_MAX_KEYS];
	struct bt_node *child[]; /* BT_MAX_KEYS + 1 in an internal node; absent in a leaf */
};

struct btree {
	struct bt_node *root; /* NULL when the tree is empty */
	const struct wl_allocator *a;
	uint64_t size;	     /* keys */
	uint64_t nodes;	     /* nodes held */
	uint64_t node_bytes; /* their bytes */
	uint64_t allocs;     /* node allocations so far */
};

/* An empty tree whose nodes come from a. */
void bt_init(struct btree *t, const struct wl_allocator *a);

/* The value of `key` in *val and true, or false when the key is absent. */
bool bt_get(const struct btree *t, uint64_t key, void **val);

/*
 * Maps key to val. Returns 0 (inserted), 1 (the key was there: its value is
 * left as it was and returned in *old) or -1 (a node allocation failed: the
 * key is not in the tree, which is otherwise valid).
 */
int bt_insert(struct btree *t, uint64_t key, void *val, void **old);

/* Removes key, returning its value in *val and true; false when it is absent. */
bool bt_remove(struct btree *t, uint64_t key, void **val);

/* The smallest key in *key and true, or false when the tree is empty. */
bool bt_first(const struct btree *t, uint64_t *key);

/*
 * Checks the invariants: keys strictly increasing in order, 1..BT_MAX_KEYS
 * keys per node and at least BT_MIN_KEYS below the root, every leaf at the
 * same depth, and size and nodes matching a walk. Returns 0 or -1.
 */
int bt_check(const struct btree *t);

#endif

/*
 * buddy_block.c - the blocks of the arenas: the free lists, splitting on
 * allocation, merging on free, resizing in place, and what a pointer into
 * an arena is. Every step is O(1) but for the split and merge loops, which
 * run at most once per order.
 */
#include <errno.h>

#include "buddy_internal.h"

/* Bytes in a block of order k. */
static inline size_t bk_bytes(unsigned k)
{
	return (size_t)1 << k;
}

/*
 * Makes the block at offset off of arena a (not on a list) a free block of
 * order k: marks its map entry and puts it at the front of its list.
 */
void bk_block_push(struct buddy_kheap *b, struct bk_arena *a, size_t off, unsigned k)
{
	*bk_entry(a, off) = BK_FREE(k);
	list_add((struct list_head *)((char *)a + off), bk_list(b, k));
	b->nonempty |= 1u << (k - BK_MIN_ORDER);
}

/*
 * Takes the free block at offset off of arena a, of order k, off its list
 * and clears its map entry (the caller marks what it becomes).
 */
void bk_block_unlink(struct buddy_kheap *b, struct bk_arena *a, size_t off, unsigned k)
{
	list_del((struct list_head *)((char *)a + off));
	*bk_entry(a, off) = BK_NONE;
	if (list_empty(bk_list(b, k)))
		b->nonempty &= ~(1u << (k - BK_MIN_ORDER));
}

/*
 * A live block of order k: the first block of the smallest non-empty list
 * of order k or more, its upper halves split off onto the lists below.
 * Counts the block in its arena (which then is not empty any more). NULL
 * when every list from k up is empty.
 */
void *bk_block_take(struct buddy_kheap *b, unsigned k)
{
	uint32_t fits = b->nonempty & ~((1u << (k - BK_MIN_ORDER)) - 1);

	if (fits == 0)
		return NULL;
	unsigned j = (unsigned)ctz64(fits) + BK_MIN_ORDER;
	struct list_head *blk = bk_list(b, j)->next;
	struct bk_arena *a = (struct bk_arena *)bk_base(blk);
	size_t off = (size_t)((char *)blk - (char *)a);

	bk_block_unlink(b, a, off, j);
	while (j > k) {
		j--;
		bk_block_push(b, a, off + bk_bytes(j), j);
	}
	*bk_entry(a, off) = BK_USED(k);
	if (a->used == 0)
		b->empty_arenas--;
	a->used += bk_bytes(k);
	return blk;
}

/*
 * Frees the live block at offset off of arena a: while its buddy (off ^
 * 2^k) is a free block of the same order, takes the buddy off its list and
 * goes on with the pair; the result goes on its list. The map's block at
 * offset 0 is never free, so merging stops below it. An arena left without
 * live blocks goes to bk_arena_emptied. Returns the freed block's order.
 */
unsigned bk_block_give(struct buddy_kheap *b, struct bk_arena *a, size_t off)
{
	unsigned order = bk_order(*bk_entry(a, off)), k = order;

	a->used -= bk_bytes(k);
	*bk_entry(a, off) = BK_NONE;
	while (k < BK_MAX_ORDER) {
		size_t buddy = off ^ bk_bytes(k);

		if (buddy < BK_META_BYTES || bk_entry_of(a, buddy) != BK_FREE(k))
			break;
		bk_block_unlink(b, a, buddy, k);
		off &= ~bk_bytes(k);
		k++;
	}
	bk_block_push(b, a, off, k);
	if (a->used == 0)
		bk_arena_emptied(b, a);
	return order;
}

/*
 * What offset off of arena a is: 0 when a live block starts there, -ENOENT
 * when it lies in a free block, -EINVAL when it is not a multiple of 16,
 * lies in the map or inside a live block. A block is aligned to its size,
 * so the block around off starts at off rounded down to some 2^k: the
 * first of these starts, going up in k, that the map marks is it.
 */
int bk_block_state(const struct bk_arena *a, size_t off)
{
	if (off % bk_bytes(BK_MIN_ORDER) != 0 || off < BK_META_BYTES)
		return -EINVAL;
	for (unsigned k = BK_MIN_ORDER; k <= BK_MAX_ORDER; k++) {
		size_t start = off & ~(bk_bytes(k) - 1);
		uint8_t e;

		if (start < BK_META_BYTES)
			break;
		e = bk_entry_of(a, start);
		if (e & BK_FREE_BIT)
			return -ENOENT;
		if (e != BK_NONE)
			return start == off ? 0 : -EINVAL;
	}
	return -EINVAL; /* not reached while the map is sound */
}

/*
 * Resizes the live block at offset off of arena a to order nk in place.
 * Smaller: the block keeps its lower part, its upper halves (orders k - 1
 * down to nk) become free blocks; their buddies are the live block, so
 * nothing merges. Larger (nk <= BK_MAX_ORDER): only when the block is the
 * lower half at every order from k to nk - 1 and each upper half is a free
 * block of that order; they are taken off their lists. False (nothing
 * changed) otherwise.
 */
bool bk_block_resize(struct buddy_kheap *b, struct bk_arena *a, size_t off, unsigned nk)
{
	unsigned k = bk_order(*bk_entry(a, off));

	if (nk < k) {
		*bk_entry(a, off) = BK_USED(nk);
		for (unsigned j = k; j-- > nk;)
			bk_block_push(b, a, off + bk_bytes(j), j);
		a->used -= bk_bytes(k) - bk_bytes(nk);
		return true;
	}
	if (nk > BK_MAX_ORDER)
		return false;
	for (unsigned j = k; j < nk; j++)
		if ((off & bk_bytes(j)) != 0 || bk_entry_of(a, off + bk_bytes(j)) != BK_FREE(j))
			return false;
	for (unsigned j = k; j < nk; j++)
		bk_block_unlink(b, a, off + bk_bytes(j), j);
	*bk_entry(a, off) = BK_USED(nk);
	a->used += bk_bytes(nk) - bk_bytes(k);
	return true;
}

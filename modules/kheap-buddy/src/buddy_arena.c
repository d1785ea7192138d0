/*
 * buddy_arena.c - arenas come from the page source and go back to it: at
 * most one arena without live blocks is kept.
 */
#include <string.h>

#include "buddy_internal.h"

/*
 * A new arena of BUDDY_KHEAP_ARENA_PAGES pages aligned to its size: its
 * first block holds the header and a zeroed map, the rest is free as the
 * blocks of 2^k bytes at offset 2^k, k = BK_META_ORDER .. BK_MAX_ORDER. It
 * counts as empty. False, nothing changed, when the page source has none.
 */
bool bk_arena_new(struct buddy_kheap *b)
{
	struct bk_arena *a = kheap_pages_get(&b->heap, BUDDY_KHEAP_ARENA_PAGES, BK_ARENA);

	if (!a)
		return false;
	memset(a, 0, BK_META_BYTES);
	a->head = (struct bk_head){.magic = BK_MAGIC_ARENA, .heap = b};
	list_add(&a->head.link, &b->arenas);
	for (unsigned k = BK_META_ORDER; k <= BK_MAX_ORDER; k++)
		bk_block_push(b, a, (size_t)1 << k, k);
	b->pages += BUDDY_KHEAP_ARENA_PAGES;
	b->empty_arenas++;
	return true;
}

/*
 * Arena a has no live block any more, so its space is the top blocks
 * bk_arena_new made (every free buddy has merged). The first such arena
 * is kept (its blocks stay on the lists); when another is already empty,
 * a's blocks leave the lists and its pages go back.
 */
void bk_arena_emptied(struct buddy_kheap *b, struct bk_arena *a)
{
	if (b->empty_arenas == 0) {
		b->empty_arenas = 1;
		return;
	}
	for (unsigned k = BK_META_ORDER; k <= BK_MAX_ORDER; k++)
		bk_block_unlink(b, a, (size_t)1 << k, k);
	list_del(&a->head.link);
	a->head.magic = 0;
	kheap_pages_put(&b->heap, a, BUDDY_KHEAP_ARENA_PAGES);
	b->pages -= BUDDY_KHEAP_ARENA_PAGES;
}

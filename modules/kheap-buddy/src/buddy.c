/*
 * buddy.c - the buddy heap's operations (buddy_kheap_ops): each request
 * goes to an arena block or to a run of pages by its size, and the heap's
 * counters of live blocks are kept here.
 */
#include <errno.h>

#include "buddy_internal.h"

/* Makes the heap empty: no lists, no arenas, no runs. */
static void buddy_init(struct kheap *h)
{
	struct buddy_kheap *b = bk_of(h);

	for (unsigned i = 0; i < BUDDY_KHEAP_ORDERS; i++)
		list_init(&b->free[i]);
	list_init(&b->arenas);
	list_init(&b->runs);
	b->nonempty = 0;
	b->empty_arenas = 0;
	b->pages = 0;
	b->live = 0;
	b->used_bytes = 0;
}

/*
 * A block of size bytes aligned to align: an arena block of the order
 * both need (from a new arena when no free block is large enough), or a
 * run when size is above BUDDY_KHEAP_MAX_BLOCK. NULL, the heap unchanged,
 * when the page source has no pages.
 */
static void *buddy_alloc(struct kheap *h, size_t size, size_t align)
{
	struct buddy_kheap *b = bk_of(h);
	size_t usable;
	void *p;

	if (size > BUDDY_KHEAP_MAX_BLOCK) {
		p = bk_run_alloc(b, size, align);
		if (!p)
			return NULL;
		usable = bk_run_usable((struct bk_run *)bk_base(p));
	} else {
		unsigned k = bk_order_for(size, align);

		p = bk_block_take(b, k);
		if (!p && bk_arena_new(b))
			p = bk_block_take(b, k);
		if (!p)
			return NULL;
		usable = (size_t)1 << k;
	}
	b->live++;
	b->used_bytes += usable;
	return p;
}

/*
 * The checks of a free: 0 when p is a live block of b, then *hd is its
 * run or arena and *off its offset there; -EINVAL or -ENOENT otherwise
 * (buddy.h says when). Changes nothing.
 */
static int buddy_find(const struct buddy_kheap *b, const void *p, struct bk_head **hd, size_t *off)
{
	*hd = bk_head_of(b, p);
	if (!*hd)
		return -EINVAL;
	*off = (size_t)((const char *)p - (const char *)*hd);
	if ((*hd)->magic == BK_MAGIC_RUN)
		return *off == ((struct bk_run *)*hd)->offset ? 0 : -EINVAL;
	return bk_block_state((struct bk_arena *)*hd, *off);
}

/* Frees p (buddy_find's checks first): its run goes back, or its block merges. */
static int buddy_free(struct kheap *h, void *p)
{
	struct buddy_kheap *b = bk_of(h);
	struct bk_head *hd;
	size_t off;
	int err = buddy_find(b, p, &hd, &off);

	if (err)
		return err;
	b->live--;
	if (hd->magic == BK_MAGIC_RUN) {
		b->used_bytes -= bk_run_usable((struct bk_run *)hd);
		bk_run_free(b, (struct bk_run *)hd);
	} else {
		b->used_bytes -= (size_t)1 << bk_block_give(b, (struct bk_arena *)hd, off);
	}
	return 0;
}

/* The usable bytes of the live block p: 2^order, or what its run holds past it. */
static size_t buddy_usable_size(const struct kheap *h, const void *p)
{
	const struct bk_head *hd = bk_base(p);

	(void)h;
	if (hd->magic == BK_MAGIC_RUN)
		return bk_run_usable((const struct bk_run *)hd);
	return (size_t)1 << bk_order(bk_entry_of((const struct bk_arena *)hd,
						 (size_t)((const char *)p - (const char *)hd)));
}

/* Any p: its usable bytes when buddy_find sees a live block there, else 0. */
static size_t buddy_live_size(const struct kheap *h, const void *p)
{
	struct bk_head *hd;
	size_t off;

	return buddy_find(bk_of_const(h), p, &hd, &off) == 0 ? buddy_usable_size(h, p) : 0;
}

/*
 * Resizes the live block p to size bytes in place (bk_block_resize,
 * bk_run_resize); an arena block never becomes a run. False, nothing
 * changed, when it cannot.
 */
static bool buddy_resize(struct kheap *h, void *p, size_t size)
{
	struct buddy_kheap *b = bk_of(h);
	struct bk_head *hd = bk_base(p);
	size_t old = buddy_usable_size(h, p);

	if (hd->magic == BK_MAGIC_RUN) {
		if (!bk_run_resize(b, (struct bk_run *)hd, size))
			return false;
	} else {
		struct bk_arena *a = (struct bk_arena *)hd;

		if (size > BUDDY_KHEAP_MAX_BLOCK ||
		    !bk_block_resize(b, a, (size_t)((char *)p - (char *)a),
				     bk_order_for(size, KHEAP_MIN_ALIGN)))
			return false;
	}
	b->used_bytes = b->used_bytes - old + buddy_usable_size(h, p);
	return true;
}

/* Fills *st from the counters; the map lives in the arenas' pages. */
static void buddy_stats(const struct kheap *h, struct kheap_stats *st)
{
	const struct buddy_kheap *b = bk_of_const(h);

	st->pages = b->pages;
	st->used_bytes = b->used_bytes;
	st->live = b->live;
	st->meta_bytes = 0;
}

const struct kheap_ops buddy_kheap_ops = {
    .name = "buddy",
    .state_size = sizeof(struct buddy_kheap),
    .init = buddy_init,
    .alloc = buddy_alloc,
    .free = buddy_free,
    .usable_size = buddy_usable_size,
    .live_size = buddy_live_size,
    .resize = buddy_resize,
    .stats = buddy_stats,
    .check = bk_check,
};

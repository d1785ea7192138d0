/*
 * buddy_check.c - the consistency checker (kheap_check) the tests run
 * after every step.
 */
#include <errno.h>
#include <stdio.h>

#include "buddy_internal.h"

#define BK_FAIL(...)                                                                               \
	do {                                                                                       \
		printf("buddy_kheap_check: " __VA_ARGS__);                                         \
		printf("\n");                                                                      \
		return -EFAULT;                                                                    \
	} while (0)

/* What the walk of the arenas and runs counts, to compare with the heap's counters. */
struct bk_tally {
	uint64_t pages, live, used_bytes, empty;
	uint64_t free[BUDDY_KHEAP_ORDERS]; /* free blocks per order */
};

/* hd heads an arena or run of b: its magic, owner, alignment and links to its neighbours. */
static int bk_check_head(const struct buddy_kheap *b, const struct bk_head *hd, uint64_t magic)
{
	if (hd->magic != magic || hd->heap != b)
		BK_FAIL("%p: bad magic %#llx or owner", (const void *)hd,
			(unsigned long long)hd->magic);
	if (bk_base(hd) != hd)
		BK_FAIL("%p: not aligned to %zu", (const void *)hd, (size_t)BK_ARENA);
	if (hd->link.next->prev != &hd->link || hd->link.prev->next != &hd->link)
		BK_FAIL("%p: bad list links", (const void *)hd);
	return 0;
}

/*
 * Walks arena a's map block by block from the map's end: every block
 * starts where the one before ends, is aligned to its order, has no mark
 * inside it and, when free, no free buddy of the same order. Its live bytes
 * must be a->used.
 */
static int bk_check_arena(const struct bk_arena *a, struct bk_tally *t)
{
	size_t used = 0;

	for (size_t off = BK_META_BYTES; off < BK_ARENA;) {
		uint8_t e = bk_entry_of(a, off);
		unsigned k = bk_order(e);
		size_t size = (size_t)1 << k;

		if (e == BK_NONE || k < BK_MIN_ORDER || k > BK_MAX_ORDER || off % size != 0)
			BK_FAIL("arena %p: entry %#x at offset %#zx", (const void *)a, e, off);
		for (size_t in = off + 16; in < off + size; in += 16)
			if (bk_entry_of(a, in) != BK_NONE)
				BK_FAIL("arena %p: mark inside the block at %#zx", (const void *)a,
					off);
		if (e & BK_FREE_BIT) {
			size_t buddy = off ^ size;

			if (k < BK_MAX_ORDER && buddy >= BK_META_BYTES &&
			    bk_entry_of(a, buddy) == BK_FREE(k))
				BK_FAIL("arena %p: free buddies at %#zx, %#zx not merged",
					(const void *)a, off, buddy);
			t->free[k - BK_MIN_ORDER]++;
		} else {
			used += size;
			t->live++;
			t->used_bytes += size;
		}
		off += size;
	}
	if (used != a->used)
		BK_FAIL("arena %p: used %zu, blocks hold %zu", (const void *)a, a->used, used);
	return 0;
}

/* Every arena (bounded: a loop fails) and every run, counted into t. */
static int bk_check_holdings(const struct buddy_kheap *b, struct bk_tally *t)
{
	const struct bk_arena *a;
	const struct bk_run *r;
	uint64_t n = 0;

	list_for_each_entry(a, &b->arenas, head.link)
	{
		if (++n > b->pages)
			BK_FAIL("the arena list loops or holds more pages than counted");
		if (bk_check_head(b, &a->head, BK_MAGIC_ARENA) || bk_check_arena(a, t))
			return -EFAULT;
		t->pages += BUDDY_KHEAP_ARENA_PAGES;
		t->empty += a->used == 0;
	}
	n = 0;
	list_for_each_entry(r, &b->runs, head.link)
	{
		if (++n > b->pages)
			BK_FAIL("the run list loops or holds more pages than counted");
		if (bk_check_head(b, &r->head, BK_MAGIC_RUN))
			return -EFAULT;
		if (r->offset < sizeof(*r) || r->offset % KHEAP_MIN_ALIGN != 0 ||
		    r->offset > PAGE_SIZE || bk_run_usable(r) <= BUDDY_KHEAP_MAX_BLOCK ||
		    r->npages > (SIZE_MAX >> PAGE_SHIFT))
			BK_FAIL("run %p: %zu pages, block at %zu", (const void *)r, r->npages,
				r->offset);
		t->pages += r->npages;
		t->live++;
		t->used_bytes += bk_run_usable(r);
	}
	return 0;
}

/*
 * The free list of order k: well linked, its blocks free blocks of order
 * k in the heap's arenas, as many as the maps mark; its bit of nonempty
 * set iff it is not empty.
 */
static int bk_check_list(const struct buddy_kheap *b, unsigned k, const struct bk_tally *t)
{
	const struct list_head *head = &b->free[k - BK_MIN_ORDER], *prev = head;
	uint64_t n = 0;

	for (const struct list_head *l = head->next; l != head; prev = l, l = l->next) {
		const struct bk_head *hd = bk_head_of(b, l);
		size_t off = (size_t)((const char *)l - (const char *)bk_base(l));

		if (++n > t->free[k - BK_MIN_ORDER])
			BK_FAIL("list %u: more blocks than the maps mark free", k);
		if (l->prev != prev)
			BK_FAIL("list %u: bad prev link at %p", k, (const void *)l);
		if (!hd || hd->magic != BK_MAGIC_ARENA || off % ((size_t)1 << k) != 0 ||
		    bk_entry_of((const struct bk_arena *)hd, off) != BK_FREE(k))
			BK_FAIL("list %u: %p is not a free block of that order", k,
				(const void *)l);
	}
	if (head->prev != prev)
		BK_FAIL("list %u: bad prev link of the head", k);
	if (n != t->free[k - BK_MIN_ORDER])
		BK_FAIL("list %u: %llu blocks, the maps mark %llu", k, (unsigned long long)n,
			(unsigned long long)t->free[k - BK_MIN_ORDER]);
	if (((b->nonempty >> (k - BK_MIN_ORDER)) & 1) != (n != 0))
		BK_FAIL("list %u: nonempty bit wrong", k);
	return 0;
}

/*
 * Walks every arena's map, every run and every free list and checks them
 * against each other and the heap's counters. 0 or -EFAULT (printed).
 */
int bk_check(const struct kheap *h)
{
	const struct buddy_kheap *b = bk_of_const(h);
	struct bk_tally t = {0};

	if (bk_check_holdings(b, &t))
		return -EFAULT;
	for (unsigned k = BK_MIN_ORDER; k <= BK_MAX_ORDER; k++)
		if (bk_check_list(b, k, &t))
			return -EFAULT;
	if (b->nonempty >> BUDDY_KHEAP_ORDERS != 0)
		BK_FAIL("nonempty bits past the last order");
	if (t.pages != b->pages || t.live != b->live || t.used_bytes != b->used_bytes)
		BK_FAIL("counted pages %llu live %llu used %llu, the heap says %llu %llu %llu",
			(unsigned long long)t.pages, (unsigned long long)t.live,
			(unsigned long long)t.used_bytes, (unsigned long long)b->pages,
			(unsigned long long)b->live, (unsigned long long)b->used_bytes);
	if (t.empty != b->empty_arenas || t.empty > 1)
		BK_FAIL("%llu empty arenas, the heap says %u", (unsigned long long)t.empty,
			b->empty_arenas);
	return 0;
}

/*
 * list_stats.c - the statistics of a list heap, from its counters.
 */
#include "list_internal.h"

/* ops->stats: pages held, usable bytes and number of the live blocks; no metadata outside. */
void listheap_stats(const struct kheap *h, struct kheap_stats *st)
{
	const struct list_kheap *lh = list_of(h);

	st->pages = lh->pages;
	st->used_bytes = lh->used_bytes;
	st->live = lh->live;
	st->meta_bytes = 0;
}

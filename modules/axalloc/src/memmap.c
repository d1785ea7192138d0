/*
 * memmap.c - from the firmware's memory map to the managed layout: usable
 * RAM (the RAM ranges minus the reserved ranges, whatever their order or
 * overlaps), then where each usable piece's metadata is carved so that it
 * breaks the fewest 1G- and 2M-aligned blocks. Deterministic. The method
 * and its scoring are explained in docs/memmap.md.
 */
#include <stdbool.h>
#include <stdint.h>

#include "axalloc_priv.h"

/* A half-open interval [start, end); empty when start >= end. */
struct span {
	uint64_t start;
	uint64_t end;
};

/* End of [base, base + size), clamped to the top of the address space. */
static uint64_t range_end(paddr_t base, uint64_t size)
{
	return size > UINT64_MAX - base ? UINT64_MAX : base + size;
}

/* The whole pages inside r (an empty span if there are none). */
static struct span span_inward(const struct mem_range *r)
{
	uint64_t end = ALIGN_DOWN(range_end(r->base, r->size), PAGE_SIZE);
	uint64_t last_page = ALIGN_DOWN(UINT64_MAX, PAGE_SIZE);

	if (r->size == 0 || r->base > last_page)
		return (struct span){0, 0};
	uint64_t start = ALIGN_UP(r->base, PAGE_SIZE);
	if (start >= end)
		return (struct span){0, 0};
	return (struct span){start, end};
}

/* The pages r touches (an empty span if r is empty). */
static struct span span_outward(const struct mem_range *r)
{
	if (r->size == 0)
		return (struct span){0, 0};
	uint64_t end = range_end(r->base, r->size);
	if (end <= ALIGN_DOWN(UINT64_MAX, PAGE_SIZE))
		end = ALIGN_UP(end, PAGE_SIZE);
	return (struct span){ALIGN_DOWN(r->base, PAGE_SIZE), end};
}

/* Exclusion k for RAM range i: reserved[k], then ram[k - nr_reserved] (k < nr_reserved + i). */
static struct span exclusion(const struct mem_range *ram, const struct mem_range *reserved,
			     int nr_reserved, int k)
{
	if (k < nr_reserved)
		return span_outward(&reserved[k]);
	return span_inward(&ram[k - nr_reserved]);
}

/*
 * Adds [start, end) to out[0..*n): first merges it with the pieces it
 * touches (pieces of adjacent RAM ranges), then keeps only the `max`
 * largest pieces.
 */
static void keep_piece(struct mem_range *out, int *n, int max, uint64_t start, uint64_t end)
{
	for (int i = 0; i < *n; i++) {
		uint64_t b = out[i].base, e = out[i].base + out[i].size;
		if (e == start || end == b) {
			start = e == start ? b : start;
			end = end == b ? e : end;
			out[i] = out[*n - 1]; /* drop piece i, look at its replacement */
			(*n)--;
			i--;
		}
	}
	struct mem_range piece = {start, end - start};
	if (*n < max) {
		out[(*n)++] = piece;
		return;
	}
	int smallest = 0;
	for (int i = 1; i < *n; i++)
		if (out[i].size < out[smallest].size)
			smallest = i;
	if (max > 0 && out[smallest].size < piece.size)
		out[smallest] = piece;
}

/* Sorts out[0..n) by base (n is at most a few dozen). */
static void sort_by_base(struct mem_range *out, int n)
{
	for (int i = 1; i < n; i++) {
		struct mem_range r = out[i];
		int j = i;
		for (; j > 0 && out[j - 1].base > r.base; j--)
			out[j] = out[j - 1];
		out[j] = r;
	}
}

int axalloc_usable_ranges(const struct mem_range *ram, int nr_ram, const struct mem_range *reserved,
			  int nr_reserved, struct mem_range *out, int max)
{
	int n = 0;

	for (int i = 0; i < nr_ram; i++) {
		struct span s = span_inward(&ram[i]);
		int nr_excl = nr_reserved + i;
		uint64_t cur = s.start;

		while (cur < s.end) {
			/* Jump over every exclusion that covers cur. */
			bool moved = true;
			while (moved && cur < s.end) {
				moved = false;
				for (int k = 0; k < nr_excl; k++) {
					struct span x = exclusion(ram, reserved, nr_reserved, k);
					if (x.start <= cur && cur < x.end) {
						cur = x.end;
						moved = true;
					}
				}
			}
			if (cur >= s.end)
				break;
			/* The piece runs up to the next exclusion or the end of the range. */
			uint64_t next = s.end;
			for (int k = 0; k < nr_excl; k++) {
				struct span x = exclusion(ram, reserved, nr_reserved, k);
				if (x.start > cur && x.start < next)
					next = x.start;
			}
			keep_piece(out, &n, max, cur, next);
			cur = next;
		}
	}
	sort_by_base(out, n);
	return n;
}

/* Metadata placement (see the file comment). */

enum side { SIDE_HEAD, SIDE_TAIL, NR_SIDES, SIDE_AWAY = NR_SIDES };

/* A piece being laid out. */
struct piece {
	paddr_t base;
	uint64_t pages;
	enum side side;			/* where its own metadata is */
	int host;			/* SIDE_AWAY: the piece holding its metadata */
	enum side host_side;		/* SIDE_AWAY: the side of the host it is on */
	uint64_t own_pages;		/* pages of its own metadata */
	uint64_t guest_pages[NR_SIDES]; /* pages carved on each side for guests */
};

/* How many huge blocks a managed range keeps free; 1G blocks count first. */
struct score {
	uint64_t blocks_1g;
	uint64_t blocks_2m;
};

/* Naturally aligned blocks of `block` bytes inside [start, end). */
static uint64_t aligned_blocks(uint64_t start, uint64_t end, uint64_t block)
{
	uint64_t lo = ALIGN_UP(start, block), hi = ALIGN_DOWN(end, block);
	return start <= lo && lo < hi ? (hi - lo) / block : 0;
}

static struct score score_of(paddr_t base, uint64_t pages)
{
	uint64_t end = base + pages * PAGE_SIZE;
	return (struct score){aligned_blocks(base, end, PAGE_SIZE_1G),
			      aligned_blocks(base, end, PAGE_SIZE_2M)};
}

static struct score score_add(struct score a, struct score b)
{
	return (struct score){a.blocks_1g + b.blocks_1g, a.blocks_2m + b.blocks_2m};
}

/* Whether a scores strictly higher than b. */
static bool score_better(struct score a, struct score b)
{
	return a.blocks_1g != b.blocks_1g ? a.blocks_1g > b.blocks_1g : a.blocks_2m > b.blocks_2m;
}

/* Pages carved from side s of p (own metadata and guests'). */
static uint64_t carved(const struct piece *p, enum side s)
{
	return p->guest_pages[s] + (p->side == s ? p->own_pages : 0);
}

/* First managed page of p. */
static paddr_t managed_base(const struct piece *p)
{
	return p->base + carved(p, SIDE_HEAD) * PAGE_SIZE;
}

/* Managed pages of p. */
static uint64_t managed_pages(const struct piece *p)
{
	return p->pages - carved(p, SIDE_HEAD) - carved(p, SIDE_TAIL);
}

static struct score piece_score(const struct piece *p)
{
	return score_of(managed_base(p), managed_pages(p));
}

/* Pages that `bytes` of metadata occupy, 0 when the range was invalid (bytes 0). */
static uint64_t pages_for(uint64_t bytes)
{
	return ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
}

/*
 * Carves p's own metadata from side s (HEAD or TAIL), next to the guests it
 * already holds, and sets own_pages. Each round sizes the metadata for the
 * pages left managed; own_pages only grows and is bounded by the piece, and
 * the managed part only shrinks, so the loop ends after a few rounds.
 * Returns false (p unchanged) when p cannot hold it and one managed page.
 */
static bool carve_own(struct piece *p, enum side s, axalloc_meta_fn meta)
{
	struct piece t = *p;

	t.side = s;
	t.own_pages = 0;
	for (;;) {
		if (carved(&t, SIDE_HEAD) + carved(&t, SIDE_TAIL) >= t.pages)
			return false;
		uint64_t need = pages_for(meta(managed_base(&t), managed_pages(&t)));
		if (need == 0)
			return false;
		if (need <= t.own_pages)
			break;
		t.own_pages = need;
	}
	*p = t;
	return true;
}

/* Puts p's own metadata on the side that scores higher. False when neither fits. */
static bool carve_own_best(struct piece *p, axalloc_meta_fn meta)
{
	struct piece head = *p, tail = *p;
	bool head_ok = carve_own(&head, SIDE_HEAD, meta);
	bool tail_ok = carve_own(&tail, SIDE_TAIL, meta);

	if (tail_ok && (!head_ok || score_better(piece_score(&tail), piece_score(&head))))
		*p = tail;
	else if (head_ok)
		*p = head;
	return head_ok || tail_ok;
}

/*
 * Step 2 for piece i: if its own metadata breaks a 1 GiB block, finds the
 * host and side that gain the most and moves the metadata there.
 */
static void relocate(struct piece *ps, int nr, int i, axalloc_meta_fn meta)
{
	struct piece *g = &ps[i];
	struct score whole = score_of(g->base, g->pages);
	struct score before_i = piece_score(g);
	uint64_t away = pages_for(meta(g->base, g->pages));
	struct piece best_host;
	int best = -1;
	enum side best_side = SIDE_HEAD;
	struct score best_new = {0, 0}, best_old = {0, 0};

	if (g->guest_pages[SIDE_HEAD] + g->guest_pages[SIDE_TAIL] != 0 ||
	    before_i.blocks_1g == whole.blocks_1g || away == 0)
		return;
	for (int j = 0; j < nr; j++) {
		if (j == i || ps[j].side == SIDE_AWAY)
			continue;
		for (enum side s = SIDE_HEAD; s < NR_SIDES; s++) {
			struct piece h = ps[j];
			h.guest_pages[s] += away;
			if (!carve_own_best(&h, meta))
				continue;
			/* Gain = new - old; compared as new + best_old > best_new + old. */
			struct score new_total = score_add(whole, piece_score(&h));
			struct score old_total = score_add(before_i, piece_score(&ps[j]));
			if (score_better(score_add(new_total, best_old),
					 score_add(best_new, old_total))) {
				best = j;
				best_side = s;
				best_host = h;
				best_new = new_total;
				best_old = old_total;
			}
		}
	}
	if (best < 0)
		return;
	ps[best] = best_host;
	g->side = SIDE_AWAY;
	g->host = best;
	g->host_side = best_side;
	g->own_pages = away;
}

/* Start of the metadata of piece i, laid out as the file comment shows. */
static paddr_t meta_base_of(const struct piece *ps, int i)
{
	const struct piece *p = &ps[i];
	int h = p->side == SIDE_AWAY ? p->host : i;
	enum side s = p->side == SIDE_AWAY ? p->host_side : p->side;
	const struct piece *host = &ps[h];
	paddr_t at = s == SIDE_HEAD
			 ? host->base
			 : host->base + (host->pages - carved(host, SIDE_TAIL)) * PAGE_SIZE;

	if (p->side == SIDE_AWAY) {
		if (host->side == s)
			at += host->own_pages * PAGE_SIZE;
		for (int k = 0; k < i; k++)
			if (ps[k].side == SIDE_AWAY && ps[k].host == h && ps[k].host_side == s)
				at += ps[k].own_pages * PAGE_SIZE;
	}
	return at;
}

int axalloc_layout(const struct mem_range *pieces, int nr_pieces, axalloc_meta_fn meta,
		   struct axalloc_layout *out)
{
	struct piece ps[PGALLOC_MAX_RANGES];
	int nr = 0;

	for (int i = 0; i < nr_pieces && nr < PGALLOC_MAX_RANGES; i++) {
		ps[nr] =
		    (struct piece){.base = pieces[i].base, .pages = pieces[i].size / PAGE_SIZE};
		if (carve_own_best(&ps[nr], meta))
			nr++;
	}
	for (int i = 0; i < nr; i++)
		relocate(ps, nr, i, meta);
	for (int i = 0; i < nr; i++)
		out[i] = (struct axalloc_layout){
		    .base = managed_base(&ps[i]),
		    .pages = managed_pages(&ps[i]),
		    .meta_base = meta_base_of(ps, i),
		    .meta_pages = ps[i].own_pages,
		};
	return nr;
}

/*
 * tlsf_small.c - small objects: requests of up to TLSF_SMALL_MAX bytes come
 * from pages that hold objects of one size class each (16-byte steps), as a
 * slab allocator's do, so allocating or freeing one is a list push or pop:
 * no search, no split, no merge.
 *
 * A small region is TLSF_CHUNK_BYTES of pages from the page source:
 *
 *   page 0: [ region header | page descriptors | objects ... ]
 *   page i: [ objects of page i's class ... ]
 *
 * A page in use has a class; its objects are carved in address order the
 * first time (carved counts them) and, once freed, kept on the page's own
 * free list; a bitmap says which are in use, so a double free is seen. A
 * page with a free object is on its class's list; a page whose objects are
 * all free loses its class and can serve any class again. A region none of
 * whose pages is in use goes back to the page source, except one kept.
 */
#include <errno.h>
#include <string.h>

#include "tlsf_internal.h"
#include <klib/bitops.h>

#define SMALL_CLASSES (TLSF_SMALL_MAX / SMALL_STEP)
#define SMALL_STEP    16
#define PAGES	      (TLSF_CHUNK_BYTES / PAGE_SIZE)
#define MAX_OBJS      (PAGE_SIZE / SMALL_STEP)
#define NO_CLASS      0xff
#define SPARE_REGIONS 1

/* One page of a small region. */
struct small_page {
	struct small_page *next, *prev; /* on its class's list while it has a free object */
	void *free;			/* freed objects, linked through their first word */
	uint16_t carved;		/* objects handed out at least once */
	uint16_t used;			/* objects in use */
	uint8_t cls;			/* size class, NO_CLASS when the page is not in use */
	uint8_t on_list;
	uint64_t in_use[MAX_OBJS / 64]; /* one bit per object */
};

/* Page 0 of a small region starts with this. */
struct small_region {
	struct tlsf_region hdr;
	struct small_region *room_next,
	    *room_prev; /* on the list of regions with a page not in use */
	uint32_t pages_in_use;
	struct small_page page[PAGES];
};

#define HEADER_BYTES ALIGN_UP(sizeof(struct small_region), SMALL_STEP)

_Static_assert(HEADER_BYTES < PAGE_SIZE / 2, "page 0 still holds objects");
_Static_assert(TLSF_SMALL_MAX % SMALL_STEP == 0 && SMALL_CLASSES <= NO_CLASS, "classes fit");

/* Bytes of each object of class c. */
static size_t class_size(unsigned c)
{
	return (size_t)(c + 1) * SMALL_STEP;
}

/* Where the objects of page i of region r start, and how many fit. */
static char *page_objects(struct small_region *r, unsigned i)
{
	return (char *)r + (size_t)i * PAGE_SIZE + (i == 0 ? HEADER_BYTES : 0);
}

static unsigned page_capacity(unsigned i, unsigned c)
{
	return (unsigned)((PAGE_SIZE - (i == 0 ? HEADER_BYTES : 0)) / class_size(c));
}

static struct small_region *small_region_of(const void *p)
{
	return (struct small_region *)region_of(p);
}

/* Adds page pg to its class's list. */
static void class_list_add(struct tlsf_kheap *t, struct small_page *pg)
{
	struct small_page **head = &t->small_pages[pg->cls];

	pg->prev = NULL;
	pg->next = *head;
	if (*head)
		(*head)->prev = pg;
	*head = pg;
	pg->on_list = 1;
}

static void class_list_del(struct tlsf_kheap *t, struct small_page *pg)
{
	if (pg->prev)
		pg->prev->next = pg->next;
	else
		t->small_pages[pg->cls] = pg->next;
	if (pg->next)
		pg->next->prev = pg->prev;
	pg->on_list = 0;
}

static void room_add(struct tlsf_kheap *t, struct small_region *r)
{
	r->room_prev = NULL;
	r->room_next = t->small_room;
	if (t->small_room)
		t->small_room->room_prev = r;
	t->small_room = r;
}

static void room_del(struct tlsf_kheap *t, struct small_region *r)
{
	if (r->room_prev)
		r->room_prev->room_next = r->room_next;
	else
		t->small_room = r->room_next;
	if (r->room_next)
		r->room_next->room_prev = r->room_prev;
}

/* A new small region from the page source, on the room list; false when out of pages. */
static bool grow(struct tlsf_kheap *t)
{
	struct small_region *r = kheap_pages_get(&t->heap, PAGES, TLSF_CHUNK_BYTES);

	if (!r)
		return false;
	memset(r, 0, sizeof(*r));
	r->hdr.npages = PAGES;
	r->hdr.magic = REGION_SMALL;
	for (unsigned i = 0; i < PAGES; i++)
		r->page[i].cls = NO_CLASS;
	region_link(&t->small_regions, &r->hdr);
	room_add(t, r);
	t->small_region_pages += PAGES;
	t->small_spare++;
	return true;
}

/* Gives a page of class c (on its class list) from a region with room; NULL when out of pages. */
static struct small_page *page_take(struct tlsf_kheap *t, unsigned c)
{
	struct small_region *r;
	unsigned i;

	if (!t->small_room && !grow(t))
		return NULL;
	r = t->small_room;
	for (i = 0; r->page[i].cls != NO_CLASS; i++)
		;
	struct small_page *pg = &r->page[i];
	*pg = (struct small_page){.cls = (uint8_t)c};
	if (r->pages_in_use++ == 0)
		t->small_spare--;
	if (r->pages_in_use == PAGES)
		room_del(t, r);
	class_list_add(t, pg);
	return pg;
}

/* The page pg of region r has no object in use any more: it serves any class again. */
static void page_release(struct tlsf_kheap *t, struct small_region *r, struct small_page *pg)
{
	class_list_del(t, pg);
	pg->cls = NO_CLASS;
	if (r->pages_in_use-- == PAGES)
		room_add(t, r);
	if (r->pages_in_use > 0)
		return;
	if (t->small_spare < SPARE_REGIONS) {
		t->small_spare++;
		return;
	}
	room_del(t, r);
	region_unlink(&t->small_regions, &r->hdr);
	r->hdr.magic = 0;
	t->small_region_pages -= PAGES;
	kheap_pages_put(&t->heap, r, PAGES);
}

void *small_alloc(struct tlsf_kheap *t, size_t size)
{
	unsigned c = (unsigned)((size - 1) / SMALL_STEP);
	struct small_page *pg = t->small_pages[c];
	char *obj;

	if (!pg && !(pg = page_take(t, c)))
		return NULL;
	struct small_region *r = small_region_of(pg);
	unsigned i = (unsigned)(pg - r->page), j;
	if (pg->free) {
		obj = pg->free;
		pg->free = *(void **)obj;
		j = (uint32_t)(obj - page_objects(r, i)) / (uint32_t)class_size(c);
	} else {
		j = pg->carved++;
		obj = page_objects(r, i) + (size_t)j * class_size(c);
	}
	pg->in_use[j / 64] |= 1ULL << (j % 64);
	if (++pg->used == page_capacity(i, c))
		class_list_del(t, pg);
	t->used_bytes += class_size(c);
	t->live++;
	return obj;
}

/*
 * The page of region r that holds the object starting at p, and the
 * object's index in it; NULL when p is no object's start.
 */
static struct small_page *object_page(struct small_region *r, const void *p, unsigned *index)
{
	size_t off = (size_t)((const char *)p - (const char *)r);
	unsigned i = (unsigned)(off / PAGE_SIZE);
	struct small_page *pg = &r->page[i];
	const char *first = page_objects(r, i);

	if (pg->cls == NO_CLASS || (const char *)p < first)
		return NULL;
	size_t rel = (size_t)((const char *)p - first), size = class_size(pg->cls);
	if (rel % size != 0 || rel / size >= pg->carved)
		return NULL;
	*index = (unsigned)(rel / size);
	return pg;
}

/* Whether object j of page pg is in use. */
static bool object_in_use(const struct small_page *pg, unsigned j)
{
	return pg->in_use[j / 64] >> (j % 64) & 1;
}

size_t small_usable_size(const void *p)
{
	const struct small_region *r = small_region_of(p);

	return class_size(r->page[((uintptr_t)p - (uintptr_t)r) / PAGE_SIZE].cls);
}

size_t small_live_size(const void *p)
{
	unsigned j;
	const struct small_page *pg = object_page(small_region_of(p), p, &j);

	return pg && object_in_use(pg, j) ? class_size(pg->cls) : 0;
}

int small_free(struct tlsf_kheap *t, void *p)
{
	struct small_region *r = small_region_of(p);
	unsigned j;
	struct small_page *pg = object_page(r, p, &j);

	if (!pg)
		return -EINVAL;
	if (!object_in_use(pg, j))
		return -ENOENT;
	pg->in_use[j / 64] &= ~(1ULL << (j % 64));
	*(void **)p = pg->free;
	pg->free = p;
	t->used_bytes -= class_size(pg->cls);
	t->live--;
	if (!pg->on_list)
		class_list_add(t, pg);
	if (--pg->used == 0)
		page_release(t, r, pg);
	return 0;
}

/* Checks page i of region r; adds its objects in use and their bytes to the totals. */
static int check_page(const struct small_region *r, unsigned i, uint64_t *live, uint64_t *bytes)
{
	const struct small_page *pg = &r->page[i];
	unsigned nfree = 0, inuse = 0;

	if (pg->cls == NO_CLASS)
		return pg->on_list ? -EFAULT : 0;
	unsigned cap = page_capacity(i, pg->cls);
	if (pg->carved > cap || pg->used == 0 || pg->used > pg->carved ||
	    pg->on_list != (pg->used < cap))
		return -EFAULT;
	for (unsigned j = 0; j < pg->carved; j++)
		inuse += object_in_use(pg, j);
	for (const void *o = pg->free; o; o = *(void *const *)o) {
		unsigned j;
		if (++nfree > pg->carved || small_region_of(o) != r ||
		    object_page((struct small_region *)r, o, &j) != pg || object_in_use(pg, j))
			return -EFAULT;
	}
	if (inuse != pg->used || nfree + inuse != pg->carved)
		return -EFAULT;
	*live += inuse;
	*bytes += inuse * class_size(pg->cls);
	return 0;
}

int small_check(const struct tlsf_kheap *t, uint64_t *live_out, uint64_t *bytes_out)
{
	uint64_t pages = 0, live = 0, bytes = 0, listed = 0, in_use = 0;
	unsigned spare = 0;

	for (const struct tlsf_region *h = t->small_regions; h; h = h->next) {
		const struct small_region *r = (const struct small_region *)h;
		unsigned used = 0;
		if (h->magic != REGION_SMALL || h->npages != PAGES ||
		    (h->next && h->next->prev != h))
			return -EFAULT;
		for (unsigned i = 0; i < PAGES; i++) {
			if (check_page(r, i, &live, &bytes) != 0)
				return -EFAULT;
			used += r->page[i].cls != NO_CLASS;
		}
		if (used != r->pages_in_use)
			return -EFAULT;
		spare += used == 0;
		in_use += used;
		pages += PAGES;
	}
	for (unsigned c = 0; c < SMALL_CLASSES; c++)
		for (const struct small_page *pg = t->small_pages[c]; pg; pg = pg->next) {
			if (pg->cls != c || !pg->on_list || ++listed > in_use)
				return -EFAULT;
		}
	if (pages != t->small_region_pages || spare != t->small_spare || spare > SPARE_REGIONS)
		return -EFAULT;
	*live_out = live;
	*bytes_out = bytes;
	return 0;
}

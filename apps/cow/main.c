/*
 * cow - copy-on-write clones of an address space, step by step.
 *
 * A parent space gets 4K and 2M Alloc areas (and a 1G one when enough free
 * 1G frames exist), a lazy area with two pages touched and a read-only
 * area, all filled with a pattern. It is cloned CONFIG_COW_CLONES times;
 * then clones and parent write to probe pages, through aspace_write and
 * through real stores (the space activated: the store page-faults and the
 * handler breaks COW). After each step every space's view of every probe
 * is printed and checked (isolation), with the frames' reference counts,
 * the COW faults and copies, and the frames in use against what eager
 * copies would hold. The clones are destroyed one by one, the parent
 * writes again (now alone: write is restored, nothing copied), and the
 * parent is destroyed: every frame must be back. Without CONFIG_MM_COW the
 * clones are eager copies and the same checks hold (no sharing, no counts).
 * Returns the number of failed checks (at most MAX_STATUS).
 */
#include <axalloc/axalloc.h>
#include <errno.h>
#include <stdio.h>

#include "cow.h"

#define MAX_STATUS 127
#define RW	   (MAPF_READ | MAPF_WRITE)
#define GIB_ORDER  18 /* a 1G block in the page allocator's free-block histogram */
#define TITLE_LEN  32

#if defined(CONFIG_COW_1G)
#define WANT_1G true
#else
#define WANT_1G false
#endif

/* The parent's layout (the space is [SPACE_BASE, SPACE_BASE + SPACE_SIZE)). */
#define SPACE_BASE  0x10000000UL
#define SPACE_SIZE  (8 * PAGE_SIZE_1G)
#define SMALL_VA    0x10000000UL /* 4K pages, RW, populated */
#define SMALL_PAGES 64
#define LAZY_VA	    0x10100000UL /* 4K pages, RW, lazy: two pages touched */
#define LAZY_PAGES  16
#define LAZY_TOUCH  2
#define RO_VA	    0x10200000UL /* 4K pages, read-only, filled before protect */
#define RO_PAGES    4
#define HUGE_VA	    0x20000000UL /* 2M pages, RW, populated */
#define HUGE_PAGES  4
#define GIANT_VA    0x40000000UL /* one 1G page, RW, populated */

/* The clones that write in the script (kid3 writes the 1G page). */
#define KID_A 1
#define KID_B 2
#define KID_C 3

static struct cow_demo demo;

static uint64_t used_pages(void)
{
	struct axalloc_stats st;

	axalloc_stats(&st);
	return st.pages.used_pages - st.heap_pages;
}

static const char *perm(unsigned flags, char buf[4])
{
	buf[0] = flags & MAPF_READ ? 'r' : '-';
	buf[1] = flags & MAPF_WRITE ? 'w' : '-';
	buf[2] = flags & MAPF_EXEC ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

/* Writes word v at both ends of probe p in space s: by aspace_write, or by real stores. */
static void write_probe(struct cow_demo *d, int s, int p, bool store)
{
	const struct cow_probe *pr = &d->probes[p];
	uint64_t v = cow_model_write(d, s, p);

	if (store) {
		aspace_activate(&d->spaces[s]);
		*(volatile uint64_t *)pr->va = v;
		*(volatile uint64_t *)(pr->va + pr->pgsize - sizeof(v)) = v;
		return;
	}
	cow_check(d,
		  aspace_write(&d->spaces[s], pr->va, &v, sizeof(v)) == 0 &&
		      aspace_write(&d->spaces[s], pr->va + pr->pgsize - sizeof(v), &v, sizeof(v)) ==
			  0,
		  "%s: aspace_write to %s", cow_space_name(s), pr->name);
}

/* True when there are enough free 1G frames for the 1G area and what the demo does with it. */
static bool giant_fits(void)
{
	struct axalloc_stats st;
	uint64_t need = COW_SHARES ? 2 : COW_NR_SPACES;

	axalloc_stats(&st);
	printf("  free 1G frames: %lu; the 1G area needs %lu (%s)\n",
	       (unsigned long)st.pages.free_blocks[GIB_ORDER], (unsigned long)need,
	       COW_SHARES ? "the parent's and one copy" : "one per space");
	if (st.pages.free_blocks[GIB_ORDER] >= need)
		return true;
	/* RAM's first GiB holds the kernel: n free frames need n + 1 GiB */
	printf("  for the 1G area give the guest more RAM: make run MEM=%luG\n",
	       (unsigned long)need + 1);
	return false;
}

/* Creates and fills the parent. Returns the index of the 1G probe, or -1. */
static int build_parent(struct cow_demo *d)
{
	int giant = -1;
	struct aspace *as = &d->spaces[COW_PARENT];
	struct aspace_stats st;
	uint8_t byte = 1;
	int err;

	cow_check(d, aspace_create(as, SPACE_BASE, SPACE_SIZE) == 0, "parent created");
	d->live[COW_PARENT] = true;
	err = aspace_map_alloc(as, SMALL_VA, SMALL_PAGES * PAGE_SIZE_4K, RW, true, PAGE_SIZE_4K);
	cow_check(d, err == 0, "4K area: %d pages, populated", SMALL_PAGES);
	err = aspace_map_alloc(as, HUGE_VA, HUGE_PAGES * PAGE_SIZE_2M, RW, true, PAGE_SIZE_2M);
	cow_check(d, err == 0, "2M area: %d pages, populated", HUGE_PAGES);
	err = aspace_map_alloc(as, LAZY_VA, LAZY_PAGES * PAGE_SIZE_4K, RW, false, PAGE_SIZE_4K);
	for (int i = 0; i < LAZY_TOUCH && err == 0; i++)
		err = aspace_write(as, LAZY_VA + i * PAGE_SIZE_4K, &byte, 1);
	cow_check(d, err == 0, "lazy 4K area: %d pages, %d touched", LAZY_PAGES, LAZY_TOUCH);
	err = aspace_map_alloc(as, RO_VA, RO_PAGES * PAGE_SIZE_4K, RW, true, PAGE_SIZE_4K);
	if (err == 0)
		err = aspace_write(as, RO_VA, &byte, 1);
	if (err == 0)
		err = aspace_protect(as, RO_VA, RO_PAGES * PAGE_SIZE_4K, MAPF_READ);
	cow_check(d, err == 0, "read-only 4K area: %d pages, filled, then protected", RO_PAGES);
	cow_add_probe(d, "4K[0]", SMALL_VA, PAGE_SIZE_4K);
	cow_add_probe(d, "4K[1]", SMALL_VA + PAGE_SIZE_4K, PAGE_SIZE_4K);
	cow_add_probe(d, "2M[0]", HUGE_VA, PAGE_SIZE_2M);
	cow_add_probe(d, "2M[1]", HUGE_VA + PAGE_SIZE_2M, PAGE_SIZE_2M);
	if (WANT_1G && giant_fits()) {
		err = aspace_map_alloc(as, GIANT_VA, PAGE_SIZE_1G, RW, true, PAGE_SIZE_1G);
		cow_check(d, err == 0, "1G area: 1 page, populated");
		if (err == 0)
			giant = cow_add_probe(d, "1G", GIANT_VA, PAGE_SIZE_1G);
	} else {
		printf("  1G area: skipped\n");
	}
	/* The parent's first words; cow_add_probe expects them. */
	for (int p = 0; p < d->nr_probes; p++) {
		const struct cow_probe *pr = &d->probes[p];
		uint64_t v = cow_orig_value(p);

		err = aspace_write(as, pr->va, &v, sizeof(v));
		if (err == 0)
			err = aspace_write(as, pr->va + pr->pgsize - sizeof(v), &v, sizeof(v));
		cow_check(d, err == 0, "%s filled", pr->name);
	}
	aspace_stats(as, &st);
	d->parent_frames_4k = st.alloc_pages_4k;
	return giant;
}

/* Clones the parent CONFIG_COW_CLONES times; lazy pages must stay lazy. */
static void clone_all(struct cow_demo *d)
{
	struct aspace *parent = &d->spaces[COW_PARENT];
	struct aspace_stats ps;
	unsigned before, after;
	char b[4], a[4];

	aspace_query(parent, SMALL_VA, NULL, &before, NULL);
	aspace_stats(parent, &ps);
	for (int k = 1; k < COW_NR_SPACES; k++) {
		struct aspace *kid = &d->spaces[k];
		struct aspace_stats ks;
		int err = aspace_create(kid, SPACE_BASE, SPACE_SIZE);

		if (err == 0)
			err = aspace_clone(kid, parent);
		aspace_stats(kid, &ks);
		cow_check(
		    d,
		    err == 0 && ks.alloc_pages_4k == ps.alloc_pages_4k &&
			aspace_query(kid, LAZY_VA + LAZY_TOUCH * PAGE_SIZE_4K, NULL, NULL, NULL) ==
			    -ENOENT,
		    "%s = clone of the parent: %lu areas, %lu 4K frames mapped, untouched lazy "
		    "pages still lazy",
		    cow_space_name(k), (unsigned long)ks.nr_areas,
		    (unsigned long)ks.alloc_pages_4k);
		cow_model_clone(d, k);
	}
	aspace_query(parent, SMALL_VA, NULL, &after, NULL);
	printf("  parent's PTE at 4K[0]: %s before the clones, %s after (the area stays %s); "
	       "shared pages in the parent: %lu\n",
	       perm(before, b), perm(after, a), perm(aspace_find_area(parent, SMALL_VA)->flags, b),
	       (unsigned long)aspace_shared_pages(parent));
	cow_check(d, (after & MAPF_WRITE) == (COW_SHARES ? 0 : MAPF_WRITE),
		  COW_SHARES ? "the parent's writable pages lost write (COW-pending)"
			     : "eager copies leave the parent's PTEs alone");
}

/* Writes that must fail: the read-only area stays read-only in a clone. */
static void forbidden_writes(struct cow_demo *d)
{
	struct aspace *kid = &d->spaces[KID_A];
	uint8_t byte = 0;
	int err = aspace_write(kid, RO_VA, &byte, 1);

	cow_check(d, err == -EFAULT, "%s: aspace_write to the read-only area: %s",
		  cow_space_name(KID_A), err == -EFAULT ? "-EFAULT" : "not -EFAULT");
	err = aspace_handle_page_fault(kid, RO_VA, ACCESS_WRITE);
	cow_check(d, err == -EFAULT, "%s: a write fault in the read-only area: %s",
		  cow_space_name(KID_A), err == -EFAULT ? "-EFAULT" : "not -EFAULT");
}

int main(void)
{
	struct cow_demo *d = &demo;
	int giant;

	printf("cow: %s page allocator, copy-on-write %s, %d clones\n",
	       axalloc_page_allocator_name(), COW_SHARES ? "on" : "off (clones are eager copies)",
	       CONFIG_COW_CLONES);
	d->base_pages = used_pages();
	giant = build_parent(d);
	cow_show(d, "the parent, filled");

	clone_all(d);
	cow_show(d, "after the clones");

	printf("\n  %s writes 4K[0] with aspace_write\n", cow_space_name(KID_A));
	write_probe(d, KID_A, 0, false);
	cow_show(d, "a clone wrote a 4K page");

	printf("\n  %s stores to 2M[1] through a pointer (a real store page fault)\n",
	       cow_space_name(KID_B));
	write_probe(d, KID_B, 3, true);
	cow_show(d, "a clone wrote a 2M page");

	printf("\n  the parent stores to 4K[1] and 2M[1] through pointers\n");
	write_probe(d, COW_PARENT, 1, true);
	write_probe(d, COW_PARENT, 3, true);
	cow_show(d, "the parent wrote");

	if (giant >= 0) {
		printf("\n  %s stores to the 1G page through a pointer\n", cow_space_name(KID_C));
		write_probe(d, KID_C, giant, true);
		cow_show(d, "a clone wrote the 1G page");
	}

	printf("\n");
	forbidden_writes(d);
	printf("\n  %s writes 4K[0] again: its own page now, no COW fault\n",
	       cow_space_name(KID_A));
	write_probe(d, KID_A, 0, false);

	for (int k = 1; k < COW_NR_SPACES; k++) {
		char title[TITLE_LEN];

		aspace_destroy(&d->spaces[k]);
		cow_model_destroy(d, k);
		snprintf(title, sizeof(title), "%s destroyed", cow_space_name(k));
		cow_show(d, title);
	}

	printf("\n  the parent writes 2M[0] and 4K[0]: their frames have one reference left\n");
	write_probe(d, COW_PARENT, 2, false);
	write_probe(d, COW_PARENT, 0, true);
	cow_show(d, "the parent alone");

	aspace_destroy(&d->spaces[COW_PARENT]);
	cow_model_destroy(d, COW_PARENT);
	cow_check(d, used_pages() == d->base_pages,
		  "every frame and table freed: %lu used pages, "
		  "%lu before the parent",
		  (unsigned long)used_pages(), (unsigned long)d->base_pages);
	printf("cow: %d failed checks\n", d->failures);
	return d->failures < MAX_STATUS ? d->failures : MAX_STATUS;
}

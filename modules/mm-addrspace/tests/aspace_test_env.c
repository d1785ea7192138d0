/* aspace_test_env.c - simulated RAM, allocator and space snapshots (see aspace_test_env.h). */
#include "aspace_test_env.h"

#include <stddef.h>

uint64_t env_ram_size = ENV_RAM_SIZE;

void env_init(void)
{
	static bool backed;
	struct mem_range ram = {ENV_RAM_BASE, env_ram_size};

	if (!backed) {
		hal_host_map_phys(ENV_RAM_BASE, ENV_RAM_SIZE);
		hal_host_map_phys(ENV_LIN_BASE, ENV_LIN_SIZE);
		backed = true;
	}
	ENV_CHECK(env_ram_size <= ENV_RAM_SIZE);
	ENV_CHECK(axalloc_init(&ram, 1, NULL, 0) == 0);
	axalloc_fail_after(-1);
}

struct mem_snap mem_snap(void)
{
	struct axalloc_stats st;

	axalloc_stats(&st);
	return (struct mem_snap){st.pages.used_pages - st.heap_pages, st.heap_used_bytes};
}

bool mem_equal(struct mem_snap a, struct mem_snap b)
{
	if (a.pages == b.pages && a.heap_bytes == b.heap_bytes)
		return true;
	fprintf(stderr, "memory differs: pages %lu vs %lu, heap bytes %lu vs %lu\n",
		(unsigned long)a.pages, (unsigned long)b.pages, (unsigned long)a.heap_bytes,
		(unsigned long)b.heap_bytes);
	return false;
}

uint64_t env_free_blocks(unsigned order)
{
	struct axalloc_stats st;
	uint64_t n = 0;

	axalloc_stats(&st);
	for (unsigned o = order; o < PGALLOC_NR_ORDERS; o++)
		n += st.pages.free_blocks[o] << (o - order);
	return n;
}

void hog_2m_frames(struct hog_2m *h, int broken)
{
	const uint64_t n2m = PAGE_SIZE_2M / PAGE_SIZE_4K;
	uint64_t free_2m = env_free_blocks(9);
	paddr_t pa;

	memset(h, 0, sizeof(*h));
	ENV_CHECK(free_2m <= sizeof(h->blocks) / sizeof(h->blocks[0]));
	while ((uint64_t)h->nr_blocks < free_2m) {
		ENV_CHECK(axalloc_alloc_pages(n2m, PAGE_SIZE_2M, AXALLOC_MOVABLE,
					      &h->blocks[h->nr_blocks]) == 0);
		h->nr_blocks++;
	}
	ENV_CHECK(env_free_blocks(9) == 0 && h->nr_blocks >= broken);
	while (h->nr_pinned < broken) {
		paddr_t back = h->blocks[--h->nr_blocks];

		ENV_CHECK(axalloc_free_pages(back, n2m) == 0);
		/* The one free 2M-aligned 4K frame is the block's first. */
		ENV_CHECK(axalloc_alloc_pages(1, PAGE_SIZE_2M, AXALLOC_MOVABLE, &pa) == 0);
		ENV_CHECK(pa == back);
		h->pinned[h->nr_pinned++] = pa;
	}
	ENV_CHECK(env_free_blocks(9) == 0);
}

void unhog_2m_frames(struct hog_2m *h)
{
	while (h->nr_pinned > 0)
		ENV_CHECK(axalloc_free_pages(h->pinned[--h->nr_pinned], 1) == 0);
	while (h->nr_blocks > 0)
		ENV_CHECK(axalloc_free_pages(h->blocks[--h->nr_blocks],
					     PAGE_SIZE_2M / PAGE_SIZE_4K) == 0);
}

uint32_t env_frame_refs(paddr_t pa)
{
	return IS_ENABLED(CONFIG_MM_COW) ? frame_ref_get(pa) : 0;
}

/*
 * FNV-1a over a page's bytes (64-bit words). Simulated physical memory is
 * plain mmap memory, so skipping ASan's checks here loses nothing.
 */
__attribute__((no_sanitize("address"))) static uint64_t page_sum(paddr_t pa, uint64_t size)
{
	const uint64_t *p = phys_to_virt(pa);
	uint64_t h = 0xcbf29ce484222325ULL;

	for (uint64_t i = 0; i < size / sizeof(*p); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

void snap_take(const struct aspace *as, struct space_snap *s, bool with_content)
{
	size_t cap = 64;

	memset(s, 0, sizeof(*s));
	aspace_stats(as, &s->st);
	s->policy = aspace_thp_policy(as);
	s->mem = mem_snap();
	s->areas = calloc(s->st.nr_areas ? s->st.nr_areas : 1, sizeof(*s->areas));
	for (const struct aspace_area *a = aspace_first_area(as); a; a = aspace_next_area(as, a))
		s->areas[s->nr_areas++] = *a;
	ENV_CHECK(s->nr_areas == s->st.nr_areas);
	s->pages = malloc(cap * sizeof(*s->pages));
	for (const struct aspace_area *a = aspace_first_area(as); a; a = aspace_next_area(as, a)) {
		/* One record per page: a transparent huge page is one, found at its start. */
		for (vaddr_t va = a->node.start, next; va < a->node.end; va = next) {
			struct page_rec r = {.va = va};

			next = va + a->backend.pgsize;
			if (aspace_query(as, va, &r.pa, &r.flags, &r.pgsize) != 0)
				continue;
			ENV_CHECK(IS_ALIGNED(va, r.pgsize));
			next = va + r.pgsize;
			r.refs = env_frame_refs(r.pa);
			if (with_content)
				r.sum = page_sum(r.pa, r.pgsize);
			if (s->nr_pages == cap) {
				cap *= 2;
				s->pages = realloc(s->pages, cap * sizeof(*s->pages));
			}
			s->pages[s->nr_pages++] = r;
		}
	}
}

void snap_free(struct space_snap *s)
{
	free(s->areas);
	free(s->pages);
	memset(s, 0, sizeof(*s));
}

bool area_equal(const struct aspace_area *a, const struct aspace_area *b)
{
	if (a->node.start != b->node.start || a->node.end != b->node.end || a->flags != b->flags ||
	    a->advice != b->advice || a->backend.kind != b->backend.kind ||
	    a->backend.pgsize != b->backend.pgsize)
		return false;
	if (a->backend.kind == ASPACE_BACKEND_LINEAR)
		return a->backend.linear.pa_va_offset == b->backend.linear.pa_va_offset;
	return a->backend.alloc.populate == b->backend.alloc.populate;
}

/* Prints the fields in which two sets of statistics differ. */
static void stats_diff(const struct aspace_stats *a, const struct aspace_stats *b)
{
#define STAT(f)                                                                                    \
	{                                                                                          \
#f, offsetof(struct aspace_stats, f)                                               \
	}
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
	    STAT(nr_areas),
	    STAT(mapped[ASPACE_PGSIZE_4K]),
	    STAT(mapped[ASPACE_PGSIZE_2M]),
	    STAT(mapped[ASPACE_PGSIZE_1G]),
	    STAT(alloc_pages_4k),
	    STAT(pt_pages),
	    STAT(faults),
	    STAT(spurious_faults),
	    STAT(cow_faults),
	    STAT(cow_copies),
	    STAT(thp_mapped[ASPACE_PGSIZE_4K]),
	    STAT(thp_mapped[ASPACE_PGSIZE_2M]),
	    STAT(thp_mapped[ASPACE_PGSIZE_1G]),
	    STAT(thp_fault_alloc),
	    STAT(thp_fault_fallback),
	    STAT(thp_split_pmd),
	    STAT(thp_collapse_alloc),
	    STAT(thp_collapse_alloc_failed),
	};
#undef STAT

	fprintf(stderr, "stats differ:");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint64_t x, y;

		memcpy(&x, (const char *)a + fields[i].off, sizeof(x));
		memcpy(&y, (const char *)b + fields[i].off, sizeof(y));
		if (x != y)
			fprintf(stderr, " %s %lu vs %lu", fields[i].name, (unsigned long)x,
				(unsigned long)y);
	}
	fprintf(stderr, "\n");
}

bool snap_equal(const struct space_snap *a, const struct space_snap *b)
{
	if (memcmp(&a->st, &b->st, sizeof(a->st)) != 0) {
		stats_diff(&a->st, &b->st);
		return false;
	}
	if (a->policy != b->policy) {
		fprintf(stderr, "THP policy %d vs %d\n", (int)a->policy, (int)b->policy);
		return false;
	}
	if (!mem_equal(a->mem, b->mem))
		return false;
	if (a->nr_areas != b->nr_areas || a->nr_pages != b->nr_pages) {
		fprintf(stderr, "areas %zu vs %zu, pages %zu vs %zu\n", a->nr_areas, b->nr_areas,
			a->nr_pages, b->nr_pages);
		return false;
	}
	for (size_t i = 0; i < a->nr_areas; i++) {
		if (!area_equal(&a->areas[i], &b->areas[i])) {
			fprintf(stderr, "area %zu differs\n", i);
			return false;
		}
	}
	for (size_t i = 0; i < a->nr_pages; i++) {
		const struct page_rec *p = &a->pages[i], *q = &b->pages[i];

		if (p->va != q->va || p->pa != q->pa || p->flags != q->flags ||
		    p->pgsize != q->pgsize || p->refs != q->refs || p->sum != q->sum) {
			fprintf(stderr, "page %#lx differs\n", (unsigned long)a->pages[i].va);
			return false;
		}
	}
	return true;
}

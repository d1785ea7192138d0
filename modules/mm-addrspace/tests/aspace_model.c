/* aspace_model.c - the model of one address space, random operations, checks (aspace_model.h). */
#include "aspace_model.h"
#include "test_rand.h"

static const char *const model_op_names[MOP_NR] = {
    [MOP_MAP_ALLOC] = "map_alloc",   [MOP_MAP_LINEAR] = "map_linear",
    [MOP_UNMAP] = "unmap",	     [MOP_PROTECT] = "protect",
    [MOP_POPULATE] = "populate",     [MOP_FAULT] = "fault",
    [MOP_WRITE] = "write",	     [MOP_READ] = "read",
    [MOP_QUERY] = "query",	     [MOP_FIND_FREE] = "find_free",
    [MOP_SET_POLICY] = "set_policy", [MOP_ADVISE] = "advise",
    [MOP_COLLAPSE] = "collapse",     [MOP_KHUGEPAGED] = "khugepaged",
};

#define MODEL_2M_PAGES	 MODEL_PAGES(PAGE_SIZE_2M)
#define MODEL_MAX_BLOCKS ((int)(ENV_LIN_SIZE / PAGE_SIZE_2M)) /* 2M blocks of the largest model */

/* max_ptes_none of aspace_collapse (no collapse at all without CONFIG_MM_THP). */
#ifdef CONFIG_MM_THP_MAX_PTES_NONE
#define MODEL_MAX_PTES_NONE CONFIG_MM_THP_MAX_PTES_NONE
#else
#define MODEL_MAX_PTES_NONE 0
#endif

/* Where generated Linear areas map va (the generator may shift it by 4K). */
static paddr_t model_lin_pa(const struct model *m, vaddr_t va)
{
	return ENV_LIN_BASE + (va - m->base);
}

uint32_t model_frame_new(struct model_frames *fr, uint64_t pgsize)
{
	if (fr->nr == 0)
		fr->nr = 1; /* id 0 means "none" */
	if (fr->nr >= fr->cap) {
		fr->cap = fr->cap ? 2 * fr->cap : 1024;
		fr->refs = realloc(fr->refs, fr->cap * sizeof(*fr->refs));
		fr->pgsize = realloc(fr->pgsize, fr->cap * sizeof(*fr->pgsize));
		fr->pa = realloc(fr->pa, fr->cap * sizeof(*fr->pa));
		ENV_CHECK(fr->refs && fr->pgsize && fr->pa);
	}
	fr->refs[fr->nr] = 1;
	fr->pgsize[fr->nr] = pgsize;
	fr->pa[fr->nr] = 0;
	fr->live_4k += MODEL_PAGES(pgsize);
	return fr->nr++;
}

void model_frame_get(struct model_frames *fr, uint32_t id)
{
	ENV_CHECK(id > 0 && id < fr->nr && fr->refs[id] > 0);
	fr->refs[id]++;
}

/* n new 4K frame ids in a row, one reference each: the frames of a transparent page. */
static uint32_t model_frame_run(struct model_frames *fr, uint64_t n)
{
	uint32_t first = model_frame_new(fr, PAGE_SIZE_4K);

	for (uint64_t i = 1; i < n; i++)
		ENV_CHECK(model_frame_new(fr, PAGE_SIZE_4K) == first + i);
	return first;
}

enum aspace_thp_policy model_default_policy(void)
{
	if (!IS_ENABLED(CONFIG_MM_THP) || IS_ENABLED(CONFIG_MM_THP_NEVER))
		return ASPACE_THP_NEVER;
	return IS_ENABLED(CONFIG_MM_THP_ALWAYS) ? ASPACE_THP_ALWAYS : ASPACE_THP_MADVISE;
}

/* Drops one reference of frame id. */
static void model_frame_put(struct model_frames *fr, uint32_t id)
{
	ENV_CHECK(id > 0 && id < fr->nr && fr->refs[id] > 0);
	if (--fr->refs[id] == 0)
		fr->live_4k -= MODEL_PAGES(fr->pgsize[id]);
}

void model_frames_free(struct model_frames *fr)
{
	free(fr->refs);
	free(fr->pgsize);
	free(fr->pa);
	memset(fr, 0, sizeof(*fr));
}

void model_alloc(struct model *m, vaddr_t base, uint64_t size, uint64_t seed,
		 struct model_frames *fr, uint8_t *lin)
{
	memset(m, 0, sizeof(*m));
	ENV_CHECK(size + MODEL_LIN_SHIFT <= ENV_LIN_SIZE && IS_ALIGNED(base | size, PAGE_SIZE_2M));
	m->seed = seed;
	m->base = base;
	m->end = base + size;
	m->npages = MODEL_PAGES(size);
	m->mapped = calloc(m->npages, 1);
	m->bytes = calloc(size, 1);
	m->own_lin = lin == NULL;
	m->lin = lin ? lin : calloc(size + MODEL_LIN_SHIFT, 1);
	m->occ = calloc(m->npages + 1, sizeof(*m->occ));
	m->frame = calloc(m->npages, sizeof(*m->frame));
	m->pending = calloc(m->npages, 1);
	m->thp = calloc(size / PAGE_SIZE_2M, 1);
	m->policy = model_default_policy();
	m->frames = fr ? fr : &m->own_frames;
	ENV_CHECK(m->mapped && m->bytes && m->lin && m->occ && m->frame && m->pending && m->thp);
}

void model_free(struct model *m)
{
	free(m->mapped);
	free(m->bytes);
	if (m->own_lin)
		free(m->lin);
	free(m->occ);
	free(m->frame);
	free(m->pending);
	free(m->thp);
	model_frames_free(&m->own_frames);
	m->mapped = m->bytes = m->lin = m->pending = m->thp = NULL;
	m->occ = m->frame = NULL;
}

uint64_t model_heap_per_area(void)
{
	struct mem_snap before = mem_snap();
	void *probe = kmalloc(sizeof(struct aspace_area));
	uint64_t bytes;

	ENV_CHECK(probe != NULL);
	bytes = mem_snap().heap_bytes - before.heap_bytes;
	kfree(probe);
	return bytes;
}

void model_init(struct model *m, vaddr_t base, uint64_t size, uint64_t seed)
{
	env_init();
	model_alloc(m, base, size, seed, NULL, NULL);
	memset(phys_to_virt(ENV_LIN_BASE), 0, size + MODEL_LIN_SHIFT);
	m->heap_per_area = model_heap_per_area();
	m->base_mem = mem_snap();
	ENV_CHECK(aspace_create(&m->as, base, size) == 0);
	MODEL_CHECK(m, aspace_thp_policy(&m->as) == m->policy);
}

void model_fini(struct model *m)
{
	aspace_destroy(&m->as);
	MODEL_CHECK(m, mem_equal(mem_snap(), m->base_mem));
	model_free(m);
}

static bool model_flags_ok(unsigned flags)
{
	return !(flags & ~ASPACE_AREA_FLAGS) && (flags & (MAPF_READ | MAPF_EXEC)) &&
	       (!(flags & MAPF_WRITE) || (flags & MAPF_READ));
}

static bool model_pgsize_ok(uint64_t pg)
{
	return pg == PAGE_SIZE_4K || pg == PAGE_SIZE_2M || pg == PAGE_SIZE_1G;
}

static bool model_range_ok(const struct model *m, vaddr_t va, uint64_t size)
{
	return size > 0 && va >= m->base && va < m->end && size <= m->end - va;
}

uint64_t model_pg(const struct model *m, vaddr_t va)
{
	return MODEL_PAGES(va - m->base);
}

/* Index of the area containing va, or -1. */
static int model_find(const struct model *m, vaddr_t va)
{
	for (int i = 0; i < m->nr; i++)
		if (m->areas[i].start <= va && va < m->areas[i].end)
			return i;
	return -1;
}

static bool model_overlaps(const struct model *m, vaddr_t s, vaddr_t e)
{
	for (int i = 0; i < m->nr; i++)
		if (m->areas[i].start < e && s < m->areas[i].end)
			return true;
	return false;
}

static void model_insert(struct model *m, struct model_area a)
{
	int i = m->nr;

	MODEL_CHECK(m, m->nr < MODEL_MAX_AREAS);
	while (i > 0 && m->areas[i - 1].start > a.start) {
		m->areas[i] = m->areas[i - 1];
		i--;
	}
	m->areas[i] = a;
	m->nr++;
}

static void model_remove(struct model *m, int i)
{
	memmove(&m->areas[i], &m->areas[i + 1], (size_t)(m->nr - i - 1) * sizeof(m->areas[0]));
	m->nr--;
}

void model_page_set(struct model *m, vaddr_t page, uint64_t pg, uint32_t id, bool pending)
{
	for (uint64_t i = 0; i < MODEL_PAGES(pg); i++) {
		m->frame[model_pg(m, page) + i] = id;
		m->pending[model_pg(m, page) + i] = pending;
	}
}

/* The pending state of the page [page, page + pg); its frames stay. */
static void model_set_pending(struct model *m, vaddr_t page, uint64_t pg, bool pending)
{
	memset(m->pending + model_pg(m, page), pending, MODEL_PAGES(pg));
}

/* Index of the 2M block holding va. */
static uint64_t model_blk(const struct model *m, vaddr_t va)
{
	return (va - m->base) / PAGE_SIZE_2M;
}

/* True if va is in a transparent 2M page. */
static bool model_in_thp(const struct model *m, vaddr_t va)
{
	return m->thp[model_blk(m, va)];
}

/* The size of the page that maps va (mapped) of area a. */
static uint64_t model_page_size(const struct model *m, const struct model_area *a, vaddr_t va)
{
	return a->pgsize == PAGE_SIZE_4K && model_in_thp(m, va) ? PAGE_SIZE_2M : a->pgsize;
}

/* Maps the block at b with one transparent 2M page whose 4K frames are ids first, first + 1, ... */
static void model_thp_map(struct model *m, vaddr_t b, uint32_t first, bool pending)
{
	uint64_t pg = model_pg(m, b);

	for (uint64_t i = 0; i < MODEL_2M_PAGES; i++) {
		m->frame[pg + i] = first + (uint32_t)i;
		m->pending[pg + i] = pending;
	}
	memset(m->mapped + pg, 1, MODEL_2M_PAGES);
	m->thp[model_blk(m, b)] = 1;
}

/* Splits the transparent page at block b into 4K pages (same frames). */
static void model_thp_split(struct model *m, vaddr_t b)
{
	MODEL_CHECK(m, m->thp[model_blk(m, b)]);
	m->thp[model_blk(m, b)] = 0;
	m->thp_split++;
}

/* A boundary at `at`: splits the transparent page it falls strictly inside. */
static void model_cut(struct model *m, vaddr_t at)
{
	if (at > m->base && at < m->end && !IS_ALIGNED(at, PAGE_SIZE_2M) && model_in_thp(m, at))
		model_thp_split(m, ALIGN_DOWN(at, PAGE_SIZE_2M));
}

/* True if the policy and area a's advice let a fault map a transparent page in a. */
static bool model_thp_allowed(const struct model *m, const struct model_area *a)
{
	if (a->kind != ASPACE_BACKEND_ALLOC || a->pgsize != PAGE_SIZE_4K)
		return false;
	if (m->policy == ASPACE_THP_ALWAYS)
		return a->advice != ASPACE_ADV_NOHUGEPAGE;
	return m->policy == ASPACE_THP_MADVISE && a->advice == ASPACE_ADV_HUGEPAGE;
}

/* True if the 2M block at b lies inside area a. */
static bool model_block_inside(const struct model_area *a, vaddr_t b)
{
	return b >= a->start && a->end >= b + PAGE_SIZE_2M;
}

/* Mapped 4K pages of the 2M block at b. */
static uint64_t model_block_present(const struct model *m, vaddr_t b)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < MODEL_2M_PAGES; i++)
		n += m->mapped[model_pg(m, b) + i];
	return n;
}

/*
 * Marks the whole page of area a that contains va as mapped, with a new
 * frame for an Alloc page (a transparent 2M page where one is due);
 * returns false if it was mapped.
 */
static bool model_map_page(struct model *m, const struct model_area *a, vaddr_t va)
{
	vaddr_t page = ALIGN_DOWN(va, a->pgsize), b = ALIGN_DOWN(va, PAGE_SIZE_2M);

	if (m->mapped[model_pg(m, page)])
		return false;
	if (model_thp_allowed(m, a) && model_block_inside(a, b) && model_block_present(m, b) == 0) {
		model_thp_map(m, b, model_frame_run(m->frames, MODEL_2M_PAGES), false);
		m->thp_fault_alloc++;
		return true;
	}
	memset(m->mapped + model_pg(m, page), 1, MODEL_PAGES(a->pgsize));
	if (a->kind == ASPACE_BACKEND_ALLOC)
		model_page_set(m, page, a->pgsize, model_frame_new(m->frames, a->pgsize), false);
	return true;
}

void model_drop_pages(struct model *m, const struct model_area *a, vaddr_t s, vaddr_t e)
{
	if (a->kind == ASPACE_BACKEND_ALLOC) {
		for (vaddr_t va = s; va < e; va += a->pgsize)
			if (m->mapped[model_pg(m, va)])
				model_frame_put(m->frames, m->frame[model_pg(m, va)]);
		memset(m->bytes + (s - m->base), 0, e - s);
		memset(m->frame + model_pg(m, s), 0, MODEL_PAGES(e - s) * sizeof(*m->frame));
		memset(m->pending + model_pg(m, s), 0, MODEL_PAGES(e - s));
		for (vaddr_t b = ALIGN_DOWN(s, PAGE_SIZE_2M); b < e; b += PAGE_SIZE_2M) {
			if (a->pgsize != PAGE_SIZE_4K || !m->thp[model_blk(m, b)])
				continue;
			MODEL_CHECK(m, b >= s && b + PAGE_SIZE_2M <= e);
			m->thp[model_blk(m, b)] = 0;
		}
	}
	memset(m->mapped + model_pg(m, s), 0, MODEL_PAGES(e - s));
}

/* References of the frame behind the mapped Alloc page at va. */
static uint32_t model_refs(const struct model *m, vaddr_t va)
{
	return m->frames->refs[m->frame[model_pg(m, va)]];
}

/* The most references among the mapped 4K frames of the 2M block at b. */
static uint32_t model_block_refs(const struct model *m, vaddr_t b)
{
	uint32_t most = 0;

	for (vaddr_t va = b; va < b + PAGE_SIZE_2M; va += PAGE_SIZE_4K)
		if (m->mapped[model_pg(m, va)] && model_refs(m, va) > most)
			most = model_refs(m, va);
	return most;
}

/* True if the page of area a at va is shared: for a transparent page, any part of it. */
static bool model_page_shared(const struct model *m, const struct model_area *a, vaddr_t va)
{
	if (model_page_size(m, a, va) != a->pgsize)
		return model_block_refs(m, ALIGN_DOWN(va, PAGE_SIZE_2M)) > 1;
	return model_refs(m, va) > 1;
}

/*
 * The mapped Alloc page of area a at `page` gets a copy of its frame: one
 * reference less for the old frame, a new one (a COW copy).
 */
static void model_copy_page(struct model *m, const struct model_area *a, vaddr_t page, bool pending)
{
	model_frame_put(m->frames, m->frame[model_pg(m, page)]);
	model_page_set(m, page, a->pgsize, model_frame_new(m->frames, a->pgsize), pending);
	m->cow_copies++;
}

/*
 * A write to the page containing va of area a: breaks COW if it is pending.
 * A transparent page nobody else maps any part of gets write back whole;
 * one that is shared is split, and the 4K page written breaks COW alone.
 */
static void model_write_page(struct model *m, const struct model_area *a, vaddr_t va)
{
	vaddr_t page = ALIGN_DOWN(va, a->pgsize), b = ALIGN_DOWN(va, PAGE_SIZE_2M);

	if (a->kind != ASPACE_BACKEND_ALLOC || !m->pending[model_pg(m, page)])
		return;
	m->cow_faults++;
	if (model_page_size(m, a, va) != a->pgsize) {
		if (model_block_refs(m, b) == 1) {
			model_set_pending(m, b, PAGE_SIZE_2M, false);
			m->thp_cow_restores++;
			return;
		}
		model_thp_split(m, b);
		m->thp_cow_splits++;
	}
	if (model_refs(m, page) > 1)
		model_copy_page(m, a, page, false);
	else
		model_set_pending(m, page, a->pgsize, false);
}

/* A write to every page overlapping [s, e) (all mapped, in areas that allow it). */
static void model_write_range(struct model *m, vaddr_t s, vaddr_t e)
{
	for (vaddr_t va = s; va < e; va += PAGE_SIZE_4K)
		model_write_page(m, &m->areas[model_find(m, va)], va);
}

/* Splits area i at `at` (inside it); the right part becomes area i + 1. */
static void model_split(struct model *m, int i, vaddr_t at)
{
	struct model_area right = m->areas[i];

	right.start = at;
	m->areas[i].end = at;
	model_insert(m, right);
}

static int model_expect_new_area(const struct model *m, vaddr_t va, uint64_t size, unsigned flags,
				 uint64_t pg)
{
	if (!model_pgsize_ok(pg) || !model_flags_ok(flags))
		return -EINVAL;
	if (!IS_ALIGNED(va, pg) || !IS_ALIGNED(size, pg) || !model_range_ok(m, va, size))
		return -EINVAL;
	return model_overlaps(m, va, va + size) ? -EEXIST : 0;
}

static bool model_cut_ok(const struct model_area *a, vaddr_t s, vaddr_t e)
{
	vaddr_t cs = s > a->start ? s : a->start, ce = e < a->end ? e : a->end;

	return IS_ALIGNED(cs, a->pgsize) && IS_ALIGNED(ce, a->pgsize);
}

static bool model_range4k_ok(const struct model *m, vaddr_t va, uint64_t size)
{
	return IS_ALIGNED(va, PAGE_SIZE_4K) && IS_ALIGNED(size, PAGE_SIZE_4K) &&
	       model_range_ok(m, va, size);
}

static int model_expect_unmap(const struct model *m, vaddr_t va, uint64_t size)
{
	if (!model_range4k_ok(m, va, size))
		return -EINVAL;
	for (int i = 0; i < m->nr; i++)
		if (m->areas[i].start < va + size && va < m->areas[i].end &&
		    !model_cut_ok(&m->areas[i], va, va + size))
			return -EINVAL;
	return 0;
}

/* Coverage of [s, e) by areas in address order: -ENOENT hole, -EFAULT forbidden. */
static int model_expect_covered(const struct model *m, vaddr_t s, vaddr_t e, unsigned access,
				bool check_cut)
{
	vaddr_t covered = s;

	for (int i = 0; i < m->nr && covered < e; i++) {
		const struct model_area *a = &m->areas[i];

		if (a->end <= s)
			continue;
		if (a->start > covered)
			return -ENOENT;
		if (check_cut && !model_cut_ok(a, s, e))
			return -EINVAL;
		if (access & ~a->flags)
			return -EFAULT;
		covered = a->end;
	}
	return covered < e ? -ENOENT : 0;
}

static const unsigned model_good_flags[] = {
    MAPF_READ,
    MAPF_READ | MAPF_WRITE,
    MAPF_READ | MAPF_EXEC,
    MAPF_READ | MAPF_WRITE | MAPF_EXEC,
    MAPF_EXEC,
    MAPF_READ | MAPF_WRITE | MAPF_USER,
};

static const unsigned model_bad_flags[] = {0, MAPF_WRITE, MAPF_READ | MAPF_GLOBAL};

static unsigned model_gen_flags(struct test_src *s)
{
	if (test_src_chance(s, 3))
		return model_bad_flags[test_src_below(s,
						      sizeof(model_bad_flags) / sizeof(unsigned))];
	return model_good_flags[test_src_below(s, sizeof(model_good_flags) / sizeof(unsigned))];
}

static uint64_t model_gen_pgsize(struct test_src *s)
{
	uint64_t r = test_src_below(s, 100);

	return r < 2 ? 0x2000 : r < 3 ? PAGE_SIZE_1G : r < 75 ? PAGE_SIZE_4K : PAGE_SIZE_2M;
}

/* An address near or in the space, usually aligned to pg. */
static vaddr_t model_gen_va(const struct model *m, struct test_src *s, uint64_t pg)
{
	const uint64_t slack = 16;
	vaddr_t va = m->base - slack * PAGE_SIZE_4K +
		     test_src_below(s, m->npages + 2 * slack) * PAGE_SIZE_4K;

	if (pg > PAGE_SIZE_4K && model_pgsize_ok(pg) && !test_src_chance(s, 10))
		va = ALIGN_DOWN(va, pg);
	if (test_src_chance(s, 2))
		va += 1 + test_src_below(s, PAGE_SIZE_4K - 1);
	return va;
}

/* A size, usually a few pages of pg. */
static uint64_t model_gen_size(const struct model *m, struct test_src *s, uint64_t pg)
{
	uint64_t unit = model_pgsize_ok(pg) ? pg : PAGE_SIZE_4K;
	uint64_t max_units = unit == PAGE_SIZE_4K ? 48 : 4;
	uint64_t size = (1 + test_src_below(s, max_units)) * unit;

	if (m->nr > MODEL_BUSY_AREAS && test_src_chance(s, 50))
		size = (1 + test_src_below(s, m->npages / 4)) * PAGE_SIZE_4K;
	if (test_src_chance(s, 3))
		size = test_src_chance(s, 50) ? 0 : size + PAGE_SIZE_4K;
	if (test_src_chance(s, 1))
		size = UINT64_MAX - test_src_below(s, 4) * PAGE_SIZE_4K;
	return size;
}

/*
 * A free 2M-aligned range of size bytes, or (none is free) a 2M-aligned one
 * to unmap first: returns false then.
 */
static bool model_gen_free_blocks(const struct model *m, struct test_src *s, uint64_t size,
				  vaddr_t *va)
{
	vaddr_t free[MODEL_MAX_BLOCKS];
	int n = 0;

	for (vaddr_t b = m->base; b + size <= m->end; b += PAGE_SIZE_2M)
		if (!model_overlaps(m, b, b + size))
			free[n++] = b;
	if (n == 0) {
		*va = m->base + test_src_below(s, (m->end - m->base - size) / PAGE_SIZE_2M + 1) *
				    PAGE_SIZE_2M;
		return false;
	}
	*va = free[test_src_below(s, (uint64_t)n)];
	return true;
}

/* An Alloc area of 4K pages that holds a whole 2M block (one may be transparent), or NULL. */
static const struct model_area *model_gen_thp_area(const struct model *m, struct test_src *s)
{
	int idx[MODEL_MAX_AREAS], n = 0;

	for (int i = 0; i < m->nr; i++) {
		const struct model_area *a = &m->areas[i];

		if (a->kind == ASPACE_BACKEND_ALLOC && a->pgsize == PAGE_SIZE_4K &&
		    model_block_inside(a, ALIGN_UP(a->start, PAGE_SIZE_2M)))
			idx[n++] = i;
	}
	return n ? &m->areas[idx[test_src_below(s, (uint64_t)n)]] : NULL;
}

/* An area, often one that may hold transparent pages. */
static const struct model_area *model_gen_area(const struct model *m, struct test_src *s)
{
	const struct model_area *a = test_src_chance(s, 40) ? model_gen_thp_area(m, s) : NULL;

	return a ? a : &m->areas[test_src_below(s, (uint64_t)m->nr)];
}

/*
 * A range aimed at an existing area (when there is one): it starts inside
 * the area, usually on the area's page size, and is a few of its pages long,
 * sometimes running past its end. *a_out is the area (NULL if none).
 */
static bool model_gen_target(const struct model *m, struct test_src *s, vaddr_t *va, uint64_t *size,
			     const struct model_area **a_out)
{
	const struct model_area *a;
	uint64_t unit;

	*a_out = NULL;
	if (m->nr == 0 || test_src_chance(s, 25))
		return false;
	a = model_gen_area(m, s);
	unit = test_src_chance(s, 85) ? a->pgsize : PAGE_SIZE_4K;
	*va = a->start + test_src_below(s, (a->end - a->start) / unit) * unit;
	*size = (1 + test_src_below(s, 3)) * unit;
	if (test_src_chance(s, 30))
		*size = a->end - *va;
	if (test_src_chance(s, 10))
		*size += (1 + test_src_below(s, 3)) * unit;
	*a_out = a;
	return true;
}

/* An access kind, usually one the targeted area allows. */
static unsigned model_gen_access(struct test_src *s, const struct model_area *a)
{
	if (test_src_chance(s, 2))
		return 1u << 3;
	if (a && test_src_chance(s, 75))
		return a->flags & (unsigned)test_src_below(s, 8) & ASPACE_ACCESS_MASK;
	return (unsigned)test_src_below(s, 8);
}

struct model_op model_gen(const struct model *m, struct test_src *s)
{
	struct model_op op = {.fail_after = -1};
	static const uint8_t weights[MOP_NR] = {14, 6, 14, 10, 6, 14, 12, 10, 6, 6, 2, 4, 3, 6};
	uint64_t r = test_src_below(s, 113), acc = 0;
	const struct model_area *a = NULL;

	op.kind = MOP_NR - 1;
	for (int k = 0; k < MOP_NR; k++) {
		acc += weights[k];
		if (r < acc) {
			op.kind = (enum model_op_kind)k;
			break;
		}
	}
	if (m->nr > MODEL_BUSY_AREAS && test_src_chance(s, 30))
		op.kind = MOP_UNMAP;
	op.pgsize = model_gen_pgsize(s);
	switch (op.kind) {
	case MOP_MAP_ALLOC:
	case MOP_MAP_LINEAR:
		op.va = model_gen_va(m, s, op.pgsize);
		if (m->nr > 0 && model_pgsize_ok(op.pgsize) &&
		    test_src_chance(s, 30)) /* adjacent */
			op.va =
			    ALIGN_UP(m->areas[test_src_below(s, (uint64_t)m->nr)].end, op.pgsize);
		op.size = model_gen_size(m, s, op.pgsize);
		op.flags = model_gen_flags(s);
		op.populate = test_src_chance(s, 40);
		op.pa = model_lin_pa(m, op.va);
		if (test_src_chance(s, 3))
			op.pa += MODEL_LIN_SHIFT;
		/* A Linear area in an empty 2M range: it needs a new table. */
		if (op.kind == MOP_MAP_LINEAR && op.pgsize == PAGE_SIZE_4K &&
		    test_src_chance(s, 30) && model_gen_free_blocks(m, s, PAGE_SIZE_2M, &op.va))
			op.pa = model_lin_pa(m, op.va);
		/* 4K areas of whole 2M blocks (give or take a page), for transparent pages. */
		if (op.kind == MOP_MAP_ALLOC && op.pgsize == PAGE_SIZE_4K &&
		    test_src_chance(s, 60)) {
			op.size = (1 + test_src_below(s, 2)) * PAGE_SIZE_2M;
			if (!model_gen_free_blocks(m, s, op.size, &op.va))
				op.kind = MOP_UNMAP; /* make room */
			if (test_src_chance(s, 15))
				op.va -= PAGE_SIZE_4K;
			if (test_src_chance(s, 15))
				op.size += PAGE_SIZE_4K;
		}
		break;
	case MOP_UNMAP:
	case MOP_PROTECT:
	case MOP_POPULATE:
		if (!model_gen_target(m, s, &op.va, &op.size, &a)) {
			uint64_t unit = test_src_chance(s, 30) ? PAGE_SIZE_2M : PAGE_SIZE_4K;
			op.va = model_gen_va(m, s, unit);
			op.size = model_gen_size(m, s, unit);
		}
		op.flags = model_gen_flags(s);
		op.access = model_gen_access(s, a);
		break;
	case MOP_FAULT:
	case MOP_QUERY:
	case MOP_WRITE:
	case MOP_READ:
		if (!model_gen_target(m, s, &op.va, &op.size, &a))
			op.va = model_gen_va(m, s, PAGE_SIZE_4K);
		op.va += test_src_below(s, PAGE_SIZE_4K);
		op.access = model_gen_access(s, a);
		op.size = test_src_below(s, MODEL_MAX_IO + 1);
		op.pattern = (uint8_t)test_src_below(s, 256);
		break;
	case MOP_FIND_FREE:
		op.va = model_gen_va(m, s, PAGE_SIZE_4K);
		op.size = test_src_chance(s, 5) ? 0 : 1 + test_src_below(s, 4 * PAGE_SIZE_2M);
		op.limit = m->base + test_src_below(s, m->npages + 64) * PAGE_SIZE_4K;
		op.align = PAGE_SIZE_4K << test_src_below(s, 11);
		if (test_src_chance(s, 3))
			op.align = test_src_chance(s, 50) ? 0x800 : 0x3000;
		break;
	case MOP_SET_POLICY:
		/* Any of the three; sometimes a value that is no policy. */
		op.policy = (int)test_src_below(s, 3);
		if (test_src_chance(s, 10))
			op.policy = test_src_chance(s, 50) ? -1 : 3;
		break;
	case MOP_COLLAPSE:
		/* Mostly a whole area, sometimes widened to 2M (maybe over a hole). */
		a = test_src_chance(s, 50) ? model_gen_thp_area(m, s) : NULL;
		if (!a && m->nr > 0 && test_src_chance(s, 50))
			a = &m->areas[test_src_below(s, (uint64_t)m->nr)];
		if (a) {
			op.va = a->start;
			op.size = a->end - a->start;
			if (test_src_chance(s, 25)) {
				op.va = ALIGN_DOWN(a->start, PAGE_SIZE_2M);
				op.size = ALIGN_UP(a->end, PAGE_SIZE_2M) - op.va;
			}
			break;
		}
		/* fall through */
	case MOP_ADVISE:
		if (!model_gen_target(m, s, &op.va, &op.size, &a)) {
			uint64_t unit = test_src_chance(s, 50) ? PAGE_SIZE_2M : PAGE_SIZE_4K;
			op.va = model_gen_va(m, s, unit);
			op.size = model_gen_size(m, s, unit);
		} else if (test_src_chance(s, 40)) {
			op.va = a->start; /* the whole area */
			op.size = a->end - a->start;
		}
		op.advice = test_src_chance(s, 50) ? ASPACE_ADV_HUGEPAGE : ASPACE_ADV_NOHUGEPAGE;
		if (test_src_chance(s, 4))
			op.advice =
			    test_src_chance(s, 50) ? ASPACE_ADV_NONE : (enum aspace_advice)7;
		break;
	case MOP_KHUGEPAGED:
		op.max_blocks =
		    test_src_chance(s, 50) ? test_src_below(s, 4) : test_src_below(s, 24);
		break;
	case MOP_NR:
		break;
	}
	if (op.kind != MOP_QUERY && op.kind != MOP_FIND_FREE && op.kind != MOP_SET_POLICY &&
	    test_src_chance(s, 12))
		op.fail_after = test_src_chance(s, 50) ? 0 : (long)test_src_below(s, 8);
	/* A collapse takes a frame a block: fail one of the first few. */
	if ((op.kind == MOP_COLLAPSE || op.kind == MOP_KHUGEPAGED) && test_src_chance(s, 30))
		op.fail_after = (long)test_src_below(s, 3);
	return op;
}

static void model_describe(struct model *m, const struct model_op *op)
{
	snprintf(m->op_text, sizeof(m->op_text),
		 "%s va=%#lx size=%#lx pa=%#lx flags=%#x pgsize=%#lx populate=%d access=%#x "
		 "limit=%#lx align=%#lx policy=%d advice=%d max_blocks=%lu fail_after=%ld",
		 model_op_names[op->kind], (unsigned long)op->va, (unsigned long)op->size,
		 (unsigned long)op->pa, op->flags, (unsigned long)op->pgsize, op->populate,
		 op->access, (unsigned long)op->limit, (unsigned long)op->align, op->policy,
		 (int)op->advice, (unsigned long)op->max_blocks, op->fail_after);
}

/* Compares a real result with the prediction; true if the model should apply it. */
static bool model_result(struct model *m, const struct model_op *op, int want, int got)
{
	if (got == want) {
		m->outcomes[op->kind][want == 0 ? MODEL_OK : MODEL_ERROR]++;
		return want == 0;
	}
	MODEL_CHECK(m, op->fail_after >= 0 && want == 0 && got == -ENOMEM);
	m->outcomes[op->kind][MODEL_INJECTED]++;
	return false;
}

void model_clone_from(struct model *dst, struct model *src, bool share)
{
	dst->nr = src->nr;
	memcpy(dst->areas, src->areas, (size_t)src->nr * sizeof(src->areas[0]));
	memcpy(dst->mapped, src->mapped, src->npages);
	memcpy(dst->bytes, src->bytes, src->end - src->base);
	memcpy(dst->thp, src->thp, (src->end - src->base) / PAGE_SIZE_2M);
	dst->policy = src->policy;
	for (int i = 0; i < src->nr; i++) {
		const struct model_area *a = &src->areas[i];
		bool pending = share && (a->flags & MAPF_WRITE);
		uint64_t pg;

		if (a->kind != ASPACE_BACKEND_ALLOC)
			continue;
		for (vaddr_t va = a->start; va < a->end; va += pg) {
			uint64_t p = model_pg(src, va);

			pg = a->pgsize;
			if (!src->mapped[p])
				continue;
			pg = model_page_size(src, a, va);
			if (!share) {
				if (pg != a->pgsize)
					model_thp_map(dst, va,
						      model_frame_run(dst->frames, MODEL_2M_PAGES),
						      false);
				else
					model_page_set(dst, va, pg,
						       model_frame_new(dst->frames, pg), false);
				continue;
			}
			/* A transparent page's 4K frames get a reference each, others one. */
			for (uint64_t k = 0; k < (pg != a->pgsize ? MODEL_PAGES(pg) : 1); k++)
				model_frame_get(src->frames, src->frame[p + k]);
			memcpy(dst->frame + p, src->frame + p,
			       MODEL_PAGES(pg) * sizeof(*src->frame));
			model_set_pending(src, va, pg, pending);
			model_set_pending(dst, va, pg, pending);
		}
	}
}

/* Faults in (for read/write) every absent Alloc page overlapping [s, e); returns pages mapped. */
static uint64_t model_fault_in(struct model *m, vaddr_t s, vaddr_t e)
{
	uint64_t n = 0;

	for (vaddr_t va = s; va < e; va += PAGE_SIZE_4K) {
		const struct model_area *a = &m->areas[model_find(m, va)];

		if (a->kind == ASPACE_BACKEND_ALLOC)
			n += model_map_page(m, a, va);
	}
	return n;
}

static void model_do_map(struct model *m, const struct model_op *op)
{
	bool linear = op->kind == MOP_MAP_LINEAR;
	int want = model_expect_new_area(m, op->va, op->size, op->flags, op->pgsize);
	int got;

	if (linear && (!model_pgsize_ok(op->pgsize) || !IS_ALIGNED(op->pa, op->pgsize)))
		want = -EINVAL;
	got = linear
		  ? aspace_map_linear(&m->as, op->va, op->pa, op->size, op->flags, op->pgsize)
		  : aspace_map_alloc(&m->as, op->va, op->size, op->flags, op->populate, op->pgsize);
	if (!model_result(m, op, want, got))
		return;
	struct model_area a = {
	    op->va,	     op->va + op->size,
	    op->flags,	     linear ? ASPACE_BACKEND_LINEAR : ASPACE_BACKEND_ALLOC,
	    op->pgsize,	     !linear && op->populate,
	    op->va - op->pa, ASPACE_ADV_NONE};
	model_insert(m, a);
	if (linear || op->populate)
		for (vaddr_t va = a.start; va < a.end; va += a.pgsize)
			model_map_page(m, &a, va);
}

static void model_do_unmap(struct model *m, const struct model_op *op)
{
	vaddr_t s = op->va, e = op->va + op->size;

	if (!model_result(m, op, model_expect_unmap(m, op->va, op->size),
			  aspace_unmap(&m->as, op->va, op->size)))
		return;
	model_cut(m, s);
	model_cut(m, e);
	for (int i = 0; i < m->nr; i++) {
		struct model_area *a = &m->areas[i];
		vaddr_t cs = s > a->start ? s : a->start, ce = e < a->end ? e : a->end;

		if (cs >= ce)
			continue;
		model_drop_pages(m, a, cs, ce);
		if (cs == a->start && ce == a->end) {
			model_remove(m, i--);
		} else if (cs == a->start) {
			a->start = ce;
		} else if (ce == a->end) {
			a->end = cs;
		} else {
			model_split(m, i, ce);
			m->areas[i].end = cs;
			i++;
		}
	}
}

/*
 * Area a (inside a protect's range) gets `flags`. Adding write copies its
 * shared pages (COW broken), a transparent page split first as its 4K pages
 * would be copied; then a page stays COW-pending only where the new flags
 * allow write and its frame (any part of a transparent one) is still shared.
 */
static void model_protect_pages(struct model *m, struct model_area *a, unsigned flags)
{
	bool adds_write = (flags & MAPF_WRITE) && !(a->flags & MAPF_WRITE);

	a->flags = flags;
	if (a->kind != ASPACE_BACKEND_ALLOC)
		return;
	for (vaddr_t va = a->start; adds_write && va < a->end; va += a->pgsize) {
		if (!m->mapped[model_pg(m, va)] || model_refs(m, va) == 1)
			continue;
		if (model_page_size(m, a, va) != a->pgsize)
			model_thp_split(m, ALIGN_DOWN(va, PAGE_SIZE_2M));
		m->cow_faults++;
		model_copy_page(m, a, va, false);
	}
	for (vaddr_t va = a->start; va < a->end; va += a->pgsize)
		if (m->mapped[model_pg(m, va)])
			model_set_pending(m, va, a->pgsize,
					  (flags & MAPF_WRITE) && model_page_shared(m, a, va));
}

/*
 * What protect and advise do to the model once they succeeded: the
 * transparent pages the range's ends cut split, the areas split at the
 * ends, and each area of [s, e) gets op's flags (protect) or advice.
 */
static void model_retag(struct model *m, const struct model_op *op, vaddr_t s, vaddr_t e)
{
	model_cut(m, s);
	model_cut(m, e);
	for (int i = 0; i < m->nr; i++) {
		if (m->areas[i].end <= s || m->areas[i].start >= e)
			continue;
		if (m->areas[i].start < s) {
			model_split(m, i, s);
			continue; /* the right part, next in the array, is handled next */
		}
		if (m->areas[i].end > e)
			model_split(m, i, e);
		if (op->kind == MOP_PROTECT)
			model_protect_pages(m, &m->areas[i], op->flags);
		else
			m->areas[i].advice = op->advice;
	}
}

static void model_do_protect(struct model *m, const struct model_op *op)
{
	vaddr_t s = op->va, e = op->va + op->size;
	int want = -EINVAL;

	if (model_range4k_ok(m, op->va, op->size) && model_flags_ok(op->flags))
		want = model_expect_covered(m, s, e, 0, true);
	if (model_result(m, op, want, aspace_protect(&m->as, op->va, op->size, op->flags)))
		model_retag(m, op, s, e);
}

static void model_do_populate(struct model *m, const struct model_op *op)
{
	vaddr_t s = op->va, e = op->va + op->size;
	int want = -EINVAL;

	if (model_range4k_ok(m, op->va, op->size) && !(op->access & ~ASPACE_ACCESS_MASK))
		want = model_expect_covered(m, s, e, op->access, false);
	if (!model_result(m, op, want, aspace_populate(&m->as, op->va, op->size, op->access)))
		return;
	model_fault_in(m, s, e);
	if (op->access & ACCESS_WRITE)
		model_write_range(m, s, e);
}

static void model_do_fault(struct model *m, const struct model_op *op)
{
	int i = model_find(m, op->va);
	int want = 0;

	if (op->access & ~ASPACE_ACCESS_MASK)
		want = -EINVAL;
	else if (i < 0 || (op->access & ~m->areas[i].flags))
		want = -EFAULT;
	if (!model_result(m, op, want, aspace_handle_page_fault(&m->as, op->va, op->access)))
		return;
	if (model_map_page(m, &m->areas[i], op->va))
		m->faults++;
	else if ((op->access & ACCESS_WRITE) && m->pending[model_pg(m, op->va)])
		model_write_page(m, &m->areas[i], op->va);
	else
		m->spurious++;
}

/* The bytes va holds in the model. */
static uint8_t *model_byte(struct model *m, vaddr_t va)
{
	const struct model_area *a = &m->areas[model_find(m, va)];

	if (a->kind == ASPACE_BACKEND_ALLOC)
		return &m->bytes[va - m->base];
	return &m->lin[va - a->off - ENV_LIN_BASE];
}

static void model_do_io(struct model *m, const struct model_op *op)
{
	bool write = op->kind == MOP_WRITE;
	uint8_t buf[MODEL_MAX_IO];
	int want = 0, got;

	for (uint64_t i = 0; i < op->size; i++)
		buf[i] = (uint8_t)(op->pattern + i * 13);
	if (op->size > 0) {
		if (!model_range_ok(m, op->va, op->size))
			want = -EFAULT;
		else if (model_expect_covered(m, ALIGN_DOWN(op->va, PAGE_SIZE_4K),
					      ALIGN_UP(op->va + op->size, PAGE_SIZE_4K),
					      write ? ACCESS_WRITE : ACCESS_READ, false))
			want = -EFAULT;
	}
	got = write ? aspace_write(&m->as, op->va, buf, op->size)
		    : aspace_read(&m->as, op->va, buf, op->size);
	if (!model_result(m, op, want, got) || op->size == 0)
		return;
	m->faults += model_fault_in(m, ALIGN_DOWN(op->va, PAGE_SIZE_4K),
				    ALIGN_UP(op->va + op->size, PAGE_SIZE_4K));
	if (write)
		model_write_range(m, ALIGN_DOWN(op->va, PAGE_SIZE_4K),
				  ALIGN_UP(op->va + op->size, PAGE_SIZE_4K));
	for (uint64_t i = 0; i < op->size; i++) {
		if (write)
			*model_byte(m, op->va + i) = buf[i];
		else
			MODEL_CHECK(m, buf[i] == *model_byte(m, op->va + i));
	}
}

static void model_do_set_policy(struct model *m, const struct model_op *op)
{
	bool known = op->policy == ASPACE_THP_NEVER || op->policy == ASPACE_THP_MADVISE ||
		     op->policy == ASPACE_THP_ALWAYS;
	int want =
	    known && (IS_ENABLED(CONFIG_MM_THP) || op->policy == ASPACE_THP_NEVER) ? 0 : -EINVAL;

	if (model_result(m, op, want,
			 aspace_set_thp_policy(&m->as, (enum aspace_thp_policy)op->policy)))
		m->policy = (enum aspace_thp_policy)op->policy;
}

void model_set_policy(struct model *m, enum aspace_thp_policy policy)
{
	struct model_op op = {.kind = MOP_SET_POLICY, .policy = (int)policy, .fail_after = -1};

	model_run(m, &op);
	MODEL_CHECK(m, m->policy == policy);
}

/* Advice: split at the range's ends as protect does, transparent pages cut there split. */
static void model_do_advise(struct model *m, const struct model_op *op)
{
	vaddr_t s = op->va, e = op->va + op->size;
	int want = -EINVAL;

	if (model_range4k_ok(m, op->va, op->size) &&
	    (op->advice == ASPACE_ADV_HUGEPAGE || op->advice == ASPACE_ADV_NOHUGEPAGE))
		want = model_expect_covered(m, s, e, 0, true);
	if (model_result(m, op, want, aspace_advise(&m->as, op->va, op->size, op->advice)))
		model_retag(m, op, s, e);
}

/*
 * True if aspace_collapse would collapse the 2M block at b of area a: an
 * Alloc area of 4K pages not advised NOHUGEPAGE holding the whole block,
 * which is not one page already, has at most max_ptes_none pages unmapped
 * and no page shared.
 */
static bool model_collapsible(const struct model *m, const struct model_area *a, vaddr_t b)
{
	if (a->kind != ASPACE_BACKEND_ALLOC || a->pgsize != PAGE_SIZE_4K ||
	    a->advice == ASPACE_ADV_NOHUGEPAGE || !model_block_inside(a, b) ||
	    m->thp[model_blk(m, b)])
		return false;
	if (MODEL_2M_PAGES - model_block_present(m, b) > MODEL_MAX_PTES_NONE)
		return false;
	return model_block_refs(m, b) == 1;
}

/* The block at b becomes one transparent page on a new frame; the 4K frames go. */
static void model_collapse_block(struct model *m, vaddr_t b)
{
	for (vaddr_t va = b; va < b + PAGE_SIZE_2M; va += PAGE_SIZE_4K)
		if (m->mapped[model_pg(m, va)])
			model_frame_put(m->frames, m->frame[model_pg(m, va)]);
	model_thp_map(m, b, model_frame_run(m->frames, MODEL_2M_PAGES), false);
	m->thp_collapse++;
}

/* How many of the n blocks the space maps with one 2M page. */
static int model_count_2m(const struct model *m, const vaddr_t *blocks, int n)
{
	int done = 0;

	for (int k = 0; k < n; k++) {
		uint64_t pgsize;

		if (aspace_query(&m->as, blocks[k], NULL, NULL, &pgsize) == 0 &&
		    pgsize == PAGE_SIZE_2M)
			done++;
	}
	return done;
}

/*
 * Applies the first `done` of the n blocks a collapse or scan step meant to
 * collapse (all of them, or those before the one an injected failure hit,
 * which the space must show as the only 2M ones among them).
 */
static void model_collapse_prefix(struct model *m, const struct model_op *op, const vaddr_t *blocks,
				  int n, int done)
{
	MODEL_CHECK(m, done >= 0 && done <= n);
	if (done < n) {
		MODEL_CHECK(m, op->fail_after >= 0);
		m->thp_collapse_failed++;
	}
	for (int k = 0; k < n; k++) {
		uint64_t pgsize = 0;

		aspace_query(&m->as, blocks[k], NULL, NULL, &pgsize);
		MODEL_CHECK(m, (pgsize == PAGE_SIZE_2M) == (k < done));
		if (k < done)
			model_collapse_block(m, blocks[k]);
	}
}

static void model_do_collapse(struct model *m, const struct model_op *op)
{
	vaddr_t s = op->va, e = op->va + op->size;
	vaddr_t blocks[MODEL_MAX_BLOCKS];
	int want = -EINVAL, n = 0, got;

	if (IS_ENABLED(CONFIG_MM_THP) && model_range4k_ok(m, op->va, op->size))
		want = model_expect_covered(m, s, e, 0, false);
	for (vaddr_t b = ALIGN_UP(s, PAGE_SIZE_2M); want == 0 && b < e && e - b >= PAGE_SIZE_2M;
	     b += PAGE_SIZE_2M) {
		int i = model_find(m, b);

		if (model_collapsible(m, &m->areas[i], b)) {
			MODEL_CHECK(m, n < MODEL_MAX_BLOCKS);
			blocks[n++] = b;
		}
	}
	got = aspace_collapse(&m->as, op->va, op->size);
	if (want < 0) {
		model_result(m, op, want, got);
		return;
	}
	if (got == n) {
		m->outcomes[op->kind][MODEL_OK]++;
		model_collapse_prefix(m, op, blocks, n, n);
		return;
	}
	/* An injected failure: the blocks before the one without a frame stay collapsed. */
	MODEL_CHECK(m, op->fail_after >= 0 && got == -ENOMEM && n > 0);
	m->outcomes[op->kind][MODEL_INJECTED]++;
	model_collapse_prefix(m, op, blocks, n, model_count_2m(m, blocks, n));
}

/* The first 2M block at or after `from` in an area where transparent pages are allowed, or 0. */
static vaddr_t model_scan_next(const struct model *m, vaddr_t from, int *area)
{
	for (int i = 0; i < m->nr; i++) {
		const struct model_area *a = &m->areas[i];
		vaddr_t b = ALIGN_UP(from > a->start ? from : a->start, PAGE_SIZE_2M);

		if (a->end > from && model_thp_allowed(m, a) && model_block_inside(a, b)) {
			*area = i;
			return b;
		}
	}
	return 0;
}

/*
 * One scan step from where the space says the last one stopped: up to
 * max_blocks blocks of the areas where transparent pages are allowed, in
 * address order, wrapping once to the start of the space; the collapsible
 * ones are collapsed (each once: a block seen again after the wrap is huge).
 */
static void model_do_khugepaged(struct model *m, const struct model_op *op)
{
	vaddr_t blocks[MODEL_MAX_BLOCKS], from = m->as.khugepaged_next;
	uint64_t seen = 0, got;
	bool wrapped = false;
	int n = 0;

	while (seen < op->max_blocks) {
		int i;
		vaddr_t b = model_scan_next(m, from, &i);
		bool again = false;

		if (b == 0) {
			if (wrapped)
				break;
			wrapped = true;
			from = m->base;
			continue;
		}
		seen++;
		from = b + PAGE_SIZE_2M;
		for (int k = 0; k < n; k++)
			again |= blocks[k] == b;
		if (!again && model_collapsible(m, &m->areas[i], b)) {
			MODEL_CHECK(m, n < MODEL_MAX_BLOCKS);
			blocks[n++] = b;
		}
	}
	got = aspace_khugepaged_scan(&m->as, op->max_blocks);
	if (got == (uint64_t)n) {
		m->outcomes[op->kind][n > 0 ? MODEL_OK : MODEL_ERROR]++;
	} else {
		MODEL_CHECK(m, op->fail_after >= 0 && got < (uint64_t)n);
		m->outcomes[op->kind][MODEL_INJECTED]++;
	}
	model_collapse_prefix(m, op, blocks, n, (int)got);
}

/* The PTE permissions the page at va of area a must have: without write where COW-pending. */
static unsigned model_pte_perm(const struct model *m, const struct model_area *a, vaddr_t va)
{
	return m->pending[model_pg(m, va)] ? a->flags & ~MAPF_WRITE : a->flags;
}

static void model_do_query(struct model *m, const struct model_op *op)
{
	paddr_t pa;
	unsigned flags;
	uint64_t pgsize;
	int got = aspace_query(&m->as, op->va, &pa, &flags, &pgsize);

	m->outcomes[op->kind][got == 0 ? MODEL_OK : MODEL_ERROR]++;
	if (op->va < m->base || op->va >= m->end) {
		MODEL_CHECK(m, got == -EINVAL);
		return;
	}
	if (!m->mapped[model_pg(m, op->va)]) {
		MODEL_CHECK(m, got == -ENOENT);
		return;
	}
	const struct model_area *a = &m->areas[model_find(m, op->va)];
	MODEL_CHECK(m, got == 0 && pgsize == model_page_size(m, a, op->va) &&
			   (flags & MODEL_PERM) == model_pte_perm(m, a, op->va));
	if (a->kind == ASPACE_BACKEND_LINEAR)
		MODEL_CHECK(m, pa == op->va - a->off);
}

/*
 * First fit by brute force: every aligned candidate in turn, tested against
 * a prefix count of the pages inside areas (a different method from the
 * module's walk over the area tree).
 */
static void model_do_find_free(struct model *m, const struct model_op *op)
{
	vaddr_t out = 0, lo = op->va > m->base ? op->va : m->base;
	vaddr_t hi = op->limit < m->end ? op->limit : m->end;
	int want = -ENOMEM, got;
	vaddr_t expect = 0;

	got = aspace_find_free_area(&m->as, op->va, op->size, op->limit, op->align, &out);
	m->outcomes[op->kind][got == 0 ? MODEL_OK : MODEL_ERROR]++;
	if (op->size == 0 || op->align < PAGE_SIZE_4K || (op->align & (op->align - 1))) {
		MODEL_CHECK(m, got == -EINVAL);
		return;
	}
	memset(m->occ, 0, (m->npages + 1) * sizeof(*m->occ));
	for (int i = 0; i < m->nr; i++)
		for (vaddr_t va = m->areas[i].start; va < m->areas[i].end; va += PAGE_SIZE_4K)
			m->occ[model_pg(m, va) + 1] = 1;
	for (uint64_t p = 0; p < m->npages; p++)
		m->occ[p + 1] += m->occ[p];
	for (vaddr_t c = ALIGN_UP(lo, op->align); c < hi && op->size <= hi - c; c += op->align) {
		uint64_t first = model_pg(m, c),
			 last = model_pg(m, ALIGN_UP(c + op->size, PAGE_SIZE_4K));

		if (m->occ[last] == m->occ[first]) {
			want = 0;
			expect = c;
			break;
		}
	}
	MODEL_CHECK(m, got == want);
	if (want == 0)
		MODEL_CHECK(m, out == expect);
}

void model_check_light(struct model *m)
{
	struct aspace_stats st;
	uint64_t mapped[ASPACE_NR_PGSIZES] = {0}, alloc_4k = 0, thp = 0, thp_all = 0;
	const struct aspace_area *a = aspace_first_area(&m->as);

	for (int i = 0; i < m->nr; i++, a = aspace_next_area(&m->as, a)) {
		const struct model_area *ma = &m->areas[i];
		uint64_t n = 0, huge = 0;

		MODEL_CHECK(m, a != NULL);
		MODEL_CHECK(m, a->node.start == ma->start && a->node.end == ma->end &&
				   a->flags == ma->flags && a->advice == ma->advice &&
				   a->backend.kind == ma->kind && a->backend.pgsize == ma->pgsize);
		if (ma->kind == ASPACE_BACKEND_LINEAR)
			MODEL_CHECK(m, a->backend.linear.pa_va_offset == ma->off);
		else
			MODEL_CHECK(m, a->backend.alloc.populate == ma->populate);
		for (vaddr_t va = ma->start; va < ma->end; va += PAGE_SIZE_4K)
			n += m->mapped[model_pg(m, va)];
		/* Transparent pages: whole blocks of 4K Alloc areas. */
		for (vaddr_t b = ALIGN_UP(ma->start, PAGE_SIZE_2M);
		     ma->pgsize == PAGE_SIZE_4K && model_block_inside(ma, b); b += PAGE_SIZE_2M)
			huge += m->thp[model_blk(m, b)];
		MODEL_CHECK(m, huge == 0 || ma->kind == ASPACE_BACKEND_ALLOC);
		thp += huge;
		n -= huge * MODEL_2M_PAGES;
		mapped[ASPACE_PGSIZE_2M] += huge;
		mapped[aspace_pgsize_index(ma->pgsize)] += n / MODEL_PAGES(ma->pgsize);
		if (ma->kind == ASPACE_BACKEND_ALLOC)
			alloc_4k += n + huge * MODEL_2M_PAGES;
	}
	MODEL_CHECK(m, a == NULL);
	for (uint64_t b = 0; b < (m->end - m->base) / PAGE_SIZE_2M; b++)
		thp_all += m->thp[b];
	MODEL_CHECK(m, thp_all == thp); /* no transparent page outside an area of 4K pages */
	MODEL_CHECK(m, aspace_thp_policy(&m->as) == m->policy);
	aspace_stats(&m->as, &st);
	MODEL_CHECK(m, st.nr_areas == (uint64_t)m->nr);
	for (int k = 0; k < ASPACE_NR_PGSIZES; k++)
		MODEL_CHECK(m, st.mapped[k] == mapped[k]);
	MODEL_CHECK(m, st.alloc_pages_4k == alloc_4k);
	MODEL_CHECK(m, st.faults == m->faults && st.spurious_faults == m->spurious);
	MODEL_CHECK(m, st.cow_faults == m->cow_faults && st.cow_copies == m->cow_copies);
	MODEL_CHECK(m, st.thp_mapped[ASPACE_PGSIZE_4K] == 0 &&
			   st.thp_mapped[ASPACE_PGSIZE_2M] == thp &&
			   st.thp_mapped[ASPACE_PGSIZE_1G] == 0);
	MODEL_CHECK(m, st.thp_fault_alloc == m->thp_fault_alloc && st.thp_fault_fallback == 0);
	MODEL_CHECK(m, st.thp_split_pmd == m->thp_split);
	MODEL_CHECK(m, st.thp_collapse_alloc == m->thp_collapse &&
			   st.thp_collapse_alloc_failed == m->thp_collapse_failed);
}

void model_check_mem(struct model *const *ms, int n)
{
	struct mem_snap mem = mem_snap();
	uint64_t pt = 0, areas = 0;

	for (int i = 0; i < n; i++) {
		struct aspace_stats st;

		aspace_stats(&ms[i]->as, &st);
		pt += st.pt_pages;
		areas += (uint64_t)ms[i]->nr;
	}
	MODEL_CHECK(ms[0], mem.pages == ms[0]->base_mem.pages + pt + ms[0]->frames->live_4k);
	MODEL_CHECK(ms[0],
		    mem.heap_bytes == ms[0]->base_mem.heap_bytes + areas * ms[0]->heap_per_area);
}

/*
 * The real frame behind model frame id is `head`: the same one at every
 * sight (pages sharing an id share a frame), with as many references.
 */
static void model_check_frame(struct model *m, uint32_t id, paddr_t head)
{
	struct model_frames *fr = m->frames;

	MODEL_CHECK(m, id > 0 && id < fr->nr && fr->refs[id] > 0);
	if (fr->pa[id] == 0)
		fr->pa[id] = head;
	MODEL_CHECK(m, fr->pa[id] == head);
	if (IS_ENABLED(CONFIG_MM_COW))
		MODEL_CHECK(m, env_frame_refs(head) == fr->refs[id]);
}

void model_check_full(struct model *m)
{
	model_check_light(m);
	MODEL_CHECK(m, interval_tree_check(&m->as.areas));
	for (vaddr_t va = m->base; va < m->end; va += PAGE_SIZE_4K) {
		uint64_t pg = model_pg(m, va);
		int i = model_find(m, va);
		paddr_t pa;
		unsigned flags;
		uint64_t pgsize;
		int got = aspace_query(&m->as, va, &pa, &flags, &pgsize);

		if (!m->mapped[pg]) {
			MODEL_CHECK(m, got == -ENOENT);
			if (i >= 0 && m->areas[i].kind == ASPACE_BACKEND_ALLOC)
				MODEL_CHECK(m, m->bytes[va - m->base] == 0);
			continue;
		}
		MODEL_CHECK(m, i >= 0 && got == 0);
		const struct model_area *a = &m->areas[i];
		MODEL_CHECK(m, pgsize == model_page_size(m, a, va) &&
				   (flags & MODEL_PERM) == model_pte_perm(m, a, va));
		if (a->kind == ASPACE_BACKEND_LINEAR)
			MODEL_CHECK(m, pa == va - a->off);
		else if (pgsize != a->pgsize) /* each 4K frame of a transparent page has its id */
			model_check_frame(m, m->frame[pg], pa);
		else
			model_check_frame(m, m->frame[pg], pa - (va & (pgsize - 1)));
		MODEL_CHECK(m, memcmp(phys_to_virt(pa), model_byte(m, va), PAGE_SIZE_4K) == 0);
	}
}

/* Gives back two held 2M blocks that are not the halves of one 4M block. */
static void model_free_two_halves(struct model *m, struct hog_2m *hog)
{
	paddr_t last = hog->blocks[hog->nr_blocks - 1];

	for (int i = hog->nr_blocks - 2; i >= 0; i--) {
		if (ALIGN_DOWN(hog->blocks[i], 2 * PAGE_SIZE_2M) ==
		    ALIGN_DOWN(last, 2 * PAGE_SIZE_2M))
			continue;
		ENV_CHECK(axalloc_free_pages(hog->blocks[i], MODEL_2M_PAGES) == 0);
		ENV_CHECK(axalloc_free_pages(last, MODEL_2M_PAGES) == 0);
		hog->blocks[i] = hog->blocks[hog->nr_blocks - 2];
		hog->nr_blocks -= 2;
		MODEL_CHECK(m, env_free_blocks(9) == 2 && env_free_blocks(10) == 0);
		return;
	}
	MODEL_CHECK(m, !"two held 2M blocks in different 4M blocks");
}

int model_compact(struct model *const *ms, int n, unsigned order, long fail_after,
		  struct axalloc_compact_result *res)
{
	static struct hog_2m hog;
	struct model_frames *fr = ms[0]->frames;
	paddr_t *before = malloc((fr->nr ? fr->nr : 1) * sizeof(*before));
	uint64_t moved = 0;
	int err;

	ENV_CHECK(before != NULL);
	for (int i = 0; i < n; i++) {
		snprintf(ms[i]->op_text, sizeof(ms[i]->op_text), "compact order=%u fail_after=%ld",
			 order, fail_after);
		model_check_full(ms[i]);
	}
	if (fr->nr > 0) /* frames drawn so far (none: no table yet) */
		memcpy(before, fr->pa, fr->nr * sizeof(*before));
	hog_2m_frames(&hog, 0);
	if (order == 10)
		model_free_two_halves(ms[0], &hog);
	if (fail_after >= 0)
		axalloc_fail_after(fail_after);
	err = axalloc_compact(order, res);
	axalloc_fail_after(-1);
	MODEL_CHECK(ms[0], err == 0 || err == -ENOMEM);
	MODEL_CHECK(ms[0], err != 0 || env_free_blocks(order) > 0);
	MODEL_CHECK(ms[0], order != 18 || (err == -ENOMEM && res->pages_migrated == 0));
	unhog_2m_frames(&hog);
	/* Forget the real frames: the full checks learn where they are now. */
	if (fr->nr > 0)
		memset(fr->pa, 0, fr->nr * sizeof(*fr->pa));
	for (int i = 0; i < n; i++)
		model_check_full(ms[i]);
	model_check_mem(ms, n);
	for (uint32_t id = 1; id < fr->nr; id++)
		moved += before[id] != 0 && fr->pa[id] != 0 && fr->pa[id] != before[id];
	MODEL_CHECK(ms[0], moved == 0 || res->pages_migrated > 0);
	free(before);
	return err;
}

const char *model_op_name(enum model_op_kind kind)
{
	return model_op_names[kind];
}

void model_print_outcomes(const struct model *m)
{
	printf("  %-10s %8s %8s %8s\n", "operation", "ok", "error", "enomem");
	for (int k = 0; k < MOP_NR; k++)
		printf("  %-10s %8lu %8lu %8lu\n", model_op_names[k], m->outcomes[k][MODEL_OK],
		       m->outcomes[k][MODEL_ERROR], m->outcomes[k][MODEL_INJECTED]);
}

void model_run(struct model *m, const struct model_op *op)
{
	m->op_no++;
	model_describe(m, op);
	if (op->fail_after >= 0)
		axalloc_fail_after(op->fail_after);
	switch (op->kind) {
	case MOP_MAP_ALLOC:
	case MOP_MAP_LINEAR:
		model_do_map(m, op);
		break;
	case MOP_UNMAP:
		model_do_unmap(m, op);
		break;
	case MOP_PROTECT:
		model_do_protect(m, op);
		break;
	case MOP_POPULATE:
		model_do_populate(m, op);
		break;
	case MOP_FAULT:
		model_do_fault(m, op);
		break;
	case MOP_WRITE:
	case MOP_READ:
		model_do_io(m, op);
		break;
	case MOP_QUERY:
		model_do_query(m, op);
		break;
	case MOP_FIND_FREE:
		model_do_find_free(m, op);
		break;
	case MOP_SET_POLICY:
		model_do_set_policy(m, op);
		break;
	case MOP_ADVISE:
		model_do_advise(m, op);
		break;
	case MOP_COLLAPSE:
		model_do_collapse(m, op);
		break;
	case MOP_KHUGEPAGED:
		model_do_khugepaged(m, op);
		break;
	case MOP_NR:
		break;
	}
	axalloc_fail_after(-1);
	model_check_light(m);
	if (m->frames == &m->own_frames)
		model_check_mem(&m, 1); /* a world checks all its spaces together */
}

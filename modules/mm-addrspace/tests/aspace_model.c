/* aspace_model.c - the model of one address space, random operations, checks (aspace_model.h). */
#include "aspace_model.h"
#include "test_rand.h"

static const char *const model_op_names[MOP_NR] = {
    [MOP_MAP_ALLOC] = "map_alloc", [MOP_MAP_LINEAR] = "map_linear",
    [MOP_UNMAP] = "unmap",	   [MOP_PROTECT] = "protect",
    [MOP_POPULATE] = "populate",   [MOP_FAULT] = "fault",
    [MOP_WRITE] = "write",	   [MOP_READ] = "read",
    [MOP_QUERY] = "query",	   [MOP_FIND_FREE] = "find_free",
};

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
	m->frames = fr ? fr : &m->own_frames;
	ENV_CHECK(m->mapped && m->bytes && m->lin && m->occ && m->frame && m->pending);
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
	model_frames_free(&m->own_frames);
	m->mapped = m->bytes = m->lin = m->pending = NULL;
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

/*
 * Marks the whole page of area a that contains va as mapped, with a new
 * frame for an Alloc page; returns false if it was mapped.
 */
static bool model_map_page(struct model *m, const struct model_area *a, vaddr_t va)
{
	vaddr_t page = ALIGN_DOWN(va, a->pgsize);

	if (m->mapped[model_pg(m, page)])
		return false;
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
	}
	memset(m->mapped + model_pg(m, s), 0, MODEL_PAGES(e - s));
}

/* References of the frame behind the mapped Alloc page at va. */
static uint32_t model_refs(const struct model *m, vaddr_t va)
{
	return m->frames->refs[m->frame[model_pg(m, va)]];
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

/* A write to the page containing va of area a: breaks COW if it is pending. */
static void model_write_page(struct model *m, const struct model_area *a, vaddr_t va)
{
	vaddr_t page = ALIGN_DOWN(va, a->pgsize);

	if (a->kind != ASPACE_BACKEND_ALLOC || !m->pending[model_pg(m, page)])
		return;
	m->cow_faults++;
	if (model_refs(m, page) > 1)
		model_copy_page(m, a, page, false);
	else
		model_page_set(m, page, a->pgsize, m->frame[model_pg(m, page)], false);
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
	a = &m->areas[test_src_below(s, (uint64_t)m->nr)];
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
	static const uint8_t weights[MOP_NR] = {14, 6, 14, 10, 6, 14, 12, 10, 6, 6};
	uint64_t r = test_src_below(s, 98), acc = 0;
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
	case MOP_NR:
		break;
	}
	if (op.kind != MOP_QUERY && op.kind != MOP_FIND_FREE && test_src_chance(s, 12))
		op.fail_after = test_src_chance(s, 50) ? 0 : (long)test_src_below(s, 8);
	return op;
}

static void model_describe(struct model *m, const struct model_op *op)
{
	snprintf(m->op_text, sizeof(m->op_text),
		 "%s va=%#lx size=%#lx pa=%#lx flags=%#x pgsize=%#lx populate=%d access=%#x "
		 "limit=%#lx align=%#lx fail_after=%ld",
		 model_op_names[op->kind], (unsigned long)op->va, (unsigned long)op->size,
		 (unsigned long)op->pa, op->flags, (unsigned long)op->pgsize, op->populate,
		 op->access, (unsigned long)op->limit, (unsigned long)op->align, op->fail_after);
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
	    op->va,	    op->va + op->size,
	    op->flags,	    linear ? ASPACE_BACKEND_LINEAR : ASPACE_BACKEND_ALLOC,
	    op->pgsize,	    !linear && op->populate,
	    op->va - op->pa};
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
 * shared pages (COW broken); then a page stays COW-pending only where the
 * new flags allow write and its frame is still shared.
 */
static void model_protect_pages(struct model *m, struct model_area *a, unsigned flags)
{
	bool adds_write = (flags & MAPF_WRITE) && !(a->flags & MAPF_WRITE);

	a->flags = flags;
	if (a->kind != ASPACE_BACKEND_ALLOC)
		return;
	for (vaddr_t va = a->start; va < a->end; va += a->pgsize) {
		if (!m->mapped[model_pg(m, va)])
			continue;
		if (adds_write && model_refs(m, va) > 1) {
			m->cow_faults++;
			model_copy_page(m, a, va, false);
		}
		model_page_set(m, va, a->pgsize, m->frame[model_pg(m, va)],
			       (flags & MAPF_WRITE) && model_refs(m, va) > 1);
	}
}

static void model_do_protect(struct model *m, const struct model_op *op)
{
	vaddr_t s = op->va, e = op->va + op->size;
	int want = -EINVAL;

	if (model_range4k_ok(m, op->va, op->size) && model_flags_ok(op->flags))
		want = model_expect_covered(m, s, e, 0, true);
	if (!model_result(m, op, want, aspace_protect(&m->as, op->va, op->size, op->flags)))
		return;
	for (int i = 0; i < m->nr; i++) {
		if (m->areas[i].end <= s || m->areas[i].start >= e)
			continue;
		if (m->areas[i].start < s) {
			model_split(m, i, s);
			continue; /* the right part, next in the array, is handled next */
		}
		if (m->areas[i].end > e)
			model_split(m, i, e);
		model_protect_pages(m, &m->areas[i], op->flags);
	}
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
	MODEL_CHECK(m, got == 0 && pgsize == a->pgsize &&
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
	uint64_t mapped[ASPACE_NR_PGSIZES] = {0}, alloc_4k = 0;
	const struct aspace_area *a = aspace_first_area(&m->as);

	for (int i = 0; i < m->nr; i++, a = aspace_next_area(&m->as, a)) {
		const struct model_area *ma = &m->areas[i];
		uint64_t n = 0;

		MODEL_CHECK(m, a != NULL);
		MODEL_CHECK(m, a->node.start == ma->start && a->node.end == ma->end &&
				   a->flags == ma->flags && a->backend.kind == ma->kind &&
				   a->backend.pgsize == ma->pgsize);
		if (ma->kind == ASPACE_BACKEND_LINEAR)
			MODEL_CHECK(m, a->backend.linear.pa_va_offset == ma->off);
		else
			MODEL_CHECK(m, a->backend.alloc.populate == ma->populate);
		for (vaddr_t va = ma->start; va < ma->end; va += PAGE_SIZE_4K)
			n += m->mapped[model_pg(m, va)];
		mapped[aspace_pgsize_index(ma->pgsize)] += n / MODEL_PAGES(ma->pgsize);
		if (ma->kind == ASPACE_BACKEND_ALLOC)
			alloc_4k += n;
	}
	MODEL_CHECK(m, a == NULL);
	aspace_stats(&m->as, &st);
	MODEL_CHECK(m, st.nr_areas == (uint64_t)m->nr);
	for (int k = 0; k < ASPACE_NR_PGSIZES; k++)
		MODEL_CHECK(m, st.mapped[k] == mapped[k]);
	MODEL_CHECK(m, st.alloc_pages_4k == alloc_4k);
	MODEL_CHECK(m, st.faults == m->faults && st.spurious_faults == m->spurious);
	MODEL_CHECK(m, st.cow_faults == m->cow_faults && st.cow_copies == m->cow_copies);
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
		MODEL_CHECK(m, pgsize == a->pgsize &&
				   (flags & MODEL_PERM) == model_pte_perm(m, a, va));
		if (a->kind == ASPACE_BACKEND_LINEAR)
			MODEL_CHECK(m, pa == va - a->off);
		else
			model_check_frame(m, m->frame[pg], pa - (va & (pgsize - 1)));
		MODEL_CHECK(m, memcmp(phys_to_virt(pa), model_byte(m, va), PAGE_SIZE_4K) == 0);
	}
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
	case MOP_NR:
		break;
	}
	axalloc_fail_after(-1);
	model_check_light(m);
	if (m->frames == &m->own_frames)
		model_check_mem(&m, 1); /* a world checks all its spaces together */
}

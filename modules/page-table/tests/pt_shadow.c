/* pt_shadow.c - the page-table shadow model, its checks, random operations (pt_shadow.h). */
#include "pt_shadow.h"

void (*sh_fail)(void);

#define SH_EXPECT(sh, op, what, got, want)                                                         \
	do {                                                                                       \
		uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want);                              \
		if (g_ != w_) {                                                                    \
			sh_mismatch((sh), (op), (what), g_, w_);                                   \
			return;                                                                    \
		}                                                                                  \
	} while (0)

/* Compares the whole real table with the model. */
struct sh_walk {
	const struct pt_shadow *sh;
	uint64_t present; /* pages under real leaves */
	bool ok;
	const char *what;
	uint64_t got, want;
};

static const char *const sh_kind_names[] = {
    "map", "map_region", "unmap", "unmap_region", "protect", "remap", "query", "split", "collapse"};

static bool sh_flags_ok(unsigned flags)
{
	if (flags & ~MAPF_ALL)
		return false;
	if (!(flags & (MAPF_READ | MAPF_EXEC)))
		return false;
	return !(flags & MAPF_WRITE) || (flags & MAPF_READ);
}

/* What pt_query reports for a mapping made with `flags`. */
static unsigned sh_reported(unsigned flags)
{
	flags = (flags & ~MAPF_DIRTY) | MAPF_ACCESSED;
	if (flags & MAPF_WRITE)
		flags |= MAPF_DIRTY;
	return flags;
}

static bool sh_canonical(vaddr_t va)
{
	return va < SH_LOW_END || va >= SH_HIGH_START;
}

/* [va, va + size) is a legal range: aligned, non-empty, inside one half. */
static bool sh_range_ok(vaddr_t va, uint64_t size)
{
	if (size == 0 || va % PAGE_SIZE_4K || size % PAGE_SIZE_4K || !sh_canonical(va))
		return false;
	unsigned __int128 end = (unsigned __int128)va + size;
	if (va < SH_LOW_END)
		return end <= SH_LOW_END;
	return end <= ((unsigned __int128)1 << 64);
}

static bool sh_pa_ok(paddr_t pa, uint64_t size)
{
	return pa % PAGE_SIZE_4K == 0 &&
	       (unsigned __int128)pa + size <= ((unsigned __int128)1 << SV39_PA_BITS);
}

static bool sh_in_window(const struct pt_shadow *sh, vaddr_t va)
{
	return va - sh->base < SH_WINDOW;
}

static uint64_t *sh_word(const struct pt_shadow *sh, vaddr_t va)
{
	return &sh->pages[(va - sh->base) >> PAGE_SHIFT];
}

static uint64_t sh_level_size(int level)
{
	return PAGE_SIZE_4K << (9 * level);
}

static int sh_word_level(uint64_t w)
{
	return (int)((w >> SH_LEVEL_SHIFT) & 3);
}

static unsigned sh_word_flags(uint64_t w)
{
	return (unsigned)((w >> SH_FLAGS_SHIFT) & MAPF_ALL);
}

/* Start of the leaf covering the present page at va. */
static vaddr_t sh_leaf_start(const struct pt_shadow *sh, vaddr_t va)
{
	return ALIGN_DOWN(va, sh_level_size(sh_word_level(*sh_word(sh, va))));
}

/*
 * What the table answers for an operation on the page that must start at
 * va (unmap, remap, split): -EINVAL bad va, -ENOENT nothing mapped there,
 * -EBUSY va inside a huge page, else 0.
 */
static int sh_check_leaf_at(const struct pt_shadow *sh, vaddr_t va)
{
	if (va % PAGE_SIZE_4K || !sh_canonical(va))
		return -EINVAL;
	if (!sh_in_window(sh, va) || !(*sh_word(sh, va) & SH_PRESENT))
		return -ENOENT;
	return sh_leaf_start(sh, va) != va ? -EBUSY : 0;
}

static bool sh_any_present(const struct pt_shadow *sh, vaddr_t va, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE_4K)
		if (*sh_word(sh, va + off) & SH_PRESENT)
			return true;
	return false;
}

static bool sh_all_present(const struct pt_shadow *sh, vaddr_t va, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE_4K)
		if (!(*sh_word(sh, va + off) & SH_PRESENT))
			return false;
	return true;
}

/* True if the boundary b lies strictly inside a present huge leaf. */
static bool sh_cuts(const struct pt_shadow *sh, vaddr_t b)
{
	if (!sh_in_window(sh, b))
		return false;
	uint64_t w = *sh_word(sh, b);
	return (w & SH_PRESENT) && sh_leaf_start(sh, b) != b;
}

static void sh_set_leaf(struct pt_shadow *sh, vaddr_t va, paddr_t pa, int level, unsigned flags)
{
	uint64_t meta = SH_PRESENT | ((uint64_t)level << SH_LEVEL_SHIFT) |
			((uint64_t)sh_reported(flags) << SH_FLAGS_SHIFT);
	for (uint64_t off = 0; off < sh_level_size(level); off += PAGE_SIZE_4K) {
		uint64_t *w = sh_word(sh, va + off);
		sh->nr_present += !(*w & SH_PRESENT);
		*w = (pa + off) | meta;
	}
}

static void sh_clear(struct pt_shadow *sh, vaddr_t va, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += PAGE_SIZE_4K) {
		uint64_t *w = sh_word(sh, va + off);
		sh->nr_present -= (*w & SH_PRESENT) != 0;
		*w = 0;
	}
}

/* Mismatch: print the seed and the operation, then sh_fail() or abort(). */
static void sh_mismatch(const struct pt_shadow *sh, const struct sh_op *op, const char *what,
			uint64_t got, uint64_t want)
{
	fprintf(stderr,
		"page-table shadow mismatch (seed %llu, op #%llu): %s: got %#llx, want %#llx\n"
		"  op %s va=%#llx pa=%#llx size=%#llx flags=%#x huge=%d fail_after=%ld\n",
		(unsigned long long)sh->seed, (unsigned long long)sh->nr_ops, what,
		(unsigned long long)got, (unsigned long long)want,
		op ? sh_kind_names[op->kind] : "-", op ? (unsigned long long)op->va : 0ULL,
		op ? (unsigned long long)op->pa : 0ULL, op ? (unsigned long long)op->size : 0ULL,
		op ? op->flags : 0u, op ? op->huge : 0, op ? op->fail_after : -1L);
	if (sh_fail)
		sh_fail();
	abort();
}

/*
 * Predicts op's result; with `apply` (the real call succeeded as predicted)
 * also updates the model. Query is checked in sh_apply.
 */
static int sh_model(struct pt_shadow *sh, const struct sh_op *op, bool apply)
{
	vaddr_t va = op->va;
	switch (op->kind) {
	case SH_MAP: {
		uint64_t s = op->size;
		if (!sh_flags_ok(op->flags) ||
		    (s != PAGE_SIZE_4K && s != PAGE_SIZE_2M && s != PAGE_SIZE_1G) || va % s ||
		    op->pa % s || !sh_range_ok(va, s) || !sh_pa_ok(op->pa, s))
			return -EINVAL;
		if (sh_any_present(sh, va, s))
			return -EEXIST;
		if (apply)
			sh_set_leaf(sh, va, op->pa,
				    s == PAGE_SIZE_4K	? 0
				    : s == PAGE_SIZE_2M ? 1
							: 2,
				    op->flags);
		return 0;
	}
	case SH_MAP_REGION: {
		if (!sh_flags_ok(op->flags) || !sh_range_ok(va, op->size) ||
		    !sh_pa_ok(op->pa, op->size))
			return -EINVAL;
		if (sh_any_present(sh, va, op->size))
			return -EEXIST;
		for (uint64_t off = 0; apply && off < op->size;) {
			int level = op->huge ? 2 : 0;
			while (level > 0 && ((va + off) % sh_level_size(level) ||
					     (op->pa + off) % sh_level_size(level) ||
					     op->size - off < sh_level_size(level)))
				level--;
			sh_set_leaf(sh, va + off, op->pa + off, level, op->flags);
			off += sh_level_size(level);
		}
		return 0;
	}
	case SH_UNMAP: {
		int err = sh_check_leaf_at(sh, va);
		if (err)
			return err;
		if (apply)
			sh_clear(sh, va, sh_level_size(sh_word_level(*sh_word(sh, va))));
		return 0;
	}
	case SH_UNMAP_REGION:
	case SH_PROTECT:
		if ((op->kind == SH_PROTECT && !sh_flags_ok(op->flags)) ||
		    !sh_range_ok(va, op->size))
			return -EINVAL;
		if (sh_cuts(sh, va) || sh_cuts(sh, va + op->size))
			return -EBUSY;
		if (op->kind == SH_UNMAP_REGION) {
			if (apply)
				sh_clear(sh, va, op->size);
			return 0;
		}
		if (!sh_all_present(sh, va, op->size))
			return -ENOENT;
		for (uint64_t off = 0; apply && off < op->size;) {
			uint64_t w = *sh_word(sh, va + off);
			int level = sh_word_level(w);
			sh_set_leaf(sh, va + off, w & ~(PAGE_SIZE_4K - 1), level, op->flags);
			off += sh_level_size(level);
		}
		return 0;
	case SH_REMAP: {
		if (!sh_flags_ok(op->flags))
			return -EINVAL;
		int err = sh_check_leaf_at(sh, va);
		if (err)
			return err;
		int level = sh_word_level(*sh_word(sh, va));
		if (op->pa % sh_level_size(level) || !sh_pa_ok(op->pa, sh_level_size(level)))
			return -EINVAL;
		if (apply)
			sh_set_leaf(sh, va, op->pa, level, op->flags);
		return 0;
	}
	case SH_QUERY:
		return 0;
	case SH_SPLIT: {
		int err = sh_check_leaf_at(sh, va);
		if (err)
			return err;
		int level = sh_word_level(*sh_word(sh, va));
		if (level == 0)
			return -EINVAL;
		/* The same frames and flags, each page now in a leaf one level down. */
		for (uint64_t off = 0; apply && off < sh_level_size(level); off += PAGE_SIZE_4K) {
			uint64_t *w = sh_word(sh, va + off);
			*w = (*w & ~(3ULL << SH_LEVEL_SHIFT)) |
			     ((uint64_t)(level - 1) << SH_LEVEL_SHIFT);
		}
		return 0;
	}
	case SH_COLLAPSE: {
		uint64_t s = op->size;
		if (!sh_flags_ok(op->flags) || (s != PAGE_SIZE_2M && s != PAGE_SIZE_1G) || va % s ||
		    op->pa % s || !sh_range_ok(va, s) || !sh_pa_ok(op->pa, s))
			return -EINVAL;
		int level = s == PAGE_SIZE_2M ? 1 : 2;
		/* The window is 1G-aligned: the block is wholly in it or wholly out. */
		if (!sh_in_window(sh, va))
			return -ENOENT;
		/* A table is below the block iff smaller pages are mapped in it. */
		uint64_t w = *sh_word(sh, va);
		if (((w & SH_PRESENT) && sh_word_level(w) >= level) || !sh_any_present(sh, va, s))
			return -ENOENT;
		if (apply) {
			sh_clear(sh, va, s);
			sh_set_leaf(sh, va, op->pa, level, op->flags);
		}
		return 0;
	}
	}
	return 0;
}

static void sh_walk_table(struct sh_walk *wk, paddr_t table, int level, uint64_t va39)
{
	const pte_t *t = pt_env_table(table);
	for (unsigned i = 0; i < SV39_ENTRIES && wk->ok; i++) {
		pte_t e = t[i];
		uint64_t ev = va39 + (uint64_t)i * sh_level_size(level);
		if (!sv39_pte_valid(e))
			continue;
		if (!sv39_pte_leaf(e)) {
			sh_walk_table(wk, sv39_pte_pa(e), level - 1, ev);
			continue;
		}
		vaddr_t va = sv39_va_extend(ev);
		if (!sh_in_window(wk->sh, va) ||
		    !sh_in_window(wk->sh, va + sh_level_size(level) - 1)) {
			wk->ok = false, wk->what = "leaf outside the window", wk->got = va;
			return;
		}
		unsigned flags = 0;
		static const struct {
			pte_t bit;
			unsigned mapf;
		} bits[] = {{SV39_PTE_R, MAPF_READ},	 {SV39_PTE_W, MAPF_WRITE},
			    {SV39_PTE_X, MAPF_EXEC},	 {SV39_PTE_U, MAPF_USER},
			    {SV39_PTE_G, MAPF_GLOBAL},	 {SV39_PTE_SW_DEVICE, MAPF_DEVICE},
			    {SV39_PTE_A, MAPF_ACCESSED}, {SV39_PTE_D, MAPF_DIRTY}};
		for (unsigned b = 0; b < sizeof(bits) / sizeof(bits[0]); b++)
			if (e & bits[b].bit)
				flags |= bits[b].mapf;
		uint64_t meta = SH_PRESENT | ((uint64_t)level << SH_LEVEL_SHIFT) |
				((uint64_t)flags << SH_FLAGS_SHIFT);
		/*
		 * The model writes a leaf's pages together, so its first, last
		 * and one inner page stand for all of them (the present-page
		 * total below catches model pages no real leaf covers).
		 */
		uint64_t npages = sh_level_size(level) >> PAGE_SHIFT;
		uint64_t probes[] = {0, npages - 1, (ev >> PAGE_SHIFT) * 2654435761u % npages};
		for (int p = 0; p < 3; p++) {
			uint64_t off = probes[p] << PAGE_SHIFT;
			uint64_t want = (sv39_pte_pa(e) + off) | meta;
			uint64_t got = *sh_word(wk->sh, va + off);
			if (got != want) {
				wk->ok = false, wk->what = "model page vs real leaf";
				wk->got = got, wk->want = want;
				return;
			}
		}
		wk->present += npages;
	}
}

void sh_verify(struct pt_shadow *sh, const struct sh_op *op)
{
	struct sh_walk wk = {.sh = sh, .ok = true};
	sh_walk_table(&wk, sh->pt.root, SV39_ROOT_LEVEL, 0);
	if (!wk.ok) {
		sh_mismatch(sh, op, wk.what, wk.got, wk.want);
		return;
	}
	SH_EXPECT(sh, op, "present pages", wk.present, sh->nr_present);
	struct pt_env_census c = pt_env_census(&sh->pt);
	SH_EXPECT(sh, op, "tables reachable vs nr_table_pages", c.tables, sh->pt.nr_table_pages);
	SH_EXPECT(sh, op, "empty intermediate tables", c.empty_tables, 0);
	SH_EXPECT(sh, op, "malformed entries", c.bad_entries, 0);
	SH_EXPECT(sh, op, "allocator used pages", pt_env_used_pages(),
		  sh->baseline + sh->pt.nr_table_pages);
}

/* Checks pt_query at va against the model. */
static void sh_check_query(struct pt_shadow *sh, const struct sh_op *op, vaddr_t va)
{
	paddr_t pa;
	unsigned flags;
	uint64_t pgsize;
	int err = pt_query(&sh->pt, va, &pa, &flags, &pgsize);
	if (!sh_canonical(va)) {
		SH_EXPECT(sh, op, "query result", err, -EINVAL);
		return;
	}
	uint64_t w = sh_in_window(sh, va) ? *sh_word(sh, va) : 0;
	if (!(w & SH_PRESENT)) {
		SH_EXPECT(sh, op, "query result", err, -ENOENT);
		return;
	}
	SH_EXPECT(sh, op, "query result", err, 0);
	SH_EXPECT(sh, op, "query pa", pa, (w & ~(PAGE_SIZE_4K - 1)) + (va & (PAGE_SIZE_4K - 1)));
	SH_EXPECT(sh, op, "query flags", flags, sh_word_flags(w));
	SH_EXPECT(sh, op, "query pgsize", pgsize, sh_level_size(sh_word_level(w)));
}

void sh_apply(struct pt_shadow *sh, const struct sh_op *op, bool verify)
{
	struct page_table *pt = &sh->pt;
	int want = sh_model(sh, op, false);
	int got = 0;
	uint64_t tables = pt->nr_table_pages, used = pt_env_used_pages();
	sh->nr_ops++;
	if (op->fail_after >= 0)
		pt_env_fail_after(op->fail_after);
	switch (op->kind) {
	case SH_MAP:
		got = pt_map(pt, op->va, op->pa, op->size, op->flags);
		break;
	case SH_MAP_REGION:
		got = pt_map_region(pt, op->va, op->pa, op->size, op->flags, op->huge);
		break;
	case SH_UNMAP: {
		paddr_t pa = 0;
		uint64_t pgsize = 0;
		bool present = want == 0;
		uint64_t w = present ? *sh_word(sh, op->va) : 0;
		got = pt_unmap(pt, op->va, &pa, &pgsize);
		if (present && got == 0) {
			SH_EXPECT(sh, op, "unmap pa", pa, w & ~(PAGE_SIZE_4K - 1));
			SH_EXPECT(sh, op, "unmap pgsize", pgsize, sh_level_size(sh_word_level(w)));
		}
		break;
	}
	case SH_UNMAP_REGION:
		got = pt_unmap_region(pt, op->va, op->size);
		break;
	case SH_PROTECT:
		got = pt_protect(pt, op->va, op->size, op->flags);
		break;
	case SH_REMAP:
		got = pt_remap(pt, op->va, op->pa, op->flags);
		break;
	case SH_QUERY:
		sh_check_query(sh, op, op->va);
		break;
	case SH_SPLIT:
		got = pt_split(pt, op->va);
		break;
	case SH_COLLAPSE:
		got = pt_collapse(pt, op->va, op->size, op->pa, op->flags);
		break;
	}
	pt_env_fail_after(-1);
	/* A collapse never allocates: -ENOMEM is never right for it. */
	bool oom_ok = op->fail_after >= 0 && op->kind != SH_COLLAPSE && got == -ENOMEM &&
		      (want == 0 || want == -EEXIST);
	if (!oom_ok)
		SH_EXPECT(sh, op, "result", got, want);
	if (got == 0)
		sh_model(sh, op, true);
	if (verify || got == -EEXIST || got == -ENOMEM) {
		/* Also after every rollback. */
		sh_verify(sh, op);
	} else if (got != 0) {
		/* Refused up front: a cheap look (periodic full checks see the rest). */
		SH_EXPECT(sh, op, "nr_table_pages after a refused call", pt->nr_table_pages,
			  tables);
		SH_EXPECT(sh, op, "used pages after a refused call", pt_env_used_pages(), used);
		sh_check_query(sh, op, ALIGN_DOWN(op->va, PAGE_SIZE_4K));
	}
}

static const unsigned sh_good_flags[] = {
    MAPF_READ,
    MAPF_READ | MAPF_WRITE,
    MAPF_READ | MAPF_EXEC,
    MAPF_EXEC,
    MAPF_READ | MAPF_WRITE | MAPF_USER,
    MAPF_READ | MAPF_EXEC | MAPF_GLOBAL,
    MAPF_READ | MAPF_WRITE | MAPF_DEVICE,
    MAPF_READ | MAPF_ACCESSED | MAPF_DIRTY,
};

static unsigned sh_gen_flags(struct test_src *r)
{
	if (test_src_below(r, 16) == 0)
		return (unsigned)test_src_below(r, 1u << 9); /* often invalid */
	return sh_good_flags[test_src_below(r, sizeof(sh_good_flags) / sizeof(sh_good_flags[0]))];
}

static uint64_t sh_gen_pgsize(struct test_src *r)
{
	static const uint64_t s[] = {PAGE_SIZE_4K, PAGE_SIZE_4K, PAGE_SIZE_2M, PAGE_SIZE_1G};
	return s[test_src_below(r, 4)];
}

/* An offset in the window near a 4K, 2M or 1G boundary. */
static uint64_t sh_gen_offset(struct test_src *r)
{
	uint64_t align = sh_gen_pgsize(r);
	uint64_t off = ALIGN_DOWN(test_src_below(r, SH_WINDOW), align);
	switch (test_src_below(r, 4)) {
	case 0:
		off += test_src_below(r, 8) * PAGE_SIZE_4K;
		break;
	case 1:
		off -= test_src_below(r, 8) * PAGE_SIZE_4K;
		break;
	default:
		break;
	}
	return off % SH_WINDOW;
}

/* A region size: a few pages, a few 2M, up to 2 GiB, or to a boundary. */
static uint64_t sh_gen_size(struct test_src *r)
{
	switch (test_src_below(r, 4)) {
	case 0:
		return (1 + test_src_below(r, 16)) * PAGE_SIZE_4K;
	case 1:
		return (1 + test_src_below(r, 8)) * PAGE_SIZE_2M +
		       (test_src_below(r, 3) - 1) * PAGE_SIZE_4K;
	case 2:
		return (1 + test_src_below(r, 512)) * PAGE_SIZE_2M;
	default:
		return (1 + test_src_below(r, 2)) * PAGE_SIZE_1G +
		       test_src_below(r, 3) * PAGE_SIZE_2M;
	}
}

/* A frame for va: congruent modulo 1G, 2M or only 4K, or out of range. */
static paddr_t sh_gen_pa(struct test_src *r, const struct pt_shadow *sh, vaddr_t va)
{
	uint64_t off = va - sh->base;
	switch (test_src_below(r, 8)) {
	case 0:
		return PT_ENV_FRAME_BASE + test_src_below(r, 1u << 18) * PAGE_SIZE_4K;
	case 1:
		return PT_ENV_FRAME_BASE + off + test_src_below(r, 512) * PAGE_SIZE_2M;
	case 2:
		return (1ULL << SV39_PA_BITS) - test_src_below(r, 4) * PAGE_SIZE_1G - PAGE_SIZE_4K;
	default:
		return PT_ENV_FRAME_BASE + off + test_src_below(r, 4) * PAGE_SIZE_1G;
	}
}

void sh_gen_op(struct pt_shadow *sh, struct test_src *r, struct sh_op *op)
{
	static const enum sh_kind kinds[] = {
	    SH_MAP,	     SH_MAP,	 SH_MAP_REGION, SH_MAP_REGION,	 SH_MAP_REGION,
	    SH_MAP_REGION,   SH_UNMAP,	 SH_UNMAP,	SH_UNMAP_REGION, SH_UNMAP_REGION,
	    SH_UNMAP_REGION, SH_PROTECT, SH_PROTECT,	SH_REMAP,	 SH_QUERY,
	    SH_QUERY,	     SH_SPLIT,	 SH_SPLIT,	SH_COLLAPSE,	 SH_COLLAPSE,
	};
	memset(op, 0, sizeof(*op));
	op->kind = kinds[test_src_below(r, sizeof(kinds) / sizeof(kinds[0]))];
	op->fail_after = -1;
	uint64_t off = sh_gen_offset(r);
	op->flags = sh_gen_flags(r);
	op->huge = test_src_below(r, 4) != 0;
	switch (op->kind) {
	case SH_MAP:
		op->size = sh_gen_pgsize(r);
		off = ALIGN_DOWN(off, op->size);
		break;
	case SH_UNMAP:
	case SH_REMAP:
	case SH_SPLIT:
		/* Mostly aim at the start of an existing leaf. */
		if (test_src_below(r, 4) && (*sh_word(sh, sh->base + off) & SH_PRESENT))
			off = sh_leaf_start(sh, sh->base + off) - sh->base;
		break;
	case SH_PROTECT:
		/* Mostly a run of whole existing leaves. */
		op->size = sh_gen_size(r);
		if (test_src_below(r, 4) && (*sh_word(sh, sh->base + off) & SH_PRESENT)) {
			off = sh_leaf_start(sh, sh->base + off) - sh->base;
			op->size = 0;
			for (uint64_t n = 1 + test_src_below(r, 4);
			     n > 0 && off + op->size < SH_WINDOW; n--) {
				uint64_t w = *sh_word(sh, sh->base + off + op->size);
				if (!(w & SH_PRESENT))
					break;
				op->size += sh_level_size(sh_word_level(w));
			}
		}
		break;
	case SH_QUERY:
		off += test_src_below(r, PAGE_SIZE_4K);
		break;
	case SH_COLLAPSE:
		/* Mostly a 2M block (often holding a table), now and then 1G or 4K. */
		op->size = test_src_below(r, 4) ? PAGE_SIZE_2M : sh_gen_pgsize(r);
		off = ALIGN_DOWN(off, op->size);
		break;
	default:
		op->size = sh_gen_size(r);
		break;
	}
	op->va = sh->base + off;
	op->pa = sh_gen_pa(r, sh, op->va);
	if (op->kind == SH_REMAP)
		op->pa = ALIGN_DOWN(op->pa, sh_gen_pgsize(r));
	if (op->kind == SH_COLLAPSE)
		op->pa = ALIGN_DOWN(op->pa, op->size);
	/* Keep valid ranges in the window; past it only where the half ends too. */
	bool half_end = sh->base + SH_WINDOW == SH_LOW_END || sh->base + SH_WINDOW == 0;
	if (op->size && off + op->size > SH_WINDOW && !(half_end && test_src_below(r, 4) == 0))
		op->size = SH_WINDOW - off;
	/* Now and then a bad argument. */
	switch (test_src_below(r, 48)) {
	case 0:
		op->va += 1 + test_src_below(r, PAGE_SIZE_4K - 1);
		break;
	case 1:
		op->va ^= 1ULL << (39 + test_src_below(r, 24)); /* not canonical */
		break;
	case 2:
		op->size = op->kind == SH_MAP || op->kind == SH_COLLAPSE
			       ? test_src_below(r, 4) * PAGE_SIZE_2M
			       : 0;
		break;
	case 3:
		op->size += 1 + test_src_below(r, PAGE_SIZE_4K - 1);
		break;
	case 4:
		op->pa += 1 + test_src_below(r, PAGE_SIZE_4K - 1);
		break;
	default:
		break;
	}
	if ((op->kind == SH_MAP || op->kind == SH_MAP_REGION || op->kind == SH_SPLIT ||
	     op->kind == SH_COLLAPSE) &&
	    test_src_below(r, 8) == 0)
		op->fail_after = (long)test_src_below(r, 4);
}

/* Window bases: the ends of both halves. */
static const vaddr_t sh_window_bases[] = {
    0,
    SH_LOW_END - SH_WINDOW,
    SH_HIGH_START,
    0 - SH_WINDOW,
};

int sh_init(struct pt_shadow *sh, unsigned which, uint64_t seed)
{
	memset(sh, 0, sizeof(*sh));
	sh->base = sh_window_bases[which % SH_NR_WINDOWS];
	sh->seed = seed;
	sh->baseline = pt_env_reset();
	sh->pages = calloc(SH_PAGES, sizeof(uint64_t));
	if (!sh->pages || sh->baseline == UINT64_MAX || pt_init(&sh->pt, &pt_env_frames) != 0)
		return -1;
	return 0;
}

void sh_fini(struct pt_shadow *sh)
{
	pt_destroy(&sh->pt);
	uint64_t used = pt_env_used_pages();
	free(sh->pages);
	sh->pages = NULL;
	if (used != sh->baseline)
		sh_mismatch(sh, NULL, "used pages after destroy", used, sh->baseline);
}

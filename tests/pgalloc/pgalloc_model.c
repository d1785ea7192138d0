/* pgalloc_model.c - the shadow model of a page allocator (see pgalloc_model.h). */
#include "pgalloc_model.h"

#include <klib/bitops.h>

unsigned pgm_rc_bit(int rc)
{
	switch (rc) {
	case 0:
		return PGM_OK;
	case -EINVAL:
		return PGM_EINVAL;
	case -ENOMEM:
		return PGM_ENOMEM;
	case -EEXIST:
		return PGM_EEXIST;
	case -ENOENT:
		return PGM_ENOENT;
	default:
		return 0;
	}
}

const char *pgm_mask_str(unsigned mask, char *buf, size_t len)
{
	static const char *const names[] = {"0", "-EINVAL", "-ENOMEM", "-EEXIST", "-ENOENT"};
	size_t pos = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(mask & (1u << i)))
			continue;
		int w = snprintf(buf + pos, len - pos, "%s%s", pos ? "|" : "", names[i]);
		if (w < 0 || (size_t)w >= len - pos)
			break;
		pos += (size_t)w;
	}
	return buf;
}

void pgm_init(struct pgalloc_model *m)
{
	memset(m, 0, sizeof(*m));
}

void pgm_destroy(struct pgalloc_model *m)
{
	for (unsigned i = 0; i < m->nr_ranges; i++)
		free(m->range[i].used);
	free(m->ext);
	memset(m, 0, sizeof(*m));
}
unsigned pgm_log2(uint64_t x)
{
	return 63u - (unsigned)__builtin_clzll(x);
}
/*
 * True when the n-page range at addr is page aligned, non-empty and its end
 * addr + n * 4K does not overflow (an end of exactly 2^64 counts as overflow,
 * as for add_memory, so no managed range reaches it).
 */
static bool pgm_range_args_ok(paddr_t addr, uint64_t n)
{
	if (n == 0 || n > PGALLOC_MAX_PAGES || !IS_ALIGNED(addr, PAGE_SIZE_4K))
		return false;
	return addr + (n << PAGE_SHIFT) > addr;
}

int pgm_find_range(const struct pgalloc_model *m, paddr_t addr, uint64_t n)
{
	for (unsigned i = 0; i < m->nr_ranges; i++) {
		const struct pgm_range *r = &m->range[i];
		if (addr >= r->base && ((addr - r->base) >> PAGE_SHIFT) <= r->pages &&
		    n <= r->pages - ((addr - r->base) >> PAGE_SHIFT))
			return (int)i;
	}
	return -1;
}
/* True when [lo, hi] (inclusive byte addresses) meets some managed range. */
static bool pgm_overlaps_any(const struct pgalloc_model *m, paddr_t lo, paddr_t hi)
{
	for (unsigned i = 0; i < m->nr_ranges; i++) {
		const struct pgm_range *r = &m->range[i];
		paddr_t rlast = r->base + (r->pages << PAGE_SHIFT) - 1;
		if (lo <= rlast && r->base <= hi)
			return true;
	}
	return false;
}
static bool pgm_test(const struct pgm_range *r, uint64_t i)
{
	return (r->used[i / PGM_BITS_PER_WORD] >> (i % PGM_BITS_PER_WORD)) & 1;
}

uint64_t pgm_next(const struct pgm_range *r, uint64_t from, bool used)
{
	while (from < r->pages) {
		uint64_t w = r->used[from / PGM_BITS_PER_WORD];
		if (!used)
			w = ~w;
		w &= ~0ULL << (from % PGM_BITS_PER_WORD);
		if (w) {
			uint64_t i = from - from % PGM_BITS_PER_WORD + (uint64_t)__builtin_ctzll(w);
			return i < r->pages ? i : r->pages;
		}
		from = from - from % PGM_BITS_PER_WORD + PGM_BITS_PER_WORD;
	}
	return r->pages;
}
/* Number of allocated pages among n pages from index first of range r. */
static uint64_t pgm_count_used(const struct pgm_range *r, uint64_t first, uint64_t n)
{
	uint64_t c = 0;
	for (uint64_t i = first; i < first + n;) {
		if (i % PGM_BITS_PER_WORD == 0 && first + n - i >= PGM_BITS_PER_WORD) {
			c += (uint64_t)__builtin_popcountll(r->used[i / PGM_BITS_PER_WORD]);
			i += PGM_BITS_PER_WORD;
		} else {
			c += pgm_test(r, i);
			i++;
		}
	}
	return c;
}
static void pgm_set(struct pgm_range *r, uint64_t first, uint64_t n, bool used)
{
	for (uint64_t i = first; i < first + n; i++) {
		uint64_t bit = 1ULL << (i % PGM_BITS_PER_WORD);
		if (used)
			r->used[i / PGM_BITS_PER_WORD] |= bit;
		else
			r->used[i / PGM_BITS_PER_WORD] &= ~bit;
	}
}
/* ---- extents (what is allocated, for choosing frees) ---- */
static void pgm_ext_push(struct pgalloc_model *m, paddr_t addr, uint64_t n)
{
	if (m->nr_ext == m->cap_ext) {
		m->cap_ext = m->cap_ext ? 2 * m->cap_ext : 64;
		m->ext = realloc(m->ext, m->cap_ext * sizeof(*m->ext));
		if (!m->ext)
			abort();
	}
	m->ext[m->nr_ext].addr = addr;
	m->ext[m->nr_ext].n = n;
	m->nr_ext++;
}
/* Removes the pages [addr, addr + n pages) from every extent (splitting as needed). */
static void pgm_ext_cut(struct pgalloc_model *m, paddr_t addr, uint64_t n)
{
	paddr_t end = addr + (n << PAGE_SHIFT);
	size_t count = m->nr_ext;
	for (size_t i = 0; i < count;) {
		struct pgm_extent e = m->ext[i];
		paddr_t eend = e.addr + (e.n << PAGE_SHIFT);
		if (eend <= addr || end <= e.addr) {
			i++;
			continue;
		}
		/* Drop extent i (swap in the last original one), then push the remainders. */
		m->ext[i] = m->ext[count - 1];
		m->ext[count - 1] = m->ext[m->nr_ext - 1];
		m->nr_ext--;
		count--;
		if (e.addr < addr)
			pgm_ext_push(m, e.addr, (addr - e.addr) >> PAGE_SHIFT);
		if (end < eend)
			pgm_ext_push(m, end, (eend - end) >> PAGE_SHIFT);
	}
}

unsigned pgm_add_expect(const struct pgalloc_model *m, paddr_t base, uint64_t size)
{
	if (size == 0 || !IS_ALIGNED(base | size, PAGE_SIZE_4K) || base + size <= base)
		return PGM_EINVAL;
	unsigned mask = 0;
	if (pgm_overlaps_any(m, base, base + size - 1))
		mask |= PGM_EEXIST;
	if (m->nr_ranges == PGALLOC_MAX_RANGES)
		mask |= PGM_ENOMEM;
	return mask ? mask : PGM_OK;
}

void pgm_add(struct pgalloc_model *m, paddr_t base, uint64_t size)
{
	struct pgm_range *r = &m->range[m->nr_ranges++];
	r->base = base;
	r->pages = size >> PAGE_SHIFT;
	r->used = calloc((r->pages + PGM_BITS_PER_WORD - 1) / PGM_BITS_PER_WORD, sizeof(uint64_t));
	if (!r->used)
		abort();
	m->total_pages += r->pages;
}
bool pgm_lowest_fit(const struct pgalloc_model *m, uint64_t n, uint64_t align, paddr_t *addr)
{
	uint64_t apages = align >> PAGE_SHIFT;
	bool found = false;
	for (unsigned i = 0; i < m->nr_ranges; i++) { /* ranges are kept in the order added */
		const struct pgm_range *r = &m->range[i];
		uint64_t base_pfn = r->base >> PAGE_SHIFT;
		for (uint64_t s = pgm_next(r, 0, false); s < r->pages;) {
			uint64_t e = pgm_next(r, s, true);
			uint64_t a = ALIGN_UP(base_pfn + s, apages) - base_pfn;
			if (a < e && e - a >= n) {
				if (!found || ((base_pfn + a) << PAGE_SHIFT) < *addr)
					*addr = (base_pfn + a) << PAGE_SHIFT;
				found = true;
				break;
			}
			s = pgm_next(r, e, false);
		}
	}
	return found;
}

void pgm_stats(const struct pgalloc_model *m, struct pgalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->total_pages = m->total_pages;
	st->used_pages = m->used_pages;
	st->free_pages = m->total_pages - m->used_pages;
	for (unsigned i = 0; i < m->nr_ranges; i++) {
		const struct pgm_range *r = &m->range[i];
		uint64_t base_pfn = r->base >> PAGE_SHIFT;
		for (uint64_t s = pgm_next(r, 0, false); s < r->pages;) {
			uint64_t e = pgm_next(r, s, true);
			for (uint64_t p = base_pfn + s; p < base_pfn + e;) {
				unsigned o = pgm_log2(base_pfn + e - p);
				if (p != 0 && (unsigned)__builtin_ctzll(p) < o)
					o = (unsigned)__builtin_ctzll(p);
				if (o > PGALLOC_MAX_ORDER)
					o = PGALLOC_MAX_ORDER;
				st->free_blocks[o]++;
				p += 1ULL << o;
			}
			s = pgm_next(r, e, false);
		}
	}
	for (unsigned o = 0; o < PGALLOC_NR_ORDERS; o++)
		if (st->free_blocks[o])
			st->largest_free_order = o;
}

unsigned pgm_alloc_expect(const struct pgalloc_model *m, uint64_t n, uint64_t align)
{
	if (!pgalloc_request_valid(n, align))
		return PGM_EINVAL;
	paddr_t lowest;
	return pgm_lowest_fit(m, n, align, &lowest) ? PGM_OK : PGM_ENOMEM;
}

const char *pgm_alloc_result_error(const struct pgalloc_model *m, paddr_t addr, uint64_t n,
				   uint64_t align)
{
	if (!IS_ALIGNED(addr, align))
		return "address not aligned to the requested alignment";
	if (!pgm_range_args_ok(addr, n))
		return "range wraps around the address space";
	int ri = pgm_find_range(m, addr, n);
	if (ri < 0)
		return "range not inside one managed range";
	const struct pgm_range *r = &m->range[ri];
	if (pgm_count_used(r, (addr - r->base) >> PAGE_SHIFT, n) != 0)
		return "range overlaps pages that are already allocated";
	return NULL;
}

unsigned pgm_range_expect(const struct pgalloc_model *m, paddr_t addr, uint64_t n, bool alloc)
{
	if (!pgm_range_args_ok(addr, n))
		return PGM_EINVAL;
	int ri = pgm_find_range(m, addr, n);
	if (ri < 0)
		return PGM_EINVAL;
	const struct pgm_range *r = &m->range[ri];
	uint64_t used = pgm_count_used(r, (addr - r->base) >> PAGE_SHIFT, n);
	if (alloc && used != 0)
		return PGM_EEXIST;
	if (!alloc && used != n)
		return PGM_ENOENT;
	return PGM_OK;
}

void pgm_mark_used(struct pgalloc_model *m, paddr_t addr, uint64_t n)
{
	struct pgm_range *r = &m->range[pgm_find_range(m, addr, n)];
	pgm_set(r, (addr - r->base) >> PAGE_SHIFT, n, true);
	m->used_pages += n;
	pgm_ext_push(m, addr, n);
}

void pgm_mark_free(struct pgalloc_model *m, paddr_t addr, uint64_t n)
{
	struct pgm_range *r = &m->range[pgm_find_range(m, addr, n)];
	pgm_set(r, (addr - r->base) >> PAGE_SHIFT, n, false);
	m->used_pages -= n;
	pgm_ext_cut(m, addr, n);
}

uint64_t pgm_used_in(const struct pgalloc_model *m, paddr_t addr, uint64_t n)
{
	int ri = pgm_find_range(m, addr, n);

	return ri < 0 ? 0
		      : pgm_count_used(&m->range[ri], (addr - m->range[ri].base) >> PAGE_SHIFT, n);
}

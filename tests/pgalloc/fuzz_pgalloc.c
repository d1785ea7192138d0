/*
 * fuzz_pgalloc.c - libFuzzer target: the input bytes are decoded into a
 * sequence of add_memory / alloc / alloc_at / free calls (good and bad ones)
 * that is replayed against each allocator with its own shadow model
 * (pgalloc_checker.h). Any disagreement with the model, any failed call that
 * changes the stats, or a failed consistency check aborts.
 *
 * Encoding: one opcode byte, then its operand bytes (missing bytes read 0).
 *   0 add_memory  slot, offset, size (u16), flags    base = slot * 1G + 2G + offset pages;
 *                 flags bit 0: base off by 2K, bit 1: size off by 8 bytes, bit 2: base near
 *                 the top of the 64-bit space, bits 4-6 all set: size + 1G
 *   1 alloc       size class, alignment class
 *   2 alloc_at    target, delta, size class
 *   3 free        extent, mode, extra
 *   4 free        arbitrary place: target, delta, size class, flags
 *   5 free everything
 *   6 fill        up to count single pages
 * Opcodes are taken modulo 7. Set PGALLOC_TRACE=1 to print every call while
 * replaying an input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pgalloc_checker.h"
#include "pgalloc_inst.h"

#define PG(i)	     ((paddr_t)(i) << PAGE_SHIFT)
#define SLOT_BASE(k) (0x80000000ULL + (paddr_t)(k)*PAGE_SIZE_1G)
#define NR_SLOTS     8
#define NR_OPCODES   7
#define PAGES_PER_1G (PAGE_SIZE_1G >> PAGE_SHIFT)
/* Largest ordinary range (pages) and the cap on single pages one fill takes. */
#define MAX_RANGE_PAGES 8192
#define MAX_FILL	64
/* add_memory flag bits that together add 1G to the size (rare: big ranges are slow). */
#define HUGE_FLAGS 0x70
/* Run the allocator's O(pages) consistency checker every this many calls. */
#define CHECK_EVERY 4
/* Alignment shifts 12..30 are valid; the classes past them pick bad alignments. */
#define NR_ALIGN_SHIFTS (PGALLOC_MAX_ORDER + 1)

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint8_t rd8(struct reader *r)
{
	if (!r->left)
		return 0;
	r->left--;
	return *r->p++;
}

static uint16_t rd16(struct reader *r)
{
	uint16_t lo = rd8(r);
	return (uint16_t)(lo | (uint16_t)rd8(r) << 8);
}

/* A page count: mostly small, sometimes large, sometimes a boundary value. */
static uint64_t rd_count(struct reader *r)
{
	static const uint64_t special[] = {
	    0,
	    1,
	    511,
	    512,
	    513,
	    1024,
	    PAGES_PER_1G,
	    PAGES_PER_1G + 1,
	    PGALLOC_MAX_PAGES,
	    PGALLOC_MAX_PAGES + 1,
	    UINT64_MAX,
	};
	uint8_t b = rd8(r);
	if (b < 192)
		return 1 + b % 32;
	if (b < 240)
		return 1 + rd16(r) % MAX_RANGE_PAGES;
	return special[b % (sizeof(special) / sizeof(special[0]))];
}

static uint64_t rd_align(struct reader *r)
{
	static const uint64_t bad[] = {
	    0, 1, 2048, 3 * PAGE_SIZE_4K, PAGE_SIZE_4K + 1, 2 * PAGE_SIZE_1G, 1ULL << 63};
	uint8_t b = rd8(r);
	if (b < 128)
		return PAGE_SIZE_4K;
	b %= NR_ALIGN_SHIFTS + sizeof(bad) / sizeof(bad[0]);
	return b < NR_ALIGN_SHIFTS ? PAGE_SIZE_4K << b : bad[b - NR_ALIGN_SHIFTS];
}

/* An address near something that exists: an extent, a range start or a range end. */
static paddr_t rd_target(struct reader *r, const struct pgalloc_model *m)
{
	uint8_t sel = rd8(r);
	int16_t delta = (int16_t)(rd8(r) - 128);
	paddr_t at;
	if (m->nr_ext && sel % 3 == 0)
		at = m->ext[sel / 3 % m->nr_ext].addr;
	else if (m->nr_ranges && sel % 3 == 1)
		at = m->range[sel / 3 % m->nr_ranges].base;
	else if (m->nr_ranges)
		at = m->range[sel / 3 % m->nr_ranges].base +
		     PG(m->range[sel / 3 % m->nr_ranges].pages);
	else
		at = SLOT_BASE(sel % NR_SLOTS);
	return at + (paddr_t)((int64_t)delta * (int64_t)PAGE_SIZE_4K);
}

static bool op_add(struct pgalloc_checker *c, struct reader *r)
{
	uint8_t slot = rd8(r) % NR_SLOTS;
	uint8_t off = rd8(r);
	uint64_t pages = rd16(r) % (MAX_RANGE_PAGES + 1);
	uint8_t flags = rd8(r);
	paddr_t base = SLOT_BASE(slot) + PG(off);
	uint64_t size = PG(pages);
	if (flags & 1)
		base += PAGE_SIZE_4K / 2;
	if (flags & 2)
		size += 8;
	if ((flags & HUGE_FLAGS) == HUGE_FLAGS)
		size += PAGE_SIZE_1G; /* the only way to get a whole 1G block (1 add in 8) */
	if (flags & 4)
		base = UINT64_MAX - PG(pages) + 1 - PG(off % 2); /* at or past the top */
	return pgc_add_memory(c, base, size);
}

static bool op_free_extent(struct pgalloc_checker *c, struct reader *r)
{
	const struct pgalloc_model *m = &c->model;
	uint8_t sel = rd8(r), mode = rd8(r), extra = rd8(r);
	if (!m->nr_ext)
		return true;
	struct pgm_extent e = m->ext[sel % m->nr_ext];
	switch (mode % 5) {
	case 0: /* whole */
		return pgc_free(c, e.addr, e.n);
	case 1: { /* a piece */
		uint64_t first = extra % e.n;
		return pgc_free(c, e.addr + PG(first), 1 + (uint64_t)mode % (e.n - first));
	}
	case 2: { /* to the end of its run of allocated pages (may span extents) */
		const struct pgm_range *rg = &m->range[pgm_find_range(m, e.addr, e.n)];
		uint64_t first = (e.addr - rg->base) >> PAGE_SHIFT;
		return pgc_free(c, e.addr, pgm_next(rg, first, false) - first);
	}
	case 3: /* past its end */
		return pgc_free(c, e.addr, e.n + 1 + extra % 8);
	default: /* misaligned */
		return pgc_free(c, e.addr + 1 + extra, e.n);
	}
}

static bool op_free_any(struct pgalloc_checker *c, struct reader *r)
{
	paddr_t addr = rd_target(r, &c->model);
	uint64_t n = rd_count(r);
	if (rd8(r) & 1)
		addr += PAGE_SIZE_4K / 4;
	return pgc_free(c, addr, n);
}

static bool op_fill(struct pgalloc_checker *c, struct reader *r)
{
	unsigned count = rd8(r) % MAX_FILL;
	for (unsigned i = 0; i < count; i++) {
		if (!pgc_alloc(c, 1, PAGE_SIZE_4K, PGALLOC_MOVABLE, NULL))
			return false;
		if (c->last_rc)
			break;
	}
	return true;
}

/* Replays the input against one allocator; returns false with c->err on a mismatch. */
static bool replay(struct pgalloc_checker *c, const uint8_t *data, size_t size)
{
	struct reader r = {data, size};
	while (r.left) {
		bool ok;
		switch (rd8(&r) % NR_OPCODES) {
		case 0:
			ok = op_add(c, &r);
			break;
		case 1: {
			uint64_t n = rd_count(&r);
			uint64_t align = rd_align(&r);
			ok = pgc_alloc(c, n, align,
				       rd8(&r) & 1 ? PGALLOC_UNMOVABLE : PGALLOC_MOVABLE, NULL);
			break;
		}
		case 2: {
			paddr_t addr = rd_target(&r, &c->model);
			ok = pgc_alloc_at(c, addr, rd_count(&r));
			break;
		}
		case 3:
			ok = op_free_extent(c, &r);
			break;
		case 4:
			ok = op_free_any(c, &r);
			break;
		case 5:
			ok = pgc_free_all(c);
			break;
		default:
			ok = op_fill(c, &r);
			break;
		}
		if (!ok)
			return false;
	}
	return pgc_free_all(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (unsigned k = 0; k < PGALLOC_NR_ALLOCATORS; k++) {
		struct pgalloc_checker c;
		pgc_create(&c, pgalloc_all_ops[k], CHECK_EVERY);
		c.trace = getenv("PGALLOC_TRACE") != NULL;
		if (!replay(&c, data, size)) {
			fprintf(stderr, "fuzz_pgalloc: %s\n", c.err);
			abort();
		}
		pgc_destroy(&c);
	}
	return 0;
}

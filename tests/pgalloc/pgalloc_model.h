/*
 * pgalloc_model.h - a shadow model of a physical page allocator.
 *
 * The model keeps one bit per managed 4K page (1 = allocated) and a list of
 * allocated extents, and derives from them what the contract in
 * <pgalloc/pgalloc.h> says an allocator must
 * answer: the error code of every call, and the statistics (free/used pages
 * and the histogram of maximal naturally aligned free blocks, per managed
 * range) after it. The stress test and the fuzzer both check the real
 * allocators against it (through pgalloc_checker.h).
 *
 * Expected results are sets (bit masks) of acceptable return codes: where
 * two errors apply at once (add_memory overlapping while the range table is
 * full) either is accepted.
 */
#ifndef TESTS_PGALLOC_MODEL_H
#define TESTS_PGALLOC_MODEL_H

#include <errno.h>
#include <pgalloc/pgalloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Acceptable outcomes. */
#define PGM_OK	   (1u << 0)
#define PGM_EINVAL (1u << 1)
#define PGM_ENOMEM (1u << 2)
#define PGM_EEXIST (1u << 3)
#define PGM_ENOENT (1u << 4)

#define PGM_BITS_PER_WORD 64

struct pgm_range {
	paddr_t base;
	uint64_t pages;
	uint64_t *used; /* one bit per page, 1 = allocated */
};

/* An allocated range [addr, addr + n pages); extents never overlap. */
struct pgm_extent {
	paddr_t addr;
	uint64_t n;
};

struct pgalloc_model {
	struct pgm_range range[PGALLOC_MAX_RANGES];
	unsigned nr_ranges;
	uint64_t total_pages;
	uint64_t used_pages;
	struct pgm_extent *ext;
	size_t nr_ext;
	size_t cap_ext;
};

/* Maps a return code to its PGM_* bit (0 for an unexpected code). */
unsigned pgm_rc_bit(int rc);

/* Formats a PGM_* mask as "0|-EINVAL|..." into buf. */
const char *pgm_mask_str(unsigned mask, char *buf, size_t len);

void pgm_init(struct pgalloc_model *m);

void pgm_destroy(struct pgalloc_model *m);
/* Floor of log2(x), x > 0. */
unsigned pgm_log2(uint64_t x);

/* Index of the range holding all n pages at addr, or -1 (args must be ok). */
int pgm_find_range(const struct pgalloc_model *m, paddr_t addr, uint64_t n);
/*
 * First page index >= from (and < r->pages) whose bit equals `used`, or
 * r->pages when there is none.
 */
uint64_t pgm_next(const struct pgm_range *r, uint64_t from, bool used);
/* ---- expected results ---- */

/* Outcomes allowed for add_memory(base, size). */
unsigned pgm_add_expect(const struct pgalloc_model *m, paddr_t base, uint64_t size);

/* Records a successful add_memory(base, size). */
void pgm_add(struct pgalloc_model *m, paddr_t base, uint64_t size);

/*
 * The lowest address at which a free run of one range holds n pages starting
 * at a multiple of align, in *addr; false when there is none.
 */
bool pgm_lowest_fit(const struct pgalloc_model *m, uint64_t n, uint64_t align, paddr_t *addr);

/*
 * Fills the model's view of the stats: total/free/used pages, free blocks
 * per order (each free run of each range split greedily into maximal
 * naturally aligned blocks of physical frame numbers, capped at
 * PGALLOC_MAX_ORDER) and the largest free order. meta_bytes is left 0.
 */
void pgm_stats(const struct pgalloc_model *m, struct pgalloc_stats *st);

/*
 * Outcomes allowed for alloc(n, align): -EINVAL for bad arguments, else
 * success exactly when some free run of one range holds n pages at an
 * aligned address (both allocators promise to find any such run), else
 * -ENOMEM.
 */
unsigned pgm_alloc_expect(const struct pgalloc_model *m, uint64_t n, uint64_t align);

/*
 * Why a successful alloc's result is wrong, or NULL when it is fine:
 * it must be aligned, lie inside one managed range, and be entirely free.
 */
const char *pgm_alloc_result_error(const struct pgalloc_model *m, paddr_t addr, uint64_t n,
				   uint64_t align);

/*
 * Outcomes allowed for alloc_at(addr, n) (alloc = true: every page must be
 * free) and for free(addr, n) (alloc = false: every page must be allocated),
 * both for a run inside one managed range.
 */
unsigned pgm_range_expect(const struct pgalloc_model *m, paddr_t addr, uint64_t n, bool alloc);

/* Allocated pages among [addr, addr + n pages), inside one range (0 otherwise). */
uint64_t pgm_used_in(const struct pgalloc_model *m, paddr_t addr, uint64_t n);

/* Records n pages at addr as allocated (after a successful alloc/alloc_at). */
void pgm_mark_used(struct pgalloc_model *m, paddr_t addr, uint64_t n);

/* Records n pages at addr as free (after a successful free). */
void pgm_mark_free(struct pgalloc_model *m, paddr_t addr, uint64_t n);

#endif

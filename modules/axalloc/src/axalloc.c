/*
 * axalloc.c - the global page allocator: a facade over the page allocator
 * chosen at configure time, fed from the memory map at boot, behind the one
 * axalloc lock.
 *
 * Every usable piece of RAM gets metadata, carved from usable RAM:
 *
 *   [ allocator metadata | frame ref counts ]   (counts only with CONFIG_AXALLOC_FRAME_REFS)
 *    ^meta_base
 *
 * memmap.c decides where: the head or the tail of the piece itself, or, when
 * both would break a free 1G-aligned 1 GiB block, another piece. Nothing
 * outside the usable RAM is used, so the allocator needs no memory before it
 * is initialised.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "axalloc_priv.h"
#include <axlog/log.h>
#include <klib/bitops.h>
#include <klib/errname.h>
#include <klib/kconfig.h>

/* The page allocator the Kconfig choice picked: its state and its operations. */
#if defined(CONFIG_AXALLOC_PAGE_BITMAP)
#include <axalloc-bitmap/bitmap.h>
static struct bitmap_pgalloc page_alloc_state;
#define PAGE_ALLOC_OPS bitmap_pgalloc_ops
#elif defined(CONFIG_AXALLOC_PAGE_BUDDY)
#include <axalloc-buddy/buddy.h>
static struct buddy_pgalloc page_alloc_state;
#define PAGE_ALLOC_OPS buddy_pgalloc_ops
#else
#error "axalloc: no page allocator chosen (CONFIG_AXALLOC_PAGE_BITMAP or _BUDDY)"
#endif

static struct pgalloc *const page_alloc = &page_alloc_state.pgalloc;

/* Alignment of the frame reference counts inside a piece's metadata. */
#define META_ALIGN 8

/* Fault injection is off while the countdown is negative. */
#define FAIL_NEVER (-1L)

struct spinlock axalloc_lock = SPINLOCK_INIT;

static bool initialised;
static struct axalloc_range ranges[PGALLOC_MAX_RANGES];
static int nr_ranges;
static uint64_t meta_pages;
static uint64_t refused_pages;
static uint64_t failed_allocs;
static long fail_countdown = FAIL_NEVER;

/* The page allocator's metadata bytes for the n pages from base, 0 for a range it refuses. */
static uint64_t alloc_meta_bytes(paddr_t base, uint64_t n)
{
	return pgalloc_meta_bytes(&PAGE_ALLOC_OPS, base, n * PAGE_SIZE);
}

/* Metadata bytes (allocator, then counts) for the n pages managed from base (axalloc_meta_fn). */
static uint64_t meta_bytes_for(paddr_t base, uint64_t n)
{
	uint64_t bytes = alloc_meta_bytes(base, n);
	if (IS_ENABLED(CONFIG_AXALLOC_FRAME_REFS) && bytes != 0)
		bytes = ALIGN_UP(bytes, META_ALIGN) + axalloc_frame_ref_bytes(n);
	return bytes;
}

/*
 * Hands a laid-out piece to the page allocator, then zeroes and registers its
 * counts (see axalloc_priv.h). A refused piece is reported, nothing written.
 */
int axalloc_add_piece_locked(const struct axalloc_layout *l)
{
	void *meta = phys_to_virt(l->meta_base);
	int ret = pgalloc_add_memory(page_alloc, l->base, l->pages * PAGE_SIZE, meta);

	if (ret != 0) {
		refused_pages += l->pages + l->meta_pages;
		log_error("axalloc: the %s allocator refused RAM %#lx-%#lx (%lu pages, metadata "
			  "at %#lx): %s; left unused",
			  page_alloc->ops->name, (unsigned long)l->base,
			  (unsigned long)(l->base + l->pages * PAGE_SIZE), (unsigned long)l->pages,
			  (unsigned long)l->meta_base, err_name(ret));
		return ret;
	}
	if (IS_ENABLED(CONFIG_AXALLOC_FRAME_REFS)) {
		uint64_t counts_off = ALIGN_UP(alloc_meta_bytes(l->base, l->pages), META_ALIGN);
		uint32_t *counts = (uint32_t *)((char *)meta + counts_off);
		memset(counts, 0, axalloc_frame_ref_bytes(l->pages));
		axalloc_frame_ref_add_range_locked(l->base, l->pages, counts);
	}
	ranges[nr_ranges++] = (struct axalloc_range){l->meta_base, l->meta_pages * PAGE_SIZE,
						     l->base, l->pages * PAGE_SIZE};
	meta_pages += l->meta_pages;
	return 0;
}

int axalloc_init(const struct mem_range *ram, int nr_ram, const struct mem_range *reserved,
		 int nr_reserved)
{
	struct mem_range pieces[PGALLOC_MAX_RANGES];
	struct axalloc_layout layout[PGALLOC_MAX_RANGES];
	int nr_pieces, nr_fit;

	if (nr_ram < 0 || nr_reserved < 0 || (nr_ram > 0 && !ram) || (nr_reserved > 0 && !reserved))
		return -EINVAL;
	nr_pieces =
	    axalloc_usable_ranges(ram, nr_ram, reserved, nr_reserved, pieces, PGALLOC_MAX_RANGES);
	nr_fit = axalloc_layout(pieces, nr_pieces, meta_bytes_for, layout);
	if (nr_fit == 0)
		return -ENOMEM;

	spin_lock(&axalloc_lock);
	pgalloc_init(page_alloc, &PAGE_ALLOC_OPS);
	nr_ranges = 0;
	meta_pages = 0;
	refused_pages = 0;
	failed_allocs = 0;
	fail_countdown = FAIL_NEVER;
	axalloc_compact_reset_locked();
	axalloc_heap_reset_locked();
	if (IS_ENABLED(CONFIG_AXALLOC_FRAME_REFS))
		axalloc_frame_ref_reset_locked();
	for (int i = 0; i < nr_fit; i++)
		axalloc_add_piece_locked(&layout[i]);
	initialised = nr_ranges > 0;
	spin_unlock(&axalloc_lock);
	return initialised ? 0 : -ENOMEM;
}

int axalloc_pages_alloc_locked(uint64_t n, uint64_t align, enum axalloc_mobility mob, paddr_t *pa)
{
	if (!initialised || fail_countdown == 0)
		return -ENOMEM;
	int ret = pgalloc_alloc(page_alloc, n, align, (enum pgalloc_mobility)mob, pa);
	if (ret == 0 && fail_countdown > 0)
		fail_countdown--;
	return ret;
}

void axalloc_pages_free_locked(paddr_t pa, uint64_t n)
{
	int ret = pgalloc_free(page_alloc, pa, n);
	assert(ret == 0);
	(void)ret;
}

int axalloc_pages_alloc_at_locked(paddr_t pa, uint64_t n)
{
	return initialised ? pgalloc_alloc_at(page_alloc, pa, n) : -EINVAL;
}

uint64_t axalloc_pages_used_locked(paddr_t pa, uint64_t n)
{
	return initialised ? pgalloc_used_pages(page_alloc, pa, n) : 0;
}

int axalloc_ranges_locked(const struct axalloc_range **out)
{
	*out = ranges;
	return nr_ranges;
}

void axalloc_count_failure_locked(void)
{
	failed_allocs++;
}

int axalloc_alloc_pages(uint64_t n, uint64_t align, enum axalloc_mobility mob, paddr_t *pa)
{
	if (!pa || !pgalloc_request_valid(n, align) ||
	    (mob != AXALLOC_UNMOVABLE && mob != AXALLOC_MOVABLE))
		return -EINVAL;
	spin_lock(&axalloc_lock);
	int ret = axalloc_pages_alloc_locked(n, align, mob, pa);
	spin_unlock(&axalloc_lock);
	if (ret == -ENOMEM && axalloc_direct_compact(n, align) == 0) {
		spin_lock(&axalloc_lock);
		ret = axalloc_pages_alloc_locked(n, align, mob, pa);
		spin_unlock(&axalloc_lock);
	}
	if (ret == -ENOMEM) {
		spin_lock(&axalloc_lock);
		failed_allocs++;
		spin_unlock(&axalloc_lock);
	}
	return ret;
}

int axalloc_free_pages(paddr_t pa, uint64_t n)
{
	int ret;

	spin_lock(&axalloc_lock);
	if (!initialised)
		ret = -EINVAL;
	else if (IS_ENABLED(CONFIG_AXALLOC_FRAME_REFS) && axalloc_frame_ref_get_locked(pa) != 0)
		ret = -EBUSY;
	else
		ret = pgalloc_free(page_alloc, pa, n);
	spin_unlock(&axalloc_lock);
	return ret;
}

int axalloc_frame_alloc(void *ctx, paddr_t *pa)
{
	(void)ctx;
	return axalloc_alloc_pages(1, PAGE_SIZE_4K, AXALLOC_UNMOVABLE, pa);
}

void axalloc_frame_free(void *ctx, paddr_t pa)
{
	(void)ctx;
	int err = axalloc_free_pages(pa, 1);

	assert(err == 0);
	(void)err;
}

void axalloc_stats(struct axalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	spin_lock(&axalloc_lock);
	if (initialised)
		pgalloc_stats(page_alloc, &st->pages);
	st->meta_pages = meta_pages;
	st->refused_pages = refused_pages;
	st->failed_allocs = failed_allocs;
	axalloc_compact_stats_locked(st);
	axalloc_heap_stats_locked(st);
	spin_unlock(&axalloc_lock);
}

void axalloc_grouping(struct pgalloc_grouping *g)
{
	spin_lock(&axalloc_lock);
	pgalloc_grouping(page_alloc, g);
	spin_unlock(&axalloc_lock);
}

const char *axalloc_page_allocator_name(void)
{
	return PAGE_ALLOC_OPS.name;
}

int axalloc_get_ranges(struct axalloc_range *out, int max)
{
	spin_lock(&axalloc_lock);
	int n = nr_ranges;
	for (int i = 0; i < n && i < max; i++)
		out[i] = ranges[i];
	spin_unlock(&axalloc_lock);
	return n;
}

#if defined(HOST_TEST) || defined(CONFIG_AXALLOC_FAULT_INJECT)
void axalloc_fail_after(long n)
{
	spin_lock(&axalloc_lock);
	fail_countdown = n < 0 ? FAIL_NEVER : n;
	spin_unlock(&axalloc_lock);
}
#endif

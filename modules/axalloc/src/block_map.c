/*
 * block_map.c - the physical memory map as a picture: one character per
 * naturally aligned 2M block that overlaps a managed range, saying whether
 * its pages are free, in use by movable or unmovable allocations, or both
 * (see axalloc/axalloc.h).
 *
 * Which pages of a block are used is read under the lock from the page
 * allocator (one count for the block, then one per page when any), then each used page is put to
 * the migrator's check without the lock, stopping once the block is known mixed. Two ranges that
 * share a block give one character, their classes merged.
 */
#include <axalloc/axalloc.h>
#include <stdio.h>

#include "axalloc_priv.h"

#define PAGES_2M      (PAGE_SIZE_2M / PAGE_SIZE)
#define LINE_BLOCKS   64 /* blocks per printed line: 128 MiB */
#define LINE_SIZE     (LINE_BLOCKS * PAGE_SIZE_2M)
#define NR_CLASSES    4
#define HAS_MOVABLE   1U /* what a block's used pages are, as bits */
#define HAS_UNMOVABLE 2U

static const char class_char[NR_CLASSES] = {AXALLOC_BLOCK_FREE, AXALLOC_BLOCK_MOVABLE,
					    AXALLOC_BLOCK_UNMOVABLE, AXALLOC_BLOCK_MIXED};

/* Receives each block of the map in address order: its 2M-aligned address and class bits. */
typedef void (*block_fn)(void *ctx, paddr_t block, unsigned bits);

/* The class bits (HAS_*) of the n managed pages from pa, all inside one 2M block. */
static unsigned probe_part(paddr_t pa, uint64_t n)
{
	uint64_t used_bits[PAGES_2M / 64];
	axalloc_migrate_fn migrate;
	unsigned bits = 0;
	uint64_t used;

	spin_lock(&axalloc_lock);
	used = axalloc_pages_used_locked(pa, n);
	for (uint64_t i = 0; used && i < n; i++)
		if (axalloc_pages_used_locked(pa + i * PAGE_SIZE, 1))
			used_bits[i / 64] |= 1ULL << (i % 64);
		else
			used_bits[i / 64] &= ~(1ULL << (i % 64));
	migrate = axalloc_migrator_locked();
	spin_unlock(&axalloc_lock);
	if (used == 0)
		return 0;
	if (!migrate)
		return HAS_UNMOVABLE;
	for (uint64_t i = 0; i < n && bits != (HAS_MOVABLE | HAS_UNMOVABLE); i++)
		if (used_bits[i / 64] & (1ULL << (i % 64)))
			bits |= migrate(pa + i * PAGE_SIZE, true) > 0 ? HAS_MOVABLE : HAS_UNMOVABLE;
	return bits;
}

/*
 * Calls fn for each 2M block overlapping the managed ranges, in address
 * order, once per block (the parts of two ranges in one block merged).
 * Returns the number of blocks.
 */
static size_t walk_blocks(block_fn fn, void *ctx)
{
	const struct axalloc_range *ranges;
	paddr_t pending = 0;
	unsigned pending_bits = 0;
	size_t count = 0;
	int nr;

	spin_lock(&axalloc_lock);
	nr = axalloc_ranges_locked(&ranges);
	spin_unlock(&axalloc_lock);
	/* The ranges change only in axalloc_init, which nothing may call meanwhile. */
	for (int r = 0; r < nr; r++) {
		paddr_t end = ranges[r].base + ranges[r].size;

		for (paddr_t pa = ranges[r].base; pa < end;) {
			paddr_t block = ALIGN_DOWN(pa, PAGE_SIZE_2M);
			paddr_t part_end = end - block > PAGE_SIZE_2M ? block + PAGE_SIZE_2M : end;
			unsigned bits = probe_part(pa, (part_end - pa) / PAGE_SIZE);

			if (count > 0 && block == pending) {
				pending_bits |= bits;
			} else {
				if (count > 0)
					fn(ctx, pending, pending_bits);
				pending = block;
				pending_bits = bits;
				count++;
			}
			pa = part_end;
		}
	}
	if (count > 0)
		fn(ctx, pending, pending_bits);
	return count;
}

/* Where axalloc_block_map writes. */
struct map_buf {
	char *buf;
	size_t len, next;
};

static void put_block(void *ctx, paddr_t block, unsigned bits)
{
	struct map_buf *m = ctx;

	(void)block;
	if (m->next + 1 < m->len)
		m->buf[m->next] = class_char[bits];
	m->next++;
}

size_t axalloc_block_map(char *buf, size_t len)
{
	struct map_buf m = {buf, len, 0};
	size_t count = walk_blocks(put_block, &m);

	if (len > 0)
		buf[count < len ? count : len - 1] = '\0';
	return count;
}

/* The line being printed and the counts so far. */
struct map_printer {
	paddr_t line;		     /* address of the line's first column */
	int width;		     /* columns filled so far; 0: no line started */
	char text[LINE_BLOCKS + 1];  /* the line's characters */
	uint64_t counts[NR_CLASSES]; /* blocks of each class */
};

static void flush_line(struct map_printer *p)
{
	if (p->width == 0)
		return;
	p->text[p->width] = '\0';
	printf("  0x%08lx %s\n", (unsigned long)p->line, p->text);
	p->width = 0;
}

static void print_block(void *ctx, paddr_t block, unsigned bits)
{
	struct map_printer *p = ctx;
	paddr_t line = ALIGN_DOWN(block, LINE_SIZE);
	int col = (int)((block - line) / PAGE_SIZE_2M);

	if (p->width > 0 && line != p->line)
		flush_line(p);
	p->line = line;
	while (p->width < col)
		p->text[p->width++] = ' ';
	p->text[p->width++] = class_char[bits];
	p->counts[bits]++;
}

void axalloc_print_block_map(const char *title)
{
	struct map_printer p = {0};
	size_t count;

	printf("%s\n", title);
	printf("  one character per 2M block: '%c' free, '%c' movable pages in use, '%c' unmovable,"
	       " '%c' both\n",
	       AXALLOC_BLOCK_FREE, AXALLOC_BLOCK_MOVABLE, AXALLOC_BLOCK_UNMOVABLE,
	       AXALLOC_BLOCK_MIXED);
	count = walk_blocks(print_block, &p);
	flush_line(&p);
	printf("  %lu blocks: %lu free, %lu movable, %lu unmovable, %lu mixed\n",
	       (unsigned long)count, (unsigned long)p.counts[0],
	       (unsigned long)p.counts[HAS_MOVABLE], (unsigned long)p.counts[HAS_UNMOVABLE],
	       (unsigned long)p.counts[HAS_MOVABLE | HAS_UNMOVABLE]);
}

/*
 * axalloc/frame_ref.h - per-frame reference counts for copy-on-write, and
 * owner words for reverse mapping.
 *
 * Every 4K frame the page allocator manages has a 32-bit count (and a
 * 32-bit owner word, below), kept out of band in arrays carved with its
 * range's metadata (see axalloc_init; one pair of arrays per managed
 * range, found by address). A user counts a 2M or 1G
 * page either on its head frame only, or on each of its 4K frames so that
 * it can later be split into 4K pages that are shared and freed one by one
 * (mm-addrspace does so for transparent huge pages).
 *
 * Built with CONFIG_AXALLOC_FRAME_REFS, which MM_COW selects. The functions
 * are declared in every configuration but defined only with it: call them
 * under IS_ENABLED(CONFIG_AXALLOC_FRAME_REFS) (or of an option that selects
 * it), so the call is compiled always and dropped without the option.
 *
 * Contract (who counts what):
 * - axalloc_init sets every count to 0; axalloc_alloc_pages leaves the count
 *   of the frames it hands out at 0 and never changes a count.
 * - A user that may share a frame (mm-addrspace) raises the count of the
 *   counted frames of a page right after allocating it (0 -> 1,
 *   frame_ref_inc_range) and once more for every further mapping.
 * - Dropping a mapping drops one reference: with frame_ref_dec the caller
 *   that sees 0 frees the whole page with axalloc_free_pages;
 *   frame_ref_put_range drops one of each 4K frame and frees those at 0.
 * - axalloc_free_pages refuses (-EBUSY) a block whose head frame still has
 *   a non-zero count, so a frame is never freed while referenced.
 * Frames nobody shares (page tables, heap pages) simply stay at 0.
 *
 * All functions take the axalloc lock and are safe on several harts.
 */
#ifndef AXALLOC_FRAME_REF_H
#define AXALLOC_FRAME_REF_H

#include <axhal/mem.h>
#include <stdint.h>

/* Count of the frame at pa; 0 when pa is unaligned or not a managed frame. */
uint32_t frame_ref_get(paddr_t pa);

/*
 * Drops one reference of the frame at pa. Returns the new count (>= 0;
 * saturated to INT32_MAX in the return value when larger; frame_ref_get
 * gives the exact figure); -EINVAL when pa is unaligned, not managed, or its
 * count is already 0 (unchanged).
 */
int frame_ref_dec(paddr_t pa);

/*
 * Adds one reference to each of the n frames from pa (4K aligned, managed,
 * in one managed range). Returns 0; -EINVAL for a bad range or n == 0;
 * -ENOMEM when some count is already UINT32_MAX. Nothing changes on error.
 */
int frame_ref_inc_range(paddr_t pa, uint64_t n);

/* The largest count among the n frames from pa; 0 for a bad range. */
uint32_t frame_ref_max(paddr_t pa, uint64_t n);

/*
 * Drops one reference of each of the n frames from pa and frees (as
 * axalloc_free_pages) every frame whose count reaches 0, a run of them at a
 * time: a page nobody else maps goes back whole. Returns 0; -EINVAL for a
 * bad range, n == 0 or a frame whose count is already 0 (nothing changes).
 */
int frame_ref_put_range(paddr_t pa, uint64_t n);

/*
 * Owner words, for reverse mapping: every managed frame also has a 32-bit
 * word, 0 after axalloc_init, that the user of a frame sets when it maps
 * it and reads to find its mappings again (mm-addrspace stores the
 * frame's virtual page number). axalloc never reads it, and freeing a
 * frame leaves it as it is: a user must check what it finds.
 */

/*
 * Sets the owner words of the n frames from pa (4K aligned, in one managed
 * range) to first, first + 1, ... (all 0 when first is 0). 0 or -EINVAL
 * (bad range, n == 0; nothing changed).
 */
int frame_owner_set(paddr_t pa, uint64_t n, uint32_t first);

/* The owner word of the frame at pa; 0 when pa is unaligned or not managed. */
uint32_t frame_owner_get(paddr_t pa);

/*
 * Moves the counts and owner words of the n frames from `from` to the n
 * frames at `to` (migration): to's counts must all be 0; from's counts and
 * owner words become 0. 0; -EINVAL for a bad or overlapping range, n == 0
 * or a non-zero count at `to` (nothing changed).
 */
int frame_ref_move(paddr_t from, paddr_t to, uint64_t n);

#if defined(HOST_TEST)
/*
 * Test hook: sets the count of the managed frame at pa to `count` (to reach
 * the overflow limit without four billion increments). 0 or -EINVAL.
 */
int frame_ref_set_for_test(paddr_t pa, uint32_t count);
#endif

#endif

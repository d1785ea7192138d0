/*
 * aspace_internal.h - shared by mm-addrspace's own sources; not part of
 * the module's contract with other modules (or with its tests).
 *
 * Every page an area maps goes through the backend functions here: a frame
 * is taken with aspace_frame_alloc and a reference dropped with
 * aspace_frame_put, a PTE gets aspace_page_flags, and a page is added or
 * dropped together with its statistics. Operations that change many pages
 * and may run out of memory midway record their changes in a page log
 * (page_log.c) to undo them. Copy-on-write (cow.c, CONFIG_MM_COW) shares
 * frames in clone and breaks the sharing on writes. Transparent huge pages
 * (thp.c, CONFIG_MM_THP) are the pages larger than their area's page size.
 */
#ifndef MM_ADDRSPACE_ASPACE_INTERNAL_H
#define MM_ADDRSPACE_ASPACE_INTERNAL_H

#include <axalloc/frame_ref.h>
#include <axlog/log.h>
#include <errno.h>
#include <klib/errname.h>
#include <klib/kconfig.h>
#include <mm-addrspace/aspace.h>
#include <stdbool.h>
#include <stddef.h>

/* The area that embeds node n. */
static inline struct aspace_area *aspace_area_of(const struct interval_node *n)
{
	return n ? (struct aspace_area *)((char *)n - offsetof(struct aspace_area, node)) : NULL;
}

/*
 * Names for log messages. The module logs at debug (spaces created,
 * destroyed, cloned) and trace (every operation and page fault) only, so
 * these compile away with the messages at the default level.
 */

/* The "rwx" letters of MAPF_READ/WRITE/EXEC in flags, '-' for each one clear. */
static inline const char *aspace_rwx_name(unsigned flags)
{
	static const char *const names[] = {"---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx"};

	return names[flags & (MAPF_READ | MAPF_WRITE | MAPF_EXEC)];
}

/* " user", " device", both or "" for the MAPF_USER and MAPF_DEVICE bits of flags. */
static inline const char *aspace_flags_extra_name(unsigned flags)
{
	static const char *const names[] = {"", " user", " device", " user device"};

	return names[(flags & MAPF_USER ? 1 : 0) + (flags & MAPF_DEVICE ? 2 : 0)];
}

/* printf format and arguments for area or PTE flags: "rw-", "r-x user", "rw- device". */
#define ASPACE_FLAGS_FMT	 "%s%s"
#define ASPACE_FLAGS_ARGS(flags) aspace_rwx_name(flags), aspace_flags_extra_name(flags)

/* An access kind (ACCESS_* bits) in words: "read", "write", "read+write", ... */
static inline const char *aspace_access_name(unsigned access)
{
	static const char *const names[] = {"no access",  "read",	    "write",
					    "read+write", "exec",	    "read+exec",
					    "write+exec", "read+write+exec"};

	return names[access & ASPACE_ACCESS_MASK];
}

/* "4K", "2M" or "1G" ("?" for any other size). */
static inline const char *aspace_pgsize_name(uint64_t pgsize)
{
	return pgsize == PAGE_SIZE_4K	? "4K"
	       : pgsize == PAGE_SIZE_2M ? "2M"
	       : pgsize == PAGE_SIZE_1G ? "1G"
					: "?";
}

/* An area's backend in words: "linear", "alloc populate" or "alloc lazy". */
static inline const char *aspace_backend_name(const struct aspace_area *a)
{
	if (a->backend.kind == ASPACE_BACKEND_LINEAR)
		return "linear";
	return a->backend.alloc.populate ? "alloc populate" : "alloc lazy";
}

/* printf format and arguments for an area: "[0x10000000, 0x10010000) rw- alloc lazy 4K". */
#define ASPACE_AREA_FMT "[%#lx, %#lx) " ASPACE_FLAGS_FMT " %s %s"
#define ASPACE_AREA_ARGS(a)                                                                        \
	(unsigned long)(a)->node.start, (unsigned long)(a)->node.end,                              \
	    ASPACE_FLAGS_ARGS((a)->flags), aspace_backend_name(a),                                 \
	    aspace_pgsize_name((a)->backend.pgsize)

/*
 * axalloc's migrator (axalloc_set_migrator): aspace_migrate of the page
 * that holds pa, or with check_only, when it would move, the number of
 * that page's frames from pa on (without allocating). Registered when a
 * space is created (CONFIG_MM_COW).
 *
 * Direct compaction: with CONFIG_AXALLOC_DIRECT_COMPACTION an allocation
 * of 2M or more (a transparent huge page, a frame of a 2M or 1G area, a
 * collapse, a 2M copy) may run the migrator before it returns, in the
 * middle of an operation of this module, and move any Alloc page, the
 * operation's own space included. A move changes only the frame behind an
 * unchanged mapping (same address, size, flags and reference counts). So
 * the rule is: an operation holds no physical address of a movable page
 * across such an allocation, except those the migrator refuses.
 *   - A page at least as large as the allocation cannot move meanwhile
 *     (compaction for a 2^k-page block runs only while no such block is
 *     free, and moving the page would need one): a copy may hold its
 *     source's frame (aspace_frame_dup), aspace_migrate the page it moves.
 *   - Read the frames of smaller pages after the allocation: a collapse
 *     reads its 4K pages' frames once it has the 2M frame.
 *   - Page log records name virtual ranges (MAPPED, RESTORED), but for two
 *     kinds. COPIED keeps the frame the page left; the operation still
 *     holds a reference on it that no mapping accounts for, and the
 *     migrator refuses a frame with more references than mappings
 *     (-EBUSY). SPLIT keeps the huge frame its pages must still form for
 *     undo; the migrator refuses the pages aspace_log_pins names (-EBUSY).
 *   - Everything else an operation keeps (areas, virtual addresses, page
 *     sizes, counts) a move does not change, so a fault or populate may
 *     compact away its own space's 4K pages to get a 2M frame.
 */
int aspace_compaction_migrate(paddr_t pa, bool check_only);

/* The list of every live space (struct aspace.link), newest first. */
struct list_head *aspace_live_spaces(void);

/* True if [va, va + size) is non-empty, does not overflow and lies in the space. */
bool aspace_range_ok(const struct aspace *as, vaddr_t va, uint64_t size);

/* True if flags are valid area flags (see aspace.h). */
bool aspace_flags_valid(unsigned flags);

/* True if a page of pgsize in area a is a transparent huge page. */
static inline bool aspace_is_thp(const struct aspace_area *a, uint64_t pgsize)
{
	return pgsize > a->backend.pgsize;
}

/*
 * With CONFIG_MM_COW, how many 4K frames of a page of pgsize in area a
 * carry a reference count: every one of a transparent huge page, so that
 * its 4K pages can be split off, shared and freed one by one; only the
 * head frame of any other page (one count for a 2M or 1G page of a huge
 * area).
 */
static inline uint64_t aspace_counted_frames(const struct aspace_area *a, uint64_t pgsize)
{
	return aspace_is_thp(a, pgsize) ? pgsize / PAGE_SIZE_4K : 1;
}

/*
 * Allocates a frame for the page of pgsize at va of area a, aligned to
 * pgsize, zeroed when `zero`; with CONFIG_MM_COW its counted frames hold 1
 * and the owner word of each 4K frame is its virtual page number (the
 * reverse map, rmap.c). 0 or -ENOMEM.
 */
int aspace_frame_alloc(const struct aspace_area *a, vaddr_t va, uint64_t pgsize, bool zero,
		       paddr_t *pa);

/*
 * Allocates a frame (as aspace_frame_alloc) holding a copy of the page of
 * pgsize at va of area a, whose frame is pa. 0 or -ENOMEM.
 */
int aspace_frame_dup(const struct aspace_area *a, vaddr_t va, paddr_t pa, uint64_t pgsize,
		     paddr_t *copy);

/*
 * Drops one reference of the page of pgsize of area a at pa and frees what
 * no reference is left on: the whole page, or the 4K frames of a
 * transparent huge page whose counts reach 0 (without CONFIG_MM_COW: frees
 * the page).
 */
void aspace_frame_put(const struct aspace_area *a, paddr_t pa, uint64_t pgsize);

/*
 * The largest reference count of the counted frames of the page of pgsize
 * of area a at pa: more than 1 when some part of it is mapped elsewhere too
 * (always 1 without CONFIG_MM_COW: one owner per frame).
 */
static inline uint32_t aspace_frame_refs(const struct aspace_area *a, paddr_t pa, uint64_t pgsize)
{
	return IS_ENABLED(CONFIG_MM_COW) ? frame_ref_max(pa, aspace_counted_frames(a, pgsize)) : 1;
}

/*
 * The PTE flags for the page of area a (of pgsize) whose frame is at pa:
 * the area's flags, without write when the frame of an Alloc page is shared.
 */
unsigned aspace_page_flags(const struct aspace_area *a, paddr_t pa, uint64_t pgsize);

/*
 * Counts n pages of pgsize of area a as mapped (Alloc frames, transparent
 * huge pages) or, with a negative n, as unmapped.
 */
void aspace_account(struct aspace *as, const struct aspace_area *a, uint64_t pgsize, int64_t n);

/*
 * Maps the Alloc page at va (pgsize, unmapped) of area a to the frame pa
 * with PTE flags and counts it, the page taking over the references to pa
 * that the caller holds. On failure drops them (aspace_frame_put) and
 * changes nothing else. 0 or -ENOMEM (no page table).
 */
int aspace_map_frame(struct aspace *as, const struct aspace_area *a, vaddr_t va, paddr_t pa,
		     uint64_t pgsize, unsigned flags);

/*
 * Allocates an area node for [va, va + size) with flags and backend and
 * links it (the range must be valid and free). NULL: no memory.
 */
struct aspace_area *aspace_add_area(struct aspace *as, vaddr_t va, uint64_t size, unsigned flags,
				    const struct aspace_backend *backend);

/* Unlinks and frees an area whose pages are already unmapped. */
void aspace_remove_area(struct aspace *as, struct aspace_area *a);

/* Unmaps every page of every area (dropping frames) and removes the areas. */
void aspace_unmap_all(struct aspace *as);

/*
 * Maps every page of the Linear area a. 0, or -ENOMEM (no page table) with
 * every page this call mapped unmapped again.
 */
int aspace_map_linear_pages(struct aspace *as, const struct aspace_area *a);

/*
 * Unmaps the page of the Alloc area a that starts at va and drops its
 * frame. Returns the page's size, or 0 (and changes nothing) if no page
 * starts there.
 */
uint64_t aspace_drop_alloc_page(struct aspace *as, const struct aspace_area *a, vaddr_t va);

/*
 * Unmaps every mapped page of area a in [start, end) (both on a's page
 * size, cutting no transparent huge page), dropping Alloc frames. Cannot
 * fail.
 */
void aspace_unmap_pages(struct aspace *as, const struct aspace_area *a, vaddr_t start, vaddr_t end);

/*
 * Gives the mapped pages of area a in [start, end) (both on a's page size,
 * cutting no transparent huge page) their PTE flags (aspace_page_flags,
 * after the caller set a->flags).
 */
void aspace_protect_pages(struct aspace *as, const struct aspace_area *a, vaddr_t start,
			  vaddr_t end);

/*
 * Checks that [start, end) is covered by areas without holes and that each
 * of them allows `access`. 0, -ENOENT (hole) or -EFAULT (forbidden); the
 * first problem in address order is reported.
 */
int aspace_check_covered(const struct aspace *as, vaddr_t start, vaddr_t end, unsigned access);

/*
 * A page log: the page changes an operation made so far, to undo them when
 * a later step fails (aspace_log_undo) or to complete them when every step
 * succeeded (aspace_log_commit). Records:
 *   MAPPED    a run of pages the operation mapped (new frames); undo unmaps
 *             them and drops their frames.
 *   RESTORED  a run of COW-pending pages given back write permission; undo
 *             takes write away again.
 *   COPIED    one page moved from its shared frame old_pa to a private copy;
 *             undo maps old_pa again (without write) and drops the copy;
 *             commit drops the page's reference to old_pa.
 *   SPLIT     one transparent huge page (frame old_pa) split into 512
 *             smaller pages; undo makes it one page again.
 * Undo goes from the last record to the first, so a page split and then
 * copied is put back before it is made whole again. Statistics (faults,
 * cow_faults, cow_copies, the thp_* counters) are only added by commit.
 * The first chunk of records is part of the log (on the caller's stack);
 * further chunks come from kmalloc. Room for a record is reserved before
 * the change it records is made, so the log never misses a change.
 */
enum aspace_log_kind {
	ASPACE_LOG_MAPPED,
	ASPACE_LOG_RESTORED,
	ASPACE_LOG_COPIED,
	ASPACE_LOG_SPLIT,
	ASPACE_LOG_KINDS
};

#define ASPACE_LOG_CHUNK_RECS 15

struct aspace_log_rec {
	vaddr_t start;
	vaddr_t end;
	paddr_t old_pa; /* COPIED only */
	enum aspace_log_kind kind;
};

struct aspace_log_chunk {
	struct aspace_log_chunk *next;
	struct aspace_log_chunk *prev;
	unsigned nr;
	struct aspace_log_rec recs[ASPACE_LOG_CHUNK_RECS];
};

struct aspace_log {
	struct aspace_log_chunk first;
	struct aspace_log_chunk *last;
	uint64_t nr_pages[ASPACE_LOG_KINDS]; /* pages recorded, by kind */
	uint64_t thp_fault_alloc;	     /* MAPPED pages that are transparent huge ones */
	uint64_t thp_fault_fallback;	     /* MAPPED pages that fell back to a smaller size */
};

/*
 * Makes log empty and the log of the operation now running on `as`
 * (as->op_log) until aspace_log_undo or aspace_log_commit ends it.
 * Operations on one space do not nest.
 */
void aspace_log_init(struct aspace *as, struct aspace_log *log);

/*
 * True if the operation running on `as` holds the physical address of the
 * page that maps va: a SPLIT record of its log covers va (undo joins the
 * huge page's frames again at the address recorded). The migrator refuses
 * such a page (see "Direct compaction" below).
 */
bool aspace_log_pins(const struct aspace *as, vaddr_t va);

/*
 * Makes room for a record of `kind` for the page at va (COPIED and SPLIT
 * make room for any record). 0 or -ENOMEM.
 */
int aspace_log_reserve(struct aspace_log *log, enum aspace_log_kind kind, vaddr_t va);

/*
 * Records the page [va, va + pgsize), for which aspace_log_reserve made
 * room; old_pa is the frame a COPIED page used before (else ignored).
 */
void aspace_log_add(struct aspace_log *log, enum aspace_log_kind kind, vaddr_t va, uint64_t pgsize,
		    paddr_t old_pa);

/* Undoes every recorded change and frees the log's chunks. */
void aspace_log_undo(struct aspace *as, struct aspace_log *log);

/*
 * Completes the recorded changes: drops each copied page's reference to its
 * old frame, adds the statistics (MAPPED pages count as faults only with
 * count_faults), and frees the log's chunks.
 */
void aspace_log_commit(struct aspace *as, struct aspace_log *log, bool count_faults);

/*
 * Maps the unmapped page of the Alloc area a that holds va: a transparent
 * huge page when the area may have one there (aspace_thp_fault_size) and a
 * frame is free, else one page of the area's size (counting a fallback in
 * log). Records it in log (MAPPED; room is reserved here) and stores its
 * start and size. 0 or -ENOMEM (nothing changed).
 */
int aspace_fault_in(struct aspace *as, const struct aspace_area *a, vaddr_t va,
		    struct aspace_log *log, vaddr_t *start, uint64_t *pgsize);

/*
 * Maps every unmapped page overlapping [start, end) (4K-aligned, checked by
 * aspace_check_covered for `access`), and with ACCESS_WRITE breaks COW on
 * every COW-pending page there. With count_faults, stats.faults grows by
 * the number of pages mapped. 0, or -ENOMEM with every change undone.
 */
int aspace_populate_range(struct aspace *as, vaddr_t start, vaddr_t end, unsigned access,
			  bool count_faults);

/*
 * Copy-on-write, defined in cow.c, which is built only with CONFIG_MM_COW:
 * callers test IS_ENABLED(CONFIG_MM_COW) before calling these, so the
 * calls are compiled in every configuration and dropped without COW.
 */

/* True if a page of area a whose PTE has pte_flags is COW-pending. */
static inline bool aspace_cow_pending(const struct aspace_area *a, unsigned pte_flags)
{
	return a->backend.kind == ASPACE_BACKEND_ALLOC && (a->flags & MAPF_WRITE) &&
	       !(pte_flags & MAPF_WRITE);
}

/*
 * Breaks COW for a write at va on the COW-pending page of area a that holds
 * it: when no other space maps any part of the page, restores write on it
 * (RESTORED record); else a transparent huge page is split first (SPLIT
 * record) and then the page of the area's size that holds va breaks COW
 * the same way, or is copied into a new frame mapped writable (COPIED
 * record). Room for the records is reserved here. Stores the end of the
 * page whose COW was broken. 0 or -ENOMEM (nothing changed beyond log).
 */
int aspace_cow_break(struct aspace *as, const struct aspace_area *a, vaddr_t va,
		     struct aspace_log *log, vaddr_t *done);

/*
 * Copies the page of area a at va (frame pa, size pgsize) into a new frame
 * and maps that one at va with `flags` (COPIED record; room reserved by the
 * caller). 0 or -ENOMEM (nothing changed).
 */
int aspace_cow_copy(struct aspace *as, const struct aspace_area *a, vaddr_t va, paddr_t pa,
		    uint64_t pgsize, unsigned flags, struct aspace_log *log);

/*
 * Protect adding write breaks COW: before the Alloc areas in [start, end)
 * that lack write get it, copies each of their mapped pages whose frame is
 * shared (keeping the page's PTE flags; the protect pass gives them the new
 * ones), splitting transparent huge pages to copy only their shared 4K
 * pages. Recorded in log (counted in cow_faults and cow_copies at commit).
 * 0 or -ENOMEM (the caller undoes log).
 */
int aspace_cow_unshare_for_write(struct aspace *as, vaddr_t start, vaddr_t end,
				 struct aspace_log *log);

/*
 * Clone step: maps the frame pa of a page of pgsize of the source space at
 * va (in dst's area d) in dst too, with one more reference on each of its
 * counted frames and without write. 0 or -ENOMEM (count overflow or no page
 * table; nothing changed).
 */
int aspace_cow_share_page(struct aspace *dst, const struct aspace_area *d, vaddr_t va, paddr_t pa,
			  uint64_t pgsize);

/*
 * Transparent huge pages, defined in thp.c, which is built only with
 * CONFIG_MM_THP: callers test IS_ENABLED(CONFIG_MM_THP) first.
 */

/*
 * The size of the page a fault at va in area a should map: the largest
 * transparent huge page size the space's policy and a's advice allow whose
 * aligned block around va lies inside a and has nothing mapped; else the
 * area's page size.
 */
uint64_t aspace_thp_fault_size(const struct aspace *as, const struct aspace_area *a, vaddr_t va);

/*
 * Splits the transparent huge page of area a that starts at va into 512
 * pages of the next smaller size (SPLIT record; room is reserved here).
 * 0 or -ENOMEM (no page table; nothing changed).
 */
int aspace_thp_split(struct aspace *as, const struct aspace_area *a, vaddr_t va,
		     struct aspace_log *log);

/*
 * Splits every transparent huge page that the boundary `at` falls strictly
 * inside (a 1G one down to 4K pages), recording the splits in log. 0 or
 * -ENOMEM (the caller undoes log).
 */
int aspace_thp_cut(struct aspace *as, vaddr_t at, struct aspace_log *log);

/*
 * Undoes a SPLIT record: makes the pages of [va, va + size) one
 * transparent huge page of frame pa again.
 */
void aspace_thp_unsplit(struct aspace *as, vaddr_t va, uint64_t size, paddr_t pa);

/* aspace_collapse with CONFIG_MM_THP, without its log message. */
int aspace_thp_collapse(struct aspace *as, vaddr_t va, uint64_t size);

/* aspace_khugepaged_scan with CONFIG_MM_THP. */
uint64_t aspace_thp_scan(struct aspace *as, uint64_t max_blocks);

#endif

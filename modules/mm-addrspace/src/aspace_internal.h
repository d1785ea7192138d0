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
 * frames in clone and breaks the sharing on writes.
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

/* True if [va, va + size) is non-empty, does not overflow and lies in the space. */
bool aspace_range_ok(const struct aspace *as, vaddr_t va, uint64_t size);

/* True if flags are valid area flags (see aspace.h). */
bool aspace_flags_valid(unsigned flags);

/*
 * Allocates a frame of pgsize, aligned to pgsize, zeroed when `zero`; with
 * CONFIG_MM_COW its count is 1. 0 or -ENOMEM.
 */
int aspace_frame_alloc(uint64_t pgsize, bool zero, paddr_t *pa);

/*
 * Allocates a frame of pgsize (as aspace_frame_alloc) holding a copy of the
 * page at pa. 0 or -ENOMEM.
 */
int aspace_frame_dup(paddr_t pa, uint64_t pgsize, paddr_t *copy);

/*
 * Drops one reference of a frame from aspace_frame_alloc and frees it when
 * none is left (without CONFIG_MM_COW: frees it).
 */
void aspace_frame_put(paddr_t pa, uint64_t pgsize);

/* The frame's reference count (always 1 without CONFIG_MM_COW: one owner per frame). */
static inline uint32_t aspace_frame_refs(paddr_t pa)
{
	return IS_ENABLED(CONFIG_MM_COW) ? frame_ref_get(pa) : 1;
}

/*
 * The PTE flags for the page of area a whose frame is at pa: the area's
 * flags, without write when the frame of an Alloc page is shared.
 */
unsigned aspace_page_flags(const struct aspace_area *a, paddr_t pa);

/* Counts n pages of pgsize as mapped (alloc: backed by Alloc frames). */
void aspace_account_map(struct aspace *as, uint64_t pgsize, uint64_t n, bool alloc);

/*
 * Maps the Alloc page at va (pgsize, unmapped) to the frame pa with PTE
 * flags and counts it, the page taking over a reference to pa that the
 * caller holds. On failure drops that reference (aspace_frame_put) and
 * changes nothing else. 0 or -ENOMEM (no page table).
 */
int aspace_map_frame(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t pgsize, unsigned flags);

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
 * Gives the unmapped page at va (aligned to the area's page size) of the
 * Alloc area a a new zeroed frame and maps it. 0 or -ENOMEM (nothing changed).
 */
int aspace_map_alloc_page(struct aspace *as, const struct aspace_area *a, vaddr_t va);

/*
 * Unmaps the Alloc page that starts at va and drops its frame. Returns the
 * page's size, or 0 (and changes nothing) if no page is mapped there.
 */
uint64_t aspace_drop_alloc_page(struct aspace *as, vaddr_t va);

/*
 * Unmaps every mapped page of area a in [start, end) (both on a's page
 * size), dropping Alloc frames. Cannot fail.
 */
void aspace_unmap_pages(struct aspace *as, const struct aspace_area *a, vaddr_t start, vaddr_t end);

/*
 * Gives the mapped pages of area a in [start, end) (both on a's page size)
 * their PTE flags (aspace_page_flags, after the caller set a->flags).
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
 * Statistics (faults, cow_faults, cow_copies) are only added by commit.
 * The first chunk of records is part of the log (on the caller's stack);
 * further chunks come from kmalloc. Room for a record is reserved before
 * the change it records is made, so the log never misses a change.
 */
enum aspace_log_kind {
	ASPACE_LOG_MAPPED,
	ASPACE_LOG_RESTORED,
	ASPACE_LOG_COPIED,
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
	unsigned nr;
	struct aspace_log_rec recs[ASPACE_LOG_CHUNK_RECS];
};

struct aspace_log {
	struct aspace_log_chunk first;
	struct aspace_log_chunk *last;
	uint64_t nr_pages[ASPACE_LOG_KINDS]; /* pages recorded, by kind */
};

/* Makes log empty. */
void aspace_log_init(struct aspace_log *log);

/*
 * Makes room for a record of `kind` for the page at va (COPIED makes room
 * for any record). 0 or -ENOMEM.
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
 * Breaks COW on the COW-pending page at va (start of a page of area a)
 * whose frame is pa: with count 1 restores write (RESTORED record), else
 * copies the page into a new frame mapped writable (COPIED record). The
 * caller reserved room in log (for a COPIED record). 0 or -ENOMEM (nothing
 * changed).
 */
int aspace_cow_break(struct aspace *as, const struct aspace_area *a, vaddr_t va, paddr_t pa,
		     struct aspace_log *log);

/*
 * Copies the page at va (frame pa, size pgsize) into a new frame and maps
 * that one at va with `flags` (COPIED record; room reserved by the caller).
 * 0 or -ENOMEM (nothing changed).
 */
int aspace_cow_copy(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t pgsize, unsigned flags,
		    struct aspace_log *log);

/*
 * Protect adding write breaks COW: before the Alloc areas in [start, end)
 * that lack write get it, copies each of their mapped pages whose frame is
 * shared (keeping the page's PTE flags; the protect pass gives them the new
 * ones). Counted in cow_faults and cow_copies. 0, or -ENOMEM with every
 * copy undone.
 */
int aspace_cow_unshare_for_write(struct aspace *as, vaddr_t start, vaddr_t end);

/*
 * Clone step: maps the frame pa of a page of the source space at va (the
 * start of a page of dst's area d) in dst too, with one more reference and
 * without write. 0 or -ENOMEM (count overflow or no page table; nothing
 * changed).
 */
int aspace_cow_share_page(struct aspace *dst, const struct aspace_area *d, vaddr_t va, paddr_t pa);

#endif

/*
 * aspace_model.h - a shadow model of one address space, shared by the
 * seeded stress test and the fuzzer (and, several of them sharing frames,
 * by the copy-on-write world of aspace_world.h).
 *
 * The model keeps its own sorted array of areas, a "mapped" byte per 4K
 * page, the bytes every Alloc page holds and the bytes of the physical range
 * Linear areas map (near ENV_LIN_BASE + (va - base); content survives unmap
 * and remap of a Linear area, and two Linear areas may alias). For each
 * operation it predicts the result (the error code, or the new state)
 * independently of the implementation, runs the real call, and compares.
 * Frames: every mapped Alloc page has a model frame id (the same on all of
 * its 4K slots) in a frame table that counts the mappings of each frame,
 * which several models may share; a page is COW-pending when it shares a
 * frame (or did) and its PTE lacks the write its area allows. The model
 * predicts COW breaks (restore write at one reference, copy otherwise) and
 * their statistics.
 * Transparent huge pages (CONFIG_MM_THP): the model keeps the space's
 * policy, each area's advice and, per 2M block, whether one transparent 2M
 * page maps it. Its 4K frames have ids of their own (consecutive), as the
 * real counts are per 4K frame. Allocation never runs short of 2M frames
 * here (only injected failures, which fail the 4K fallback too), so the
 * model predicts exactly where a fault or populate maps a 2M page (policy
 * and advice allow it, the block lies inside the area and has nothing
 * mapped), where unmap, protect and advise split one (a range end inside
 * it), what a COW write does (restore write on the whole page when no part
 * of it is shared, else split it and break COW on the 4K page written),
 * which blocks aspace_collapse and aspace_khugepaged_scan collapse, and the
 * thp_* statistics; under an injected failure it takes the blocks collapsed
 * before the failing one from the space (they must be a prefix).
 * Checks after every operation: the area list and the statistics
 * (model_check_light), the allocator's pages (frames + tables exactly, heap
 * bytes per area: model_check_mem); model_check_full also walks every page:
 * mapped-ness, page size, flags (without write where COW-pending), Linear
 * frames, the real frame behind each model frame and its reference count,
 * and the bytes visible through the space.
 *
 * Operations can run with allocation failure injected (axalloc_fail_after):
 * the real call may then return -ENOMEM where the model predicts success,
 * and the model stays as it was, which the checks compare against.
 *
 * Random decisions come from a test_src: test_rand from a seed (stress) or the
 * fuzzer's input bytes. A mismatch prints the operation and aborts.
 */
#ifndef ASPACE_MODEL_H
#define ASPACE_MODEL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aspace_test_env.h"
#include "test_src.h"

#define MODEL_MAX_AREAS	 1024
#define MODEL_BUSY_AREAS 96 /* above this, the generator prefers large unmaps */
#define MODEL_MAX_IO	 (3 * PAGE_SIZE_4K + 512)
#define MODEL_PERM	 (MAPF_READ | MAPF_WRITE | MAPF_EXEC | MAPF_USER | MAPF_DEVICE)
#define MODEL_PAGES(x)	 ((x) / PAGE_SIZE_4K)

/* ---- randomness ---- */

/* Decisions come from a struct test_src (tests/host/test_src.h). */

/* ---- the model ---- */

enum model_outcome { MODEL_OK, MODEL_ERROR, MODEL_INJECTED, MODEL_NR_OUTCOMES };

enum model_op_kind {
	MOP_MAP_ALLOC,
	MOP_MAP_LINEAR,
	MOP_UNMAP,
	MOP_PROTECT,
	MOP_POPULATE,
	MOP_FAULT,
	MOP_WRITE,
	MOP_READ,
	MOP_QUERY,
	MOP_FIND_FREE,
	MOP_SET_POLICY,
	MOP_ADVISE,
	MOP_COLLAPSE,
	MOP_KHUGEPAGED, /* outcome "ok": it collapsed something, "error": nothing */
	MOP_NR
};

struct model_area {
	vaddr_t start;
	vaddr_t end;
	unsigned flags;
	enum aspace_backend_kind kind;
	uint64_t pgsize;
	bool populate;
	uint64_t off; /* Linear: va - pa */
	enum aspace_advice advice;
};

/*
 * Frames of Alloc pages, by model id (0 is "none"): how many mappings each
 * has, its page size and, once a check has seen it, the real frame.
 */
struct model_frames {
	uint32_t nr; /* ids handed out so far, 0 included */
	uint32_t cap;
	uint32_t *refs;
	uint64_t *pgsize;
	paddr_t *pa;
	uint64_t live_4k; /* 4K frames of the ids with references */
};

struct model {
	struct aspace as;
	vaddr_t base;
	vaddr_t end;
	uint64_t npages;
	struct model_area areas[MODEL_MAX_AREAS];
	int nr;
	uint8_t *mapped;  /* per 4K page */
	uint8_t *bytes;	  /* Alloc content, per byte of the space (0 where unmapped) */
	uint8_t *lin;	  /* the physical bytes Linear areas map, from ENV_LIN_BASE */
	uint32_t *occ;	  /* find_free scratch: occ[i] = pages below page i inside areas */
	uint32_t *frame;  /* per 4K page of Alloc areas: model frame id, 0 if unmapped */
	uint8_t *pending; /* per 4K page: COW-pending */
	uint8_t *thp;	  /* per 2M block: mapped by one transparent 2M page */
	enum aspace_thp_policy policy;
	struct model_frames *frames;	/* own_frames, or a world's table */
	struct model_frames own_frames; /* a lone model's table */
	bool own_lin;			/* lin belongs to this model (not to a world) */
	uint64_t faults;
	uint64_t spurious;
	uint64_t cow_faults;
	uint64_t cow_copies;
	uint64_t thp_fault_alloc;
	uint64_t thp_split;
	uint64_t thp_collapse;
	uint64_t thp_collapse_failed;
	uint64_t thp_cow_splits;   /* of thp_split: by a COW write (the model's own tally) */
	uint64_t thp_cow_restores; /* COW writes that restored write on a whole 2M page */
	struct mem_snap base_mem;
	uint64_t heap_per_area;
	/* Outcomes per operation kind: success, predicted error, injected -ENOMEM. */
	unsigned long outcomes[MOP_NR][MODEL_NR_OUTCOMES];
	uint64_t seed;	     /* printed on failure (stress); 0 for fuzz input */
	unsigned long op_no; /* operations run so far */
	char op_text[200];
};

/*
 * Unless cond holds, prints where, the checker's name `who`, the condition's
 * text and the seed, number and text of run r's current operation (r has
 * seed, op_no and op_text members), and aborts.
 */
#define SEEDED_CHECK(r, who, cond, text)                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: %s check failed: %s\n  seed %#llx, op %lu: %s\n",  \
				__FILE__, __LINE__, who, text, (unsigned long long)(r)->seed,      \
				(r)->op_no, (r)->op_text);                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define MODEL_CHECK(m, cond) SEEDED_CHECK(m, "model", cond, #cond)

/* Physical range the model's lin[] stands for: the space's size plus that shift. */
#define MODEL_LIN_SHIFT PAGE_SIZE_4K

/* ---- the frame table ---- */

/* A new frame id of pgsize with one reference. */
uint32_t model_frame_new(struct model_frames *fr, uint64_t pgsize);

/* Adds a reference to frame id (another space maps it). */
void model_frame_get(struct model_frames *fr, uint32_t id);

/* The transparent huge page policy a new space starts with (Kconfig). */
enum aspace_thp_policy model_default_policy(void);

void model_frames_free(struct model_frames *fr);

/*
 * Sets up the arrays of a model over [base, base + size) (2M-aligned, size
 * up to ENV_LIN_SIZE) with frame table fr (NULL: its own) and Linear bytes
 * lin (NULL: its own). Creates no space.
 */
void model_alloc(struct model *m, vaddr_t base, uint64_t size, uint64_t seed,
		 struct model_frames *fr, uint8_t *lin);

/* Frees the arrays of model_alloc. */
void model_free(struct model *m);

/* What one area node costs the heap. */
uint64_t model_heap_per_area(void);

/*
 * Starts a lone model over a space [base, base + size) (2M-aligned, size up
 * to ENV_LIN_SIZE) on a fresh allocator. The Linear range is cleared.
 */
void model_init(struct model *m, vaddr_t base, uint64_t size, uint64_t seed);

/* Destroys the space, checks that the allocator is back at its baseline. */
void model_fini(struct model *m);

uint64_t model_pg(const struct model *m, vaddr_t va);

/* Gives the page [page, page + pg) frame id (on every 4K slot) and its pending state. */
void model_page_set(struct model *m, vaddr_t page, uint64_t pg, uint32_t id, bool pending);

/*
 * Drops the mapped pages of area a in [s, e) and their frames' references;
 * Alloc bytes return to zero. No transparent huge page may straddle s or e.
 */
void model_drop_pages(struct model *m, const struct model_area *a, vaddr_t s, vaddr_t e);

/*
 * The model side of a successful clone (share: aspace_clone with
 * CONFIG_MM_COW) or copy of src into the empty dst: the same areas, policy
 * and bytes; each mapped Alloc page (a transparent one as one 2M page)
 * shares src's frames, COW-pending in writable areas in both, or gets new
 * frames of its size.
 */
void model_clone_from(struct model *dst, struct model *src, bool share);

/* ---- the prediction of each operation ---- */

/* ---- operations ---- */

struct model_op {
	enum model_op_kind kind;
	vaddr_t va;
	uint64_t size; /* bytes (write/read: length) */
	paddr_t pa;
	unsigned flags;
	uint64_t pgsize;
	bool populate;
	unsigned access;
	uint8_t pattern;
	vaddr_t limit;
	uint64_t align;
	int policy;		   /* set_policy (may be out of range) */
	enum aspace_advice advice; /* advise (may be out of range) */
	uint64_t max_blocks;	   /* khugepaged */
	long fail_after;	   /* < 0: no injection */
};

/* Draws one operation. */
struct model_op model_gen(const struct model *m, struct test_src *s);

/* Area list and statistics against the model. */
void model_check_light(struct model *m);

/*
 * The allocator against n models that share one frame table (a lone model:
 * n = 1): frames of the live model frames plus every space's page tables,
 * and an area node's heap bytes per area. The first model's baseline counts.
 */
void model_check_mem(struct model *const *ms, int n);

/* Every page: mapped-ness, size, flags, frame and count, and visible bytes. */
void model_check_full(struct model *m);

/* The name of an operation kind, as the outcome table prints it. */
const char *model_op_name(enum model_op_kind kind);

/* Prints the outcome counts as a table. */
void model_print_outcomes(const struct model *m);

/* Runs one operation against both sides and checks the light invariants. */
void model_run(struct model *m, const struct model_op *op);

/*
 * Compaction between operations, for n models that share one frame table:
 * every free 2M block is held (hog_2m_frames), so that axalloc_compact(order)
 * must migrate the models' pages to free a block (for order 10, two 2M
 * blocks that do not make a 4M one are given back first, so that
 * transparent pages can move too; order 18 finds a held page in every 1G
 * block, so nothing may move), with allocation failure injected when
 * fail_after >= 0; then everything held is given back. The models follow
 * their frames: each is checked page by page (model_check_full) before,
 * and again after with the real frames forgotten, so that pages sharing a
 * model frame must share one real frame wherever it went, with its count
 * and bytes; a frame may have moved only if the compaction migrated pages.
 * Returns what axalloc_compact did (0 or -ENOMEM) and fills *res.
 */
int model_compact(struct model *const *ms, int n, unsigned order, long fail_after,
		  struct axalloc_compact_result *res);

/* Runs a set_policy operation (for a run that starts with another policy). */
void model_set_policy(struct model *m, enum aspace_thp_policy policy);

#endif

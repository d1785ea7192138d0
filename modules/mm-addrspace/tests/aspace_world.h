/*
 * aspace_world.h - several address spaces that clone each other, against
 * shadow models (aspace_model.h) that share one frame table.
 *
 * A world has WORLD_SPACES slots, each dead or holding a live space and its
 * model. Operations: any single-space operation of aspace_model.h on a live
 * space, clone (aspace_clone) and copy (aspace_copy) of one space into a
 * slot (a dead slot gets a fresh space first), and destroy. The models
 * predict what clone does: with CONFIG_MM_COW aspace_clone shares every
 * mapped Alloc page (the frame gets one more reference, and both pages
 * become COW-pending in writable areas); aspace_copy, and aspace_clone
 * without CONFIG_MM_COW, give the clone new frames. Writes, faults,
 * populate and protect then break COW as the models predict. With
 * CONFIG_MM_THP, clones share transparent huge pages as 2M pages, COW
 * writes split them, and the single-space operations include the THP policy,
 * advice, collapse and the khugepaged scan step.
 *
 * Checks: after every operation the statistics and areas of the spaces it
 * touched, and the allocator against all live spaces (frames of the live
 * model frames + every page table; heap bytes per area); every
 * WORLD_FULL_CHECK_EVERY operations each space page by page (bytes,
 * flags, frames and their reference counts). A mismatch prints the seed
 * and the operation and aborts.
 *
 * With compaction interleaved (world_run_compact), some operations are a
 * compaction instead (model_compact: orders 9, 10 and 18, some with an
 * allocation failing): frames move under the spaces, and every check above
 * must still hold, the frames followed to where they went.
 */
#ifndef ASPACE_WORLD_H
#define ASPACE_WORLD_H

#include "aspace_model.h"

#define WORLD_SPACES	       6
#define WORLD_BASE	       0x40000000UL
#define WORLD_SIZE	       (16UL << 20)
#define WORLD_FULL_CHECK_EVERY 64
#define WORLD_CLONE_FAIL_MAX   40 /* injected failures land within this many allocations */

enum world_op_kind { WOP_SPACE, WOP_CLONE, WOP_COPY, WOP_DESTROY, WOP_COMPACT, WOP_NR };

struct world {
	struct model spaces[WORLD_SPACES];
	bool live[WORLD_SPACES];
	struct model_frames frames;
	uint8_t *lin;
	struct mem_snap base_mem;
	uint64_t seed;
	unsigned long op_no;
	/* Clone / copy / destroy outcomes; single-space ones are in each model. */
	unsigned long outcomes[WOP_NR][MODEL_NR_OUTCOMES];
	uint64_t cow_faults_gone; /* COW statistics of destroyed spaces */
	uint64_t cow_copies_gone;
	uint64_t thp_gone[5];	  /* THP faults, splits, collapses, COW splits, COW restores of
				     destroyed spaces */
	unsigned compact_percent; /* operations that are a compaction instead */
	uint64_t pages_migrated;  /* by all of them */
	char op_text[160];
};

#define WORLD_CHECK(w, cond) SEEDED_CHECK(w, "world", cond, #cond)

/*
 * Runs `rounds` rounds of `ops` operations, each round a fresh world seeded
 * with seed + round (odd rounds start with the THP policy always), with full
 * checks every WORLD_FULL_CHECK_EVERY operations. Prints per round the
 * clone / copy / destroy outcomes, the COW statistics and the THP ones, and
 * checks that the run reached every outcome it should (sharing, breaks by
 * copy and by restoring write, injected failures; with CONFIG_MM_THP,
 * transparent pages made, split and collapsed).
 */
void world_run(uint64_t seed, int rounds, int ops);

/*
 * world_run with compact_percent % of the operations a compaction. What
 * the run must reach is counted over all its rounds, which may be shorter,
 * and includes compactions that freed a block, ones that ran out of memory
 * (injected) and pages moved.
 */
void world_run_compact(uint64_t seed, int rounds, int ops, unsigned compact_percent);

#endif

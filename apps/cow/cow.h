/*
 * cow.h - the cow demo: a parent address space, its clones, and what each
 * of them must see.
 *
 * The demo follows a few "probe" pages (4K, 2M and 1G pages of the
 * parent's areas). For each space and probe it knows the word that must
 * be at both ends of the page, and, with copy-on-write, which spaces still
 * map the parent's original frame: from that follow the expected reference
 * counts, COW faults, copies and frames in use (model.c). After each step it
 * reads every probe of every space and compares (show.c).
 */
#ifndef COW_H
#define COW_H

#include <mm-addrspace/aspace.h>
#include <stdbool.h>
#include <stdint.h>

#define COW_NR_SPACES  (1 + CONFIG_COW_CLONES)
#define COW_PARENT     0
#define COW_MAX_PROBES 6

/* True when aspace_clone shares frames (CONFIG_MM_COW). */
#if defined(CONFIG_MM_COW)
#define COW_SHARES true
#else
#define COW_SHARES false
#endif

struct cow_probe {
	char name[8]; /* "4K[0]", "2M[1]", "1G" */
	vaddr_t va;   /* start of the page */
	uint64_t pgsize;
};

struct cow_demo {
	struct aspace spaces[COW_NR_SPACES];
	bool live[COW_NR_SPACES];
	int nr_probes;
	struct cow_probe probes[COW_MAX_PROBES];
	/* The word each space must see at both ends of each probe page. */
	uint64_t value[COW_NR_SPACES][COW_MAX_PROBES];
	/* COW: the live spaces that still map the parent's original frame (bit per space). */
	uint32_t sharers[COW_MAX_PROBES];
	/* COW: the next write of this space to this probe breaks COW. */
	bool pending[COW_NR_SPACES][COW_MAX_PROBES];
	uint64_t cow_faults[COW_NR_SPACES]; /* expected statistics */
	uint64_t cow_copies[COW_NR_SPACES];
	uint64_t parent_frames_4k; /* the parent's Alloc frames when it was cloned */
	uint64_t base_pages;	   /* used pages before the parent existed */
	unsigned writes;	   /* writes so far: makes every written word unique */
	int failures;
};

/* model.c: what the demo expects */

/* Name of space i: "parent", "kid1", ... */
const char *cow_space_name(int i);

/* The word the parent's probe p holds before anyone writes. */
uint64_t cow_orig_value(int p);

/* Who wrote word v: "orig" (the parent's first fill), a space's name, or "?". */
const char *cow_value_owner(uint64_t v);

/* Adds a probe page; returns its index. */
int cow_add_probe(struct cow_demo *d, const char *name, vaddr_t va, uint64_t pgsize);

/* Space kid is now a clone of the parent (expected values, sharers, pending). */
void cow_model_clone(struct cow_demo *d, int kid);

/* Space s writes a new word to probe p; returns it. Updates the expectations. */
uint64_t cow_model_write(struct cow_demo *d, int s, int p);

/* Space s is destroyed. */
void cow_model_destroy(struct cow_demo *d, int s);

/* The reference count expected for space s's frame of probe p. */
uint32_t cow_expected_refs(const struct cow_demo *d, int s, int p);

/* The 4K frames of Alloc pages expected in use over all live spaces. */
uint64_t cow_expected_frames(const struct cow_demo *d);

/* show.c: printing and checking */

/* Prints "ok: ..." or "FAILED: ..."; counts failures. */
void cow_check(struct cow_demo *d, bool ok, const char *fmt, ...)
    __attribute__((format(__printf__, 3, 4)));

/*
 * Reads both ends of every probe page in every live space and prints them
 * as a table (whose word each space sees, and with COW the frame's count),
 * with each space's COW faults and copies; checks all of it against the
 * expectations, and the frames in use against an eager copy.
 */
void cow_show(struct cow_demo *d, const char *title);

/* The 4K frames of Alloc pages in use now (used pages minus tables and the baseline). */
uint64_t cow_frames_in_use(const struct cow_demo *d);

#endif

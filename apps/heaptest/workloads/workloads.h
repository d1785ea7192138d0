/*
 * workloads.h - the heap workloads of apps/heaptest (in the kernel, over
 * kmalloc) and of the host benchmark tests/kheap-bench (over every heap,
 * glibc malloc and axalloc's kmalloc), written once against a tiny
 * allocator interface so that both run the same code.
 *
 * The workloads, after ArceOS's allocator benchmark (its names and counts,
 * see wl_arceos[]) plus two of our own:
 *   wl_vec_push      p->n 4-byte items pushed onto an array that krealloc
 *                    grows, capacity 4 then doubling, as Rust's Vec does
 *   wl_rand_free     p->n blocks of p->size bytes, then freed in a seeded
 *                    random order (the pointer array and the order array
 *                    come from the allocator too)
 *   wl_btree_map     p->n distinct random keys inserted into a B-tree whose
 *                    nodes come from the allocator, each key with a
 *                    "key_<n>" string of its own; all looked up, then all
 *                    removed in a seeded random order, freeing nodes and
 *                    strings
 *   wl_btree_churn   ArceOS's own map loop: p->n steps, a fifth of them
 *                    (at random) removing the smallest key, the rest
 *                    inserting a random 32-bit key (a key already there
 *                    keeps its string and the new one is freed); then
 *                    everything removed
 *   wl_small_pairs   p->n alloc+free pairs of p->size bytes
 *   wl_fragment      p->n seeded random steps over p->live slots, sizes
 *                    log-uniform up to a bound that changes in four phases;
 *                    the overhead at the end and the largest block still
 *                    allocatable (a binary search up to p->limit)
 *
 * With p->check, every block is filled with a pattern of its own when it is
 * allocated (an array item when it is written) and the pattern is verified
 * before the block is freed: a mismatch is an error. Without it, blocks are
 * left as the allocator gives them (as ArceOS's benchmark leaves them),
 * except the strings of the maps, which are part of the workload.
 *
 * An allocation that fails (NULL) is an error, except in the search for the
 * largest block. After an error a workload stops as soon as it can,
 * freeing everything it holds, and the result describes the first error. Nothing here prints,
 * allocates outside the allocator or uses floating point: the same code runs in the kernel.
 */
#ifndef HEAPTEST_WORKLOADS_H
#define HEAPTEST_WORKLOADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an allocator holds and what its live blocks can hold, in bytes. */
struct wl_usage {
	uint64_t held;	 /* taken from below: heap pages * PAGE_SIZE (plus outside bookkeeping) */
	uint64_t usable; /* usable bytes of the live blocks (what kheap_usable_size adds up) */
};

/*
 * The allocator under test. alloc, free and realloc behave as malloc,
 * free and realloc (alloc(0) may return a block or NULL; the workloads never
 * ask for 0 bytes). usage may be NULL (the samples then read 0). ctx is
 * passed to every call.
 */
struct wl_allocator {
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	void *(*realloc)(void *ctx, void *p, size_t size);
	void (*usage)(void *ctx, struct wl_usage *u);
	void *ctx;
};

/* A workload's parameters (each workload says which it reads). */
struct wl_params {
	uint64_t n;	/* items, blocks, keys, steps or pairs */
	size_t size;	/* block size (rand_free, small_pairs) */
	uint64_t live;	/* fragment: slots, so at most this many blocks live */
	uint64_t limit; /* fragment: the largest request the search tries */
	uint64_t seed;
	bool check; /* fill and verify every block */
};

/* The allocator's usage at one point of a workload, with what the workload holds then. */
struct wl_sample {
	struct wl_usage u;
	uint64_t requested; /* bytes the workload asked for, summed over its live blocks */
	uint64_t blocks;    /* its live blocks */
};

/* What a workload did. */
struct wl_result {
	uint64_t allocs; /* successful alloc and realloc calls */
	uint64_t errors; /* errors seen: failed allocations, changed blocks (0: success) */
	char error[96];	 /* the first one, for a person */
	/*
	 * peak: where the workload holds the most (after building up, before
	 * tearing down; wl_fragment: of samples taken every WL_SAMPLE_STEPS
	 * steps, the one holding the most). end: when it is done (everything
	 * freed; wl_fragment: after its steps, before the search and the
	 * teardown). wl_small_pairs takes none.
	 */
	struct wl_sample peak, end;
	uint64_t largest; /* wl_fragment: the largest block still allocatable, in bytes */
};

/* kmalloc, kfree and krealloc as an allocator (kmalloc_allocator.c; needs axalloc). */
extern const struct wl_allocator wl_kmalloc;

typedef void (*wl_fn)(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r);

void wl_vec_push(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r);
void wl_rand_free(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r);
void wl_btree_map(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r);
void wl_btree_churn(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r);
void wl_small_pairs(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r);
void wl_fragment(const struct wl_allocator *a, const struct wl_params *p, struct wl_result *r);

/* wl_fragment samples the usage every this many steps for its peak. */
#define WL_SAMPLE_STEPS 1024
/* The search for the largest block stops within this many bytes of it. */
#define WL_LARGEST_STEP 4096

/* One workload of a benchmark table: its name, function and full-size parameters. */
struct wl_spec {
	const char *name;
	wl_fn run;
	uint64_t n;
	size_t size;
};

/*
 * ArceOS's four workloads with its counts (vec_push_3M, vec_rand_free_25K_64,
 * vec_rand_free_7500_520, btree_map_50K), as the issue defines them: blocks
 * of 64 and 520 bytes, and the map of wl_btree_map.
 */
#define WL_NR_ARCEOS 4
extern const struct wl_spec wl_arceos[WL_NR_ARCEOS];

/* The size classes of wl_small_pairs. */
#define WL_NR_PAIR_SIZES 5
extern const size_t wl_pair_sizes[WL_NR_PAIR_SIZES];

/* ---- for the workloads' own files ---- */

/* The next 64 bits of the generator (splitmix64) whose state is *s. */
static inline uint64_t wl_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A value in [0, n), n > 0. */
static inline uint64_t wl_rand_below(uint64_t *s, uint64_t n)
{
	return wl_rand(s) % n;
}

/* Fills the `size` bytes at p with the pattern of `tag`. */
void wl_fill(void *p, size_t size, uint64_t tag);

/* True when the `size` bytes at p still hold the pattern of `tag`. */
bool wl_verify(const void *p, size_t size, uint64_t tag);

/* Records an error (the first one's text is kept). */
void wl_error(struct wl_result *r, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));

/* Takes a sample: the allocator's usage now, with the workload's own figures. */
void wl_sample(const struct wl_allocator *a, uint64_t requested, uint64_t blocks,
	       struct wl_sample *s);

#endif

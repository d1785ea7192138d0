/*
 * aspace_test_fixture.h - cmocka fixture for the directed mm-addrspace
 * tests: a fresh allocator and a space over the whole user range per test,
 * a teardown that destroys the space and demands the allocator's baseline,
 * EXPECT_UNCHANGED, which proves that a call changed nothing, out of memory
 * at every allocation of an operation (fail_each_allocation), a heap hog
 * (the 2M-block hog is the environment's), and helpers that fill, read back and
 * inspect pages (pattern, frames, sizes, permissions, reference counts).
 * Include after <cmocka.h> (EXPECT_UNCHANGED uses its asserts).
 */
#ifndef ASPACE_TEST_FIXTURE_H
#define ASPACE_TEST_FIXTURE_H

#include "aspace_test_env.h"

#define PG4K	  PAGE_SIZE_4K
#define PG2M	  PAGE_SIZE_2M
#define PG1G	  PAGE_SIZE_1G
#define RW	  (MAPF_READ | MAPF_WRITE)
#define RO	  MAPF_READ
#define RX	  (MAPF_READ | MAPF_EXEC)
#define PERM_MASK (MAPF_READ | MAPF_WRITE | MAPF_EXEC | MAPF_USER | MAPF_DEVICE)

/* Test addresses inside the full user range; VA is 1G-aligned. */
#define VA	   0x40000000UL
#define VA2	   (VA + 0x10000000UL) /* 2M-aligned, well away from VA */
#define VA1G	   0x1000000000UL      /* 1G-aligned */
#define SPACE_BASE USER_VA_START
#define SPACE_SIZE (USER_VA_END - USER_VA_START)

struct fixture {
	struct aspace as;
	struct mem_snap base;
};

/* Snapshots include page checksums unless a test maps 1G frames. */
extern bool snap_content;

int setup(void **state);

int teardown(void **state);

/*
 * Runs `call`, expects `expected`, and checks that nothing observable changed
 * in any of the n spaces spaces[0..n) (an array of const struct aspace *).
 */
#define EXPECT_UNCHANGED_SPACES(spaces, n, expected, call)                                         \
	do {                                                                                       \
		struct space_snap before_[(n)], after_;                                            \
		for (int i_ = 0; i_ < (n); i_++)                                                   \
			snap_take((spaces)[i_], &before_[i_], snap_content);                       \
		assert_int_equal((call), (expected));                                              \
		for (int i_ = 0; i_ < (n); i_++) {                                                 \
			snap_take((spaces)[i_], &after_, snap_content);                            \
			assert_true(snap_equal(&before_[i_], &after_));                            \
			snap_free(&before_[i_]);                                                   \
			snap_free(&after_);                                                        \
		}                                                                                  \
	} while (0)

/* Runs `call`, expects `expected`, and checks that nothing observable changed. */
#define EXPECT_UNCHANGED(as, expected, call)                                                       \
	do {                                                                                       \
		const struct aspace *one_[1] = {(as)};                                             \
		EXPECT_UNCHANGED_SPACES(one_, 1, expected, call);                                  \
	} while (0)

/* An operation run under allocation failures: on space a (and b, when it takes two). */
typedef int (*oom_op_t)(struct aspace *a, struct aspace *b, const void *arg);

/*
 * Runs op(a, b, arg) with the k-th page allocation failing, k = 0, 1, ...,
 * until it succeeds; each failure must be -ENOMEM with a and b (b may be
 * NULL) exactly as before. Returns the number of failures; fails the test
 * when the operation never succeeds.
 */
int fail_each_allocation(oom_op_t op, struct aspace *a, struct aspace *b, const void *arg);

/* What an operation under allocation failures works on (each uses its fields). */
struct oom_args {
	vaddr_t va;
	uint64_t size;		   /* bytes: populate, write, protect, map */
	uint64_t pgsize;	   /* map */
	unsigned access;	   /* populate, fault */
	unsigned flags;		   /* protect */
	enum aspace_advice advice; /* advise */
};

/* The byte oom_write writes. */
#define OOM_WRITE_BYTE 0x5a

/* fail_each_allocation operations on space a (b unused): aspace_populate,
 * aspace_handle_page_fault, aspace_write of OOM_WRITE_BYTE, aspace_protect. */
int oom_populate(struct aspace *a, struct aspace *b, const void *arg);
int oom_fault(struct aspace *a, struct aspace *b, const void *arg);
int oom_write(struct aspace *a, struct aspace *b, const void *arg);
int oom_protect(struct aspace *a, struct aspace *b, const void *arg);

/* fail_each_allocation operations on space a (b unused): aspace_unmap, aspace_advise
 * (advice), aspace_collapse (returning 0 for any number of blocks collapsed). */
int oom_unmap(struct aspace *a, struct aspace *b, const void *arg);
int oom_advise(struct aspace *a, struct aspace *b, const void *arg);
int oom_collapse(struct aspace *a, struct aspace *b, const void *arg);
/* fail_each_allocation operation: aspace_migrate of the frame a maps at va (b unused). */
int oom_migrate(struct aspace *a, struct aspace *b, const void *arg);

/*
 * A failed aspace_collapse may change one statistic: thp_collapse_alloc_failed
 * goes up by one when the 2M frame was what ran out. fail_each_allocation
 * accepts that rise from oom_collapse alone and counts it here (tests reset it).
 */
extern uint64_t oom_collapse_failures;

/* Frames and tables the space holds match what the allocator has lent out. */
void check_accounting(const struct aspace *as, struct mem_snap base);

struct aspace_stats stats(const struct aspace *as);

/* The most heap blocks hog_heap takes: room for its hog[] array. */
#define HOG_BLOCKS_MAX 100000

/*
 * Fills the heap: with page allocation failing, allocates area-sized blocks
 * into hog[HOG_BLOCKS_MAX] until kmalloc returns NULL, so that the next
 * kmalloc needs a new page. Returns the number of blocks taken.
 */
int hog_heap(void **hog);

/* Frees the n blocks hog_heap took. */
void unhog_heap(void **hog, int n);

/*
 * Spaces a test makes besides the fixture's: static slots, so that a test
 * that fails half-way leaves no dangling space in the list of live spaces
 * (teardown_clones destroys what is left).
 */
#define MAX_CLONES 4

/* A new space over the whole user range, cloned from src (aspace_clone). */
struct aspace *clone_of(struct aspace *src);

/* Destroys a space clone_of made. */
void drop(struct aspace *as);

/* The fixture's teardown, after destroying the clones a failed test left. */
int teardown_clones(void **state);

/*
 * With CONFIG_MM_COW: aspace_rmap of the frame behind va in `as` (mapped)
 * lists exactly the spaces among spaces[0..n) that map that frame at va,
 * each once with its page (start, size, first frame), and the frame's
 * reference count is their number. Prints the first difference; true if none.
 */
bool rmap_matches(struct aspace *const *spaces, int n, const struct aspace *as, vaddr_t va);

/*
 * Takes the free frame `old` (n 4K frames, aligned to n * 4K) from the
 * allocator: allocates such frames until it hands out old (at most 64
 * tries) and gives back the others.
 */
void take_frame(paddr_t old, uint64_t n);

/* Some populated 4K pages at VA2 whose contents must survive every rollback. */
void add_bystander(struct aspace *as);

/* The byte a space filled with `seed` holds at va. */
uint8_t pattern(vaddr_t va, uint8_t seed);

/* Writes the pattern of `seed` over [va, va + len) through the space. */
void fill(struct aspace *as, vaddr_t va, uint64_t len, uint8_t seed);

/* [va, va + len) reads as the pattern of `seed`. */
void expect_fill(struct aspace *as, vaddr_t va, uint64_t len, uint8_t seed);

/* [va, va + len) reads as zeroes. */
void expect_zero(struct aspace *as, vaddr_t va, uint64_t len);

/* The frame (head of the page) behind va. */
paddr_t frame_of(const struct aspace *as, vaddr_t va);

/* The physical address of va itself (mapped). */
paddr_t pa_of(const struct aspace *as, vaddr_t va);

/* The size of the page that maps va (mapped). */
uint64_t pgsize_of(const struct aspace *as, vaddr_t va);

/* The PTE permissions at va. */
unsigned perm_of(const struct aspace *as, vaddr_t va);

/* The frame behind va has `n` references (only checked where counts exist). */
void expect_refs(const struct aspace *as, vaddr_t va, uint32_t n);

#endif

/*
 * axalloc_heap_cases.c - test cases for the byte heap (kmalloc, kcalloc,
 * krealloc, kmemalign, kfree): sizes, alignment, contents, page return,
 * out of memory, fault injection and a seeded random stress against a
 * shadow model.
 *
 * Run by test_axalloc_heap.c here (buddy) and in tests/axalloc-bitmap-facade
 * (bitmap) through run_heap_tests().
 */

#include <stdbool.h>

#include "axalloc_test.h"
#include "test_rand.h"
#include "test_seed.h"

#define HEAP_ALIGN_BYTES 16
#define LARGE_SIZE	 (40 * 1024) /* above the heap's own-pages threshold */

/* Fills p[0..n) with a pattern derived from `seed`. */
static void fill(void *p, size_t n, uint8_t seed)
{
	uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

/* Whether p[0..n) still holds the pattern of `seed`. */
static bool check_fill(const void *p, size_t n, uint8_t seed)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != (uint8_t)(seed + i * 7))
			return false;
	return true;
}

static bool is_aligned_ptr(const void *p, size_t align)
{
	return ((uintptr_t)p & (align - 1)) == 0;
}

/*
 * The heap's baseline: a small and a medium kmalloc/kfree pair have run
 * once (so the heap may keep a spare chunk of each kind) and the front
 * holds nothing.
 */
static struct axalloc_stats heap_baseline(void)
{
	void *p = kmalloc(1), *q = kmalloc(1000);
	assert_non_null(p);
	assert_non_null(q);
	kfree(p);
	kfree(q);
	axalloc_heap_trim();
	return get_stats();
}

/*
 * Everything allocated since `base` was freed: once the front gives its
 * cached blocks back, pages and counters are back.
 */
static void assert_back_to_baseline(const struct axalloc_stats *base)
{
	assert_int_equal(axalloc_heap_check(), 0);
	axalloc_heap_trim();
	struct axalloc_stats st = get_stats();
	assert_int_equal(st.heap_cached, 0);
	assert_int_equal(axalloc_heap_check(), 0);
	assert_int_equal(st.heap_pages, base->heap_pages);
	assert_int_equal(st.heap_used_bytes, 0);
	assert_int_equal(st.heap_allocs - st.heap_frees, 0);
	assert_int_equal(st.pages.used_pages, base->pages.used_pages);
	assert_int_equal(st.pages.free_pages, base->pages.free_pages);
}

/* Every size from 1 to 64 KiB (dense below 2 KiB): aligned, writable, freed. */
static void test_heap_many_sizes(void **state)
{
	(void)state;
	enum { KEEP = 64 };
	struct axalloc_stats base = heap_baseline();
	void *kept[KEEP] = {0};
	size_t kept_size[KEEP] = {0};
	unsigned n = 0;

	for (size_t size = 1; size <= 65536; size += size < 2048 ? 1 : size / 16 + 1) {
		uint8_t *p = kmalloc(size);
		assert_non_null(p);
		assert_true(is_aligned_ptr(p, HEAP_ALIGN_BYTES));
		fill(p, size, (uint8_t)size);
		/* Keep every 7th block for a while, to interleave live and free blocks. */
		if (n % 7 == 0) {
			unsigned slot = (n / 7) % KEEP;
			if (kept[slot]) {
				assert_true(check_fill(kept[slot], kept_size[slot],
						       (uint8_t)kept_size[slot]));
				kfree(kept[slot]);
			}
			kept[slot] = p;
			kept_size[slot] = size;
		} else {
			assert_true(check_fill(p, size, (uint8_t)size));
			kfree(p);
		}
		n++;
	}
	assert_int_equal(axalloc_heap_check(), 0);
	for (unsigned i = 0; i < KEEP; i++) {
		if (!kept[i])
			continue;
		assert_true(check_fill(kept[i], kept_size[i], (uint8_t)kept_size[i]));
		kfree(kept[i]);
	}
	assert_back_to_baseline(&base);
}

/* kmalloc(0) gives distinct, freeable blocks; kfree(NULL) does nothing. */
static void test_heap_zero_and_null(void **state)
{
	(void)state;
	struct axalloc_stats base = heap_baseline();
	void *a = kmalloc(0), *b = kmalloc(0);

	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	struct axalloc_stats before = get_stats();
	kfree(NULL);
	struct axalloc_stats after = get_stats();
	assert_stats_equal(before, after);
	kfree(a);
	kfree(b);
	assert_back_to_baseline(&base);
}

/* The counters: allocs - frees is the number of live blocks; used bytes follow. */
static void test_heap_counters(void **state)
{
	(void)state;
	struct axalloc_stats base = heap_baseline();
	void *a = kmalloc(100), *b = kmalloc(LARGE_SIZE);

	assert_non_null(a);
	assert_non_null(b);
	struct axalloc_stats st = get_stats();
	assert_int_equal(st.heap_allocs, base.heap_allocs + 2);
	assert_true(st.heap_used_bytes >= 100 + LARGE_SIZE);
	/* Rounding is bounded: 16-byte granules for small, the run's pages for large. */
	assert_true(st.heap_used_bytes <= 100 + 64 + LARGE_SIZE + PAGE_SIZE);
	assert_true(st.heap_pages >= base.heap_pages + LARGE_SIZE / PAGE_SIZE);
	kfree(a);
	kfree(b);
	st = get_stats();
	assert_int_equal(st.heap_frees, base.heap_frees + 2);
	assert_back_to_baseline(&base);
}

/* kcalloc zeroes (also reused, dirty memory) and rejects n * size overflow. */
static void test_kcalloc(void **state)
{
	(void)state;
	static const size_t sizes[] = {1, 24, 1000, 4096, LARGE_SIZE, 100000};
	struct axalloc_stats base = heap_baseline();

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *dirty = kmalloc(sizes[i]);
		assert_non_null(dirty);
		memset(dirty, 0xff, sizes[i]);
		kfree(dirty);
		uint8_t *p = kcalloc(1, sizes[i]);
		assert_non_null(p);
		for (size_t k = 0; k < sizes[i]; k++)
			assert_int_equal(p[k], 0);
		kfree(p);
	}
	uint32_t *v = kcalloc(1000, sizeof(uint32_t));
	assert_non_null(v);
	for (int k = 0; k < 1000; k++)
		assert_int_equal(v[k], 0);
	kfree(v);

	struct axalloc_stats before = get_stats();
	assert_null(kcalloc(SIZE_MAX / 2 + 1, 2));
	assert_null(kcalloc(2, SIZE_MAX / 2 + 1));
	assert_null(kcalloc(SIZE_MAX, SIZE_MAX));
	struct axalloc_stats after = get_stats();
	assert_stats_equal(before, after);
	void *z = kcalloc(0, 8);
	assert_non_null(z);
	kfree(z);
	assert_back_to_baseline(&base);
}

/* krealloc: NULL, size 0, growing and shrinking within and across the pool and own pages. */
static void test_krealloc(void **state)
{
	(void)state;
	static const size_t steps[] = {
	    10,	  100, 17,     3000, 64, LARGE_SIZE, 48000, 3 * LARGE_SIZE, LARGE_SIZE + 100,
	    1000, 5,   200000, 20};
	struct axalloc_stats base = heap_baseline();

	uint8_t *p = krealloc(NULL, steps[0]);
	assert_non_null(p);
	fill(p, steps[0], 0x31);
	size_t cur = steps[0];
	for (unsigned i = 1; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t keep = cur < steps[i] ? cur : steps[i];
		p = krealloc(p, steps[i]);
		assert_non_null(p);
		assert_true(is_aligned_ptr(p, HEAP_ALIGN_BYTES));
		assert_true(check_fill(p, keep, 0x31));
		fill(p, steps[i], 0x31);
		cur = steps[i];
		assert_int_equal(axalloc_heap_check(), 0);
		assert_int_equal(get_stats().heap_allocs - get_stats().heap_frees,
				 base.heap_allocs - base.heap_frees + 1);
	}
	struct axalloc_stats before = get_stats();
	assert_null(krealloc(p, 0));
	struct axalloc_stats after = get_stats();
	assert_int_equal(after.heap_frees, before.heap_frees + 1);
	assert_back_to_baseline(&base);
}

/* krealloc grows in place into a free neighbour and shrinks in place. */
static void test_krealloc_in_place(void **state)
{
	(void)state;
	struct axalloc_stats base = heap_baseline();
	/* Above the small objects, which stay in place only within their class. */
	uint8_t *a = kmalloc(300), *b = kmalloc(300), *c = kmalloc(300);

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	fill(a, 300, 9);
	kfree(b);
	uint8_t *g = krealloc(a, 500);
	assert_ptr_equal(g, a);
	assert_true(check_fill(g, 300, 9));
	assert_ptr_equal(krealloc(g, 280), a);
	assert_ptr_equal(krealloc(g, 280), a);
	uint8_t *s = kmalloc(100); /* a small object: in place within its class */
	assert_non_null(s);
	assert_ptr_equal(krealloc(s, 112), s);
	assert_ptr_equal(krealloc(s, 20), s);
	kfree(s);
	/* Own pages: same page count stays in place. */
	uint8_t *big = kmalloc(LARGE_SIZE);
	assert_non_null(big);
	assert_ptr_equal(krealloc(big, LARGE_SIZE + 100), big);
	kfree(big);
	kfree(a);
	kfree(c);
	assert_back_to_baseline(&base);
}

/* kmemalign for every power of two up to a page, small and large sizes; bad aligns. */
static void test_kmemalign(void **state)
{
	(void)state;
	static const size_t sizes[] = {1, 100, 4096, 5000, LARGE_SIZE};
	static const size_t bad[] = {0, 3, 24, 48, 2 * PAGE_SIZE, PAGE_SIZE_2M, SIZE_MAX};
	struct axalloc_stats base = heap_baseline();
	void *live[13 * 5];
	unsigned n = 0;

	for (size_t align = 1; align <= PAGE_SIZE; align <<= 1) {
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			void *p = kmemalign(align, sizes[i]);
			assert_non_null(p);
			assert_true(
			    is_aligned_ptr(p, align < HEAP_ALIGN_BYTES ? HEAP_ALIGN_BYTES : align));
			fill(p, sizes[i], (uint8_t)align);
			live[n++] = p;
		}
	}
	assert_int_equal(axalloc_heap_check(), 0);
	n = 0;
	for (size_t align = 1; align <= PAGE_SIZE; align <<= 1)
		for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			assert_true(check_fill(live[n], sizes[i], (uint8_t)align));
			kfree(live[n++]);
		}

	struct axalloc_stats before = get_stats();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(kmemalign(bad[i], 64));
	struct axalloc_stats after = get_stats();
	assert_stats_equal(before, after);
	assert_back_to_baseline(&base);
}

/* Freeing everything gives every page back, whatever the order. */
static void test_heap_returns_pages(void **state)
{
	(void)state;
	enum { N = 3000 };
	struct axalloc_stats base = heap_baseline();
	void **p = malloc(N * sizeof(*p));
	uint64_t rng = host_test_seed(AXALLOC_DEFAULT_SEED);
	assert_non_null(p);

	for (int i = 0; i < N; i++) {
		size_t size = i % 100 == 0 ? test_rand_range(&rng, LARGE_SIZE, 5 * LARGE_SIZE)
					   : test_rand_range(&rng, 1, 2000);
		p[i] = kmalloc(size);
		assert_non_null(p[i]);
	}
	struct axalloc_stats full = get_stats();
	assert_true(full.heap_pages > base.heap_pages + 100);
	assert_int_equal(full.pages.used_pages - base.pages.used_pages,
			 full.heap_pages - base.heap_pages);
	/* Free in a shuffled order. */
	for (int i = N - 1; i > 0; i--) {
		int j = (int)test_rand_range(&rng, 0, (uint64_t)i);
		void *t = p[i];
		p[i] = p[j];
		p[j] = t;
	}
	for (int i = 0; i < N; i++)
		kfree(p[i]);
	assert_back_to_baseline(&base);
	free(p);
}

/* Huge and impossible requests fail cleanly and are counted. */
static void test_heap_too_big(void **state)
{
	(void)state;
	struct axalloc_stats base = heap_baseline();

	assert_null(kmalloc(SIZE_MAX));
	assert_null(kmalloc(SIZE_MAX - PAGE_SIZE));
	assert_null(kmalloc(RAM_SIZE));
	assert_null(kmemalign(PAGE_SIZE, SIZE_MAX - 10));
	void *p = kmalloc(8);
	assert_non_null(p);
	assert_null(krealloc(p, RAM_SIZE));
	struct axalloc_stats st = get_stats();
	assert_int_equal(st.failed_allocs, base.failed_allocs + 5);
	kfree(p);
	assert_back_to_baseline(&base);
}

/* The heap runs out of pages: NULL, counted, heap intact, and it recovers. */
static void test_heap_out_of_memory(void **state)
{
	(void)state;
	enum { MAX_BLOCKS = 20000 };
	struct axalloc_stats base = heap_baseline();
	void **p = malloc(MAX_BLOCKS * sizeof(*p));
	int n = 0;
	assert_non_null(p);

	while (n < MAX_BLOCKS && (p[n] = kmalloc(LARGE_SIZE / 2)) != NULL)
		n++;
	assert_true(n > 0 && n < MAX_BLOCKS);
	struct axalloc_stats st = get_stats();
	assert_int_equal(st.failed_allocs, base.failed_allocs + 1);
	assert_int_equal(axalloc_heap_check(), 0);
	/* Small blocks may still fit in what is left of the chunks. */
	void *small = kmalloc(16);
	for (int i = 0; i < n; i++)
		kfree(p[i]);
	kfree(small);
	assert_back_to_baseline(&base);
	free(p);
}

/* Fault injection: heap growth fails cleanly, nothing changes, then it recovers. */
static void test_heap_fault_injection(void **state)
{
	(void)state;
	struct axalloc_stats base = get_stats();

	/* A fresh heap has no chunk: the first kmalloc must grow, and fails. */
	axalloc_fail_after(0);
	assert_null(kmalloc(32));
	assert_null(kmalloc(LARGE_SIZE));
	assert_null(kcalloc(10, 10));
	assert_null(kmemalign(256, 32));
	struct axalloc_stats st = get_stats();
	assert_int_equal(st.failed_allocs, base.failed_allocs + 4);
	st.failed_allocs = base.failed_allocs;
	assert_stats_equal(base, st);
	assert_int_equal(axalloc_heap_check(), 0);

	/* One growth allowed: small blocks come from that chunk, a large one fails. */
	axalloc_fail_after(1);
	uint8_t *a = kmalloc(100);
	assert_non_null(a);
	fill(a, 100, 0x77);
	assert_null(kmalloc(LARGE_SIZE));
	/* krealloc that must move fails and leaves the block untouched. */
	struct axalloc_stats before = get_stats();
	assert_null(krealloc(a, LARGE_SIZE));
	st = get_stats();
	assert_int_equal(st.failed_allocs, before.failed_allocs + 1);
	st.failed_allocs = before.failed_allocs;
	assert_stats_equal(before, st);
	assert_true(check_fill(a, 100, 0x77));
	/* A shrink that would move keeps its block even when out of memory. */
	axalloc_fail_after(-1);
	uint8_t *big = kmalloc(3 * LARGE_SIZE);
	assert_non_null(big);
	fill(big, 3 * LARGE_SIZE, 0x12);
	axalloc_fail_after(0);
	assert_ptr_equal(krealloc(big, LARGE_SIZE + 1), big);
	assert_true(check_fill(big, LARGE_SIZE + 1, 0x12));
	axalloc_fail_after(-1);
	kfree(big);
	kfree(a);
	assert_int_equal(axalloc_heap_check(), 0);
	assert_int_equal(get_stats().heap_used_bytes, 0);
}

/* Growth failing at every possible point of a workload leaves a sound heap. */
static void test_heap_fault_injection_sweep(void **state)
{
	(void)state;
	enum { N = 400 };
	void *p[N];

	heap_baseline(); /* start with a spare chunk, so some requests need no growth */

	for (long fail_at = 0; fail_at < 12; fail_at++) {
		axalloc_heap_trim(); /* the heap alone holds the pages of the last round */
		struct axalloc_stats base = get_stats();
		int got = 0;
		axalloc_fail_after(fail_at);
		for (int i = 0; i < N; i++) {
			p[i] = kmalloc(i % 50 == 0 ? LARGE_SIZE : (size_t)(i * 37 % 3000 + 1));
			got += p[i] != NULL;
		}
		axalloc_fail_after(-1);
		assert_true(got > 0 && got < N);
		assert_int_equal(axalloc_heap_check(), 0);
		for (int i = 0; i < N; i++)
			kfree(p[i]);
		struct axalloc_stats st = get_stats();
		assert_int_equal(st.failed_allocs, base.failed_allocs + (uint64_t)(N - got));
		assert_int_equal(st.heap_used_bytes, 0);
		assert_int_equal(axalloc_heap_check(), 0);
	}
}

/* The front hands a freed small block out again, counting it free while it waits. */
static void test_front_reuses_block(void **state)
{
	(void)state;
	struct axalloc_stats base = heap_baseline();
	void *p = kmalloc(64);

	assert_non_null(p);
	kfree(p);
	struct axalloc_stats st = get_stats();
	assert_true(st.heap_cached > 0);
	assert_int_equal(st.heap_used_bytes, 0);
	assert_int_equal(st.heap_allocs - st.heap_frees, base.heap_allocs - base.heap_frees);
	assert_ptr_equal(kmalloc(64), p); /* last in, first out */
	assert_int_equal(get_stats().heap_used_bytes, 64);
	kfree(p);
	assert_back_to_baseline(&base);
}

/* A second kfree of a cached block is caught: counted, and the block is handed out once. */
static void test_front_double_free(void **state)
{
	(void)state;
	struct axalloc_stats base = heap_baseline();
	void *p = kmalloc(48);

	assert_non_null(p);
	kfree(p);
	struct axalloc_stats before = get_stats();
	kfree(p);
	struct axalloc_stats after = get_stats();
	assert_int_equal(after.heap_bad_frees, before.heap_bad_frees + 1);
	assert_int_equal(after.heap_cached, before.heap_cached);
	assert_int_equal(after.heap_frees, before.heap_frees);
	void *a = kmalloc(48), *b = kmalloc(48);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	kfree(a);
	kfree(b);
	assert_back_to_baseline(&base);
}

/* kfree of a pointer inside a live block: counted as bad, nothing cached or freed. */
static void test_front_bad_free(void **state)
{
	(void)state;
	struct axalloc_stats base = heap_baseline();
	char *p = kmalloc(200);

	assert_non_null(p);
	struct axalloc_stats before = get_stats();
	kfree(p + 16);
	kfree(p + 8);
	struct axalloc_stats after = get_stats();
	assert_int_equal(after.heap_bad_frees, before.heap_bad_frees + 2);
	assert_int_equal(after.heap_cached, before.heap_cached);
	assert_int_equal(after.heap_used_bytes, before.heap_used_bytes);
	assert_int_equal(axalloc_heap_check(), 0);
	kfree(p);
	assert_back_to_baseline(&base);
}

/*
 * With no pages left, an allocation first gives the front's cached blocks
 * back to the heap, which then gives their emptied pages back: the
 * allocation gets them.
 */
static void test_front_drained_when_out_of_pages(void **state)
{
	(void)state;
	enum { N = 3000, MAX_PAGES = RAM_SIZE / PAGE_SIZE };
	struct axalloc_stats base = heap_baseline();
	void **p = malloc(N * sizeof(*p));
	paddr_t *pages = malloc(MAX_PAGES * sizeof(*pages));
	uint64_t npages = 0;
	assert_non_null(p);
	assert_non_null(pages);

	for (int i = 0; i < N; i++) {
		p[i] = kmalloc(64);
		assert_non_null(p[i]);
	}
	for (int i = 0; i < N; i++)
		kfree(p[i]);
	assert_true(get_stats().heap_cached > 0);
	while (axalloc_alloc_pages(1, PAGE_SIZE, AXALLOC_UNMOVABLE, &pages[npages]) == 0)
		npages++;
	void *big = kmalloc(LARGE_SIZE);
	assert_non_null(big);
	assert_int_equal(get_stats().heap_cached, 0);
	assert_int_equal(axalloc_heap_check(), 0);
	kfree(big);
	for (uint64_t i = 0; i < npages; i++)
		assert_int_equal(axalloc_free_pages(pages[i], 1), 0);
	free(pages);
	free(p);
	assert_back_to_baseline(&base);
}

/* The checker notices a write past the end of a block. */
static void test_heap_check_detects_overrun(void **state)
{
	(void)state;
	uint8_t *a = kmalloc(48), *b = kmalloc(48);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(axalloc_heap_check(), 0);
	/* The header of the block after a sits right after a's 48 usable bytes. */
	uint8_t saved[HEAP_ALIGN_BYTES];
	memcpy(saved, a + 48, sizeof(saved));
	memset(a + 48, 0x41, sizeof(saved));
	assert_int_equal(axalloc_heap_check(), -EFAULT);
	memcpy(a + 48, saved, sizeof(saved));
	assert_int_equal(axalloc_heap_check(), 0);
	kfree(a);
	kfree(b);
}

/* One live block of the random stress. */
struct shadow_block {
	uint8_t *p;
	size_t size;
	size_t align;
	uint8_t seed;
};

/* Whether the new block [p, p + size) overlaps any live block but `self`. */
static bool overlaps_live(const struct shadow_block *s, int n, int self, const uint8_t *p,
			  size_t size)
{
	size_t len = size ? size : 1;
	for (int i = 0; i < n; i++) {
		if (i == self || !s[i].p)
			continue;
		size_t l = s[i].size ? s[i].size : 1;
		if (p < s[i].p + l && s[i].p < p + len)
			return true;
	}
	return false;
}

/* A random request size: mostly small, some medium, a few above the own-pages threshold. */
static size_t random_size(uint64_t *rng)
{
	uint64_t r = test_rand_range(rng, 0, 99);
	if (r < 65)
		return test_rand_range(rng, 0, 256);
	if (r < 90)
		return test_rand_range(rng, 257, 4096);
	if (r < 98)
		return test_rand_range(rng, 4097, 32768);
	return test_rand_range(rng, 32769, 150000);
}

/* Seeded random kmalloc/kcalloc/kmemalign/krealloc/kfree against a shadow model. */
static void test_heap_random_stress(void **state)
{
	(void)state;
	enum { SLOTS = 300, OPS = 100000, CHECK_EVERY = 1000 };
	struct shadow_block *s = calloc(SLOTS, sizeof(*s));
	uint64_t seed = host_test_seed(AXALLOC_DEFAULT_SEED), rng = seed ^ TEST_RAND_GAMMA;
	int live = 0;
	assert_non_null(s);
	print_message("test_heap_random_stress: seed %#llx\n", (unsigned long long)seed);
	struct axalloc_stats base = heap_baseline();

	for (int op = 0; op < OPS; op++) {
		int i = (int)test_rand_range(&rng, 0, SLOTS - 1);
		struct shadow_block *b = &s[i];
		if (!b->p) {
			size_t size = random_size(&rng);
			uint64_t kind = test_rand_range(&rng, 0, 9);
			size_t align = HEAP_ALIGN_BYTES;
			if (kind < 6) {
				b->p = kmalloc(size);
			} else if (kind < 8) {
				b->p = kcalloc(1, size);
				assert_non_null(b->p);
				for (size_t k = 0; k < size; k++)
					assert_int_equal(b->p[k], 0);
			} else {
				align = 1UL << test_rand_range(&rng, 0, 12);
				b->p = kmemalign(align, size);
				if (align < HEAP_ALIGN_BYTES)
					align = HEAP_ALIGN_BYTES;
			}
			assert_non_null(b->p);
			assert_true(is_aligned_ptr(b->p, align));
			assert_false(overlaps_live(s, SLOTS, i, b->p, size));
			b->size = size;
			b->align = align;
			b->seed = (uint8_t)test_rand_next(&rng);
			fill(b->p, size, b->seed);
			live++;
		} else if (test_rand_range(&rng, 0, 1) == 0) {
			assert_true(check_fill(b->p, b->size, b->seed));
			kfree(b->p);
			b->p = NULL;
			live--;
		} else {
			size_t size = random_size(&rng);
			size_t keep = size < b->size ? size : b->size;
			assert_true(check_fill(b->p, b->size, b->seed));
			uint8_t *q = krealloc(b->p, size);
			if (size == 0) {
				assert_null(q);
				b->p = NULL;
				live--;
				continue;
			}
			assert_non_null(q);
			assert_true(is_aligned_ptr(q, HEAP_ALIGN_BYTES));
			assert_true(check_fill(q, keep, b->seed));
			assert_false(overlaps_live(s, SLOTS, i, q, size));
			b->p = q;
			b->size = size;
			b->seed = (uint8_t)test_rand_next(&rng);
			fill(q, size, b->seed);
		}
		if (op % CHECK_EVERY == 0) {
			struct axalloc_stats st = get_stats();
			assert_int_equal(axalloc_heap_check(), 0);
			assert_int_equal(st.heap_allocs - st.heap_frees,
					 base.heap_allocs - base.heap_frees + (uint64_t)live);
		}
	}
	for (int i = 0; i < SLOTS; i++) {
		if (!s[i].p)
			continue;
		assert_true(check_fill(s[i].p, s[i].size, s[i].seed));
		kfree(s[i].p);
	}
	assert_back_to_baseline(&base);
	free(s);
}

int run_heap_tests(const char *allocator)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_heap_many_sizes, setup_std),
	    cmocka_unit_test_setup(test_heap_zero_and_null, setup_std),
	    cmocka_unit_test_setup(test_heap_counters, setup_std),
	    cmocka_unit_test_setup(test_kcalloc, setup_std),
	    cmocka_unit_test_setup(test_krealloc, setup_std),
	    cmocka_unit_test_setup(test_krealloc_in_place, setup_std),
	    cmocka_unit_test_setup(test_kmemalign, setup_std),
	    cmocka_unit_test_setup(test_heap_returns_pages, setup_std),
	    cmocka_unit_test_setup(test_heap_too_big, setup_std),
	    cmocka_unit_test_setup(test_heap_out_of_memory, setup_std),
	    cmocka_unit_test_setup(test_heap_fault_injection, setup_std),
	    cmocka_unit_test_setup(test_heap_fault_injection_sweep, setup_std),
	    cmocka_unit_test_setup(test_heap_check_detects_overrun, setup_std),
	    cmocka_unit_test_setup(test_heap_random_stress, setup_std),
	    cmocka_unit_test_setup(test_front_reuses_block, setup_std),
	    cmocka_unit_test_setup(test_front_double_free, setup_std),
	    cmocka_unit_test_setup(test_front_bad_free, setup_std),
	    cmocka_unit_test_setup(test_front_drained_when_out_of_pages, setup_std),
	};
	if (strcmp(axalloc_page_allocator_name(), allocator) != 0) {
		print_error("page allocator is %s, expected %s\n", axalloc_page_allocator_name(),
			    allocator);
		return 1;
	}
	return cmocka_run_group_tests_name(allocator, tests, NULL, NULL);
}

/* kheap_checker.c - one heap driven in step with its shadow model (see kheap_checker.h). */
#include "kheap_checker.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <klib/bitops.h>

/* What the heap and its page source look like at one moment. */
struct snap {
	struct kheap_stats st;
	uint64_t held; /* pages the page source has out */
};

/* Formats the mismatch into c->err, after the heap's name and the operation number; false. */
static bool kc_fail(struct kheap_checker *c, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, sizeof(c->err), "%s, op %" PRIu64 ": ", c->inst.desc->ops->name,
			 c->nr_ops);

	va_start(ap, fmt);
	vsnprintf(c->err + n, sizeof(c->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

/* With c->trace set, prints one call and its result to stderr. */
static void kc_trace(const struct kheap_checker *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->trace)
		return;
	fprintf(stderr, "kheap %s op %" PRIu64 ": ", c->inst.desc->ops->name, c->nr_ops);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The heap's stats and the pages its page source has out, now. */
static struct snap snap_of(const struct kheap_checker *c)
{
	struct snap s;

	kheap_stats(c->inst.h, &s.st);
	s.held = c->inst.tp.held;
	return s;
}

/* Writes st as "pages/used/live/meta/allocs/frees/failed/bad_frees" into buf. */
static const char *stats_str(const struct kheap_stats *st, char *buf, size_t len)
{
	snprintf(buf, len,
		 "pages %" PRIu64 " used %" PRIu64 " live %" PRIu64 " meta %" PRIu64
		 " allocs %" PRIu64 " frees %" PRIu64 " failed %" PRIu64 " bad_frees %" PRIu64,
		 st->pages, st->used_bytes, st->live, st->meta_bytes, st->allocs, st->frees,
		 st->failed, st->bad_frees);
	return buf;
}

/*
 * The heap must look as in `before` but for failed + dfailed and
 * bad_frees + dbad, with the same pages out of the page source.
 */
static bool expect_unchanged(struct kheap_checker *c, struct snap before, uint64_t dfailed,
			     uint64_t dbad, const char *what)
{
	struct snap after = snap_of(c);
	char b1[200], b2[200];

	before.st.failed += dfailed;
	before.st.bad_frees += dbad;
	if (memcmp(&before.st, &after.st, sizeof(after.st)) != 0)
		return kc_fail(c, "%s changed the heap: expected %s, got %s", what,
			       stats_str(&before.st, b1, sizeof(b1)),
			       stats_str(&after.st, b2, sizeof(b2)));
	if (after.held != before.held)
		return kc_fail(c, "%s changed the pages out from %" PRIu64 " to %" PRIu64, what,
			       before.held, after.held);
	return true;
}

/* kheap_check must answer 0 and change nothing. */
static bool run_check(struct kheap_checker *c)
{
	struct snap before = snap_of(c);
	int rc = kheap_check(c->inst.h);

	if (rc != 0)
		return kc_fail(c, "kheap_check = %d", rc);
	return expect_unchanged(c, before, 0, 0, "kheap_check");
}

/* The stats equal the model's counters and the page source's count. */
static bool compare_model(struct kheap_checker *c)
{
	const struct kheap_model *m = &c->model;
	struct kheap_stats st;
	char buf[200];

	kheap_stats(c->inst.h, &st);
	if (st.live != m->nr_live || st.used_bytes != m->used_bytes || st.allocs != m->allocs ||
	    st.frees != m->frees || st.failed != m->failed || st.bad_frees != m->bad_frees)
		return kc_fail(c,
			       "stats %s; model: used %" PRIu64 " live %zu allocs %" PRIu64
			       " frees %" PRIu64 " failed %" PRIu64 " bad_frees %" PRIu64,
			       stats_str(&st, buf, sizeof(buf)), m->used_bytes, m->nr_live,
			       m->allocs, m->frees, m->failed, m->bad_frees);
	if (st.pages != c->inst.tp.held)
		return kc_fail(c, "stats.pages %" PRIu64 " but the page source has %" PRIu64 " out",
			       st.pages, c->inst.tp.held);
	if (st.pages * PAGE_SIZE < st.used_bytes)
		return kc_fail(c, "%" PRIu64 " pages hold %" PRIu64 " used bytes", st.pages,
			       st.used_bytes);
	return true;
}

/* Reads every live block back: its usable size and its pattern. */
static bool verify_blocks(struct kheap_checker *c)
{
	const struct kheap_model *m = &c->model;

	if (!interval_tree_check(&m->tree) || m->tree.count != m->nr_live)
		return kc_fail(c, "model: interval tree broken");
	for (size_t i = 0; i < m->nr_live; i++) {
		const struct kbm_block *b = m->live[i];
		size_t usable = kheap_usable_size(c->inst.h, b->p);
		if (usable != b->usable)
			return kc_fail(c, "block %p: usable size went from %zu to %zu", b->p,
				       b->usable, usable);
		size_t off = kbm_verify(b->p, b->usable, b->tag);
		if (off != b->usable)
			return kc_fail(c, "block %p (%zu bytes): byte %zu changed", b->p, b->usable,
				       off);
	}
	return true;
}

/* Ends an operation: the page source no longer fails; the counters and, now and then, more are
 * checked. */
static bool end_op(struct kheap_checker *c, bool ok)
{
	if (c->arm_once)
		kc_fail_after(c, -1);
	if (!ok)
		return false;
	c->nr_ops++;
	if (!compare_model(c))
		return false;
	if (c->nr_ops % c->check_every == 0 && !run_check(c))
		return false;
	if (c->verify_every && c->nr_ops % c->verify_every == 0 && !verify_blocks(c))
		return false;
	return true;
}

void kc_create(struct kheap_checker *c, const struct kheap_desc *d, size_t arena_bytes,
	       unsigned check_every)
{
	memset(c, 0, sizeof(*c));
	kheap_inst_create(&c->inst, d, arena_bytes);
	kbm_init(&c->model);
	c->check_every = check_every ? check_every : 1;
	c->max_live = 512;
}

void kc_destroy(struct kheap_checker *c)
{
	kbm_destroy(&c->model);
	kheap_inst_destroy(&c->inst);
}

void kc_fail_next(struct kheap_checker *c, long n)
{
	kc_fail_after(c, n);
	c->arm_once = true;
}

void kc_fail_after(struct kheap_checker *c, long n)
{
	kheap_test_pages_fail_after(&c->inst.tp, n);
	c->armed = n >= 0;
	c->arm_once = false;
}

/* Bytes of the arena the page source hands out. */
static size_t arena_bytes(const struct kheap_checker *c)
{
	return c->inst.tp.arena_bytes - PAGE_SIZE_2M;
}

/*
 * Whether a request of `size` bytes may be answered with NULL: the page
 * source was told to fail, or no arena could hold it.
 */
static bool null_allowed(const struct kheap_checker *c, size_t size)
{
	return c->armed || size > KHEAP_MAX_SIZE || size > arena_bytes(c) / 4;
}

/* Whether [p, p + n) lies in the arena of pages the page source hands out. */
static bool in_arena(const struct kheap_checker *c, const void *p, size_t n)
{
	uintptr_t base = (uintptr_t)c->inst.tp.base, a = (uintptr_t)p;

	return a >= base && a - base <= arena_bytes(c) && n <= arena_bytes(c) - (a - base);
}

/* Whether p[0..n) are all 0. */
static bool is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/*
 * Takes the block p that `what` returned for `size` bytes aligned to
 * `align`, of which the first `zeroed` must be 0, into the model.
 */
static bool new_block(struct kheap_checker *c, const char *what, void *p, size_t size, size_t align,
		      size_t zeroed)
{
	size_t want = align < KHEAP_MIN_ALIGN ? KHEAP_MIN_ALIGN : align;

	if ((uintptr_t)p % want)
		return kc_fail(c, "%s(%zu, align %zu) = %p: misaligned", what, size, align, p);
	size_t usable = kheap_usable_size(c->inst.h, p);
	if (usable < size)
		return kc_fail(c, "%s(%zu) = %p: usable size %zu", what, size, p, usable);
	if (!in_arena(c, p, usable))
		return kc_fail(c, "%s(%zu) = %p+%zu: outside the page source's arena", what, size,
			       p, usable);
	if (zeroed && !is_zero(p, zeroed))
		return kc_fail(c, "%s(%zu) = %p: not zeroed", what, size, p);
	const char *err = kbm_add(&c->model, p, size, usable);
	if (err)
		return kc_fail(c, "%s(%zu): %s", what, size, err);
	c->model.allocs++;
	return true;
}

/* The end of an allocation `what` of `size` bytes that returned p (before: the heap before it). */
static bool finish_alloc(struct kheap_checker *c, const char *what, void *p, size_t size,
			 size_t align, size_t zeroed, struct snap before)
{
	kc_trace(c, "%s(%zu, align %zu) = %p", what, size, align, p);
	c->last = p;
	if (p)
		return new_block(c, what, p, size, align, zeroed);
	if (!null_allowed(c, size))
		return kc_fail(c, "%s(%zu, align %zu) = NULL with pages to spare", what, size,
			       align);
	c->model.failed++;
	return expect_unchanged(c, before, 1, 0, what);
}

/* A request the contract refuses without counting it returned p: it must be NULL, nothing changed.
 */
static bool finish_refused(struct kheap_checker *c, const char *what, void *p, size_t a, size_t b,
			   struct snap before)
{
	kc_trace(c, "%s(%zu, %zu) = %p", what, a, b, p);
	c->last = p;
	if (p)
		return kc_fail(c, "%s(%zu, %zu) = %p, not NULL", what, a, b, p);
	return expect_unchanged(c, before, 0, 0, what);
}

bool kc_alloc(struct kheap_checker *c, size_t size)
{
	struct snap before = snap_of(c);
	void *p = kheap_alloc(c->inst.h, size);

	return end_op(c, finish_alloc(c, "alloc", p, size, KHEAP_MIN_ALIGN, 0, before));
}

bool kc_memalign(struct kheap_checker *c, size_t align, size_t size)
{
	struct snap before = snap_of(c);
	void *p = kheap_memalign(c->inst.h, align, size);

	if (!is_pow2(align) || align > KHEAP_MAX_ALIGN)
		return end_op(c, finish_refused(c, "memalign", p, align, size, before));
	return end_op(c, finish_alloc(c, "memalign", p, size, align, 0, before));
}

bool kc_calloc(struct kheap_checker *c, size_t n, size_t size)
{
	struct snap before = snap_of(c);
	void *p = kheap_calloc(c->inst.h, n, size);

	if (size != 0 && n > SIZE_MAX / size)
		return end_op(c, finish_refused(c, "calloc", p, n, size, before));
	return end_op(c, finish_alloc(c, "calloc", p, n * size, KHEAP_MIN_ALIGN, n * size, before));
}

/* The live block b still holds its pattern (`when`: for the message). */
static bool block_intact(struct kheap_checker *c, const struct kbm_block *b, const char *when)
{
	size_t off = kbm_verify(b->p, b->usable, b->tag);

	if (off != b->usable)
		return kc_fail(c, "block %p (%zu bytes) %s: byte %zu changed", b->p, b->usable,
			       when, off);
	return true;
}

/* kheap_realloc(b->p, size), size > 0, that returned q. */
static bool finish_realloc(struct kheap_checker *c, struct kbm_block *b, size_t size, void *q,
			   struct snap before)
{
	size_t old = b->usable;

	if (!q) {
		if (!null_allowed(c, size))
			return kc_fail(c, "realloc(%p, %zu) = NULL with pages to spare", b->p,
				       size);
		if (!block_intact(c, b, "after a failed realloc"))
			return false;
		c->model.failed++;
		return expect_unchanged(c, before, 1, 0, "a failed realloc");
	}
	struct snap after = snap_of(c);
	uint64_t dfailed = after.st.failed - before.st.failed;
	if (q == b->p) {
		/* Resized in place, or a shrink that could not move (counted as failed). */
		if (dfailed && !(dfailed == 1 && size <= old && null_allowed(c, size)))
			return kc_fail(c, "realloc(%p, %zu) in place counted %" PRIu64 " failures",
				       b->p, size, dfailed);
		c->model.failed += dfailed;
	} else {
		if ((uintptr_t)q % KHEAP_MIN_ALIGN)
			return kc_fail(c, "realloc(%p, %zu) = %p: misaligned", b->p, size, q);
		c->model.allocs++;
		c->model.frees++;
	}
	size_t usable = kheap_usable_size(c->inst.h, q);
	if (usable < size)
		return kc_fail(c, "realloc(%p, %zu) = %p: usable size %zu", b->p, size, q, usable);
	if (!in_arena(c, q, usable))
		return kc_fail(c, "realloc(%p, %zu) = %p+%zu: outside the arena", b->p, size, q,
			       usable);
	size_t keep = old < size ? old : size;
	size_t off = kbm_verify(q, keep, b->tag);
	if (off != keep)
		return kc_fail(c, "realloc(%p, %zu) = %p: byte %zu of the %zu kept changed", b->p,
			       size, q, off, keep);
	const char *err = kbm_move(&c->model, b, q, size, usable);
	if (err)
		return kc_fail(c, "realloc(%p, %zu) = %p: %s", b->p, size, q, err);
	return true;
}

bool kc_realloc(struct kheap_checker *c, struct kbm_block *b, size_t size)
{
	struct snap before = snap_of(c);

	if (!b) {
		void *p = kheap_realloc(c->inst.h, NULL, size);
		return end_op(
		    c, finish_alloc(c, "realloc(NULL)", p, size, KHEAP_MIN_ALIGN, 0, before));
	}
	if (!block_intact(c, b, "before realloc"))
		return end_op(c, false);
	void *p = b->p;
	void *q = kheap_realloc(c->inst.h, p, size);
	kc_trace(c, "realloc(%p, %zu) = %p", p, size, q);
	c->last = q;
	if (size != 0)
		return end_op(c, finish_realloc(c, b, size, q, before));
	/* Size 0 frees. */
	if (q)
		return end_op(c, kc_fail(c, "realloc(%p, 0) = %p, not NULL", p, q));
	if (snap_of(c).st.pages > before.st.pages)
		return end_op(c, kc_fail(c, "realloc(%p, 0) took pages", p));
	c->model.frees++;
	kbm_remove(&c->model, b);
	return end_op(c, true);
}

/* Frees the live block b (not an operation of its own). */
static bool free_block(struct kheap_checker *c, struct kbm_block *b)
{
	if (!block_intact(c, b, "when freed"))
		return false;
	struct snap before = snap_of(c);
	void *p = b->p;
	int rc = kheap_free(c->inst.h, p);
	kc_trace(c, "free(%p) = %d", p, rc);
	c->last_rc = rc;
	if (rc != 0)
		return kc_fail(c, "free(%p) of a live block = %d", p, rc);
	if (snap_of(c).st.pages > before.st.pages)
		return kc_fail(c, "free(%p) took pages", p);
	c->model.frees++;
	kbm_remove(&c->model, b);
	return true;
}

bool kc_free(struct kheap_checker *c, struct kbm_block *b)
{
	return end_op(c, free_block(c, b));
}

/* kheap_free(p), a bad free the heap detects: it must return one of `ok1`, `ok2`, changing nothing
 * but bad_frees. */
static bool bad_free(struct kheap_checker *c, void *p, int ok1, int ok2)
{
	struct snap before = snap_of(c);
	int rc = kheap_free(c->inst.h, p);

	kc_trace(c, "bad free(%p) = %d", p, rc);
	c->last_rc = rc;
	if (rc != ok1 && rc != ok2)
		return kc_fail(c, "bad free(%p) = %d, expected %d", p, rc, ok1);
	c->model.bad_frees++;
	return expect_unchanged(c, before, 0, 1, "a bad free");
}

bool kc_bad_free(struct kheap_checker *c, struct kbm_block *b, size_t off)
{
	unsigned need = off % KHEAP_MIN_ALIGN ? KHEAP_DETECT_MISALIGNED : KHEAP_DETECT_INTERIOR;

	c->last_rc = 0;
	if (off == 0 || off >= b->usable || !(c->inst.desc->detects & need))
		return true;
	bool ok = bad_free(c, (char *)b->p + off, -EINVAL, -EINVAL) &&
		  block_intact(c, b, "after a bad free inside it");
	return end_op(c, ok);
}

bool kc_double_free(struct kheap_checker *c, struct kbm_block *b, bool strict)
{
	const struct kheap_desc *d = c->inst.desc;
	bool claimed = (d->detects & KHEAP_DETECT_DOUBLE) && b->size <= d->double_free_max;
	uint64_t pages = snap_of(c).st.pages;
	void *p = b->p;

	if (!free_block(c, b))
		return end_op(c, false);
	c->last_rc = 0;
	/* The heap gave pages back: the block's memory may be gone. */
	if (!claimed || snap_of(c).st.pages < pages)
		return end_op(c, true);
	return end_op(c, bad_free(c, p, -ENOENT, strict ? -ENOENT : -EINVAL));
}

bool kc_verify(struct kheap_checker *c)
{
	return compare_model(c) && run_check(c) && verify_blocks(c);
}

bool kc_free_all(struct kheap_checker *c, struct test_src *src)
{
	struct kheap_model *m = &c->model;

	while (m->nr_live)
		if (!kc_free(c, m->live[test_src_below(src, m->nr_live)]))
			return false;
	if (!kc_verify(c))
		return false;
	struct snap s = snap_of(c);
	if (s.st.live != 0 || s.st.used_bytes != 0)
		return kc_fail(c, "empty heap shows %" PRIu64 " live blocks, %" PRIu64 " bytes",
			       s.st.live, s.st.used_bytes);
	if (s.held > c->inst.desc->pages_bound)
		return kc_fail(c, "empty heap keeps %" PRIu64 " pages, its bound is %zu", s.held,
			       c->inst.desc->pages_bound);
	return true;
}

/* ---- random operations ---- */

/* The largest size a failing realloc grows a block to (so that repeated grows stay small). */
#define GROW_MAX ((size_t)256 * 1024)

/* A request size of 0..64K, mostly small, now and then a boundary. */
static size_t rand_size(struct test_src *s)
{
	static const size_t special[] = {0,  1,	   15,	 16,   17,    31,    32,    33,
					 48, 4080, 4096, 4097, 32752, 32768, 32769, 65536};
	uint64_t r = test_src_below(s, 100);

	if (r < 55)
		return 1 + test_src_below(s, 128);
	if (r < 80)
		return 129 + test_src_below(s, 2048 - 128);
	if (r < 92)
		return 2049 + test_src_below(s, 16384 - 2048);
	if (r < 97)
		return 16385 + test_src_below(s, 65536 - 16384);
	return special[test_src_below(s, sizeof(special) / sizeof(special[0]))];
}

/* An alignment of 1..PAGE_SIZE, every power of two. */
static size_t rand_align(struct test_src *s)
{
	return (size_t)1 << test_src_below(s, PAGE_SHIFT + 1);
}

/* A request the contract refuses: a bad alignment, a size too large, an overflowing calloc. */
static bool bad_request(struct kheap_checker *c, struct test_src *s, struct kbm_block *b)
{
	static const size_t bad_align[] = {
	    0, 3, 24, 48, PAGE_SIZE - 1, PAGE_SIZE + 1, 2 * PAGE_SIZE, (size_t)1 << 63, SIZE_MAX};
	const size_t nr_bad = sizeof(bad_align) / sizeof(bad_align[0]);

	switch (test_src_below(s, 6)) {
	case 0:
		return kc_memalign(c, bad_align[test_src_below(s, nr_bad)], rand_size(s));
	case 1:
		return kc_alloc(c, KHEAP_MAX_SIZE + 1 + test_src_below(s, 2));
	case 2:
		return kc_alloc(c, SIZE_MAX - test_src_below(s, 2));
	case 3:
		return kc_calloc(c, SIZE_MAX / 2 + 1 + test_src_below(s, 4),
				 2 + test_src_below(s, 4));
	case 4:
		return kc_memalign(c, rand_align(s), KHEAP_MAX_SIZE + 1);
	default:
		return b ? kc_realloc(c, b, SIZE_MAX) : kc_alloc(c, SIZE_MAX);
	}
}

/* An operation whose page allocations fail after a few. */
static bool failing_op(struct kheap_checker *c, struct test_src *s, struct kbm_block *b)
{
	kc_fail_next(c, (long)test_src_below(s, 3));
	switch (test_src_below(s, 4)) {
	case 0:
		return kc_alloc(c, rand_size(s));
	case 1:
		return kc_memalign(c, rand_align(s), rand_size(s));
	case 2: {
		size_t size = (b ? 2 * b->size : 0) + rand_size(s);
		return kc_realloc(c, b, size < GROW_MAX ? size : GROW_MAX);
	}
	default:
		/* Beyond what one chunk of most heaps holds. */
		return kc_alloc(c, 33 * 1024 + test_src_below(s, 96 * 1024));
	}
}

bool kc_step(struct kheap_checker *c, struct test_src *s)
{
	struct kheap_model *m = &c->model;
	struct kbm_block *b = m->nr_live ? m->live[test_src_below(s, m->nr_live)] : NULL;
	uint64_t op = test_src_below(s, 100);

	if (m->nr_live >= c->max_live && op < 63)
		op = 63;
	if (op < 34)
		return kc_alloc(c, rand_size(s));
	if (op < 44)
		return kc_memalign(c, rand_align(s), rand_size(s));
	if (op < 48) {
		size_t n = 1 + test_src_below(s, 64);
		return kc_calloc(c, n, rand_size(s) / n);
	}
	if (op < 63) {
		bool from_null = test_src_below(s, 20) == 0;
		size_t size = test_src_below(s, 30) == 0 ? 0 : rand_size(s);
		return kc_realloc(c, from_null ? NULL : b, size);
	}
	if (op < 92)
		return b ? kc_free(c, b) : kc_alloc(c, rand_size(s));
	if (op < 95) {
		size_t off = test_src_below(s, 2) ? KHEAP_MIN_ALIGN * (1 + test_src_below(s, 4))
						  : 1 + test_src_below(s, KHEAP_MIN_ALIGN - 1);
		return b ? kc_bad_free(c, b, off) : true;
	}
	if (op < 97)
		return b ? kc_double_free(c, b, false) : true;
	if (op < 98)
		return bad_request(c, s, b);
	return failing_op(c, s, b);
}

/*
 * measure.c - one configuration of the hugepage app: map a region with one
 * page size (populate or lazy), touch it, time steady-state reads, check
 * every count and byte, and give everything back.
 */
#include <axalloc/axalloc.h>
#include <axhal/time.h>
#include <mm-addrspace/aspace.h>
#include <stdio.h>

#include "hugepage.h"

/* The space covers the low half from 1 GiB up; the region starts on a 1G boundary. */
#define SPACE_BASE   PAGE_SIZE_1G
#define REGION_ALIGN PAGE_SIZE_1G
/* The random-stride pass steps by about this share (per mille) of the region. */
#define STRIDE_PERMILLE 618
#define PERMILLE	1000
/* Multiplier of the pattern word (odd, so distinct slots get distinct non-zero words). */
#define PATTERN_MUL    0x9e3779b97f4a7c15ULL
#define WORDS_PER_SLOT (HP_TOUCH_STEP / sizeof(uint64_t))
#define MAX_REPS       99
#define NAME_LEN       32

/* Used pages without the heap's cached pages, and live heap blocks. */
struct leak_mark {
	uint64_t pages;
	uint64_t blocks;
};

static struct aspace space;

static void leak_mark(struct leak_mark *m)
{
	struct axalloc_stats st;

	axalloc_stats(&st);
	m->pages = st.pages.used_pages - st.heap_pages;
	m->blocks = st.heap_allocs - st.heap_frees;
}

static uint64_t elapsed_ns(uint64_t t0)
{
	return axhal_ticks_to_ns(axhal_ticks() - t0);
}

/* The word written at the start of 4K slot `slot`. */
static uint64_t pattern(uint64_t slot)
{
	return (slot + 1) * PATTERN_MUL;
}

static bool is_prime(uint64_t n)
{
	if (n < 2)
		return false;
	for (uint64_t d = 2; d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

/*
 * A stride (in slots) near STRIDE_PERMILLE of `slots` that is coprime to it,
 * so stepping by it modulo slots visits every slot exactly once.
 */
static uint64_t random_stride(uint64_t slots)
{
	uint64_t s = slots * STRIDE_PERMILLE / PERMILLE;

	for (; s > 1; s--)
		if (is_prime(s) && slots % s != 0)
			return s;
	return 1;
}

/*
 * True if axalloc can hand out one frame of pgsize now (allocated and freed
 * again): a lazy area whose first fault finds no frame would kill the
 * kernel, so the app checks before touching it.
 */
static bool frame_available(uint64_t pgsize)
{
	paddr_t pa;

	if (axalloc_alloc_pages(pgsize / PAGE_SIZE_4K, pgsize, AXALLOC_UNMOVABLE, &pa) != 0)
		return false;
	if (axalloc_free_pages(pa, pgsize / PAGE_SIZE_4K) != 0)
		hp_fail("freeing the probe frame at %#lx", (unsigned long)pa);
	return true;
}

/* Page-table pages an Alloc area of `region` bytes at a 1G boundary needs. */
static uint64_t expected_pt_pages(uint64_t region, uint64_t pgsize)
{
	uint64_t pages = 1; /* root */

	if (pgsize < PAGE_SIZE_1G)
		pages += (region + PAGE_SIZE_1G - 1) / PAGE_SIZE_1G; /* level-1 tables */
	if (pgsize < PAGE_SIZE_2M)
		pages += (region + PAGE_SIZE_2M - 1) / PAGE_SIZE_2M; /* level-0 tables */
	return pages;
}

/* True if axalloc has enough free pages for the region and its page tables. */
static bool enough_memory(uint64_t region, uint64_t pgsize)
{
	struct axalloc_stats st;

	axalloc_stats(&st);
	return st.pages.free_pages >= region / PAGE_SIZE_4K + expected_pt_pages(region, pgsize);
}

/*
 * The RAM (GiB) to suggest when the region does not fit: the region rounded
 * up to whole GiB plus the first GiB of RAM (kernel and device tree), which
 * is what the app declares it needs with 1G pages (APP_MEM_MB): 1024 MiB
 * gives 2. make run already refuses less, so this guards against memory
 * taken by something else.
 */
static unsigned long mem_hint_gib(uint64_t region)
{
	return (unsigned long)((region + PAGE_SIZE_1G - 1) / PAGE_SIZE_1G + 1);
}

/* Writes the pattern into the first word of every 4K slot: the first touch. */
static void touch(volatile uint64_t *p, uint64_t slots)
{
	for (uint64_t i = 0; i < slots; i++)
		p[i * WORDS_PER_SLOT] = pattern(i);
}

/* Reads one word per cache line, in address order. */
static uint64_t seq_pass(const volatile uint64_t *p, uint64_t region)
{
	uint64_t sum = 0;

	for (uint64_t off = 0; off < region; off += HP_SEQ_STEP)
		sum += p[off / sizeof(uint64_t)];
	return sum;
}

/* Reads the first word of every 4K slot, stepping `stride` slots at a time. */
static uint64_t rand_pass(const volatile uint64_t *p, uint64_t slots, uint64_t stride)
{
	uint64_t sum = 0, slot = 0;

	for (uint64_t i = 0; i < slots; i++) {
		sum += p[slot * WORDS_PER_SLOT];
		slot += stride;
		if (slot >= slots)
			slot -= slots;
	}
	return sum;
}

/*
 * Runs `reps` sequential and random-stride passes; each must read exactly
 * the pattern words (every other word of a zeroed frame is 0). Stores the
 * minimum, median and maximum time per read of each pass.
 */
static void access_passes(const char *name, vaddr_t va, uint64_t region, unsigned reps,
			  struct hp_result *r)
{
	static uint64_t seq_ns[MAX_REPS], rand_ns[MAX_REPS];
	const volatile uint64_t *p = (const volatile uint64_t *)va;
	uint64_t slots = region / HP_TOUCH_STEP, stride = random_stride(slots), want = 0;

	for (uint64_t i = 0; i < slots; i++)
		want += pattern(i);
	for (unsigned rep = 0; rep < reps; rep++) {
		uint64_t t0 = axhal_ticks(), sum = seq_pass(p, region);

		seq_ns[rep] = elapsed_ns(t0);
		if (sum != want)
			hp_fail("%s: sequential pass %u read sum %#lx, expected %#lx", name, rep,
				(unsigned long)sum, (unsigned long)want);
		t0 = axhal_ticks();
		sum = rand_pass(p, slots, stride);
		rand_ns[rep] = elapsed_ns(t0);
		if (sum != want)
			hp_fail("%s: random pass %u read sum %#lx, expected %#lx", name, rep,
				(unsigned long)sum, (unsigned long)want);
	}
	r->seq = spread_of(seq_ns, reps, HP_PS_PER_NS, region / HP_SEQ_STEP);
	r->rand = spread_of(rand_ns, reps, HP_PS_PER_NS, slots);
}

/* Reads every slot's word back through the space (the kernel's view of the frames). */
static void check_contents(const char *name, vaddr_t va, uint64_t region)
{
	uint64_t slots = region / HP_TOUCH_STEP, bad = 0;

	for (uint64_t i = 0; i < slots; i++) {
		uint64_t word = 0;
		int err = aspace_read(&space, va + i * HP_TOUCH_STEP, &word, sizeof(word));

		if (err || word != pattern(i)) {
			if (bad == 0)
				hp_fail("%s: slot %lu reads %#lx (error %d), expected %#lx", name,
					(unsigned long)i, (unsigned long)word, err,
					(unsigned long)pattern(i));
			bad++;
		}
	}
	if (bad > 1)
		hp_fail("%s: %lu of %lu slots read back wrong", name, (unsigned long)bad,
			(unsigned long)slots);
}

/* Checks the space's counters after the first touch. */
static void check_counts(const char *name, uint64_t region, uint64_t pgsize, bool populate,
			 const struct aspace_stats *st)
{
	uint64_t want_faults = populate ? 0 : region / pgsize;
	uint64_t want_pt = expected_pt_pages(region, pgsize);
	int idx = aspace_pgsize_index(pgsize);

	if (st->faults != want_faults)
		hp_fail("%s: %lu page faults, expected %lu", name, (unsigned long)st->faults,
			(unsigned long)want_faults);
	if (st->spurious_faults != 0)
		hp_fail("%s: %lu spurious faults", name, (unsigned long)st->spurious_faults);
	if (st->pt_pages != want_pt)
		hp_fail("%s: %lu page-table pages, expected %lu", name, (unsigned long)st->pt_pages,
			(unsigned long)want_pt);
	if (st->mapped[idx] != region / pgsize)
		hp_fail("%s: %lu pages mapped, expected %lu", name, (unsigned long)st->mapped[idx],
			(unsigned long)(region / pgsize));
	if (st->alloc_pages_4k != region / PAGE_SIZE_4K)
		hp_fail("%s: %lu 4K frames behind the area, expected %lu", name,
			(unsigned long)st->alloc_pages_4k, (unsigned long)(region / PAGE_SIZE_4K));
}

int hp_measure(uint64_t region, uint64_t pgsize, bool populate, unsigned reps, struct hp_result *r)
{
	int failed_before = hp_failures();
	struct leak_mark before, after;
	struct aspace_stats st;
	char name[NAME_LEN];
	uint64_t got_pgsize = 0, t0;
	vaddr_t va;
	int err;

	snprintf(name, sizeof(name), "%s %s", hp_pgsize_name(pgsize),
		 populate ? "populate" : "lazy");
	*r = (struct hp_result){.pgsize = pgsize, .populate = populate};
	if (reps < 1 || reps > MAX_REPS) {
		hp_fail("%s: %u repetitions, must be 1..%d", name, reps, MAX_REPS);
		return hp_failures() - failed_before;
	}
	if (!enough_memory(region, pgsize)) {
		hp_fail("%s: fewer than %lu MiB free for the region and its page tables (give the "
			"guest more RAM: make run MEM=%luG)",
			name, (unsigned long)(region >> HP_MIB_SHIFT), mem_hint_gib(region));
		return hp_failures() - failed_before;
	}
	if (!frame_available(pgsize)) {
		hp_fail("%s: axalloc has no free %s-aligned %s frame (give the guest more RAM: "
			"make run MEM=%luG)",
			name, hp_pgsize_name(pgsize), hp_pgsize_name(pgsize), mem_hint_gib(region));
		return hp_failures() - failed_before;
	}
	leak_mark(&before);
	err = aspace_create(&space, SPACE_BASE, USER_VA_END - SPACE_BASE);
	if (err) {
		hp_fail("%s: aspace_create: %d", name, err);
		return hp_failures() - failed_before;
	}
	err = aspace_find_free_area(&space, SPACE_BASE, region, USER_VA_END, REGION_ALIGN, &va);
	if (err) {
		hp_fail("%s: aspace_find_free_area(%lu MiB): %d", name,
			(unsigned long)(region >> HP_MIB_SHIFT), err);
		goto out;
	}
	t0 = axhal_ticks();
	err = aspace_map_alloc(&space, va, region, MAPF_READ | MAPF_WRITE, populate, pgsize);
	r->map_ns = elapsed_ns(t0);
	if (err) {
		hp_fail("%s: aspace_map_alloc(%#lx, %lu MiB): %d", name, (unsigned long)va,
			(unsigned long)(region >> HP_MIB_SHIFT), err);
		goto out;
	}
	r->measured = true;
	aspace_activate(&space);
	t0 = axhal_ticks();
	touch((volatile uint64_t *)va, region / HP_TOUCH_STEP);
	r->touch_ns = elapsed_ns(t0);
	aspace_stats(&space, &st);
	r->faults = st.faults;
	r->pt_pages = st.pt_pages;
	check_counts(name, region, pgsize, populate, &st);
	err = aspace_query(&space, va + region - 1, NULL, NULL, &got_pgsize);
	if (err || got_pgsize != pgsize)
		hp_fail("%s: the last byte is mapped by a %lu-byte page (error %d)", name,
			(unsigned long)got_pgsize, err);
	access_passes(name, va, region, reps, r);
	check_contents(name, va, region);
	aspace_stats(&space, &st);
	if (st.faults != r->faults)
		hp_fail("%s: %lu faults after the steady-state passes, %lu after the first touch",
			name, (unsigned long)st.faults, (unsigned long)r->faults);
out:
	aspace_destroy(&space);
	leak_mark(&after);
	if (after.pages != before.pages || after.blocks != before.blocks)
		hp_fail("%s: after destroy %lu pages used and %lu heap blocks live, %lu and %lu "
			"before",
			name, (unsigned long)after.pages, (unsigned long)after.blocks,
			(unsigned long)before.pages, (unsigned long)before.blocks);
	return hp_failures() - failed_before;
}

/*
 * frame_ref.c - per-frame reference counts for copy-on-write (see
 * axalloc/frame_ref.h for the contract).
 *
 * Each managed range has its own array of 32-bit counts, one per 4K frame,
 * followed by an array of 32-bit owner words, carved by axalloc_init from
 * the range's metadata pages. The ranges are kept sorted, so a frame's
 * count is found by binary search over at most PGALLOC_MAX_RANGES entries
 * and an index into that range's arrays.
 * Built with CONFIG_AXALLOC_FRAME_REFS (module.mk).
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "axalloc_priv.h"
#include <axalloc/frame_ref.h>

/* The counts and owner words of frames [base, base + npages * 4K). */
struct ref_range {
	paddr_t base;
	uint64_t npages;
	uint32_t *counts;
	uint32_t *owners;
};

static struct ref_range ref_ranges[PGALLOC_MAX_RANGES];
static int nr_ref_ranges;

uint64_t axalloc_frame_ref_bytes(uint64_t npages)
{
	return npages * 2 * sizeof(uint32_t);
}

void axalloc_frame_ref_reset_locked(void)
{
	nr_ref_ranges = 0;
}

void axalloc_frame_ref_add_range_locked(paddr_t base, uint64_t npages, uint32_t *counts)
{
	assert(nr_ref_ranges < PGALLOC_MAX_RANGES);
	assert(nr_ref_ranges == 0 || ref_ranges[nr_ref_ranges - 1].base < base);
	ref_ranges[nr_ref_ranges++] = (struct ref_range){base, npages, counts, counts + npages};
}

/*
 * The range that manages all the n frames from pa, storing the index of
 * the first in *index; NULL when pa is unaligned, n is 0 or no one range
 * manages them all.
 */
static const struct ref_range *ref_lookup(paddr_t pa, uint64_t n, uint64_t *index)
{
	int lo = 0, hi = nr_ref_ranges;

	if (!IS_ALIGNED(pa, PAGE_SIZE) || n == 0)
		return NULL;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		const struct ref_range *r = &ref_ranges[mid];

		*index = (pa - r->base) / PAGE_SIZE;
		if (pa < r->base)
			hi = mid;
		else if (*index >= r->npages)
			lo = mid + 1;
		else
			return n <= r->npages - *index ? r : NULL;
	}
	return NULL;
}

/* The counts of the n frames from pa, or NULL (see ref_lookup). */
static uint32_t *ref_slots(paddr_t pa, uint64_t n)
{
	uint64_t index;
	const struct ref_range *r = ref_lookup(pa, n, &index);

	return r ? &r->counts[index] : NULL;
}

/* The owner words of the n frames from pa, or NULL (see ref_lookup). */
static uint32_t *owner_slots(paddr_t pa, uint64_t n)
{
	uint64_t index;
	const struct ref_range *r = ref_lookup(pa, n, &index);

	return r ? &r->owners[index] : NULL;
}

/* The count of the frame at pa, or NULL when pa is unaligned or not managed. */
static uint32_t *ref_slot(paddr_t pa)
{
	return ref_slots(pa, 1);
}

uint32_t axalloc_frame_ref_get_locked(paddr_t pa)
{
	const uint32_t *slot = ref_slot(pa);
	return slot ? *slot : 0;
}

uint32_t frame_ref_get(paddr_t pa)
{
	spin_lock(&axalloc_lock);
	uint32_t count = axalloc_frame_ref_get_locked(pa);
	spin_unlock(&axalloc_lock);
	return count;
}

int frame_ref_dec(paddr_t pa)
{
	int ret;

	spin_lock(&axalloc_lock);
	uint32_t *slot = ref_slot(pa);
	if (!slot || *slot == 0) {
		ret = -EINVAL;
	} else {
		uint32_t count = --(*slot);
		ret = count > INT32_MAX ? INT32_MAX : (int)count;
	}
	spin_unlock(&axalloc_lock);
	return ret;
}

int frame_ref_inc_range(paddr_t pa, uint64_t n)
{
	int ret = 0;

	spin_lock(&axalloc_lock);
	uint32_t *slots = ref_slots(pa, n);
	if (!slots) {
		ret = -EINVAL;
	} else {
		for (uint64_t i = 0; i < n && ret == 0; i++)
			if (slots[i] == UINT32_MAX)
				ret = -ENOMEM;
		for (uint64_t i = 0; i < n && ret == 0; i++)
			slots[i]++;
	}
	spin_unlock(&axalloc_lock);
	return ret;
}

uint32_t frame_ref_max(paddr_t pa, uint64_t n)
{
	uint32_t max = 0;

	spin_lock(&axalloc_lock);
	const uint32_t *slots = ref_slots(pa, n);
	for (uint64_t i = 0; slots && i < n; i++)
		if (slots[i] > max)
			max = slots[i];
	spin_unlock(&axalloc_lock);
	return max;
}

int frame_ref_put_range(paddr_t pa, uint64_t n)
{
	int ret = 0;

	spin_lock(&axalloc_lock);
	uint32_t *slots = ref_slots(pa, n);
	for (uint64_t i = 0; slots && i < n; i++)
		if (slots[i] == 0)
			slots = NULL;
	if (!slots) {
		ret = -EINVAL;
	} else {
		/* Free each maximal run of frames whose count drops to 0. */
		uint64_t run = 0;

		for (uint64_t i = 0; i < n; i++) {
			if (--slots[i] == 0)
				continue;
			if (run < i)
				axalloc_pages_free_locked(pa + run * PAGE_SIZE, i - run);
			run = i + 1;
		}
		if (run < n)
			axalloc_pages_free_locked(pa + run * PAGE_SIZE, n - run);
	}
	spin_unlock(&axalloc_lock);
	return ret;
}

int frame_owner_set(paddr_t pa, uint64_t n, uint32_t first)
{
	spin_lock(&axalloc_lock);
	uint32_t *owners = owner_slots(pa, n);
	for (uint64_t i = 0; owners && i < n; i++)
		owners[i] = first ? first + (uint32_t)i : 0;
	spin_unlock(&axalloc_lock);
	return owners ? 0 : -EINVAL;
}

uint32_t frame_owner_get(paddr_t pa)
{
	spin_lock(&axalloc_lock);
	const uint32_t *owner = owner_slots(pa, 1);
	uint32_t value = owner ? *owner : 0;
	spin_unlock(&axalloc_lock);
	return value;
}

int frame_ref_move(paddr_t from, paddr_t to, uint64_t n)
{
	int ret = 0;

	spin_lock(&axalloc_lock);
	uint32_t *src = ref_slots(from, n), *dst = ref_slots(to, n);
	uint32_t *src_owner = owner_slots(from, n), *dst_owner = owner_slots(to, n);
	for (uint64_t i = 0; src && dst && i < n; i++)
		if (dst[i] != 0)
			dst = NULL;
	if (!src || !dst || (from < to ? to - from : from - to) < n * PAGE_SIZE) {
		ret = -EINVAL;
	} else {
		for (uint64_t i = 0; i < n; i++) {
			dst[i] = src[i];
			dst_owner[i] = src_owner[i];
			src[i] = 0;
			src_owner[i] = 0;
		}
	}
	spin_unlock(&axalloc_lock);
	return ret;
}

#if defined(HOST_TEST)
int frame_ref_set_for_test(paddr_t pa, uint32_t count)
{
	spin_lock(&axalloc_lock);
	uint32_t *slot = ref_slot(pa);
	if (slot)
		*slot = count;
	spin_unlock(&axalloc_lock);
	return slot ? 0 : -EINVAL;
}
#endif

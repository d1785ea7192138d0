/*
 * model.c - what the cow demo expects each space to see, independently of
 * mm-addrspace: the word at each probe page, and with copy-on-write who
 * shares the parent's original frame of a probe (hence the counts, the COW
 * faults and copies, and the frames in use).
 *
 * All clones are made from the parent before anyone writes, so a probe has
 * one shared frame (the original) and private copies: a space that writes
 * while others share the original gets a copy; the last one holding it
 * just gets write back. Pages other than the probes are never written, so
 * every space keeps sharing them.
 */
#include <assert.h>
#include <klib/bitops.h>
#include <stdio.h>
#include <string.h>

#include "cow.h"

#define ORIG_TAG  0x0c0a000000000000ULL
#define WRITE_TAG 0x0c0b000000000000ULL
#define TAG_MASK  0xffff000000000000ULL
#define NAME_LEN  8

const char *cow_space_name(int i)
{
	static char names[COW_NR_SPACES][NAME_LEN];

	if (i == COW_PARENT)
		return "parent";
	if (!names[i][0])
		snprintf(names[i], NAME_LEN, "kid%d", i);
	return names[i];
}

uint64_t cow_orig_value(int p)
{
	return ORIG_TAG | (uint64_t)p << 8;
}

const char *cow_value_owner(uint64_t v)
{
	uint64_t writer = (v >> 32) & 0xffff;

	if ((v & TAG_MASK) == ORIG_TAG)
		return "orig";
	if ((v & TAG_MASK) == WRITE_TAG && writer < COW_NR_SPACES)
		return cow_space_name((int)writer);
	return "?";
}

int cow_add_probe(struct cow_demo *d, const char *name, vaddr_t va, uint64_t pgsize)
{
	int p = d->nr_probes++;

	assert(p < COW_MAX_PROBES && strlen(name) < sizeof(d->probes[p].name));
	strcpy(d->probes[p].name, name);
	d->probes[p].va = va;
	d->probes[p].pgsize = pgsize;
	d->value[COW_PARENT][p] = cow_orig_value(p);
	d->sharers[p] = 1u << COW_PARENT;
	return p;
}

void cow_model_clone(struct cow_demo *d, int kid)
{
	d->live[kid] = true;
	for (int p = 0; p < d->nr_probes; p++) {
		assert(d->sharers[p] & (1u << COW_PARENT));
		d->value[kid][p] = d->value[COW_PARENT][p];
		if (COW_SHARES) {
			d->sharers[p] |= 1u << kid;
			d->pending[COW_PARENT][p] = true;
			d->pending[kid][p] = true;
		}
	}
}

uint64_t cow_model_write(struct cow_demo *d, int s, int p)
{
	uint64_t v = WRITE_TAG | (uint64_t)s << 32 | (uint64_t)p << 24 | ++d->writes;

	if (d->pending[s][p]) {
		d->cow_faults[s]++;
		if (popcount64(d->sharers[p]) > 1) {
			d->cow_copies[s]++;
			d->sharers[p] &= ~(1u << s);
		}
		d->pending[s][p] = false;
	}
	d->value[s][p] = v;
	return v;
}

void cow_model_destroy(struct cow_demo *d, int s)
{
	d->live[s] = false;
	for (int p = 0; p < d->nr_probes; p++)
		d->sharers[p] &= ~(1u << s);
}

uint32_t cow_expected_refs(const struct cow_demo *d, int s, int p)
{
	return d->sharers[p] & (1u << s) ? (uint32_t)popcount64(d->sharers[p]) : 1;
}

uint64_t cow_expected_frames(const struct cow_demo *d)
{
	uint32_t live = 0;
	uint64_t frames = d->parent_frames_4k;

	for (int s = 0; s < COW_NR_SPACES; s++)
		live |= (uint32_t)d->live[s] << s;
	if (!live)
		return 0;
	if (!COW_SHARES)
		return d->parent_frames_4k * (uint64_t)popcount64(live);
	/* Every page but the probes is shared by all; a probe has its original and the copies. */
	for (int p = 0; p < d->nr_probes; p++) {
		uint64_t pages = d->probes[p].pgsize / PAGE_SIZE_4K;
		uint64_t copies = (uint64_t)popcount64(live & ~d->sharers[p]);

		frames += pages * (copies + (d->sharers[p] != 0)) - pages;
	}
	return frames;
}

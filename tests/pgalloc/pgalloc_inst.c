/* pgalloc_inst.c - allocator instances over host buffers (see pgalloc_inst.h). */
#include "pgalloc_inst.h"

#include <axalloc-bitmap/bitmap.h>
#include <axalloc-buddy/buddy.h>

const struct pgalloc_ops *const pgalloc_all_ops[PGALLOC_NR_ALLOCATORS] = {
    &bitmap_pgalloc_ops,
    &buddy_pgalloc_ops,
};

bool pgalloc_places_lowest(const struct pgalloc_ops *ops)
{
	return ops == &bitmap_pgalloc_ops;
}

void pgalloc_inst_create(struct pgalloc_inst *in, const struct pgalloc_ops *ops)
{
	memset(in, 0, sizeof(*in));
	in->ops = ops;
	in->pg = calloc(1, ops->state_size);
	if (!in->pg)
		abort();
	pgalloc_init(in->pg, ops);
}

void pgalloc_inst_destroy(struct pgalloc_inst *in)
{
	for (unsigned i = 0; i < in->nr_meta; i++)
		free(in->meta[i]);
	free(in->pg);
	memset(in, 0, sizeof(*in));
}

int pgalloc_inst_add(struct pgalloc_inst *in, paddr_t base, uint64_t size)
{
	size_t bytes = 0;
	/* meta_bytes is only meaningful for a valid range; keep a 1-byte buffer otherwise. */
	if (size != 0 && IS_ALIGNED(base | size, PAGE_SIZE_4K) && base + size > base)
		bytes = pgalloc_meta_bytes(in->ops, base, size);
	void *meta = malloc(bytes ? bytes : 1);
	if (!meta)
		abort();
	memset(meta, PGALLOC_META_JUNK, bytes);
	int rc = pgalloc_add_memory(in->pg, base, size, meta);
	if (rc == 0) {
		/* More than PGALLOC_MAX_RANGES accepted ranges: the contract is broken. */
		if (in->nr_meta == PGALLOC_MAX_RANGES)
			abort();
		in->meta[in->nr_meta] = meta;
		in->meta_size[in->nr_meta] = bytes;
		in->nr_meta++;
	} else {
		free(meta);
	}
	return rc;
}

void pgalloc_inst_stats(const struct pgalloc_inst *in, struct pgalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	pgalloc_stats(in->pg, st);
}

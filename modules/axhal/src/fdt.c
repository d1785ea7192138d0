/*
 * fdt.c - a small flattened-device-tree reader: memory, reserved memory,
 * harts and the timebase. Portable (host-tested); reads the blob only.
 */
#include <axhal/fdt.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u
#define FDT_MAX_DEPTH 16
#define FDT_MIN_VERSION 16

struct fdt_header {
	uint32_t magic, totalsize, off_dt_struct, off_dt_strings, off_mem_rsvmap, version,
		last_comp_version, boot_cpuid_phys, size_dt_strings, size_dt_struct;
};

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t be64(const void *p)
{
	return (uint64_t)be32(p) << 32 | be32((const uint8_t *)p + 4);
}

/* Reads a `cells`-cell big-endian number (1 or 2 cells). */
static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
	return cells == 2 ? be64(p) : be32(p);
}

/* Appends a non-empty range to arr; -ENOSPC when arr already holds FDT_MAX_RANGES. */
static int add_range(struct mem_range *arr, int *n, uint64_t base, uint64_t size)
{
	if (size == 0)
		return 0;
	if (*n == FDT_MAX_RANGES)
		return -ENOSPC;
	arr[(*n)++] = (struct mem_range){ base, size };
	return 0;
}

/* Where a node sits, as far as this reader cares. */
enum node_kind { NODE_OTHER, NODE_ROOT, NODE_MEMORY, NODE_CPUS, NODE_CPU, NODE_RESV_PARENT, NODE_RESV };

static enum node_kind classify(const char *name, int depth, enum node_kind parent)
{
	if (depth == 0)
		return NODE_ROOT;
	if (depth == 1) {
		if (strncmp(name, "memory", 6) == 0 && (name[6] == '@' || name[6] == 0))
			return NODE_MEMORY;
		if (strcmp(name, "cpus") == 0)
			return NODE_CPUS;
		if (strcmp(name, "reserved-memory") == 0)
			return NODE_RESV_PARENT;
	}
	if (depth == 2 && parent == NODE_CPUS && strncmp(name, "cpu@", 4) == 0)
		return NODE_CPU;
	if (depth == 2 && parent == NODE_RESV_PARENT)
		return NODE_RESV;
	return NODE_OTHER;
}

/*
 * Adds each (address, size) pair of a reg property to arr. Returns 0, -EINVAL
 * when the cells are not 1 or 2 or the property is not whole pairs (a range
 * it cannot read is not skipped), or -ENOSPC from add_range().
 */
static int parse_reg(const uint8_t *val, uint32_t len, uint32_t ac, uint32_t sc,
		     struct mem_range *arr, int *n)
{
	uint32_t entry = (ac + sc) * 4;
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2 || len % entry != 0)
		return -EINVAL;
	for (uint32_t off = 0; off < len; off += entry) {
		int err = add_range(arr, n, read_cells(val + off, ac),
				    read_cells(val + off + ac * 4, sc));
		if (err)
			return err;
	}
	return 0;
}

int fdt_parse(const void *blob, struct fdt_info *info)
{
	const uint8_t *base = blob;
	struct fdt_header h;
	uint32_t addr_cells[FDT_MAX_DEPTH], size_cells[FDT_MAX_DEPTH];
	enum node_kind kind[FDT_MAX_DEPTH];
	int depth = -1;

	memset(info, 0, sizeof(*info));
	memcpy(&h, blob, sizeof(h));
	if (be32(&h.magic) != FDT_MAGIC || be32(&h.version) < FDT_MIN_VERSION)
		return -EINVAL;
	uint32_t total = be32(&h.totalsize), off_struct = be32(&h.off_dt_struct);
	uint32_t off_strings = be32(&h.off_dt_strings), size_struct = be32(&h.size_dt_struct);
	uint32_t off_rsv = be32(&h.off_mem_rsvmap);
	if (off_struct >= total || off_strings >= total || size_struct > total - off_struct ||
	    off_rsv >= total)
		return -EINVAL;
	info->size = total;

	for (uint32_t off = off_rsv; off + 16 <= total; off += 16) {
		uint64_t a = be64(base + off), s = be64(base + off + 8);
		if (a == 0 && s == 0)
			break;
		if (add_range(info->reserved, &info->nr_reserved, a, s) != 0)
			return -ENOSPC;
	}

	const uint8_t *p = base + off_struct, *end = p + size_struct;
	while (p + 4 <= end) {
		uint32_t tok = be32(p);
		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const char *name = (const char *)p;
			size_t len = strnlen(name, (size_t)(end - p));
			if (++depth >= FDT_MAX_DEPTH || p + len >= end)
				return -EINVAL;
			kind[depth] = classify(name, depth, depth ? kind[depth - 1] : NODE_OTHER);
			/* defaults of the FDT spec, inherited by the children */
			addr_cells[depth] = 2;
			size_cells[depth] = 1;
			if (kind[depth] == NODE_CPU)
				info->nr_harts++;
			p += (len + 4) & ~3UL;
		} else if (tok == FDT_END_NODE) {
			if (depth-- < 0)
				return -EINVAL;
		} else if (tok == FDT_PROP) {
			if (p + 8 > end || depth < 0)
				return -EINVAL;
			uint32_t len = be32(p), nameoff = be32(p + 4);
			const uint8_t *val = p + 8;
			if (len > (uint32_t)(end - val) || off_strings + nameoff >= total)
				return -EINVAL;
			const char *prop = (const char *)base + off_strings + nameoff;
			/* reg is decoded with the cells of the parent node */
			uint32_t ac = depth ? addr_cells[depth - 1] : 2, sc = depth ? size_cells[depth - 1] : 1;
			int err = 0;
			if (strcmp(prop, "#address-cells") == 0 && len == 4)
				addr_cells[depth] = be32(val);
			else if (strcmp(prop, "#size-cells") == 0 && len == 4)
				size_cells[depth] = be32(val);
			else if (strcmp(prop, "reg") == 0 && kind[depth] == NODE_MEMORY)
				err = parse_reg(val, len, ac, sc, info->ram, &info->nr_ram);
			else if (strcmp(prop, "reg") == 0 && kind[depth] == NODE_RESV)
				err =
				    parse_reg(val, len, ac, sc, info->reserved, &info->nr_reserved);
			else if (strcmp(prop, "timebase-frequency") == 0 && kind[depth] == NODE_CPUS)
				info->timebase_hz = len == 8 ? be64(val) : be32(val);
			if (err)
				return err;
			p = val + ((len + 3) & ~3u);
		} else if (tok == FDT_END) {
			return depth == -1 ? 0 : -EINVAL;
		} else if (tok != FDT_NOP) {
			return -EINVAL;
		}
	}
	return -EINVAL;
}

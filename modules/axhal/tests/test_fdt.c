/*
 * test_fdt.c - the device-tree reader against blobs QEMU itself produced
 * (make test-host dumps them: build/host/dtb/virt-<mem>-<harts>.dtb), against
 * corrupted copies of them, and against synthetic blobs built here that list
 * as many ranges as fdt_info holds, one more, or reg properties it cannot read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <axhal/fdt.h>

#define DTB_DIR "build/host/dtb/"
#define MAX_DTB (1 << 20)

static size_t load(const char *name, unsigned char *buf)
{
	char path[256];
	snprintf(path, sizeof(path), DTB_DIR "%s", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (make test-host creates it)", path);
	size_t n = fread(buf, 1, MAX_DTB, f);
	fclose(f);
	return n;
}

static void check_virt(const char *name, uint64_t mem, int harts)
{
	static unsigned char buf[MAX_DTB];
	struct fdt_info info;
	size_t n = load(name, buf);

	assert_int_equal(fdt_parse(buf, &info), 0);
	uint64_t totalsize = (uint64_t)buf[4] << 24 | buf[5] << 16 | buf[6] << 8 | buf[7];
	assert_int_equal(info.size, totalsize);
	assert_true(info.size <= n);
	assert_int_equal(info.nr_ram, 1);
	assert_int_equal(info.ram[0].base, 0x80000000);
	assert_int_equal(info.ram[0].size, mem);
	assert_int_equal(info.nr_harts, harts);
	assert_int_equal(info.timebase_hz, 10000000);
}

static void test_virt_128m_1(void **state)
{
	(void)state;
	check_virt("virt-128M-1.dtb", 128UL << 20, 1);
}

static void test_virt_4g_4(void **state)
{
	(void)state;
	check_virt("virt-4G-4.dtb", 4UL << 30, 4);
}

static void test_corrupt(void **state)
{
	static unsigned char buf[MAX_DTB];
	struct fdt_info info;
	(void)state;
	load("virt-128M-1.dtb", buf);

	buf[0] ^= 0xff; /* magic */
	assert_int_equal(fdt_parse(buf, &info), -EINVAL);
	buf[0] ^= 0xff;
	buf[8] = 0x7f; /* off_dt_struct far past the end */
	assert_int_equal(fdt_parse(buf, &info), -EINVAL);
	load("virt-128M-1.dtb", buf);
	/* structure block cut short: END token never reached */
	unsigned char *size_struct = buf + 36;
	size_struct[0] = size_struct[1] = 0;
	size_struct[2] = 0;
	size_struct[3] = 0x40;
	assert_int_equal(fdt_parse(buf, &info), -EINVAL);
}

/*
 * A synthetic blob: the memory-reservation block, the structure block and the
 * strings block, assembled behind a version-17 header by blob_finish().
 */
#define BLOB_MAX	8192
#define FDT_HEADER_SIZE 40

static struct {
	uint8_t rsv[BLOB_MAX], dt[BLOB_MAX], strings[BLOB_MAX], out[3 * BLOB_MAX];
	size_t rsv_len, dt_len, strings_len;
} blob;

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, (uint32_t)v);
}

static void dt_u32(uint32_t v)
{
	assert_true(blob.dt_len + 4 <= BLOB_MAX);
	put_be32(blob.dt + blob.dt_len, v);
	blob.dt_len += 4;
}

/* Appends len bytes and the zero padding to the next 4-byte boundary. */
static void dt_bytes(const void *data, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;
	assert_true(blob.dt_len + padded <= BLOB_MAX);
	memset(blob.dt + blob.dt_len, 0, padded);
	memcpy(blob.dt + blob.dt_len, data, len);
	blob.dt_len += padded;
}

static void blob_begin(void)
{
	memset(&blob, 0, sizeof(blob));
}

static void blob_memreserve(uint64_t base, uint64_t size)
{
	assert_true(blob.rsv_len + 16 <= BLOB_MAX);
	put_be64(blob.rsv + blob.rsv_len, base);
	put_be64(blob.rsv + blob.rsv_len + 8, size);
	blob.rsv_len += 16;
}

static void node_begin(const char *name)
{
	dt_u32(1); /* FDT_BEGIN_NODE */
	dt_bytes(name, strlen(name) + 1);
}

static void node_end(void)
{
	dt_u32(2); /* FDT_END_NODE */
}

static void prop(const char *name, const void *val, size_t len)
{
	size_t name_len = strlen(name) + 1;
	assert_true(blob.strings_len + name_len <= BLOB_MAX);
	dt_u32(3); /* FDT_PROP */
	dt_u32((uint32_t)len);
	dt_u32((uint32_t)blob.strings_len);
	memcpy(blob.strings + blob.strings_len, name, name_len);
	blob.strings_len += name_len;
	dt_bytes(val, len);
}

static void prop_u32(const char *name, uint32_t v)
{
	uint8_t be[4];
	put_be32(be, v);
	prop(name, be, sizeof(be));
}

/* A reg property of n (base + i * stride, size) pairs, two cells each. */
static void prop_reg(uint64_t base, uint64_t stride, uint64_t size, int n)
{
	uint8_t val[64 * 16];
	assert_true(n >= 0 && n <= 64);
	for (int i = 0; i < n; i++) {
		put_be64(val + i * 16, base + (uint64_t)i * stride);
		put_be64(val + i * 16 + 8, size);
	}
	prop("reg", val, (size_t)n * 16);
}

/* The root node's opening: two-cell addresses and sizes, 128M of RAM, one hart. */
static void blob_root_begin(void)
{
	node_begin("");
	prop_u32("#address-cells", 2);
	prop_u32("#size-cells", 2);
	node_begin("memory@80000000");
	prop_reg(0x80000000, 0, 128UL << 20, 1);
	node_end();
	node_begin("cpus");
	prop_u32("#address-cells", 1);
	prop_u32("#size-cells", 0);
	prop_u32("timebase-frequency", 10000000);
	node_begin("cpu@0");
	node_end();
	node_end();
}

/* Closes the root and assembles the blob; returns it. */
static const void *blob_finish(void)
{
	uint8_t *h = blob.out;
	size_t off_rsv = FDT_HEADER_SIZE, off_dt = off_rsv + blob.rsv_len + 16;
	size_t off_strings;

	node_end();
	dt_u32(9); /* FDT_END */
	off_strings = off_dt + blob.dt_len;
	memcpy(blob.out + off_rsv, blob.rsv, blob.rsv_len); /* then the zero terminator */
	memcpy(blob.out + off_dt, blob.dt, blob.dt_len);
	memcpy(blob.out + off_strings, blob.strings, blob.strings_len);
	put_be32(h, 0xd00dfeed);
	put_be32(h + 4, (uint32_t)(off_strings + blob.strings_len));
	put_be32(h + 8, (uint32_t)off_dt);
	put_be32(h + 12, (uint32_t)off_strings);
	put_be32(h + 16, (uint32_t)off_rsv);
	put_be32(h + 20, 17);
	put_be32(h + 24, 16);
	put_be32(h + 32, (uint32_t)blob.strings_len);
	put_be32(h + 36, (uint32_t)blob.dt_len);
	return blob.out;
}

/*
 * A blob with `in_block` memory-reservation entries and `in_nodes`
 * /reserved-memory children of one range each; in_block ranges at 0x90000000
 * and in_nodes ranges at 0xa0000000, each 64K, one per megabyte.
 */
static const void *reserved_blob(int in_block, int in_nodes)
{
	blob_begin();
	for (int i = 0; i < in_block; i++)
		blob_memreserve(0x90000000 + ((uint64_t)i << 20), 0x10000);
	blob_root_begin();
	node_begin("reserved-memory");
	prop_u32("#address-cells", 2);
	prop_u32("#size-cells", 2);
	prop("ranges", "", 0);
	for (int i = 0; i < in_nodes; i++) {
		char name[32];
		snprintf(name, sizeof(name), "fw@%x", 0xa0000000 + (i << 20));
		node_begin(name);
		prop_reg(0xa0000000 + ((uint64_t)i << 20), 0, 0x10000, 1);
		node_end();
	}
	node_end();
	return blob_finish();
}

static void test_synthetic_blob(void **state)
{
	struct fdt_info info;
	(void)state;

	assert_int_equal(fdt_parse(reserved_blob(1, 1), &info), 0);
	assert_int_equal(info.size, FDT_HEADER_SIZE + 2 * 16 + blob.dt_len + blob.strings_len);
	assert_int_equal(info.nr_ram, 1);
	assert_int_equal(info.ram[0].base, 0x80000000);
	assert_int_equal(info.ram[0].size, 128UL << 20);
	assert_int_equal(info.nr_harts, 1);
	assert_int_equal(info.timebase_hz, 10000000);
	assert_int_equal(info.nr_reserved, 2);
}

/* Exactly FDT_MAX_RANGES reserved ranges, from the block and the nodes: all kept. */
static void test_reserved_full(void **state)
{
	struct fdt_info info;
	(void)state;

	for (int in_block = 0; in_block <= FDT_MAX_RANGES; in_block += FDT_MAX_RANGES / 2) {
		int in_nodes = FDT_MAX_RANGES - in_block;
		assert_int_equal(fdt_parse(reserved_blob(in_block, in_nodes), &info), 0);
		assert_int_equal(info.nr_reserved, FDT_MAX_RANGES);
		for (int i = 0; i < FDT_MAX_RANGES; i++) {
			uint64_t base = i < in_block
					    ? 0x90000000 + ((uint64_t)i << 20)
					    : 0xa0000000 + ((uint64_t)(i - in_block) << 20);
			assert_int_equal(info.reserved[i].base, base);
			assert_int_equal(info.reserved[i].size, 0x10000);
		}
	}
}

/* Starts a blob whose /reserved-memory has one node, fw@a0000000, for its reg. */
static void reserved_node_begin(uint32_t address_cells)
{
	blob_begin();
	blob_root_begin();
	node_begin("reserved-memory");
	prop_u32("#address-cells", address_cells);
	prop_u32("#size-cells", 2);
	node_begin("fw@a0000000");
}

/* Closes the node and /reserved-memory of reserved_node_begin; the blob. */
static const void *reserved_node_finish(void)
{
	node_end();
	node_end();
	return blob_finish();
}

/* One reserved range more than fdt_info holds is refused, wherever it is listed. */
static void test_reserved_overflow(void **state)
{
	struct fdt_info info;
	(void)state;

	for (int in_block = 0; in_block <= FDT_MAX_RANGES + 1; in_block++)
		assert_int_equal(
		    fdt_parse(reserved_blob(in_block, FDT_MAX_RANGES + 1 - in_block), &info),
		    -ENOSPC);

	/* many ranges in one node's reg */
	reserved_node_begin(2);
	prop_reg(0xa0000000, 1 << 20, 0x10000, FDT_MAX_RANGES + 1);
	assert_int_equal(fdt_parse(reserved_node_finish(), &info), -ENOSPC);
}

/* More RAM ranges than fdt_info holds are refused too, not cut short. */
static void test_ram_overflow(void **state)
{
	struct fdt_info info;
	(void)state;

	blob_begin();
	blob_root_begin();
	node_begin("memory@100000000");
	prop_reg(0x100000000, 1 << 30, 1 << 20, FDT_MAX_RANGES);
	node_end();
	assert_int_equal(fdt_parse(blob_finish(), &info), -ENOSPC);
}

/* A reserved range the reader cannot decode is an error, not a range skipped. */
static void test_reserved_unreadable(void **state)
{
	static const uint8_t ragged[20]; /* one two-cell pair and a stray cell */
	struct fdt_info info;
	(void)state;

	reserved_node_begin(3);
	prop_reg(0xa0000000, 0, 0x10000, 1);
	assert_int_equal(fdt_parse(reserved_node_finish(), &info), -EINVAL);

	reserved_node_begin(2);
	prop("reg", ragged, sizeof(ragged));
	assert_int_equal(fdt_parse(reserved_node_finish(), &info), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virt_128m_1),
		cmocka_unit_test(test_virt_4g_4),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_synthetic_blob),
		cmocka_unit_test(test_reserved_full),
		cmocka_unit_test(test_reserved_overflow),
		cmocka_unit_test(test_ram_overflow),
		cmocka_unit_test(test_reserved_unreadable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

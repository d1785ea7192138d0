/*
 * test_fdt.c - the device-tree reader against blobs QEMU itself produced
 * (make test-host dumps them: build/host/dtb/virt-<mem>-<harts>.dtb) and
 * against corrupted copies of them.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_virt_128m_1),
		cmocka_unit_test(test_virt_4g_4),
		cmocka_unit_test(test_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

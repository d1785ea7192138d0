/* test_log_off.c - with CONFIG_AXLOG_LEVEL=0 no message is printed or evaluated. */
#undef CONFIG_AXLOG_LEVEL
#define CONFIG_AXLOG_LEVEL 0

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <axlog/log.h>

#include "log_capture.h"
#include "log_levels.h"

static void test_all_off(void **state)
{
	(void)state;
	capture_start();
	log_every_level();
	assert_int_equal(evaluations, 0);
	assert_int_equal(captured_lines, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

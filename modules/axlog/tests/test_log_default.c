/* test_log_default.c - without CONFIG_AXLOG_LEVEL the level is info. */
#undef CONFIG_AXLOG_LEVEL

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <axlog/log.h>

#include "log_capture.h"
#include "log_levels.h"

_Static_assert(AXLOG_MAX_LEVEL == AXLOG_INFO, "the default level is info");

static void test_default_level(void **state)
{
	(void)state;
	capture_start();
	log_every_level();
	assert_int_equal(evaluations, 3);
	assert_string_equal(captured, "[ERROR] e 1\n[ WARN] w 2\n[ INFO] i 3\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

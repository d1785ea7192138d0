/* test_log_default.c - without CONFIG_AXLOG_LEVEL the level is info. */
#undef CONFIG_AXLOG_LEVEL

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <axlog/log.h>

#include "log_capture.h"

_Static_assert(AXLOG_MAX_LEVEL == AXLOG_INFO, "the default level is info");

static int evaluations;

static int count_evaluation(void)
{
	return ++evaluations;
}

static void test_default_level(void **state)
{
	(void)state;
	capture_start();
	log_error("e %d", count_evaluation());
	log_warn("w %d", count_evaluation());
	log_info("i %d", count_evaluation());
	log_debug("d %d", count_evaluation());
	log_trace("t %d", count_evaluation());
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

/*
 * test_kconfig.c - IS_ENABLED (klib/kconfig.h): 1 only for a symbol defined
 * to 1, a constant expression usable in #if and static assertions, and a
 * disabled branch that is compiled but dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <klib/kconfig.h>

#include "console_capture.h"

#define CONFIG_TEST_ON	 1
#define CONFIG_TEST_ZERO 0
#define CONFIG_TEST_TWO	 2
#define CONFIG_TEST_EMPTY
/* CONFIG_TEST_UNDEFINED is never defined. */

_Static_assert(IS_ENABLED(CONFIG_TEST_ON) == 1, "a symbol defined to 1 is enabled");
_Static_assert(IS_ENABLED(CONFIG_TEST_UNDEFINED) == 0, "an undefined symbol is disabled");
_Static_assert(IS_ENABLED(CONFIG_TEST_ZERO) == 0, "a symbol defined to 0 is disabled");
_Static_assert(IS_ENABLED(CONFIG_TEST_TWO) == 0, "only the value 1 enables");
_Static_assert(IS_ENABLED(CONFIG_TEST_EMPTY) == 0, "a symbol defined empty is disabled");

#if !IS_ENABLED(CONFIG_TEST_ON) || IS_ENABLED(CONFIG_TEST_UNDEFINED)
#error "IS_ENABLED gives the wrong value in #if"
#endif

/* Declared, never defined: the program links only if the call below is dropped. */
void never_defined(void);

static void test_values_at_run_time(void **state)
{
	(void)state;
	int on = IS_ENABLED(CONFIG_TEST_ON), off = IS_ENABLED(CONFIG_TEST_UNDEFINED);

	assert_int_equal(on, 1);
	assert_int_equal(off, 0);
}

static void test_disabled_branch_dropped(void **state)
{
	(void)state;
	int taken = 0;

	if (IS_ENABLED(CONFIG_TEST_UNDEFINED))
		never_defined();
	if (IS_ENABLED(CONFIG_TEST_ON))
		taken = 1;
	assert_int_equal(taken, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values_at_run_time),
	    cmocka_unit_test(test_disabled_branch_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

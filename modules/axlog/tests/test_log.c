/*
 * test_log.c - axlog's line format, timestamps, truncation, output hooks and
 * level filtering, built with CONFIG_AXLOG_LEVEL=4 (debug; see host.config).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <axlog/log.h>

#include "log_capture.h"
#include "log_levels.h"

_Static_assert(AXLOG_MAX_LEVEL == AXLOG_DEBUG, "host.config sets CONFIG_AXLOG_LEVEL=4");

static uint64_t fake_now_us;

static uint64_t fake_clock(void)
{
	return fake_now_us;
}

static void test_levels_and_prefix(void **state)
{
	(void)state;
	capture_start();
	log_error("e %d", 1);
	log_warn("w %s", "two");
	log_info("i %x", 0x3u);
	log_debug("d %c", '4');
	assert_string_equal(captured, "[ERROR] e 1\n[ WARN] w two\n[ INFO] i 3\n[DEBUG] d 4\n");
	assert_int_equal(captured_lines, 4);
}

static void test_filtered_level(void **state)
{
	(void)state;
	capture_start();
	evaluations = 0;
	log_trace("t %d", count_evaluation());
	assert_int_equal(captured_len, 0);
	assert_int_equal(evaluations, 0);

	log_debug("d %d", count_evaluation());
	assert_int_equal(evaluations, 1);
	assert_string_equal(captured, "[DEBUG] d 1\n");
}

static void test_newline(void **state)
{
	(void)state;
	capture_start();
	log_info("has newline\n");
	log_info("%s", "");
	log_info("two\nlines");
	assert_string_equal(captured, "[ INFO] has newline\n[ INFO] \n[ INFO] two\nlines\n");
	assert_int_equal(captured_lines, 3);
}

static void test_timestamp(void **state)
{
	(void)state;
	capture_start();
	axlog_set_clock(fake_clock);
	fake_now_us = 1000250;
	log_info("booted");
	fake_now_us = 0;
	log_warn("zero");
	fake_now_us = UINT64_MAX;
	log_error("late");
	axlog_set_clock(NULL);
	log_info("no clock");
	assert_string_equal(captured, "[    1.000250  INFO] booted\n"
				      "[    0.000000  WARN] zero\n"
				      "[18446744073709.551615 ERROR] late\n"
				      "[ INFO] no clock\n");
}

/* Lines longer than AXLOG_LINE_MAX - 1 chars are cut and keep their newline. */
static void test_truncation(void **state)
{
	(void)state;
	char msg[AXLOG_LINE_MAX * 2];
	const char prefix[] = "[ INFO] ";
	const size_t prefix_len = sizeof(prefix) - 1;
	const size_t room = AXLOG_LINE_MAX - 1 - prefix_len;	/* message chars that fit */

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (char)('a' + i % 26);

	/* Lengths around the limit: room - 1 and room fit with or without the newline. */
	for (size_t n = room - 2; n <= room + 2; n++) {
		size_t kept = n < room ? n : room - 1;

		capture_start();
		log_info("%.*s", (int)n, msg);
		assert_int_equal(captured_lines, 1);
		assert_int_equal(captured_len, prefix_len + kept + 1);
		assert_true(captured_len <= AXLOG_LINE_MAX - 1);
		assert_memory_equal(captured, prefix, prefix_len);
		assert_memory_equal(captured + prefix_len, msg, kept);
		assert_int_equal(captured[captured_len - 1], '\n');
	}

	/* A message that fits exactly with its own newline is kept whole. */
	msg[room - 1] = '\n';
	capture_start();
	log_info("%.*s", (int)room, msg);
	assert_int_equal(captured_len, AXLOG_LINE_MAX - 1);
	assert_memory_equal(captured + prefix_len, msg, room);
}

static void test_invalid_level(void **state)
{
	(void)state;
	capture_start();
	axlog_print(AXLOG_OFF, "off");
	axlog_print(AXLOG_TRACE + 1, "too verbose");
	axlog_print(-1, "negative");
	assert_int_equal(captured_lines, 0);
	axlog_print(AXLOG_TRACE, "trace %d", 5);	/* the function itself does not filter */
	assert_string_equal(captured, "[TRACE] trace 5\n");
}

/* With no output set (or NULL) lines go to printf: read them back from a pipe on stdout. */
static void test_default_output(void **state)
{
	(void)state;
	int fds[2];
	char buf[128];

	axlog_set_output(NULL);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(pipe(fds), 0);
	assert_true(dup2(fds[1], STDOUT_FILENO) >= 0);
	log_warn("to stdout %d", 7);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	close(fds[1]);
	ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	assert_int_equal(n, 20);
	buf[n] = '\0';
	assert_string_equal(buf, "[ WARN] to stdout 7\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_and_prefix),
		cmocka_unit_test(test_filtered_level),
		cmocka_unit_test(test_newline),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_invalid_level),
		cmocka_unit_test(test_default_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

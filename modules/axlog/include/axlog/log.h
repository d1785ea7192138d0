/*
 * axlog/log.h - leveled logging.
 *
 *   log_error(fmt, ...)  log_warn  log_info  log_debug  log_trace
 *
 * print one line each, prefixed with the level and, once a clock is set,
 * the time in seconds:
 *
 *   [ WARN] low memory: 12 pages left
 *   [    1.000250  INFO] booted
 *
 * The newline is added unless the message already ends with one. A line is
 * at most AXLOG_LINE_MAX - 1 chars; a longer one is cut (and still ends
 * with a newline). Each line goes out in one call of the output function.
 *
 * CONFIG_AXLOG_LEVEL (0 off, 1 error, 2 warn, 3 info, 4 debug, 5 trace;
 * 3 when undefined) is the most verbose level compiled in: the messages
 * above it compile to nothing and their arguments are not evaluated (but
 * still type-checked against the format).
 */
#ifndef AXLOG_LOG_H
#define AXLOG_LOG_H

#include <stddef.h>
#include <stdint.h>

#define AXLOG_OFF 0
#define AXLOG_ERROR 1
#define AXLOG_WARN 2
#define AXLOG_INFO 3
#define AXLOG_DEBUG 4
#define AXLOG_TRACE 5

#if defined(CONFIG_AXLOG_LEVEL)
#define AXLOG_MAX_LEVEL CONFIG_AXLOG_LEVEL
#elif defined(HOST_TEST)
#define AXLOG_MAX_LEVEL AXLOG_INFO
#else
#define AXLOG_MAX_LEVEL AXLOG_OFF /* axlog is not configured: every message compiles away */
#endif

/* Size of the buffer a line is formatted in, NUL included. */
#define AXLOG_LINE_MAX 256

/* Logs one message at level if level is compiled in (see above). */
#define axlog_log(level, ...)                                                   \
	do {                                                                    \
		if ((level) <= AXLOG_MAX_LEVEL)                                 \
			axlog_print((level), __VA_ARGS__);                      \
	} while (0)

#define log_error(...) axlog_log(AXLOG_ERROR, __VA_ARGS__)
#define log_warn(...) axlog_log(AXLOG_WARN, __VA_ARGS__)
#define log_info(...) axlog_log(AXLOG_INFO, __VA_ARGS__)
#define log_debug(...) axlog_log(AXLOG_DEBUG, __VA_ARGS__)
#define log_trace(...) axlog_log(AXLOG_TRACE, __VA_ARGS__)

/*
 * Formats one line at level (AXLOG_ERROR..AXLOG_TRACE; any other level
 * prints nothing) and hands it to the output function. Does not look at
 * AXLOG_MAX_LEVEL: the macros above filter.
 */
void axlog_print(int level, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));

/*
 * Sets the clock that timestamps lines: now_us returns microseconds since
 * boot. NULL (the initial state) prints no timestamp.
 */
void axlog_set_clock(uint64_t (*now_us)(void));

/*
 * Sets the function that receives each finished line (len chars, newline
 * included, NUL-terminated at line[len]). NULL (the initial state) selects
 * printf.
 */
void axlog_set_output(void (*write)(const char *line, size_t len));

#endif

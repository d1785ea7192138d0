/*
 * log.c - axlog: formats leveled log lines and hands them to an output
 * function (printf unless set otherwise). See <axlog/log.h>.
 *
 * The clock and the output are plain pointers meant to be set once during
 * initialisation, before other harts log.
 */
#include <stdarg.h>
#include <stdio.h>
#include <axlog/log.h>

#define US_PER_SEC 1000000

/* Level names, padded to the same width so that messages line up. */
static const char *const level_names[] = {
	[AXLOG_ERROR] = "ERROR",
	[AXLOG_WARN] = " WARN",
	[AXLOG_INFO] = " INFO",
	[AXLOG_DEBUG] = "DEBUG",
	[AXLOG_TRACE] = "TRACE",
};

/* The default output: the line through printf. */
static void write_printf(const char *line, size_t len)
{
	printf("%.*s", (int)len, line);
}

static uint64_t (*clock_us)(void);
static void (*output)(const char *line, size_t len) = write_printf;

/* Sets (or with NULL removes) the timestamp clock; see log.h. */
void axlog_set_clock(uint64_t (*now_us)(void))
{
	clock_us = now_us;
}

/* Sets (or with NULL resets to printf) the line output; see log.h. */
void axlog_set_output(void (*write)(const char *line, size_t len))
{
	output = write != NULL ? write : write_printf;
}

/* Formats "[LEVEL] message\n" into a stack buffer and outputs it; see log.h. */
void axlog_print(int level, const char *fmt, ...)
{
	char line[AXLOG_LINE_MAX];
	const size_t max_len = sizeof(line) - 1;	/* chars that fit before the NUL */
	va_list ap;
	int prefix;

	if (level < AXLOG_ERROR || level > AXLOG_TRACE)
		return;

	if (clock_us != NULL) {
		uint64_t now = clock_us();

		prefix = snprintf(line, sizeof(line), "[%5llu.%06llu %s] ",
				  (unsigned long long)(now / US_PER_SEC),
				  (unsigned long long)(now % US_PER_SEC), level_names[level]);
	} else {
		prefix = snprintf(line, sizeof(line), "[%s] ", level_names[level]);
	}

	va_start(ap, fmt);
	int msg = vsnprintf(line + prefix, sizeof(line) - (size_t)prefix, fmt, ap);
	va_end(ap);

	size_t len = max_len;
	if (msg >= 0 && (size_t)prefix + (size_t)msg < max_len)
		len = (size_t)prefix + (size_t)msg;

	if (line[len - 1] != '\n') {
		if (len == max_len)
			len--;		/* cut: the newline replaces the last char */
		line[len++] = '\n';
		line[len] = '\0';
	}
	output(line, len);
}

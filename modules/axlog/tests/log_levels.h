/*
 * log_levels.h - one message at every level, each with an argument that
 * counts its evaluation, for axlog's level-filtering tests. Include it
 * after <axlog/log.h>: log_every_level() is inline because the log macros
 * take the including file's CONFIG_AXLOG_LEVEL.
 */
#ifndef AXLOG_TEST_LOG_LEVELS_H
#define AXLOG_TEST_LOG_LEVELS_H

extern int evaluations; /* count_evaluation() calls so far */

/* An argument with a side effect, to see whether a message was evaluated. */
int count_evaluation(void);

/*
 * Logs "e N", "w N", "i N", "d N" and "t N" at error, warn, info, debug
 * and trace, N being count_evaluation() of the messages that get printed.
 */
static inline void log_every_level(void)
{
	log_error("e %d", count_evaluation());
	log_warn("w %d", count_evaluation());
	log_info("i %d", count_evaluation());
	log_debug("d %d", count_evaluation());
	log_trace("t %d", count_evaluation());
}

#endif

/*
 * memtest.h - what memtest's files share: the failed-check counter and the
 * compaction demo.
 */
#ifndef APPS_MEMTEST_MEMTEST_H
#define APPS_MEMTEST_MEMTEST_H

/* Counts one failed check and prints "memtest: FAILED: " and the message. */
void memtest_fail(const char *fmt, ...);

/* Counts a failed check unless cond holds. */
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			memtest_fail(__VA_ARGS__);                                                 \
	} while (0)

/*
 * Fragments physical memory with an address space's 4K pages and a few
 * unmovable pages, prints the block map, compacts 2M blocks until
 * compaction fails, prints the map again and checks the result
 * (compaction.c).
 */
void memtest_compaction(void);

#endif

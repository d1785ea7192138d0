/*
 * heaptest.h - what the parts of the heaptest app share: the kernel heap as
 * the workloads' allocator, the heap's page bound, the failed-check counter
 * and the report.
 */
#ifndef APPS_HEAPTEST_HEAPTEST_H
#define APPS_HEAPTEST_HEAPTEST_H

#include <stdint.h>

#include "workloads/workloads.h"

/* The pages the configured kernel heap may keep once every block is freed (its header says). */
uint64_t heaptest_kept_pages(void);

/* Counts a failed check and prints "heaptest: FAILED: <message>". */
void ht_fail(const char *fmt, ...) __attribute__((format(__printf__, 1, 2)));

/* One workload as run: its name, count, time and result. */
struct ht_row {
	const char *name;
	uint64_t n;
	uint64_t ns;
	struct wl_result r;
};

/* Prints the heading of the workload table. */
void ht_print_header(void);

/* Prints one row of the workload table. */
void ht_print_row(const struct ht_row *row);

/* Prints the rows as markdown between BENCH-BEGIN and BENCH-END (for make bench). */
void ht_print_markdown(const struct ht_row *rows, int n, const uint64_t *pair_ns, int nr_pairs,
		       const struct ht_row *frag);

#endif

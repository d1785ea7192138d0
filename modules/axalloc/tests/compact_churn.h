/*
 * compact_churn.h - the churn benchmark of compaction (compact_churn.c),
 * shared by bench_compact.c here (buddy) and in tests/axalloc-bitmap-facade
 * (bitmap) through HOST_SHARED.
 */
#ifndef COMPACT_CHURN_H
#define COMPACT_CHURN_H

/*
 * Runs the benchmark over the page allocator the program is built with and
 * prints its markdown section to stdout. `--quick` (argv[1]) runs a small
 * pool for a few operations. Returns the exit status: 0, or 1 when the
 * set-up failed or an allocation's contents did not survive compaction.
 */
int compact_churn_main(int argc, char **argv);

#endif

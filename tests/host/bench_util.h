/*
 * bench_util.h - what the host benchmarks share: a monotonic clock, the
 * median of repeated runs and the `--quick` and `--seed=N` switches.
 */
#ifndef HOST_BENCH_UTIL_H
#define HOST_BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>

/* The monotonic clock, in nanoseconds. */
double bench_now_ns(void);

/* The monotonic clock, in seconds. */
double bench_now_s(void);

/*
 * The median of the n > 0 samples in v (the mean of the middle two when n
 * is even). Sorts v.
 */
double bench_median(double *v, int n);

/* True if the program's first argument is `--quick` (a short smoke run). */
bool bench_quick(int argc, char **argv);

/*
 * Reads `--quick` (sets *quick) and `--seed=N` (sets *seed) in any order.
 * Returns false, after printing the usage, for any other argument.
 */
bool bench_args(int argc, char **argv, bool *quick, uint64_t *seed);

#endif

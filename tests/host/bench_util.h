/*
 * bench_util.h - what the host benchmarks share: a monotonic clock, the
 * median of repeated runs and the `--quick` switch. Header-only.
 */
#ifndef HOST_BENCH_UTIL_H
#define HOST_BENCH_UTIL_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_NSEC_PER_SEC 1e9

/* The monotonic clock, in nanoseconds. */
static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * BENCH_NSEC_PER_SEC + (double)ts.tv_nsec;
}

/* The monotonic clock, in seconds. */
static inline double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / BENCH_NSEC_PER_SEC;
}

/* qsort order of doubles. */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The median of the n > 0 samples in v (the mean of the middle two when n
 * is even). Sorts v.
 */
static inline double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* True if the program's first argument is `--quick` (a short smoke run). */
static inline bool bench_quick(int argc, char **argv)
{
	return argc > 1 && strcmp(argv[1], "--quick") == 0;
}

#endif

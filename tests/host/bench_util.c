/* bench_util.c - clock, median and the switches of the host benchmarks (see bench_util.h). */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_NSEC_PER_SEC 1e9

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * BENCH_NSEC_PER_SEC + (double)ts.tv_nsec;
}

double bench_now_s(void)
{
	return bench_now_ns() / BENCH_NSEC_PER_SEC;
}

/* qsort order of doubles. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool bench_quick(int argc, char **argv)
{
	return argc > 1 && strcmp(argv[1], "--quick") == 0;
}

bool bench_args(int argc, char **argv, bool *quick, uint64_t *seed)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			*quick = true;
		} else if (strncmp(argv[i], "--seed=", 7) == 0) {
			*seed = strtoull(argv[i] + 7, NULL, 0);
		} else {
			fprintf(stderr, "usage: %s [--quick] [--seed=N]\n", argv[0]);
			return false;
		}
	}
	return true;
}

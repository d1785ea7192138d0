/*
 * klib/spread.h - the spread of repeated measurements (minimum, median,
 * maximum) and fixed-point formatting of such figures, for apps that report
 * timings without floating point.
 */
#ifndef KLIB_SPREAD_H
#define KLIB_SPREAD_H

#include <stddef.h>
#include <stdint.h>

struct spread {
	uint64_t min;
	uint64_t median; /* the upper middle sample for an even count */
	uint64_t max;
};

/*
 * Sorts the n (>= 1) samples v[] in place and returns their minimum,
 * median and maximum, each scaled by mul / div (div >= 1; for instance
 * picoseconds per read from nanoseconds per pass of `reads` reads:
 * mul 1000, div reads). The products must not overflow 64 bits.
 */
struct spread spread_of(uint64_t *v, unsigned n, uint64_t mul, uint64_t div);

/*
 * Writes v / unit (unit a power of ten, 10^decimals <= unit) rounded to
 * `decimals` decimals into buf (len bytes, truncated like snprintf) and
 * returns buf: fixed_fmt(buf, len, 12345, 1000, 2) gives "12.35".
 */
const char *fixed_fmt(char *buf, size_t len, uint64_t v, uint64_t unit, unsigned decimals);

#endif

/* spread.c - minimum, median and maximum of samples, and fixed-point text (klib/spread.h). */
#include <klib/spread.h>
#include <stdio.h>

#define DECIMAL_BASE 10

struct spread spread_of(uint64_t *v, unsigned n, uint64_t mul, uint64_t div)
{
	/* Insertion sort: a handful of repetitions. */
	for (unsigned i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return (struct spread){
	    .min = v[0] * mul / div,
	    .median = v[n / 2] * mul / div,
	    .max = v[n - 1] * mul / div,
	};
}

const char *fixed_fmt(char *buf, size_t len, uint64_t v, uint64_t unit, unsigned decimals)
{
	uint64_t scale = 1;

	for (unsigned i = 0; i < decimals; i++)
		scale *= DECIMAL_BASE;
	uint64_t step = unit / scale, q = (v + step / 2) / step;

	if (decimals == 0)
		snprintf(buf, len, "%lu", (unsigned long)q);
	else
		snprintf(buf, len, "%lu.%0*lu", (unsigned long)(q / scale), (int)decimals,
			 (unsigned long)(q % scale));
	return buf;
}

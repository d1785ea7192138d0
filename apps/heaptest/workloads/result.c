/*
 * result.c - what every workload records in its struct wl_result: its first
 * error and its usage samples (see workloads.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "workloads.h"

void wl_error(struct wl_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->errors++ != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

void wl_sample(const struct wl_allocator *a, uint64_t requested, uint64_t blocks,
	       struct wl_sample *s)
{
	*s = (struct wl_sample){.requested = requested, .blocks = blocks};
	if (a->usage != NULL)
		a->usage(a->ctx, &s->u);
}

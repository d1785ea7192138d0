/*
 * format.h - klib's private printf engine, shared by printf.c (vsnprintf)
 * and stdio.c (printf). Not part of klib's interface.
 */
#ifndef KLIB_SRC_FORMAT_H
#define KLIB_SRC_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Where formatted chars go: into buf[0..cap). When buf is full, flush (if
 * not NULL) is handed the cap buffered chars and buf is reused; without
 * flush the chars that do not fit are dropped but still counted.
 */
struct klib_out {
	char *buf;
	size_t cap;
	size_t used;	/* chars now in buf */
	size_t total;	/* chars produced since the start */
	void (*flush)(const char *buf, size_t len);
};

/*
 * Formats fmt with the arguments ap into out (see printf.c for the
 * conversions). The last chars stay in out->buf (out->used of them) for the
 * caller to flush; nothing is NUL-terminated. Returns the number of chars
 * produced, or -1 if it exceeds INT_MAX.
 */
int klib_vformat(struct klib_out *out, const char *fmt, va_list ap);

#endif

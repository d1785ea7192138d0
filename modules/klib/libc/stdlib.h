/*
 * stdlib.h - the kernel's heap interface. The functions are implemented by
 * the axalloc module (its byte heap); klib only declares them.
 */
#ifndef KLIB_LIBC_STDLIB_H
#define KLIB_LIBC_STDLIB_H

#include <stddef.h>

void *malloc(size_t size);
void free(void *ptr);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *ptr, size_t size);
void *aligned_alloc(size_t alignment, size_t size);

#endif

/*
 * malloc.c - the freestanding C library's allocation functions, on top of
 * the kernel heap (declared by klib's freestanding <stdlib.h>). Kernel
 * only: host programs keep their libc's malloc.
 */
#ifndef HOST_TEST

#include <stddef.h>
#include <stdlib.h>

#include <axalloc/axalloc.h>

/* Same as kmalloc: 16-byte aligned, NULL when out of memory. */
void *malloc(size_t size)
{
	return kmalloc(size);
}

/* Same as kfree. */
void free(void *p)
{
	kfree(p);
}

/* Same as kcalloc: zeroed, NULL on overflow of n * size or out of memory. */
void *calloc(size_t n, size_t size)
{
	return kcalloc(n, size);
}

/* Same as krealloc. */
void *realloc(void *p, size_t size)
{
	return krealloc(p, size);
}

/* Same as kmemalign: align a power of two up to PAGE_SIZE, else NULL. */
void *aligned_alloc(size_t align, size_t size)
{
	return kmemalign(align, size);
}

#endif /* !HOST_TEST */

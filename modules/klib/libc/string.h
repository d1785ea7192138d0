/*
 * string.h - memory and string functions of the kernel's freestanding C
 * library (implemented in modules/klib/src/string.c).
 *
 * Only the kernel build puts this directory on the include path; host
 * programs use the host's libc. Portable modules must keep to functions the
 * host has too: strlcpy is missing from glibc before 2.38 (Debian 12 has 2.36).
 */
#ifndef KLIB_LIBC_STRING_H
#define KLIB_LIBC_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t maxlen);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strcpy(char *restrict dst, const char *restrict src);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);

#endif

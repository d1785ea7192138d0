/*
 * string.c - memory and string functions of the kernel's C library.
 *
 * The kernel is compiled with -ffreestanding -fno-builtin, so the compiler
 * neither turns the loops below into calls to memcpy/memset (which would
 * recurse) nor replaces calls to these functions with its own code.
 * memcpy, memmove and memset move a word at a time when the pointers allow
 * aligned word accesses (RISC-V may trap on misaligned ones) and a byte at a
 * time otherwise.
 */
#include <stdint.h>
#include <string.h>

/* A machine word that may alias any object (memcpy copies objects of any type). */
typedef uintptr_t __attribute__((__may_alias__)) word_t;

#define WORD_SIZE sizeof(word_t)
#define WORD_MASK (WORD_SIZE - 1)

/* Every byte of the word equal to 0x01 (multiplied by a byte: every byte equal to it). */
#define WORD_ONES (~(word_t)0 / 0xff)

/* True when a and b are at the same offset within a word, so both can be word-aligned at once. */
static int same_word_offset(const void *a, const void *b)
{
	return (((uintptr_t)a ^ (uintptr_t)b) & WORD_MASK) == 0;
}

/* Copies n bytes from src to dst, lowest address first (safe for dst < src overlap). */
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
	if (same_word_offset(d, s)) {
		for (; n > 0 && ((uintptr_t)d & WORD_MASK) != 0; n--)
			*d++ = *s++;
		for (; n >= WORD_SIZE; n -= WORD_SIZE) {
			*(word_t *)d = *(const word_t *)s;
			d += WORD_SIZE;
			s += WORD_SIZE;
		}
	}
	for (; n > 0; n--)
		*d++ = *s++;
}

/* Copies n bytes from src to dst, highest address first (safe for dst > src overlap). */
static void copy_backward(unsigned char *d, const unsigned char *s, size_t n)
{
	d += n;
	s += n;
	if (same_word_offset(d, s)) {
		for (; n > 0 && ((uintptr_t)d & WORD_MASK) != 0; n--)
			*--d = *--s;
		for (; n >= WORD_SIZE; n -= WORD_SIZE) {
			d -= WORD_SIZE;
			s -= WORD_SIZE;
			*(word_t *)d = *(const word_t *)s;
		}
	}
	for (; n > 0; n--)
		*--d = *--s;
}

/* Copies n bytes from src to dst; the ranges must not overlap. Returns dst. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	copy_forward(dst, src, n);
	return dst;
}

/* Copies n bytes from src to dst; the ranges may overlap. Returns dst. */
void *memmove(void *dst, const void *src, size_t n)
{
	if ((uintptr_t)dst - (uintptr_t)src >= n)
		copy_forward(dst, src, n);	/* dst below src, or no overlap */
	else
		copy_backward(dst, src, n);	/* dst inside (src, src + n) */
	return dst;
}

/* Sets the n bytes at dst to (unsigned char)c. Returns dst. */
void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	unsigned char byte = (unsigned char)c;
	word_t pattern = WORD_ONES * byte;

	for (; n > 0 && ((uintptr_t)d & WORD_MASK) != 0; n--)
		*d++ = byte;
	for (; n >= WORD_SIZE; n -= WORD_SIZE) {
		*(word_t *)d = pattern;
		d += WORD_SIZE;
	}
	for (; n > 0; n--)
		*d++ = byte;
	return dst;
}

/*
 * Compares the first n bytes of a and b as unsigned chars. Returns 0 if they
 * are equal, else the difference of the first pair that differs (a - b).
 */
int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n > 0; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

/* Returns a pointer to the first byte equal to (unsigned char)c in s[0..n), or NULL. */
void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n > 0; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}

/* Returns the number of chars before the terminating NUL of s. */
size_t strlen(const char *s)
{
	const char *p = s;

	while (*p != '\0')
		p++;
	return (size_t)(p - s);
}

/* Returns strlen(s) if it is below maxlen, else maxlen; reads at most maxlen chars. */
size_t strnlen(const char *s, size_t maxlen)
{
	size_t n = 0;

	while (n < maxlen && s[n] != '\0')
		n++;
	return n;
}

/*
 * Compares the strings a and b as unsigned chars. Returns 0 if equal, else
 * the difference of the first pair that differs (a - b).
 */
int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, SIZE_MAX);
}

/* Like strcmp, but compares at most the first n chars. */
int strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;

		if (x != y)
			return x - y;
		if (x == '\0')
			break;
	}
	return 0;
}

/*
 * Returns a pointer to the first char equal to (char)c in s, or NULL. The
 * terminating NUL is part of s: strchr(s, '\0') points to it.
 */
char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == '\0')
			return NULL;
	}
}

/* Like strchr, but returns the last occurrence. */
char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (*s == '\0')
			return (char *)last;
	}
}

/* Copies the string src, NUL included, to dst. Returns dst. */
char *strcpy(char *restrict dst, const char *restrict src)
{
	char *d = dst;

	while ((*d++ = *src++) != '\0')
		;
	return dst;
}

/*
 * Copies at most n chars of src to dst and fills the rest of dst[0..n) with
 * NULs. dst is not NUL-terminated when strlen(src) >= n. Returns dst.
 */
char *strncpy(char *restrict dst, const char *restrict src, size_t n)
{
	size_t i = 0;

	for (; i < n && src[i] != '\0'; i++)
		dst[i] = src[i];
	for (; i < n; i++)
		dst[i] = '\0';
	return dst;
}

/*
 * Copies as much of the string src as fits into dst[0..size) and
 * NUL-terminates it when size > 0 (dst is untouched when size == 0).
 * Returns strlen(src): the result was truncated iff that is >= size.
 */
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

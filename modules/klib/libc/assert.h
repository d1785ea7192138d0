/*
 * assert.h - assert() for the kernel. A failed assertion calls
 * __assert_fail(), which axhal implements as a panic. With NDEBUG defined
 * assert(e) expands to nothing and does not evaluate e.
 *
 * Like the standard header this one has no include guard for assert(): each
 * inclusion redefines it according to the current NDEBUG.
 */
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : __assert_fail(#e, __FILE__, __LINE__, __func__))
#endif

#ifndef KLIB_LIBC_ASSERT_H
#define KLIB_LIBC_ASSERT_H

#define static_assert _Static_assert

/* Reports the failed assertion expr at file:line in func and stops the kernel. */
__attribute__((noreturn)) void __assert_fail(const char *expr, const char *file, int line,
					     const char *func);

#endif

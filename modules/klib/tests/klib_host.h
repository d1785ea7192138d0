/*
 * klib_host.h - lets klib's C library run on the host next to the real one.
 *
 * Every source of this directory's programs is compiled with `-include` of
 * this file (HOST_CFLAGS in host.config). It includes the host's headers
 * first, then renames klib's functions to klib_* and includes klib's own
 * libc headers, which declare the klib_* names. klib's sources and the tests
 * then see klib_memcpy, klib_printf, ... while the host's libc, cmocka and
 * the sanitizers keep the real ones (including the host's inline versions
 * of some of them). HOST_CFLAGS also passes -fno-builtin, as the kernel
 * build does, so that the compiler neither turns klib's loops into calls to
 * the host's memcpy/memset nor replaces the tests' calls with its own code.
 * Including klib's errno.h after the host's also checks that its values are
 * Linux's: a different value would be a macro redefinition, an error here.
 */
#ifndef KLIB_HOST_H
#define KLIB_HOST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define memcpy klib_memcpy
#define memmove klib_memmove
#define memset klib_memset
#define memcmp klib_memcmp
#define memchr klib_memchr
#define strlen klib_strlen
#define strnlen klib_strnlen
#define strcmp klib_strcmp
#define strncmp klib_strncmp
#define strchr klib_strchr
#define strrchr klib_strrchr
#define strcpy klib_strcpy
#define strncpy klib_strncpy
#define strlcpy klib_strlcpy
#define printf klib_printf
#define vprintf klib_vprintf
#define snprintf klib_snprintf
#define vsnprintf klib_vsnprintf
#define putchar klib_putchar
#define puts klib_puts

#include "../libc/errno.h"
#include "../libc/stdio.h"
#include "../libc/string.h"

#endif

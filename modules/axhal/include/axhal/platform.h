/*
 * axhal/platform.h - what each platform (platforms/<plat>/) provides to axhal.
 */
#ifndef AXHAL_PLATFORM_H
#define AXHAL_PLATFORM_H

#include <axhal/mem.h>

/* The platform's name, as in its directory. */
const char *platform_name(void);

/* MMIO ranges the kernel maps as device memory; *n gets their number. */
const struct mem_range *platform_mmio_ranges(int *n);

/*
 * Powers the machine off with an exit status the host sees: 0 = success,
 * otherwise code & 0xff (and 1 if that is 0).
 */
__attribute__((noreturn)) void platform_exit(int code);

#endif

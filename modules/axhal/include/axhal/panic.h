/*
 * axhal/panic.h - fatal errors: a report, then a non-zero exit status.
 */
#ifndef AXHAL_PANIC_H
#define AXHAL_PANIC_H

/* Exit statuses the host sees for kernel failures (apps use 1..127). */
#define AXHAL_EXIT_PANIC 250
#define AXHAL_EXIT_TRAP 251

/*
 * Prints "panic at file:line: message", a backtrace from its caller and
 * "kernel panic (exit status 250)", then exits with AXHAL_EXIT_PANIC.
 */
__attribute__((noreturn, format(printf, 3, 4))) void axhal_panic(const char *file, int line,
								 const char *fmt, ...);
#define panic(...) axhal_panic(__FILE__, __LINE__, __VA_ARGS__)

/* Leaves QEMU with `code` as the host exit status (0 = success). */
__attribute__((noreturn)) void axhal_exit(int code);

#endif

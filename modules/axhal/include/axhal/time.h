/*
 * axhal/time.h - the riscv time counter (rdtime) and its conversion.
 */
#ifndef AXHAL_TIME_H
#define AXHAL_TIME_H

#include <stdint.h>

/* Sets the counter frequency (from the device tree's timebase-frequency). */
void axhal_time_init(uint64_t timebase_hz);

/* Counter frequency in Hz. */
uint64_t axhal_timebase_hz(void);

/* Raw counter value (ticks since the machine started). */
uint64_t axhal_ticks(void);

/* Converts ticks to nanoseconds (no overflow for ticks < 2^64 / 10^9 * hz). */
uint64_t axhal_ticks_to_ns(uint64_t ticks);

/* Nanoseconds since the machine started. */
uint64_t axhal_time_ns(void);

#endif

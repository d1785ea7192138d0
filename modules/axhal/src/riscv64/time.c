/*
 * time.c - the time counter (rdtime) and tick/nanosecond conversion.
 */
#include <axhal/time.h>

#define NS_PER_SEC 1000000000ULL
#define DEFAULT_TIMEBASE_HZ 10000000ULL /* QEMU virt */

static uint64_t timebase_hz = DEFAULT_TIMEBASE_HZ;

void axhal_time_init(uint64_t hz)
{
	if (hz)
		timebase_hz = hz;
}

uint64_t axhal_timebase_hz(void)
{
	return timebase_hz;
}

uint64_t axhal_ticks(void)
{
	uint64_t t;
	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

uint64_t axhal_ticks_to_ns(uint64_t ticks)
{
	return ticks / timebase_hz * NS_PER_SEC + ticks % timebase_hz * NS_PER_SEC / timebase_hz;
}

uint64_t axhal_time_ns(void)
{
	return axhal_ticks_to_ns(axhal_ticks());
}

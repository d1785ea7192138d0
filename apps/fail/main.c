/*
 * fail - proves that failures reach the host: a non-zero return, a bad
 * memory access, a failed assert and a hang (chosen in menuconfig).
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>

#include <klib/kconfig.h>

/* An address in the low half that nothing maps. */
#define UNMAPPED_ADDRESS 0x12345000UL

/* The status main returns with APP_FAIL_RETURN (the option exists only then). */
#ifdef CONFIG_APP_FAIL_CODE
#define FAIL_CODE CONFIG_APP_FAIL_CODE
#else
#define FAIL_CODE 0
#endif

int main(void)
{
	if (IS_ENABLED(CONFIG_APP_FAIL_RETURN)) {
		printf("fail: returning %d\n", FAIL_CODE);
		return FAIL_CODE;
	}
	if (IS_ENABLED(CONFIG_APP_FAIL_BAD_ACCESS)) {
		printf("fail: storing to %#lx\n", UNMAPPED_ADDRESS);
		*(volatile uint64_t *)UNMAPPED_ADDRESS = 1;
		printf("fail: the store did not fault\n");
		return 0;
	}
	if (IS_ENABLED(CONFIG_APP_FAIL_PANIC)) {
		int answer = 41;
		printf("fail: asserting answer == 42\n");
		assert(answer == 42);
		return 0;
	}
	printf("fail: hanging\n");
	for (;;)
		__asm__ volatile("wfi");
}

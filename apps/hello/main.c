/* hello - the smallest app: prints a greeting and succeeds. */
#include <stdio.h>

int main(void)
{
	printf("Hello, world!\n");
	return 0;
}

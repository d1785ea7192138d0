/* bench_compact.c - compaction after churn (modules/axalloc/tests/compact_churn.c), over bitmap. */
#include "compact_churn.h"

int main(int argc, char **argv)
{
	return compact_churn_main(argc, argv);
}

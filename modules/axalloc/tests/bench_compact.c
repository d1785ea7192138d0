/* bench_compact.c - compaction after churn, over buddy (the benchmark is in compact_churn.c). */
#include "compact_churn.h"

int main(int argc, char **argv)
{
	return compact_churn_main(argc, argv);
}

/* log_levels.c - the evaluation counter of log_every_level() (see log_levels.h). */
#include <axlog/log.h>

#include "log_levels.h"

int evaluations;

int count_evaluation(void)
{
	return ++evaluations;
}

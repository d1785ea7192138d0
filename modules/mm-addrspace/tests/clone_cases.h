/*
 * clone_cases.h - the clone suite (cases in clone_cases.c): directed tests
 * of aspace_clone and aspace_copy, shared by two test directories:
 *   modules/mm-addrspace/tests/test_clone.c (CONFIG_MM_COW): the suite runs
 *     with aspace_clone (frames shared, copy-on-write) and with aspace_copy
 *     (eager copies);
 *   tests/aspace-eager/test_clone_eager.c (no CONFIG_MM_COW): it runs with
 *     aspace_clone, which copies eagerly there.
 * Every mode must give the same visible result: the same areas, the same
 * bytes, isolation after writes, untouched pages still lazy, -EFAULT for
 * writes to read-only areas, full rollback on -ENOMEM, every frame freed
 * once. When frames are shared the cases also check the COW specifics:
 * same frames, exact counts, read-only PTEs, COW faults and copies, and
 * the memory saved.
 */
#ifndef CLONE_CASES_H
#define CLONE_CASES_H

#include <stdbool.h>

/*
 * Runs the suite as one cmocka group called `name`, with aspace_copy
 * (copy) or aspace_clone; returns the number of failed cases.
 */
int clone_suite_run(bool copy, const char *name);

#endif

/*
 * compact_cases.h - the compaction suite (cases in compact_cases.c):
 * directed tests of axalloc_compact with mm-addrspace's migrator, shared by
 * two test directories: modules/mm-addrspace/tests/test_compact.c over the
 * buddy allocator and tests/aspace-compact-bitmap over the bitmap one
 * (compaction probes and isolates pages with the allocator's alloc_at).
 */
#ifndef COMPACT_CASES_H
#define COMPACT_CASES_H

/* Runs the suite as one cmocka group called `name`; returns the number of failed cases. */
int compact_suite_run(const char *name);

#endif

/*
 * test_clone_eager.c - the clone suite of mm-addrspace
 * (modules/mm-addrspace/tests/clone_cases.c, through HOST_SHARED) built without CONFIG_MM_COW:
 * aspace_clone copies every mapped page eagerly and must give the same
 * visible results (areas, bytes, isolation, lazy pages, errors, rollback,
 * no leaks) as the copy-on-write build.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clone_cases.h"

int main(void)
{
	return clone_suite_run(false, "aspace_clone (no MM_COW: eager)");
}

/*
 * fuzz_page_table.c - libFuzzer target: the input's first byte picks the
 * window, the rest drives a sequence of page-table operations (including
 * bad arguments and injected allocation failures) that is checked against
 * the shadow model after every step (pt_shadow.h), with a leak check at
 * the end.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pt_shadow.h"

#define MAX_OPS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_shadow sh;
	struct sh_op op;
	if (size < 1)
		return 0;
	if (sh_init(&sh, data[0], 0) != 0)
		abort();
	struct test_src r = test_src_bytes(data + 1, size - 1);
	for (int i = 0; i < MAX_OPS && !test_src_done(&r); i++) {
		sh_gen_op(&sh, &r, &op);
		sh_apply(&sh, &op, true);
	}
	sh_verify(&sh, NULL);
	sh_fini(&sh);
	return 0;
}

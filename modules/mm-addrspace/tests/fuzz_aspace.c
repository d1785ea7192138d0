/*
 * fuzz_aspace.c - libFuzzer target: the input bytes choose a sequence of
 * address-space operations (aspace_model.h: the same generator, model and
 * checks as the stress test, transparent huge pages included: policy,
 * advice, collapse, khugepaged scan) on a fresh allocator and an 8 MiB
 * space; after the sequence every page is compared with the model and the
 * space is destroyed with a leak check.
 */
#include <stddef.h>
#include <stdint.h>

#include "aspace_model.h"

#define FUZZ_MAX_OPS	      256
#define FUZZ_FULL_CHECK_EVERY 32
#define FUZZ_BASE	      0x40000000UL
#define FUZZ_SIZE	      (8UL << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct test_src src = test_src_bytes(data, size);

	model_init(&m, FUZZ_BASE, FUZZ_SIZE, 0);
	for (int i = 0; i < FUZZ_MAX_OPS && !test_src_done(&src); i++) {
		struct model_op op = model_gen(&m, &src);

		model_run(&m, &op);
		if (i % FUZZ_FULL_CHECK_EVERY == FUZZ_FULL_CHECK_EVERY - 1)
			model_check_full(&m);
	}
	model_check_full(&m);
	model_fini(&m);
	return 0;
}

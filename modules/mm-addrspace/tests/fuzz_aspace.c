/*
 * fuzz_aspace.c - libFuzzer target: the input bytes choose a sequence of
 * address-space operations (aspace_model.h: the same generator, model and
 * checks as the stress test, transparent huge pages included: policy,
 * advice, collapse, khugepaged scan) and, between them, compactions
 * (model_compact: every free 2M block held, order 9 or 10, some with an
 * allocation failing; the model follows its frames to where they moved) on
 * a fresh allocator of 128 MiB (ample for the space; a compaction examines
 * every page of it) and an 8 MiB space; after the sequence every page is
 * compared with the model and the space is destroyed with a leak check.
 */
#include <stddef.h>
#include <stdint.h>

#include "aspace_model.h"

#define FUZZ_MAX_OPS	      256
#define FUZZ_FULL_CHECK_EVERY 32
#define FUZZ_BASE	      0x40000000UL
#define FUZZ_SIZE	      (8UL << 20)
#define FUZZ_RAM_SIZE	      (128UL << 20)
#define FUZZ_COMPACT_ONE_IN   16 /* steps that are a compaction */
#define FUZZ_MAX_COMPACTIONS  4	 /* per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One compaction between operations, its order and failure drawn from the input. */
static void fuzz_compact(struct model *m, struct test_src *src)
{
	struct model *one[1] = {m};
	struct axalloc_compact_result res;
	unsigned order = test_src_chance(src, 25) ? 10 : 9;
	long fail_after = test_src_chance(src, 25) ? (long)test_src_below(src, 6) : -1;

	model_compact(one, 1, order, fail_after, &res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct test_src src = test_src_bytes(data, size);
	int compactions = 0;

	env_ram_size = FUZZ_RAM_SIZE;
	model_init(&m, FUZZ_BASE, FUZZ_SIZE, 0);
	for (int i = 0; i < FUZZ_MAX_OPS && !test_src_done(&src); i++) {
		if (compactions < FUZZ_MAX_COMPACTIONS &&
		    test_src_below(&src, FUZZ_COMPACT_ONE_IN) == 0) {
			fuzz_compact(&m, &src);
			compactions++;
			continue;
		}
		struct model_op op = model_gen(&m, &src);

		model_run(&m, &op);
		if (i % FUZZ_FULL_CHECK_EVERY == FUZZ_FULL_CHECK_EVERY - 1)
			model_check_full(&m);
	}
	model_check_full(&m);
	model_fini(&m);
	return 0;
}

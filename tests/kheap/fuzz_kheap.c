/*
 * fuzz_kheap.c - libFuzzer target: the input's first byte picks the heap
 * (kheap_all[byte % kheap_nr_heaps]); the rest is the source of kc_step's
 * decisions (kheap_checker.h, through test_src_bytes): which operation
 * (alloc, memalign, calloc, realloc, free, a bad request, a bad free the
 * heap says it detects, an operation whose page allocations fail after a
 * few), which live block, what size and alignment. Every call is checked
 * against the contract and the shadow model, kheap_check runs after every
 * operation, and at the end every block is freed and the heap must keep at
 * most its bound of pages. Any mismatch aborts with the checker's
 * description. Set KHEAP_TRACE=1 to print every call while replaying an
 * input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kheap_all.h"
#include "kheap_checker.h"
#include "test_src.h"

/* An arena per input: small, so that making it is cheap, and large enough for MAX_LIVE blocks. */
#define ARENA_BYTES (32UL << 20)
#define MAX_LIVE    64
#define MAX_OPS	    2000
/* Read every live block back every this many operations. */
#define VERIFY_EVERY 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kheap_checker c;

	if (size < 1 || kheap_nr_heaps == 0)
		return 0;
	kc_create(&c, &kheap_all[data[0] % kheap_nr_heaps], ARENA_BYTES, 1);
	c.verify_every = VERIFY_EVERY;
	c.max_live = MAX_LIVE;
	c.trace = getenv("KHEAP_TRACE") != NULL;
	struct test_src src = test_src_bytes(data + 1, size - 1);
	bool ok = true;
	for (int i = 0; ok && i < MAX_OPS && !test_src_done(&src); i++)
		ok = kc_step(&c, &src);
	if (ok)
		ok = kc_free_all(&c, &src);
	if (!ok) {
		fprintf(stderr, "fuzz_kheap: %s\n", c.err);
		abort();
	}
	kc_destroy(&c);
	return 0;
}

/* compact_pool.c - pools of known shape for the direct-compaction tests (compact_pool.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "compact_pool.h"

int pool_setup(void **state)
{
	static struct fixture f;
	struct mem_range ram = {ENV_RAM_BASE, POOL_SIZE};

	env_init(); /* backs the RAM */
	if (axalloc_init(&ram, 1, NULL, 0) != 0)
		return -1;
	f.base = mem_snap();
	snap_content = true;
	if (aspace_create(&f.as, SPACE_BASE, SPACE_SIZE) != 0)
		return -1;
	*state = &f;
	return 0;
}

void pool_hold_all(struct pool *p)
{
	p->nr_blocks = 0;
	p->nr_pages = 0;
	while (axalloc_alloc_pages(PAGES_PER_2M, PG2M, AXALLOC_UNMOVABLE,
				   &p->blocks[p->nr_blocks]) == 0)
		assert_true(++p->nr_blocks < (int)POOL_BLOCKS);
	while (axalloc_alloc_pages(1, PG4K, AXALLOC_UNMOVABLE, &p->pages[p->nr_pages]) == 0)
		assert_true(++p->nr_pages < (int)POOL_PAGES);
}

paddr_t pool_give_block(struct pool *p)
{
	int low = 0;
	paddr_t b;

	assert_true(p->nr_blocks > 0);
	for (int i = 1; i < p->nr_blocks; i++)
		if (p->blocks[i] < p->blocks[low])
			low = i;
	b = p->blocks[low];
	p->blocks[low] = p->blocks[--p->nr_blocks];
	return b;
}

void pool_place(struct pool *p, struct aspace *as, vaddr_t va, paddr_t to)
{
	paddr_t old = pa_of(as, va), moved;

	assert_int_equal(axalloc_free_pages(to, 1), 0);
	assert_int_equal(aspace_migrate(old, &moved), 0);
	assert_int_equal(moved, to);
	assert_int_equal(axalloc_alloc_pages(1, PG4K, AXALLOC_UNMOVABLE, &p->pages[p->nr_pages]),
			 0);
	assert_int_equal(p->pages[p->nr_pages], old);
	assert_true(++p->nr_pages < (int)POOL_PAGES);
}

void pool_fragment(struct pool *p, struct aspace *as, vaddr_t va, int n, paddr_t *blocks)
{
	for (int i = 0; i < n; i++) {
		blocks[i] = pool_give_block(p);
		pool_place(p, as, va + (uint64_t)i * PG4K, blocks[i]);
	}
	/* Only now: the pages placed later must not land in these. */
	for (int i = 0; i < n; i++)
		assert_int_equal(axalloc_free_pages(blocks[i] + PG4K, PAGES_PER_2M - 1), 0);
}

void pool_release(struct pool *p)
{
	while (p->nr_pages > 0)
		assert_int_equal(axalloc_free_pages(p->pages[--p->nr_pages], 1), 0);
	while (p->nr_blocks > 0)
		assert_int_equal(axalloc_free_pages(p->blocks[--p->nr_blocks], PAGES_PER_2M), 0);
}

void pool_space_with_pages(struct aspace *as, enum aspace_thp_policy policy, int n, uint8_t seed)
{
	assert_int_equal(aspace_create(as, SPACE_BASE, SPACE_SIZE), 0);
	assert_int_equal(aspace_set_thp_policy(as, policy), 0);
	assert_int_equal(aspace_map_alloc(as, VA2, (uint64_t)n * PG4K, RW, true, PG4K), 0);
	fill(as, VA2, (uint64_t)n * PG4K, seed);
}

uint64_t pool_free_2m(void)
{
	struct axalloc_stats st;

	axalloc_stats(&st);
	return pgalloc_suitable_blocks(&st.pages, ORDER_2M);
}

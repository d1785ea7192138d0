/* pt_test_env.c - simulated RAM, table-page allocator, table inspection (pt_test_env.h). */
#include "pt_test_env.h"

struct pt_env_pool pt_env_pool;

static int pt_env_alloc(void *ctx, paddr_t *pa)
{
	struct pt_env_pool *p = ctx;
	if (p->fail_countdown == 0 || p->nr_free == 0)
		return -ENOMEM;
	if (p->fail_countdown > 0)
		p->fail_countdown--;
	*pa = p->free[--p->nr_free];
	p->used[(*pa - PT_ENV_RAM_BASE) / PAGE_SIZE_4K] = true;
	memset(phys_to_virt(*pa), PT_ENV_POISON, PAGE_SIZE_4K);
	return 0;
}

static void pt_env_free(void *ctx, paddr_t pa)
{
	struct pt_env_pool *p = ctx;
	uint64_t i = (pa - PT_ENV_RAM_BASE) / PAGE_SIZE_4K;
	if (pa < PT_ENV_RAM_BASE || i >= PT_ENV_RAM_PAGES || !IS_ALIGNED(pa, PAGE_SIZE_4K) ||
	    !p->used[i]) {
		fprintf(stderr, "pt_env_free: %#llx was not allocated\n", (unsigned long long)pa);
		abort();
	}
	p->used[i] = false;
	memset(phys_to_virt(pa), PT_ENV_POISON, PAGE_SIZE_4K);
	p->free[p->nr_free++] = pa;
}

const struct pt_frame_ops pt_env_frames = {pt_env_alloc, pt_env_free, &pt_env_pool};

void pt_env_back_ram(void)
{
	static bool backed;
	if (!backed) {
		hal_host_map_phys(PT_ENV_RAM_BASE, PT_ENV_RAM_SIZE);
		backed = true;
	}
}

uint64_t pt_env_used_pages(void)
{
	return PT_ENV_RAM_PAGES - pt_env_pool.nr_free;
}

uint64_t pt_env_reset(void)
{
	pt_env_back_ram();
	struct pt_env_pool *p = &pt_env_pool;
	p->nr_free = 0;
	for (uint64_t i = PT_ENV_RAM_PAGES; i-- > 0;)
		p->free[p->nr_free++] = PT_ENV_RAM_BASE + i * PAGE_SIZE_4K;
	memset(p->used, 0, sizeof(p->used));
	p->fail_countdown = -1;
	return pt_env_used_pages();
}

void pt_env_fail_after(long n)
{
	pt_env_pool.fail_countdown = n < 0 ? -1 : n;
}

pte_t *pt_env_table(paddr_t pa)
{
	return (pte_t *)phys_to_virt(pa);
}

/* FNV-1a step over one 64-bit word. */
static uint64_t pt_env_hash(uint64_t h, uint64_t w)
{
	for (int i = 0; i < 8; i++) {
		h ^= (w >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t pt_env_hash_table(uint64_t h, paddr_t pa, int level)
{
	const pte_t *t = pt_env_table(pa);
	h = pt_env_hash(h, pa);
	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		h = pt_env_hash(h, t[i]);
		if (level > 0 && sv39_pte_valid(t[i]) && !sv39_pte_leaf(t[i]))
			h = pt_env_hash_table(h, sv39_pte_pa(t[i]), level - 1);
	}
	return h;
}

uint64_t pt_env_fingerprint(const struct page_table *pt)
{
	uint64_t h = pt_env_hash(0xcbf29ce484222325ULL, pt->nr_table_pages);
	return pt_env_hash_table(h, pt->root, SV39_ROOT_LEVEL);
}

void pt_env_census_table(struct pt_env_census *c, paddr_t pa, int level, bool root)
{
	const pte_t *t = pt_env_table(pa);
	bool empty = true;
	c->tables++;
	for (unsigned i = 0; i < SV39_ENTRIES; i++) {
		pte_t e = t[i];
		if (!sv39_pte_valid(e)) {
			c->bad_entries += e != 0;
			continue;
		}
		empty = false;
		if (sv39_pte_leaf(e)) {
			bool ok = IS_ALIGNED(sv39_pte_pa(e), sv39_level_size(level)) &&
				  (e & SV39_PTE_A) && (!(e & SV39_PTE_W) || (e & SV39_PTE_D));
			c->bad_entries += !ok;
			c->leaves[level]++;
		} else if (level == 0 || (e & ~(SV39_PTE_PPN_MASK | SV39_PTE_V))) {
			c->bad_entries++;
		} else {
			pt_env_census_table(c, sv39_pte_pa(e), level - 1, false);
		}
	}
	c->empty_tables += empty && !root;
}

struct pt_env_census pt_env_census(const struct page_table *pt)
{
	struct pt_env_census c;
	memset(&c, 0, sizeof(c));
	pt_env_census_table(&c, pt->root, SV39_ROOT_LEVEL, true);
	return c;
}

pte_t pt_env_leaf(const struct page_table *pt, vaddr_t va, int *level)
{
	paddr_t pa = pt->root;
	for (int l = SV39_ROOT_LEVEL; l >= 0; l--) {
		pte_t e = pt_env_table(pa)[sv39_index(va, l)];
		if (!sv39_pte_valid(e))
			return 0;
		if (sv39_pte_leaf(e)) {
			*level = l;
			return e;
		}
		pa = sv39_pte_pa(e);
	}
	return 0;
}

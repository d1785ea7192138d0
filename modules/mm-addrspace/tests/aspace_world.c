/* aspace_world.c - spaces sharing frames: random clone/copy/destroy (see aspace_world.h). */
#include "aspace_world.h"

static const char *const world_op_names[WOP_NR] = {[WOP_SPACE] = "space op",
						   [WOP_CLONE] = "clone",
						   [WOP_COPY] = "copy",
						   [WOP_DESTROY] = "destroy",
						   [WOP_COMPACT] = "compact"};

/* True when aspace_clone shares frames in this build. */
static bool world_clone_shares(void)
{
	return IS_ENABLED(CONFIG_MM_COW);
}

/* Makes slot i's model empty and gives it a fresh space. */
static void world_create(struct world *w, int i)
{
	struct model *m = &w->spaces[i];

	m->nr = 0;
	memset(m->mapped, 0, m->npages);
	memset(m->bytes, 0, m->end - m->base);
	memset(m->frame, 0, m->npages * sizeof(*m->frame));
	memset(m->pending, 0, m->npages);
	memset(m->thp, 0, (m->end - m->base) / PAGE_SIZE_2M);
	m->faults = m->spurious = m->cow_faults = m->cow_copies = 0;
	m->thp_fault_alloc = m->thp_split = m->thp_collapse = m->thp_collapse_failed = 0;
	m->thp_cow_splits = m->thp_cow_restores = 0;
	m->policy = model_default_policy();
	WORLD_CHECK(w, aspace_create(&m->as, m->base, m->end - m->base) == 0);
	w->live[i] = true;
}

/* Destroys slot i's space; its model drops every frame reference. */
static void world_destroy(struct world *w, int i)
{
	struct model *m = &w->spaces[i];

	for (int a = 0; a < m->nr; a++)
		model_drop_pages(m, &m->areas[a], m->areas[a].start, m->areas[a].end);
	w->cow_faults_gone += m->cow_faults;
	w->cow_copies_gone += m->cow_copies;
	w->thp_gone[0] += m->thp_fault_alloc;
	w->thp_gone[1] += m->thp_split;
	w->thp_gone[2] += m->thp_collapse;
	w->thp_gone[3] += m->thp_cow_splits;
	w->thp_gone[4] += m->thp_cow_restores;
	aspace_destroy(&m->as);
	w->live[i] = false;
}

/*
 * Starts a world on a fresh allocator with one live, empty space (with the
 * THP policy always when thp_always, which its clones inherit).
 */
static void world_init(struct world *w, uint64_t seed, bool thp_always)
{
	uint64_t heap_per_area;

	memset(w, 0, sizeof(*w));
	env_init();
	w->seed = seed;
	w->lin = calloc(WORLD_SIZE + MODEL_LIN_SHIFT, 1);
	ENV_CHECK(w->lin != NULL);
	memset(phys_to_virt(ENV_LIN_BASE), 0, WORLD_SIZE + MODEL_LIN_SHIFT);
	heap_per_area = model_heap_per_area();
	w->base_mem = mem_snap();
	for (int i = 0; i < WORLD_SPACES; i++) {
		model_alloc(&w->spaces[i], WORLD_BASE, WORLD_SIZE, seed, &w->frames, w->lin);
		w->spaces[i].heap_per_area = heap_per_area;
		w->spaces[i].base_mem = w->base_mem;
	}
	world_create(w, 0);
	if (thp_always && IS_ENABLED(CONFIG_MM_THP))
		model_set_policy(&w->spaces[0], ASPACE_THP_ALWAYS);
}

/* The allocator against every live space. */
static void world_check_mem(struct world *w)
{
	struct model *live[WORLD_SPACES];
	int n = 0;

	for (int i = 0; i < WORLD_SPACES; i++)
		if (w->live[i])
			live[n++] = &w->spaces[i];
	if (n > 0)
		model_check_mem(live, n);
	else
		WORLD_CHECK(w, mem_equal(mem_snap(), w->base_mem) && w->frames.live_4k == 0);
}

/* Destroys every space; the allocator must be back at its baseline. */
static void world_fini(struct world *w)
{
	for (int i = 0; i < WORLD_SPACES; i++)
		if (w->live[i])
			world_destroy(w, i);
	world_check_mem(w);
	for (int i = 0; i < WORLD_SPACES; i++)
		model_free(&w->spaces[i]);
	model_frames_free(&w->frames);
	free(w->lin);
	w->lin = NULL;
}

/* Clone (or copy) slot s into slot d, with allocation failure injected when fail_after >= 0. */
static void world_clone(struct world *w, int d, int s, bool copy, long fail_after)
{
	enum world_op_kind kind = copy ? WOP_COPY : WOP_CLONE;
	struct model *dst = &w->spaces[d], *src = &w->spaces[s];
	int want = 0, got;

	if (!w->live[d])
		world_create(w, d);
	if (d == s)
		want = -EINVAL;
	else if (dst->nr > 0)
		want = -EEXIST;
	if (fail_after >= 0)
		axalloc_fail_after(fail_after);
	got = copy ? aspace_copy(&dst->as, &src->as) : aspace_clone(&dst->as, &src->as);
	axalloc_fail_after(-1);
	if (got != want) {
		WORLD_CHECK(w, fail_after >= 0 && want == 0 && got == -ENOMEM);
		w->outcomes[kind][MODEL_INJECTED]++;
	} else {
		w->outcomes[kind][want == 0 ? MODEL_OK : MODEL_ERROR]++;
		if (want == 0)
			model_clone_from(dst, src, !copy && world_clone_shares());
	}
	model_check_light(dst);
	model_check_light(src);
}

/* A live slot chosen at random (there is one). */
static int world_pick_live(const struct world *w, struct test_src *rs)
{
	int live[WORLD_SPACES], n = 0;

	for (int i = 0; i < WORLD_SPACES; i++)
		if (w->live[i])
			live[n++] = i;
	return live[test_src_below(rs, (uint64_t)n)];
}

/* A dead slot chosen at random, or -1. */
static int world_pick_dead(const struct world *w, struct test_src *rs)
{
	int dead[WORLD_SPACES], n = 0;

	for (int i = 0; i < WORLD_SPACES; i++)
		if (!w->live[i])
			dead[n++] = i;
	return n ? dead[test_src_below(rs, (uint64_t)n)] : -1;
}

static int world_nr_live(const struct world *w)
{
	int n = 0;

	for (int i = 0; i < WORLD_SPACES; i++)
		n += w->live[i];
	return n;
}

/*
 * A compaction of order 9 (mostly), 10 or 18 under the live spaces, one in
 * four with an allocation failing (model_compact checks them all).
 */
static void world_compact(struct world *w, struct test_src *rs)
{
	struct model *live[WORLD_SPACES];
	struct axalloc_compact_result res;
	uint64_t r = test_src_below(rs, 100);
	unsigned order = r < 70 ? 9 : r < 95 ? 10 : 18;
	long fail_after = test_src_chance(rs, 25) ? (long)test_src_below(rs, 6) : -1;
	int n = 0, err;

	for (int i = 0; i < WORLD_SPACES; i++)
		if (w->live[i]) {
			live[n] = &w->spaces[i];
			live[n++]->op_no = w->op_no;
		}
	snprintf(w->op_text, sizeof(w->op_text), "compact order=%u fail_after=%ld", order,
		 fail_after);
	err = model_compact(live, n, order, fail_after, &res);
	w->pages_migrated += res.pages_migrated;
	if (err == 0)
		w->outcomes[WOP_COMPACT][MODEL_OK]++;
	else
		w->outcomes[WOP_COMPACT][fail_after >= 0 ? MODEL_INJECTED : MODEL_ERROR]++;
}

/* Draws and runs one operation, then checks what it touched and the allocator. */
static void world_step(struct world *w, struct test_src *rs)
{
	uint64_t r;
	int s;

	w->op_no++;
	if (w->compact_percent > 0 && test_src_below(rs, 100) < w->compact_percent) {
		world_compact(w, rs);
		world_check_mem(w);
		return;
	}
	r = test_src_below(rs, 100);
	s = world_pick_live(w, rs);
	if (r < 9) {
		bool copy = r < 3;
		int d = world_pick_dead(w, rs);
		long fail_after =
		    test_src_chance(rs, 20) ? (long)test_src_below(rs, WORLD_CLONE_FAIL_MAX) : -1;

		if (d < 0 || test_src_chance(rs, 20))
			d = (int)test_src_below(rs, WORLD_SPACES);
		snprintf(w->op_text, sizeof(w->op_text), "%s %d -> %d fail_after=%ld",
			 world_op_names[copy ? WOP_COPY : WOP_CLONE], s, d, fail_after);
		world_clone(w, d, s, copy, fail_after);
	} else if (r < 13 && world_nr_live(w) > 1) {
		snprintf(w->op_text, sizeof(w->op_text), "destroy %d", s);
		world_destroy(w, s);
		w->outcomes[WOP_DESTROY][MODEL_OK]++;
	} else {
		struct model *m = &w->spaces[s];
		struct model_op op = model_gen(m, rs);

		m->op_no = w->op_no - 1;
		model_run(m, &op);
		snprintf(w->op_text, sizeof(w->op_text), "space %d: %s", s, m->op_text);
		w->outcomes[WOP_SPACE][MODEL_OK]++;
	}
	world_check_mem(w);
}

/* Every live space page by page. */
static void world_check_full(struct world *w)
{
	for (int i = 0; i < WORLD_SPACES; i++)
		if (w->live[i])
			model_check_full(&w->spaces[i]);
}

/*
 * COW statistics of every space the world had, and THP faults, splits,
 * collapses, COW splits and COW restores of whole 2M pages.
 */
static void world_cow_totals(const struct world *w, uint64_t *faults, uint64_t *copies,
			     uint64_t thp[5])
{
	*faults = w->cow_faults_gone;
	*copies = w->cow_copies_gone;
	memcpy(thp, w->thp_gone, sizeof(w->thp_gone));
	for (int i = 0; i < WORLD_SPACES; i++) {
		if (!w->live[i])
			continue;
		*faults += w->spaces[i].cow_faults;
		*copies += w->spaces[i].cow_copies;
		thp[0] += w->spaces[i].thp_fault_alloc;
		thp[1] += w->spaces[i].thp_split;
		thp[2] += w->spaces[i].thp_collapse;
		thp[3] += w->spaces[i].thp_cow_splits;
		thp[4] += w->spaces[i].thp_cow_restores;
	}
}

/* What a run reached: operation outcomes, spaces live at once, COW and THP totals. */
struct world_reach {
	unsigned long outcomes[WOP_NR][MODEL_NR_OUTCOMES];
	int most_live;
	uint64_t faults, copies, thp[5], migrated;
};

/* Adds what world w reached (most_live spaces at once) to *r. */
static void world_reach_add(struct world_reach *r, const struct world *w, int most_live)
{
	uint64_t faults, copies, thp[5];

	world_cow_totals(w, &faults, &copies, thp);
	for (int k = 0; k < WOP_NR; k++)
		for (int o = 0; o < MODEL_NR_OUTCOMES; o++)
			r->outcomes[k][o] += w->outcomes[k][o];
	if (most_live > r->most_live)
		r->most_live = most_live;
	r->faults += faults;
	r->copies += copies;
	for (int k = 0; k < 5; k++)
		r->thp[k] += thp[k];
	r->migrated += w->pages_migrated;
}

/*
 * The run reached every outcome it should: clone and copy succeeding,
 * refused and failing an injected allocation, destroys with four spaces
 * live, COW breaks by copy and by restoring write, transparent pages made,
 * split and collapsed (with CONFIG_MM_THP), and with compaction: blocks
 * freed, injected failures and pages moved.
 */
static void world_check_reached(struct world *w, const struct world_reach *r, bool compact)
{
	for (int k = WOP_CLONE; k <= WOP_COPY; k++)
		WORLD_CHECK(w, r->outcomes[k][MODEL_OK] > 0 && r->outcomes[k][MODEL_ERROR] > 0 &&
				   r->outcomes[k][MODEL_INJECTED] > 0);
	WORLD_CHECK(w, r->outcomes[WOP_DESTROY][MODEL_OK] > 0 && r->most_live >= 4);
	if (world_clone_shares())
		WORLD_CHECK(w, r->copies > 0 && r->faults > r->copies);
	else
		WORLD_CHECK(w, r->faults == 0);
	if (IS_ENABLED(CONFIG_MM_THP))
		WORLD_CHECK(w, r->thp[0] > 0 && r->thp[1] > 0 && r->thp[2] > 0);
	else
		WORLD_CHECK(w, r->thp[0] == 0 && r->thp[1] == 0 && r->thp[2] == 0);
	if (compact)
		WORLD_CHECK(w, r->outcomes[WOP_COMPACT][MODEL_OK] > 0 &&
				   r->outcomes[WOP_COMPACT][MODEL_INJECTED] > 0 && r->migrated > 0);
}

void world_run(uint64_t seed, int rounds, int ops)
{
	world_run_compact(seed, rounds, ops, 0);
}

void world_run_compact(uint64_t seed, int rounds, int ops, unsigned compact_percent)
{
	static struct world w;
	struct world_reach run = {0};

	for (int round = 0; round < rounds; round++) {
		struct test_src rs = test_src_seed(seed + round);
		struct world_reach this_round = {0};
		int most_live = 1;

		printf("world round %d: seed %#llx\n", round, (unsigned long long)(seed + round));
		world_init(&w, seed + round, round % 2 == 1);
		w.compact_percent = compact_percent;
		for (int i = 0; i < ops; i++) {
			world_step(&w, &rs);
			if (world_nr_live(&w) > most_live)
				most_live = world_nr_live(&w);
			if (i % WORLD_FULL_CHECK_EVERY == 0)
				world_check_full(&w);
		}
		world_check_full(&w);
		world_reach_add(&this_round, &w, most_live);
		world_reach_add(&run, &w, most_live);
		printf("  %-10s %8s %8s %8s\n", "operation", "ok", "error", "enomem");
		for (int k = WOP_CLONE; k < (compact_percent ? WOP_NR : WOP_COMPACT); k++)
			printf("  %-10s %8lu %8lu %8lu\n", world_op_names[k],
			       w.outcomes[k][MODEL_OK], w.outcomes[k][MODEL_ERROR],
			       w.outcomes[k][MODEL_INJECTED]);
		printf("  %lu single-space operations; COW breaks %llu, copies %llu; "
		       "up to %d spaces live\n",
		       w.outcomes[WOP_SPACE][MODEL_OK], (unsigned long long)this_round.faults,
		       (unsigned long long)this_round.copies, most_live);
		printf("  THP: %llu faults, %llu splits (%llu by COW writes), %llu collapsed; "
		       "%llu COW writes restored a whole 2M page\n",
		       (unsigned long long)this_round.thp[0], (unsigned long long)this_round.thp[1],
		       (unsigned long long)this_round.thp[3], (unsigned long long)this_round.thp[2],
		       (unsigned long long)this_round.thp[4]);
		if (compact_percent)
			printf("  compaction moved %llu pages\n",
			       (unsigned long long)w.pages_migrated);
		/* A run with compaction has fewer operations a round: it counts them all. */
		if (!compact_percent)
			world_check_reached(&w, &this_round, false);
		world_fini(&w);
	}
	if (compact_percent)
		world_check_reached(&w, &run, true);
}

/* kheap_model.c - the shadow model of a byte heap (see kheap_model.h). */
#include "kheap_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* realloc that aborts when the host is out of memory. */
static void *xrealloc(void *p, size_t bytes)
{
	void *q = realloc(p, bytes);

	if (!q) {
		fprintf(stderr, "kheap_model: out of host memory\n");
		abort();
	}
	return q;
}

void kbm_init(struct kheap_model *m)
{
	memset(m, 0, sizeof(*m));
	interval_tree_init(&m->tree);
	m->next_tag = 1;
}

void kbm_destroy(struct kheap_model *m)
{
	for (size_t i = 0; i < m->nr_live; i++)
		free(m->live[i]);
	free(m->live);
	memset(m, 0, sizeof(*m));
}

/* The live block overlapping [start, end) (start < end), or NULL. */
static struct kbm_block *overlapping(const struct kheap_model *m, uint64_t start, uint64_t end)
{
	struct interval_node *n = interval_tree_first_after(&m->tree, start);

	return n && n->start < end ? (struct kbm_block *)n : NULL;
}

/* Describes the overlap of [p, p + usable) with the live block o. */
static const char *overlap_msg(const void *p, size_t usable, const struct kbm_block *o)
{
	static char msg[160];

	snprintf(msg, sizeof(msg), "block %p+%zu overlaps live block %p+%zu", p, usable, o->p,
		 o->usable);
	return msg;
}

/* Links b as [p, p + usable) unless that overlaps a live block (then returns the overlap). */
static const char *link_block(struct kheap_model *m, struct kbm_block *b, void *p, size_t usable)
{
	uint64_t start = (uintptr_t)p;
	/* A block of 0 usable bytes still occupies its address. */
	uint64_t end = start + (usable ? usable : 1);
	struct kbm_block *o = overlapping(m, start, end);

	if (o)
		return overlap_msg(p, usable, o);
	b->node.start = start;
	b->node.end = end;
	if (interval_tree_insert(&m->tree, &b->node) != 0)
		return "interval tree refused a block";
	return NULL;
}

const char *kbm_add(struct kheap_model *m, void *p, size_t size, size_t usable)
{
	struct kbm_block *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	const char *err = link_block(m, b, p, usable);
	if (err) {
		free(b);
		return err;
	}
	if (m->nr_live == m->cap_live) {
		m->cap_live = m->cap_live ? 2 * m->cap_live : 256;
		m->live = xrealloc(m->live, m->cap_live * sizeof(*m->live));
	}
	b->p = p;
	b->size = size;
	b->usable = usable;
	b->tag = m->next_tag++;
	b->pos = m->nr_live;
	m->live[m->nr_live++] = b;
	m->used_bytes += usable;
	kbm_fill(p, usable, b->tag);
	return NULL;
}

void kbm_remove(struct kheap_model *m, struct kbm_block *b)
{
	interval_tree_remove(&m->tree, &b->node);
	m->used_bytes -= b->usable;
	m->live[b->pos] = m->live[--m->nr_live];
	m->live[b->pos]->pos = b->pos;
	free(b);
}

const char *kbm_move(struct kheap_model *m, struct kbm_block *b, void *p, size_t size,
		     size_t usable)
{
	struct interval_node old = b->node;

	interval_tree_remove(&m->tree, &b->node);
	const char *err = link_block(m, b, p, usable);
	if (err) {
		b->node = old;
		if (interval_tree_insert(&m->tree, &b->node) != 0)
			abort();
		return err;
	}
	m->used_bytes = m->used_bytes - b->usable + usable;
	b->p = p;
	b->size = size;
	b->usable = usable;
	b->tag = m->next_tag++;
	kbm_fill(p, usable, b->tag);
	return NULL;
}

struct kbm_block *kbm_containing(const struct kheap_model *m, const void *p)
{
	return (struct kbm_block *)interval_tree_find(&m->tree, (uintptr_t)p);
}

struct kbm_block *kbm_find(const struct kheap_model *m, const void *p)
{
	struct kbm_block *b = kbm_containing(m, p);

	return b && b->p == p ? b : NULL;
}

/* Word i of the pattern of `tag`. */
static uint64_t pattern_word(uint64_t tag, size_t i)
{
	uint64_t z = tag * 0x9e3779b97f4a7c15ULL + (uint64_t)i * 0xbf58476d1ce4e5b9ULL;

	return z ^ (z >> 29);
}

void kbm_fill(void *p, size_t n, uint64_t tag)
{
	uint64_t *w = p;
	size_t words = n / 8;

	for (size_t i = 0; i < words; i++)
		w[i] = pattern_word(tag, i);
	if (n % 8) {
		uint64_t last = pattern_word(tag, words);
		memcpy(w + words, &last, n % 8);
	}
}

size_t kbm_verify(const void *p, size_t n, uint64_t tag)
{
	const uint64_t *w = p;
	size_t words = n / 8;
	size_t i = 0;

	while (i < words && w[i] == pattern_word(tag, i))
		i++;
	uint64_t want = pattern_word(tag, i);
	size_t left = n - 8 * i < 8 ? n - 8 * i : 8;
	for (size_t k = 0; k < left; k++)
		if (((const uint8_t *)(w + i))[k] != ((const uint8_t *)&want)[k])
			return 8 * i + k;
	return n;
}

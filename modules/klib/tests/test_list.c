/* test_list.c - <klib/list.h>: add, add_tail, del, iteration, safe deletion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <klib/list.h>

#include "console_capture.h"

#define NR_ITEMS 8

struct item {
	int value;
	struct list_head node;
	int tail;	/* a member after node, so container_of must subtract an offset */
};

static struct item items[NR_ITEMS];

/* Checks that head holds exactly the values in expect[0..n), in order, both ways. */
static void check_list(struct list_head *head, const int *expect, int n)
{
	struct item *it;
	int i = 0;

	list_for_each_entry(it, head, node) {
		assert_true(i < n);
		assert_int_equal(it->value, expect[i]);
		i++;
	}
	assert_int_equal(i, n);

	/* The prev links mirror the next links. */
	struct list_head *p = head->prev;
	for (i = n - 1; i >= 0; i--, p = p->prev)
		assert_int_equal(list_entry(p, struct item, node)->value, expect[i]);
	assert_ptr_equal(p, head);
	assert_int_equal(list_empty(head), n == 0);
}

static void setup_items(void)
{
	for (int i = 0; i < NR_ITEMS; i++) {
		items[i].value = i;
		items[i].tail = -i;
		list_init(&items[i].node);
	}
}

static void test_empty(void **state)
{
	(void)state;
	struct list_head head = LIST_HEAD_INIT(head);
	struct list_head other;

	assert_true(list_empty(&head));
	assert_ptr_equal(head.next, &head);
	assert_ptr_equal(head.prev, &head);
	list_init(&other);
	assert_true(list_empty(&other));
	check_list(&head, NULL, 0);
}

static void test_container_of(void **state)
{
	(void)state;
	setup_items();
	assert_ptr_equal(container_of(&items[3].node, struct item, node), &items[3]);
	assert_ptr_equal(container_of(&items[3].tail, struct item, tail), &items[3]);
	assert_ptr_equal(container_of(&items[0].value, struct item, value), &items[0]);
}

static void test_add_and_add_tail(void **state)
{
	(void)state;
	struct list_head head = LIST_HEAD_INIT(head);

	setup_items();
	list_add(&items[1].node, &head);	/* 1 */
	list_add(&items[0].node, &head);	/* 0 1 */
	list_add_tail(&items[2].node, &head);	/* 0 1 2 */
	list_add_tail(&items[3].node, &head);	/* 0 1 2 3 */
	assert_false(list_empty(&items[2].node));
	check_list(&head, (const int[]){ 0, 1, 2, 3 }, 4);
	assert_ptr_equal(list_first_entry(&head, struct item, node), &items[0]);
	assert_ptr_equal(list_next_entry(&items[0], node), &items[1]);

	/* list_add after an entry inserts in the middle. */
	list_add(&items[4].node, &items[1].node);
	check_list(&head, (const int[]){ 0, 1, 4, 2, 3 }, 5);
}

static void test_del(void **state)
{
	(void)state;
	struct list_head head = LIST_HEAD_INIT(head);

	setup_items();
	for (int i = 0; i < 5; i++)
		list_add_tail(&items[i].node, &head);

	list_del(&items[2].node);	/* middle */
	check_list(&head, (const int[]){ 0, 1, 3, 4 }, 4);
	assert_true(list_empty(&items[2].node));

	list_del(&items[0].node);	/* first */
	check_list(&head, (const int[]){ 1, 3, 4 }, 3);
	list_del(&items[4].node);	/* last */
	check_list(&head, (const int[]){ 1, 3 }, 2);

	/* A deleted entry can be deleted again harmlessly and added back. */
	list_del(&items[4].node);
	check_list(&head, (const int[]){ 1, 3 }, 2);
	list_add(&items[4].node, &head);
	check_list(&head, (const int[]){ 4, 1, 3 }, 3);

	list_del(&items[4].node);
	list_del(&items[1].node);
	list_del(&items[3].node);
	check_list(&head, NULL, 0);
}

static void test_safe_delete(void **state)
{
	(void)state;
	struct list_head head = LIST_HEAD_INIT(head);
	struct list_head odd = LIST_HEAD_INIT(odd);
	struct item *it, *next;

	setup_items();
	for (int i = 0; i < NR_ITEMS; i++)
		list_add_tail(&items[i].node, &head);

	/* Move the odd items to another list while iterating. */
	list_for_each_entry_safe(it, next, &head, node) {
		if (it->value % 2) {
			list_del(&it->node);
			list_add_tail(&it->node, &odd);
		}
	}
	check_list(&head, (const int[]){ 0, 2, 4, 6 }, 4);
	check_list(&odd, (const int[]){ 1, 3, 5, 7 }, 4);

	/* Delete everything. */
	int visited = 0;
	list_for_each_entry_safe(it, next, &head, node) {
		list_del(&it->node);
		visited++;
	}
	assert_int_equal(visited, 4);
	check_list(&head, NULL, 0);

	/* The safe loop over an empty list runs no iteration. */
	list_for_each_entry_safe(it, next, &head, node)
		fail();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_container_of),
		cmocka_unit_test(test_add_and_add_tail),
		cmocka_unit_test(test_del),
		cmocka_unit_test(test_safe_delete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * klib/list.h - intrusive, circular, doubly linked lists (header-only,
 * usable in the kernel and on the host).
 *
 * A list is a struct list_head (the head) linked to the struct list_head
 * member embedded in each entry. An empty list's head points to itself.
 * Nothing here allocates or locks: the caller owns the entries and
 * serialises access.
 */
#ifndef KLIB_LIST_H
#define KLIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_head {
	struct list_head *next, *prev;
};

/* Static initialiser of an empty list: struct list_head l = LIST_HEAD_INIT(l); */
#define LIST_HEAD_INIT(name) { &(name), &(name) }

/* The struct of type `type` whose member `member` is at ptr (checks ptr's type). */
#define container_of(ptr, type, member)                                         \
	({                                                                      \
		const __typeof__(((type *)0)->member) *mptr__ = (ptr);          \
		(type *)((char *)mptr__ - offsetof(type, member));              \
	})

/* The entry of type `type` that embeds the list_head at ptr as `member`. */
#define list_entry(ptr, type, member) container_of(ptr, type, member)

/* The first entry of the non-empty list head. */
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)

/* The entry after pos (the head's container_of when pos is the last entry). */
#define list_next_entry(pos, member) list_entry((pos)->member.next, __typeof__(*(pos)), member)

/* Iterates pos over the entries of head in order. The body must not remove pos. */
#define list_for_each_entry(pos, head, member)                                  \
	for (pos = list_first_entry(head, __typeof__(*(pos)), member);          \
	     &(pos)->member != (head); pos = list_next_entry(pos, member))

/*
 * Like list_for_each_entry, but the body may remove (and free) pos: n holds
 * the next entry. The body must not remove any other entry.
 */
#define list_for_each_entry_safe(pos, n, head, member)                          \
	for (pos = list_first_entry(head, __typeof__(*(pos)), member),          \
	    n = list_next_entry(pos, member);                                   \
	     &(pos)->member != (head); pos = n, n = list_next_entry(n, member))

/* Makes head an empty list (or an entry an unlinked one). */
static inline void list_init(struct list_head *head)
{
	head->next = head;
	head->prev = head;
}

/* True iff head is empty (for an entry's member: iff it is not on a list). */
static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

/* Links entry between the adjacent prev and next (used by list_add*). */
static inline void list_insert_between(struct list_head *entry, struct list_head *prev,
				       struct list_head *next)
{
	next->prev = entry;
	entry->next = next;
	entry->prev = prev;
	prev->next = entry;
}

/* Inserts entry (not on any list) right after head: at the front of the list. */
static inline void list_add(struct list_head *entry, struct list_head *head)
{
	list_insert_between(entry, head, head->next);
}

/* Inserts entry (not on any list) right before head: at the back of the list. */
static inline void list_add_tail(struct list_head *entry, struct list_head *head)
{
	list_insert_between(entry, head->prev, head);
}

/*
 * Unlinks entry from its list and leaves it initialised as unlinked, so
 * list_empty(entry) is true afterwards and a second list_del is harmless.
 */
static inline void list_del(struct list_head *entry)
{
	entry->prev->next = entry->next;
	entry->next->prev = entry->prev;
	list_init(entry);
}

#endif

/*
 * key_text.h - the strings of the map workloads (btree_map.c,
 * btree_churn.c): each key owns a block holding "key_<n>" and its NUL, as
 * the keys of ArceOS's btree_map benchmark are strings of their own.
 */
#ifndef HEAPTEST_KEY_TEXT_H
#define HEAPTEST_KEY_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workloads.h"

#define KEY_TEXT_PREFIX "key_"
/* "key_" + up to 10 digits + NUL */
#define KEY_TEXT_MAX 16

/* Writes "key_<v>" and a NUL into buf (KEY_TEXT_MAX bytes); returns the bytes written. */
size_t key_text(char *buf, uint32_t v);

/* A block from a holding key_text(v) (its size in *size), or NULL. */
char *key_text_new(const struct wl_allocator *a, uint32_t v, size_t *size);

/* True when s still holds key_text(v). */
bool key_text_ok(const char *s, uint32_t v);

#endif

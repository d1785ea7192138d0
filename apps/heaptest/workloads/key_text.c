/*
 * key_text.c - the strings of the map workloads: "key_<n>", as ArceOS's
 * btree_map formats its keys (see key_text.h).
 */
#include <string.h>

#include "key_text.h"

#define DECIMAL 10

size_t key_text(char *buf, uint32_t v)
{
	char digits[KEY_TEXT_MAX];
	size_t n = 0, len = sizeof(KEY_TEXT_PREFIX) - 1;

	do {
		digits[n++] = (char)('0' + v % DECIMAL);
		v /= DECIMAL;
	} while (v != 0);
	memcpy(buf, KEY_TEXT_PREFIX, len);
	while (n > 0)
		buf[len++] = digits[--n];
	buf[len] = '\0';
	return len + 1;
}

char *key_text_new(const struct wl_allocator *a, uint32_t v, size_t *size)
{
	char text[KEY_TEXT_MAX];
	size_t n = key_text(text, v);
	char *s = a->alloc(a->ctx, n);

	if (s != NULL)
		memcpy(s, text, n);
	*size = n;
	return s;
}

bool key_text_ok(const char *s, uint32_t v)
{
	char text[KEY_TEXT_MAX];
	size_t n = key_text(text, v);

	return memcmp(s, text, n) == 0;
}

/*
 * str.h — copying a C string into a fixed buffer, the one spelling of it in
 * Slate's hot paths. str_copy is snprintf(dst, cap, "%s", src) without the
 * format machinery (a person's row copies a dozen columns; a list page copies
 * them for a hundred people): at most cap - 1 bytes, always terminated when
 * cap > 0, the length of what was copied returned.
 */
#ifndef SLATE_UTIL_STR_H
#define SLATE_UTIL_STR_H

#include <stddef.h>

size_t str_copy(char *dst, size_t cap, const char *src);

#endif

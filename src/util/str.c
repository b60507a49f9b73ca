/*
 * str.c — see str.h.
 */
#include "util/str.h"

#include <string.h>

size_t
str_copy(char *dst, size_t cap, const char *src)
{
	size_t n;

	if (cap == 0)
		return 0;
	n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}

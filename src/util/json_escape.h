/*
 * json_escape.h — a bounded writer for small JSON texts (log lines, problem
 * documents, metrics labels). Writes past `cap` are counted but dropped, so
 * `len > cap` after the fact means "truncated" and nothing overflowed.
 */
#ifndef SLATE_UTIL_JSON_ESCAPE_H
#define SLATE_UTIL_JSON_ESCAPE_H

#include <stddef.h>

struct jbuf {
	char *p;
	size_t cap;
	size_t len;
};

__attribute__((format(printf, 2, 3))) void jbuf_printf(struct jbuf *b, const char *fmt, ...);
/* Appends s as a quoted JSON string; control characters and invalid UTF-8 bytes are escaped. */
void jbuf_str(struct jbuf *b, const char *s);

#endif

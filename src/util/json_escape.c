/*
 * json_escape.c — see json_escape.h. Bytes >= 0x80 are copied as they are
 * only when they form valid UTF-8; otherwise they become U+FFFD so a log line
 * stays valid JSON whatever a client sent.
 */
#include "util/json_escape.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/utf8.h"

static void
put(struct jbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, b->len++)
		if (b->len < b->cap)
			b->p[b->len] = s[i];
}

void
jbuf_printf(struct jbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void
jbuf_str(struct jbuf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[8];

	put(b, "\"", 1);
	while (*u) {
		size_t n;
		if (*u == '"' || *u == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*u;
			put(b, esc, 2);
			u++;
		} else if (*u < 0x20 || *u == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *u);
			put(b, esc, 6);
			u++;
		} else if (*u < 0x80) {
			put(b, (const char *)u, 1);
			u++;
		} else if ((n = utf8_seq_len(u)) > 0) {
			put(b, (const char *)u, n);
			u += n;
		} else {
			put(b, "\\ufffd", 6);
			u++;
		}
	}
	put(b, "\"", 1);
}

/*
 * parse.c — see parse.h. A hand-written scanner over one buffer: every
 * index is checked against `len`, so no input can read past the head.
 */
#include "http/parse.h"

#include <string.h>
#include <strings.h>

static int
is_tchar(unsigned char c)
{
	/* RFC 9110 token characters */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
is_vchar_or_ws(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int
eq_ci(const char *a, size_t alen, const char *b)
{
	return alen == strlen(b) && strncasecmp(a, b, alen) == 0;
}

/* Does a comma-separated header value contain token tok? */
static int
has_token(const char *v, size_t n, const char *tok)
{
	size_t i = 0;
	while (i < n) {
		size_t s, e;
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (eq_ci(v + s, e - s, tok))
			return 1;
	}
	return 0;
}

static int
parse_request_line(const char *buf, size_t end, struct http_head *h)
{
	size_t i = 0;

	while (i < end && is_tchar((unsigned char)buf[i]))
		i++;
	if (i == 0 || i > 16 || i >= end || buf[i] != ' ')
		return 400;
	h->method = buf;
	h->method_len = i;
	h->target = buf + ++i;
	while (i < end && buf[i] > 0x20 && buf[i] != 0x7f)
		i++;
	h->target_len = (size_t)(buf + i - h->target);
	if (h->target_len == 0 || h->target[0] != '/' || i >= end || buf[i] != ' ')
		return 400;
	i++;
	if (end - i != 8 || memcmp(buf + i, "HTTP/1.", 7) != 0)
		return (end - i >= 5 && memcmp(buf + i, "HTTP/", 5) == 0) ? 505 : 400;
	if (buf[i + 7] == '1')
		h->minor = 1;
	else if (buf[i + 7] == '0')
		h->minor = 0;
	else
		return 505;
	return 0;
}

static int
parse_length(const char *v, size_t n, long long *out)
{
	long long x = 0;
	if (n == 0 || n > 15)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	*out = x;
	return 0;
}

int
http_parse_head(const char *buf, size_t len, struct http_head *h)
{
	size_t pos, eol;
	int hosts = 0, conn_close = 0, conn_keep = 0;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	if (len < 4 || memcmp(buf + len - 4, "\r\n\r\n", 4) != 0)
		return 400;
	for (eol = 0; eol + 1 < len && !(buf[eol] == '\r' && buf[eol + 1] == '\n'); eol++)
		if (buf[eol] == '\n' || buf[eol] == '\r')
			return 400;
	{
		int st = parse_request_line(buf, eol, h);
		if (st != 0)
			return st;
	}
	pos = eol + 2;
	while (pos + 2 <= len && !(buf[pos] == '\r' && buf[pos + 1] == '\n')) {
		size_t colon, vs, ve;
		struct http_header *hd;

		for (eol = pos; eol + 1 < len && !(buf[eol] == '\r' && buf[eol + 1] == '\n'); eol++)
			if (buf[eol] == '\n' || buf[eol] == '\r' || buf[eol] == '\0')
				return 400;
		if (eol + 1 >= len)
			return 400;
		for (colon = pos; colon < eol && is_tchar((unsigned char)buf[colon]); colon++)
			;
		if (colon == pos || colon >= eol || buf[colon] != ':')
			return 400; /* also rejects obs-fold and space before the colon */
		vs = colon + 1;
		while (vs < eol && (buf[vs] == ' ' || buf[vs] == '\t'))
			vs++;
		ve = eol;
		while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
			ve--;
		for (size_t k = vs; k < ve; k++)
			if (!is_vchar_or_ws((unsigned char)buf[k]))
				return 400;
		if (h->nheaders == HTTP_MAX_HEADERS)
			return 431;
		hd = &h->headers[h->nheaders++];
		hd->name = buf + pos;
		hd->name_len = colon - pos;
		hd->value = buf + vs;
		hd->value_len = ve - vs;
		if (eq_ci(hd->name, hd->name_len, "content-length")) {
			if (h->content_length != -1 ||
			    parse_length(hd->value, hd->value_len, &h->content_length) == -1)
				return 400;
		} else if (eq_ci(hd->name, hd->name_len, "transfer-encoding")) {
			/* RFC 9112 §6.3: a body without Content-Length may be refused with
			 * 411; any other coding is one we do not implement. */
			return eq_ci(hd->value, hd->value_len, "chunked") ? 411 : 501;
		} else if (eq_ci(hd->name, hd->name_len, "host")) {
			hosts++;
		} else if (eq_ci(hd->name, hd->name_len, "connection")) {
			conn_close |= has_token(hd->value, hd->value_len, "close");
			conn_keep |= has_token(hd->value, hd->value_len, "keep-alive");
		} else if (eq_ci(hd->name, hd->name_len, "expect")) {
			if (!eq_ci(hd->value, hd->value_len, "100-continue"))
				return 400;
			h->expect_continue = 1;
		}
		pos = eol + 2;
	}
	if (pos + 2 != len)
		return 400;
	if (hosts > 1 || (h->minor == 1 && hosts != 1))
		return 400;
	h->keep_alive = h->minor == 1 ? !conn_close : (conn_keep && !conn_close);
	return 0;
}

const char *
http_head_get(const struct http_head *h, const char *name, size_t *len)
{
	for (size_t i = 0; i < h->nheaders; i++) {
		if (eq_ci(h->headers[i].name, h->headers[i].name_len, name)) {
			*len = h->headers[i].value_len;
			return h->headers[i].value;
		}
	}
	*len = 0;
	return NULL;
}

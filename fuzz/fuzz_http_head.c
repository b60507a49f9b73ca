/*
 * fuzz_http_head.c — libFuzzer harness for http_parse_head (src/http/parse.c).
 *
 * Every input is parsed twice: once exactly as given (most inputs lack the
 * final CRLF CRLF and must be refused) and once with "\r\n\r\n" appended
 * when it does not already end so, which lets the fuzzer reach the header
 * loop. Each buffer is a malloc'ed copy of exactly the bytes passed, so ASan
 * reports any read past the head. When the parser accepts, the result is
 * checked against the promises of parse.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_common.h"
#include "http/parse.h"

static int
inside(const char *buf, size_t len, const char *p, size_t n)
{
	return p >= buf && p <= buf + len && n <= (size_t)(buf + len - p);
}

static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
name_is(const struct http_header *hd, const char *name)
{
	return hd->name_len == strlen(name) && strncasecmp(hd->name, name, hd->name_len) == 0;
}

/* http_head_get must return the first header of that name, or NULL. */
static void
check_get(const struct http_head *h, const char *buf, size_t len, const char *name)
{
	size_t vlen = 12345;
	const char *v = http_head_get(h, name, &vlen);
	size_t i;

	for (i = 0; i < h->nheaders; i++)
		if (name_is(&h->headers[i], name))
			break;
	if (i == h->nheaders) {
		CHECK(v == NULL);
		CHECK(vlen == 0);
		return;
	}
	CHECK(v == h->headers[i].value);
	CHECK(vlen == h->headers[i].value_len);
	CHECK(inside(buf, len, v, vlen));
}

static void
check_head(const char *buf, size_t len, const struct http_head *h)
{
	int hosts = 0, lengths = 0;

	/* the request line */
	CHECK(len >= 4 && memcmp(buf + len - 4, "\r\n\r\n", 4) == 0);
	CHECK(h->method == buf);
	CHECK(h->method_len > 0 && h->method_len <= 16);
	CHECK(inside(buf, len, h->method, h->method_len));
	for (size_t i = 0; i < h->method_len; i++)
		CHECK(is_tchar((unsigned char)h->method[i]));
	CHECK(h->target_len > 0);
	CHECK(inside(buf, len, h->target, h->target_len));
	CHECK(h->target > h->method + h->method_len);
	CHECK(h->target[0] == '/');
	for (size_t i = 0; i < h->target_len; i++)
		CHECK((unsigned char)h->target[i] > 0x20 && h->target[i] != 0x7f);
	CHECK(h->minor == 0 || h->minor == 1);
	CHECK(h->keep_alive == 0 || h->keep_alive == 1);
	CHECK(h->expect_continue == 0 || h->expect_continue == 1);
	CHECK(h->content_length >= -1);
	CHECK(h->content_length <= 999999999999999LL); /* at most 15 digits */
	CHECK(h->nheaders <= HTTP_MAX_HEADERS);

	/* the header fields */
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http_header *hd = &h->headers[i];
		CHECK(hd->name_len > 0);
		CHECK(inside(buf, len, hd->name, hd->name_len));
		CHECK(inside(buf, len, hd->value, hd->value_len));
		CHECK(hd->name > h->target + h->target_len);
		CHECK(hd->value > hd->name + hd->name_len); /* after the colon */
		CHECK(hd->name[hd->name_len] == ':');
		for (size_t k = 0; k < hd->name_len; k++)
			CHECK(is_tchar((unsigned char)hd->name[k]));
		for (size_t k = 0; k < hd->value_len; k++) {
			unsigned char c = (unsigned char)hd->value[k];
			CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
		}
		if (hd->value_len > 0) {
			CHECK(hd->value[0] != ' ' && hd->value[0] != '\t');
			CHECK(hd->value[hd->value_len - 1] != ' ' &&
			      hd->value[hd->value_len - 1] != '\t');
		}
		if (i > 0)
			CHECK(hd->name > h->headers[i - 1].value + h->headers[i - 1].value_len);
		CHECK(!name_is(hd, "transfer-encoding"));
		if (name_is(hd, "host"))
			hosts++;
		if (name_is(hd, "content-length"))
			lengths++;
		if (name_is(hd, "expect"))
			CHECK(hd->value_len == 12 &&
			      strncasecmp(hd->value, "100-continue", 12) == 0);
	}
	CHECK(hosts <= 1);
	if (h->minor == 1)
		CHECK(hosts == 1);
	CHECK(lengths <= 1);
	CHECK((lengths == 0) == (h->content_length == -1));
	if (lengths == 1) {
		size_t vlen;
		const char *v = http_head_get(h, "Content-Length", &vlen);
		long long x = 0;
		CHECK(v != NULL && vlen > 0 && vlen <= 15);
		for (size_t k = 0; k < vlen; k++) {
			CHECK(v[k] >= '0' && v[k] <= '9');
			x = x * 10 + (v[k] - '0');
		}
		CHECK(x == h->content_length);
	}

	check_get(h, buf, len, "Host");
	check_get(h, buf, len, "content-length");
	check_get(h, buf, len, "CONNECTION");
	check_get(h, buf, len, "Expect");
	check_get(h, buf, len, "X-Not-There");
	check_get(h, buf, len, "");
	if (h->nheaders > 0) {
		/* the last header's own name (NUL-terminated copy) finds a header */
		char name[64];
		const struct http_header *hd = &h->headers[h->nheaders - 1];
		if (hd->name_len < sizeof(name)) {
			memcpy(name, hd->name, hd->name_len);
			name[hd->name_len] = '\0';
			check_get(h, buf, len, name);
		}
	}
}

static void
run(const char *buf, size_t len)
{
	struct http_head h;
	int st = http_parse_head(buf, len, &h);

	CHECK(st == 0 || st == 400 || st == 411 || st == 431 || st == 501 || st == 505);
	if (st == 0)
		check_head(buf, len, &h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	int terminated = size >= 4 && memcmp(data + size - 4, "\r\n\r\n", 4) == 0;

	/* 1. exactly the input */
	buf = malloc(size); /* malloc(0) is a valid zero-byte block under ASan */
	if (buf == NULL && size > 0)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	run(buf, size);
	free(buf);

	/* 2. the input with the blank line that ends a head */
	if (!terminated) {
		buf = malloc(size + 4);
		if (buf == NULL)
			return 0;
		if (size > 0)
			memcpy(buf, data, size);
		memcpy(buf + size, "\r\n\r\n", 4);
		run(buf, size + 4);
		free(buf);
	}
	return 0;
}

/* The HTTP/1.1 head parser: what it accepts, and every smuggling-prone form it refuses. */
#include "cmocka_all.h"

#include <stdio.h>
#include <string.h>

#include "http/parse.h"

static int
parse(const char *s, struct http_head *h)
{
	return http_parse_head(s, strlen(s), h);
}

static void
a_plain_get_parses(void **state)
{
	struct http_head h;
	size_t n;
	const char *v;
	(void)state;
	assert_int_equal(
	    parse("GET /healthz?x=1 HTTP/1.1\r\nHost: localhost\r\nX-A:  b c \r\n\r\n", &h), 0);
	assert_int_equal(h.method_len, 3);
	assert_memory_equal(h.method, "GET", 3);
	assert_int_equal(h.target_len, strlen("/healthz?x=1"));
	assert_int_equal(h.minor, 1);
	assert_int_equal(h.content_length, -1);
	assert_true(h.keep_alive);
	v = http_head_get(&h, "x-a", &n);
	assert_non_null(v);
	assert_int_equal(n, 3);
	assert_memory_equal(v, "b c", 3);
	assert_null(http_head_get(&h, "x-b", &n));
}

static void
content_length_and_connection_are_read(void **state)
{
	struct http_head h;
	(void)state;
	assert_int_equal(parse("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 42\r\n"
	                       "Connection: close\r\nExpect: 100-continue\r\n\r\n",
	                       &h),
	                 0);
	assert_int_equal(h.content_length, 42);
	assert_false(h.keep_alive);
	assert_true(h.expect_continue);
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &h), 0);
	assert_false(h.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &h), 0);
	assert_true(h.keep_alive);
}

static void
ambiguous_requests_are_refused(void **state)
{
	struct http_head h;
	(void)state;
	/* bare LF */
	assert_int_equal(parse("GET / HTTP/1.1\nHost: x\r\n\r\n", &h), 400);
	/* obs-fold */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", &h), 400);
	/* space before the colon */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost : x\r\n\r\n", &h), 400);
	/* two Content-Lengths, even equal ones */
	assert_int_equal(
	    parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
	          &h),
	    400);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n", &h),
	                 400);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n", &h),
	                 400);
	/* Transfer-Encoding is not accepted on requests: chunked needs Content-Length instead */
	assert_int_equal(
	    parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", &h), 411);
	assert_int_equal(
	    parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", &h),
	    501);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "
	                       "3\r\nTransfer-Encoding: chunked\r\n\r\n",
	                       &h),
	                 411);
	/* Host missing or doubled */
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n", &h), 400);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &h), 400);
	/* control characters in a value */
	assert_int_equal(http_parse_head("GET / HTTP/1.1\r\nHost: a\001b\r\n\r\n", 26, &h), 400);
	/* absolute-form, asterisk, lower-case version, HTTP/2 */
	assert_int_equal(parse("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", &h), 400);
	assert_int_equal(parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", &h), 400);
	assert_int_equal(parse("GET / http/1.1\r\nHost: x\r\n\r\n", &h), 400);
	assert_int_equal(parse("GET / HTTP/2.0\r\nHost: x\r\n\r\n", &h), 505);
	assert_int_equal(parse("GET / HTTP/1.2\r\nHost: x\r\n\r\n", &h), 505);
	/* unterminated */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n", &h), 400);
	assert_int_equal(parse("", &h), 400);
}

static void
too_many_headers_is_431(void **state)
{
	char buf[8192];
	struct http_head h;
	size_t n;
	(void)state;
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < HTTP_MAX_HEADERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: y\r\n", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	assert_int_equal(http_parse_head(buf, n, &h), 431);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_plain_get_parses),
	    cmocka_unit_test(content_length_and_connection_are_read),
	    cmocka_unit_test(ambiguous_requests_are_refused),
	    cmocka_unit_test(too_many_headers_is_431),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

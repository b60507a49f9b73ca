/*
 * parse.h — the HTTP/1.1 request head parser (RFC 9112), strict on purpose.
 *
 * Input is the bytes of one request head up to and including the blank line
 * (CRLF CRLF). The parser accepts only what an honest client sends and
 * refuses everything that two HTTP implementations could read differently
 * (the root of request smuggling): bare LF line ends, obsolete line folding,
 * whitespace before a header's colon, duplicate or malformed Content-Length,
 * any Transfer-Encoding on a request, control characters in values, and
 * HTTP/1.1 requests without exactly one Host.
 *
 * The result points into the caller's buffer; nothing is allocated.
 */
#ifndef SLATE_HTTP_PARSE_H
#define SLATE_HTTP_PARSE_H

#include <stddef.h>

#define HTTP_MAX_HEADERS 64

struct http_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct http_head {
	const char *method;
	size_t method_len;
	const char *target; /* origin-form: starts with '/' */
	size_t target_len;
	int minor;                /* HTTP/1.<minor>: 0 or 1 */
	long long content_length; /* -1 when absent */
	int keep_alive;           /* per version and Connection */
	int expect_continue;      /* Expect: 100-continue */
	size_t nheaders;
	struct http_header headers[HTTP_MAX_HEADERS];
};

/*
 * Parses buf[0..len), which must end with CRLF CRLF. Returns 0 and fills h,
 * or returns the HTTP status to refuse with: 400 (malformed), 411 (a chunked
 * body: send Content-Length), 431 (too many headers), 501 (another
 * Transfer-Encoding), 505 (not HTTP/1.x).
 */
int http_parse_head(const char *buf, size_t len, struct http_head *h);

/* Case-insensitive header lookup; NULL when absent. Sets *len. */
const char *http_head_get(const struct http_head *h, const char *name, size_t *len);

#endif

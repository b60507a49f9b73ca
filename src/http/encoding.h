/*
 * encoding.h — compressed answers: which clients take gzip, and gzipping
 * the answer of a route that may be compressed (ROUTE_GZIP).
 *
 * Why only some routes: compression leaks the length of what was
 * compressed, and an answer that holds a secret (a CSRF token, a one-time
 * token, a TOTP secret) beside text an attacker chose can be guessed a
 * byte at a time from its compressed length (BREACH). A route is marked
 * ROUTE_GZIP only when its answer holds no secret at all (a call sheet);
 * every other answer goes out as it is.
 */
#ifndef SLATE_HTTP_ENCODING_H
#define SLATE_HTTP_ENCODING_H

#include <stddef.h>

struct http_req;
struct evbuffer;

/*
 * 1 when an Accept-Encoding value (NULL: none) accepts gzip (RFC 9110
 * §12.5.3): "gzip" or "x-gzip" with a weight above zero, or else "*" with
 * one; "gzip;q=0" refuses it.
 */
int http_accepts_gzip(const char *v, size_t len);

/*
 * For a ROUTE_GZIP route's successful answer of at least HTTP_GZIP_MIN
 * bytes to a client that takes gzip: a new buffer holding body gzipped
 * (the caller frees it), with Content-Encoding and Vary added to the
 * answer's headers. NULL when the answer goes as it is (Vary is still
 * added for a ROUTE_GZIP route).
 */
#define HTTP_GZIP_MIN 1024
struct evbuffer *http_gzip_answer(struct http_req *r, int status, struct evbuffer *body);

#endif

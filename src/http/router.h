/*
 * router.h — method + path pattern → handler.
 *
 * Patterns are literal segments and {name} parameters:
 * "/api/v1/productions/{id}/members". A parameter matches one non-empty
 * segment; its value is percent-decoded and may not contain '/', NUL or
 * control characters. A parameter may end its segment with a literal
 * suffix ("{cid}.pdf" matches "cs_1.pdf" with cid "cs_1"; list such a route
 * before the plain "{cid}" one, which would take "cs_1.pdf" whole). A ROUTE_TAIL route's last
 * parameter takes every segment left ("js/app.js"), each decoded alike. HEAD is answered by the GET
 * route (the body is dropped on the way out). A path that matches some route but not its method
 * gives 405 with the Allow list; no match at all gives 404.
 *
 * Pure code: no I/O, no allocation.
 */
#ifndef SLATE_HTTP_ROUTER_H
#define SLATE_HTTP_ROUTER_H

#include <stddef.h>

struct http_req;
typedef void (*http_handler)(struct http_req *r);
/* What the layer above declares a route needs (api/call.h); the router only carries it. */
struct route_decl;

enum route_flags {
	ROUTE_JSON_BODY = 1 << 0,  /* requires Content-Type: application/json */
	ROUTE_PUBLIC = 1 << 1,     /* no session needed; every other route authenticates */
	ROUTE_PENDING_OK = 1 << 2, /* reachable while the account must change its password */
	/* a raw body of up to upload_max_bytes, streamed to a sink its before_body hook sets */
	ROUTE_UPLOAD = 1 << 3,
	/* a raw body kept whole in memory, of up to HTTP_IMPORT_MAX_BYTES (capped by
	   upload_max_bytes) */
	ROUTE_IMPORT = 1 << 4,
	/* refused to API tokens: a signed-in session with a second factor is needed (granting
	   roles, inviting, production security settings) */
	ROUTE_SESSION_ONLY = 1 << 5,
	/* the pattern's last segment, a {name} parameter, takes the rest of the path: one or more
	   segments, each decoded like a parameter, joined by '/' (the web app's assets) */
	ROUTE_TAIL = 1 << 6,
	/* the answer holds no secret, so it may go gzipped to a client that takes it
	   (http/encoding.h says why only then) */
	ROUTE_GZIP = 1 << 7,
};

struct route {
	const char *method;
	const char *pattern;
	http_handler handler;
	unsigned flags;
	const struct route_decl *decl; /* NULL: the handler checks everything itself */
};

#define ROUTER_MAX_PARAMS 4
#define ROUTER_PARAM_MAX  128

struct route_match {
	const struct route *route;
	int index; /* position in the table, for metrics */
	size_t nparams;
	struct {
		char name[32];
		char value[ROUTER_PARAM_MAX];
	} params[ROUTER_MAX_PARAMS];
	char allow[96]; /* for 405: "GET, HEAD, POST" */
};

/* Returns 200 (m->route set), 404 or 405 (m->allow set). path excludes the query. */
int router_match(const struct route *table, size_t n, const char *method, size_t method_len,
                 const char *path, size_t path_len, struct route_match *m);

/*
 * Finds name=value in a query string (a&b&c, NULL for none) and decodes the
 * value into out like a route parameter (no '/', no control characters).
 * 1 found, 0 absent, -1 malformed or longer than cap - 1.
 */
int router_query_param(const char *query, const char *name, char *out, size_t cap);

/* The value of parameter name, or NULL. */
const char *router_param(const struct route_match *m, const char *name);

#endif

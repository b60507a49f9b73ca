/*
 * fuzz_router.c — libFuzzer harness for router_match (src/http/router.c).
 *
 * The input is "METHOD PATH": split at the first space (no space: all of it
 * is the method and the path is empty). Method and path are each copied to
 * a heap block of exactly their length, with no NUL after them, so ASan
 * reports any read past either. The result is checked against router.h: the
 * status is 200, 404 or 405; a 200 names a route of this table whose method
 * fits and whose parameters are decoded, NUL-terminated values free of '/'
 * and control characters (compared with an independent decoder), but for
 * a ROUTE_TAIL route's last one, which is the rest of the path, decoded
 * segment by segment, its literal '/' only between non-empty segments; a 405
 * carries a non-empty Allow list that does not name the request's method.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "http/router.h"

static void
dummy(struct http_req *r)
{
	(void)r;
}

static const struct route routes[] = {
    {"GET", "/healthz", dummy, 0, NULL},
    {"GET", "/api/v1/productions/{id}", dummy, ROUTE_PUBLIC, NULL},
    {"POST", "/api/v1/productions/{id}/members/{member}", dummy, ROUTE_JSON_BODY | ROUTE_PUBLIC,
     NULL},
    {"DELETE", "/api/v1/productions/{id}", dummy, ROUTE_PUBLIC, NULL},
    {"GET", "/assets/{version}/{path}", dummy, ROUTE_PUBLIC | ROUTE_TAIL, NULL},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reference percent-decoder: 1 and the decoded bytes in out, 0 when not decodable. */
static int
ref_decode(const char *s, size_t n, char *out, size_t *outlen)
{
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (n - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return 0;
			out[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			out[j++] = s[i];
		}
	}
	*outlen = j;
	return 1;
}

static int
is_param(const char *seg, size_t n)
{
	return n >= 2 && seg[0] == '{' && seg[n - 1] == '}';
}

/* On 200: walk pattern and path side by side and compare every parameter. */
static void
check_params(const struct route *rt, const char *path, size_t path_len, const struct route_match *m)
{
	const char *p = rt->pattern;
	size_t i = 0, np = 0;

	while (*p != '\0') {
		const char *pe;
		size_t ps, plen, ss, slen;
		int tail;

		CHECK(*p == '/');
		CHECK(i < path_len && path[i] == '/');
		p++;
		i++;
		for (pe = p; *pe != '\0' && *pe != '/'; pe++)
			;
		plen = (size_t)(pe - p);
		ps = (size_t)(p - rt->pattern);
		tail = (rt->flags & ROUTE_TAIL) && *pe == '\0' && is_param(p, plen);
		for (ss = i; i < path_len && (tail || path[i] != '/'); i++)
			;
		slen = i - ss;
		if (is_param(p, plen)) {
			const char *v;
			char dec[ROUTER_PARAM_MAX * 3];
			size_t dlen = 0;

			CHECK(np < m->nparams);
			v = m->params[np].value;
			/* NUL-terminated within the array, non-empty */
			CHECK(memchr(v, '\0', ROUTER_PARAM_MAX) != NULL);
			CHECK(v[0] != '\0');
			for (const char *q = v; *q; q++) {
				unsigned char c = (unsigned char)*q;
				CHECK((tail || c != '/') && c >= 0x20 && c != 0x7f);
				if (c == '/') /* a tail's separator: between non-empty segments */
					CHECK(q > v && q[-1] != '/' && q[1] != '\0');
			}
			/* the name is the pattern's, braces dropped */
			CHECK(strlen(m->params[np].name) == plen - 2);
			CHECK(memcmp(m->params[np].name, rt->pattern + ps + 1, plen - 2) == 0);
			CHECK(router_param(m, m->params[np].name) != NULL);
			/* the value is the percent-decoded segment */
			CHECK(slen > 0 && slen < sizeof(dec));
			/* each raw segment decoded on its own (a tail has several), none to a '/'
			 */
			for (size_t a = ss, b; a <= ss + slen; a = b + 1) {
				size_t piece;
				for (b = a; b < ss + slen && path[b] != '/'; b++)
					;
				CHECK(b > a);
				CHECK(ref_decode(path + a, b - a, dec + dlen, &piece));
				CHECK(memchr(dec + dlen, '/', piece) == NULL);
				dlen += piece;
				if (b < ss + slen)
					dec[dlen++] = '/';
			}
			CHECK(dlen == strlen(v));
			CHECK(memcmp(dec, v, dlen) == 0);
			np++;
		} else {
			CHECK(slen == plen && memcmp(path + ss, p, plen) == 0);
		}
		p = pe;
	}
	CHECK(i == path_len);
	CHECK(np == m->nparams);
	CHECK(router_param(m, "no-such-param") == NULL);
}

static int
method_is(const char *method, size_t method_len, const char *name)
{
	return method_len == strlen(name) && memcmp(method, name, method_len) == 0;
}

/* On 405: Allow is a ", "-separated list of this table's methods, not the request's. */
static void
check_allow(const struct route_match *m, const char *method, size_t method_len)
{
	const char *a = m->allow;

	CHECK(memchr(m->allow, '\0', sizeof(m->allow)) != NULL);
	CHECK(a[0] != '\0');
	CHECK(m->route == NULL);
	while (*a != '\0') {
		size_t n = strcspn(a, ",");
		int known = 0;
		for (size_t r = 0; r < NROUTES; r++)
			known |=
			    n == strlen(routes[r].method) && memcmp(a, routes[r].method, n) == 0;
		known |= n == 4 && memcmp(a, "HEAD", 4) == 0;
		CHECK(known);
		CHECK(!(n == method_len && memcmp(a, method, n) == 0));
		a += n;
		if (*a == ',') {
			CHECK(a[1] == ' ');
			a += 2;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sp = memchr(data, ' ', size);
	size_t method_len = sp ? (size_t)(sp - data) : size;
	size_t path_len = sp ? size - method_len - 1 : 0;
	char *method, *path;
	struct route_match m;
	int st;

	method = malloc(method_len);
	path = malloc(path_len);
	if ((method == NULL && method_len > 0) || (path == NULL && path_len > 0)) {
		free(method);
		free(path);
		return 0;
	}
	if (method_len > 0)
		memcpy(method, data, method_len);
	if (path_len > 0)
		memcpy(path, sp + 1, path_len);

	st = router_match(routes, NROUTES, method, method_len, path, path_len, &m);
	CHECK(st == 200 || st == 404 || st == 405);
	CHECK(m.nparams <= ROUTER_MAX_PARAMS);
	if (st == 200) {
		const struct route *rt = m.route;
		CHECK(rt != NULL);
		CHECK(m.index >= 0 && (size_t)m.index < NROUTES && rt == &routes[m.index]);
		CHECK(method_is(method, method_len, rt->method) ||
		      (method_is(method, method_len, "HEAD") && strcmp(rt->method, "GET") == 0));
		check_params(rt, path, path_len, &m);
	} else if (st == 405) {
		check_allow(&m, method, method_len);
	} else {
		CHECK(m.route == NULL);
		CHECK(m.allow[0] == '\0');
	}
	/* HEAD answers exactly where GET does */
	if (method_is(method, method_len, "GET")) {
		struct route_match mh;
		int sth = router_match(routes, NROUTES, "HEAD", 4, path, path_len, &mh);
		CHECK(sth == st);
		if (st == 200)
			CHECK(mh.route == m.route);
	}

	free(method);
	free(path);
	return 0;
}

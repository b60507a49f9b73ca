/*
 * router.c — see router.h. A linear walk of the table: Slate has tens of
 * routes, and a walk over them costs less than hashing the path.
 */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

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

/*
 * Decodes one segment into out; -1 when malformed or not a safe value. With
 * tail, a literal '/' between non-empty segments is kept (an encoded one
 * never is).
 */
static int
decode(const char *s, size_t n, char *out, size_t cap, int tail)
{
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (tail && c == '/') {
			if (j == 0 || out[j - 1] == '/' || i + 1 == n || j + 1 >= cap)
				return -1; /* an empty segment */
			out[j++] = '/';
			continue;
		}
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return -1;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || c == '/')
			return -1;
		if (j + 1 >= cap)
			return -1;
		out[j++] = (char)c;
	}
	out[j] = '\0';
	return 0;
}

int
router_query_param(const char *query, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = query;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=')
			return decode(p + nl + 1, len - nl - 1, out, cap, 0) == -1 ? -1 : 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/*
 * Matches path against pattern; fills params when m != NULL. The literal
 * segments are compared first and the parameters decoded only once the
 * whole shape matches: most routes share the /api/v1/productions/{id}
 * prefix, and every request is walked past most of them.
 */
static int
match_path(const char *pattern, int tail, const char *path, size_t path_len, struct route_match *m)
{
	struct {
		const char *name, *value;
		size_t name_len, value_len;
	} seen[ROUTER_MAX_PARAMS];
	const char *p = pattern;
	size_t i = 0;
	size_t np = 0;

	while (*p != '\0') {
		const char *pe;
		size_t seg_start, seg_len;

		if (*p != '/' || i >= path_len || path[i] != '/')
			return 0;
		p++;
		i++;
		pe = p;
		while (*pe != '\0' && *pe != '/')
			pe++;
		seg_start = i;
		if (tail && *p == '{' && *pe == '\0')
			i = path_len; /* the last parameter of a ROUTE_TAIL route: the rest */
		while (i < path_len && path[i] != '/')
			i++;
		seg_len = i - seg_start;
		if (*p == '{') {
			/* "{cid}.pdf": a parameter, then a literal tail of the same segment */
			const char *close = memchr(p, '}', (size_t)(pe - p));
			size_t suffix = close != NULL ? (size_t)(pe - close) - 1 : 0;
			if (close == NULL || seg_len <= suffix || np == ROUTER_MAX_PARAMS ||
			    memcmp(path + seg_start + seg_len - suffix, close + 1, suffix) != 0)
				return 0;
			seen[np].name = p + 1;
			seen[np].name_len = (size_t)(close - p) - 1;
			seen[np].value = path + seg_start;
			seen[np].value_len = seg_len - suffix;
			np++;
		} else if (seg_len != (size_t)(pe - p) ||
		           memcmp(path + seg_start, p, seg_len) != 0) {
			return 0;
		}
		p = pe;
	}
	if (i != path_len)
		return 0;
	for (size_t k = 0; k < np; k++) {
		char scratch[ROUTER_PARAM_MAX];
		char *value = m != NULL ? m->params[k].value : scratch;
		/* validated whether or not it is kept, so 404 and 405 agree */
		if (decode(seen[k].value, seen[k].value_len, value, ROUTER_PARAM_MAX,
		           tail && k + 1 == np) == -1)
			return 0;
		if (m != NULL)
			snprintf(m->params[k].name, sizeof(m->params[k].name), "%.*s",
			         (int)seen[k].name_len, seen[k].name);
	}
	if (m != NULL)
		m->nparams = np;
	return 1;
}

static void
allow_add(char *allow, size_t cap, const char *method)
{
	size_t n = strlen(allow);
	if (strstr(allow, method) != NULL)
		return;
	snprintf(allow + n, cap - n, "%s%s", n ? ", " : "", method);
}

int
router_match(const struct route *table, size_t n, const char *method, size_t method_len,
             const char *path, size_t path_len, struct route_match *m)
{
	int path_seen = 0;
	int head = method_len == 4 && memcmp(method, "HEAD", 4) == 0;

	memset(m, 0, sizeof(*m));
	m->index = -1;
	for (size_t r = 0; r < n; r++) {
		const char *rm = table[r].method;
		size_t rl = strlen(rm);
		int same = (rl == method_len && memcmp(rm, method, rl) == 0) ||
		           (head && strcmp(rm, "GET") == 0);
		if (same && match_path(table[r].pattern, (table[r].flags & ROUTE_TAIL) != 0, path,
		                       path_len, m)) {
			m->route = &table[r];
			m->index = (int)r;
			return 200;
		}
		m->nparams = 0;
	}
	/* no route of this method: 405 with the methods the path has, or 404 */
	for (size_t r = 0; r < n; r++) {
		if (match_path(table[r].pattern, (table[r].flags & ROUTE_TAIL) != 0, path, path_len,
		               NULL)) {
			path_seen = 1;
			allow_add(m->allow, sizeof(m->allow), table[r].method);
			if (strcmp(table[r].method, "GET") == 0)
				allow_add(m->allow, sizeof(m->allow), "HEAD");
		}
	}
	return path_seen ? 405 : 404;
}

const char *
router_param(const struct route_match *m, const char *name)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	return NULL;
}

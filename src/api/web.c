/*
 * web.c — the browser app, served from the binary (api/web.h holds the
 * table scripts/embed writes).
 *
 * Three kinds of answer, all public (the app asks the API for everything a
 * person may see; these bytes are the same for everyone):
 *   - every app path ("/", "/sign-in", "/callsheet", …) answers index.html,
 *     and /sw.js the service worker: both `Cache-Control: no-store`, so a
 *     new release is picked up on the next load;
 *   - /assets/<web_version>/<path> answers the file at that path,
 *     `Cache-Control: public, max-age=31536000, immutable`: its URL changes
 *     whenever any file of the app does. Only the exact path of a file in
 *     the table is served: another version, "..", an encoded dot, a
 *     directory or an unknown name is 404, and nothing is read from disk.
 * Every answer carries the app's own Content-Security-Policy (WEB_CSP,
 * docs/SECURITY.md says why each directive) and `Vary: Accept-Encoding`:
 * a client whose Accept-Encoding takes gzip gets the stored gzip copy
 * with `Content-Encoding: gzip`.
 *
 * The bytes are static: the answer refers to them (evbuffer_add_reference)
 * and copies nothing here; the server copies a small answer once behind
 * its head (http_end_reply_buffer) and sends a larger one from the
 * reference.
 */
#include "api/web.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "api/call.h"
#include "http/server.h"

#define WEB_CSP                                                                                    \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; "         \
	"frame-ancestors 'none'; base-uri 'none'; require-trusted-types-for 'script'; "            \
	"trusted-types slate"

static int
by_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct web_file *)elem)->path);
}

const struct web_file *
web_find(const char *path)
{
	return bsearch(path, web_files, web_nfiles, sizeof(web_files[0]), by_path);
}

/* 1 when s[0..n) is token, ignoring case. */
static int
token_is(const char *s, size_t n, const char *token)
{
	return n == strlen(token) && strncasecmp(s, token, n) == 0;
}

/*
 * The weight of one Accept-Encoding element's parameters (";q=0.5"): 0 when
 * q is zero ("0", "0.", "0.000"), 1 otherwise (absent, malformed or above
 * zero: a weight that does not parse is not a refusal).
 */
static int
weight_above_zero(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t start, end;
		while (i < n && (s[i] == ';' || s[i] == ' ' || s[i] == '\t'))
			i++;
		start = i;
		while (i < n && s[i] != ';')
			i++;
		end = i;
		while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
			end--;
		if (end - start >= 2 && (s[start] == 'q' || s[start] == 'Q') &&
		    s[start + 1] == '=') {
			size_t k = start + 2;
			if (k < end && s[k] == '0') {
				k++;
				if (k < end && s[k] == '.')
					k++;
				while (k < end && s[k] == '0')
					k++;
				if (k == end)
					return 0;
			}
			return 1;
		}
	}
	return 1;
}

int
web_accepts_gzip(const char *v, size_t len)
{
	int gzip = -1, star = -1; /* -1 not named, else the weight's verdict */
	size_t i = 0;

	if (v == NULL)
		return 0;
	while (i < len) {
		size_t start, end, semi;
		while (i < len && (v[i] == ',' || v[i] == ' ' || v[i] == '\t'))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		semi = start;
		while (semi < i && v[semi] != ';')
			semi++;
		end = semi;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (token_is(v + start, end - start, "gzip") ||
		    token_is(v + start, end - start, "x-gzip")) {
			if (gzip != 0) /* a refusal anywhere stands */
				gzip = weight_above_zero(v + semi, i - semi);
		} else if (token_is(v + start, end - start, "*")) {
			if (star != 0)
				star = weight_above_zero(v + semi, i - semi);
		}
	}
	return gzip != -1 ? gzip : star == 1;
}

static void
answer(struct http_req *r, const struct web_file *f, const char *cache)
{
	size_t alen = 0;
	const char *ae = http_req_header(r, "Accept-Encoding", &alen);
	int gz = f->gz != NULL && web_accepts_gzip(ae, alen);
	struct evbuffer *b = evbuffer_new();

	/* static bytes: referred to, never copied here or freed */
	if (b == NULL || evbuffer_add_reference(b, gz ? f->gz : f->data, gz ? f->gz_len : f->len,
	                                        NULL, NULL) == -1) {
		if (b != NULL)
			evbuffer_free(b);
		http_end_problem(r, 503, "the server is short of memory; try again");
		return;
	}
	http_add_header(r, "Content-Security-Policy", WEB_CSP);
	http_add_header(r, "Cache-Control", cache);
	http_add_header(r, "Vary", "Accept-Encoding");
	if (gz)
		http_add_header(r, "Content-Encoding", "gzip");
	http_end_reply_buffer(r, 200, f->type, b);
	evbuffer_free(b);
}

static const char no_store[] = "no-store";
static const char immutable[] = "public, max-age=31536000, immutable";

void
web_page(struct api_call *c)
{
	const struct web_file *f = web_find("index.html");
	assert(f != NULL && !f->asset); /* scripts/embed refuses a web/ without it */
	answer(c->r, f, no_store);
}

void
web_worker(struct api_call *c)
{
	const struct web_file *f = web_find("sw.js");
	assert(f != NULL && !f->asset);
	answer(c->r, f, no_store);
}

void
web_asset(struct api_call *c)
{
	struct http_req *r = c->r;
	const char *version = router_param(&r->match, "version");
	const char *path = router_param(&r->match, "path");
	const struct web_file *f;

	if (version == NULL || path == NULL || strcmp(version, web_version) != 0 ||
	    (f = web_find(path)) == NULL || !f->asset) {
		http_end_problem(r, 404, "there is nothing at this address");
		return;
	}
	answer(r, f, immutable);
}

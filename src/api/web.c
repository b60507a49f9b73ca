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
#include "http/encoding.h"
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

static void
answer(struct http_req *r, const struct web_file *f, const char *cache)
{
	size_t alen = 0;
	const char *ae = http_req_header(r, "Accept-Encoding", &alen);
	int gz = f->gz != NULL && http_accepts_gzip(ae, alen);
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

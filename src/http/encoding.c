/*
 * encoding.c — see encoding.h. gzip through zlib's deflate (level 6, its
 * default: most of level 9's gain for a fraction of the work). zlib's
 * working memory comes from the request's arena, so it is wiped with the
 * request (it held the answer's text); so is the compressed copy, made in
 * the arena before it is handed to the connection.
 */
#include "http/encoding.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include <event2/buffer.h>

#include "http/server.h"

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
http_accepts_gzip(const char *v, size_t len)
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

static voidpf
arena_zalloc(voidpf opaque, uInt items, uInt size)
{
	return http_req_alloc(opaque, (size_t)items * size);
}

static void
arena_zfree(voidpf opaque, voidpf address)
{
	(void)opaque; /* the request's arena frees (and wipes) it when the request ends */
	(void)address;
}

struct evbuffer *
http_gzip_answer(struct http_req *r, int status, struct evbuffer *body)
{
	size_t alen = 0, len = body ? evbuffer_get_length(body) : 0;
	const char *ae;
	z_stream z;
	unsigned char *in, *out;
	uLong bound;
	struct evbuffer *gz;

	if (r->match.route == NULL || !(r->match.route->flags & ROUTE_GZIP))
		return NULL;
	http_add_header(r, "Vary", "Accept-Encoding");
	ae = http_req_header(r, "Accept-Encoding", &alen);
	if (status != 200 || len < HTTP_GZIP_MIN || len > UINT32_MAX ||
	    !http_accepts_gzip(ae, alen))
		return NULL;
	memset(&z, 0, sizeof(z));
	z.zalloc = arena_zalloc;
	z.zfree = arena_zfree;
	z.opaque = r;
	/* windowBits 15 + 16: a gzip wrapper, not zlib's own */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return NULL;
	bound = deflateBound(&z, (uLong)len);
	in = evbuffer_pullup(body, -1);
	out = http_req_alloc(r, bound);
	z.next_in = in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)bound;
	if (in == NULL || deflate(&z, Z_FINISH) != Z_STREAM_END || (gz = evbuffer_new()) == NULL) {
		deflateEnd(&z);
		return NULL;
	}
	deflateEnd(&z);
	if (evbuffer_add(gz, out, z.total_out) == -1) {
		evbuffer_free(gz);
		return NULL;
	}
	http_add_header(r, "Content-Encoding", "gzip");
	return gz;
}

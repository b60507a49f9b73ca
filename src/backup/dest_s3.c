/*
 * dest_s3.c — the S3-compatible backup destination (dest.h): AWS S3, MinIO,
 * Ceph RGW, Garage, s3rver in the tests.
 *
 * Requests. Path-style URLs, ENDPOINT/BUCKET/PREFIX/NAME, each path segment
 * URI-encoded (RFC 3986 unreserved characters kept, every other byte %XX),
 * the same string in the URL and in the signature. One libcurl easy handle
 * per request (the destination is not shared between threads):
 *   put   PUT, the whole object in one request (S3 never shows part of a
 *         PUT), streamed from the file after a first pass that hashes it;
 *   get   GET into LOCAL.tmp-XXXXXX, renamed over LOCAL on a 2xx answer;
 *         404 NoSuchKey is "not found" (1), any other 404 (NoSuchBucket)
 *         an error;
 *   list  GET /BUCKET?list-type=2&prefix=PREFIX[&continuation-token=T],
 *         page after page while IsTruncated;
 *   del   DELETE (S3 answers 204 whether or not the object was there).
 * HTTPS only, peer and host verified, TLS 1.2 at least, s3_ca_file for a
 * self-hosted endpoint's own CA; plain http:// is accepted only for
 * 127.0.0.1, localhost and [::1] (tests, or a store on the same machine).
 * No redirect is followed. s3_timeout bounds the connect and any stretch
 * with no byte moving either way (not the whole transfer: a snapshot may
 * take long on a slow link, but never stands still that long).
 *
 * Signing. Slate signs every request itself (AWS Signature Version 4,
 * header form, signed headers host;x-amz-content-sha256;x-amz-date, the
 * payload's SHA-256 in x-amz-content-sha256) rather than with libcurl's
 * CURLOPT_AWS_SIGV4: libcurl reads the time from the clock, so its
 * signature cannot be checked against a fixed known answer, and 7.88 needs
 * the payload hash set by the caller anyway. Ours takes the time as input
 * and is tested against AWS's published test vector and against an
 * independent computation in node (tests/api/s3_dest.test.mjs).
 *
 * Errors name the operation, the object and the answer: "s3://b/p: PUT
 * snapshots/x.db: HTTP 404 NoSuchBucket", or what libcurl says about the
 * connection; never the secret, the signature or the Authorization header
 * (libcurl is not asked to be verbose).
 *
 * Credentials: s3_credentials_file, mode 0600 or stricter and owned by the
 * user running Slate (as the master key file), holds either two lines, the
 * access key id then the secret access key, or the lines
 * access_key_id=… and secret_access_key=… (blank lines and lines starting
 * with '#' skipped). The secret lives in guarded memory from the read on.
 *
 * The list parser reads only <Contents><Key>/<Size>, <IsTruncated> and
 * <NextContinuationToken> out of the answer, by plain substring search over
 * an exact length (never past it), decoding the five XML entities and
 * numeric references to ASCII; keys are at most 1024 bytes (S3's limit),
 * sizes at most 18 digits, the token at most 1024 bytes. Anything else is
 * an error: it never guesses. fuzz/fuzz_s3list.c holds it to that.
 */
#include "backup/dest.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/dest_int.h"
#include "util/io.h"
#include "util/xalloc.h"

#define EMPTY_SHA256   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define KEY_MAX        1024
#define ANSWER_MAX     ((size_t)8 * 1024 * 1024)
#define CRED_FILE_MAX  4096
#define KEY_ID_MAX     128
#define SECRET_KEY_MAX 256

/* ---- hashing and signing */

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
		abort();
	hex(md, 32, out);
}

static void
hmac(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
	unsigned int len = 0;
	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out,
	         &len) == NULL ||
	    len != 32)
		abort();
}

int
dest_sigv4_authorization(const struct sigv4_request *r, char *out, size_t outlen)
{
	char date[9], creq_hash[65], sig[65];
	unsigned char k[32], k2[32];
	const char *signed_headers =
	    r->sign_content_sha256 ? "host;x-amz-content-sha256;x-amz-date" : "host;x-amz-date";
	char *creq, *scope, *sts, *ksecret;
	int n;

	if (strlen(r->amz_date) != 16)
		return -1;
	memcpy(date, r->amz_date, 8);
	date[8] = '\0';
	if (r->sign_content_sha256)
		creq = xasprintf(
		    "%s\n%s\n%s\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n\n%s\n%s",
		    r->method, r->path, r->query, r->host, r->payload_sha256, r->amz_date,
		    signed_headers, r->payload_sha256);
	else
		creq = xasprintf("%s\n%s\n%s\nhost:%s\nx-amz-date:%s\n\n%s\n%s", r->method, r->path,
		                 r->query, r->host, r->amz_date, signed_headers, r->payload_sha256);
	sha256_hex(creq, strlen(creq), creq_hash);
	scope = xasprintf("%s/%s/%s/aws4_request", date, r->region, r->service);
	sts = xasprintf("AWS4-HMAC-SHA256\n%s\n%s\n%s", r->amz_date, scope, creq_hash);

	ksecret = xasprintf("AWS4%s", r->secret);
	hmac(ksecret, strlen(ksecret), date, k);
	sodium_memzero(ksecret, strlen(ksecret));
	free(ksecret);
	hmac(k, 32, r->region, k2);
	hmac(k2, 32, r->service, k);
	hmac(k, 32, "aws4_request", k2);
	hmac(k2, 32, sts, k);
	hex(k, 32, sig);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(k2, sizeof(k2));

	n = snprintf(out, outlen,
	             "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", r->key_id,
	             scope, signed_headers, sig);
	free(creq);
	free(scope);
	free(sts);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* RFC 3986 unreserved kept, every other byte %XX; '/' kept when keep_slash. */
static char *
uri_encode(const char *s, int keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~' ||
		    (keep_slash && *p == '/')) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = digits[*p >> 4];
			*o++ = digits[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* ---- the list answer */

static const char *
find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	if (p >= end || (size_t)(end - p) < n)
		return NULL;
	return memmem(p, (size_t)(end - p), needle, n);
}

/* <tag>TEXT</tag> within [p, end): 1 and the text, 0 absent, -1 opened but not closed. */
static int
element(const char *p, const char *end, const char *tag, const char **text, size_t *len)
{
	char open[48], close[48];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((a = find(p, end, open)) == NULL)
		return 0;
	a += strlen(open);
	if ((b = find(a, end, close)) == NULL)
		return -1;
	*text = a;
	*len = (size_t)(b - a);
	return 1;
}

/* XML character data → bytes: the five entities and &#N;/&#xN; of ASCII 1..127. */
static int
xml_decode(const char *s, size_t n, char *out, size_t cap)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		char c = s[i];
		if (c == '<' || c == '\0')
			return -1;
		if (c == '&') {
			size_t rest = n - i - 1, k;
			const char *q = s + i + 1;
			int found = 0;
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				size_t el = strlen(ents[k].name);
				if (rest >= el && memcmp(q, ents[k].name, el) == 0) {
					c = ents[k].c;
					i += 1 + el;
					found = 1;
					break;
				}
			}
			if (!found) {
				long v = 0;
				size_t j = 1, digits = 0;
				int base = 10;
				if (rest < 1 || q[0] != '#')
					return -1;
				if (rest > 1 && (q[1] == 'x' || q[1] == 'X')) {
					base = 16;
					j = 2;
				}
				for (; j < rest && q[j] != ';' && digits < 4; j++, digits++) {
					int dv;
					if (q[j] >= '0' && q[j] <= '9')
						dv = q[j] - '0';
					else if (base == 16 && q[j] >= 'a' && q[j] <= 'f')
						dv = q[j] - 'a' + 10;
					else if (base == 16 && q[j] >= 'A' && q[j] <= 'F')
						dv = q[j] - 'A' + 10;
					else
						return -1;
					v = v * base + dv;
				}
				if (digits == 0 || j >= rest || q[j] != ';' || v < 1 || v > 127)
					return -1;
				c = (char)v;
				i += 1 + j + 1;
			}
		} else {
			i++;
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int
dest_s3_list_parse(const char *xml, size_t n,
                   int (*each)(const char *key, long long size, void *arg), void *arg,
                   struct s3_list_page *page, struct err *e)
{
	const char *end = xml + n, *p = xml, *c, *text;
	char key[KEY_MAX + 1];
	size_t len;
	int r;

	page->truncated = 0;
	page->token[0] = '\0';
	if (find(xml, end, "<ListBucketResult") == NULL)
		return err_set(e, 502, "the S3 list answer is not a ListBucketResult");
	while ((c = find(p, end, "<Contents>")) != NULL) {
		const char *body = c + strlen("<Contents>");
		const char *ce = find(body, end, "</Contents>");
		long long size = 0;
		if (ce == NULL)
			return err_set(e, 502, "the S3 list answer has an unclosed <Contents>");
		if (element(body, ce, "Key", &text, &len) != 1 ||
		    xml_decode(text, len, key, sizeof(key)) == -1 || key[0] == '\0')
			return err_set(e, 502, "the S3 list answer has a missing or bad <Key>");
		if (element(body, ce, "Size", &text, &len) != 1 || len == 0 || len > 18)
			return err_set(e, 502, "the S3 list answer has a missing or bad <Size>");
		for (size_t i = 0; i < len; i++) {
			if (text[i] < '0' || text[i] > '9')
				return err_set(e, 502, "the S3 list answer has a bad <Size>");
			size = size * 10 + (text[i] - '0');
		}
		if ((r = each(key, size, arg)) != 0)
			return r;
		p = ce + strlen("</Contents>");
	}
	r = element(xml, end, "IsTruncated", &text, &len);
	if (r == -1)
		return err_set(e, 502, "the S3 list answer has an unclosed <IsTruncated>");
	if (r == 1) {
		if (len == 4 && memcmp(text, "true", 4) == 0)
			page->truncated = 1;
		else if (!(len == 5 && memcmp(text, "false", 5) == 0))
			return err_set(e, 502,
			               "the S3 list answer's <IsTruncated> is not true or false");
	}
	r = element(xml, end, "NextContinuationToken", &text, &len);
	if (r == -1 || (r == 1 && xml_decode(text, len, page->token, sizeof(page->token)) == -1))
		return err_set(e, 502, "the S3 list answer has a bad <NextContinuationToken>");
	if (page->truncated && page->token[0] == '\0')
		return err_set(e, 502, "the S3 list answer is truncated but gives no token");
	return 0;
}

/* ---- settings and credentials */

static int
read_credentials(struct backup_dest *d, const char *path, struct err *e)
{
	struct secret raw = {NULL, 0};
	char *lines[2] = {NULL, NULL}, *kv_id = NULL, *kv_secret = NULL, *p, *id, *sk;
	int positional = 0, rc = -1;

	if (secret_read_file(path, "S3 credentials file", CRED_FILE_MAX, 0, &raw, e) == -1)
		return -1;
	for (p = (char *)raw.p; p != NULL && *p != '\0';) {
		char *line = p, *nl = strchr(p, '\n');
		size_t len;
		if (nl != NULL) {
			*nl = '\0';
			p = nl + 1;
		} else {
			p = NULL;
		}
		len = strlen(line);
		while (len > 0 &&
		       (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		if (strncmp(line, "access_key_id=", 14) == 0)
			kv_id = line + 14;
		else if (strncmp(line, "secret_access_key=", 18) == 0)
			kv_secret = line + 18;
		else if (positional < 2)
			lines[positional++] = line;
		else
			positional++;
	}
	id = kv_id ? kv_id : lines[0];
	sk = kv_secret ? kv_secret : lines[1];
	if (id == NULL || sk == NULL || positional > 2 || (kv_id != NULL) != (kv_secret != NULL) ||
	    (kv_id != NULL && positional != 0)) {
		err_set(
		    e, 500,
		    "S3 credentials file %s must hold the access key id and the secret access key: "
		    "two lines, or access_key_id=... and secret_access_key=...",
		    path);
		goto out;
	}
	if (id[0] == '\0' || strlen(id) > KEY_ID_MAX || sk[0] == '\0' ||
	    strlen(sk) > SECRET_KEY_MAX) {
		err_set(e, 500, "S3 credentials file %s: an empty or over-long key", path);
		goto out;
	}
	for (const char *q = id; *q; q++)
		if (*q <= ' ' || *q >= 0x7f || *q == '/' || *q == ',') {
			err_set(e, 500,
			        "S3 credentials file %s: the access key id has a bad character",
			        path);
			goto out;
		}
	for (const char *q = sk; *q; q++)
		if (*q <= ' ' || *q >= 0x7f) {
			err_set(e, 500,
			        "S3 credentials file %s: the secret access key has a bad character",
			        path);
			goto out;
		}
	d->key_id = xstrdup(id);
	secret_alloc(&d->secret_key, strlen(sk) + 1);
	memcpy(d->secret_key.p, sk, strlen(sk));
	d->secret_key.len = strlen(sk);
	rc = 0;
out:
	secret_free(&raw);
	return rc;
}

static int
loopback_host(const char *h, size_t n)
{
	return (n == 9 && memcmp(h, "127.0.0.1", 9) == 0) ||
	       (n == 9 && memcmp(h, "localhost", 9) == 0) || (n == 5 && memcmp(h, "[::1]", 5) == 0);
}

int
dest_s3_settings_check(const char *endpoint, const char *bucket, const char *prefix,
                       const char *region, const char *credentials_file, struct err *e)
{
	const char *auth, *hend, *colon;
	size_t n;

	if (strncmp(endpoint, "https://", 8) == 0)
		auth = endpoint + 8;
	else if (strncmp(endpoint, "http://", 7) == 0)
		auth = endpoint + 7;
	else
		auth = NULL;
	n = auth ? strcspn(auth, "/") : 0;
	if (auth == NULL || n == 0 || strspn(auth + n, "/") != strlen(auth + n) ||
	    strpbrk(endpoint, "@?# \t\r\n\\") != NULL)
		return err_set(e, 400, "s3_endpoint must be https://HOST[:PORT] with no path");
	for (const char *p = endpoint; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return err_set(e, 400,
			               "s3_endpoint must be https://HOST[:PORT] with no path");
	/* the host without the port, for the loopback rule */
	if (auth[0] == '[') {
		const char *rb = memchr(auth, ']', n);
		if (rb == NULL)
			return err_set(e, 400, "s3_endpoint has an unclosed [IPv6] host");
		hend = rb + 1;
	} else {
		colon = memchr(auth, ':', n);
		hend = colon ? colon : auth + n;
	}
	if (hend < auth + n && (*hend != ':' || hend + 1 == auth + n ||
	                        strspn(hend + 1, "0123456789") != (size_t)(auth + n - hend - 1)))
		return err_set(e, 400, "s3_endpoint's port must be digits");
	if (endpoint[4] == ':' && !loopback_host(auth, (size_t)(hend - auth)))
		return err_set(e, 400,
		               "s3_endpoint must be https:// (plain http:// only for 127.0.0.1, "
		               "localhost or [::1])");
	n = strlen(bucket);
	if (n < 3 || n > 63 || strspn(bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n ||
	    bucket[0] == '.' || bucket[0] == '-' || bucket[n - 1] == '.' || bucket[n - 1] == '-')
		return err_set(e, 400,
		               "s3_bucket must be 3 to 63 lower-case letters, digits, '.' or '-'");
	if (prefix[0] != '\0') {
		struct err sub;
		size_t pl = strlen(prefix);
		if (prefix[pl - 1] == '/' || dest_name_check(prefix, &sub) == -1 ||
		    strspn(prefix, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		                   "-._/") != pl)
			return err_set(e, 400,
			               "s3_prefix must be a relative path of letters, digits, '-', "
			               "'_', '.' and '/' (no leading, trailing or doubled '/', no "
			               "component starting with '.')");
	}
	n = strlen(region);
	if (n == 0 || n > 32 || strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return err_set(e, 400,
		               "s3_region must be set: lower-case letters, digits and '-' "
		               "(us-east-1 for most self-hosted servers)");
	if (credentials_file[0] == '\0')
		return err_set(
		    e, 400,
		    "s3_credentials_file must name the file (mode 0600) with the access key");
	return 0;
}

int
s3_open(struct backup_dest *d, const struct dest_spec *spec, struct err *e)
{
#define OR_EMPTY(s) ((s) ? (s) : "")
	const char *auth;
	size_t n;

	if (dest_s3_settings_check(OR_EMPTY(spec->s3_endpoint), OR_EMPTY(spec->s3_bucket),
	                           OR_EMPTY(spec->s3_prefix), OR_EMPTY(spec->s3_region),
	                           OR_EMPTY(spec->s3_credentials_file), e) == -1)
		return -1;
	if (spec->s3_ca_file != NULL && spec->s3_ca_file[0] != '\0' &&
	    access(spec->s3_ca_file, R_OK) == -1)
		return err_set(e, 500, "cannot read s3_ca_file %s: %s", spec->s3_ca_file,
		               strerror(errno));
	auth = strstr(spec->s3_endpoint, "://") + 3;
	n = strcspn(auth, "/");
	d->scheme_host = xstrndup(spec->s3_endpoint, (size_t)(auth - spec->s3_endpoint) + n);
	d->host = xstrndup(auth, n);
	d->bucket = xstrdup(spec->s3_bucket);
	d->prefix = spec->s3_prefix[0] ? xasprintf("%s/", spec->s3_prefix) : xstrdup("");
	d->region = xstrdup(spec->s3_region);
	d->ca_file = spec->s3_ca_file && spec->s3_ca_file[0] ? xstrdup(spec->s3_ca_file) : NULL;
	d->timeout = spec->s3_timeout > 0 ? spec->s3_timeout : 60;
	d->label = spec->s3_prefix[0] ? xasprintf("s3://%s/%s", d->bucket, spec->s3_prefix)
	                              : xasprintf("s3://%s", d->bucket);
	if (sodium_init() < 0) /* idempotent; guarded memory needs it */
		return err_set(e, 500, "cannot initialise libsodium");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return err_set(e, 500, "cannot initialise libcurl");
	d->curl_inited = 1;
	return read_credentials(d, spec->s3_credentials_file, e);
#undef OR_EMPTY
}

void
s3_close(struct backup_dest *d)
{
	if (d->curl_inited)
		curl_global_cleanup();
	free(d->scheme_host);
	free(d->host);
	free(d->bucket);
	free(d->prefix);
	free(d->region);
	free(d->ca_file);
	free(d->key_id);
	if (d->secret_key.p != NULL)
		secret_free(&d->secret_key);
}

/* ---- one request */

struct body {
	const unsigned char *mem; /* or */
	int fd;
	size_t off, n;
};

struct sink {
	CURL *c;
	int fd; /* a 2xx answer's body goes here when not -1 */
	int decided, to_fd, over, io_errno;
	char *mem;
	size_t n, cap;
};

static size_t
on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct body *b = arg;
	size_t want = size * nitems;
	/* never more than was hashed and announced, even if the file grew since */
	if (want > b->n - b->off)
		want = b->n - b->off;
	if (b->fd != -1) {
		ssize_t r;
		do
			r = read(b->fd, buf, want);
		while (r == -1 && errno == EINTR);
		if (r < 0)
			return CURL_READFUNC_ABORT;
		b->off += (size_t)r;
		return (size_t)r;
	}
	memcpy(buf, b->mem + b->off, want);
	b->off += want;
	return want;
}

static size_t
on_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (!s->decided) {
		long code = 0;
		curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &code);
		s->to_fd = s->fd != -1 && code >= 200 && code < 300;
		s->decided = 1;
	}
	if (s->to_fd) {
		if (io_write_all(s->fd, ptr, n) == -1) {
			s->io_errno = errno;
			return 0;
		}
		return n;
	}
	if (n > ANSWER_MAX - s->n) {
		s->over = 1;
		return 0;
	}
	if (s->n + n + 1 > s->cap) {
		s->cap = (s->n + n + 1) * 2;
		s->mem = xrealloc(s->mem, s->cap);
	}
	memcpy(s->mem + s->n, ptr, n);
	s->n += n;
	s->mem[s->n] = '\0';
	return n;
}

/* The answer's <Code>, printable, or "". */
static void
answer_code(const struct sink *s, char *out, size_t cap)
{
	const char *text;
	size_t len, o = 0;

	out[0] = '\0';
	if (s->mem == NULL || element(s->mem, s->mem + s->n, "Code", &text, &len) != 1)
		return;
	for (size_t i = 0; i < len && o + 1 < cap; i++)
		if ((text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= 'a' && text[i] <= 'z') ||
		    (text[i] >= '0' && text[i] <= '9') || text[i] == '.' || text[i] == '-')
			out[o++] = text[i];
	out[o] = '\0';
}

/*
 * Sends one signed request. path is "/bucket/..." encoded, query encoded
 * and sorted. *status is the HTTP status; sink gets the answer. -1 only
 * for a failure with no HTTP answer (e says what).
 */
static int
s3_send_once(struct backup_dest *d, const char *method, const char *path, const char *query,
             struct body *b, const char *payload_sha256, struct sink *sink, long *status,
             const char *what, struct err *e)
{
	char amz_date[17], auth[512], curl_err[CURL_ERROR_SIZE] = "";
	struct sigv4_request r;
	struct curl_slist *h = NULL;
	char *url, *line;
	time_t now = time(NULL);
	struct tm tm;
	CURL *c;
	CURLcode cc;
	int rc = -1;

	gmtime_r(&now, &tm);
	strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
	r = (struct sigv4_request){
	    method,   d->host,   path, query,     payload_sha256,
	    amz_date, d->region, "s3", d->key_id, (const char *)d->secret_key.p,
	    1};
	if (dest_sigv4_authorization(&r, auth, sizeof(auth)) == -1)
		return err_set(e, 500, "%s: %s: cannot sign the request", d->label, what);
	if ((c = curl_easy_init()) == NULL) {
		sodium_memzero(auth, sizeof(auth));
		return err_set(e, 500, "%s: %s: cannot start libcurl", d->label, what);
	}
	url = query[0] ? xasprintf("%s%s?%s", d->scheme_host, path, query)
	               : xasprintf("%s%s", d->scheme_host, path);
	line = xasprintf("Host: %s", d->host);
	h = curl_slist_append(h, line);
	free(line);
	line = xasprintf("x-amz-date: %s", amz_date);
	h = curl_slist_append(h, line);
	free(line);
	line = xasprintf("x-amz-content-sha256: %s", payload_sha256);
	h = curl_slist_append(h, line);
	free(line);
	line = xasprintf("Authorization: %s", auth);
	h = curl_slist_append(h, line);
	sodium_memzero(line, strlen(line));
	free(line);
	sodium_memzero(auth, sizeof(auth));
	h = curl_slist_append(h, "Expect:");
	h = curl_slist_append(h, "Accept:");

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
	                 strncmp(d->scheme_host, "https:", 6) == 0 ? "https" : "http");
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (d->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, d->ca_file);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, d->timeout);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, d->timeout);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	sink->c = c;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, b);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)b->n);
	} else if (strcmp(method, "DELETE") == 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
	}
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		for (char *p = curl_err; *p; p++)
			if (*p < ' ' || *p >= 0x7f)
				*p = ' ';
		if (sink->io_errno != 0)
			err_set(e, 500, "%s: %s: cannot write the local file: %s", d->label, what,
			        strerror(sink->io_errno));
		else if (sink->over)
			err_set(e, 502, "%s: %s: the answer is larger than %zu bytes", d->label,
			        what, ANSWER_MAX);
		else if (cc == CURLE_OPERATION_TIMEDOUT)
			err_set(e, 504, "%s: %s: timed out (nothing moved for %ld s) at %s",
			        d->label, what, d->timeout, d->scheme_host);
		else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
			err_set(e, 502, "%s: %s: cannot connect to %s: %s", d->label, what,
			        d->scheme_host, curl_err[0] ? curl_err : curl_easy_strerror(cc));
		else
			err_set(e, 502, "%s: %s: %s (%s)", d->label, what,
			        curl_err[0] ? curl_err : curl_easy_strerror(cc), d->scheme_host);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	rc = 0;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	free(url);
	return rc;
}

/*
 * s3_send_once, tried again on 500 and 503: S3 asks clients to retry those
 * (InternalError, SlowDown), and a store may answer them to a read that
 * races the put replacing the object (s3rver does). At most SEND_TRIES
 * sends, 100 ms then 300 ms apart, each signed afresh; every S3 request
 * here is idempotent (GET, list, PUT of a whole object, DELETE). Before a
 * new try the body is rewound and the answer of the last one dropped (a
 * 5xx answer never reaches the sink's file).
 */
#define SEND_TRIES 3
static int
s3_send(struct backup_dest *d, const char *method, const char *path, const char *query,
        struct body *b, const char *payload_sha256, struct sink *sink, long *status,
        const char *what, struct err *e)
{
	static const useconds_t pause[SEND_TRIES - 1] = {100000, 300000};

	for (int i = 0;; i++) {
		int rc =
		    s3_send_once(d, method, path, query, b, payload_sha256, sink, status, what, e);
		if (rc == -1 || (*status != 500 && *status != 503) || i == SEND_TRIES - 1)
			return rc;
		usleep(pause[i]);
		if (b != NULL) {
			if (b->fd != -1 && lseek(b->fd, 0, SEEK_SET) == -1)
				return rc; /* answered as it is */
			b->off = 0;
		}
		sink->decided = sink->to_fd = 0;
		sink->n = 0;
	}
}

static int
http_error(struct backup_dest *d, const char *what, long status, const struct sink *s,
           struct err *e)
{
	char code[64];
	answer_code(s, code, sizeof(code));
	return err_set(e, status >= 500 ? 502 : 500, "%s: %s: HTTP %ld%s%s", d->label, what, status,
	               code[0] ? " " : "", code);
}

static char *
object_path(struct backup_dest *d, const char *name)
{
	char *full = xasprintf("%s/%s%s", d->bucket, d->prefix, name);
	char *enc = uri_encode(full, 1);
	char *path = xasprintf("/%s", enc);
	free(full);
	free(enc);
	return path;
}

/* One request on an object that answers nothing but its status (PUT, DELETE): 0 on a 2xx. */
static int
object_request(struct backup_dest *d, const char *method, const char *name, struct body *b,
               const char *sha, struct err *e)
{
	struct sink s = {NULL, -1, 0, 0, 0, 0, NULL, 0, 0};
	char *path = object_path(d, name), *what = xasprintf("%s %s", method, name);
	long status = 0;
	int rc = -1;

	if (s3_send(d, method, path, "", b, sha, &s, &status, what, e) == -1)
		goto out;
	if (status < 200 || status > 299) {
		http_error(d, what, status, &s, e);
		goto out;
	}
	rc = 0;
out:
	free(s.mem);
	free(path);
	free(what);
	return rc;
}

static int
put(struct backup_dest *d, const char *name, struct body *b, const char *sha, struct err *e)
{
	return object_request(d, "PUT", name, b, sha, e);
}

int
s3_put_mem(struct backup_dest *d, const char *name, const void *buf, size_t n, struct err *e)
{
	struct body b = {buf, -1, 0, n};
	char sha[65];
	sha256_hex(buf, n, sha);
	return put(d, name, &b, sha, e);
}

int
s3_put_file(struct backup_dest *d, const char *name, const char *local_path, struct err *e)
{
	struct body b = {NULL, -1, 0, 0};
	unsigned char buf[65536], md[32];
	unsigned int mdlen = 0;
	char sha[65];
	struct stat st;
	EVP_MD_CTX *ctx = NULL;
	int rc = -1;

	if ((b.fd = open(local_path, O_RDONLY | O_CLOEXEC)) == -1)
		return err_set(e, 500, "cannot open %s: %s", local_path, strerror(errno));
	if (fstat(b.fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		err_set(e, 500, "%s is not a regular file", local_path);
		goto out;
	}
	/* first pass: the payload's hash, which the signature covers */
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		abort();
	for (;;) {
		ssize_t r = read(b.fd, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			err_set(e, 500, "cannot read %s: %s", local_path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		b.n += (size_t)r;
		if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1)
			abort();
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		abort();
	hex(md, 32, sha);
	if (lseek(b.fd, 0, SEEK_SET) == -1) {
		err_set(e, 500, "cannot read %s: %s", local_path, strerror(errno));
		goto out;
	}
	rc = put(d, name, &b, sha, e);
out:
	EVP_MD_CTX_free(ctx);
	close(b.fd);
	return rc;
}

int
s3_get_file(struct backup_dest *d, const char *name, const char *local_path, struct err *e)
{
	struct sink s = {NULL, -1, 0, 0, 0, 0, NULL, 0, 0};
	char *path = object_path(d, name), *what = xasprintf("GET %s", name), *tmp = NULL;
	char code[64];
	long status = 0;
	int rc = -1;

	if ((s.fd = dest_tmp_create(local_path, &tmp, e)) == -1)
		goto out;
	if (s3_send(d, "GET", path, "", NULL, EMPTY_SHA256, &s, &status, what, e) == -1) {
		dest_tmp_abort(s.fd, tmp);
		goto out;
	}
	if (status >= 200 && status <= 299) {
		rc = dest_tmp_commit(s.fd, tmp, local_path, e);
		goto out;
	}
	dest_tmp_abort(s.fd, tmp);
	answer_code(&s, code, sizeof(code));
	if (status == 404 && strcmp(code, "NoSuchKey") == 0)
		rc = 1;
	else
		http_error(d, what, status, &s, e);
out:
	free(s.mem);
	free(path);
	free(what);
	return rc;
}

int
s3_delete(struct backup_dest *d, const char *name, struct err *e)
{
	return object_request(d, "DELETE", name, NULL, EMPTY_SHA256, e);
}

struct list_ctx {
	struct backup_dest *d;
	int (*each)(const char *name, long long size, void *arg);
	void *arg;
};

static int
list_one(const char *key, long long size, void *arg)
{
	struct list_ctx *x = arg;
	size_t pl = strlen(x->d->prefix);
	struct err ignored;

	/* only our prefix's objects, and only those a name can reach */
	if (strncmp(key, x->d->prefix, pl) != 0 || dest_name_check(key + pl, &ignored) == -1)
		return 0;
	return x->each(key + pl, size, x->arg);
}

int
s3_list(struct backup_dest *d, const char *prefix,
        int (*each)(const char *name, long long size, void *arg), void *arg, struct err *e)
{
	struct list_ctx x = {d, each, arg};
	struct s3_list_page page = {0, ""};
	char *full = xasprintf("%s%s", d->prefix, prefix), *enc_prefix = uri_encode(full, 0);
	char *path = xasprintf("/%s", d->bucket),
	     *what = prefix[0] ? xasprintf("LIST %s", prefix) : xstrdup("LIST");
	int rc = 0, pages = 0;

	do {
		struct sink s = {NULL, -1, 0, 0, 0, 0, NULL, 0, 0};
		char *query, *enc_token;
		long status = 0;

		enc_token = uri_encode(page.token, 0);
		query = page.token[0] ? xasprintf("continuation-token=%s&list-type=2&prefix=%s",
		                                  enc_token, enc_prefix)
		                      : xasprintf("list-type=2&prefix=%s", enc_prefix);
		free(enc_token);
		if (s3_send(d, "GET", path, query, NULL, EMPTY_SHA256, &s, &status, what, e) == -1)
			rc = -1;
		else if (status != 200)
			rc = http_error(d, what, status, &s, e);
		else if (s.mem == NULL)
			rc = err_set(e, 502, "%s: %s: an empty answer", d->label, what);
		else
			rc = dest_s3_list_parse(s.mem, s.n, list_one, &x, &page, e);
		free(s.mem);
		free(query);
		if (rc == 0 && page.truncated && ++pages > 100000)
			rc = err_set(e, 502, "%s: %s: the list never ends", d->label, what);
	} while (rc == 0 && page.truncated);
	free(full);
	free(enc_prefix);
	free(path);
	free(what);
	return rc;
}

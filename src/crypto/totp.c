/*
 * totp.c — see totp.h for the formats (key URI, codes, recovery codes).
 *
 * Invariants kept here:
 *   - No secret byte indexes a table or decides a branch: base32 maps 5-bit
 *     values to characters and back with arithmetic, and codes are compared
 *     with sodium_memcmp on their formatted text.
 *   - totp_verify() never accepts a step <= last_used_step, and when two of
 *     the three candidate steps share a code it reports the latest, so the
 *     caller's stored step always covers every step the code was valid for.
 *   - Every temporary that held a secret, a code or a byte of the key URI is
 *     wiped before it goes out of scope. The URI and the SVG are built in a
 *     buffer of their exact size (measured first), never grown by realloc,
 *     so no copy is left behind in a freed block. libqrencode's own working
 *     buffers are beyond reach; the module matrix it returns is wiped.
 *   - Memory: totp_uri() and totp_qr_svg() return malloc'ed strings the
 *     caller owns (and wipes, then frees). Everything else writes to caller
 *     buffers.
 */
#include "crypto/totp.h"

#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/xalloc.h"

#define QUIET 4 /* modules of light margin around a QR code (ISO/IEC 18004) */

void
totp_secret_new(unsigned char secret[TOTP_SECRET_LEN])
{
	randombytes_buf(secret, TOTP_SECRET_LEN);
}

/* ---- base32 (RFC 4648 section 6) */

/* 0..25 -> 'A'..'Z', 26..31 -> '2'..'7', without a branch or a table. */
static char
b32_char(unsigned v)
{
	unsigned ge26 = (v + 6) >> 5; /* 1 when v >= 26 */
	return (char)(v + 'A' - ge26 * ('A' + 26 - '2'));
}

/* 1 when lo <= c <= hi, computed without a branch on c. */
static unsigned
in_range(unsigned c, unsigned lo, unsigned hi)
{
	return (((c - lo) | (hi - c)) >> (sizeof(unsigned) * CHAR_BIT - 1)) ^ 1u;
}

/* The 5-bit value of a base32 character (either case), or -1. */
static int
b32_value(unsigned char ch)
{
	unsigned c = ch, up = in_range(c, 'A', 'Z'), lo = in_range(c, 'a', 'z'),
	         dg = in_range(c, '2', '7');
	unsigned v = up * (c - 'A') + lo * (c - 'a') + dg * (c - '2' + 26);
	return (up | lo | dg) ? (int)v : -1;
}

int
totp_base32_encode(const unsigned char *in, size_t len, char *out, size_t outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, j = 0;

	if (len > INT_MAX / 2 || outlen < TOTP_BASE32_LEN(len))
		return -1;
	for (i = 0; i < len; i++) {
		acc = (acc << 8 | in[i]) & 0xfff; /* at most 4 + 8 live bits */
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[j++] = b32_char((acc >> bits) & 31);
		}
	}
	if (bits > 0)
		out[j++] = b32_char((acc << (5 - bits)) & 31);
	out[j] = '\0';
	sodium_memzero(&acc, sizeof(acc));
	return (int)j;
}

int
totp_base32_decode(const char *in, unsigned char *out, size_t outlen)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t j = 0, cap = outlen < INT_MAX ? outlen : INT_MAX;
	int v, rc = -1;

	for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if ((v = b32_value(*p)) == -1)
			goto out;
		acc = (acc << 5 | (uint32_t)v) & 0xfff; /* at most 7 + 5 live bits */
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (j == cap)
				goto out;
			out[j++] = (unsigned char)(acc >> bits);
		}
	}
	/* 1, 3 or 6 characters past a multiple of 8 leave 5+ bits: no encoder makes that. */
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		goto out;
	rc = (int)j;
out:
	if (rc == -1)
		sodium_memzero(out, j);
	sodium_memzero(&acc, sizeof(acc));
	return rc;
}

/* ---- HOTP / TOTP */

uint32_t
totp_code(const unsigned char *secret, size_t len, uint64_t counter, int digits)
{
	static const uint32_t mod[] = {1000000, 10000000, 100000000};
	unsigned char msg[8], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, off;
	uint32_t bin, code = TOTP_CODE_ERROR;

	if (len == 0 || len > INT_MAX || digits < 6 || digits > 8)
		return TOTP_CODE_ERROR;
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (HMAC(EVP_sha1(), secret, (int)len, msg, sizeof(msg), md, &mdlen) == NULL || mdlen != 20)
		goto out;
	/* Dynamic truncation (RFC 4226 5.3): 31 bits at the offset the last nibble names. */
	off = md[19] & 0xf;
	bin = (uint32_t)(md[off] & 0x7f) << 24 | (uint32_t)md[off + 1] << 16 |
	      (uint32_t)md[off + 2] << 8 | (uint32_t)md[off + 3];
	code = bin % mod[digits - 6];
	sodium_memzero(&bin, sizeof(bin));
out:
	sodium_memzero(md, sizeof(md));
	return code;
}

/* 1 when code is exactly TOTP_DIGITS ASCII digits. Reads no further than one past them. */
static int
well_formed(const char *code)
{
	for (int i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	return code[TOTP_DIGITS] == '\0';
}

int
totp_verify(const unsigned char *secret, size_t len, const char *code, time_t now,
            int64_t last_used_step, int64_t *matched_step)
{
	char want[16];
	int64_t step, found = -1;

	if (code == NULL || now < 0 || !well_formed(code))
		return 0;
	step = (int64_t)now / TOTP_PERIOD;
	for (int64_t s = step - 1; s <= step + 1; s++) {
		if (s < 0 || s <= last_used_step)
			continue;
		uint32_t c = totp_code(secret, len, (uint64_t)s, TOTP_DIGITS);
		if (c == TOTP_CODE_ERROR)
			return 0;
		snprintf(want, sizeof(want), "%0*" PRIu32, TOTP_DIGITS, c);
		if (sodium_memcmp(want, code, TOTP_DIGITS) == 0)
			found = s; /* no early exit: the latest matching step wins */
		sodium_memzero(&c, sizeof(c));
	}
	sodium_memzero(want, sizeof(want));
	if (found == -1)
		return 0;
	if (matched_step != NULL)
		*matched_step = found;
	return 1;
}

/* ---- key URI */

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encodes s into out (when not NULL); returns the encoded length either way. */
static size_t
pct_encode(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (unreserved(*p)) {
			if (out != NULL)
				out[n] = (char)*p;
			n++;
		} else {
			if (out != NULL) {
				out[n] = '%';
				out[n + 1] = hex[*p >> 4];
				out[n + 2] = hex[*p & 0xf];
			}
			n += 3;
		}
	}
	return n;
}

static size_t
put(char *out, size_t at, const char *s)
{
	size_t n = strlen(s);
	memcpy(out + at, s, n + 1); /* the NUL is overwritten by the next piece, or ends the text */
	return at + n;
}

char *
totp_uri(const char *issuer, const char *account, const unsigned char *secret, size_t len)
{
	static const char scheme[] = "otpauth://totp/", q_secret[] = "?secret=",
	                  q_issuer[] = "&issuer=", q_rest[] = "&algorithm=SHA1&digits=6&period=30";
	char *b32 = NULL, *uri = NULL;
	size_t b32cap, ilen, alen, total, at;
	int n;

	if (issuer == NULL || account == NULL || *issuer == '\0' || *account == '\0' || len == 0 ||
	    len > INT_MAX / 2)
		return NULL;
	b32cap = TOTP_BASE32_LEN(len);
	b32 = xmalloc(b32cap);
	if ((n = totp_base32_encode(secret, len, b32, b32cap)) == -1)
		goto out;
	ilen = pct_encode(issuer, NULL);
	alen = pct_encode(account, NULL);
	total = strlen(scheme) + ilen + 1 + alen + strlen(q_secret) + (size_t)n + strlen(q_issuer) +
	        ilen + strlen(q_rest);
	uri = xmalloc(total + 1);
	at = put(uri, 0, scheme);
	at += pct_encode(issuer, uri + at);
	uri[at++] = ':';
	at += pct_encode(account, uri + at);
	at = put(uri, at, q_secret);
	at = put(uri, at, b32);
	at = put(uri, at, q_issuer);
	at += pct_encode(issuer, uri + at);
	at = put(uri, at, q_rest);
	uri[at] = '\0';
out:
	sodium_memzero(b32, b32cap);
	free(b32);
	return uri;
}

/* ---- QR code as SVG */

/*
 * Writes the SVG for qr into out (when not NULL) and returns its length, NUL
 * not counted. Each horizontal run of dark modules is one subpath
 * "Mx yhNv1h-Nz", in module units with the quiet zone added.
 */
static size_t
render(const QRcode *qr, char *out, size_t cap)
{
	int w = qr->width, size = w + 2 * QUIET, k;
	size_t n = 0;

#define EMIT(...)                                                                                  \
	do {                                                                                       \
		k = snprintf(out != NULL ? out + n : NULL, out != NULL ? cap - n : 0,              \
		             __VA_ARGS__);                                                         \
		n += (size_t)k;                                                                    \
	} while (0)

	EMIT("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	     "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	     "<path fill=\"#000\" d=\"",
	     size, size, size, size);
	for (int y = 0; y < w; y++) {
		for (int x = 0; x < w;) {
			if (!(qr->data[y * w + x] & 1)) {
				x++;
				continue;
			}
			int run = 0;
			while (x + run < w && (qr->data[y * w + x + run] & 1))
				run++;
			EMIT("M%d %dh%dv1h-%dz", x + QUIET, y + QUIET, run, run);
			x += run;
		}
	}
	EMIT("\"/></svg>");
#undef EMIT
	return n;
}

char *
totp_qr_svg(const char *text)
{
	QRcode *qr;
	char *svg;
	size_t n;

	if (text == NULL)
		return NULL;
	/* Case-sensitive: otherwise libqrencode upper-cases letters to fit alphanumeric mode. */
	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL)
		return NULL;
	n = render(qr, NULL, 0);
	svg = xmalloc(n + 1);
	render(qr, svg, n + 1);
	sodium_memzero(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	return svg;
}

/* ---- recovery codes */

void
totp_recovery_codes(char codes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_LEN])
{
	unsigned char raw[10]; /* 80 bits: 16 base32 characters exactly */
	char b32[TOTP_BASE32_LEN(sizeof(raw))];

	for (int i = 0; i < TOTP_RECOVERY_COUNT; i++) {
		randombytes_buf(raw, sizeof(raw));
		totp_base32_encode(raw, sizeof(raw), b32, sizeof(b32));
		for (int g = 0, at = 0; g < 4; g++) {
			memcpy(codes[i] + at, b32 + (size_t)4 * (size_t)g, 4);
			at += 4;
			codes[i][at++] = g < 3 ? '-' : '\0';
		}
		/* A repeat (2^-80 odds) would leave the user one code short: draw again. */
		for (int j = 0; j < i; j++)
			if (strcmp(codes[i], codes[j]) == 0) {
				i--;
				break;
			}
	}
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(b32, sizeof(b32));
}

void
totp_recovery_normalise(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	if (outlen == 0)
		return;
	if (in == NULL) {
		out[0] = '\0';
		return;
	}
	for (const char *p = in; *p != '\0'; p++) {
		if (*p == '-' || *p == ' ')
			continue;
		if (n + 1 == outlen) {
			sodium_memzero(out, outlen);
			return;
		}
		out[n] = *p;
		if (*p >= 'a' && *p <= 'z')
			out[n] = (char)(*p - 'a' + 'A');
		n++;
	}
	out[n] = '\0';
}

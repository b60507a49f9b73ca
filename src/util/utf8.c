/*
 * utf8.c — see utf8.h. One decoder serves both the NUL-terminated and the
 * counted form.
 */
#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

static size_t
seq_len(const unsigned char *s, size_t avail)
{
	unsigned c = s[0];
	size_t n;
	unsigned lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return c ? 1 : 0;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > avail)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

size_t
utf8_seq_len(const unsigned char *s)
{
	size_t avail = 1;
	if (s[0] == '\0')
		return 0;
	while (avail < 4 && s[avail] != '\0')
		avail++;
	return seq_len(s, avail);
}

/* 1 when the eight bytes at u are all ASCII other than NUL (0x01..0x7f). */
static int
ascii8(const unsigned char *u)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t w;
	memcpy(&w, u, sizeof(w));
	/* a high bit set anywhere, or a zero byte (w - ones borrows into its high bit) */
	return ((w | ((w - ones) & ~w)) & highs) == 0;
}

int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k;
		/* ASCII, most of what Slate checks: eight bytes at a time, no decoding */
		while (n - i >= 8 && ascii8(u + i))
			i += 8;
		if (i == n)
			break;
		if (u[i] >= 0x01 && u[i] <= 0x7f) {
			i++;
			continue;
		}
		if ((k = seq_len(u + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

size_t
utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* The small letter of capital c (as utf8_fold says), or c; always of c's UTF-8 length. */
static unsigned long
fold_cp(unsigned long c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 0x20;
	if (c < 0xc0)
		return c;
	if (c <= 0xde)
		return c == 0xd7 ? c : c + 0x20; /* not the multiplication sign */
	if ((c >= 0x100 && c <= 0x12f) || (c >= 0x132 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
		return (c & 1) ? c : c + 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) ? c + 1 : c;
	if (c == 0x178)
		return 0xff; /* Y with diaeresis */
	if (c == 0x386)
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 0x25;
	if (c == 0x38c)
		return 0x3cc;
	if (c == 0x38e || c == 0x38f)
		return c + 0x3f;
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 0x20;
	if (c == 0x3c2)
		return 0x3c3; /* final sigma */
	if (c >= 0x400 && c <= 0x40f)
		return c + 0x50;
	if (c >= 0x410 && c <= 0x42f)
		return c + 0x20;
	return c;
}

void
utf8_fold(char *s)
{
	unsigned char *u = (unsigned char *)s;
	unsigned long c;

	while (*u != '\0') {
		if (*u < 0x80) {
			*u = (unsigned char)fold_cp(*u);
			u++;
			continue;
		}
		if ((*u & 0xe0) != 0xc0 || (u[1] & 0xc0) != 0x80) {
			u++; /* a longer sequence, or a continuation: no letter folded here */
			continue;
		}
		c = fold_cp(((unsigned long)(u[0] & 0x1f) << 6) | (u[1] & 0x3f));
		/* every folded letter lies in U+0080..U+07FF: two bytes, as before */
		u[0] = (unsigned char)(0xc0 | (c >> 6));
		u[1] = (unsigned char)(0x80 | (c & 0x3f));
		u += 2;
	}
}

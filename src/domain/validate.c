/*
 * validate.c — see validate.h. Every check refuses by default: a NULL or
 * empty string is never valid.
 */
#include <string.h>

#include "domain/validate.h"

#include "util/utf8.h"

static int
digit(char c)
{
	return c >= '0' && c <= '9';
}

int
validate_time(const char *s)
{
	int h, m;
	if (s == NULL || strlen(s) != 5 || !digit(s[0]) || !digit(s[1]) || s[2] != ':' ||
	    !digit(s[3]) || !digit(s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 35 || m > 59)
		return -1;
	return h * 60 + m;
}

int
validate_date(const char *s)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, leap;
	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !digit(s[i]))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	mo = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || y > 2199 || mo < 1 || mo > 12 || d < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days[mo - 1] + (mo == 2 && leap);
}

int
validate_phone(const char *s)
{
	size_t n, digits = 0;
	if (s == NULL || (n = strlen(s)) < 3 || n > 40)
		return 0;
	for (const char *p = s; *p; p++) {
		if (digit(*p))
			digits++;
		else if (strchr(" +()-.", *p) == NULL)
			return 0;
	}
	return digits >= 3;
}

/* The code point of the valid UTF-8 sequence of len bytes at p. */
static unsigned long
code_point(const unsigned char *p, size_t len)
{
	static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	unsigned long cp = p[0] & lead_mask[len];
	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

static int
refused_code_point(unsigned long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||      /* C0, DEL, C1 */
	       cp == 0x061c || cp == 0x200e || cp == 0x200f || /* ALM, LRM, RLM */
	       (cp >= 0x202a && cp <= 0x202e) ||               /* LRE RLE PDF LRO RLO */
	       (cp >= 0x2066 && cp <= 0x2069) ||               /* LRI RLI FSI PDI */
	       cp == '/' || cp == '\\';
}

int
validate_file_name(const char *s)
{
	size_t n, dots = 0;
	const unsigned char *p;

	if (s == NULL || (n = strlen(s)) == 0 || n > 255 || !utf8_valid(s, n))
		return 0;
	for (p = (const unsigned char *)s; *p != '\0';) {
		size_t len = utf8_seq_len(p);
		if (len == 0 || refused_code_point(code_point(p, len)))
			return 0;
		dots += *p == '.';
		p += len;
	}
	return dots < n;
}

/*
 * The code points no text field holds: C0 controls, DEL, and the
 * bidirectional embeddings, overrides and isolates that make text read
 * differently from what it is. A multi-line field keeps TAB and LF.
 */
static int
control_code_point(unsigned long cp, int multiline)
{
	if (multiline && (cp == '\t' || cp == '\n'))
		return 0;
	return cp < 0x20 || cp == 0x7f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

long
validate_text(const char *s, int multiline, unsigned long *cp_out)
{
	const unsigned char *p;
	long at = 0;

	if (s == NULL)
		return -1;
	for (p = (const unsigned char *)s; *p != '\0'; at++) {
		size_t len = utf8_seq_len(p);
		unsigned long cp;
		if (len == 0) {
			*cp_out = *p;
			return at;
		}
		cp = code_point(p, len);
		if (control_code_point(cp, multiline)) {
			*cp_out = cp;
			return at;
		}
		p += len;
	}
	return -1;
}

/* White space as Unicode counts it (White_Space), plus the zero-width space and BOM. */
static int
space_code_point(unsigned long cp)
{
	return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || cp == 0x85 || cp == 0xa0 ||
	       cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200b) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
}

int
validate_blank(const char *s)
{
	const unsigned char *p;

	if (s == NULL)
		return 1;
	for (p = (const unsigned char *)s; *p != '\0';) {
		size_t len = utf8_seq_len(p);
		if (len == 0 || !space_code_point(code_point(p, len)))
			return 0;
		p += len;
	}
	return 1;
}

int
validate_date_not_after(const char *date, const char *today)
{
	if (!validate_date(date))
		return -1;
	/* "YYYY-MM-DD" strings order as the dates they name */
	return today != NULL && strcmp(date, today) > 0 ? 0 : 1;
}

int
validate_one_of(const char *v, const char *const *allowed)
{
	for (; *allowed != NULL; allowed++)
		if (strcmp(v, *allowed) == 0)
			return 1;
	return 0;
}

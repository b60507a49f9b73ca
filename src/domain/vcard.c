/*
 * vcard.c — see vcard.h. A content line is assembled whole in a small
 * buffer (bounded by the longest field Slate stores), then folded out.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "domain/vcard.h"
#include "util/xalloc.h"

struct line {
	char *p;
	size_t len, cap;
};

static void
put(struct line *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		l->cap = (l->len + n + 1) * 2;
		l->p = xrealloc(l->p, l->cap);
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
	l->p[l->len] = '\0';
}

static void
puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* RFC 6350 §3.4: backslash, comma, semicolon and newline escaped; CR dropped. */
static void
put_text(struct line *l, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': puts_(l, "\\\\"); break;
		case ',': puts_(l, "\\,"); break;
		case ';': puts_(l, "\\;"); break;
		case '\n': puts_(l, "\\n"); break;
		case '\r': break;
		default: put(l, s, 1);
		}
	}
}

/* Writes the line folded at 75 octets (§3.2), never inside a UTF-8 sequence, then CRLF. */
static void
emit(FILE *f, struct line *l)
{
	size_t at = 0, width = 75;
	while (l->len - at > width) {
		size_t cut = at + width;
		while (cut > at && ((unsigned char)l->p[cut] & 0xC0) == 0x80)
			cut--;
		if (cut == at) /* no character starts here: not UTF-8, cut at the width */
			cut = at + width;
		fwrite(l->p + at, 1, cut - at, f);
		fputs("\r\n ", f);
		at = cut;
		width = 74; /* the leading space counts */
	}
	fwrite(l->p + at, 1, l->len - at, f);
	fputs("\r\n", f);
	l->len = 0;
}

static int
given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static void
text_prop(FILE *f, struct line *l, const char *name, const char *value)
{
	if (!given(value))
		return;
	puts_(l, name);
	put_text(l, value);
	emit(f, l);
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_sep(char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '/';
}

int
vcard_tel_e164(const char *text, char *out, size_t cap)
{
	const char *p = text;
	size_t n = 0;

	assert(cap >= VCARD_E164_LEN);
	(void)cap;
	while (*p == ' ')
		p++;
	if (*p == '+')
		p++;
	else if (p[0] == '0' && p[1] == '0')
		p += 2;
	else
		return -1; /* national: the country is not known */
	out[n++] = '+';
	while (*p != '\0') {
		if (is_digit(*p)) {
			if (n > 15)
				return -1; /* E.164: at most 15 digits */
			out[n++] = *p++;
		} else if (is_sep(*p)) {
			p++;
		} else if (*p == '(') {
			const char *q = ++p, *close = strchr(p, ')');
			size_t digits = 0, zeros = 0;
			if (close == NULL)
				return -1;
			for (; q < close; q++) {
				if (is_digit(*q)) {
					digits++;
					zeros += *q == '0';
				} else if (*q != ' ') {
					return -1;
				}
			}
			/* "+44 (0)20": the trunk prefix dialled at home only, dropped */
			if (!(digits == 1 && zeros == 1 && n > 1)) {
				for (q = p; q < close; q++) {
					if (!is_digit(*q))
						continue;
					if (n > 15)
						return -1;
					out[n++] = *q;
				}
			}
			p = close + 1;
		} else {
			return -1; /* a letter ("ext"), a second '+', …: not a plain number */
		}
	}
	out[n] = '\0';
	/* a country code never starts with 0; the shortest numbers are 7 digits with it */
	return n >= 8 && out[1] != '0' ? 0 : -1;
}

/*
 * An international number as a tel: URI in E.164 form (what a phone dials),
 * with the text as typed in X-DISPLAY (quoted: vcard_tel_e164 admitted only
 * digits, spaces, + - . / and brackets, none of which needs RFC 6868 escaping);
 * any other number as the text it is (VALUE=text), since its country is not
 * known and a national number is no URI.
 */
static void
tel_prop(FILE *f, struct line *l, const char *type, const char *phone)
{
	char e164[VCARD_E164_LEN];
	if (!given(phone))
		return;
	if (vcard_tel_e164(phone, e164, sizeof(e164)) == 0) {
		puts_(l, "TEL;VALUE=uri;TYPE=");
		puts_(l, type);
		puts_(l, ";X-DISPLAY=\"");
		puts_(l, phone);
		puts_(l, "\":tel:");
		puts_(l, e164);
	} else {
		puts_(l, "TEL;VALUE=text;TYPE=");
		puts_(l, type);
		puts_(l, ":");
		put_text(l, phone);
	}
	emit(f, l);
}

/*
 * N (family;given;additional;prefixes;suffixes), which RFC 6350 leaves
 * optional but address books need to sort: Slate keeps a name as one
 * field, so the last word is the family name and the words before it the
 * given names ("Ada Gallagher" → N:Gallagher;Ada;;;); a one-word name is a
 * family name alone. FN stays the name as written.
 */
static void
name_prop(FILE *f, struct line *l, const char *name)
{
	size_t len = strlen(name), end = len, start;
	while (end > 0 && name[end - 1] == ' ')
		end--;
	start = end;
	while (start > 0 && name[start - 1] != ' ')
		start--;
	puts_(l, "N:");
	{
		char *family = xstrndup(name + start, end - start);
		put_text(l, family);
		free(family);
	}
	puts_(l, ";");
	if (start > 0) {
		size_t g = start, b = 0;
		char *givenn;
		while (g > 0 && name[g - 1] == ' ')
			g--;
		while (b < g && name[b] == ' ')
			b++;
		givenn = xstrndup(name + b, g - b);
		put_text(l, givenn);
		free(givenn);
	}
	puts_(l, ";;;");
	emit(f, l);
}

void
vcard_write(FILE *f, const struct vcard *v)
{
	struct line l = {NULL, 0, 0};

	fputs("BEGIN:VCARD\r\nVERSION:4.0\r\nPRODID:-//Slate//Slate export//EN\r\n"
	      "KIND:individual\r\n",
	      f);
	text_prop(f, &l, "UID;VALUE=text:", v->uid);
	puts_(&l, "FN:");
	put_text(&l, given(v->name) ? v->name : "");
	emit(f, &l);
	name_prop(f, &l, given(v->name) ? v->name : "");
	if (given(v->org) || given(v->department)) {
		puts_(&l, "ORG:");
		put_text(&l, given(v->org) ? v->org : "");
		if (given(v->department)) {
			puts_(&l, ";");
			put_text(&l, v->department);
		}
		emit(f, &l);
	}
	text_prop(f, &l, "TITLE:", v->title);
	text_prop(f, &l, "ROLE:", v->role);
	tel_prop(f, &l, "work,voice", v->work_phone);
	text_prop(f, &l, "EMAIL;TYPE=work:", v->work_email);
	tel_prop(f, &l, "home,voice", v->personal_phone);
	text_prop(f, &l, "EMAIL;TYPE=home:", v->personal_email);
	if (given(v->home_address)) {
		puts_(&l, "ADR;TYPE=home:;;");
		put_text(&l, v->home_address);
		puts_(&l, ";;;;");
		emit(f, &l);
	}
	if (given(v->birthday) && strlen(v->birthday) == 10) {
		char basic[9] = {v->birthday[0], v->birthday[1], v->birthday[2],
		                 v->birthday[3], v->birthday[5], v->birthday[6],
		                 v->birthday[8], v->birthday[9], 0};
		puts_(&l, "BDAY:");
		puts_(&l, basic);
		emit(f, &l);
	}
	fputs("END:VCARD\r\n", f);
	if (l.p != NULL)
		explicit_bzero(l.p, l.cap); /* it held personal fields */
	free(l.p);
}

/*
 * vcard.c — see vcard.h. A content line is assembled whole in a small
 * buffer (bounded by the longest field Slate stores), then folded out.
 */
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

/* A tel: URI (RFC 3966): the leading +, digits, and '-' for every other separator. */
static void
tel_prop(FILE *f, struct line *l, const char *type, const char *phone)
{
	int sep = 0;
	if (!given(phone))
		return;
	puts_(l, "TEL;VALUE=uri;TYPE=");
	puts_(l, type);
	puts_(l, ":tel:");
	for (const char *p = phone; *p; p++) {
		if ((*p >= '0' && *p <= '9') || (*p == '+' && p == phone)) {
			if (sep && l->p[l->len - 1] != ':')
				puts_(l, "-");
			put(l, p, 1);
			sep = 0;
		} else {
			sep = 1;
		}
	}
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

/*
 * dsn.c — a delivery status notification read from outside (see dsn.h).
 *
 * What a bounce is. With mail_bounce_address "bounces@example.org" set,
 * every message leaves with the envelope sender bounces+<outbox id>@
 * example.org (VERP), so a relay that later gives up sends its report to
 * that address, and the operator's MTA delivers it into mail_bounce_dir.
 * The report names its message by the address it was delivered to, and by
 * nothing else in it: the first Delivered-To (prepended by the delivering
 * MTA), else X-Original-To, else To, whose address is bounces+ID@domain
 * (local part and domain compared without case; ID of [a-z0-9_] only, at
 * most DSN_ID_LEN - 1 characters).
 *
 * The message must be an RFC 3464 report: a top-level Content-Type
 * multipart/report with report-type=delivery-status and a boundary (at
 * most 70 characters, RFC 2046), holding a part message/delivery-status
 * (or message/global-delivery-status, RFC 6533) that is closed by a
 * delimiter line (a report cut short is DSN_INVALID). Its body is groups
 * of fields parted by blank lines: the per-message group, then one group
 * per recipient. A recipient group with Action: failed and a Status of
 * class 5 (5.d.d, RFC 3463) makes the report DSN_FAILED with that Status
 * and its Diagnostic-Code; a 4.x.x "delayed" report, or "delivered", is
 * DSN_NOT_FAILED. Only the first permanent failure counts: Slate sends one
 * recipient per message.
 *
 * Bounds. The input is a byte range, read once from start to end (lines
 * end in LF or CRLF; NUL bytes are ordinary bytes). A header field is
 * unfolded into a buffer of FIELD_LEN bytes and cut there, so a huge
 * header line costs its length and no more memory. The diagnostic kept is
 * one line of printable ASCII (control characters and bytes >= 0x80 become
 * spaces, runs of spaces one space), at most DSN_DIAG_LEN - 1 bytes: it is
 * shown in the API as JSON text, which must be valid UTF-8.
 */
#include "notify/dsn.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FIELD_LEN 1024 /* a header field's name and value kept, each */

struct cursor {
	const char *p, *end;
};

/* The next line: its start and length without LF or CRLF; 0 at the end. */
static int
next_line(struct cursor *c, const char **line, size_t *len)
{
	const char *nl;

	if (c->p >= c->end)
		return 0;
	*line = c->p;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	if (nl == NULL) {
		*len = (size_t)(c->end - c->p);
		c->p = c->end;
	} else {
		*len = (size_t)(nl - c->p);
		c->p = nl + 1;
	}
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	return 1;
}

/* Appends up to len bytes of src to dst (cap bytes, NUL-terminated), cutting at cap. */
static void
append(char *dst, size_t cap, size_t *n, const char *src, size_t len)
{
	size_t k = cap - 1 - *n < len ? cap - 1 - *n : len;
	memcpy(dst + *n, src, k);
	*n += k;
	dst[*n] = '\0';
}

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * The next field of a header block: 1 with its name and its value
 * (unfolded, trimmed, cut at FIELD_LEN - 1 bytes), 0 at the blank line that
 * ends the block (consumed) or at the end. A line with no colon is skipped.
 */
static int
next_field(struct cursor *c, char name[FIELD_LEN], char value[FIELD_LEN])
{
	const char *line, *colon;
	size_t len, nn, vn;

	for (;;) {
		if (!next_line(c, &line, &len) || len == 0)
			return 0;
		colon = memchr(line, ':', len);
		if (is_space(line[0]) || colon == NULL)
			continue;
		nn = vn = 0;
		name[0] = value[0] = '\0';
		append(name, FIELD_LEN, &nn, line, (size_t)(colon - line));
		while (nn > 0 && is_space(name[nn - 1]))
			name[--nn] = '\0';
		append(value, FIELD_LEN, &vn, colon + 1, len - (size_t)(colon + 1 - line));
		for (;;) {
			struct cursor save = *c;
			if (!next_line(c, &line, &len) || len == 0 || !is_space(line[0])) {
				*c = save;
				break;
			}
			append(value, FIELD_LEN, &vn, " ", 1);
			append(value, FIELD_LEN, &vn, line, len);
		}
		/* trimmed: leading and trailing white space */
		{
			size_t lead = 0;
			while (lead < vn && is_space(value[lead]))
				lead++;
			memmove(value, value + lead, vn - lead + 1);
			vn -= lead;
			while (vn > 0 && is_space(value[vn - 1]))
				value[--vn] = '\0';
		}
		return 1;
	}
}

/* 1 when value's media type (before any ';') is type, without case. */
static int
media_is(const char *value, const char *type)
{
	size_t n = strlen(type);
	return strncasecmp(value, type, n) == 0 &&
	       (value[n] == '\0' || value[n] == ';' || is_space(value[n]));
}

/* Parameter `name` of a Content-Type value (quoted or a token) into out; 0 found, -1 not. */
static int
param(const char *value, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name), o = 0;
	const char *p = value;

	for (;;) {
		int quoted = 0;
		while (*p != '\0' && (*p != ';' || quoted)) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		if (*p == '\0')
			return -1;
		p++;
		while (is_space(*p))
			p++;
		if (strncasecmp(p, name, n) != 0 || p[n] != '=')
			continue;
		p += n + 1;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++)
				if (o + 1 < cap)
					out[o++] = *p;
				else
					return -1;
			if (*p != '"')
				return -1;
		} else {
			for (; *p != '\0' && *p != ';' && !is_space(*p); p++)
				if (o + 1 < cap)
					out[o++] = *p;
				else
					return -1;
		}
		out[o] = '\0';
		return 0;
	}
}

/*
 * The ID of the first address in value of the form local+ID@domain
 * (local and domain without case) into id; 0 found, -1 not.
 */
static int
verp_id(const char *value, const char *local, size_t ln, const char *domain, char id[DSN_ID_LEN])
{
	size_t dn = strlen(domain);

	for (const char *p = value; *p != '\0'; p++) {
		const char *q;
		size_t k = 0;
		if (p != value && strchr("<:, \t\"", p[-1]) == NULL)
			continue;
		if (strncasecmp(p, local, ln) != 0 || p[ln] != '+')
			continue;
		for (q = p + ln + 1;
		     (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_'; q++)
			if (++k >= DSN_ID_LEN)
				break;
		if (k == 0 || k >= DSN_ID_LEN || *q != '@' || strncasecmp(q + 1, domain, dn) != 0 ||
		    strchr(">, \t;\"", q[1 + dn]) == NULL)
			continue;
		memcpy(id, p + ln + 1, k);
		id[k] = '\0';
		return 0;
	}
	return -1;
}

/* 1 when line (len bytes) is the delimiter --boundary or the close --boundary--. */
static int
is_delimiter(const char *line, size_t len, const char *b, size_t bn, int *close)
{
	size_t i;
	int last;

	if (len < 2 + bn || line[0] != '-' || line[1] != '-' || memcmp(line + 2, b, bn) != 0)
		return 0;
	i = 2 + bn;
	last = len >= i + 2 && line[i] == '-' && line[i + 1] == '-';
	if (last)
		i += 2;
	for (; i < len; i++)
		if (!is_space(line[i]))
			return 0;
	*close = last; /* only for a delimiter: *close ends the walk over the parts */
	return 1;
}

/* 1 when status is exactly a permanent one: "5." digits "." digits (1 to 3 digits each). */
static int
permanent_status(const char *s)
{
	size_t a, b;

	if (s[0] != '5' || s[1] != '.')
		return 0;
	a = strspn(s + 2, "0123456789");
	if (a < 1 || a > 3 || s[2 + a] != '.')
		return 0;
	b = strspn(s + 3 + a, "0123456789");
	return b >= 1 && b <= 3 && s[3 + a + b] == '\0'; /* nothing after it: it is stored */
}

/* The diagnostic as one line of printable ASCII, runs of spaces as one (see the top). */
static void
clean_line(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (const char *p = in; *p != '\0' && o + 1 < cap; p++) {
		unsigned char ch = (unsigned char)*p;
		char put = (char)ch;
		if (ch < 0x20 || ch >= 0x7f)
			put = ' ';
		if (put == ' ' && (o == 0 || out[o - 1] == ' '))
			continue;
		out[o++] = put;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/*
 * The recipient groups of a delivery-status body [c]: DSN_FAILED with out's
 * status and diagnostic at the first permanent failure, else DSN_NOT_FAILED.
 */
static enum dsn_kind
read_status(struct cursor *c, struct dsn *out)
{
	char name[FIELD_LEN], value[FIELD_LEN], action[32], status[DSN_STATUS_LEN];
	char diag[FIELD_LEN];

	while (c->p < c->end) {
		action[0] = status[0] = diag[0] = '\0';
		while (next_field(c, name, value)) {
			if (strcasecmp(name, "Action") == 0)
				snprintf(action, sizeof(action), "%.*s",
				         (int)strcspn(value, " \t("), value);
			else if (strcasecmp(name, "Status") == 0)
				snprintf(status, sizeof(status), "%.*s",
				         (int)strcspn(value, " \t("), value);
			else if (strcasecmp(name, "Diagnostic-Code") == 0)
				memcpy(diag, value, sizeof(diag));
		}
		if (strcasecmp(action, "failed") == 0 && permanent_status(status)) {
			memcpy(out->status, status, sizeof(out->status));
			clean_line(diag, out->diagnostic, sizeof(out->diagnostic));
			return DSN_FAILED;
		}
	}
	return DSN_NOT_FAILED;
}

enum dsn_kind
dsn_parse(const char *msg, size_t n, const char *bounce_address, struct dsn *out)
{
	static const char *const addressed[] = {"Delivered-To", "X-Original-To", "To"};
	char name[FIELD_LEN], value[FIELD_LEN], ctype[FIELD_LEN] = "", rtype[32], boundary[72];
	char found[3][DSN_ID_LEN];
	struct cursor c = {msg, msg + n};
	const char *at = strrchr(bounce_address, '@'), *line;
	size_t len, bn;
	int in_part = 0, is_status = 0, close = 0;
	struct cursor part = {NULL, NULL};

	memset(out, 0, sizeof(*out));
	memset(found, 0, sizeof(found));
	if (at == NULL || at == bounce_address)
		return DSN_INVALID;
	while (next_field(&c, name, value)) {
		if (strcasecmp(name, "Content-Type") == 0 && ctype[0] == '\0') {
			memcpy(ctype, value, sizeof(ctype));
			continue;
		}
		for (size_t i = 0; i < 3; i++)
			if (found[i][0] == '\0' && strcasecmp(name, addressed[i]) == 0)
				(void)verp_id(value, bounce_address, (size_t)(at - bounce_address),
				              at + 1, found[i]);
	}
	if (!media_is(ctype, "multipart/report") ||
	    param(ctype, "report-type", rtype, sizeof(rtype)) == -1 ||
	    strcasecmp(rtype, "delivery-status") != 0 ||
	    param(ctype, "boundary", boundary, sizeof(boundary)) == -1 ||
	    (bn = strlen(boundary)) == 0 || bn > 70)
		return DSN_INVALID;

	/* the parts: each from the line after a delimiter to the next delimiter line */
	while (!close) {
		const char *start = c.p;
		if (!next_line(&c, &line, &len))
			return DSN_INVALID; /* cut short before its delivery-status part closed */
		if (!is_delimiter(line, len, boundary, bn, &close))
			continue;
		if (in_part) {
			part.end = start;
			if (is_status)
				break;
		}
		in_part = 1;
		part.p = c.p;
		is_status = 0;
		while (!close && next_field(&c, name, value))
			if (strcasecmp(name, "Content-Type") == 0)
				is_status = media_is(value, "message/delivery-status") ||
				            media_is(value, "message/global-delivery-status");
		part.p = c.p;
	}
	if (!is_status || part.p == NULL || part.end == NULL)
		return DSN_INVALID;
	assert(part.p <= part.end);

	for (size_t i = 0; i < 3; i++)
		if (found[i][0] != '\0') {
			memcpy(out->id, found[i], sizeof(out->id));
			break;
		}
	if (out->id[0] == '\0')
		return DSN_UNADDRESSED;
	return read_status(&part, out);
}

const char *
dsn_kind_name(enum dsn_kind k)
{
	switch (k) {
	case DSN_INVALID: return "not a delivery status report";
	case DSN_UNADDRESSED: return "not addressed to a message";
	case DSN_NOT_FAILED: return "no permanent failure";
	case DSN_FAILED: return "failed";
	}
	return "unknown";
}

/*
 * csv.c — see csv.h. Writes straight to a stdio stream (a file for
 * `slate export`, an open_memstream buffer for the API); nothing is kept.
 */
#include <stdlib.h>
#include <string.h>

#include "domain/csv.h"
#include "util/utf8.h"
#include "util/xalloc.h"

void
csv_cell(FILE *f, const char *v)
{
	int quote = strpbrk(v, ",\"\r\n") != NULL;
	int formula = v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL;

	if (quote)
		fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	if (quote)
		fputc('"', f);
}

static void
value_cell(FILE *f, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: csv_cell(f, json_string_value(v)); break;
	case JSON_INTEGER: fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
	case JSON_REAL: fprintf(f, "%.15g", json_real_value(v)); break;
	case JSON_TRUE: fputs("true", f); break;
	case JSON_FALSE: fputs("false", f); break;
	case JSON_ARRAY: {
		/* ids and names: joined with spaces, neutralised as one cell */
		size_t n = 0, at = 0, i;
		const json_t *item;
		char *joined;
		json_array_foreach (v, i, item) {
			if (json_string_value(item) != NULL)
				n += strlen(json_string_value(item)) + 1;
		}
		joined = xcalloc(1, n + 1);
		json_array_foreach (v, i, item) {
			const char *t = json_string_value(item);
			size_t len;
			if (t == NULL)
				continue;
			if (at > 0)
				joined[at++] = ' ';
			len = strlen(t);
			memcpy(joined + at, t, len);
			at += len;
		}
		csv_cell(f, joined);
		free(joined);
		break;
	}
	default: break; /* null, objects: empty */
	}
}

static int
any_row_has(const json_t *rows, const char *name)
{
	size_t i;
	const json_t *row;
	json_array_foreach (rows, i, row)
		if (json_object_get(row, name) != NULL)
			return 1;
	return 0;
}

void
csv_table(FILE *f, const json_t *rows, const char *const *columns)
{
	size_t ncol = 0, i;
	const json_t *row;
	unsigned char *use;
	int first;

	while (columns[ncol] != NULL)
		ncol++;
	use = xcalloc(ncol ? ncol : 1, 1);
	for (size_t c = 0; c < ncol; c++)
		use[c] = json_array_size(rows) == 0 || any_row_has(rows, columns[c]);
	first = 1;
	for (size_t c = 0; c < ncol; c++) {
		if (!use[c])
			continue;
		if (!first)
			fputc(',', f);
		csv_cell(f, columns[c]);
		first = 0;
	}
	fputs("\r\n", f);
	json_array_foreach (rows, i, row) {
		first = 1;
		for (size_t c = 0; c < ncol; c++) {
			const json_t *v;
			if (!use[c])
				continue;
			if (!first)
				fputc(',', f);
			if ((v = json_object_get(row, columns[c])) != NULL)
				value_cell(f, v);
			first = 0;
		}
		fputs("\r\n", f);
	}
	free(use);
}

/* ---- reading ---- */

void
csv_reader_init(struct csv_reader *rd, const char *buf, size_t len)
{
	rd->p = buf;
	rd->end = buf + len;
	rd->line = 1;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		rd->p += 3;
}

void
csv_fields_free(char **fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(fields[i]);
	free(fields);
}

struct grow {
	char *s;
	size_t len, cap;
};

static void
grow_put(struct grow *g, char c)
{
	if (g->len + 2 > g->cap) {
		g->cap = g->cap ? g->cap * 2 : 32;
		g->s = xrealloc(g->s, g->cap);
	}
	g->s[g->len++] = c;
	g->s[g->len] = '\0';
}

/* Appends the field in g (or "") to the record; checks it is UTF-8 without NUL. */
static int
end_field(struct grow *g, char ***fields, size_t *n, long line, struct err *e)
{
	char *v = g->s != NULL ? g->s : xstrdup("");
	size_t len = g->s != NULL ? g->len : 0;

	*g = (struct grow){0};
	if (!utf8_valid(v, len) || memchr(v, '\0', len) != NULL) {
		free(v);
		return err_set(e, 400, "line %ld: a field is not valid UTF-8 text", line);
	}
	if (*n >= 4096) {
		free(v);
		return err_set(e, 400, "line %ld: more than 4096 fields", line);
	}
	*fields = xrealloc(*fields, (*n + 1) * sizeof(**fields));
	(*fields)[(*n)++] = v;
	return 0;
}

int
csv_read(struct csv_reader *rd, char ***fields, size_t *n, long *line, struct err *e)
{
	struct grow g = {0};
	const char *p;
	int quoted = 0, after_quote = 0;

	*fields = NULL;
	*n = 0;
	while (rd->p < rd->end &&
	       (*rd->p == '\n' || (*rd->p == '\r' && rd->p + 1 < rd->end && rd->p[1] == '\n'))) {
		rd->p += *rd->p == '\r' ? 2 : 1; /* blank lines */
		rd->line++;
	}
	if (rd->p >= rd->end)
		return 0;
	*line = rd->line;
	for (p = rd->p; p < rd->end; p++) {
		char c = *p;
		if (quoted) {
			if (c == '"' && p + 1 < rd->end && p[1] == '"') {
				grow_put(&g, '"');
				p++;
			} else if (c == '"') {
				quoted = 0;
				after_quote = 1;
			} else {
				if (c == '\n')
					rd->line++;
				grow_put(&g, c);
			}
			continue;
		}
		if (c == ',') {
			if (end_field(&g, fields, n, *line, e) == -1)
				goto bad;
			after_quote = 0;
		} else if (c == '\n' || (c == '\r' && p + 1 < rd->end && p[1] == '\n')) {
			p += c == '\r' ? 1 : 0;
			rd->line++;
			p++;
			break;
		} else if (after_quote) {
			err_set(e, 400, "line %ld: text after a closing quote", *line);
			goto bad;
		} else if (c == '"' && g.len == 0) {
			quoted = 1;
		} else if (c == '"') {
			err_set(e, 400, "line %ld: a quote inside an unquoted field", *line);
			goto bad;
		} else {
			grow_put(&g, c);
		}
	}
	if (quoted) {
		err_set(e, 400, "line %ld: a quoted field is never closed", *line);
		goto bad;
	}
	if (end_field(&g, fields, n, *line, e) == -1)
		goto bad;
	rd->p = p;
	return 1;
bad:
	free(g.s);
	csv_fields_free(*fields, *n);
	*fields = NULL;
	*n = 0;
	rd->p = rd->end;
	return -1;
}

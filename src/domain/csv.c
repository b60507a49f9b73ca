/*
 * csv.c — see csv.h. Writes straight to a stdio stream (a file for
 * `slate export`, an open_memstream buffer for the API); nothing is kept.
 */
#include <stdlib.h>
#include <string.h>

#include "domain/csv.h"
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
	case JSON_REAL: fprintf(f, "%.17g", json_real_value(v)); break;
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

/*
 * csv.h — tables as RFC 4180 CSV, safe to open in a spreadsheet.
 *
 * Every line ends CRLF. A cell is quoted when it holds a comma, a double
 * quote, CR or LF (quotes inside doubled). A text cell that begins with
 * `=`, `+`, `-`, `@`, a tab or a carriage return — the characters that make
 * Excel, LibreOffice and Google Sheets read a cell as a formula — gets a
 * leading apostrophe (OWASP's "CSV injection" advice), so `=HYPERLINK(…)`
 * typed into a field is shown, never run. Numbers and booleans are written
 * as they are: only text is neutralised, so a day number stays a number.
 */
#ifndef SLATE_DOMAIN_CSV_H
#define SLATE_DOMAIN_CSV_H

#include <stdio.h>

#include <jansson.h>

#include "util/err.h"

/* One text cell, neutralised and quoted as above (no separator). */
void csv_cell(FILE *f, const char *v);
/*
 * The table rows (a JSON array of objects): a header line of the names in
 * `columns` (NULL-terminated) that at least one row has, in that order, then
 * a line per row. A missing key or null is an empty cell; an array is its
 * items joined with spaces; an object is left empty. A table no row has a
 * column of is the header line alone, of every column.
 */
void csv_table(FILE *f, const json_t *rows, const char *const *columns);

/*
 * Reading RFC 4180 (fuel logs, bills, factor files). Lines may end CRLF or
 * LF; a quoted field may hold commas, doubled quotes and line breaks; a
 * UTF-8 byte order mark before the first field is skipped. Every field must
 * be valid UTF-8 without NUL. Nothing is un-neutralised: a leading
 * apostrophe stays.
 */
struct csv_reader {
	const char *p, *end;
	long line; /* the line the next record starts on, from 1 */
};

void csv_reader_init(struct csv_reader *rd, const char *buf, size_t len);
/*
 * The next record: 1 with *fields (n malloc'd strings in a malloc'd array;
 * csv_fields_free) and *line its first line; 0 at the end; -1 malformed,
 * with e naming the line. A blank line is skipped.
 */
int csv_read(struct csv_reader *rd, char ***fields, size_t *n, long *line, struct err *e);
void csv_fields_free(char **fields, size_t n);

#endif

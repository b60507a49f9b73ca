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

#endif

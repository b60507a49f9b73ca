/*
 * fuzz_csv.c — libFuzzer harness for the CSV reader (domain/csv.c) and the
 * factor-file rows built on it (domain/carbon.c): the parsers behind
 * `POST …/sustainability/import` and `slate factors import`.
 *
 * The input is read record by record. The first record is taken as a
 * header; when it names the factor columns, every later record goes through
 * carbon_factor_parse. Invariants: csv_read never returns a field that is not
 * NUL-free UTF-8, line numbers never go backwards, a refused record leaves
 * no fields behind, and a parsed factor has a known unit, a non-empty key
 * and a finite, non-negative value. LeakSanitizer checks that every field
 * is freed.
 */
#include <math.h>
#include <string.h>

#include "domain/carbon.h"
#include "domain/csv.h"
#include "fuzz_common.h"
#include "util/utf8.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader rd;
	struct carbon_columns cols;
	char **f;
	size_t n;
	long line, last = 0;
	int rc, have_cols = -1;
	struct err e;

	csv_reader_init(&rd, (const char *)data, size);
	while ((rc = csv_read(&rd, &f, &n, &line, &e)) == 1) {
		CHECK(n >= 1 && line > last);
		last = line;
		for (size_t i = 0; i < n; i++)
			CHECK(utf8_valid(f[i], strlen(f[i])));
		if (have_cols == -1) {
			have_cols = carbon_columns_find(f, n, &cols, &e) == 0;
		} else if (have_cols) {
			struct carbon_factor_row row;
			if (carbon_factor_parse(&cols, f, n, &row, &e) == 0) {
				CHECK(carbon_unit_find(row.unit) != NULL);
				CHECK(row.key[0] != '\0');
				CHECK(isfinite(row.kg_per_unit) && row.kg_per_unit >= 0);
				CHECK(carbon_category_valid(row.category));
			} else {
				CHECK(e.field[0] == '/');
			}
		}
		csv_fields_free(f, n);
	}
	CHECK(rc == 0 || (rc == -1 && f == NULL && n == 0));
	return 0;
}

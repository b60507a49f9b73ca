/*
 * carbon_file.c — see carbon_file.h.
 */
#include "domain/carbon_file.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

int
carbon_file_open(struct carbon_file *cf, const char *csv, size_t len, struct err *e)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char **fields = NULL;
	size_t n = 0;
	long line = 0;
	int rc;

	memset(cf, 0, sizeof(*cf));
	crypto_hash_sha256(h, (const unsigned char *)csv, len);
	sodium_bin2hex(cf->sha256, sizeof(cf->sha256), h, sizeof(h));
	csv_reader_init(&cf->rd, csv, len);
	if ((rc = csv_read(&cf->rd, &fields, &n, &line, e)) != 1) {
		if (rc == 0)
			err_set(e, 400, "the file is empty; it needs a header line");
		return -1;
	}
	rc = carbon_columns_find(fields, n, &cf->cols, e);
	csv_fields_free(fields, n);
	if (rc == -1)
		return err_set(e, 400, "line 1: %s", e->msg);
	return 0;
}

int
carbon_file_next(void *arg, struct store_factor *f, long *line, struct err *e)
{
	struct carbon_file *cf = arg;
	struct carbon_factor_row row;
	char **fields = NULL;
	size_t n = 0;
	struct err fe;
	int rc;

	if ((rc = csv_read(&cf->rd, &fields, &n, line, e)) != 1) {
		if (rc == 0 && cf->rows == 0)
			return err_set(e, 400, "the file has a header but no factors");
		return rc;
	}
	rc = carbon_factor_parse(&cf->cols, fields, n, &row, &fe);
	csv_fields_free(fields, n);
	if (rc == -1)
		return err_set(e, 400, "line %ld: %s", *line, fe.msg);
	snprintf(f->key, sizeof(f->key), "%s", row.key);
	snprintf(f->category, sizeof(f->category), "%s", row.category);
	snprintf(f->activity, sizeof(f->activity), "%s", row.activity);
	snprintf(f->unit, sizeof(f->unit), "%s", row.unit);
	snprintf(f->kg_text, sizeof(f->kg_text), "%s", row.kg_text);
	f->rf = row.rf;
	snprintf(f->source, sizeof(f->source), "%s", row.source);
	f->year = row.year;
	snprintf(f->publisher_ref, sizeof(f->publisher_ref), "%s", row.publisher_ref);
	snprintf(f->notes, sizeof(f->notes), "%s", row.notes);
	cf->rows++;
	return 1;
}

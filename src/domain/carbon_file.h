/*
 * carbon_file.h — reading an emission factor file (CSV, the columns of
 * domain/carbon.h) into the store's factor rows, one row at a time, so a
 * large file is never held twice. The store receives rows
 * (store_factor_set_import pulls them with carbon_file_next); it never
 * parses a file.
 */
#ifndef SLATE_DOMAIN_CARBON_FILE_H
#define SLATE_DOMAIN_CARBON_FILE_H

#include <stddef.h>

#include "domain/carbon.h"
#include "domain/csv.h"
#include "store/store.h"
#include "util/err.h"

struct carbon_file {
	struct csv_reader rd;
	struct carbon_columns cols;
	char sha256[65]; /* of the file's bytes: the same file twice imports once */
	long rows;       /* rows read so far */
};

/*
 * Reads the header line of the file in csv (len bytes, which must outlive
 * cf): 0, or -1 with e (400) saying the file is empty or naming the
 * missing column.
 */
int carbon_file_open(struct carbon_file *cf, const char *csv, size_t len, struct err *e);
/*
 * The next factor of the file into f's key, category, activity, unit,
 * kg_text, rf, source, year, publisher_ref and notes (the rest of f is left
 * as it is) and its first line into *line: 1; 0 at the end; -1 with e
 * (400) naming the line at fault, or saying the file has no factor at all.
 * cf is a struct carbon_file (the shape store_factor_set_import asks for).
 */
int carbon_file_next(void *cf, struct store_factor *f, long *line, struct err *e);

#endif
